"""MongoClient options, from a MongoDB URL and from ``mongodb.<option>`` keys.

PyMongo is the one judge of both: the URL goes through the parser MongoClient
itself runs, made strict (an option PyMongo would warn about and drop stops
start-up instead), and the keys go through the same rules, written into a URL
beside the URL's own options, and then into a MongoClient that does not
connect. Only what an INI file cannot say as text is ours to convert: dotted
names of Python objects, lists, and one read-preference tag set per line.

PyMongo's verdict, and which option and setting are at fault, are
``verdicts``' to say.
"""

from __future__ import annotations

import logging
import zoneinfo
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote_plus

import pymongo.common
from pymongo.server_api import ServerApi
from pyramid.exceptions import ConfigurationError
from pyramid.path import DottedNameResolver
from pyramid.settings import aslist

from .redaction import hide, secret_values
from .uri import SCHEMES, Option, URLParts, option_name, split_url
from .verdicts import BAD_SETTING, Given, first_line, objection, refusal, shown, strict_parse

__all__ = ["BAD_SETTING", "Given", "ParsedURL", "first_line", "parse_url"]

log = logging.getLogger(__name__)

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
# Options whose INI text is converted before PyMongo sees it: never in a URL.
_CONVERTED = _OBJECT_OPTIONS | {"event_listeners", "tzinfo", "server_api", "authoidcallowedhosts"}
# The options a URL can carry, by PyMongo's own table.
_URL_OPTIONS = frozenset(getattr(pymongo.common, "URI_OPTIONS_VALIDATOR_MAP", ())) - _CONVERTED
# One read-preference tag set per line; ``{}`` is the empty set, which in a
# URL is ``readPreferenceTags=`` ("any server").
_EMPTY_TAG_SET = "{}"


@dataclass(frozen=True)
class ParsedURL:
    url: str
    source: str  # mongodb.url or MONGODB_URL
    parts: URLParts
    given: tuple[Given, ...]
    database: str | None
    username: str | None
    auth_source: str | None
    options: frozenset[str]  # the names given, normalised


def parse_url(url: str, key: str) -> ParsedURL:
    """PyMongo's reading of the URL, or a ConfigurationError naming ``key`` and
    the part of the URL at fault."""
    if not url.startswith(SCHEMES):
        scheme = url.split("://", 1)[0] + "://" if "://" in url else "no scheme"
        raise ConfigurationError(
            f"{key} must start with mongodb:// or mongodb+srv://, not {scheme}"
        )
    parts = split_url(url)
    given = tuple(
        Given(key, option.name, True, (option,), option.value) for option in parts.options
    )
    try:
        result = strict_parse(url)
    except BAD_SETTING as exc:
        raise refusal(exc, url, key, parts, given) from None
    options = {option_name(name) for name in result["options"]}
    if result["username"] is not None:
        options |= {"username", "password"}
    return ParsedURL(
        url=url,
        source=key,
        parts=parts,
        given=given,
        database=result["database"],
        username=result["username"],
        # PyMongo's rule: authSource, else the URL's database, else admin.
        auth_source=next(
            (value for name, value in result["options"].items() if name.lower() == "authsource"),
            result["database"] or "admin",
        ),
        options=frozenset(options),
    )


def given_keys(own: Mapping[str, Any], prefix: str) -> list[Given]:
    """The ``mongodb.<option>`` keys, each converted to its keyword argument."""
    keys = []
    for name, raw in own.items():
        key = prefix + name
        if name.lower() == "driver":
            raise ConfigurationError(
                f"{key}: pyramid_mongo identifies itself to the server; "
                f"name your application with {prefix}appname instead"
            )
        try:
            value = _keyword_argument(name, raw)
        except BAD_SETTING as exc:
            reason = hide(first_line(exc), secret_values(name, raw))
            raise ConfigurationError(f"{key}: {shown(name, raw)}{reason}") from None
        keys.append(Given(key, name, False, _as_query(name, raw), raw, value))
    return keys


def merge(url: ParsedURL | None, keys: list[Given], url_wins: bool, prefix: str) -> list[Given]:
    """The keys that count: where the URL and a key both set an option, the
    deployment's environment wins over the INI file, and an INI file's own
    keys win over its own URL (as keyword arguments do in PyMongo)."""
    if url is None:
        return keys
    counted = []
    for key in keys:
        if option_name(key.name) not in url.options:
            counted.append(key)
        elif url_wins:
            log.info("%s: its %s wins over %s", url.source, key.name, key.source)
        else:
            log.info("%s wins over the %s in %s", key.source, key.name, url.source)
            counted.append(key)
    return counted


def check_together(url: ParsedURL | None, keys: Sequence[Given], url_key: str) -> None:
    """The keys under the rules of a URL, beside the URL's own options, and all
    of them through MongoClient: a ConfigurationError naming the keys at fault."""
    if url is None:  # the development server's URL, known once it runs
        url = parse_url("mongodb://localhost/", url_key)
    overridden = {option_name(key.name) for key in keys}
    given = [each for each in url.given if option_name(each.name) not in overridden] + list(keys)
    refused = objection(url.parts, given)
    if refused is not None:
        raise refusal(refused, url.url, url_key, url.parts, given) from None


def option_value(name: str, options: Mapping[str, Any]) -> Any:
    """An option's value however the keys spell it, or None."""
    wanted = option_name(name)
    return next((value for key, value in options.items() if option_name(key) == wanted), None)


def given(name: str, options: Mapping[str, Any], url: ParsedURL | None) -> bool:
    in_url = url is not None and option_name(name) in url.options
    return in_url or option_value(name, options) is not None


def _as_query(name: str, raw: Any) -> tuple[Option, ...]:
    """A key as a URL would carry it, for the URL's rules: () when it cannot."""
    lowered = name.lower()
    if not isinstance(raw, str) or lowered not in _URL_OPTIONS:
        return ()
    if lowered == "readpreferencetags":
        lines = aslist(raw, flatten=False) or [""]
        return tuple(Option(name, _tag_set(line)) for line in lines)  # read unquoted
    if lowered == "authmechanismproperties":
        return (Option(name, raw.strip()),)
    return (Option(name, quote_plus(raw.strip())),)


def _tag_set(line: str) -> str:
    return "" if line == _EMPTY_TAG_SET else line


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
        return [_tag_set(line) for line in aslist(text, flatten=False)]
    return text


def _validates_to_itself(name: str, value: Any) -> bool:
    try:
        return bool(pymongo.common.validate(name, value)[1] == value)
    except BAD_SETTING:
        return False


def _instance(obj: Any) -> Any:
    return obj() if isinstance(obj, type) else obj
