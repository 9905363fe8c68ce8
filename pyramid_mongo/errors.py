"""Error answers in the client's own kind, and JSON request bodies read safely.

A client that prefers JSON gets ``{"code", "title", "message"}`` with the
message said once; any other client gets WebOb's page for the status. Bad
input is a 4xx naming the problem, never a 500: a JSON body too deep for
Python or MongoDB, text MongoDB cannot store (a lone surrogate), a document
over MongoDB's size limit.
"""

from __future__ import annotations

import json
import re
from typing import Any

from pymongo.errors import DocumentTooLarge
from pyramid.config import Configurator
from pyramid.httpexceptions import HTTPBadRequest, HTTPException, HTTPRequestEntityTooLarge
from pyramid.request import Request

# MongoDB refuses documents nested deeper than this.
MAX_NESTING = 100


def prefers_json(request: Request) -> bool:
    offers = request.accept.acceptable_offers(["text/html", "application/json"])
    return bool(offers) and offers[0][0] == "application/json"


def error_response(
    request: Request, error: type[HTTPException], message: str, **headers: str
) -> HTTPException:
    """An HTTP error, to raise or return, in the kind the client prefers."""
    if prefers_json(request):
        status = f"{error.code} {error.title}"
        body = {"code": status, "title": error.title, "message": message}
        answer = error(json_body=body, headers=headers)
    else:
        answer = error(headers=headers)
        answer.explanation = message
        answer.prepare({**request.environ, "HTTP_ACCEPT": "text/html"})
    answer.message_for_client = message
    return answer


def message_of(error: Any, default: str) -> str:
    """The message ``error_response`` gave an error, for an application's own
    error views (a 404 page of its own keeps "There is no account 'x'")."""
    return getattr(error, "message_for_client", default)


def json_body(request: Request) -> Any:
    """``request.json_body`` that answers 400, never 500, for any bad body.

    The nesting is measured before the body is parsed: a body deep enough to
    exhaust Python's recursion inside the JSON parser is refused unread."""
    try:
        text = request.body.decode(request.charset or "utf-8")
    except UnicodeDecodeError:
        raise error_response(request, HTTPBadRequest, "The body must be UTF-8 JSON.") from None
    if _nesting_exceeds(text, MAX_NESTING):
        raise error_response(
            request, HTTPBadRequest, f"The JSON is nested deeper than {MAX_NESTING} levels."
        )
    try:
        value = json.loads(text)
    except ValueError:
        raise error_response(request, HTTPBadRequest, "The body must be JSON.") from None
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise error_response(
            request, HTTPBadRequest, "The JSON holds a lone surrogate, which is not text."
        ) from None
    return value


_STRINGS = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"')
_BRACKETS = re.compile(r"[\[\]{}]")


def _nesting_exceeds(text: str, limit: int) -> bool:
    depth = 0
    for bracket in _BRACKETS.finditer(_STRINGS.sub("", text)):
        depth += 1 if bracket.group() in "[{" else -1
        if depth > limit:
            return True
    return False


def document_too_large(exc: DocumentTooLarge, request: Request) -> HTTPException:
    return error_response(
        request, HTTPRequestEntityTooLarge, "The document is larger than MongoDB accepts."
    )


def includeme(config: Configurator) -> None:
    config.add_exception_view(document_too_large, context=DocumentTooLarge)
