"""What a client can send, through a real app on a real server: a 4xx that
names the problem, in time linear in the input, and nothing stored."""

import http.client
import time

import pytest
from webtest import TestApp

from tests.conftest import TEST_DB
from tests.serving import INI, Served

JSON = "application/json"
DEEP = "[" * 101 + "]" * 101

# (body, content type, status): each refused, and nothing stored.
BODIES = [
    (DEEP.encode(), JSON, 400),
    (b'{"a": 1', JSON, 400),
    (b"\xff\xfe", JSON, 400),
    (b'{"a": "\xe9"}', JSON + "; charset=utf-8", 400),
    (b"{}", JSON + "; charset=base64", 415),
    (b"{}", JSON + "; charset=no-such-encoding", 415),
    (b'{"n": 18446744073709551616}', JSON, 400),
    (b'{"n": ' + b"9" * 5000 + b"}", JSON, 400),
    (b'{"a\\u0000b": 1}', JSON, 400),
    (b'{"a": "\\ud800"}', JSON, 400),
    (b'["' + b"x" * (1024 * 1024) + b'"]', JSON, 413),
    # The quadratic cases of a nesting scan that does not stop: strings
    # that never end, a body of quotes and backslashes.
    (b'"\\"' * 20000, JSON, 400),
    (b'["' + b'\\"' * 30000, JSON, 400),
    (b'[{"a":"' * 5000, JSON, 400),
]


@pytest.fixture
def app(build_app) -> TestApp:
    settings = {"mongodb.max_json_size": "1M", "mongodb.session_secret": "s" * 40}
    return TestApp(build_app("pyramid_mongo.http", "tests.hostile_views", **settings))


def stored(mongodb_client) -> int:
    return mongodb_client[TEST_DB].received.count_documents({})


@pytest.mark.parametrize(("body", "content_type", "status"), BODIES)
def test_a_bad_json_body(app, mongodb_client, body, content_type, status):
    started = time.monotonic()
    response = app.post(
        "/hostile/store_json", body, headers={"Content-Type": content_type}, status=status
    )
    assert time.monotonic() - started < 2
    assert response.status_int == status
    assert stored(mongodb_client) == 0


def test_json_errors_say_what_is_wrong_in_json(app):
    response = app.post(
        "/hostile/store_json",
        DEEP,
        headers={"Content-Type": JSON, "Accept": JSON},
        status=400,
    )
    assert "nested deeper than 100" in response.json["message"]


def test_a_good_json_body_is_stored(app, mongodb_client):
    app.post("/hostile/store_json", b'{"n": 9223372036854775807}', content_type=JSON, status=201)
    assert mongodb_client[TEST_DB].received.find_one()["body"] == {"n": 2**63 - 1}


@pytest.mark.parametrize(
    ("fields", "files", "status"),
    [
        ({"name": "x" * 51}, [], 400),
        ({}, [("name", "name.txt", b"a file, not text")], 400),
        ({"name": "fine"}, [], 201),
    ],
    ids=["too-long", "a-file-in-a-text-field", "fine"],
)
def test_form_fields(app, mongodb_client, fields, files, status):
    app.post("/hostile/store_field", fields, upload_files=files, status=status)
    assert stored(mongodb_client) == (1 if status == 201 else 0)


@pytest.mark.parametrize(
    ("path", "environ"),
    [
        ("/hostile/echo_query?q=%ff", {}),
        ("/hostile/echo_query?q=%C3", {}),
        ("/hostile/store_field", {}),
    ],
    ids=["query", "truncated-query", "form"],
)
def test_text_that_is_not_utf8(app, mongodb_client, path, environ):
    if path.endswith("store_field"):
        response = app.post(
            path,
            b"name=%ff%fe",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            extra_environ=environ,
            status=400,
        )
    else:
        response = app.get(path, extra_environ=environ, status=400)
    assert "not UTF-8" in response.text
    assert stored(mongodb_client) == 0


def test_a_cookie_that_is_not_utf8_is_no_cookie(app):
    # WebOb reads such a cookie as empty: the session it names is none.
    assert app.get("/hostile/echo_cookie", extra_environ={"HTTP_COOKIE": "a=\xff"}).text == ""


def test_a_bug_that_decodes_is_still_a_bug(app):
    with pytest.raises(UnicodeDecodeError):
        app.get("/hostile/bug")


@pytest.mark.slow
def test_a_path_that_is_not_utf8_under_waitress(tmp_path):
    from pyramid_mongo.devserver import free_port

    port = free_port()
    ini = tmp_path / "development.ini"
    ini.write_text(INI.format(port=port))
    served = Served(ini)
    try:
        served.hits()
        for path in ("/%ff", "/items/%ff%fe", "/files/%c3"):
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            connection.request("GET", path)
            answer = connection.getresponse()
            assert answer.status == 400, (path, answer.status)
            assert b"not UTF-8" in answer.read()
            connection.close()
    finally:
        served.stop()


@pytest.mark.parametrize(
    ("path", "status", "message"),
    [
        ("/hostile/validated?n=x", 422, "does not meet the collection's rules"),
        ("/hostile/twice", 409, "same unique key"),
        ("/hostile/overflow", 400, "cannot apply this change"),
    ],
)
def test_a_write_the_server_refuses_for_its_data(app, mongodb_client, path, status, message):
    mongodb_client[TEST_DB].create_collection(
        "validated", validator={"$jsonSchema": {"properties": {"n": {"bsonType": "int"}}}}
    )
    response = app.get(path, headers={"Accept": JSON}, status=status)
    assert message in response.json["message"]
    assert mongodb_client[TEST_DB].validated.count_documents({}) == 0
