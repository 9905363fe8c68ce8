"""Error answers in the client's own kind.

A client that prefers JSON gets RFC 9457 problem details with the message
said once; any other client gets the application's own page for the status
(``config.add_error_page``), or WebOb's page where it names none.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from pyramid.config import Configurator
from pyramid.httpexceptions import HTTPException
from pyramid.renderers import render
from pyramid.request import Request

from ..settings import DEFAULT_JSON_PATHS, get_settings

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
        return get_settings(request.registry).json_paths
    except LookupError:  # an application without pyramid_mongo's settings
        return DEFAULT_JSON_PATHS


def error_response(
    request: Request,
    error: type[HTTPException],
    message: str,
    *,
    members: Mapping[str, Any] | None = None,
    heading: str | None = None,
    **headers: str,
) -> HTTPException:
    """An HTTP error, to raise or return, in the kind the client prefers: for
    JSON, RFC 9457 problem details (``status``, ``title``, ``detail``), with
    ``code`` and ``message`` as before, and the extension ``members`` (such
    as ``errors``, one per field); a page lists those errors, under
    ``heading`` (the status's title unless given)."""
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
        errors = list((members or {}).get("errors", ()))
        answer = error(headers=headers)
        page = _error_page(request, error.code)
        if page is None:
            answer.explanation = message
            for problem in errors:
                answer.explanation += f" {problem.get('pointer') or '/'}: {problem.get('message')}"
            answer.prepare({**request.environ, "HTTP_ACCEPT": "text/html"})
        else:
            values = {
                "status": error.code,
                "title": error.title,
                "heading": heading or error.title,
                "message": message,
                "errors": errors,
            }
            answer.text = render(page, values, request)
            answer.content_type = "text/html"
    answer.message_for_client = message
    return answer


_ERROR_PAGES = "pyramid_mongo.error_pages"


def add_error_page(config: Configurator, renderer: str, status: int | None = None) -> None:
    """``config.add_error_page(renderer, status=None)``: the page a browser
    gets for an error of ``status`` (for any status where None), rendered
    with ``status``, ``title``, ``heading``, ``message`` and ``errors``."""
    registry = config.registry

    def register() -> None:
        registry.setdefault(_ERROR_PAGES, {})[status] = renderer

    config.action(("pyramid_mongo.error_page", status), register)


def _error_page(request: Request, status: int) -> str | None:
    pages: dict[int | None, str] = request.registry.get(_ERROR_PAGES, {})
    return pages.get(status) or pages.get(None)


def message_of(error: Any, default: str) -> str:
    """The message ``error_response`` gave an error, for an application's own
    error views (a 404 page of its own keeps "There is no account 'x'")."""
    return getattr(error, "message_for_client", default)


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
