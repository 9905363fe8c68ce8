"""GridFS: ``request.fs``, serving stored files, and storing uploads.

A stored file is sent chunk by chunk as the server reads the body, never read
whole into memory. A GridFS file never changes once written (a new upload of
the same name is a new revision, with a new id), so its id is a strong ETag
that needs no read of the content at all.
"""

from __future__ import annotations

import email.message
import logging
import os
from collections.abc import Iterator
from typing import Any

from gridfs import GridOut, NoFile
from pymongo.errors import ConnectionFailure, PyMongoError
from pyramid.httpexceptions import HTTPBadRequest, HTTPNotFound, HTTPRequestEntityTooLarge
from pyramid.request import Request
from pyramid.response import Response
from webob.request import DisconnectionError

from ..settings import get_settings
from .conditional import evaluate, http_date
from .inputs import seekable_body
from .media import content_disposition, content_type_of, inline_safe, still_utf8, utf8_check

log = logging.getLogger(__name__)

READ_SIZE = 256 * 1024
# The multipart envelope around an upload: a request this much larger than
# the limit cannot hold a file within it.
_FORM_OVERHEAD = 16 * 1024


class GridOutBody:
    """A response body read from a GridFS file as the server sends it.

    The first chunk is read before the view returns, so a database that is
    down then gives the outage page (503) instead of a failure inside the WSGI
    server, which could only answer 500. A failure later, with the headers
    sent, can only end the connection: it is logged in one line, and the body
    ends short of its Content-Length, which makes the server close it.
    """

    def __init__(self, grid_out: GridOut, start: int, stop: int) -> None:
        self.grid_out = grid_out
        self.remaining = stop - start
        grid_out.seek(start)
        self.first = self._read()

    def _read(self) -> bytes:
        chunk = self.grid_out.read(min(READ_SIZE, self.remaining)) if self.remaining > 0 else b""
        self.remaining -= len(chunk)
        return chunk

    def __iter__(self) -> Iterator[bytes]:
        chunk = self.first
        while chunk:
            yield chunk
            try:
                chunk = self._read()
            except PyMongoError as exc:
                log.error(
                    "GridFS file %s: reading stopped after the response began (%s)",
                    self.grid_out._id,
                    type(exc).__name__,
                )
                return

    def close(self) -> None:
        self.grid_out.close()


def file_response(
    request: Request,
    filename: str | None = None,
    *,
    file_id: Any = None,
    revision: int = -1,
    cache_max_age: int = 3600,
    content_type: str | None = None,
    attachment: bool | None = None,
) -> Response:
    """A response serving a GridFS file: by name (the latest revision, or
    ``revision`` as GridFS numbers them: 0 the first, -1 the latest) or by id.

    It answers preconditions and byte ranges as RFC 9110 says (304, 412, 206,
    416), and 404 when there is no such file. A stored file is never rendered
    inline as active content: ``X-Content-Type-Options: nosniff`` always, and
    a type a browser would render as a document or run (HTML, SVG, XML,
    JavaScript, ...) is sent as an attachment unless ``attachment=False``
    asks for inline explicitly.
    """
    if (filename is None) == (file_id is None):
        raise TypeError("file_response needs a filename or a file_id, not both")
    try:
        if file_id is not None:
            grid_out = request.fs.open_download_stream(file_id)
        else:
            grid_out = request.fs.open_download_stream_by_name(filename, revision=revision)
    except NoFile:
        raise HTTPNotFound() from None
    etag = f'"{grid_out._id}"'
    outcome = evaluate(request.method, request.headers, etag, grid_out.upload_date, grid_out.length)
    response = Response(status=outcome.status)
    response.headers["ETag"] = etag
    response.headers["Last-Modified"] = http_date(grid_out.upload_date)
    response.headers["Accept-Ranges"] = "bytes"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.cache_expires(cache_max_age)
    if outcome.status in (304, 412, 416):
        grid_out.close()
        response.app_iter = []
        if outcome.status == 416:
            response.headers["Content-Range"] = f"bytes */{grid_out.length}"
        return response
    media_type = content_type or _content_type(grid_out)
    response.headers["Content-Type"] = media_type
    if attachment or (attachment is None and not inline_safe(media_type)):
        response.headers["Content-Disposition"] = content_disposition(grid_out.filename)
    if outcome.status == 206:
        last = outcome.stop - 1
        response.headers["Content-Range"] = f"bytes {outcome.start}-{last}/{grid_out.length}"
    if request.method == "HEAD":
        grid_out.close()
        response.app_iter = []
    else:
        response.app_iter = GridOutBody(grid_out, outcome.start, outcome.stop)
    response.content_length = outcome.stop - outcome.start
    return response


