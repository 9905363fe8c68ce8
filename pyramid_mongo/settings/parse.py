"""Read every ``mongodb.*`` setting in one place.

Start-up is the cheapest moment to find a typo: each error here is a
``ConfigurationError`` that names the key at fault, and none of them ever
shows the password of a MongoDB URL.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pyramid.exceptions import ConfigurationError
from pyramid.path import DottedNameResolver
from pyramid.settings import asbool, aslist

from .options import check_together, first_line, given, given_keys, merge, parse_url
from .redaction import redact_option, redact_url, secret_values, url_secrets
from .sessions import KEYS as SESSION_KEYS
from .sessions import SessionSettings, session_settings
from .values import PREFIX, byte_size, positive_seconds
from .web import KEYS as WEB_KEYS
from .web import WebSettings, web_settings

URL_ENVIRON = "MONGODB_URL"

# Keys of ours; every other ``mongodb.<name>`` is a MongoClient option.
URL = "url"
DB_NAME = "db_name"
EMBEDDED = "embedded"
EMBEDDED_PATH = "embedded_path"
EMBEDDED_PORT = "embedded_port"
CLIENT_FACTORY = "client_factory"
DATABASES = "databases"
JSON_ADAPTERS = "json_adapters"
HEALTH_ROUTE = "health_route"
HEALTH_TIMEOUT = "health_timeout"
MAX_UPLOAD_SIZE = "max_upload_size"
MAX_JSON_SIZE = "max_json_size"
JSON_PATHS = "json_paths"
# Requests under these paths are a JSON API's: its errors are JSON whatever
# the Accept header says.
DEFAULT_JSON_PATHS = ("/api/",)
MIGRATIONS = "migrations"  # read by pyramid_mongo.migrations
MIGRATE_AT_START_UP = "migrate_at_start_up"  # read by pyramid_mongo.migrations
MIGRATIONS_CHECK = "migrations_check"  # read by pyramid_mongo.migrations
CREATE_INDEXES = "create_indexes"
CONFORMANCE_TIMEOUT = "conformance_timeout"
TRANSACTIONS = "transactions"
OWN_KEYS = (
    frozenset(
        {
            URL,
            DB_NAME,
            EMBEDDED,
            EMBEDDED_PATH,
            EMBEDDED_PORT,
            CLIENT_FACTORY,
            DATABASES,
            JSON_ADAPTERS,
            HEALTH_ROUTE,
            HEALTH_TIMEOUT,
            MAX_UPLOAD_SIZE,
            MAX_JSON_SIZE,
            JSON_PATHS,
            MIGRATIONS,
            MIGRATE_AT_START_UP,
            MIGRATIONS_CHECK,
            CREATE_INDEXES,
            CONFORMANCE_TIMEOUT,
            TRANSACTIONS,
        }
    )
    | SESSION_KEYS
    | WEB_KEYS
)

# A web request should learn in seconds that MongoDB is down, not after
# PyMongo's default of 30 s; the setting or the URL can still say otherwise.
DEFAULT_CLIENT_OPTIONS = {"serverSelectionTimeoutMS": 5000}
# What a client of the development server sets unless told otherwise. A
# retryable write guards against a failover that one local node never has,
# and SecantusDB slows down as their records pile up (docs/devserver.rst).
# Polled monitoring: a streaming monitor sits in a reply of up to 10 s that
# PyMongo waits out at exit, past the second pserve --reload allows.
DEV_SERVER_CLIENT_OPTIONS: dict[str, Any] = {"retryWrites": False, "serverMonitoringMode": "poll"}

# MongoDB's own rule for database names on every platform it runs on.
_FORBIDDEN_IN_DB_NAME = set('/\\. "$*<>:|?\x00')
_MAX_DB_NAME_BYTES = 63


@dataclass(frozen=True)
class EmbeddedSettings:
    storage_path: str
    port: int = 0


@dataclass(frozen=True)
class MongoSettings:
    """What pyramid_mongo needs, as parse_settings reads it (defaults are there)."""

    # The URL and the options may hold a password: never in a repr.
    url: str | None = field(repr=False)
    url_source: str
    db_name: str | None
    client_options: dict[str, Any] = field(repr=False)
    embedded: EmbeddedSettings | None
    client_factory: Callable[..., Any] | None
    databases: tuple[str, ...]
    json_adapters: bool
    health_route: str | None
    health_timeout: float
    max_upload_size: int
    max_json_size: int
    create_indexes: bool
    conformance_timeout: float = 1.0
    transactions: bool = False
    json_paths: tuple[str, ...] = DEFAULT_JSON_PATHS
    sessions: SessionSettings | None = None
    web: WebSettings = field(default_factory=WebSettings)
    username: str | None = None
    auth_source: str | None = None
    # The credentials the URL and the options carry, to hide wherever they could show.
    secrets: frozenset[str] = field(default=frozenset(), repr=False)


def parse_settings(
    settings: Mapping[str, Any], environ: Mapping[str, str] = os.environ
) -> MongoSettings:
    """Turn the application's settings into a ``MongoSettings``, or fail naming the key."""
    own = {key[len(PREFIX) :]: value for key, value in settings.items() if key.startswith(PREFIX)}
    url, url_source, embedded = _where_is_the_server(own, environ)
    parsed = parse_url(url, url_source) if url is not None else None
    keys = given_keys({name: value for name, value in own.items() if name not in OWN_KEYS}, PREFIX)
    keys = merge(parsed, keys, url_wins=url_source == URL_ENVIRON, prefix=PREFIX)
    check_together(parsed, keys, url_source)
    options = {key.name: key.value for key in keys}
    defaults = {**DEFAULT_CLIENT_OPTIONS, **(DEV_SERVER_CLIENT_OPTIONS if embedded else {})}
    for name, value in defaults.items():
        if not given(name, options, parsed):
            options[name] = value
    db_name = own.get(DB_NAME) or (parsed.database if parsed else None)
    if not db_name:
        raise ConfigurationError(
            f"{PREFIX}{DB_NAME} is not set and {url_source} names no database: "
            f"set {PREFIX}{DB_NAME} = <name>"
        )
    check_db_name(db_name, f"{PREFIX}{DB_NAME}")
    return MongoSettings(
        url=url,
        url_source=url_source,
        db_name=db_name,
        client_options=options,
        embedded=embedded,
        client_factory=_client_factory(own.get(CLIENT_FACTORY)),
        databases=tuple(
            check_db_name(name, PREFIX + DATABASES) for name in aslist(own.get(DATABASES, ""))
        ),
        json_adapters=asbool(own.get(JSON_ADAPTERS, False)),
        health_route=_health_route(own.get(HEALTH_ROUTE)),
        health_timeout=positive_seconds(own.get(HEALTH_TIMEOUT, 2.0), PREFIX + HEALTH_TIMEOUT),
        max_upload_size=byte_size(own.get(MAX_UPLOAD_SIZE, "10M"), PREFIX + MAX_UPLOAD_SIZE),
        max_json_size=byte_size(own.get(MAX_JSON_SIZE, "1M"), PREFIX + MAX_JSON_SIZE),
        json_paths=tuple(aslist(own[JSON_PATHS])) if JSON_PATHS in own else DEFAULT_JSON_PATHS,
        create_indexes=asbool(own.get(CREATE_INDEXES, False)),
        conformance_timeout=positive_seconds(
            own.get(CONFORMANCE_TIMEOUT, 1.0), PREFIX + CONFORMANCE_TIMEOUT
        ),
        transactions=asbool(own.get(TRANSACTIONS, False)),
        sessions=session_settings(own, environ),
        web=web_settings(own, environ),
        username=parsed.username if parsed else None,
        auth_source=parsed.auth_source if parsed else None,
        secrets=frozenset(
            url_secrets(url).union(*(secret_values(key.name, key.text) for key in keys))
        ),
    )


