"""file_response against RFC 9110 §13 and §14, checked against the RFC's rules
(not WebOb's output), on files stored in a real server."""

import datetime as dt
import email.utils
import io

import pytest
from webtest import TestApp

from tests.conftest import TEST_DB

CONTENT = bytes(range(256)) * 4  # 1,024 bytes
LENGTH = len(CONTENT)


@pytest.fixture
def served(build_app):
    """An app with one stored file, and its validators."""

    def make(**settings):
        app = TestApp(build_app(**settings))
        created = app.post("/files", upload_files=[("file", "data.bin", CONTENT)], status=201)
        head = app.head("/files/data.bin")
        return app, f'"{created.text}"', head.headers["Last-Modified"]

    return make


def date(text: str, seconds: int = 0) -> str:
    moment = email.utils.parsedate_to_datetime(text) + dt.timedelta(seconds=seconds)
    return email.utils.format_datetime(moment, usegmt=True)


def test_preconditions_in_the_rfcs_order(served):
    app, etag, modified = served()
    cases = [
        ({"If-Match": etag}, 200),
        ({"If-Match": '"other"'}, 412),
        ({"If-Match": f"W/{etag}"}, 412),  # If-Match compares strongly
        ({"If-Match": "*"}, 200),
        ({"If-Unmodified-Since": date(modified, -10)}, 412),
        ({"If-Unmodified-Since": modified}, 200),
        ({"If-Match": etag, "If-Unmodified-Since": date(modified, -10)}, 200),  # If-Match wins
        ({"If-None-Match": etag}, 304),
        ({"If-None-Match": f"W/{etag}"}, 304),  # If-None-Match compares weakly
        ({"If-None-Match": "*"}, 304),
        ({"If-None-Match": '"other", ' + etag}, 304),
        ({"If-None-Match": '"other"'}, 200),
        ({"If-Modified-Since": modified}, 304),
        ({"If-Modified-Since": date(modified, -1)}, 200),
        ({"If-Modified-Since": "not a date"}, 200),
        ({"If-None-Match": '"other"', "If-Modified-Since": modified}, 200),  # INM wins
        ({"If-Match": '"other"', "If-None-Match": etag}, 412),  # step 1 before step 3
        # Empty list elements are ignored (RFC 9110 §5.6.1.2); a quoted comma is no separator.
        ({"If-Match": f', ,"other" , {etag},'}, 200),
        ({"If-None-Match": f",{etag}"}, 304),
        ({"If-None-Match": '"a,b", "c"'}, 200),
        ({"If-Match": '"a,b"'}, 412),
    ]
    for headers, status in cases:
        response = app.get("/files/data.bin", headers=headers, status="*")
        assert response.status_int == status, headers
        if status == 304:
            assert response.body == b"" and response.headers["ETag"] == etag
        if status == 200:
            assert response.body == CONTENT


def test_ranges(served):
    app, _, _ = served()
    cases = [
        ("bytes=0-9", 206, (0, 10)),
        ("bytes=1000-", 206, (1000, LENGTH)),
        ("bytes=1000-5000", 206, (1000, LENGTH)),
        ("bytes=-24", 206, (LENGTH - 24, LENGTH)),
        ("bytes=-5000", 206, (0, LENGTH)),  # a suffix longer than the file: all of it
        ("bytes=-0", 416, None),
        ("bytes=1024-", 416, None),
        ("bytes=-", 200, None),  # malformed: ignored
        ("bytes=abc", 200, None),
        ("bytes=5-1", 200, None),
        ("items=0-1", 200, None),  # an unknown unit
        ("bytes=0-1,5-6", 200, None),  # several ranges: the whole file
        ("bytes=, ,0-9,", 206, (0, 10)),  # empty elements ignored
        ("bytes= , ", 200, None),  # no range at all: malformed
    ]
    for header, status, span in cases:
        response = app.get("/files/data.bin", headers={"Range": header}, status="*")
        assert response.status_int == status, header
        if status == 206:
            start, stop = span
            assert response.body == CONTENT[start:stop], header
            assert response.headers["Content-Range"] == f"bytes {start}-{stop - 1}/{LENGTH}"
            assert response.content_length == stop - start
        elif status == 416:
            assert response.headers["Content-Range"] == f"bytes */{LENGTH}"
        else:
            assert response.body == CONTENT and "Content-Range" not in response.headers


def test_head_ignores_range_and_if_range_decides(served):
    app, etag, modified = served()
    head = app.head("/files/data.bin", headers={"Range": "bytes=0-9"})
    assert head.status_int == 200 and head.content_length == LENGTH
    cases = [
        ({"If-Range": etag}, 206),
        ({"If-Range": f"W/{etag}"}, 200),
        ({"If-Range": '"other"'}, 200),
        ({"If-Range": modified}, 206),
        ({"If-Range": date(modified, 1)}, 200),  # a date applies only when equal
        ({"If-Range": date(modified, -1)}, 200),
    ]
    for headers, status in cases:
        response = app.get("/files/data.bin", headers={"Range": "bytes=0-9", **headers})
        assert response.status_int == status, headers


