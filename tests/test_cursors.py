"""The cursors a request opened are closed on the server when it is over."""

import gc

import pytest
from webtest import TestApp

from tests import views_under_test
from tests.conftest import TEST_DB, open_cursor_count


@pytest.fixture
def seeded(views_app: TestApp) -> TestApp:
    views_app.post("/seed", {"count": "50"}, status=204)
    return views_app


@pytest.fixture(autouse=True)
def forget_kept_cursors():
    yield
    views_under_test.kept_cursors.clear()
    gc.collect()


def test_the_server_sees_a_kept_cursor_that_nobody_closes(seeded, mongodb_client):
    # The measurement itself: a cursor left open shows in serverStatus.
    before = open_cursor_count(mongodb_client)
    cursor = mongodb_client[TEST_DB].items.find().batch_size(2)
    next(cursor)
    assert open_cursor_count(mongodb_client) == before + 1
    cursor.close()
    assert open_cursor_count(mongodb_client) == before


def test_cursors_are_closed_after_a_normal_response(seeded, mongodb_client):
    before = open_cursor_count(mongodb_client)
    assert seeded.get("/keep").text == "7 cursors open"
    assert open_cursor_count(mongodb_client) == before


def test_cursors_are_closed_after_an_exception_view_ran(seeded, mongodb_client):
    before = open_cursor_count(mongodb_client)
    seeded.get("/keep_then_fail", status=418)
    assert open_cursor_count(mongodb_client) == before


def test_cursors_are_closed_after_a_view_raised(seeded, mongodb_client):
    before = open_cursor_count(mongodb_client)
    with pytest.raises(RuntimeError, match="a bug"):
        seeded.get("/keep_then_crash")
    assert open_cursor_count(mongodb_client) == before


def test_a_streamed_body_sends_every_document_then_closes_its_cursor(seeded, mongodb_client):
    before = open_cursor_count(mongodb_client)
    response = seeded.get("/stream")
    assert response.text.split() == [str(n) for n in range(50)]
    assert open_cursor_count(mongodb_client) == before


def test_a_body_abandoned_half_way_still_closes_its_cursor(seeded, mongodb_client):
    before = open_cursor_count(mongodb_client)
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": "/stream",
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "80",
        "wsgi.url_scheme": "http",
    }
    body = seeded.app(environ, lambda status, headers, exc_info=None: None)
    assert next(iter(body)) == b"0\n"
    assert open_cursor_count(mongodb_client) == before + 1  # still streaming
    body.close()  # the client went away; the WSGI server closes the body
    assert open_cursor_count(mongodb_client) == before


@pytest.mark.slow
def test_ten_thousand_requests_leave_no_cursor_open(seeded, mongodb_client):
    before = open_cursor_count(mongodb_client)
    for n in range(10_000):
        seeded.get("/one_of_each", {"n": str(n)})
    assert len(views_under_test.kept_cursors) == 1000  # each still referenced
    assert open_cursor_count(mongodb_client) == before
