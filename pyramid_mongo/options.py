"""MongoClient options, from a MongoDB URL and from ``mongodb.<option>`` keys.

PyMongo is the one judge of both: the URL goes through the parser MongoClient
itself runs, made strict (an option PyMongo would warn about and drop stops
start-up instead), and the keys go through the same rules, written into a URL
beside the URL's own options, and then into a MongoClient that does not
connect. Only what an INI file cannot say as text is ours to convert: dotted
names of Python objects, lists, and one read-preference tag set per line.

PyMongo's verdict comes with a reason in its own words, which any release may
reword. Which option is at fault, and which setting carries it, is ours to
say: we ask PyMongo again without each option in turn (see ``culprits``).
"""

from __future__ import annotations

import itertools
import logging
import warnings
import zoneinfo
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote_plus

import pymongo.common
import pymongo.errors
from pymongo import MongoClient
from pymongo.server_api import ServerApi
from pyramid.exceptions import ConfigurationError
from pyramid.path import DottedNameResolver
from pyramid.settings import aslist

from .redaction import hide, is_secret_key, redact_url, secret_values, url_secrets
from .uri import SCHEMES, Option, URLParts, option_name, split_url

try:
    # What MongoClient itself runs on a URL: no DNS look-up for mongodb+srv://.
    from pymongo.uri_parser_shared import _validate_uri as _parse_uri
except ImportError:  # pragma: no cover - PyMongo moved it; the public parser will do
    from pymongo.uri_parser import parse_uri as _parse_uri  # type: ignore[assignment]

log = logging.getLogger(__name__)

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
# Options whose INI text is converted before PyMongo sees it: never in a URL.
_CONVERTED = _OBJECT_OPTIONS | {"event_listeners", "tzinfo", "server_api", "authoidcallowedhosts"}
# The options a URL can carry, by PyMongo's own table.
_URL_OPTIONS = frozenset(getattr(pymongo.common, "URI_OPTIONS_VALIDATOR_MAP", ())) - _CONVERTED
# One read-preference tag set per line; ``{}`` is the empty set, which in a
# URL is ``readPreferenceTags=`` ("any server").
_EMPTY_TAG_SET = "{}"
# Where a URL's hosts, database or user information are at fault, the URL
# with that piece made plain is accepted.
_PLAIN_PIECES = (
    ("hosts", "db.example.com", "its hosts"),
    ("database", None, "its database name"),
    ("userinfo", None, "its user name or password"),
)


@dataclass(frozen=True)
class Given:
    """One option as the user gave it, and the setting that carries it."""

    source: str  # mongodb.url, MONGODB_URL, or the mongodb.<option> key
    name: str  # as written
    in_url: bool
    query: tuple[Option, ...]  # as it reads in a URL; () when a URL cannot carry it
    text: Any = None  # a key's value as given
    value: Any = None  # a key's keyword argument, converted

    @property
    def label(self) -> str:
        return f"{self.source} option {self.name}" if self.in_url else self.source

    @property
    def shown(self) -> str:
        """How a message about this option starts: its name when it is in a URL,
        and its value unless that is a secret."""
        return _shown(self.name, self.text, self.in_url)


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


def first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


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
        result = _strict_parse(url)
    except BAD_SETTING as exc:
        raise _refusal(exc, url, key, parts, given) from None
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
            raise ConfigurationError(f"{key}: {_shown(name, raw)}{reason}") from None
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
    objection = _objection(url.parts, given)
    if objection is not None:
        raise _refusal(objection, url.url, url_key, url.parts, given) from None


def option_value(name: str, options: Mapping[str, Any]) -> Any:
    """An option's value however the keys spell it, or None."""
    wanted = option_name(name)
    return next((value for key, value in options.items() if option_name(key) == wanted), None)


def given(name: str, options: Mapping[str, Any], url: ParsedURL | None) -> bool:
    in_url = url is not None and option_name(name) in url.options
    return in_url or option_value(name, options) is not None


class _Warned(ValueError):
    """PyMongo would warn and drop an option (a duplicate, a missing compressor)."""


