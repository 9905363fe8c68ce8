"""mongodb.transactions: request.db joins pyramid_tm's transaction, and
pyramid_retry runs a conflicted request again; against the real server."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import transaction
from pyramid.exceptions import ConfigurationError
from pyramid.response import Response
from webtest import TestApp

from pyramid_mongo import get_db, join_transaction
from pyramid_mongo.transactions import TransactionsUnsupported
from tests.conftest import TEST_DB
from tests.servers import Server
from tests.transaction_views import OUTSIDE, PAIR

TRANSACTIONS = {
    "pyramid.includes": "pyramid_tm pyramid_retry",
    "mongodb.transactions": "true",
    "retry.attempts": "30",
}


@pytest.fixture
def app(build_app, mongodb_client):
    return TestApp(
        build_app("tests.transaction_views", **TRANSACTIONS, **{OUTSIDE: mongodb_client})
    )


def accounts(mongodb_client) -> list[str]:
    return sorted(doc["_id"] for doc in mongodb_client[TEST_DB].accounts.find())


def test_the_writes_of_a_request_are_committed_together(app, mongodb_client):
    assert app.post("/tx/write_two").text == "written"
    assert accounts(mongodb_client) == ["alice", "bob"]


def test_a_raised_exception_rolls_back(app, mongodb_client):
    with pytest.raises(ValueError, match="after the write"):
        app.post("/tx/write_then_fail")
    assert accounts(mongodb_client) == []


def test_a_raised_http_exception_rolls_back(app, mongodb_client):
    app.post("/tx/write_then_refuse", status=400)
    assert accounts(mongodb_client) == []


def test_a_request_reads_its_own_writes_and_nobody_else_does_before_the_commit(app, mongodb_client):
    assert app.post("/tx/read_own_write").text == "mine=True outside=False"
    assert accounts(mongodb_client) == ["erin"]


def test_conflicts_are_retried_until_no_update_is_lost(app, mongodb_client):
    """80 read-modify-write requests, 8 at a time, under pyramid_retry."""

    def bump(_):
        return TestApp(app.app).post("/tx/read_modify_write", status="*").status_int

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(bump, range(80)))
    assert statuses == [200] * 80
    assert mongodb_client[TEST_DB].counters.find_one({"_id": "c"})["value"] == 80


@pytest.mark.parametrize(
    ("settings", "answers", "final"),
    [
        # The control: both requests read 0 before either writes, and both write 1.
        ({}, ["1", "1"], 1),
        # In transactions the second write conflicts, and its request runs again.
        (TRANSACTIONS, ["1", "2"], 2),
    ],
    ids=["without-transactions", "with-transactions"],
)
def test_an_interleaved_read_modify_write_pair(build_app, mongodb_client, settings, answers, final):
    settings = {**settings, OUTSIDE: mongodb_client, PAIR: threading.Barrier(2)}
    app = build_app("tests.transaction_views", **settings)

    def bump(_):
        return TestApp(app).post("/tx/read_wait_write").text

    with ThreadPoolExecutor(max_workers=2) as pool:
        assert sorted(pool.map(bump, range(2))) == answers
    assert mongodb_client[TEST_DB].counters.find_one({"_id": "c"})["value"] == final


def test_outside_transaction_before_the_first_request_db(app, mongodb_client):
    """The block's write is kept and the request's is rolled back with it; the
    thread is left with no session bound (the next request commits)."""
    with pytest.raises(ValueError):
        app.post("/tx/outside_first", {"fail": "1"})
    assert accounts(mongodb_client) == ["outside"]
    mongodb_client[TEST_DB].accounts.delete_many({})
    assert "inside" in app.post("/tx/outside_first").text  # read back in its transaction
    assert accounts(mongodb_client) == ["inside", "outside"]
    assert app.post("/tx/write_two").text == "written"
    assert accounts(mongodb_client) == ["alice", "bob", "inside", "outside"]


def test_a_request_that_never_touches_the_database_starts_nothing(app, mongodb_client):
    before = mongodb_client.admin.command("serverStatus").get("transactions", {})
    assert app.get("/tx/nothing").text == "no database"
    after = mongodb_client.admin.command("serverStatus").get("transactions", {})
    assert after.get("totalStarted") == before.get("totalStarted")


def test_the_toolbar_shows_the_commit(build_app, mongodb_client):
    settings = {
        **TRANSACTIONS,
        "pyramid.includes": TRANSACTIONS["pyramid.includes"] + " pyramid_debugtoolbar",
    }
    app = TestApp(
        build_app("tests.transaction_views", **settings, **{OUTSIDE: mongodb_client}),
        extra_environ={"REMOTE_ADDR": "127.0.0.1"},
    )
    app.post("/tx/write_two")
    toolbar = app.app.registry.pdtb_history.last(1)[0][1]
    (panel,) = [panel for panel in toolbar.panels if panel.name == "mongodb"]
    names = [command.name for command in panel.commands]
    assert names[-2:] == ["insert", "commitTransaction"], names


def test_without_pyramid_tm_the_setting_is_refused(build_app):
    with pytest.raises(ConfigurationError, match=r"mongodb\.transactions = true needs pyramid_tm"):
        build_app("tests.transaction_views", **{"mongodb.transactions": "true"})


def test_scripts_use_the_transaction_package(build_app, mongodb_client):
    app = build_app("tests.transaction_views", **TRANSACTIONS, **{OUTSIDE: mongodb_client})
    with transaction.manager:
        join_transaction(app.registry).accounts.insert_one({"_id": "frank"})
    with pytest.raises(RuntimeError), transaction.manager:
        join_transaction(app.registry).accounts.insert_one({"_id": "gina"})
        raise RuntimeError("abort")
    assert accounts(mongodb_client) == ["frank"]
    get_db(app.registry).accounts.insert_one({"_id": "harry"})  # outside: as before
    assert accounts(mongodb_client) == ["frank", "harry"]


def test_a_standalone_server_is_named_on_first_use(build_app, mongodb_client, standalone_url):
    settings = {**TRANSACTIONS, "mongodb.url": standalone_url, OUTSIDE: mongodb_client}
    app = TestApp(build_app("tests.transaction_views", **settings))
    assert app.get("/tx/nothing").text == "no database"  # the app starts and serves
    started = time.monotonic()
    with pytest.raises(TransactionsUnsupported) as info:
        app.post("/tx/write_two")
    assert time.monotonic() - started < 5
    message = str(info.value)
    assert message.startswith("mongodb.transactions: ")
    assert "replica set or a sharded cluster" in message


def _report_the_refusal(config):
    """An error view that uses the database, as an application's may."""

    def refused(exc, request):
        request.db.refusals.find_one()
        return Response(type(request.fs).__name__, status=500)

    config.add_exception_view(refused, context=TransactionsUnsupported)


