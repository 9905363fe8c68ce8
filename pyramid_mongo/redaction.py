"""Keep the password of a MongoDB URL out of every log line, page and message.

The userinfo is found by PyMongo's own rule (everything before the last ``@``
of the part before the first ``?``), but read conservatively: a URL PyMongo
refuses (a raw ``/`` in the password, say) must still lose its password in
the message that says why.
"""

from __future__ import annotations

import re
from urllib.parse import unquote_plus

_SCHEME = "://"
SECRET = "***"
# Characters a password may be cut at when a refused URL is split up by the
# parser that refuses it: each piece longer than two characters is hidden too.
_CUT_AT = re.compile(r"[/?#\[\]@:]")


def _split(url: str) -> tuple[str, str, str] | None:
    """``(scheme + "://", userinfo, rest)``, or None when the URL has no userinfo."""
    head, sep, scheme_free = url.partition(_SCHEME)
    if not sep:
        return None
    before_options = scheme_free.partition("?")[0]
    userinfo, at, _ = before_options.rpartition("@")
    if not at:
        return None
    return head + sep, userinfo, scheme_free[len(userinfo) + 1 :]


def password_of(url: str) -> str | None:
    parts = _split(url)
    if parts is None or ":" not in parts[1]:
        return None
    return parts[1].partition(":")[2] or None


def redact_url(url: str) -> str:
    """The URL with its password replaced by ``***``, fit for a log line."""
    parts = _split(url)
    if parts is None or ":" not in parts[1]:
        return url
    scheme, userinfo, rest = parts
    return f"{scheme}{userinfo.partition(':')[0]}:{SECRET}@{rest}"


def scrub(text: str, *urls: str | None) -> str:
    """Remove the passwords of these URLs from a message written about them."""
    for url in urls:
        if not url:
            continue
        text = text.replace(url, redact_url(url))
        password = password_of(url)
        if not password:
            continue
        whole = {password, unquote_plus(password)}
        pieces = {piece for secret in whole for piece in _CUT_AT.split(secret) if len(piece) > 2}
        for secret in sorted(filter(None, whole | pieces), key=len, reverse=True):
            text = text.replace(secret, SECRET)
    return text
