"""Transactions where the code asks for one (mongodb_transaction=True, and
run_in_transaction), on PyMongo's with_transaction; against real servers,
one of them stopped or frozen mid-way."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from pyramid.httpexceptions import HTTPConflict
from webtest import TestApp

from pyramid_mongo import get_db
from pyramid_mongo.atomic import TransactionsUnsupported, run_in_transaction
from tests.conftest import TEST_DB
from tests.servers import Server
from tests.test_transactions import accounts
from tests.transaction_views import OUTSIDE, PAIR


@pytest.fixture
def app(build_app, mongodb_client):
    return TestApp(build_app("tests.transaction_views", **{OUTSIDE: mongodb_client}))


def test_the_writes_of_a_view_are_committed_together(app, mongodb_client):
    assert app.post("/atomic/write_two").text == "written"
    assert accounts(mongodb_client) == ["alice", "bob"]


def test_an_exception_rolls_back(app, mongodb_client):
    with pytest.raises(ValueError, match="after the write"):
        app.post("/atomic/write_then_fail")
    app.post("/atomic/write_then_refuse", status=400)
    assert accounts(mongodb_client) == []


def test_a_view_that_did_not_ask_commits_each_write_alone(app, mongodb_client):
    with pytest.raises(ValueError, match="after the write"):
        app.post("/tx/write_then_fail")
    assert accounts(mongodb_client) == ["carol"]


def test_the_view_reads_its_own_writes_and_nobody_else_does_before_the_commit(app, mongodb_client):
    assert app.post("/atomic/read_own_write").text == "mine=True outside=False"


def test_a_write_conflict_runs_the_view_again(build_app, mongodb_client):
    settings = {OUTSIDE: mongodb_client, PAIR: threading.Barrier(2)}
    app = build_app("tests.transaction_views", **settings)

    def bump(_):
        return TestApp(app).post("/atomic/read_wait_write").text

    with ThreadPoolExecutor(max_workers=2) as pool:
        assert sorted(pool.map(bump, range(2))) == ["1", "2"]
    assert mongodb_client[TEST_DB].counters.find_one({"_id": "c"})["value"] == 2


def test_concurrent_read_modify_writes_lose_nothing(app, mongodb_client):
    def bump(_):
        return TestApp(app.app).post("/atomic/read_modify_write", status="*").status_int

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(bump, range(40)))
    assert statuses == [200] * 40
    assert mongodb_client[TEST_DB].counters.find_one({"_id": "c"})["value"] == 40


def test_scripts_run_work_in_a_transaction(app, mongodb_client):
    registry = app.app.registry

    def open_two(db, first, second):
        db.accounts.insert_one({"_id": first})
        if second is None:
            raise HTTPConflict()
        db.accounts.insert_one({"_id": second})
        return "done"

    assert run_in_transaction(registry, open_two, get_db(registry), "ian", "jo") == "done"
    with pytest.raises(HTTPConflict):
        run_in_transaction(registry, open_two, get_db(registry), "kim", None)
    assert accounts(mongodb_client) == ["ian", "jo"]


def test_a_standalone_server_refuses_only_what_asks(build_app, mongodb_client, standalone_url):
    app = TestApp(
        build_app("tests.transaction_views", **{"mongodb.url": standalone_url, OUTSIDE: None})
    )
    assert app.get("/tx/nothing").text == "no database"  # the app starts and serves
    started = time.monotonic()
    with pytest.raises(TransactionsUnsupported) as info:
        app.post("/atomic/write_two")
    assert time.monotonic() - started < 5
    assert str(info.value).startswith("mongodb_transaction: ")
    assert "replica set or a sharded cluster" in str(info.value)
    assert app.post("/tx/write_two").text == "written"  # the rest works as ever


@pytest.fixture
def own_server():
    server = Server().start()
    yield server
    server.stop()


@pytest.mark.slow
@pytest.mark.parametrize("fault", ["stopped", "frozen"])
def test_a_lost_server_is_a_503_after_one_timeout_not_a_retry(build_app, own_server, fault):
    # timeoutMS as the generated project sets it, equal to the selection
    # timeout: it bounds PyMongo's own retries after a lost connection too.
    settings = {
        "mongodb.url": own_server.url,
        "mongodb.serverSelectionTimeoutMS": "1000",
        "mongodb.timeoutMS": "1000",
        OUTSIDE: None,
    }
    app = TestApp(build_app("tests.transaction_views", **settings))
    assert app.post("/atomic/write_two").text == "written"
    own_server.kill() if fault == "stopped" else own_server.freeze()
    started = time.monotonic()
    response = app.post("/atomic/write_two", status=503)
    assert time.monotonic() - started < 1 + 1  # one timeout, and a second
    assert "unavailable" in response.text


@pytest.mark.parametrize("prefix", ["tx", "atomic"])
def test_a_cursor_left_open_in_a_transaction_is_closed_before_the_commit(
    build_app, mongodb_client, prefix
):
    """Closed after the commit, its session would be gone: the server keeps it."""
    from tests.conftest import open_cursor_count
    from tests.test_transactions import TRANSACTIONS

    settings = TRANSACTIONS if prefix == "tx" else {}
    app = TestApp(build_app("tests.transaction_views", **settings, **{OUTSIDE: mongodb_client}))
    mongodb_client[TEST_DB].accounts.insert_many([{"_id": f"a{n}"} for n in range(6)])
    before = open_cursor_count(mongodb_client)
    for _ in range(3):
        assert app.get(f"/{prefix}/read_part").text == "a0"
    assert open_cursor_count(mongodb_client) == before
