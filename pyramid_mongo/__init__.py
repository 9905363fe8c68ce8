"""MongoDB for Pyramid: one shared PyMongo client, ``request.db``, and a
request that cleans up after itself.

``config.include('pyramid_mongo')`` reads the ``mongodb.*`` settings (see
``pyramid_mongo.settings``), and every request then has ``request.db``, a
PyMongo ``Database``, and ``request.mongo_client``. Its wings are packages of
their own: ``settings``, ``http`` (whose policy is
``config.include('pyramid_mongo.http')``), ``models``, ``observe`` and
``devserver``.
"""

from __future__ import annotations

from typing import Any

from pymongo.database import Database
from pyramid.config import Configurator
from pyramid.registry import Registry

from ._version import __version__
from .atomic import outside_transaction, run_in_transaction
from .connection import CONNECTION_KEY, MongoConnection, get_client, get_connection, get_db
from .counters import increment
from .http import (
    changed_meanwhile,
    check_if_match,
    check_read,
    error_response,
    file_response,
    form_text,
    json_body,
    other_method,
    preconditions,
    save_upload,
)
from .json import add_bson_adapters
from .objectid import find_one_or_404
from .settings import get_settings

__all__ = [
    "CONNECTION_KEY",
    "MongoConnection",
    "__version__",
    "add_bson_adapters",
    "changed_meanwhile",
    "check_if_match",
    "check_read",
    "error_response",
    "file_response",
    "find_one_or_404",
    "form_text",
    "get_client",
    "get_connection",
    "get_db",
    "get_settings",
    "includeme",
    "increment",
    "join_transaction",
    "json_body",
    "other_method",
    "outside_transaction",
    "preconditions",
    "run_in_transaction",
    "save_upload",
]


def join_transaction(
    registry: Registry, name: str | None = None, transaction_manager: Any = None
) -> Database[Any]:
    """The application's database in a MongoDB transaction joined to the
    ``transaction`` package's current transaction, for scripts and pshell
    (see :func:`pyramid_mongo.transactions.join_transaction`)."""
    # Imported here: the transaction package is optional.
    from .transactions import join_transaction as join

    db: Database[Any] = join(registry, name, transaction_manager)
    return db


def includeme(config: Configurator) -> None:
    """``config.include("pyramid_mongo")``: MongoDB's work, each feature
    reading the settings parsed once (a wrong key stops start-up naming it).
    Whatever starts something (the development server, the first client,
    log handlers) waits for the application to be made."""
    config.include(".settings")
    config.include(".connection")
    config.include(".request")
    config.include(".outage")
    config.include(".refused")
    config.include(".atomic")
    config.include(".idempotency")
    config.include(".objectid")
    config.include(".json")
    config.include(".indexes")
    config.include(".migrations")
    config.include(".sessions")
    config.include(".health")
    config.include(".observe")
    if get_settings(config.registry).transactions:
        config.include(".transactions")  # pyramid_tm is optional: imported only when asked for
