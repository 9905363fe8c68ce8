"""CSRF tokens with pyramid_mongo's sessions: a signed cookie bound to the
session, never a session document; against the real server."""

from pyramid.config import Configurator
from pyramid.csrf import CookieCSRFStoragePolicy, get_csrf_token
from pyramid.interfaces import ICSRFStoragePolicy
from pyramid.response import Response
from webtest import TestApp

from pyramid_mongo.csrf import COOKIE_NAME, SignedCookieCSRFPolicy
from tests.test_sessions import SETTINGS, sessions, writes


def token_view(request):
    return Response(get_csrf_token(request))


def includeme(config: Configurator) -> None:
    config.set_default_csrf_options(require_csrf=True)
    config.add_route("csrf.token", "/csrf/token")
    config.add_view(token_view, route_name="csrf.token", require_csrf=False)


def guarded_app(build_app, *more):
    return TestApp(build_app("tests.session_views", "tests.test_csrf", *more, **SETTINGS))


def reads(mongodb_client) -> int:
    return mongodb_client.admin.command("serverStatus")["opcounters"]["query"]


def test_a_page_with_a_form_neither_reads_nor_writes_a_session(build_app, mongodb_client):
    app = guarded_app(build_app)
    before = reads(mongodb_client), writes(mongodb_client)
    first = app.get("/csrf/token")
    token = first.text
    cookie = first.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "secure" not in cookie.lower()
    assert app.post("/session/guarded", {"csrf_token": token}).text == "accepted"
    assert app.get("/csrf/token").text == token  # the same while the session is
    assert app.get("/csrf/token").text == token  # request.session's: the same
    assert (reads(mongodb_client), writes(mongodb_client)) == before
    assert sessions(mongodb_client).count_documents({}) == 0
    cookie = app.cookies[COOKIE_NAME]
    assert cookie == token


def test_a_token_without_its_cookie_or_not_signed_by_us_is_refused(build_app):
    app = guarded_app(build_app)
    token = app.get("/csrf/token").text
    stranger = TestApp(app.app)  # a forged form: the token, not the cookie
    stranger.post("/session/guarded", {"csrf_token": token}, status=400)
    planted = "made-up.0123456789abcdef"  # from a neighbouring subdomain, say
    stranger.set_cookie(COOKIE_NAME, planted)
    stranger.post("/session/guarded", {"csrf_token": planted}, status=400)
    app.post("/session/guarded", {"csrf_token": token + "x"}, status=400)


def test_a_token_of_another_session_is_refused(build_app):
    alice = guarded_app(build_app)
    alice.get("/session/login", {"user": "alice"})
    alices = alice.get("/csrf/token").text
    mallory = TestApp(alice.app)
    mallory.get("/session/login", {"user": "mallory"})
    # Mallory's session with Alice's token as cookie and field: not theirs.
    mallory.set_cookie(COOKIE_NAME, alices)
    mallory.post("/session/guarded", {"csrf_token": alices}, status=400)
    assert alice.post("/session/guarded", {"csrf_token": alices}).text == "accepted"


def test_a_new_session_id_at_login_and_logout_renews_the_token(build_app, mongodb_client):
    app = guarded_app(build_app)
    before_login = app.get("/csrf/token").text
    app.get("/session/login", {"user": "alice"})
    app.post("/session/guarded", {"csrf_token": before_login}, status=400)
    logged_in = app.get("/csrf/token").text
    assert logged_in != before_login
    assert app.post("/session/guarded", {"csrf_token": logged_in}).text == "accepted"
    app.get("/session/logout")
    app.post("/session/guarded", {"csrf_token": logged_in}, status=400)
    assert app.get("/csrf/token").text not in (logged_in, before_login)


def test_a_policy_of_the_applications_own_is_kept(build_app):
    def own_policy(config):
        config.set_csrf_storage_policy(CookieCSRFStoragePolicy(cookie_name="own"))

    app = guarded_app(build_app, own_policy)
    policy = app.app.registry.queryUtility(ICSRFStoragePolicy)
    assert not isinstance(getattr(policy, "policy", policy), SignedCookieCSRFPolicy)
    token = app.get("/csrf/token").text
    assert app.cookies["own"] == token
    assert app.post("/session/guarded", {"csrf_token": token}).text == "accepted"
