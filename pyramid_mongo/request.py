"""What pyramid_mongo adds to each request, made on first use.

``request.db`` costs what a hand-written ``client[name]`` costs: a
Database of the shared client that knows its request, so that the cursors
it opens are closed when the request ends; the clean-up itself is set up by
the first cursor that can stay open (see ``cursors``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from gridfs import GridFSBucket
from pyramid.request import Request

from .connection import CONNECTION_KEY, MongoConnection, get_connection
from .cursors import RequestDatabase, close_cursors, open_cursors
from .files import OwnSessionBucket

_DATABASES = "pyramid_mongo.databases"
_IN_TRANSACTION = "pyramid_mongo.in_transaction"


def request_db(request: Request) -> RequestDatabase:
    """request.db: the database of mongodb.db_name."""
    connection: MongoConnection = request.registry[CONNECTION_KEY]
    # The client exists but in a process just forked: no property call then.
    return RequestDatabase(connection._client or connection.client, connection.db_name, request)


def request_db_in_transaction(request: Request) -> RequestDatabase:
    """request.db with mongodb.transactions: the request's transaction joins
    pyramid_tm's the first time the request uses the database."""
    join_request_transaction(request)
    return request_db(request)


def get_db(request: Request, name: str | None = None) -> RequestDatabase:
    """request.get_db('analytics'): the database of mongodb.db_name, or one of
    mongodb.databases."""
    connection = get_connection(request.registry)
    db_name = connection.database_name(name)
    if db_name == connection.db_name:
        db: RequestDatabase = request.db
        return db
    databases = request.__dict__.setdefault(_DATABASES, {})
    db = databases.get(db_name)
    if db is None:
        if connection.settings.transactions:
            join_request_transaction(request)
        db = databases[db_name] = RequestDatabase(connection.client, db_name, request)
    return db


def join_request_transaction(request: Request) -> None:
    """Once per request, when pyramid_tm runs it: one MongoDB transaction."""
    if _IN_TRANSACTION in request.__dict__:
        return
    active = bool(request.environ.get("tm.active"))
    request.__dict__[_IN_TRANSACTION] = active
    if active:
        # Imported here: pyramid_tm and transaction are optional.
        from .transactions import MongoDataManager, check_supported

        connection = get_connection(request.registry)
        check_supported(connection, "mongodb.transactions")
        MongoDataManager(
            connection.client, request.tm, before_commit=lambda: close_cursors(request)
        )


def request_fs(request: Request) -> GridFSBucket:
    """request.fs: the GridFS bucket "fs" of request.db."""
    db = request.db
    if not request.__dict__.get(_IN_TRANSACTION):
        return GridFSBucket(db)
    session = db.client.start_session()
    open_cursors(request).then.append(session.end_session)  # once the body is sent
    # A plain Database: GridFS's cursors are its own to close, after the commit.
    return OwnSessionBucket(db.client[db.name], session)


def mongo_client(request: Request) -> Any:
    """request.mongo_client: the application's MongoClient in this process."""
    return get_connection(request.registry).client


def _get_db_of(request: Request) -> Callable[..., RequestDatabase]:
    # A property rather than a request method: Pyramid binds every request
    # method to every request, used or not; a property costs nothing unused.
    return functools.partial(get_db, request)


def add_request_methods(config: Any, transactions: bool) -> None:
    db = request_db_in_transaction if transactions else request_db
    config.add_request_method(mongo_client, "mongo_client", reify=True)
    config.add_request_method(db, "db", reify=True)
    config.add_request_method(_get_db_of, "get_db", property=True)
    config.add_request_method(request_fs, "fs", reify=True)