def test_after_a_refused_transaction_the_request_has_none_anywhere(
    build_app, mongodb_client, standalone_url
):
    """request.db and request.fs agree: the request joined no transaction,
    so its error view reads the database and gets a plain GridFS bucket."""
    settings = {**TRANSACTIONS, "mongodb.url": standalone_url, OUTSIDE: mongodb_client}
    app = TestApp(build_app("tests.transaction_views", _report_the_refusal, **settings))
    assert app.post("/tx/write_two", status=500).text == "GridFSBucket"


@pytest.mark.slow
def test_an_outage_is_one_503_whatever_retry_attempts_says(build_app):
    server = Server().start()
    try:
        settings = {
            **TRANSACTIONS,
            "mongodb.url": server.url,
            "mongodb.serverSelectionTimeoutMS": "1000",
            "mongodb.timeoutMS": "1000",
            OUTSIDE: None,
        }
        app = TestApp(build_app("tests.transaction_views", **settings))
        assert app.post("/tx/write_two").text == "written"
        server.kill()
        started = time.monotonic()
        app.post("/tx/write_two", status=503)
        assert time.monotonic() - started < 1 + 1  # one timeout, not one per attempt
    finally:
        server.stop()


@pytest.mark.slow
def test_the_health_view_stands_outside_the_requests_transaction(build_app, mongodb_client):
    # The security policy reads the user for pyramid_tm's annotation: the
    # request is in a transaction before the health view runs.
    settings = {**TRANSACTIONS, "mongodb.health_route": "/healthz", OUTSIDE: mongodb_client}
    app = TestApp(build_app("tests.transaction_views", "tests.test_outage", **settings))
    for _ in range(3):
        assert app.get("/healthz").json["status"] == "ok"
