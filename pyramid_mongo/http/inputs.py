"""What a client sends, read where it enters: a 4xx naming the problem, never a
500, and never more work than the input's size.

- :func:`json_body`: a JSON body, at most ``mongodb.max_json_size`` bytes
  (413 beyond), in a text encoding (415 otherwise), UTF-8 or its declared
  charset (400 when it is not), no deeper than MongoDB nests documents,
  every integer one BSON holds (64 bits), every key one BSON takes.
- :func:`form_text`: one text field of a form, never a file part, at most
  ``max_length`` characters.
- The CSRF token is a form field like any other: sent as a file, it is a
  400 naming the field, from whichever CSRF policy the application uses.
- Text that is not UTF-8 in the path, the query string, a cookie or a form
  (``/%ff``, ``?q=%ff``) is a 400 naming the part, wherever a view or a
  template first reads it: an exception view checks the request's own text
  when a ``UnicodeDecodeError`` reaches it, and leaves any other to be the
  bug it is.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import unquote_to_bytes

from pyramid.config import Configurator
from pyramid.exceptions import URLDecodeError
from pyramid.httpexceptions import (
    HTTPBadRequest,
    HTTPException,
    HTTPRequestEntityTooLarge,
    HTTPUnsupportedMediaType,
)
from pyramid.interfaces import ICSRFStoragePolicy, IDefaultCSRFOptions
from pyramid.request import Request
from zope.interface import implementer

from ..settings import get_settings
from .errors import add_exception_predicate, error_response

# MongoDB refuses documents nested deeper than this.
MAX_NESTING = 100
_INT64 = range(-(2**63), 2**63)
# One token at a time: a whole string, a bracket, or the quote of a string
# that never ends (where the scan stops: the parser will refuse the body).
# Possessive (*+): a string that never ends is given up without backtracking.
_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*+"|[\[\]{}]|"', re.DOTALL)
_LONG_DIGITS = re.compile(r"\d{19}")


def seekable_body(request: Request) -> Any:
    """``request.body_file_raw``, seekable: WebOb's copy of a body it could
    not seek (a temporary file for a large one) is closed with the request."""
    copied = not request.is_body_seekable
    request.make_body_seekable()
    body = request.body_file_raw
    if copied:
        request.add_finished_callback(lambda request: body.close())
    return body


def json_body(request: Request, max_size: int | None = None) -> Any:
    """``request.json_body`` that answers 4xx, never 500, for any bad body,
    in time linear in its size."""
    limit = max_size or get_settings(request.registry).max_json_size
    declared = request.content_length or 0
    if declared <= limit:
        seekable_body(request)
    body = request.body if declared <= limit else b""
    if declared > limit or len(body) > limit:
        raise error_response(
            request, HTTPRequestEntityTooLarge, f"The JSON body is larger than {limit} bytes."
        )
    charset = request.charset or "utf-8"
    try:
        text = body.decode(charset)
    except LookupError:
        raise error_response(
            request, HTTPUnsupportedMediaType, f"{charset!r} is not a text encoding."
        ) from None
    except UnicodeDecodeError:
        raise error_response(request, HTTPBadRequest, f"The body is not {charset} text.") from None
    # Each check below is skipped, at C speed, where the text cannot fail it.
    deep = text.count("[") + text.count("{") > MAX_NESTING
    if deep and _nesting_exceeds(text, MAX_NESTING):
        raise error_response(
            request, HTTPBadRequest, f"The JSON is nested deeper than {MAX_NESTING} levels."
        )
    try:
        # A number of fewer than 19 digits fits in 64 bits.
        value = json.loads(text, parse_int=_int64 if _LONG_DIGITS.search(text) else None)
    except _NotInt64:
        raise error_response(
            request, HTTPBadRequest, "The JSON holds an integer beyond 64 bits."
        ) from None
    except ValueError:
        raise error_response(request, HTTPBadRequest, "The body must be JSON.") from None
    # A lone surrogate or a NUL can only come from a \u escape: the decoded
    # text holds none, and JSON refuses a raw control character.
    problem = _unstorable(value) if "\\u" in text else None
    if problem:
        raise error_response(request, HTTPBadRequest, f"The JSON holds {problem}.")
    return value


def form_text(request: Request, name: str, default: str = "", max_length: int = 1000) -> str:
    """The text of one form field: 400 for a file sent in its place, or for
    more than ``max_length`` characters."""
    value = request.POST.get(name, default)
    if not isinstance(value, str):
        raise error_response(request, HTTPBadRequest, f"The field {name!r} must be text.")
    # WebOb reads bytes that are not UTF-8 as U+FFFD: that is not what was sent.
    if "\ufffd" in value and not_utf8_part(request) == "form":
        raise error_response(request, HTTPBadRequest, "The request's form is not UTF-8 text.")
    if len(value) > max_length:
        raise error_response(
            request, HTTPBadRequest, f"The field {name!r} is longer than {max_length} characters."
        )
    return value


class _NotInt64(ValueError):
    pass


def _int64(text: str) -> int:
    # A number of more digits than any 64-bit one is refused before Python
    # spends time converting it.
    if len(text.lstrip("-")) > 19 or int(text) not in _INT64:
        raise _NotInt64(text)
    return int(text)


def _nesting_exceeds(text: str, limit: int) -> bool:
    depth = 0
    for token in _TOKENS.finditer(text):
        bracket = token.group()
        if bracket == '"':
            return False  # a string that never ends: not JSON
        if bracket in "[{":
            depth += 1
            if depth > limit:
                return True
        elif bracket in "]}":
            depth -= 1
    return False


def _unstorable(value: Any) -> str | None:
    """What BSON cannot store as text: a lone surrogate, a NUL in a key."""
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return "a lone surrogate, which is not text"
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if any("\x00" in key for key in item):
                return "a key with a NUL character"
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return None


def not_utf8_part(request: Request) -> str | None:
    """The part of the request whose text is not UTF-8, if one is."""
    environ = request.environ
    parts = {
        "path": environ.get("PATH_INFO", "").encode("latin-1"),
        "query string": unquote_to_bytes(
            environ.get("QUERY_STRING", "").encode("latin-1").replace(b"+", b" ")
        ),
        "cookies": environ.get("HTTP_COOKIE", "").encode("latin-1"),
    }
    if request.content_type == "application/x-www-form-urlencoded":
        parts["form"] = unquote_to_bytes(request.body.replace(b"+", b" "))
    for part, raw in parts.items():
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError:
            return part
    return None


def not_utf8(exc: Exception, request: Request) -> HTTPException:
    part = not_utf8_part(request) or "path"
    return error_response(request, HTTPBadRequest, f"The request's {part} is not UTF-8 text.")


@implementer(ICSRFStoragePolicy)
class TextTokenPolicy:
    """The application's CSRF policy, given only a token that is text:
    Pyramid hands a policy whatever the form's field holds, a file too."""

    def __init__(self, policy: Any) -> None:
        self.policy = policy

    def new_csrf_token(self, request: Request) -> str:
        return str(self.policy.new_csrf_token(request))

    def get_csrf_token(self, request: Request) -> str:
        return str(self.policy.get_csrf_token(request))

    def check_csrf_token(self, request: Request, supplied_token: Any) -> bool:
        if not isinstance(supplied_token, str):
            options = request.registry.queryUtility(IDefaultCSRFOptions)
            name = getattr(options, "token", None) or "csrf_token"
            raise error_response(request, HTTPBadRequest, f"The field {name!r} must be text.")
        return bool(self.policy.check_csrf_token(request, supplied_token))


def _token_as_text(config: Configurator) -> None:
    policy = config.registry.queryUtility(ICSRFStoragePolicy)
    if policy is not None and not isinstance(policy, TextTokenPolicy):
        config.registry.registerUtility(TextTokenPolicy(policy), ICSRFStoragePolicy)


def includeme(config: Configurator) -> None:
    # After every action of the default order and pyramid_mongo's sessions':
    # the policy the application set, or theirs.
    config.action(("pyramid_mongo.csrf_token_as_text",), _token_as_text, (config,), order=2)
    add_exception_predicate(
        config, "mongodb_malformed_text", lambda request: not_utf8_part(request) is not None
    )
    config.add_exception_view(not_utf8, context=URLDecodeError)
    config.add_exception_view(not_utf8, context=UnicodeDecodeError, mongodb_malformed_text=True)
