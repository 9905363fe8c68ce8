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
from pymongo.client_session import ClientSession
from pyramid.config import Configurator
from pyramid.request import Request

from .connection import CONNECTION_KEY, MongoConnection, get_connection
from .cursors import RequestDatabase, close_cursors, open_cursors
from .settings import get_settings

_DATABASES = "pyramid_mongo.databases"
_IN_TRANSACTION = "pyramid_mongo.in_transaction"


class OwnSessionBucket(GridFSBucket):
    """``request.fs`` in a transactional request (``mongodb.transactions``).

    PyMongo's GridFS refuses to run in a multi-document transaction (a file
    can be larger than a transaction may be), so its operations take a
    session of their own unless given one: a file is stored or removed at
    once, whether the request's transaction then commits or not."""

    def __init__(self, db: Any, session: ClientSession) -> None:
        super().__init__(db)
        self.own_session = session


def _in_own_session(name: str) -> None:
    method = getattr(GridFSBucket, name)

    @functools.wraps(method)
    def call(self: OwnSessionBucket, *args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("session", self.own_session)
        return method(self, *args, **kwargs)

    setattr(OwnSessionBucket, name, call)


for _name in (
    "open_upload_stream",
    "open_upload_stream_with_id",
    "upload_from_stream",
    "upload_from_stream_with_id",
    "open_download_stream",
    "download_to_stream",
    "delete",
    "find",
    "open_download_stream_by_name",
    "download_to_stream_by_name",
    "rename",
):
    _in_own_session(_name)


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
    """Once per request, when pyramid_tm runs it: one MongoDB transaction.
    The request counts as in one only once it has joined: where joining
    fails (a standalone server), its later ``request.fs`` and databases
    agree that there is none."""
    if _IN_TRANSACTION in request.__dict__:
        return
    request.__dict__[_IN_TRANSACTION] = False
    if request.environ.get("tm.active"):
        # Imported here: pyramid_tm and transaction are optional.
        from .transactions import MongoDataManager, check_supported

        connection = get_connection(request.registry)
        check_supported(connection, "mongodb.transactions")
        MongoDataManager(
            connection.client, request.tm, before_commit=lambda: close_cursors(request)
        )
        request.__dict__[_IN_TRANSACTION] = True


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


def includeme(config: Configurator) -> None:
    transactions = get_settings(config.registry).transactions
    db = request_db_in_transaction if transactions else request_db
    config.add_request_method(mongo_client, "mongo_client", reify=True)
    config.add_request_method(db, "db", reify=True)
    config.add_request_method(_get_db_of, "get_db", property=True)
    config.add_request_method(request_fs, "fs", reify=True)
    # True while an outage page renders (see outage.py).
    config.add_request_method(lambda request: False, "mongodb_unavailable", reify=True)
