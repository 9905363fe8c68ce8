"""Close the cursors a request opened, once the request is over.

A cursor left open holds a server-side cursor for up to ten minutes and an
implicit session with it. ``request.db`` is a ``Database`` whose collections
remember (weakly) every cursor they hand out, so the request can close what is
still open when it ends.
"""

from __future__ import annotations

import functools
import weakref
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from pymongo.collection import Collection
from pymongo.database import Database
from pyramid.request import Request
from pyramid.response import Response

from .objectid import find_one_or_404


class OpenCursors:
    """The cursors one request opened, held weakly, and their closing.

    Closed in a finished callback, or, when the response body is an iterator
    that may still be reading a cursor, when the WSGI server closes that body
    (``add_finished_callback`` runs before the server reads the body)."""

    __slots__ = ("__weakref__", "refs", "streaming", "then")

    def __init__(self, request: Request) -> None:
        self.refs: list[weakref.ref[Any]] = []
        self.streaming = False
        self.then: list[Callable[[], Any]] = []  # after the cursors, at the very end
        request.add_response_callback(self.defer_if_streaming)
        request.add_finished_callback(self.close_unless_streaming)

    def close_cursors(self) -> None:
        refs, self.refs = self.refs, []
        for ref in refs:
            cursor = ref()
            if cursor is not None:
                cursor.close()

    def close_all(self) -> None:
        self.close_cursors()
        then, self.then = self.then, []
        for step in then:
            step()

    def defer_if_streaming(self, request: Request, response: Response) -> None:
        app_iter = response.app_iter
        if not isinstance(app_iter, (list, tuple)):
            length = response.content_length  # WebOb forgets it when app_iter is set
            response.app_iter = _ClosingBody(app_iter, self.close_all)
            response.content_length = length
            self.streaming = True

    def close_unless_streaming(self, request: Request) -> None:
        if not self.streaming:
            self.close_all()


_OPEN_CURSORS = "pyramid_mongo.open_cursors"


def open_cursors(request: Request) -> OpenCursors:
    """The request's cursors to close, and their clean-up, from the first one on."""
    found: OpenCursors | None = request.__dict__.get(_OPEN_CURSORS)
    if found is None:
        found = request.__dict__[_OPEN_CURSORS] = OpenCursors(request)
    return found


def close_cursors(request: Request) -> None:
    """Close the cursors the request opened so far."""
    found: OpenCursors | None = request.__dict__.get(_OPEN_CURSORS)
    if found is not None:
        found.close_cursors()


def _tracked(method: Callable[..., Any], done_when_id_0: bool = True) -> Callable[..., Any]:
    @functools.wraps(method)
    def open_cursor(self: Any, *args: Any, **kwargs: Any) -> Any:
        cursor = method(self, *args, **kwargs)
        # A command cursor whose first batch was its last holds nothing on
        # the server (cursor id 0): an aggregate with a $limit, mostly.
        if not self._single_batch and not (done_when_id_0 and cursor.cursor_id == 0):
            database = self if isinstance(self, RequestDatabase) else self.database
            open_cursors(database.request).refs.append(weakref.ref(cursor))
        return cursor

    return open_cursor


def _adopted(method: Callable[..., Collection[Any]]) -> Callable[..., Collection[Any]]:
    @functools.wraps(method)
    def get_collection(self: Any, *args: Any, **kwargs: Any) -> Collection[Any]:
        collection = method(self, *args, **kwargs)
        database = self if isinstance(self, RequestDatabase) else self.database
        return RequestCollection(
            database,
            collection.name,
            codec_options=collection.codec_options,
            read_preference=collection.read_preference,
            write_concern=collection.write_concern,
            read_concern=collection.read_concern,
        )

    return get_collection


class RequestCollection(Collection[Any]):
    """A Collection whose cursors the request closes when it ends.

    Only an operation that can leave a cursor open on the server costs
    anything: ``find_one`` reads one batch and closes its cursor itself."""

    _single_batch = False

    find = _tracked(Collection.find)
    find_raw_batches = _tracked(Collection.find_raw_batches)
    aggregate = _tracked(Collection.aggregate)
    aggregate_raw_batches = _tracked(Collection.aggregate_raw_batches)
    list_indexes = _tracked(Collection.list_indexes)
    list_search_indexes = _tracked(Collection.list_search_indexes)
    watch = _tracked(Collection.watch, done_when_id_0=False)  # a change stream

    __getitem__ = _adopted(Collection.__getitem__)
    with_options = _adopted(Collection.with_options)

    def find_one(self, *args: Any, **kwargs: Any) -> Any:
        # PyMongo's own find_one, whose cursor (limit -1) is one batch that
        # the server closes: nothing to track.
        self._single_batch = True
        try:
            return Collection.find_one(self, *args, **kwargs)
        finally:
            self._single_batch = False

    def find_one_or_404(self, filter: Any = None, *args: Any, **kwargs: Any) -> Any:
        """``find_one``, or ``HTTPNotFound`` when nothing matches."""
        return find_one_or_404(self, filter, *args, **kwargs)


class RequestDatabase(Database[Any]):
    """The Database of ``request.db``: a plain PyMongo Database that also
    remembers the cursors opened through it, for its request to close."""

    _single_batch = False

    def __init__(self, client: Any, name: str, request: Request, **options: Any) -> None:
        super().__init__(client, name, **options)
        self.request = request

    aggregate = _tracked(Database.aggregate)
    list_collections = _tracked(Database.list_collections)
    watch = _tracked(Database.watch, done_when_id_0=False)
    cursor_command = _tracked(Database.cursor_command)

    def __getitem__(self, name: str) -> RequestCollection:
        return RequestCollection(self, name)

    get_collection = _adopted(Database.get_collection)
    create_collection = _adopted(Database.create_collection)

    def with_options(self, *args: Any, **kwargs: Any) -> RequestDatabase:
        plain = super().with_options(*args, **kwargs)
        return RequestDatabase(
            self.client,
            self.name,
            self.request,
            codec_options=plain.codec_options,
            read_preference=plain.read_preference,
            write_concern=plain.write_concern,
            read_concern=plain.read_concern,
        )


class _ClosingBody:
    """A response body that closes the request's cursors after the server
    has read it, as PEP 3333 promises to call ``close()``."""

    def __init__(self, app_iter: Iterable[bytes], on_close: Callable[[], None]) -> None:
        self._app_iter = app_iter
        self._on_close = on_close

    def __iter__(self) -> Iterator[bytes]:
        return iter(self._app_iter)

    def __getattr__(self, name: str) -> Any:
        # WebOb answers a byte range through app_iter_range when the body has
        # one, rather than reading the body from its start: keep it.
        if name != "app_iter_range":
            raise AttributeError(name)
        app_iter_range = self._app_iter.app_iter_range  # type: ignore[attr-defined]
        return lambda start, stop: _ClosingBody(app_iter_range(start, stop), self.close)

    def close(self) -> None:
        try:
            close = getattr(self._app_iter, "close", None)
            if close is not None:
                close()
        finally:
            self._on_close()
