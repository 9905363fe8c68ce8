"""CSRF tokens in a cookie of their own, signed and bound to the session.

Pyramid's default keeps the token in the session: with the session in
MongoDB, every page with a form reads a document, and a visitor's first page
writes one that holds nothing but the token. Here no document is read or
written for it: the token is a double-submit cookie (the form's field must
equal the cookie) that is also signed, with the session secret, over the id
of the session the browser holds (read off its signed session cookie).

So a cookie planted from a neighbouring subdomain is refused (we did not
sign it), and so is a token of another session: when a session starts or
changes id (the first flash message, a login's ``rotate``) or ends
(``invalidate``), the next page gets a new token and a form opened before
is refused, as it was with the token in the session. A visitor with no
session has a token signed over none: the double submit alone protects it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Protocol

from pyramid.interfaces import ICSRFStoragePolicy
from pyramid.request import Request
from pyramid.response import Response
from webob.cookies import CookieProfile
from zope.interface import implementer

from .settings import SessionSettings

COOKIE_NAME = "csrf_token"
_ISSUED = "pyramid_mongo.csrf_token"  # the token this request made, in its environ


class _Text:
    """The cookie's value as it is: a token is URL-safe text already."""

    def dumps(self, value: str) -> bytes:
        return value.encode("ascii")

    def loads(self, value: bytes) -> str:
        return value.decode("ascii")


class SessionIds(Protocol):
    def lasting_id(self, request: Request) -> str | None: ...


@implementer(ICSRFStoragePolicy)
class SignedCookieCSRFPolicy:
    """Pyramid's CSRF storage policy (``pyramid.interfaces.ICSRFStoragePolicy``)."""

    def __init__(self, settings: SessionSettings, sessions: SessionIds) -> None:
        # The key is the session secret's, for this use alone.
        self._key = hashlib.sha256(b"pyramid_mongo.csrf\x00" + settings.secret.encode()).digest()
        self._sessions = sessions  # its lasting_id(request): the session the token is bound to
        self._cookie = CookieProfile(
            COOKIE_NAME,
            secure=settings.secure,
            httponly=True,
            samesite=settings.samesite,
            serializer=_Text(),
        )

    def _signature(self, request: Request, nonce: str) -> str:
        session_id = self._sessions.lasting_id(request) or ""
        message = f"{session_id}\x00{nonce}".encode()
        return hmac.digest(self._key, message, "sha256").hex()

    def _valid(self, request: Request, token: object) -> bool:
        if not isinstance(token, str) or token.count(".") != 1:
            return False
        nonce, signature = token.split(".")
        return hmac.compare_digest(signature, self._signature(request, nonce))

    def new_csrf_token(self, request: Request) -> str:
        nonce = secrets.token_urlsafe(18)
        token = f"{nonce}.{self._signature(request, nonce)}"
        first = _ISSUED not in request.environ
        request.environ[_ISSUED] = token
        if first:
            request.add_response_callback(self._set_cookie)
        return token

    def _set_cookie(self, request: Request, response: Response) -> None:
        self._cookie.set_cookies(response, request.environ[_ISSUED])

    def get_csrf_token(self, request: Request) -> str:
        """The browser's token while it is ours and of its session, else a new one."""
        issued = request.environ.get(_ISSUED)
        if issued is not None and self._valid(request, issued):
            return str(issued)
        held = request.cookies.get(COOKIE_NAME)
        return held if self._valid(request, held) else self.new_csrf_token(request)

    def check_csrf_token(self, request: Request, supplied_token: str) -> bool:
        held = request.cookies.get(COOKIE_NAME)
        if not self._valid(request, held):
            return False
        return hmac.compare_digest(
            supplied_token.encode(errors="backslashreplace"), str(held).encode()
        )
