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
    """An HTML page, or JSON for a client that prefers JSON to HTML."""
    log.warning(
        "MongoDB unavailable during %s %s: %s", request.method, request.path, type(exc).__name__
    )
    offers = request.accept.acceptable_offers(["text/html", "application/json"])
    body_type = offers[0][0] if offers else "text/html"
    response = HTTPServiceUnavailable(
        detail=MESSAGE, headers={"Retry-After": str(RETRY_AFTER_SECONDS)}
    )
    response.prepare({**request.environ, "HTTP_ACCEPT": body_type})
    return response


def includeme(config: Configurator) -> None:
    config.add_exception_view(database_unavailable, context=ConnectionFailure)
