"""The settings of the application's edge: which hosts it answers for, the
security headers of its answers, and how long a retried POST is remembered.

The host names are the deployment's to say, like the URL and the secret:
``MONGODB_ALLOWED_HOSTS`` in the environment wins over the INI file.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pyramid.exceptions import ConfigurationError
from pyramid.settings import aslist

from .values import PREFIX, positive_seconds

ALLOWED_HOSTS_ENVIRON = "MONGODB_ALLOWED_HOSTS"
ALLOWED_HOSTS = "allowed_hosts"
CONTENT_SECURITY_POLICY = "content_security_policy"
HSTS_MAX_AGE = "hsts_max_age"
IDEMPOTENCY_COLLECTION = "idempotency_collection"
IDEMPOTENCY_TTL = "idempotency_ttl"
IDEMPOTENCY_LEASE = "idempotency_lease"
KEYS = frozenset(
    {
        ALLOWED_HOSTS,
        CONTENT_SECURITY_POLICY,
        HSTS_MAX_AGE,
        IDEMPOTENCY_COLLECTION,
        IDEMPOTENCY_TTL,
        IDEMPOTENCY_LEASE,
    }
)

# The project's own pages need nothing from elsewhere and no inline script:
# everything from this origin only, never framed, no plugins.
DEFAULT_CSP = (
    "default-src 'self'; img-src 'self' data:; object-src 'none'; "
    "base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
# A host name (RFC 1123 labels), an IPv4 address, or an IPv6 one in brackets;
# a leading dot also allows every subdomain, as in Django's ALLOWED_HOSTS.
_HOST = re.compile(r"\.?[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*\.?")
_IPV6 = re.compile(r"\[[0-9a-f:.]+\]")


@dataclass(frozen=True)
class WebSettings:
    # None: any Host is answered (the add-on's default); "*" in the list too.
    allowed_hosts: tuple[str, ...] | None = None
    allowed_hosts_source: str = PREFIX + ALLOWED_HOSTS
    content_security_policy: str = DEFAULT_CSP
    hsts_max_age: int = 365 * 24 * 3600
    idempotency_collection: str = "idempotency_keys"
    idempotency_ttl: float = 24 * 3600.0
    idempotency_lease: float = 30.0


def web_settings(own: Mapping[str, Any], environ: Mapping[str, str]) -> WebSettings:
    hosts, source = _allowed_hosts(own, environ)
    csp = " ".join(str(own.get(CONTENT_SECURITY_POLICY) or DEFAULT_CSP).split())
    max_age = str(own.get(HSTS_MAX_AGE, WebSettings.hsts_max_age)).strip()
    if not (max_age.isascii() and max_age.isdigit()):
        raise ConfigurationError(
            f"{PREFIX}{HSTS_MAX_AGE} must be a whole number of seconds (0: never), not {max_age!r}"
        )
    collection = str(own.get(IDEMPOTENCY_COLLECTION) or WebSettings.idempotency_collection)
    return WebSettings(
        allowed_hosts=hosts,
        allowed_hosts_source=source,
        content_security_policy=csp,
        hsts_max_age=int(max_age),
        idempotency_collection=collection,
        idempotency_ttl=positive_seconds(
            own.get(IDEMPOTENCY_TTL, WebSettings.idempotency_ttl), PREFIX + IDEMPOTENCY_TTL
        ),
        idempotency_lease=positive_seconds(
            own.get(IDEMPOTENCY_LEASE, WebSettings.idempotency_lease), PREFIX + IDEMPOTENCY_LEASE
        ),
    )


def _allowed_hosts(
    own: Mapping[str, Any], environ: Mapping[str, str]
) -> tuple[tuple[str, ...] | None, str]:
    if environ.get(ALLOWED_HOSTS_ENVIRON, "").strip():
        text, source = environ[ALLOWED_HOSTS_ENVIRON], ALLOWED_HOSTS_ENVIRON
    elif ALLOWED_HOSTS in own:
        text, source = str(own[ALLOWED_HOSTS]), PREFIX + ALLOWED_HOSTS
    else:
        return None, PREFIX + ALLOWED_HOSTS
    names = [name.lower().rstrip(".") for name in aslist(text.replace(",", " "))]
    if not names:
        raise ConfigurationError(f"{source} names no host: list host names, or * for any")
    if "*" in names:
        return None, source
    for name in names:
        if not (_HOST.fullmatch(name) or _IPV6.fullmatch(name)):
            raise ConfigurationError(
                f"{source}: {name!r} is not a host name (no port, no scheme: example.com, "
                ".example.com for its subdomains too, 127.0.0.1, [::1])"
            )
    return tuple(names), source
