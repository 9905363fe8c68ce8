"""The HTTP wing: answers in the client's own kind, input read where it
enters, RFC 9110's preconditions, and GridFS files over HTTP.

Its helpers (``error_response``, ``json_body``, ``file_response`` ...) are
there for any application that includes ``pyramid_mongo``. Its policy is
an application's choice: ``config.include("pyramid_mongo.http")`` answers a
stale CSRF token and text that is not UTF-8 with a 400 in the client's kind,
gives ``config.add_error_page`` so that every page an error gets is the
application's own (Pyramid's own errors too), refuses hosts not allowed
and sets security headers (``edge``). Without it, Pyramid's own behaviour
stands.
"""

from __future__ import annotations

from pyramid.config import Configurator
from pyramid.exceptions import BadCSRFToken
from pyramid.httpexceptions import HTTPBadRequest, HTTPError, HTTPException
from pyramid.request import Request

from .conditional import changed_meanwhile, check_if_match, check_read, preconditions
from .edge import first_host
from .errors import (
    PROBLEM_JSON,
    add_error_page,
    add_exception_predicate,
    error_response,
    message_of,
    prefers_json,
)
from .files import file_response, save_upload
from .inputs import form_text, json_body, seekable_body
from .lists import list_elements
from .methods import allowed_methods, other_method

__all__ = [
    "PROBLEM_JSON",
    "STALE_FORM",
    "add_error_page",
    "add_exception_predicate",
    "allowed_methods",
    "changed_meanwhile",
    "check_if_match",
    "check_read",
    "error_response",
    "file_response",
    "first_host",
    "form_text",
    "json_body",
    "list_elements",
    "message_of",
    "other_method",
    "preconditions",
    "prefers_json",
    "save_upload",
    "seekable_body",
]

STALE_FORM = (
    "The form was sent without its token, or with an old one: reload the page and send it again."
)


def stale_form(exc: BadCSRFToken, request: Request) -> HTTPException:
    return error_response(request, HTTPBadRequest, STALE_FORM, heading="This form has expired")


# Headers of an error that say something to the client, kept on its page.
_KEPT_HEADERS = ("Allow", "Retry-After", "WWW-Authenticate", "Accept-Patch", "Location")


def own_error_page(exc: HTTPError, request: Request) -> HTTPException:
    """Any 4xx or 5xx raised without ``error_response`` (Pyramid's own, a
    dependency's, a view's plain ``HTTPBadRequest("...")``) in the client's
    kind, on the application's page: one look for every error."""
    if hasattr(exc, "message_for_client"):
        return exc  # made by error_response already
    detail = exc.detail if isinstance(exc.detail, str) and exc.detail else exc.explanation
    kept = {name: exc.headers[name] for name in _KEPT_HEADERS if name in exc.headers}
    return error_response(request, type(exc), str(detail), **kept)


def includeme(config: Configurator) -> None:
    config.add_directive("add_error_page", add_error_page)
    config.add_exception_view(own_error_page, context=HTTPError)
    config.add_exception_view(stale_form, context=BadCSRFToken)
    config.include(".inputs")
    config.include(".edge")
