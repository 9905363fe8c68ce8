"""The edge of the HTTP policy: allowed hosts, security headers, the page of
every error, the CSRF token and form fields that arrive as files."""

import html

import pytest
from pyramid.exceptions import ConfigurationError
from webtest import TestApp, Upload

from pyramid_mongo.http.edge import host_problem
from pyramid_mongo.settings import parse_settings

ALLOWED = "example.com .shop.example 127.0.0.1 [::1]"
INCLUDES = (
    "pyramid_mongo.http",
    "tests.hostile_views",
    "tests.session_views",
    "tests.test_sessions",
)
SECRET = {"mongodb.session_secret": "s" * 40}


@pytest.fixture
def app(build_app) -> TestApp:
    settings = {"mongodb.allowed_hosts": ALLOWED, **SECRET}
    return TestApp(build_app(*INCLUDES, **settings), extra_environ={"HTTP_HOST": "example.com"})


@pytest.mark.parametrize(
    "host",
    [
        "example.com",
        "EXAMPLE.com:8080",
        "example.com.",
        "shop.example",
        "a.b.shop.example",
        "127.0.0.1:6543",
        "[::1]:80",
    ],
)
def test_a_listed_host_is_answered(app, host):
    app.get("/hostile/echo_query?q=ok", extra_environ={"HTTP_HOST": host}, status=200)


@pytest.mark.parametrize(
    ("host", "said"),
    [
        ("evil.example", "does not answer for the host 'evil.example'"),
        ("notexample.com", "does not answer for the host"),
        ("example.com.evil.example", "does not answer for the host"),
        ("", "no Host header"),
        ("example.com, evil.example", "more than one Host header"),
        ("exa mple.com", "not a host name"),
        ("example.com:80:80", "not a host name"),
        ("<script>", "not a host name"),
    ],
)
def test_any_other_host_is_a_400_before_a_view_runs(app, mongodb_client, host, said):
    page = app.post(
        "/hostile/store_field", {"name": "x"}, extra_environ={"HTTP_HOST": host}, status=400
    )
    assert said in html.unescape(page.text) and page.content_type == "text/html"
    assert "<script>" not in page.text
    assert mongodb_client.pyramid_mongo_test.received.count_documents({}) == 0
    assert page.headers["X-Content-Type-Options"] == "nosniff"  # the refusal has them too
    problem = app.get(
        "/hostile/echo_query",
        headers={"Accept": "application/json"},
        extra_environ={"HTTP_HOST": host},
        status=400,
    )
    assert problem.content_type == "application/problem+json" and said in problem.json["detail"]


def test_a_missing_host_header_is_a_400(app):
    environ = {"HTTP_HOST": ""}
    app.get("/hostile/echo_query", extra_environ=environ, status=400)


def test_the_environment_wins_over_the_ini_file():
    settings = {"mongodb.url": "mongodb://h/db", "mongodb.allowed_hosts": "a.example"}
    parsed = parse_settings(settings, environ={"MONGODB_ALLOWED_HOSTS": "b.example, c.example"})
    assert parsed.web.allowed_hosts == ("b.example", "c.example")
    assert parse_settings(settings, environ={}).web.allowed_hosts == ("a.example",)
    assert parse_settings({"mongodb.url": "mongodb://h/db"}, environ={}).web.allowed_hosts is None


@pytest.mark.parametrize("value", ["http://example.com", "example.com:80", "exa_mple.com", " , "])
def test_a_wrong_host_name_stops_start_up_naming_the_key(value):
    with pytest.raises(ConfigurationError, match=r"^mongodb\.allowed_hosts"):
        parse_settings({"mongodb.url": "mongodb://h/db", "mongodb.allowed_hosts": value}, {})


def test_host_problem_matches_subdomains_only_where_asked():
    assert host_problem("www.example.com", ("example.com",)) is not None
    assert host_problem("www.example.com", (".example.com",)) is None
    assert host_problem("example.com", (".example.com",)) is None


def test_every_answer_has_the_security_headers(app):
    for response in (
        app.get("/hostile/echo_query?q=ok"),
        app.get("/no/such/page", status=404),
        app.post("/hostile/store_field", {"name": "x" * 60}, status=400),
    ):
        headers = response.headers
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["X-Frame-Options"] == "DENY"
        assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
        assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
        assert "Strict-Transport-Security" not in headers  # over plain HTTP


def test_hsts_over_https_only_and_as_configured(build_app):
    app = TestApp(build_app(*INCLUDES, **{"mongodb.hsts_max_age": "600", **SECRET}))
    https = app.get("/hostile/echo_query", extra_environ={"wsgi.url_scheme": "https"})
    assert https.headers["Strict-Transport-Security"] == "max-age=600"
    never = TestApp(build_app(*INCLUDES, **{"mongodb.hsts_max_age": "0", **SECRET}))
    quiet = never.get("/hostile/echo_query", extra_environ={"wsgi.url_scheme": "https"})
    assert "Strict-Transport-Security" not in quiet.headers


def test_a_csrf_token_sent_as_a_file_is_a_400_naming_the_field(app):
    app.get("/session/put?key=a&value=b")  # a session, so a token to check against
    page = app.post(
        "/session/guarded", upload_files=[("csrf_token", "token.txt", b"x")], status=400
    )
    assert "'csrf_token' must be text" in html.unescape(page.text)


def test_a_form_field_sent_as_a_file_is_a_400_naming_the_field(app, mongodb_client):
    page = app.post("/hostile/store_field", {"name": Upload("n.txt", b"x")}, status=400)
    assert "'name' must be text" in html.unescape(page.text)
    assert mongodb_client.pyramid_mongo_test.received.count_documents({}) == 0


def test_pyramids_own_errors_get_the_pages_of_the_policy(app):
    problem = app.get("/no/such/page", headers={"Accept": "application/json"}, status=404)
    assert problem.content_type == "application/problem+json"
    assert problem.json["status"] == 404
