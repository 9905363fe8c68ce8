"""MongoClient options, from a MongoDB URL and from ``mongodb.<option>`` keys.

PyMongo is the one judge of both: the URL goes through the parser MongoClient
itself runs, made strict (an option PyMongo would warn about and drop stops
start-up instead), and each INI value through PyMongo's validator for that
option. Only what an INI file cannot say as text is ours to convert: dotted
names of Python objects, lists, and one read-preference tag set per line.
"""

from __future__ import annotations

import logging
import warnings
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pymongo.common
import pymongo.errors
from pymongo.server_api import ServerApi
from pyramid.exceptions import ConfigurationError
from pyramid.path import DottedNameResolver
from pyramid.settings import aslist

from .redaction import scrub

try:
    # What MongoClient itself runs on a URL: no DNS look-up for mongodb+srv://.
    from pymongo.uri_parser_shared import _validate_uri as _parse_uri
except ImportError:  # pragma: no cover - PyMongo moved it; the public parser will do
    from pymongo.uri_parser import parse_uri as _parse_uri  # type: ignore[assignment]

log = logging.getLogger(__name__)

SCHEMES = ("mongodb://", "mongodb+srv://")
# Everything a bad setting can raise on its way through PyMongo and Pyramid.
BAD_SETTING = (
    pymongo.errors.PyMongoError,
    ValueError,
    TypeError,
    LookupError,
    OSError,
    ImportError,
    AttributeError,
)

# Keyword-only options whose value is a Python object, named in an INI file
# by its dotted name (``mongodb.document_class = bson.son.SON``).
_OBJECT_OPTIONS = frozenset(
    {
        "document_class",
        "type_registry",
        "read_preference",
        "server_selector",
        "srv_host_validator",
        "auto_encryption_opts",
    }
)
# One read-preference tag set per line; ``{}`` is the empty set, which in a
# URL is ``readPreferenceTags=`` ("any server").
_EMPTY_TAG_SET = "{}"


@dataclass(frozen=True)
class ParsedURL:
    database: str | None
    username: str | None
    auth_source: str | None
    options: frozenset[str]  # the names given, normalised


def option_name(name: str) -> str:
    """One spelling for an option, so that ``read_preference``, ``readPreference``
    and ``READPREFERENCE`` (and ``ssl``, ``tls``) are seen as the same."""
    lowered = name.lower()
    lowered = pymongo.common.INTERNAL_URI_OPTION_NAME_MAP.get(lowered, lowered)
    return lowered.replace("_", "")


def first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def parse_url(url: str, key: str) -> ParsedURL:
    """PyMongo's reading of the URL, or a ConfigurationError naming ``key``."""
    if not url.startswith(SCHEMES):
        scheme = url.split("://", 1)[0] + "://" if "://" in url else "no scheme"
        raise ConfigurationError(
            f"{key} must start with mongodb:// or mongodb+srv://, not {scheme}"
        )
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            parts = _parse_uri(url, warn=False)
    except BAD_SETTING as exc:
        raise ConfigurationError(f"{key}: {scrub(first_line(exc), url)}") from None
    for warning in caught:
        if not issubclass(warning.category, DeprecationWarning):
            raise ConfigurationError(f"{key}: {scrub(str(warning.message), url)}")
    options = {option_name(name) for name in parts["options"]}
    if parts["username"] is not None:
        options |= {"username", "password"}
    return ParsedURL(
        database=parts["database"],
        username=parts["username"],
        # PyMongo's rule: authSource, else the URL's database, else admin.
        auth_source=next(
            (value for name, value in parts["options"].items() if name.lower() == "authsource"),
            parts["database"] or "admin",
        ),
        options=frozenset(options),
    )


def ini_options(own: Mapping[str, Any], prefix: str) -> dict[str, Any]:
    """MongoClient keyword arguments from the ``mongodb.<option>`` keys given."""
    options = {}
    for name, raw in own.items():
        key = prefix + name
        if name.lower() == "driver":
            raise ConfigurationError(
                f"{key}: pyramid_mongo identifies itself to the server; "
                f"name your application with {prefix}appname instead"
            )
        try:
            options[name] = _keyword_argument(name, raw)
        except BAD_SETTING as exc:
            shown = "" if "password" in name.lower() else f"invalid value {raw!r}: "
            raise ConfigurationError(f"{key}: {shown}{first_line(exc)}") from None
    return options


def _keyword_argument(name: str, raw: Any) -> Any:
    if not isinstance(raw, str):
        pymongo.common.validate(name, raw)
        return raw
    value = _from_text(name.lower(), raw.strip())
    _, converted = pymongo.common.validate(name, value)
    # MongoClient validates its keyword arguments once more, and reads a few
    # (connect, srvMaxHosts) before it does: give it the converted value where
    # PyMongo accepts its own output, the text where it would read it again
    # differently (a timeout of "1000" ms is 1.0 once converted).
    return converted if _validates_to_itself(name, converted) else value


def _from_text(lowered: str, text: str) -> Any:
    resolve = DottedNameResolver().resolve
    if lowered in _OBJECT_OPTIONS:
        return resolve(text)
    if lowered == "event_listeners":
        return [_instance(resolve(each)) for each in aslist(text)]
    if lowered == "tzinfo":
        return zoneinfo.ZoneInfo(text)
    if lowered == "server_api":
        return ServerApi(text)
    if lowered == "authoidcallowedhosts":
        return aslist(text)
    if lowered == "readpreferencetags":
        return ["" if line == _EMPTY_TAG_SET else line for line in aslist(text, flatten=False)]
    return text


def _validates_to_itself(name: str, value: Any) -> bool:
    try:
        return bool(pymongo.common.validate(name, value)[1] == value)
    except BAD_SETTING:
        return False


def _instance(obj: Any) -> Any:
    return obj() if isinstance(obj, type) else obj


def merge(
    url: ParsedURL | None, ini: dict[str, Any], url_key: str, url_wins: bool, prefix: str
) -> dict[str, Any]:
    """One set of keyword arguments: where the URL and a key both set an option,
    the deployment's environment wins over the INI file, and an INI file's own
    keys win over its own URL (as keyword arguments do in PyMongo)."""
    merged = dict(ini)
    for name in ini:
        if url is None or option_name(name) not in url.options:
            continue
        if url_wins:
            del merged[name]
            log.info("%s: its %s wins over %s%s", url_key, name, prefix, name)
        else:
            log.info("%s%s wins over the %s in %s", prefix, name, name, url_key)
    return merged


def option_value(name: str, options: Mapping[str, Any]) -> Any:
    """An option's value however the keys spell it, or None."""
    wanted = option_name(name)
    return next((value for key, value in options.items() if option_name(key) == wanted), None)


def given(name: str, options: Mapping[str, Any], url: ParsedURL | None) -> bool:
    in_url = url is not None and option_name(name) in url.options
    return in_url or option_value(name, options) is not None
