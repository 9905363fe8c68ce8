"""Error answers in the client's own kind, and writes MongoDB refused for their data.

A client that prefers JSON gets ``{"code", "title", "message"}`` with the
message said once; any other client gets WebOb's page for the status. A
write MongoDB refuses for the data written (a document that fails the
collection's validator, a duplicate unique key, a document too large, an
update it cannot apply, such as an ``$inc`` beyond 64 bits) is a 4xx
naming the problem wherever the view did not catch it, never a 500.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from pymongo.errors import BulkWriteError, DocumentTooLarge, PyMongoError, WriteError
from pyramid.config import Configurator
from pyramid.exceptions import BadCSRFToken
from pyramid.httpexceptions import (
    HTTPBadRequest,
    HTTPConflict,
    HTTPException,
    HTTPRequestEntityTooLarge,
    HTTPUnprocessableEntity,
)
from pyramid.request import Request

from .connection import get_connection
from .settings import DEFAULT_JSON_PATHS

PROBLEM_JSON = "application/problem+json"  # RFC 9457


def prefers_json(request: Request) -> bool:
    """One rule for the kind of an error: JSON for a request that sends JSON,
    for any path of the JSON API (``mongodb.json_paths``), and for a client
    that prefers JSON to HTML; a page for the rest."""
    # getattr: a test's DummyRequest has neither a content type nor an Accept.
    sent = getattr(request, "content_type", None) or ""
    if sent == "application/json" or sent.endswith("+json"):
        return True
    path = request.environ.get("PATH_INFO", "")  # as sent: it may not be UTF-8
    if path.startswith(_json_paths(request)):
        return True
    accept = getattr(request, "accept", None)
    offers = accept.acceptable_offers(["text/html", "application/json"]) if accept else []
    return bool(offers) and offers[0][0] == "application/json"


def _json_paths(request: Request) -> tuple[str, ...]:
    try:
        return get_connection(request.registry).settings.json_paths
    except LookupError:  # an application without pyramid_mongo's settings
        return DEFAULT_JSON_PATHS


def error_response(
    request: Request,
    error: type[HTTPException],
    message: str,
    *,
    members: Mapping[str, Any] | None = None,
    **headers: str,
) -> HTTPException:
    """An HTTP error, to raise or return, in the kind the client prefers: for
    JSON, RFC 9457 problem details (``status``, ``title``, ``detail``), with
    ``code`` and ``message`` as before, and the extension ``members`` (such
    as ``errors``, one per field); a page lists those errors."""
    if prefers_json(request):
        status = f"{error.code} {error.title}"
        body = {
            "type": "about:blank",
            "status": error.code,
            "title": error.title,
            "detail": message,
            "code": status,
            "message": message,
            **(members or {}),
        }
        answer = error(json_body=body, headers=headers)
        answer.content_type = PROBLEM_JSON
    else:
        answer = error(headers=headers)
        answer.explanation = message
        for problem in (members or {}).get("errors", ()):
            answer.explanation += f" {problem.get('pointer') or '/'}: {problem.get('message')}"
        answer.prepare({**request.environ, "HTTP_ACCEPT": "text/html"})
    answer.message_for_client = message
    return answer


def message_of(error: Any, default: str) -> str:
    """The message ``error_response`` gave an error, for an application's own
    error views (a 404 page of its own keeps "There is no account 'x'")."""
    return getattr(error, "message_for_client", default)


# Errors MongoDB gives a write for the data written, which came from the
# client as often as not: a 4xx, never a 500.
REFUSED_WRITES: dict[int, tuple[type[HTTPException], str]] = {
    121: (HTTPUnprocessableEntity, "The document does not meet the collection's rules."),
    11000: (HTTPConflict, "A document with the same unique key exists already."),
    10334: (HTTPRequestEntityTooLarge, "The document is larger than MongoDB accepts."),
    17419: (HTTPRequestEntityTooLarge, "The document is larger than MongoDB accepts."),
    2: (HTTPBadRequest, "MongoDB cannot apply this change to the stored value."),
    52: (HTTPBadRequest, "A field name cannot start with '$'."),
}


def write_error_code(exc: BaseException) -> int | None:
    """The code of the (first) write error, for a single or a bulk write."""
    if isinstance(exc, BulkWriteError):
        errors = exc.details.get("writeErrors") or [{}]
        code = errors[0].get("code")
        return code if isinstance(code, int) else None
    return exc.code if isinstance(exc, WriteError) else None


def add_exception_predicate(
    config: Configurator, name: str, holds: Callable[[Request], bool]
) -> None:
    """A view predicate ``name = True`` (or ``False``) for exception views:
    whether ``holds(request)`` of the request and its ``request.exception``.
    What an exception's type cannot tell apart (which write error, whose
    text) is said once, here, for each such view."""

    class Predicate:
        def __init__(self, value: bool, config: Any) -> None:
            self.value = value

        def text(self) -> str:
            return f"{name} = {self.value}"

        phash = text

        def __call__(self, context: Any, request: Request) -> bool:
            return holds(request) == self.value

    config.add_view_predicate(name, Predicate)


def refused_write(exc: PyMongoError, request: Request) -> HTTPException:
    error, message = REFUSED_WRITES[write_error_code(exc) or 0]
    return error_response(request, error, message)


def document_too_large(exc: DocumentTooLarge, request: Request) -> HTTPException:
    return error_response(
        request, HTTPRequestEntityTooLarge, "The document is larger than MongoDB accepts."
    )


def stale_form(exc: BadCSRFToken, request: Request) -> HTTPException:
    return error_response(
        request, HTTPBadRequest, "The form came without its CSRF token, or with an old one."
    )


def includeme(config: Configurator) -> None:
    config.add_exception_view(document_too_large, context=DocumentTooLarge)
    config.add_exception_view(stale_form, context=BadCSRFToken)
    add_exception_predicate(
        config,
        "mongodb_refused_write",
        lambda request: write_error_code(request.exception) in REFUSED_WRITES,
    )
    for context in (WriteError, BulkWriteError):
        config.add_exception_view(refused_write, context=context, mongodb_refused_write=True)
