"""Answer 503 while MongoDB cannot be reached.

PyMongo raises ``ConnectionFailure`` (server selection timed out, a network
error, an exhausted pool) when the server is down or unreachable; to the user
that is a temporary outage, not a bug, so it gets "503 Service Unavailable"
rather than a 500. The body says nothing of the cause: no URL, no host, no
traceback. An application replaces this view by registering its own
exception view for ``pymongo.errors.ConnectionFailure``.
"""

from __future__ import annotations

import logging

from pymongo.errors import ConnectionFailure
from pyramid.config import Configurator
from pyramid.httpexceptions import HTTPServiceUnavailable
from pyramid.request import Request

log = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 30
MESSAGE = "The database is unavailable at the moment. Please try again shortly."


def database_unavailable(exc: ConnectionFailure, request: Request) -> HTTPServiceUnavailable:
    """Pyramid renders it as HTML, JSON or text, whichever the client accepts."""
    log.warning(
        "MongoDB unavailable during %s %s: %s", request.method, request.path, type(exc).__name__
    )
    return HTTPServiceUnavailable(detail=MESSAGE, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


def includeme(config: Configurator) -> None:
    config.add_exception_view(database_unavailable, context=ConnectionFailure)
