"""A stored document the model refuses: the application's fault, said plainly.

A model changes (a field becomes required) while the documents stored under
the old one stay as they were. Reading one back through the model is then
no client's error: it is a 500 in the client's own kind (problem details to
a JSON client, the application's error page to a browser, never the debug
toolbar's traceback), and one log line names the collection, the ``_id``
and the fields, which is what the fix needs.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from pydantic import ValidationError
from pyramid.config import Configurator
from pyramid.httpexceptions import HTTPException, HTTPInternalServerError
from pyramid.request import Request

from ..conformance import ini_file
from ..connection import get_connection
from ..http import error_response
from .messages import message_of

log = logging.getLogger(__name__)

_COLLECTIONS = "pyramid_mongo.model_collections"
MESSAGE = "A stored document does not meet the application's model."


def pointer(location: Iterable[Any]) -> str:
    """A JSON Pointer (RFC 6901), as RFC 9457's example has it."""
    parts = (str(part).replace("~", "~0").replace("/", "~1") for part in location)
    return "".join("/" + part for part in parts)


def problems_of(error: ValidationError) -> list[dict[str, str]]:
    """pydantic's verdict as one ``{"pointer", "message"}`` per problem."""
    errors = error.errors(include_url=False, include_input=False)
    return [{"pointer": pointer(each["loc"]), "message": message_of(each)} for each in errors]


def fields_at_fault(error: ValidationError) -> list[str]:
    return list(dict.fromkeys(problem["pointer"] for problem in problems_of(error)))


def fields_refused(model: type[Any], document: Any) -> list[str]:
    """The fields of a stored document the model refuses, and why."""
    try:
        model.model_validate(document)
    except ValidationError as exc:
        return [f"{each['pointer']} {each['message'].lower()}" for each in problems_of(exc)]
    return []


class StoredDocumentInvalid(ValueError):
    """``Model.from_document`` of a document the model refuses."""

    def __init__(self, model: type[Any], document: Any, error: ValidationError) -> None:
        self.model = model
        self.document_id = document.get("_id") if isinstance(document, dict) else None
        self.fields = fields_at_fault(error)
        super().__init__(
            f"the stored document {self.document_id!r} does not meet {model.__name__}: "
            f"{', '.join(self.fields)}"
        )


def remember_collection(
    config: Configurator, collection: str, model: type[Any], database: str | None = None
) -> None:
    """Which collection a model's documents live in, for the log line; and,
    with the first model, the answer to an invalid stored document."""
    collections = config.registry.get(_COLLECTIONS)
    if collections is None:
        collections = config.registry[_COLLECTIONS] = {}
        config.add_exception_view(invalid_stored_document, context=StoredDocumentInvalid)
    collections[model] = (database, collection)


def invalid_stored_document(exc: StoredDocumentInvalid, request: Request) -> HTTPException:
    database, collection = request.registry.get(_COLLECTIONS, {}).get(exc.model, (None, "?"))
    log.error(
        "a stored document of %s.%s (_id %r) does not meet the model %s: %s; "
        'a migration can bring it up to date (pyramid-mongo-migrate %s new "backfill %s")',
        database or get_connection(request.registry).db_name,
        collection,
        exc.document_id,
        exc.model.__name__,
        ", ".join(exc.fields) or "the whole document",
        ini_file(),
        collection,
    )
    return error_response(request, HTTPInternalServerError, MESSAGE)
