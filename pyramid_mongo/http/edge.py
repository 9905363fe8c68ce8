"""Where a request meets the application: whose host it names, and what
every answer tells the browser about itself.

- Allowed hosts (``mongodb.allowed_hosts``, or ``MONGODB_ALLOWED_HOSTS``):
  a request whose ``Host`` is missing, repeated, malformed (RFC 9112 §3.2)
  or names a host not on the list is a 400 before any view runs, since the
  application builds its links (``Location``, ``Link``, a page's URLs) from
  that header. The refusal's own page is built on an allowed host.
- Security headers on every answer the application makes: the browser is
  told not to guess types, not to frame it, which origins its pages may use
  (``mongodb.content_security_policy``), how much of a URL to pass on, and,
  over HTTPS, to come back only over HTTPS (``mongodb.hsts_max_age``). The
  values are built by the ``secure`` library; a view that sets one of them
  itself keeps its own.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from pyramid.config import Configurator
from pyramid.httpexceptions import HTTPBadRequest
from pyramid.registry import Registry
from pyramid.request import Request
from pyramid.response import Response
from pyramid.tweens import EXCVIEW, INGRESS
from secure import (
    ContentSecurityPolicy,
    CrossOriginOpenerPolicy,
    ReferrerPolicy,
    Secure,
    StrictTransportSecurity,
    XContentTypeOptions,
    XFrameOptions,
)

from ..settings import WebSettings, get_settings
from .errors import error_response

Handler = Callable[[Request], Response]

# host [":" port]: a name or IPv4 address, or an IPv6 literal in brackets.
_HOST_HEADER = re.compile(r"(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+)(?::[0-9]{0,5})?")


def host_problem(host: str | None, allowed: tuple[str, ...]) -> str | None:
    """Why a request's ``Host`` is refused, or None."""
    if not host:
        return "The request has no Host header."
    if "," in host:  # the server joined repeated headers
        return "The request has more than one Host header."
    match = _HOST_HEADER.fullmatch(host)
    if match is None:
        return "The request's Host header is not a host name."
    name = match.group(1).lower().rstrip(".")
    for pattern in allowed:
        if name == pattern or (pattern.startswith(".") and ("." + name).endswith(pattern)):
            return None
    return f"This server does not answer for the host {name!r}."


def first_host(allowed: tuple[str, ...] | None) -> str:
    """A host name of the list to build pages on: the first one that is not
    a domain pattern (``.example.com`` gives ``example.com``)."""
    names = allowed or ("localhost",)
    return next((name for name in names if not name.startswith(".")), names[0][1:])


def allowed_hosts_tween_factory(handler: Handler, registry: Registry) -> Handler:
    web = get_settings(registry).web
    allowed = web.allowed_hosts
    if allowed is None:
        return handler
    headers = security_headers(web)
    # The page of a refusal is built on a host of the list, never the one sent.
    safe_host = first_host(allowed)

    # The Host headers already found good: a set lookup, not a parse, for the
    # few a site is reached by (bounded, so that a flood of names costs no memory).
    known_good: set[str] = set()

    def answer_allowed_hosts(request: Request) -> Response:
        host = request.environ.get("HTTP_HOST")
        if host in known_good:
            return handler(request)
        problem = host_problem(host, allowed)
        if problem is None:
            if len(known_good) < 64:
                known_good.add(host)
            return handler(request)
        request.environ["HTTP_HOST"] = safe_host
        refusal = error_response(request, HTTPBadRequest, problem)
        return add_security_headers(request, refusal, *headers)

    return answer_allowed_hosts


def security_headers(
    web: WebSettings,
) -> tuple[tuple[tuple[str, str], ...], tuple[str, str] | None]:
    """The headers of every answer, and the one added over HTTPS."""
    always = Secure(
        csp=ContentSecurityPolicy().set(web.content_security_policy),
        coop=CrossOriginOpenerPolicy().same_origin(),
        referrer=ReferrerPolicy().strict_origin_when_cross_origin(),
        xcto=XContentTypeOptions(),
        xfo=XFrameOptions().deny(),
    ).header_items()
    if web.hsts_max_age == 0:
        return tuple(always), None
    hsts = Secure(hsts=StrictTransportSecurity().max_age(web.hsts_max_age)).header_items()
    return tuple(always), hsts[0]


def security_headers_tween_factory(handler: Handler, registry: Registry) -> Handler:
    always, over_https = security_headers(get_settings(registry).web)

    def answer_with_security_headers(request: Request) -> Response:
        return add_security_headers(request, handler(request), always, over_https)

    return answer_with_security_headers


def add_security_headers(
    request: Request,
    response: Response,
    always: tuple[tuple[str, str], ...],
    over_https: tuple[str, str] | None,
) -> Response:
    headers = response.headers
    for name, value in always:
        if name not in headers:
            headers[name] = value
    if over_https is not None and request.scheme == "https" and over_https[0] not in headers:
        headers[over_https[0]] = over_https[1]
    return response


def includeme(config: Configurator) -> None:
    # Outermost: no view, no toolbar, no session runs for a refused host.
    config.add_tween(
        __name__ + ".allowed_hosts_tween_factory",
        under=INGRESS,
        over=[
            "pyramid_debugtoolbar.toolbar_tween_factory",
            __name__ + ".security_headers_tween_factory",
        ],
    )
    # Over the error pages (which get them too), under the toolbar, whose own
    # pages need scripts of their own.
    config.add_tween(
        __name__ + ".security_headers_tween_factory",
        under=["pyramid_debugtoolbar.toolbar_tween_factory", INGRESS],
        over=["pyramid_mongo.outage.outage_tween_factory", "pyramid_tm.tm_tween_factory", EXCVIEW],
    )