def test_last_modified_is_the_upload_time_whatever_the_time_zone(served, mongodb_client):
    app, _, modified = served(**{"mongodb.tz_aware": "true", "mongodb.tzinfo": "Asia/Tokyo"})
    stored = mongodb_client[TEST_DB].fs.files.find_one({"filename": "data.bin"})
    uploaded = stored["uploadDate"].replace(tzinfo=dt.UTC, microsecond=0)
    assert email.utils.parsedate_to_datetime(modified) == uploaded
    app.get("/files/data.bin", headers={"If-Modified-Since": modified}, status=304)


@pytest.mark.parametrize(
    ("name", "content_type", "inline"),
    [
        ("page.html", "text/html", False),
        ("image.svg", "image/svg+xml", False),
        ("page.xhtml", "application/xhtml+xml", False),
        ("data.xml", "application/xml", False),
        ("code.js", "text/javascript", False),
        ("photo.png", "image/png", True),
        ("notes.txt", "text/plain", True),
    ],
)
def test_active_content_is_never_inline(build_app, name, content_type, inline):
    app = TestApp(build_app())
    body = b"<script>alert(1)</script>"
    app.post("/files", upload_files=[("file", name, body, content_type)], status=201)
    response = app.get(f"/files/{name}")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    disposition = response.headers.get("Content-Disposition", "")
    assert disposition.startswith("attachment") != inline, disposition


def test_non_ascii_names_use_rfc_6266(build_app):
    app = TestApp(build_app())
    created = app.post("/files", upload_files=[("file", "résumé.pdf", b"%PDF")], status=201)
    response = app.get(f"/files/id/{created.text}")
    disposition = response.headers["Content-Disposition"]
    assert "filename*=UTF-8''r%C3%A9sum%C3%A9.pdf" in disposition
    assert disposition.encode("latin-1").isascii()


def _counts(mongodb_client) -> tuple[int, int]:
    db = mongodb_client[TEST_DB]
    return db.fs.files.count_documents({}), db.fs.chunks.count_documents({})


def _multipart(content: bytes, boundary: str = "XyZ") -> bytes:
    return (
        (
            f"--{boundary}\r\n"
            'Content-Disposition: form-data; name="file"; filename="cut.bin"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        + content
        + f"\r\n--{boundary}--\r\n".encode()
    )


@pytest.mark.parametrize(
    ("body", "content_type", "content_length"),
    [
        (_multipart(b"x" * 1000), "multipart/form-data", None),  # no boundary
        (_multipart(b"x" * 1000)[:-40], "multipart/form-data; boundary=XyZ", None),  # cut short
        (_multipart(b"x" * 1000), "multipart/form-data; boundary=XyZ", 5000),  # shorter than said
        (_multipart(b"x" * 1000), "text/plain", None),
        (b"garbage", "multipart/form-data; boundary=XyZ", None),
    ],
)
def test_a_malformed_upload_is_400_with_nothing_stored(
    views_app, mongodb_client, body, content_type, content_length
):
    before = _counts(mongodb_client)
    response = raw_post(views_app, body, content_type, content_length)
    assert response.status_int == 400, response.text
    assert _counts(mongodb_client) == before


def raw_post(app, body: bytes, content_type: str, content_length: int | None = None):
    environ = {
        "REQUEST_METHOD": "POST",
        "CONTENT_TYPE": content_type,
        "CONTENT_LENGTH": str(content_length or len(body)),
        "wsgi.input": io.BytesIO(body),
    }
    return app.request("/files", environ=environ, status="*")


def test_a_well_formed_raw_upload_is_stored(views_app, mongodb_client):
    body = _multipart(b"x" * 1000)
    response = raw_post(views_app, body, "multipart/form-data; boundary=XyZ")
    assert response.status_int == 201, response.text
    assert _counts(mongodb_client) == (1, 1)


@pytest.mark.slow
def test_an_outage_after_the_view_returns_is_503_not_500(build_app, mongodb_url):
    """The database goes away between the file's metadata and its first chunk."""
    from pyramid_mongo.devserver import EmbeddedServer

    server = EmbeddedServer(":memory:")
    server.start()
    try:
        app = TestApp(
            build_app(**{"mongodb.url": server.url, "mongodb.serverSelectionTimeoutMS": "500"})
        )
        app.post("/files", upload_files=[("file", "data.bin", CONTENT)], status=201)
        from pyramid_mongo.http.files import GridOutBody

        original = GridOutBody.__init__

        def stop_first(self, *args):
            server.stop()
            original(self, *args)

        GridOutBody.__init__ = stop_first
        try:
            response = app.get("/files/data.bin", status="*")
        finally:
            GridOutBody.__init__ = original
        assert response.status_int == 503
    finally:
        server.stop()


@pytest.mark.slow
def test_an_upload_during_an_outage_is_503_within_the_timeout(build_app):
    import time

    from pyramid_mongo.devserver import free_port

    url = f"mongodb://127.0.0.1:{free_port()}/"
    app = TestApp(build_app(**{"mongodb.url": url, "mongodb.serverSelectionTimeoutMS": "700"}))
    started = time.monotonic()
    app.post("/files", upload_files=[("file", "a.bin", b"x" * 100)], status=503)
    assert time.monotonic() - started < 1.4  # one selection timeout, not two
