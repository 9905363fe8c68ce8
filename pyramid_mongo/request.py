"""What pyramid_mongo adds to each request, made on first use."""

from __future__ import annotations

from typing import Any

from pymongo.database import Database
from pyramid.request import Request

from .connection import MongoConnection
from .cursors import OpenCursors, RequestDatabase, close_when_request_ends
from .files import request_fs

CONNECTION_KEY = "pyramid_mongo.connection"


def get_connection(registry: Any) -> MongoConnection:
    try:
        return registry[CONNECTION_KEY]
    except KeyError:
        raise LookupError("pyramid_mongo is not included in this application") from None


class RequestDatabases:
    """The databases one request used, sharing one set of cursors to close."""

    def __init__(self, request: Request) -> None:
        self._connection = get_connection(request.registry)
        self._client = request.mongo_client
        self._databases: dict[str, RequestDatabase] = {}
        self.open_cursors = OpenCursors()
        close_when_request_ends(request, self.open_cursors)

    def get(self, name: str | None = None) -> RequestDatabase:
        db_name = self._connection.database_name(name)
        db = self._databases.get(db_name)
        if db is None:
            db = RequestDatabase(self._client, db_name, self.open_cursors)
            self._databases[db_name] = db
        return db


def mongo_client(request: Request) -> Any:
    """request.mongo_client: the application's MongoClient in this process."""
    return get_connection(request.registry).client


def db(request: Request) -> Database:
    """request.db: the database of mongodb.db_name."""
    return request.pyramid_mongo_databases.get()


def get_db(request: Request, name: str | None = None) -> Database:
    """request.get_db('analytics'): a database of mongodb.databases, or the default."""
    return request.pyramid_mongo_databases.get(name)


def add_request_methods(config: Any) -> None:
    config.add_request_method(mongo_client, "mongo_client", reify=True)
    config.add_request_method(RequestDatabases, "pyramid_mongo_databases", reify=True)
    config.add_request_method(db, "db", reify=True)
    config.add_request_method(get_db, "get_db")
    config.add_request_method(request_fs, "fs", reify=True)
