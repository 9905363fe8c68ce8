"""Writes MongoDB refused for the data written: a 4xx, never a 500.

The data came from the client as often as not: a document that fails the
collection's validator, a duplicate unique key, a document too large, an
update MongoDB cannot apply (an ``$inc`` beyond 64 bits) is an answer naming
the problem wherever the view did not catch it.
"""

from __future__ import annotations

from pymongo.errors import BulkWriteError, DocumentTooLarge, PyMongoError, WriteError
from pyramid.config import Configurator
from pyramid.httpexceptions import (
    HTTPBadRequest,
    HTTPConflict,
    HTTPException,
    HTTPRequestEntityTooLarge,
    HTTPUnprocessableEntity,
)
from pyramid.request import Request

from .http import add_exception_predicate, error_response

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


def refused_write(exc: PyMongoError, request: Request) -> HTTPException:
    error, message = REFUSED_WRITES[write_error_code(exc) or 0]
    return error_response(request, error, message)


def document_too_large(exc: DocumentTooLarge, request: Request) -> HTTPException:
    return error_response(
        request, HTTPRequestEntityTooLarge, "The document is larger than MongoDB accepts."
    )


def includeme(config: Configurator) -> None:
    config.add_exception_view(document_too_large, context=DocumentTooLarge)
    add_exception_predicate(
        config,
        "mongodb_refused_write",
        lambda request: write_error_code(request.exception) in REFUSED_WRITES,
    )
    for context in (WriteError, BulkWriteError):
        config.add_exception_view(refused_write, context=context, mongodb_refused_write=True)
