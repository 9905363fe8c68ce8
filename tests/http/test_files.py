"""GridFS through a real app: request.fs, uploads, and files served as HTTP wants."""

import os

import pytest
from bson import ObjectId
from pyramid.exceptions import ConfigurationError
from webtest import TestApp

from tests.conftest import TEST_DB, open_cursor_count

BIG = os.urandom(700 * 1024)  # three GridFS chunks of 255 KiB


@pytest.fixture
def app(build_app) -> TestApp:
    return TestApp(build_app(**{"mongodb.max_upload_size": "1M"}))


def upload(app, name, content, **query):
    url = "/files?" + "&".join(f"{key}={value}" for key, value in query.items())
    return app.post(url, upload_files=[("file", name, content)], status="*")


def test_an_upload_is_stored_and_served_back(app, mongodb_client):
    created = upload(app, "notes.txt", b"hello, gridfs")
    assert created.status_int == 201
    stored = mongodb_client[TEST_DB].fs.files.find_one({"_id": ObjectId(created.text)})
    assert stored["filename"] == "notes.txt" and stored["length"] == 13

    response = app.get("/files/notes.txt")
    assert response.body == b"hello, gridfs"
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert response.content_length == 13
    assert response.etag == created.text
    assert response.last_modified is not None
    assert response.cache_control.max_age == 3600
    assert response.headers["Accept-Ranges"] == "bytes"


def test_uploaded_utf8_text_is_served_with_its_charset(app):
    upload(app, "cafe.txt", "Café ☕\n".encode() * 40_000)  # across chunks and reads
    assert app.get("/files/cafe.txt").headers["Content-Type"] == "text/plain; charset=utf-8"
    upload(app, "latin.txt", "Café".encode("latin-1"))  # not UTF-8: no charset claimed
    assert app.get("/files/latin.txt").headers["Content-Type"] == "text/plain"
    upload(app, "cut.txt", "é".encode()[:1])  # a character cut short is not UTF-8
    assert app.get("/files/cut.txt").headers["Content-Type"] == "text/plain"
    upload(app, "photo.png", "Café".encode())  # only text says a charset
    assert app.get("/files/photo.png").headers["Content-Type"] == "image/png"


def test_by_id_as_an_attachment_and_by_revision(app):
    first = upload(app, "report.csv", b"a,b\n1,2\n").text
    upload(app, "report.csv", b"a,b\n3,4\n")
    assert app.get("/files/report.csv").body == b"a,b\n3,4\n"
    assert app.get("/files/report.csv", {"revision": "0"}).body == b"a,b\n1,2\n"
    by_id = app.get(f"/files/id/{first}")
    assert by_id.body == b"a,b\n1,2\n"
    assert by_id.headers["Content-Disposition"] == 'attachment; filename="report.csv"'


def test_conditional_requests_get_304(app):
    upload(app, "logo.svg", b"<svg/>")
    first = app.get("/files/logo.svg")
    assert first.headers["Content-Type"] == "image/svg+xml"
    app.get("/files/logo.svg", headers={"If-None-Match": f'"{first.etag}"'}, status=304)
    since = first.headers["Last-Modified"]
    app.get("/files/logo.svg", headers={"If-Modified-Since": since}, status=304)
    app.get("/files/logo.svg", headers={"If-None-Match": '"other"'}, status=200)


def test_byte_ranges_get_206_or_416(app):
    upload(app, "big.bin", BIG)
    part = app.get("/files/big.bin", headers={"Range": "bytes=300000-300009"}, status=206)
    assert part.body == BIG[300000:300010]
    assert part.headers["Content-Range"] == f"bytes 300000-300009/{len(BIG)}"
    tail = app.get("/files/big.bin", headers={"Range": "bytes=-5"}, status=206)
    assert tail.body == BIG[-5:]
    app.get("/files/big.bin", headers={"Range": f"bytes={len(BIG) + 10}-"}, status=416)


def test_a_file_is_streamed_in_pieces_not_read_whole(app, mongodb_client):
    upload(app, "big.bin", BIG)
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": "/files/big.bin",
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "80",
        "wsgi.url_scheme": "http",
    }
    before = open_cursor_count(mongodb_client)
    body = app.app(environ, lambda status, headers, exc_info=None: None)
    pieces = list(body)
    body.close()
    assert b"".join(pieces) == BIG
    assert len(pieces) > 1 and max(map(len, pieces)) <= 256 * 1024
    assert open_cursor_count(mongodb_client) == before


def test_a_missing_file_is_404(app):
    app.get("/files/nothing.txt", status=404)
    app.get(f"/files/id/{ObjectId()}", status=404)


def test_a_too_large_upload_is_413_and_leaves_nothing(app, mongodb_client):
    response = upload(app, "big.bin", BIG + BIG)  # 1.4 MiB against a 1 MiB limit
    assert response.status_int == 413
    # Over the limit only half-way through the file: written chunks are removed.
    response = upload(app, "big.bin", BIG, max_size=str(600 * 1024))
    assert response.status_int == 413
    assert mongodb_client[TEST_DB].fs.files.count_documents({}) == 0
    assert mongodb_client[TEST_DB].fs.chunks.count_documents({}) == 0


def test_a_form_without_the_file_is_400(app):
    app.post("/files", {"other": "x"}, status=400)


def test_request_fs_is_a_bucket_on_request_db(build_app):
    from gridfs import GridFSBucket
    from pyramid.scripting import prepare

    app = build_app()
    with prepare(registry=app.registry) as env:
        assert isinstance(env["request"].fs, GridFSBucket)


@pytest.mark.parametrize("value", ["lots", "0", "-1M", "10T"])
def test_a_bad_upload_limit_is_refused(build_app, value):
    with pytest.raises(ConfigurationError, match=r"^mongodb\.max_upload_size must be a size"):
        build_app(**{"mongodb.max_upload_size": value})