def hide_secrets(settings: dict[str, Any]) -> None:
    """Show the settings as pages may show them (the debug toolbar's Settings
    panel shows them all): no credential in the URL or in any key. The
    connection keeps what it needs."""
    for key, value in list(settings.items()):
        if not key.startswith(PREFIX) or not isinstance(value, str):
            continue
        name = key[len(PREFIX) :]
        settings[key] = redact_url(value) if name == URL else redact_option(name, value)


def _where_is_the_server(
    own: Mapping[str, Any], environ: Mapping[str, str]
) -> tuple[str | None, str, EmbeddedSettings | None]:
    from_environ = environ.get(URL_ENVIRON, "").strip()
    if from_environ:
        return from_environ, URL_ENVIRON, None
    url = (own.get(URL) or "").strip()
    if asbool(own.get(EMBEDDED, False)):
        if url:
            raise ConfigurationError(
                f"{PREFIX}{URL} and {PREFIX}{EMBEDDED} are both set: use one of them"
            )
        return None, f"{PREFIX}{EMBEDDED}", _embedded_settings(own)
    if not url:
        raise ConfigurationError(
            f"{PREFIX}{URL} is not set: give a mongodb:// URL, set {URL_ENVIRON}, "
            f"or set {PREFIX}{EMBEDDED} = true for a development server"
        )
    return url, f"{PREFIX}{URL}", None


def _embedded_settings(own: Mapping[str, Any]) -> EmbeddedSettings:
    path = own.get(EMBEDDED_PATH) or os.path.join("var", "mongodb")
    if path != ":memory:":
        path = os.path.abspath(path)
    port_text = str(own.get(EMBEDDED_PORT, 0)).strip() or "0"
    if not port_text.isdigit() or int(port_text) > 65535:
        raise ConfigurationError(
            f"{PREFIX}{EMBEDDED_PORT} must be a TCP port number, or 0 for any free port; "
            f"got {port_text!r}"
        )
    return EmbeddedSettings(storage_path=path, port=int(port_text))


def _health_route(value: Any) -> str | None:
    path = (value or "").strip()
    if path and not path.startswith("/"):
        raise ConfigurationError(f"{PREFIX}{HEALTH_ROUTE} must be a path such as /healthz")
    return path or None


def check_db_name(name: str, key: str) -> str:
    bad = sorted(set(name) & _FORBIDDEN_IN_DB_NAME)
    if bad:
        shown = " ".join(repr(char) for char in bad)
        raise ConfigurationError(f"{key}: a MongoDB database name cannot contain {shown}")
    if len(name.encode()) > _MAX_DB_NAME_BYTES:
        raise ConfigurationError(
            f"{key}: a MongoDB database name is at most {_MAX_DB_NAME_BYTES} bytes long"
        )
    return name


def _client_factory(value: Any) -> Callable[..., Any] | None:
    if value is None or callable(value):
        return value  # type: ignore[no-any-return]
    try:
        factory = DottedNameResolver().resolve(value)
    except (ImportError, ValueError) as exc:
        raise ConfigurationError(f"{PREFIX}{CLIENT_FACTORY}: {first_line(exc)}") from None
    if not callable(factory):
        raise ConfigurationError(f"{PREFIX}{CLIENT_FACTORY}: {value!r} is not callable")
    return factory  # type: ignore[no-any-return]
