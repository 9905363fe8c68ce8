"""A MongoDB URL cut where PyMongo cuts it, each option kept as it was written.

PyMongo reads a URL into normalised options. A message about one option must
name it as the user wrote it, and a redacted URL must give the user's text
back with only its secrets replaced, so both need the URL's pieces as text.
The cuts are PyMongo's: the options after the first ``?``, separated by
``&`` or ``;``; the database after the first ``/`` before them; the user
information before the last ``@`` of the hosts. Judging the pieces stays
PyMongo's job.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass

import pymongo.common

SCHEMES = ("mongodb://", "mongodb+srv://")


def option_name(name: str) -> str:
    """One spelling for an option, so that ``read_preference``, ``readPreference``
    and ``READPREFERENCE`` (and ``ssl``, ``tls``) are seen as the same."""
    lowered = name.lower()
    lowered = pymongo.common.INTERNAL_URI_OPTION_NAME_MAP.get(lowered, lowered)
    return lowered.replace("_", "")


@dataclass(frozen=True)
class Option:
    """One ``name=value`` of a URL's query, as written (still percent-encoded)."""

    name: str
    value: str | None  # None when the piece has no "="

    def __str__(self) -> str:
        return self.name if self.value is None else f"{self.name}={self.value}"


@dataclass(frozen=True)
class URLParts:
    scheme: str
    userinfo: str | None
    hosts: str
    database: str | None  # the text after the "/", None when there is no "/"
    options: tuple[Option, ...]
    separator: str = "&"

    @property
    def is_srv(self) -> bool:
        return self.scheme == SCHEMES[1]

    def replace(self, **changes: object) -> URLParts:
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]

    def with_options(self, options: Iterable[Option]) -> URLParts:
        return self.replace(options=tuple(options))

    def __str__(self) -> str:
        userinfo = "" if self.userinfo is None else self.userinfo + "@"
        database = "" if self.database is None else "/" + self.database
        query = self.separator.join(map(str, self.options))
        return f"{self.scheme}{userinfo}{self.hosts}{database}{'?' + query if query else ''}"


def split_url(url: str, userinfo_through_path: bool = False) -> URLParts:
    """The URL's pieces, by PyMongo's cuts.

    ``userinfo_through_path`` looks for the user information up to the last
    ``@`` before the options rather than before the database: the cautious
    reading for a URL PyMongo refused, whose password may hold a raw ``/``.
    """
    scheme = next((each for each in SCHEMES if url.startswith(each)), "")
    if not scheme and "://" in url:
        scheme = url[: url.index("://") + 3]
    rest, _, query = url[len(scheme) :].partition("?")
    if userinfo_through_path and "@" in rest:
        userinfo, _, rest = rest.rpartition("@")
    else:
        userinfo = None
    hosts, slash, database = rest.partition("/")
    if userinfo is None and "@" in hosts:
        userinfo, _, hosts = hosts.rpartition("@")
    separator = ";" if ";" in query and "&" not in query else "&"
    options = tuple(
        Option(name, value if equals else None)
        for name, equals, value in (piece.partition("=") for piece in query.split(separator))
        if name or equals
    )
    return URLParts(scheme, userinfo, hosts, database if slash else None, options, separator)
