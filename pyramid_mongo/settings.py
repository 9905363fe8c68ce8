"""Read every ``mongodb.*`` setting in one place.

Start-up is the cheapest moment to find a typo: each error here is a
``ConfigurationError`` that names the key at fault, and none of them ever
shows the password of a MongoDB URL.
"""

from __future__ import annotations

import os
import re
import zoneinfo
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

import pymongo.common
import pymongo.errors
from pymongo.server_api import ServerApi
from pyramid.exceptions import ConfigurationError
from pyramid.path import DottedNameResolver
from pyramid.settings import asbool, aslist

PREFIX = "mongodb."
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
CREATE_INDEXES = "create_indexes"
OWN_KEYS = frozenset(
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
        CREATE_INDEXES,
    }
)

# A web request should learn in seconds that MongoDB is down, not after
# PyMongo's default of 30 s; the setting or the URL can still say otherwise.
DEFAULT_CLIENT_OPTIONS = {"serverSelectionTimeoutMS": 5000}

_SCHEMES = ("mongodb://", "mongodb+srv://")
# MongoDB's own rule for database names on every platform it runs on.
_FORBIDDEN_IN_DB_NAME = set('/\\. "$*<>:|?\x00')
_MAX_DB_NAME_BYTES = 63

# Client options whose value is a Python object, given in an INI file by its
# dotted name (``mongodb.document_class = bson.son.SON``).
_DOTTED_OPTIONS = frozenset({"document_class", "type_registry", "server_selector"})


@dataclass(frozen=True)
class EmbeddedSettings:
    storage_path: str
    port: int = 0


@dataclass(frozen=True)
class MongoSettings:
    """What pyramid_mongo needs, as parse_settings reads it (defaults are there)."""

    url: str | None
    url_source: str
    db_name: str | None
    client_options: dict[str, Any]
    embedded: EmbeddedSettings | None
    client_factory: Callable[..., Any] | None
    databases: tuple[str, ...]
    json_adapters: bool
    health_route: str | None
    health_timeout: float
    max_upload_size: int
    create_indexes: bool


def parse_settings(
    settings: Mapping[str, Any], environ: Mapping[str, str] = os.environ
) -> MongoSettings:
    """Turn the application's settings into a ``MongoSettings``, or fail naming the key."""
    own = {key[len(PREFIX) :]: value for key, value in settings.items() if key.startswith(PREFIX)}
    url, url_source, embedded = _where_is_the_server(own, environ)
    db_name = own.get(DB_NAME) or None
    if db_name is None and url is not None:
        db_name = _db_name_in_url(url)
    if db_name is None:
        raise ConfigurationError(
            f"{PREFIX}{DB_NAME} is not set and {url_source} names no database: "
            f"set {PREFIX}{DB_NAME} = <name>"
        )
    check_db_name(db_name, f"{PREFIX}{DB_NAME}")
    options = client_options(own)
    for name, value in DEFAULT_CLIENT_OPTIONS.items():
        if not _option_given(name, options, url):
            options[name] = value
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
        health_timeout=_positive_seconds(own.get(HEALTH_TIMEOUT, 2.0), PREFIX + HEALTH_TIMEOUT),
        max_upload_size=_byte_size(own.get(MAX_UPLOAD_SIZE, "10M"), PREFIX + MAX_UPLOAD_SIZE),
        create_indexes=asbool(own.get(CREATE_INDEXES, False)),
    )


def _where_is_the_server(
    own: Mapping[str, Any], environ: Mapping[str, str]
) -> tuple[str | None, str, EmbeddedSettings | None]:
    from_environ = environ.get(URL_ENVIRON, "").strip()
    if from_environ:
        return check_url(from_environ, URL_ENVIRON), URL_ENVIRON, None
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
    return check_url(url, f"{PREFIX}{URL}"), f"{PREFIX}{URL}", None


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


def _positive_seconds(value: Any, key: str) -> float:
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        seconds = 0.0
    if seconds <= 0:
        raise ConfigurationError(f"{key} must be a positive number of seconds, not {value!r}")
    return seconds


_UNITS = {"": 1, "K": 1024, "M": 1024**2, "G": 1024**3}


