"""MongoDB for Pyramid: one shared PyMongo client, ``request.db``, and a
request that cleans up after itself.

``config.include('pyramid_mongo')`` reads the ``mongodb.*`` settings (see
``pyramid_mongo.settings``), and every request then has ``request.db``, a
PyMongo ``Database``, and ``request.mongo_client``.
"""

from __future__ import annotations

import logging
from typing import Any

from pymongo.database import Database
from pyramid.config import Configurator
from pyramid.exceptions import ConfigurationError
from pyramid.registry import Registry

from . import loghandler, monitoring
from ._version import __version__
from .atomic import outside_transaction, run_in_transaction
from .conditional import changed_meanwhile, check_if_match, preconditions
from .connection import CONNECTION_KEY, MongoConnection, get_client, get_connection, get_db
from .counters import increment
from .embedded import EmbeddedServer, EmbeddedServerError, PortInUse
from .errors import error_response
from .files import file_response, save_upload
from .health import add_health_view
from .indexes import add_index_directives
from .inputs import form_text, json_body
from .json import ExtendedJSON, add_bson_adapters, add_bson_adapters_directive
from .monitoring import CommandRecorder
from .objectid import ObjectIdPredicate, find_one_or_404
from .redaction import redact_url
from .request import add_request_methods
from .sessions import add_session_factory
from .settings import EMBEDDED_PORT, MongoSettings, hide_secrets, parse_settings
from .values import PREFIX

__all__ = [
    "__version__",
    "add_bson_adapters",
    "changed_meanwhile",
    "check_if_match",
    "error_response",
    "file_response",
    "find_one_or_404",
    "form_text",
    "get_client",
    "get_connection",
    "get_db",
    "includeme",
    "increment",
    "join_transaction",
    "json_body",
    "outside_transaction",
    "preconditions",
    "run_in_transaction",
    "save_upload",
]

log = logging.getLogger(__name__)

# The development server of mongodb.embedded, in the registry: stop() it to
# stop it before the process ends (it stops with the process anyway).
EMBEDDED_SERVER_KEY = "pyramid_mongo.embedded_server"


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


def _add_mongo_model(config: Configurator, *args: Any, **kwargs: Any) -> None:
    """``config.add_mongo_model(collection, Model)``: see :mod:`pyramid_mongo.models`."""
    # Imported here: pydantic is for the applications that declare a model.
    from .models import add_mongo_model

    add_mongo_model(config, *args, **kwargs)


def _server_url(mongo: MongoSettings, registry: Registry) -> str:
    if mongo.embedded is None:
        assert mongo.url is not None
        return mongo.url
    server = EmbeddedServer(mongo.embedded.storage_path, mongo.embedded.port)
    registry[EMBEDDED_SERVER_KEY] = server
    try:
        url = server.start()
    except PortInUse as exc:
        raise ConfigurationError(f"{PREFIX}{EMBEDDED_PORT}: {exc}") from None
    except EmbeddedServerError as exc:
        raise ConfigurationError(f"{mongo.url_source}: {exc}") from None
    if server.owned:
        log.warning(
            "pyramid_mongo started a SecantusDB development server at %s with its data in %s; "
            "it is not for production",
            url,
            mongo.embedded.storage_path,
        )
    else:
        log.info(
            "pyramid_mongo uses the SecantusDB development server of process %s at %s (data in %s)",
            server.owner_pid,
            url,
            mongo.embedded.storage_path,
        )
    return url


def includeme(config: Configurator) -> None:
    """``config.include("pyramid_mongo")``: read the ``mongodb.*`` settings once,
    fail at start-up naming a wrong key, and add ``request.db`` and the
    batteries (see the settings page)."""
    mongo = parse_settings(config.registry.settings)
    hide_secrets(config.registry.settings)
    url = _server_url(mongo, config.registry)
    listeners = [CommandRecorder()] if monitoring.wanted(config.registry) else []
    connection = MongoConnection(mongo, url, listeners)
    config.registry[CONNECTION_KEY] = connection
    loghandler.attach_all(connection)
    log.info(
        "pyramid_mongo: MongoDB at %s (from %s), database %r",
        redact_url(url),
        mongo.url_source,
        connection.db_name,
    )
    add_request_methods(config, mongo.transactions)
    config.include(".outage")
    config.include(".atomic")
    config.include(".errors")
    config.include(".inputs")
    config.add_route_predicate("objectid", ObjectIdPredicate)
    config.add_directive("add_bson_adapters", add_bson_adapters_directive)
    config.add_renderer("extended_json", ExtendedJSON)
    add_index_directives(config, create_at_start_up=mongo.create_indexes)
    config.add_directive("add_mongo_model", _add_mongo_model)
    if mongo.transactions:
        config.include(".transactions")
    if mongo.sessions is not None:
        add_session_factory(config, mongo.sessions)
    if mongo.json_adapters:
        config.add_bson_adapters()
    if mongo.health_route:
        add_health_view(config, mongo.health_route, mongo.health_timeout)
    toolbar_app = monitoring.toolbar_app(config.registry)
    if listeners and toolbar_app is not None:
        from .debugtoolbar import add_to_toolbar  # pyramid_debugtoolbar is optional

        add_to_toolbar(toolbar_app)