def _content_type(grid_out: GridOut) -> str:
    stored = (grid_out.metadata or {}).get("contentType")
    return stored or content_type_of(grid_out.filename or "")


def save_upload(
    request: Request,
    field: str = "file",
    *,
    max_size: int | None = None,
    filename: str | None = None,
    metadata: dict[str, Any] | None = None,
) -> Any:
    """Store the file of a multipart form field in ``request.fs``; return its id.

    A file over ``max_size`` bytes (``mongodb.max_upload_size`` by default) is
    answered with 413, and an upload that fails for any reason is aborted, so
    no half-written file is left behind. The upload is consumed: its temporary
    file is closed once stored.
    """
    if max_size is None:
        max_size = get_settings(request.registry).max_upload_size
    if request.content_length and request.content_length > max_size + _FORM_OVERHEAD:
        raise HTTPRequestEntityTooLarge(_too_large(max_size))
    upload = _form_field(request, field)
    name = filename or os.path.basename(upload.filename or "") or "upload"
    stored_metadata = {"contentType": upload.type or content_type_of(name), **(metadata or {})}
    grid_in = request.fs.open_upload_stream(name, metadata=stored_metadata)
    text = utf8_check(stored_metadata["contentType"])
    size = 0
    try:
        while chunk := upload.file.read(READ_SIZE):
            size += len(chunk)
            if size > max_size:
                raise HTTPRequestEntityTooLarge(_too_large(max_size))
            text = text and still_utf8(text, chunk)
            grid_in.write(chunk)
        if text and still_utf8(text, b"", final=True):
            # Browsers send text without its charset, and read it as their
            # locale's without one: UTF-8 text says so when served.
            stored_metadata["contentType"] += "; charset=utf-8"
            grid_in.metadata = stored_metadata
        grid_in.close()
    except BaseException as exc:
        # GridFS writes a chunk once it has a whole one: before that there is
        # nothing to remove, and a database that is down is not asked twice.
        if size >= grid_in.chunk_size or not isinstance(exc, ConnectionFailure):
            try:
                grid_in.abort()
            except PyMongoError:
                log.warning("could not remove the chunks of the failed upload %r", name)
        raise
    finally:
        upload.file.close()  # WebOb's temporary file: it is in GridFS now, or refused
    return grid_in._id


def _form_field(request: Request, field: str) -> Any:
    """The form's file field, from a body that is whole and well formed, or 400.

    The multipart parser takes a body cut short as complete, so the body is
    checked first: all of its Content-Length, and the closing boundary."""
    boundary = _boundary(request)
    try:
        body = seekable_body(request)
        body.seek(0, os.SEEK_END)
        received = body.tell()
        body.seek(max(received - len(boundary) - 64, 0))
        tail = body.read()
        body.seek(0)
    except (OSError, ValueError, DisconnectionError):
        raise HTTPBadRequest("the upload was cut short") from None
    if request.content_length is not None and received < request.content_length:
        raise HTTPBadRequest("the upload is shorter than its Content-Length")
    if b"--" + boundary + b"--" not in tail:
        raise HTTPBadRequest("the upload was cut short before its closing boundary")
    try:
        upload = request.POST.get(field)
        if getattr(getattr(upload, "file", None), "closed", False):
            # A retried request (pyramid_retry) finds the form its first
            # attempt parsed, and stored: parse the body again.
            request.environ.pop("webob._parsed_post_vars", None)
            upload = request.POST.get(field)
    except (ValueError, TypeError, KeyError, IndexError, UnicodeError) as exc:
        raise HTTPBadRequest(f"the upload cannot be read: {exc}") from None
    if not hasattr(upload, "file"):
        raise HTTPBadRequest(f"the form has no file in its field {field!r}")
    return upload


def _boundary(request: Request) -> bytes:
    header = email.message.Message()
    header["Content-Type"] = request.headers.get("Content-Type", "")
    boundary = header.get_param("boundary")
    if header.get_content_type() != "multipart/form-data" or not isinstance(boundary, str):
        raise HTTPBadRequest("an upload must be multipart/form-data, with a boundary")
    try:
        return boundary.encode("ascii")
    except UnicodeError:
        raise HTTPBadRequest("the multipart boundary must be ASCII") from None


def _too_large(max_size: int) -> str:
    return f"The file is larger than the limit of {max_size} bytes."
