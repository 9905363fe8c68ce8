"""MongoDB down: the app starts, and a request that needs it answers 503 quickly."""

import logging
import time

import pytest
from pymongo.errors import ConnectionFailure
from pyramid.config import Configurator
from pyramid.response import Response
from webtest import TestApp

from pyramid_mongo.devserver import free_port

pytestmark = pytest.mark.slow  # a server stopped or hung, or processes of their own

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
    assert response.content_type == "application/problem+json"
    assert response.json["code"] == "503 Service Unavailable"
    assert "database is unavailable" in response.json["message"]


def test_writes_answer_503_too(down):
    down.post("/seed", {"count": "2"}, status=503)


def test_the_app_recovers_when_mongodb_comes_back(build_app, mongodb_url, mongodb_client):
    from pyramid_mongo.devserver import EmbeddedServer

    server = EmbeddedServer(":memory:")
    settings = {"mongodb.url": server.url, "mongodb.serverSelectionTimeoutMS": "300"}
    app = TestApp(build_app(**settings))
    app.get("/count", status=503)
    server.start()
    try:
        assert app.get("/count").text == "0"
    finally:
        server.stop()


class PolicyOnTheDatabase:
    """A security policy that reads the user from MongoDB, as most do."""

    def identity(self, request):
        return request.db.users.find_one({"_id": "someone"})

    def authenticated_userid(self, request):
        identity = self.identity(request)
        return identity and identity["_id"]

    def permits(self, request, context, permission):
        return True


def includeme(config):
    config.set_security_policy(PolicyOnTheDatabase())


@pytest.mark.parametrize(
    ("path", "settings"),
    [
        # pyramid_tm reads the user for its annotation, outside the exception views.
        ("/no_db", {"pyramid.includes": "pyramid_tm"}),
        # The debug toolbar renders what reaches it as a 500 page of its own.
        ("/no_db", {"pyramid.includes": "pyramid_debugtoolbar pyramid_tm"}),
        # The session is saved once the view is done.
        ("/session/put?colour=blue", {"mongodb.session_secret": "s" * 40}),
    ],
    ids=["security-policy-in-pyramid-tm", "under-the-toolbar", "session-saved-after-the-view"],
)
def test_an_outage_outside_the_view_is_the_503_page_too(build_app, unreachable_url, path, settings):
    settings = {
        "mongodb.url": unreachable_url,
        "mongodb.serverSelectionTimeoutMS": "300",
        **settings,
    }
    app = TestApp(
        build_app("tests.test_outage", "tests.session_views", **settings),
        extra_environ={"REMOTE_ADDR": "127.0.0.1"},
    )
    response = app.get(path, status=503)
    assert "database is unavailable" in response.text
    response = app.get(path, headers={"Accept": "application/json"}, status=503)
    assert response.json["code"] == "503 Service Unavailable"


def test_an_outage_page_that_needs_the_database_is_still_a_503(build_app, unreachable_url):
    """An application's own outage page that reads the user (its layout
    shows who is logged in) meets the outage again: a plain 503 then."""
    settings = {"mongodb.url": unreachable_url, "mongodb.serverSelectionTimeoutMS": "300"}
    app = build_app("tests.test_outage", **settings)

    def page_showing_the_user(exc, request):
        return Response(f"down, and you are {request.authenticated_userid}")

    config = Configurator(registry=app.registry)
    config.add_exception_view(page_showing_the_user, context=ConnectionFailure)
    config.commit()
    assert TestApp(app).get("/count", status=503).headers["Retry-After"].isdigit()


def test_closing_the_client_does_not_wait_out_a_server_that_is_gone(clean_env):
    """At exit (Ctrl-C reaches the development server too) the client's close
    would wait the whole selection timeout to end its sessions."""
    from pyramid_mongo import get_connection
    from tests.servers import Server

    server = Server().start()
    try:
        settings = {
            "mongodb.url": server.url,
            "mongodb.db_name": "closing",
            "mongodb.serverSelectionTimeoutMS": "10000",
        }
        with Configurator(settings=settings) as config:
            config.include("pyramid_mongo")
        connection = get_connection(config.registry)
        connection.client.closing.things.insert_one({})  # sessions to end
        server.kill()
        started = time.monotonic()
        connection.close()
        assert time.monotonic() - started < 3  # not the 10 s of the selection timeout
    finally:
        server.stop()
