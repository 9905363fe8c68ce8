"""MongoDB down: the app starts, and a request that needs it answers 503 quickly."""

import logging
import time

import pytest
from webtest import TestApp

from pyramid_mongo.embedded import free_port

SECRET = "hunter2-secret"


@pytest.fixture
def unreachable_url() -> str:
    return f"mongodb://admin:{SECRET}@127.0.0.1:{free_port()}/shop"


@pytest.fixture
def down(build_app, unreachable_url) -> TestApp:
    app = build_app(**{"mongodb.url": unreachable_url, "mongodb.serverSelectionTimeoutMS": "400"})
    return TestApp(app)


def test_the_app_starts_and_serves_what_needs_no_database(down):
    assert down.get("/no_db").text == "no database here"


def test_a_page_that_needs_the_database_gets_a_503_page(down, unreachable_url, caplog):
    caplog.set_level(logging.DEBUG)
    started = time.monotonic()
    response = down.get("/count", status=503)
    # Within the configured 0.4 s selection timeout, not PyMongo's 30 s.
    assert time.monotonic() - started < 10
    assert response.content_type == "text/html"
    assert "Service Unavailable" in response.text
    assert "database is unavailable" in response.text
    assert response.headers["Retry-After"].isdigit()
    port = unreachable_url.rsplit(":", 1)[1].split("/")[0]
    for secret in (SECRET, port, "127.0.0.1", "Traceback", "ServerSelectionTimeoutError"):
        assert secret not in response.text
    assert SECRET not in caplog.text
    assert "MongoDB unavailable during GET /count" in caplog.text


def test_a_client_that_asks_for_json_gets_json(down):
    response = down.get("/count", headers={"Accept": "application/json"}, status=503)
    assert response.content_type == "application/json"
    assert response.json["code"] == "503 Service Unavailable"
    assert "database is unavailable" in response.json["message"]


def test_writes_answer_503_too(down):
    down.post("/seed", {"count": "2"}, status=503)


def test_the_app_recovers_when_mongodb_comes_back(build_app, mongodb_url, mongodb_client):
    from pyramid_mongo.embedded import EmbeddedServer

    server = EmbeddedServer(":memory:")
    settings = {"mongodb.url": server.url, "mongodb.serverSelectionTimeoutMS": "300"}
    app = TestApp(build_app(**settings))
    app.get("/count", status=503)
    server.start()
    try:
        assert app.get("/count").text == "0"
    finally:
        server.stop()
