"""Server-side sessions: the data in MongoDB, a signed id in the cookie, safe
defaults, and no write that is not needed; against the real server."""

import datetime as dt
import re
from concurrent.futures import ThreadPoolExecutor

import pytest
from pyramid.config import Configurator
from pyramid.exceptions import ConfigurationError
from pyramid.session import SignedCookieSessionFactory
from webtest import TestApp

from pyramid_mongo import get_connection
from pyramid_mongo.devserver import free_port
from pyramid_mongo.indexes import ensure_declared
from tests.conftest import TEST_DB

SECRET = "a-secret-of-forty-characters-0123456789"
SETTINGS = {"mongodb.session_secret": SECRET}


@pytest.fixture
def app(build_app):
    return TestApp(build_app("tests.session_views", **SETTINGS))


def sessions(mongodb_client):
    return mongodb_client[TEST_DB].sessions


def writes(mongodb_client) -> int:
    status = mongodb_client.admin.command("serverStatus")
    counters = status["opcounters"]
    return counters["insert"] + counters["update"] + counters["delete"]


def test_the_data_is_stored_on_the_server_and_the_cookie_holds_only_a_signed_id(
    app, mongodb_client
):
    response = app.get("/session/put", {"colour": "green", "size": "large"})
    cookie = response.headers["Set-Cookie"]
    assert "green" not in cookie and "large" not in cookie
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "secure" not in cookie.lower()
    (stored,) = sessions(mongodb_client).find()
    assert stored["data"] == {"colour": "green", "size": "large"}
    assert len(stored["_id"]) >= 43  # 256 random bits
    assert app.get("/session/show").text == "[('colour', 'green'), ('size', 'large')]"


@pytest.mark.parametrize("forged", ["not-signed", "eyJhIjogMX0.forged", ""])
def test_a_tampered_or_unknown_cookie_gives_a_fresh_session(app, forged):
    app.get("/session/put", {"colour": "green"})
    app.set_cookie("session", forged)
    assert app.get("/session/show").text == "[]"


def test_an_expired_session_is_refused_before_the_ttl_monitor_runs(app, mongodb_client):
    app.get("/session/put", {"colour": "green"})
    past = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    sessions(mongodb_client).update_many({}, {"$set": {"expires": past}})
    assert app.get("/session/show").text == "[]"


def test_idle_sessions_expire_through_a_declared_ttl_index(app, mongodb_client):
    ensure_declared(app.app.registry)  # as pyramid-mongo-indexes does at deploy time
    app.get("/session/put", {"colour": "green"})
    indexes = {i["name"]: i for i in sessions(mongodb_client).list_indexes()}
    assert indexes["expires_1"]["expireAfterSeconds"] == 0
    (stored,) = sessions(mongodb_client).find()
    left = stored["expires"].replace(tzinfo=dt.UTC) - dt.datetime.now(dt.UTC)
    assert dt.timedelta(seconds=1190) < left <= dt.timedelta(seconds=1200)


def test_invalidate_deletes_the_document_and_the_cookie(app, mongodb_client):
    app.get("/session/put", {"colour": "green"})
    response = app.get("/session/logout")
    assert sessions(mongodb_client).count_documents({}) == 0
    assert re.search(r"session=;|Max-Age=0", response.headers["Set-Cookie"])
    assert app.get("/session/show").text == "[]"


def test_a_new_id_at_login_keeps_the_data_and_drops_the_old_id(app, mongodb_client):
    app.get("/session/put", {"basket": "lamp"})
    (before,) = sessions(mongodb_client).find()
    app.get("/session/login", {"user": "alice"})
    (after,) = sessions(mongodb_client).find()
    assert after["_id"] != before["_id"]
    assert after["data"] == {"basket": "lamp", "user": "alice"}
    app.set_cookie("session", "")  # the old id is worth nothing now


def test_no_document_for_a_request_that_never_reads_it_and_no_write_for_an_unchanged_one(
    app, mongodb_client
):
    app.get("/session/nothing")
    assert sessions(mongodb_client).count_documents({}) == 0
    app.get("/session/show")  # read, nothing stored: still nothing
    assert sessions(mongodb_client).count_documents({}) == 0
    app.get("/session/put", {"colour": "green"})
    before = writes(mongodb_client)
    for _ in range(3):
        app.get("/session/show")
    assert writes(mongodb_client) == before
    app.get("/session/put", {"colour": "blue"})
    assert writes(mongodb_client) == before + 1  # one write for a change


def test_calls_that_change_nothing_write_nothing(app, mongodb_client):
    app.get("/session/put", {"colour": "green"})
    app.get("/session/flash", {"message": "hello"})
    before = writes(mongodb_client)
    app.get("/session/unchanged")
    app.get("/session/drop", {"key": "absent"})
    assert writes(mongodb_client) == before
    app.get("/session/drop", {"key": "colour"})  # there: one write
    assert writes(mongodb_client) == before + 1
    assert "colour" not in app.get("/session/show").text


def test_flash_messages(app):
    app.get("/session/flash", {"message": "saved"})
    assert app.get("/session/messages").text == "['saved']"
    assert app.get("/session/messages").text == "[]"


