"""pyramid_mongo.observe.MongoHandler: set up in an INI file, on the app's
own client, never blocking a request, through an outage and a fork."""

import logging
import os
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pymongo
import pytest
from webtest import TestApp

from pyramid_mongo.observe import MongoHandler
from tests.conftest import TEST_DB
from tests.servers import Server
from tests.serving import wait_until

log = logging.getLogger("tests.loghandler")


@pytest.fixture
def handler():
    handler = MongoHandler(collection="log", capped_size="1M")
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    yield handler
    log.removeHandler(handler)
    handler.close()


def logged(mongodb_client, **query):
    return list(mongodb_client[TEST_DB].log.find(query, {"_id": 0}))


def test_records_carry_what_an_operator_searches_by(build_app, handler, mongodb_client):
    app = build_app()

    def view(request):
        try:
            raise ValueError("the cause")
        except ValueError:
            log.exception("it failed for %s", "someone")
        return request.response

    from pyramid.config import Configurator

    config = Configurator(registry=app.registry)
    config.add_route("logs", "/logs/{name}")
    config.add_view(view, route_name="logs")
    config.commit()
    TestApp(app).get("/logs/caf%C3%A9", headers={"X-Request-ID": "abc-123"})
    log.warning("outside a request")
    handler.flush()
    (inside,) = logged(mongodb_client, message="it failed for someone")
    assert inside["level"] == "ERROR" and inside["logger"] == "tests.loghandler"
    assert "ValueError: the cause" in inside["exception"]
    assert inside["request"] == {"method": "GET", "path": "/logs/café", "id": "abc-123"}
    assert inside["time"].year >= 2026
    (outside,) = logged(mongodb_client, message="outside a request")
    assert "request" not in outside
    (collection,) = mongodb_client[TEST_DB].list_collections(filter={"name": "log"})
    assert collection["options"].get("capped") is True


def test_extra_fields_and_the_source_are_stored_storably(build_app, handler, mongodb_client):
    build_app()

    class Unrepresentable:
        def __repr__(self):
            raise RuntimeError("no")

    extra = {
        "user_id": 7,
        "ratio": 0.5,
        "order": {"id": 1},
        "huge": 2**70,
        "$where.now": "x",
        "odd": Unrepresentable(),
    }
    log.warning("with extra", extra=extra)
    line = sys._getframe().f_lineno - 1
    handler.flush()
    (stored,) = logged(mongodb_client, message="with extra")
    assert stored["extra"] == {
        "user_id": 7,
        "ratio": 0.5,
        "order": "{'id': 1}",
        "huge": str(2**70),
        "_$where_now": "x",
        "odd": "<unrepresentable Unrepresentable: RuntimeError>",
    }
    assert stored["source"]["file"].endswith("test_loghandler.py")
    assert stored["source"]["line"] == line
    assert stored["source"]["function"] == "test_extra_fields_and_the_source_are_stored_storably"
    log.warning("without extra")
    # A record made by hand (a library's, say) may have no function name.
    log.handle(log.makeRecord(log.name, logging.WARNING, "elsewhere.py", 3, "made", (), None))
    handler.flush()
    assert "extra" not in logged(mongodb_client, message="without extra")[0]
    (made,) = logged(mongodb_client, message="made")
    assert made["source"] == {"file": "elsewhere.py", "line": 3, "function": ""}


def test_a_full_queue_drops_the_oldest_and_keeps_the_newest(build_app, mongodb_client, capfd):
    """Records logged before any application hands its client over wait in
    the queue; past its size, the oldest go, so what comes last is kept."""
    handler = MongoHandler(collection="log", queue_size=50)
    log.addHandler(handler)
    try:
        for n in range(120):
            log.warning("record %d", n)
        assert handler.dropped == 70
        assert "the oldest go first" in capfd.readouterr().err
        build_app()  # the client, at last
        handler.flush()
        kept = sorted(int(doc["message"].split()[1]) for doc in logged(mongodb_client))
        assert kept == list(range(70, 120))
    finally:
        log.removeHandler(handler)
        handler.close()


