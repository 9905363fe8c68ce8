"""One rule for the kind of an error: JSON (RFC 9457 problem details) for a
request that sends JSON, for the JSON API's paths, for a client that prefers
JSON; a page for the rest."""

import pytest
from webtest import TestApp

PROBLEM = "application/problem+json"
FORM = "application/x-www-form-urlencoded"
TOO_LONG = b"name=" + b"x" * 60  # store_field takes 50 characters at most


@pytest.fixture
def app(build_app) -> TestApp:
    settings = {"mongodb.json_paths": "/api/ /hostile/echo", "mongodb.session_secret": "s" * 40}
    includes = ("tests.hostile_views", "tests.session_views", "tests.test_sessions")
    return TestApp(build_app(*includes, **settings))


@pytest.mark.parametrize(
    ("path", "body", "headers", "kind"),
    [
        # curl's default Accept (*/*), with a JSON body
        ("/hostile/store_json", b"{", {"Content-Type": "application/json"}, PROBLEM),
        ("/hostile/store_json", b"{", {"Content-Type": "application/vnd.x+json"}, PROBLEM),
        ("/hostile/store_field", TOO_LONG, {"Accept": "application/json"}, PROBLEM),
        ("/hostile/store_field", TOO_LONG, {"Accept": "text/html"}, "text/html"),
        ("/hostile/store_field", TOO_LONG, {}, "text/html"),
    ],
    ids=["sends-json", "sends-json-subtype", "accepts-json", "browser", "no-accept"],
)
def test_the_kind_of_an_error(app, path, body, headers, kind):
    headers.setdefault("Content-Type", FORM)
    response = app.post(path, body, headers=headers, status=400)
    assert response.content_type == kind
    if kind == PROBLEM:
        problem = response.json
        assert problem["status"] == 400 and problem["title"] == "Bad Request"
        assert problem["detail"] == problem["message"]


def test_the_json_apis_paths_answer_json_to_browsers_too(app):
    response = app.get("/hostile/echo_query?q=%ff", headers={"Accept": "text/html"}, status=400)
    assert response.content_type == PROBLEM
    assert "not UTF-8" in response.json["detail"]


def test_a_stale_csrf_token_is_a_400_in_the_clients_kind(app):
    page = app.post("/session/guarded", {"csrf_token": "old"}, status=400)
    assert page.content_type == "text/html" and "CSRF token" in page.text
    json = {"Accept": "application/json"}
    problem = app.post("/session/guarded", {"csrf_token": "old"}, headers=json, status=400)
    assert problem.content_type == PROBLEM and "CSRF token" in problem.json["detail"]