def test_csrf_tokens_live_in_the_session(build_app):
    app = TestApp(build_app("tests.session_views", "tests.test_sessions", **SETTINGS))
    app.post("/session/guarded", status=400)  # no token
    token = app.get("/session/csrf_token").text
    app.post("/session/guarded", {"csrf_token": "wrong"}, status=400)
    assert app.post("/session/guarded", {"csrf_token": token}).text == "accepted"


def includeme(config: Configurator) -> None:
    config.set_default_csrf_options(require_csrf=True)


def test_two_requests_changing_different_keys_at_once_both_keep_their_change(app, mongodb_client):
    app.get("/session/put", {"start": "1"})
    cookie = app.cookies["session"]

    def change(key):
        client = TestApp(app.app)
        client.set_cookie("session", cookie)
        client.get("/session/put", {key: key})

    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(change, ["left", "right"]))
    (stored,) = sessions(mongodb_client).find()
    assert stored["data"] == {"start": "1", "left": "left", "right": "right"}


def test_the_outage_page_when_the_session_is_needed(app, build_app):
    app.get("/session/put", {"colour": "green"})
    settings = {**SETTINGS, "mongodb.url": f"mongodb://127.0.0.1:{free_port()}/"}
    settings["mongodb.serverSelectionTimeoutMS"] = "300"
    down = TestApp(build_app("tests.session_views", **settings))
    down.set_cookie("session", app.cookies["session"])
    assert down.get("/session/nothing").text == "no session"
    assert "database is unavailable" in down.get("/session/show", status=503).text


def test_an_applications_own_session_factory_is_kept(mongodb_url, mongodb_client, clean_env):
    mongodb_client.drop_database(TEST_DB)
    settings = {**SETTINGS, "mongodb.url": mongodb_url, "mongodb.db_name": TEST_DB}
    with Configurator(settings=settings) as config:
        config.include("pyramid_mongo")
        config.include("tests.session_views")
        config.set_session_factory(SignedCookieSessionFactory("x" * 40))
        wsgi_app = config.make_wsgi_app()
    try:
        TestApp(wsgi_app).get("/session/put", {"colour": "green"})
        assert sessions(mongodb_client).count_documents({}) == 0  # the cookie holds it
    finally:
        get_connection(wsgi_app.registry).close()


def test_a_short_secret_is_refused(build_app):
    with pytest.raises(ConfigurationError, match="session_secret must be at least 32"):
        build_app("tests.session_views", **{"mongodb.session_secret": "short"})


def test_the_secret_shows_nowhere(build_app):
    app = build_app("tests.session_views", **SETTINGS)
    assert SECRET not in repr(dict(app.registry.settings))


class TestTheSecretIsTheDeployments:
    def build(self, monkeypatch, environ=None, **settings):
        monkeypatch.delenv("MONGODB_URL", raising=False)
        monkeypatch.delenv("MONGODB_SESSION_SECRET", raising=False)
        for name, value in (environ or {}).items():
            monkeypatch.setenv(name, value)
        settings = {"mongodb.url": "mongodb://127.0.0.1:1/shop", **settings}
        with Configurator(settings=settings) as config:
            config.include("pyramid_mongo")
        connection = get_connection(config.registry)
        connection.close()
        return connection.settings.sessions

    def test_sessions_without_a_secret_name_the_variable(self, monkeypatch):
        with pytest.raises(ConfigurationError) as info:
            self.build(monkeypatch, **{"mongodb.sessions": "true"})
        assert "MONGODB_SESSION_SECRET" in str(info.value)

    def test_the_environment_gives_it(self, monkeypatch):
        secret = "e" * 40
        sessions = self.build(
            monkeypatch, {"MONGODB_SESSION_SECRET": secret}, **{"mongodb.sessions": "true"}
        )
        assert sessions.secret == secret
        with pytest.raises(ConfigurationError, match=r"^MONGODB_SESSION_SECRET must be at least"):
            self.build(
                monkeypatch, {"MONGODB_SESSION_SECRET": "short"}, **{"mongodb.sessions": "on"}
            )

    def test_no_sessions_unless_asked_whatever_the_environment(self, monkeypatch):
        assert self.build(monkeypatch, {"MONGODB_SESSION_SECRET": "e" * 40}) is None

    def test_a_development_machine_keeps_one_in_a_file_of_its_own(self, monkeypatch, tmp_path):
        path = tmp_path / "var" / "session-secret"
        first = self.build(monkeypatch, **{"mongodb.session_secret_file": str(path)})
        assert len(first.secret) >= 32
        assert path.stat().st_mode & 0o777 == 0o600
        again = self.build(monkeypatch, **{"mongodb.session_secret_file": str(path)})
        assert again.secret == first.secret
        settings = {"mongodb.session_secret_file": str(path)}
        from_environ = self.build(monkeypatch, {"MONGODB_SESSION_SECRET": "e" * 40}, **settings)
        assert from_environ.secret == "e" * 40  # the deployment's word wins
