"""Answer 503 while MongoDB cannot be reached.

PyMongo raises ``ConnectionFailure`` (server selection timed out, a network
error, an exhausted pool) when the server is down or unreachable; to the user
that is a temporary outage, not a bug, so it gets "503 Service Unavailable"
rather than a 500. The body says nothing of the cause: no URL, no host, no
traceback. An application replaces this view by registering its own
exception view for ``pymongo.errors.ConnectionFailure``.

The exception views only see what a view raises. An outage met elsewhere
(a security policy read by pyramid_tm's user annotation, a session saved
once the view is done) is answered by the same page through a tween above
pyramid_tm and the exception views, which also runs the response steps that write to MongoDB
(:func:`on_response`), so that their outage is a 503 too.

Wrong credentials are the same outage to the user: PyMongo reports them once
as ``OperationFailure`` (AuthenticationFailed) and then as a server-selection
timeout, and both get this page; the log says once, per process, which user
and authSource the server refused.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from typing import Any

from pymongo.errors import ConnectionFailure, OperationFailure
from pyramid.config import Configurator
from pyramid.httpexceptions import HTTPException, HTTPServiceUnavailable
from pyramid.request import Request
from pyramid.response import Response
from pyramid.tweens import EXCVIEW, INGRESS

from .connection import get_connection
from .http import add_exception_predicate, error_response

log = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 30
MESSAGE = "The database is unavailable at the moment. Please try again shortly."
# What a client that sent a change must know: it may have been made anyway.
MAY_HAVE_WRITTEN = (
    " The change you sent may or may not have been made. To make it exactly once, send it"
    " again with the same Idempotency-Key header; without one, look before you repeat it."
)
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def outage_message(request: Request) -> str:
    return MESSAGE if request.method in SAFE_METHODS else MESSAGE + MAY_HAVE_WRITTEN


_RETRY_AFTER = {"Retry-After": str(RETRY_AFTER_SECONDS)}


AUTHENTICATION_FAILED = 18


def database_unavailable(exc: Exception, request: Request) -> HTTPException:
    """The application's page for 503 (``add_error_page``), or JSON for a
    client that prefers JSON to HTML. ``request.mongodb_unavailable`` tells
    the page's templates to leave alone what lives in MongoDB (the session,
    the user)."""
    note_outage(exc, request)
    request.mongodb_unavailable = True
    answer = error_response(request, HTTPServiceUnavailable, outage_message(request))
    answer.headers.update(_RETRY_AFTER)
    return answer


def note_outage(exc: Exception, request: Request) -> None:
    """The log line of an outage; an application's own outage page calls it too."""
    log.warning(
        "MongoDB unavailable during %s %s: %s", request.method, request.path, type(exc).__name__
    )
    if refused_credentials(exc):
        get_connection(request.registry).report_refused_credentials()


def refused_credentials(exc: BaseException) -> bool:
    if isinstance(exc, OperationFailure):
        return exc.code == AUTHENTICATION_FAILED
    # Later attempts fail server selection, with the server's answer in the message.
    return isinstance(exc, ConnectionFailure) and "AuthenticationFailed" in str(exc)


_RESPONSE_STEPS = "pyramid_mongo.response_steps"


def on_response(request: Request, step: Callable[[Request, Response], Any]) -> None:
    """Like ``request.add_response_callback``, for a step that uses MongoDB:
    run before the response leaves, where an outage is still the 503 page."""
    request.__dict__.setdefault(_RESPONSE_STEPS, []).append(step)


def is_outage(exc: BaseException) -> bool:
    return isinstance(exc, ConnectionFailure) or refused_credentials(exc)


def outage_tween_factory(handler: Callable[[Request], Response], registry: Any) -> Any:
    def answer_outages(request: Request) -> Response:
        try:
            response = handler(request)
            if _RESPONSE_STEPS in request.__dict__:
                for step in request.__dict__[_RESPONSE_STEPS]:
                    step(request, response)
            return response
        except Exception as exc:
            if not is_outage(exc):
                raise
            try:
                return request.invoke_exception_view(sys.exc_info())
            except Exception as again:
                if not is_outage(again):
                    raise
                note_outage(exc, request)  # the outage page itself needed MongoDB
                return HTTPServiceUnavailable(outage_message(request), headers=_RETRY_AFTER)

    return answer_outages


def includeme(config: Configurator) -> None:
    # Above pyramid_tm, whose user annotation reads the session outside the
    # exception views, and below the debug toolbar, which renders whatever
    # reaches it as a 500.
    config.add_tween(
        "pyramid_mongo.outage.outage_tween_factory",
        over=["pyramid_tm.tm_tween_factory", EXCVIEW],
        under=["pyramid_debugtoolbar.toolbar_tween_factory", INGRESS],
    )
    add_exception_predicate(
        config,
        "mongodb_refused_credentials",
        lambda request: refused_credentials(request.exception),
    )
    config.add_exception_view(database_unavailable, context=ConnectionFailure)
    config.add_exception_view(
        database_unavailable, context=OperationFailure, mongodb_refused_credentials=True
    )
