"""The methods a resource takes, from the views registered for its route.

``other_method`` is the view for every method a route's views do not take:
``OPTIONS`` answers 204 with ``Allow`` (RFC 9110 §9.3.7), any other method
405 with the same ``Allow`` (§15.5.6). The list is read from Pyramid's
introspector, so it cannot drift from the views that really answer.
"""

from __future__ import annotations

from typing import Any

from pyramid.httpexceptions import HTTPException, HTTPMethodNotAllowed, HTTPNoContent
from pyramid.request import Request

from .errors import error_response

_ALLOWED_KEY = "pyramid_mongo.allowed_methods"


def allowed_methods(request: Request) -> str:
    """The value of ``Allow`` for the request's matched route."""
    route = request.matched_route.name
    known: dict[str, str] = request.registry.setdefault(_ALLOWED_KEY, {})
    if route not in known:
        methods = {"OPTIONS"}
        for view in request.registry.introspector.get_category("views") or ():
            info: Any = view["introspectable"]
            taken = info.get("request_methods")
            if info.get("route_name") == route and taken:
                methods.update((taken,) if isinstance(taken, str) else taken)
        if "GET" in methods:
            methods.add("HEAD")
        known[route] = ", ".join(sorted(methods))
    return known[route]


def other_method(request: Request) -> HTTPException:
    """Register it for a route without ``request_method``: it answers what
    the route's other views do not."""
    allowed = allowed_methods(request)
    if request.method == "OPTIONS":
        return HTTPNoContent(headers={"Allow": allowed})
    message = f"{request.method} is not allowed here."
    return error_response(request, HTTPMethodNotAllowed, message, Allow=allowed)
