"""Keep every credential of the MongoDB settings out of logs, pages and messages.

One rule serves every surface (log lines, ``registry.settings`` and so the
toolbar's Settings panel, reprs, exception text, pshell): what is secret is
the password of a URL, and the value of each option PyMongo itself keeps out
of its reprs, whether the option is in the URL or a ``mongodb.<option>`` key:
``tlsCertificateKeyFilePassword``, ``proxyPassword``, and every property of
``authMechanismProperties`` that is not known to be public (a token such as
``AWS_SESSION_TOKEN``). The connection still gets the real values.

A URL's password is found by PyMongo's rule, read cautiously: a URL PyMongo
refuses (a raw ``/`` in the password, say) must still lose its password in the
message that says why.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import astuple
from typing import Any
from urllib.parse import unquote_plus

import pymongo.common

from .uri import Option, option_name, split_url

SECRET = "***"

# The options whose value is a credential: PyMongo's own list where it has one
# (newer releases), and the same options named by the URI options spec.
SECRET_OPTIONS = frozenset(
    {"password", "proxyusername", "proxypassword", "tlscertificatekeyfilepassword"}
    | {option_name(name) for name in getattr(pymongo.common, "SENSITIVE_OPTIONS_FOR_REPR", ())}
)
AUTH_PROPERTIES = "authmechanismproperties"
# The authMechanismProperties that say how to authenticate, not with what.
PUBLIC_AUTH_PROPERTIES = frozenset(
    {
        "ALLOWED_HOSTS",
        "CANONICALIZE_HOST_NAME",
        "ENVIRONMENT",
        "SERVICE_HOST",
        "SERVICE_NAME",
        "SERVICE_REALM",
        "TOKEN_RESOURCE",
    }
)
# Characters a password may be cut at when a refused URL is split up by the
# parser that refuses it: each piece longer than two characters is hidden too.
_CUT_AT = re.compile(r"[/?#\[\]@:]")


def is_secret_key(name: str) -> bool:
    """Whether a ``mongodb.<name>`` value is a credential: a secret option, or a
    key of ours whose name says password or secret (``session_secret``)."""
    lowered = name.lower()
    return option_name(name) in SECRET_OPTIONS or "password" in lowered or "secret" in lowered


def redact_option(name: str, value: Any) -> Any:
    """The value as it may be shown: ``***`` for a secret, and each secret
    property of ``authMechanismProperties`` replaced."""
    if is_secret_key(name):
        return SECRET
    if option_name(name) == AUTH_PROPERTIES and isinstance(value, str):
        return ",".join(
            each if key.strip().upper() in PUBLIC_AUTH_PROPERTIES else f"{key}:{SECRET}"
            for each in value.split(",")
            for key in [each.partition(":")[0]]
        )
    return value


def secret_values(name: str, value: Any) -> set[str]:
    """The credentials one option carries, as text."""
    if not isinstance(value, str) or not value:
        return set()
    if is_secret_key(name):
        return {value, unquote_plus(value)}
    if option_name(name) != AUTH_PROPERTIES:
        return set()
    found = set()
    for each in value.split(","):
        key, _, secret = each.partition(":")
        if secret and key.strip().upper() not in PUBLIC_AUTH_PROPERTIES:
            found |= {secret, unquote_plus(secret)}
    return found


def password_of(url: str) -> str | None:
    userinfo = split_url(url, userinfo_through_path=True).userinfo
    if userinfo is None or ":" not in userinfo:
        return None
    return userinfo.partition(":")[2] or None


def redact_url(url: str) -> str:
    """The URL with its password and secret options replaced by ``***``."""
    parts = split_url(url, userinfo_through_path=True)
    userinfo = parts.userinfo
    if userinfo is not None and ":" in userinfo:
        userinfo = f"{userinfo.partition(':')[0]}:{SECRET}"
    options = [
        option if option.value is None else Option(option.name, redact_option(*astuple(option)))
        for option in parts.options
    ]
    if userinfo == parts.userinfo and options == list(parts.options):
        return url
    return str(parts.replace(userinfo=userinfo, options=tuple(options)))


def url_secrets(url: str | None) -> set[str]:
    """The password of a URL (and the pieces a parser may cut it into), and the
    values of its secret options."""
    if not url:
        return set()
    found = set()
    password = password_of(url)
    if password:
        whole = {password, unquote_plus(password)}
        found |= whole | {
            piece for each in whole for piece in _CUT_AT.split(each) if len(piece) > 2
        }
    for option in split_url(url, userinfo_through_path=True).options:
        found |= secret_values(option.name, option.value)
    return found


def scrub(text: str, *urls: str | None, options: Mapping[str, Any] | None = None) -> str:
    """Remove the credentials of these URLs and options from a text written about them."""
    for url in urls:
        if url:
            text = text.replace(url, redact_url(url))
    secrets = set().union(*map(url_secrets, urls))
    for name, value in (options or {}).items():
        secrets |= secret_values(name, value)
    return hide(text, secrets)


def hide(text: str, secrets: Iterable[str]) -> str:
    """Each secret replaced by ``***``, as written and as a repr shows it."""
    for secret in sorted(filter(None, secrets), key=len, reverse=True):
        text = text.replace(repr(secret), repr(SECRET)).replace(secret, SECRET)
    return text
