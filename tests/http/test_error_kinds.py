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
    return TestApp(build_app("pyramid_mongo.http", *includes, **settings))


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
    assert page.content_type == "text/html" and "without its token" in page.text
    json = {"Accept": "application/json"}
    problem = app.post("/session/guarded", {"csrf_token": "old"}, headers=json, status=400)
    assert problem.content_type == PROBLEM and "without its token" in problem.json["detail"]


def test_without_the_http_include_pyramids_own_answers_stand(build_app):
    """pyramid_mongo alone does MongoDB's work: a stale CSRF token is
    Pyramid's own 400 page, whatever the client prefers, and undecodable
    text is Pyramid's to handle (it reaches the WSGI server as an error)."""
    settings = {"mongodb.session_secret": "s" * 40}
    includes = ("tests.hostile_views", "tests.session_views", "tests.test_sessions")
    app = TestApp(build_app(*includes, **settings))
    json = {"Accept": "application/json"}
    answer = app.post("/session/guarded", {"csrf_token": "old"}, headers=json, status=400)
    assert answer.content_type != PROBLEM
    assert "without its token" not in answer.text
    with pytest.raises(UnicodeDecodeError):
        app.get("/hostile/echo_query?q=%ff")


def test_an_error_page_the_application_names(build_app, tmp_path):
    """config.add_error_page: a browser gets the application's page, with
    the status's heading, the message and each field's error; JSON clients
    still get problem details."""
    (tmp_path / "any.jinja2").write_text(
        "<h1>{{ status }} {{ heading }}</h1><p>{{ message }}</p>"
        "{% for e in errors %}<li>{{ e.pointer }}={{ e.message }}</li>{% endfor %}"
    )
    (tmp_path / "stale.jinja2").write_text("<h1>{{ heading }}</h1>")
    settings = {
        "mongodb.session_secret": "s" * 40,
        "mongodb.max_json_size": "1K",
        "jinja2.directories": str(tmp_path),
    }

    def pages(config):
        config.add_error_page("any.jinja2")
        config.add_error_page("stale.jinja2", status=400)

    app = TestApp(
        build_app(
            "pyramid_jinja2",
            "pyramid_mongo.http",
            "tests.hostile_views",
            "tests.session_views",
            "tests.test_sessions",
            pages,
            **settings,
        )
    )
    stale = app.post("/session/guarded", {"csrf_token": "old"}, status=400)
    assert stale.text == "<h1>This form has expired</h1>"
    large = app.post(
        "/hostile/store_json", b" " * 2048, headers={"Content-Type": "text/plain"}, status=413
    )
    assert large.content_type == "text/html"
    assert large.text == (
        "<h1>413 Request Entity Too Large</h1><p>The JSON body is larger than 1024 bytes.</p>"
    )
    problem = app.post(
        "/session/guarded",
        {"csrf_token": "old"},
        headers={"Accept": "application/json"},
        status=400,
    )
    assert problem.content_type == PROBLEM
