"""GridFS: ``request.fs``, serving stored files, and storing uploads.

A stored file is sent chunk by chunk as the server reads the body, never read
whole into memory. A GridFS file never changes once written (a new upload of
the same name is a new revision, with a new id), so its id is a strong ETag
that needs no read of the content at all.
"""

from __future__ import annotations

import logging
import mimetypes
import os
from collections.abc import Iterator
from typing import Any

from gridfs import GridFSBucket, GridOut, NoFile
from pymongo.errors import PyMongoError
from pyramid.httpexceptions import HTTPBadRequest, HTTPNotFound, HTTPRequestEntityTooLarge
from pyramid.request import Request
from pyramid.response import Response

log = logging.getLogger(__name__)

READ_SIZE = 256 * 1024
# The multipart envelope around an upload: a request this much larger than
# the limit cannot hold a file within it.
_FORM_OVERHEAD = 16 * 1024


def request_fs(request: Request) -> GridFSBucket:
    """request.fs: the GridFS bucket "fs" of request.db."""
    return GridFSBucket(request.db)


class GridOutBody:
    """A response body read from a GridFS file as the server sends it."""

    def __init__(self, grid_out: GridOut) -> None:
        self.grid_out = grid_out

    def __iter__(self) -> Iterator[bytes]:
        return self.app_iter_range(0, None)

    def app_iter_range(self, start: int | None, stop: int | None) -> Iterator[bytes]:
        """WebOb serves byte ranges (206) through this, seeking instead of reading."""
        start = start or 0
        stop = self.grid_out.length if stop is None else min(stop, self.grid_out.length)
        self.grid_out.seek(start)
        remaining = stop - start
        while remaining > 0:
            chunk = self.grid_out.read(min(READ_SIZE, remaining))
            if not chunk:
                break
            remaining -= len(chunk)
            yield chunk

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
    attachment: bool = False,
) -> Response:
    """A response serving a GridFS file: by name (the latest revision, or
    ``revision`` as GridFS numbers them: 0 the first, -1 the latest) or by id.

    It answers conditional requests (304) and single byte ranges (206, 416),
    and 404 when there is no such file.
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
    response = Response(conditional_response=True)
    response.app_iter = GridOutBody(grid_out)
    response.content_length = grid_out.length
    response.headers["Content-Type"] = content_type or _content_type(grid_out)
    response.etag = str(grid_out._id)
    response.last_modified = grid_out.upload_date
    response.accept_ranges = "bytes"
    response.cache_expires(cache_max_age)
    if attachment:
        response.content_disposition = f'attachment; filename="{_safe_name(grid_out.filename)}"'
    return response


def _content_type(grid_out: GridOut) -> str:
    stored = (grid_out.metadata or {}).get("contentType")
    return stored or _content_type_of(grid_out.filename or "")


def _safe_name(name: str | None) -> str:
    return "".join(char for char in name or "download" if char not in '"\\\r\n')


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
        from .request import get_connection

        max_size = get_connection(request.registry).settings.max_upload_size
    if request.content_length and request.content_length > max_size + _FORM_OVERHEAD:
        raise HTTPRequestEntityTooLarge(_too_large(max_size))
    upload = request.POST.get(field)
    if not hasattr(upload, "file"):
        raise HTTPBadRequest(f"the form has no file in its field {field!r}")
    name = filename or os.path.basename(upload.filename or "") or "upload"
    stored_metadata = {"contentType": upload.type or _content_type_of(name), **(metadata or {})}
    grid_in = request.fs.open_upload_stream(name, metadata=stored_metadata)
    size = 0
    try:
        while chunk := upload.file.read(READ_SIZE):
            size += len(chunk)
            if size > max_size:
                raise HTTPRequestEntityTooLarge(_too_large(max_size))
            grid_in.write(chunk)
        grid_in.close()
    except BaseException:
        try:
            grid_in.abort()
        except PyMongoError:
            log.warning("could not remove the chunks of the failed upload %r", name)
        raise
    finally:
        upload.file.close()  # WebOb's temporary file: it is in GridFS now, or refused
    return grid_in._id


def _content_type_of(name: str) -> str:
    return mimetypes.guess_type(name)[0] or "application/octet-stream"


def _too_large(max_size: int) -> str:
    return f"The file is larger than the limit of {max_size} bytes."