def _strict_parse(url: str) -> dict[str, Any]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = _parse_uri(url, warn=False)
    for warning in caught:
        if not issubclass(warning.category, DeprecationWarning):
            raise _Warned(str(warning.message))
    return result


def _objection(parts: URLParts, given: Sequence[Given]) -> Exception | None:
    """PyMongo's objection to these options together, or None when it takes them."""
    in_url = [option for each in given if each.in_url for option in each.query]
    keys = {each.name: each.value for each in given if not each.in_url}
    try:
        written = _strict_parse(str(parts.with_options(in_url + _key_queries(given))))
        _refused_once_srv_resolves(parts, written["options"])
        client: MongoClient[Any] = MongoClient(
            str(parts.with_options(in_url)), **{**keys, "connect": False}
        )
        client.close()
    except BAD_SETTING as exc:
        return exc
    return None


def _key_queries(given: Sequence[Given]) -> list[Option]:
    return [option for each in given if not each.in_url for option in each.query]


def _refused_once_srv_resolves(parts: URLParts, options: Mapping[str, Any]) -> None:
    """PyMongo checks these only after the SRV look-up, which is never made at
    start-up: said here in our words, so start-up refuses them too."""
    lowered = {name.lower(): value for name, value in options.items()}
    if parts.is_srv and lowered.get("srvmaxhosts"):
        for other in ("replicaset", "loadbalanced"):
            if lowered.get(other):
                raise _Warned(f"srvMaxHosts cannot be used with {other}")


def culprits(parts: URLParts, given: Sequence[Given]) -> list[list[Given]]:
    """The options at fault, by PyMongo's verdicts alone: those without which
    the rest is accepted; else each refused even alone; else the first pair
    refused together. Empty: only the whole is refused."""
    needed = [
        each for each in given if _objection(parts, [o for o in given if o is not each]) is None
    ]
    if needed:
        return [needed]
    alone = [[each] for each in given if _objection(parts, [each]) is not None]
    if alone:
        return alone
    pairs = itertools.combinations(given, 2)
    return [list(pair) for pair in pairs if _objection(parts, pair) is not None][:1]


def _refusal(
    exc: Exception, url: str, key: str, parts: URLParts, given: Sequence[Given]
) -> ConfigurationError:
    secrets = url_secrets(url).union(*(secret_values(g.name, g.text) for g in given))
    reason = first_line(exc).replace(url, redact_url(url))
    if "@" in "".join(map(str, parts.options)):
        message = (
            f"{key}: an @ after the ? suggests a ?, / or @ in the user name or password: "
            "percent-encode them (%3F, %2F, %40)"
        )
    elif _objection(parts.with_options(()), []) is not None:
        message = f"{key}: {_faulty_piece(parts)}{reason}"
    else:
        found = culprits(parts, given)
        message = "; ".join(_naming(group, key, reason) for group in found)
        if not found:
            sources = dict.fromkeys(each.source for each in given)
            message = f"{', '.join(sources) or key}: {reason}"
    return ConfigurationError(hide(message, secrets))


def _faulty_piece(parts: URLParts) -> str:
    base = parts.with_options(())
    for piece, plain, what in _PLAIN_PIECES:
        if getattr(base, piece) != plain and _objection(base.replace(**{piece: plain}), []) is None:
            shown = "" if piece == "userinfo" else f" {getattr(base, piece)!r}"
            return f"{what}{shown}: "
    return ""


def _naming(group: list[Given], key: str, reason: str) -> str:
    first = group[0]
    if len(group) == 1:
        return f"{first.source}: {first.shown}{reason}"
    if all(each.in_url for each in group):
        if len({each.name.lower() for each in group}) == 1:
            return f"{key}: option {first.name} is given {len(group)} times: {reason}"
        names = " and ".join(each.name for each in group)
        return f"{key}: options {names} cannot be used together: {reason}"
    return f"{' and '.join(each.label for each in group)} cannot be used together: {reason}"


def _shown(name: str, text: Any, in_url: bool = False) -> str:
    value = "" if is_secret_key(name) or not isinstance(text, str) else text
    if in_url:
        return f"option {name}={value}: " if value else f"option {name}: "
    return f"invalid value {value!r}: " if value else ""


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