def test_the_drivers_own_records_are_never_written(build_app, handler, mongodb_client):
    build_app()
    logging.getLogger("pymongo.command").addHandler(handler)
    try:
        logging.getLogger("pymongo.command").warning("from the driver")
        log.info("ours")
        handler.flush()
    finally:
        logging.getLogger("pymongo.command").removeHandler(handler)
    assert logged(mongodb_client, message="ours")
    assert not logged(mongodb_client, message="from the driver")


def test_a_record_bson_cannot_hold_as_given_is_stored_readable(build_app, handler, mongodb_client):
    build_app()
    log.warning(
        "a file name as os.listdir gives it: %s", b"caf\xe9".decode("utf-8", "surrogateescape")
    )
    log.warning("x" * 20_000_000)  # more than a document may hold
    log.warning("after them")
    handler.flush()
    assert logged(mongodb_client, message="after them")
    (escaped,) = logged(mongodb_client, message={"$regex": "^a file name"})
    assert escaped["message"].endswith("caf\\udce9")
    (long,) = logged(mongodb_client, message={"$regex": "^xxx"})
    assert long["message"].endswith("... [19900000 characters more]")
    assert handler.dropped == 0


def test_what_the_server_refuses_is_dropped_counted_and_said_once(build_app, mongodb_client, capfd):
    mongodb_client[TEST_DB].create_collection(
        "log", validator={"level": {"$in": ["ERROR", "CRITICAL"]}}
    )
    handler = MongoHandler(collection="log")
    log.addHandler(handler)
    try:
        build_app()
        for n in range(3):
            log.warning("refused %d", n)
            log.error("kept %d", n)
            handler.flush()  # three batches, each with a refused record
        log.error("after the refusals")
        handler.flush()
    finally:
        log.removeHandler(handler)
        handler.close()
    assert sorted(doc["message"] for doc in logged(mongodb_client)) == [
        "after the refusals",
        "kept 0",
        "kept 1",
        "kept 2",
    ]
    assert handler.dropped == 3
    said = capfd.readouterr().err
    assert said.count("MongoDB refused records (code 121") == 1, said


def test_closed_with_no_application_it_ends_and_counts_what_it_held():
    handler = MongoHandler(collection="log")
    log.addHandler(handler)
    log.warning("nowhere to go")
    log.removeHandler(handler)
    handler.close()
    assert handler.dropped == 1
    assert "MongoHandler" not in {thread.name for thread in threading.enumerate()}


@pytest.mark.slow
def test_an_outage_neither_blocks_nor_loses_the_handler(build_app, mongodb_client, capfd):
    server = Server().start()
    handler = MongoHandler(collection="log", queue_size=50)
    log.addHandler(handler)
    try:
        build_app(**{"mongodb.url": server.url, "mongodb.serverSelectionTimeoutMS": "300"})
        log.warning("before")
        handler.flush()
        server.kill()
        started = time.monotonic()
        for n in range(500):
            log.warning("during %d", n)
        assert time.monotonic() - started < 0.5  # never waits for MongoDB
        assert handler.dropped > 0
        assert capfd.readouterr().err.count("dropping records") == 1
        server.start()  # back, with none of its data (in memory): no restart of ours
        client = pymongo.MongoClient(server.url)
        try:
            # What the queue held is written first, then what comes next.
            wait_until(lambda: client[TEST_DB].log.find_one(), what="the queued records")
            handler.flush()
            log.warning("after")
            wait_until(lambda: client[TEST_DB].log.find_one({"message": "after"}), what="after")
            assert client[TEST_DB].log.find_one({"message": "before"}) is None  # in memory
        finally:
            client.close()
    finally:
        log.removeHandler(handler)
        handler.close()
        server.stop()


