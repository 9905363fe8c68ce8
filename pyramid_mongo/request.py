"""What pyramid_mongo adds to each request, made on first use."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from gridfs import GridFSBucket
from pymongo.database import Database
from pyramid.request import Request

from .connection import get_connection
from .cursors import OpenCursors, RequestDatabase
from .files import OwnSessionBucket


class RequestDatabases:
    """The databases one request used, sharing one set of cursors to close.

    Kept in the request's ``__dict__`` rather than as a request property:
    every request property and method is work for Pyramid on every request,
    and this is only wanted by the requests that use the database."""

    __slots__ = ("client", "connection", "databases", "in_transaction", "open_cursors")

    def __init__(self, request: Request) -> None:
        self.connection = get_connection(request.registry)
        self.client = self.connection.client
        self.databases: dict[str | None, RequestDatabase] = {}
        self.open_cursors = OpenCursors(request)
        self.in_transaction = bool(
            self.connection.settings.transactions and request.environ.get("tm.active")
        )
        if self.in_transaction:
            # Imported here: pyramid_tm and transaction are optional.
            from .transactions import MongoDataManager, check_supported

            check_supported(self.connection, "mongodb.transactions")
            MongoDataManager(self.client, request.tm, before_commit=self.open_cursors.close_cursors)


_DATABASES = "pyramid_mongo.databases"


def get_db(request: Request, name: str | None = None) -> Database[Any]:
    """request.db, and request.get_db('analytics'): the database of
    mongodb.db_name, or one of mongodb.databases."""
    used: RequestDatabases | None = request.__dict__.get(_DATABASES)
    if used is None:
        used = request.__dict__[_DATABASES] = RequestDatabases(request)
    db = used.databases.get(name)
    if db is None:
        db_name = used.connection.database_name(name)
        db = used.databases.get(db_name)
        if db is None:
            db = RequestDatabase(used.client, db_name, used.open_cursors)
        used.databases[name] = used.databases[db_name] = db
    return db


def close_cursors(request: Request) -> None:
    """Close the cursors the request opened so far."""
    used: RequestDatabases | None = request.__dict__.get(_DATABASES)
    if used is not None:
        used.open_cursors.close_cursors()


def request_fs(request: Request) -> GridFSBucket:
    """request.fs: the GridFS bucket "fs" of request.db."""
    db = get_db(request)
    used: RequestDatabases = request.__dict__[_DATABASES]
    if not used.in_transaction:
        return GridFSBucket(db)
    session = used.client.start_session()
    used.open_cursors.then.append(session.end_session)  # once the body is sent
    # A plain Database: GridFS's cursors are its own to close, after the commit.
    return OwnSessionBucket(used.client[db.name], session)


def mongo_client(request: Request) -> Any:
    """request.mongo_client: the application's MongoClient in this process."""
    return get_connection(request.registry).client


def _get_db_of(request: Request) -> Callable[..., Database[Any]]:
    # A property rather than a request method: Pyramid binds every request
    # method to every request, used or not; a property costs nothing unused.
    return functools.partial(get_db, request)


def add_request_methods(config: Any) -> None:
    config.add_request_method(mongo_client, "mongo_client", reify=True)
    config.add_request_method(get_db, "db", reify=True)
    config.add_request_method(_get_db_of, "get_db", property=True)
    config.add_request_method(request_fs, "fs", reify=True)
