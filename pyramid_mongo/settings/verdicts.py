"""PyMongo's verdict on a set of options, and what is at fault, said by us.

PyMongo says yes or no, with a reason in its own words that any release may
reword. Which option is at fault, and which setting carries it, is ours to
say: we ask PyMongo again without each option in turn (``culprits``), and
pass its text on only as the reason.
"""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pymongo.errors
from pymongo import MongoClient
from pyramid.exceptions import ConfigurationError

from .redaction import hide, is_secret_key, redact_url, secret_values, url_secrets
from .uri import Option, URLParts

try:
    # What MongoClient itself runs on a URL: no DNS look-up for mongodb+srv://.
    from pymongo.uri_parser_shared import _validate_uri as _parse_uri
except ImportError:  # pragma: no cover - PyMongo moved it; the public parser will do
    from pymongo.uri_parser import parse_uri as _parse_uri  # type: ignore[assignment]

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
        return shown(self.name, self.text, self.in_url)


def first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


class _Warned(ValueError):
    """PyMongo would warn and drop an option (a duplicate, a missing compressor)."""


def strict_parse(url: str) -> dict[str, Any]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = _parse_uri(url, warn=False)
    for warning in caught:
        if not issubclass(warning.category, DeprecationWarning):
            raise _Warned(str(warning.message))
    return result


def objection(parts: URLParts, given: Sequence[Given]) -> Exception | None:
    """PyMongo's objection to these options together, or None when it takes them."""
    in_url = [option for each in given if each.in_url for option in each.query]
    from_keys = [option for each in given if not each.in_url for option in each.query]
    keys = {each.name: each.value for each in given if not each.in_url}
    try:
        written = strict_parse(str(parts.with_options(in_url + from_keys)))
        _refused_once_srv_resolves(parts, written["options"])
        client: MongoClient[Any] = MongoClient(
            str(parts.with_options(in_url)), **{**keys, "connect": False}
        )
        client.close()
    except BAD_SETTING as exc:
        return exc
    return None


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
        each for each in given if objection(parts, [o for o in given if o is not each]) is None
    ]
    if needed:
        return [needed]
    alone = [[each] for each in given if objection(parts, [each]) is not None]
    if alone:
        return alone
    pairs = itertools.combinations(given, 2)
    return [list(pair) for pair in pairs if objection(parts, pair) is not None][:1]


def refusal(
    exc: Exception, url: str, key: str, parts: URLParts, given: Sequence[Given]
) -> ConfigurationError:
    secrets = url_secrets(url).union(*(secret_values(g.name, g.text) for g in given))
    reason = first_line(exc).replace(url, redact_url(url))
    if "@" in "".join(map(str, parts.options)):
        message = (
            f"{key}: an @ after the ? suggests a ?, / or @ in the user name or password: "
            "percent-encode them (%3F, %2F, %40)"
        )
    elif objection(parts.with_options(()), []) is not None:
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
        if getattr(base, piece) != plain and objection(base.replace(**{piece: plain}), []) is None:
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


def shown(name: str, text: Any, in_url: bool = False) -> str:
    value = "" if is_secret_key(name) or not isinstance(text, str) else text
    if in_url:
        return f"option {name}={value}: " if value else f"option {name}: "
    return f"invalid value {value!r}: " if value else ""