INI = """\
[app:main]
use = egg:pyramid_mongo#demo
mongodb.url = {url}
mongodb.db_name = {db}

[loggers]
keys = root

[handlers]
keys = mongodb

[formatters]
keys =

[logger_root]
level = INFO
handlers = mongodb

[handler_mongodb]
class = pyramid_mongo.observe.MongoHandler
args = ()
kwargs = {{"collection": "log", "expire_after": 86400}}
level = INFO
"""

SCRIPT = """
import logging, os, sys
from pyramid.paster import bootstrap, setup_logging
setup_logging(sys.argv[1])
with bootstrap(sys.argv[1]):
    logging.getLogger("parent").warning("from the parent")
    if os.fork() == 0:
        logging.getLogger("child").warning("from the child")
        os._exit(0 if logging.shutdown() is None else 1)
    os.wait()
"""


def test_from_an_ini_file_through_a_fork_and_flushed_at_exit(tmp_path, mongodb_url, mongodb_client):
    if "?" in mongodb_url or not mongodb_url.endswith("/"):
        pytest.skip("the INI needs a plain server URL")
    db = TEST_DB + "_ini"
    mongodb_client.drop_database(db)
    ini = tmp_path / "app.ini"
    ini.write_text(INI.format(url=mongodb_url, db=db))
    env = {k: v for k, v in os.environ.items() if k != "MONGODB_URL"}
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(ini)], capture_output=True, text=True, env=env
    )
    assert done.returncode == 0, done.stderr
    messages = {doc["message"] for doc in mongodb_client[db].log.find()}
    assert {"from the parent", "from the child"} <= messages
    indexes = mongodb_client[db].log.index_information()
    assert any(index.get("expireAfterSeconds") == 86400 for index in indexes.values())
    mongodb_client.drop_database(db)


SERVED = """\
[app:main]
use = egg:pyramid_mongo#demo
mongodb.db_name = served_logs
mongodb.serverSelectionTimeoutMS = 1000
mongodb.timeoutMS = 1000

[server:main]
use = egg:pyramid_mongo#waitress
listen = 127.0.0.1:{port}
threads = 8

[loggers]
keys = root, requests

[handlers]
keys = mongodb

[formatters]
keys =

[logger_root]
level = WARNING
handlers =

[logger_requests]
level = INFO
handlers = mongodb
qualname = pyramid_mongo.outage

[handler_mongodb]
class = pyramid_mongo.observe.MongoHandler
args = ()
kwargs = {{"collection": "log", "capped_size": "1M", "queue_size": 200}}
level = INFO
"""


@pytest.mark.slow
def test_under_waitress_at_concurrency_8_through_a_restart(tmp_path):
    """Every outage page logs a warning through the handler: while the
    server is down no request waits longer than the selection bound, and
    once it is back the records are written again."""
    import urllib.error
    import urllib.request

    from pyramid_mongo.devserver import free_port
    from tests.serving import Served

    server = Server(storage=str(tmp_path / "data")).start()
    ini = tmp_path / "served.ini"
    ini.write_text(SERVED.format(port=free_port()))
    served = Served(ini, mongodb_url=server.url)
    client = pymongo.MongoClient(server.url)
    try:
        served.hits()

        def visit(_):
            started = time.monotonic()
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{served.port}/", timeout=30) as r:
                    status = r.status
            except urllib.error.HTTPError as error:
                status = error.code
            return status, time.monotonic() - started

        with ThreadPoolExecutor(8) as pool:
            before = list(pool.map(visit, range(80)))
            server.kill()
            during = list(pool.map(visit, range(80)))
            server.start()
            after = list(pool.map(visit, range(80)))
        assert {status for status, _ in before + after} == {200}
        assert {status for status, _ in during} == {503}
        assert max(took for _, took in during) < 1 + 1  # the bound, never the queue's
        wait_until(
            lambda: client.served_logs.log.count_documents({"logger": "pyramid_mongo.outage"}),
            what="the outage's records, once the server is back",
        )
        assert "Traceback" not in served.output()
    finally:
        client.close()
        served.stop()
        server.stop()