def _byte_size(value: Any, key: str) -> int:
    """Bytes from ``1048576``, ``512K``, ``10M`` or ``1G``."""
    match = re.fullmatch(r"\s*(\d+)\s*([KMG]?)B?\s*", str(value), re.IGNORECASE)
    if not match or int(match.group(1)) == 0:
        raise ConfigurationError(
            f"{key} must be a size such as 10M, 512K or 1048576, not {value!r}"
        )
    return int(match.group(1)) * _UNITS[match.group(2).upper()]


def check_url(url: str, key: str) -> str:
    if not url.startswith(_SCHEMES):
        scheme = url.split("://", 1)[0] + "://" if "://" in url else "no scheme"
        raise ConfigurationError(
            f"{key} must start with mongodb:// or mongodb+srv://, not {scheme}"
        )
    return url


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


def _db_name_in_url(url: str) -> str | None:
    path = urlsplit(url).path.lstrip("/")
    return unquote(path) or None


def _option_given(name: str, options: Mapping[str, Any], url: str | None) -> bool:
    wanted = name.lower()
    if any(key.lower() == wanted for key in options):
        return True
    query = urlsplit(url).query if url else ""
    return any(key.lower() == wanted for key, _ in parse_qsl(query))


def client_options(own: Mapping[str, Any]) -> dict[str, Any]:
    """The MongoClient keyword arguments, validated by PyMongo's own validators."""
    options = {}
    for name, raw in own.items():
        if name in OWN_KEYS:
            continue
        key = PREFIX + name
        if name.lower() == "driver":
            raise ConfigurationError(
                f"{key}: pyramid_mongo identifies itself to the server; "
                f"name your application with {PREFIX}appname instead"
            )
        try:
            value = _coerce(name, raw)
            pymongo.common.validate(name, value)
        except pymongo.errors.ConfigurationError as exc:
            raise ConfigurationError(f"{key}: {_first_line(exc)}") from None
        except (ValueError, TypeError, ImportError, zoneinfo.ZoneInfoNotFoundError) as exc:
            raise ConfigurationError(f"{key}: invalid value {raw!r}: {_first_line(exc)}") from None
        options[name] = value
    return options


def _coerce(name: str, value: Any) -> Any:
    """Make Python objects of the options an INI file can only give as text."""
    if not isinstance(value, str):
        return value
    lowered = name.lower()
    if lowered in _DOTTED_OPTIONS:
        return DottedNameResolver().resolve(value)
    if lowered == "event_listeners":
        return [_instance(DottedNameResolver().resolve(each)) for each in aslist(value)]
    if lowered == "server_api":
        return ServerApi(value)
    if lowered == "tzinfo":
        return zoneinfo.ZoneInfo(value)
    return value


def _instance(obj: Any) -> Any:
    return obj() if isinstance(obj, type) else obj


def _client_factory(value: Any) -> Callable[..., Any] | None:
    if value is None or callable(value):
        return value
    try:
        factory = DottedNameResolver().resolve(value)
    except (ImportError, ValueError) as exc:
        raise ConfigurationError(f"{PREFIX}{CLIENT_FACTORY}: {_first_line(exc)}") from None
    if not callable(factory):
        raise ConfigurationError(f"{PREFIX}{CLIENT_FACTORY}: {value!r} is not callable")
    return factory


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


_USERINFO = re.compile(r"^(mongodb(?:\+srv)?://)([^@/?#]*)@")


def redact_url(url: str) -> str:
    """The URL with its password replaced by ``***``, fit for a log line."""
    match = _USERINFO.match(url)
    if not match or ":" not in match.group(2):
        return url
    user = match.group(2).split(":", 1)[0]
    return f"{match.group(1)}{user}:***@{url[match.end() :]}"


def scrub(text: str, url: str | None) -> str:
    """Remove the URL's password from a message PyMongo wrote about it."""
    if not url:
        return text
    match = _USERINFO.match(url)
    if not match or ":" not in match.group(2):
        return text.replace(url, redact_url(url))
    password = match.group(2).split(":", 1)[1]
    text = text.replace(url, redact_url(url))
    for secret in {password, unquote(password)}:
        if secret:
            text = text.replace(secret, "***")
    return text
