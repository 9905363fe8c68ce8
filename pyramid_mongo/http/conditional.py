"""RFC 9110 conditional requests (§13) and byte ranges (§14), written once.

WebOb's ``conditional_response`` departs from the RFC in places (HEAD with a
Range answers 206, ``If-Match`` is ignored, ``Range: bytes=-`` raises, ...).
``evaluate`` follows the RFC's own order of evaluation (§13.2.2) for a
representation with a strong entity tag, a modification date and a length,
and says what to answer: a status and, for 206, the one range to send.
``check_if_match`` is the same rules for a write with optimistic
concurrency: a client must say which version it changes (RFC 6585's 428).
"""

from __future__ import annotations

import datetime as dt
import email.utils
import re
from collections.abc import Mapping
from dataclasses import dataclass

from pyramid.httpexceptions import (
    HTTPException,
    HTTPNotModified,
    HTTPPreconditionFailed,
    HTTPPreconditionRequired,
)
from pyramid.request import Request

from .errors import error_response
from .lists import list_elements

# One entity tag (§8.8.3): [W/]"opaque".
_ETAG = re.compile(r'(W/)?("[\x21\x23-\x7e\x80-\xff]*")')
_RANGE_SPEC = re.compile(r"(\d*)[ \t]*-[ \t]*(\d*)")


@dataclass(frozen=True)
class Outcome:
    status: int  # 200, 206, 304, 412 or 416
    start: int = 0
    stop: int = 0  # exclusive


def http_date(moment: dt.datetime) -> str:
    """An IMF-fixdate; a naive datetime is UTC, as PyMongo reads it."""
    aware = moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment
    return email.utils.format_datetime(aware.astimezone(dt.UTC), usegmt=True)


def whole_seconds(moment: dt.datetime) -> dt.datetime:
    """The instant an HTTP date can name: UTC, to the second."""
    aware = moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment
    return aware.astimezone(dt.UTC).replace(microsecond=0)


def _parse_date(value: str | None) -> dt.datetime | None:
    if not value:
        return None
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None  # an invalid date is ignored (§13.1.3, §13.1.4)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def _etags(value: str) -> list[tuple[bool, str]] | None:
    """``[(weak, tag)]``, or None for a malformed list."""
    tags = []
    for element in list_elements(value):
        match = _ETAG.fullmatch(element)
        if match is None:
            return None
        tags.append((bool(match.group(1)), match.group(2)))
    return tags


def _matches(header: str, etag: str, *, strong: bool) -> bool:
    if header.strip() == "*":
        return True
    tags = _etags(header) or []
    return any(tag == etag and not (strong and weak) for weak, tag in tags)


def preconditions(
    method: str, headers: Mapping[str, str], etag: str, modified: dt.datetime | None = None
) -> int | None:
    """304 or 412 where a precondition says so (§13.2.2, steps 1 to 4), else
    None; a representation without a date skips the date headers."""
    get = headers.get
    stamp = whole_seconds(modified) if modified is not None else None
    if_match, if_none_match = get("If-Match"), get("If-None-Match")
    if if_match is not None:
        if not _matches(if_match, etag, strong=True):
            return 412
    elif stamp is not None:
        since = _parse_date(get("If-Unmodified-Since"))
        if since is not None and stamp > since:
            return 412
    safe = method in ("GET", "HEAD")
    if if_none_match is not None:
        if _matches(if_none_match, etag, strong=False):
            return 304 if safe else 412
    elif safe and stamp is not None:
        since = _parse_date(get("If-Modified-Since"))
        if since is not None and stamp <= since:
            return 304
    return None


def check_read(
    request: Request, etag: str, modified: dt.datetime | None = None
) -> HTTPException | None:
    """For a read (GET, HEAD) of a representation: the 304 to answer, or None
    to answer it whole; a failed ``If-Match`` or ``If-Unmodified-Since`` is
    the 412 raised, as for a write (§13.1.1, §13.1.4)."""
    status = preconditions(request.method, request.headers, etag, modified)
    if status == 412:
        raise error_response(
            request,
            HTTPPreconditionFailed,
            "The resource does not match the request's If-Match or If-Unmodified-Since.",
        )
    if status == 304:
        headers = {"ETag": etag}
        if modified is not None:
            headers["Last-Modified"] = http_date(modified)
        return HTTPNotModified(headers=headers)
    return None


def check_if_match(request: Request, etag: str) -> None:
    """Optimistic concurrency for a write to a stored representation: 428
    when the request has no ``If-Match`` (RFC 6585), 412 when it names
    another version than ``etag``, or when another precondition fails; then
    the write must still name the version it read."""
    if "If-Match" not in request.headers:
        raise error_response(
            request,
            HTTPPreconditionRequired,
            "Send If-Match with the ETag you read, so that no one's change is lost.",
        )
    if preconditions(request.method, request.headers, etag) is not None:
        raise changed_meanwhile(request)


def changed_meanwhile(request: Request) -> HTTPException:
    """The 412 of a write whose version is no longer the stored one."""
    return error_response(
        request,
        HTTPPreconditionFailed,
        "The resource has changed since it was read: read it again, then retry.",
    )


def evaluate(
    method: str, headers: Mapping[str, str], etag: str, modified: dt.datetime, length: int
) -> Outcome:
    """What to answer for a request's preconditions and Range (§13.2.2).

    ``etag`` is the strong entity tag, quoted; ``headers`` reads like WebOb's
    ``request.headers``.
    """
    status = preconditions(method, headers, etag, modified)
    if status is not None:
        return Outcome(status)
    range_header = headers.get("Range")
    if method != "GET" or range_header is None:
        return Outcome(200, 0, length)  # HEAD and other methods ignore Range
    if not _if_range_holds(headers.get("If-Range"), etag, whole_seconds(modified)):
        return Outcome(200, 0, length)
    return _range(range_header, length)


def _if_range_holds(value: str | None, etag: str, modified: dt.datetime) -> bool:
    if value is None:
        return True
    value = value.strip()
    if value.startswith(("W/", '"')):
        return value == etag  # a strong comparison; a weak tag never matches
    date = _parse_date(value)
    return date is not None and date == modified


# Past any file's length: a position of more digits reads as this, in no
# more time than its digits take (Python refuses to convert a number of
# thousands of digits, and takes time quadratic in them below that).
_BEYOND_ANY_FILE = 10**18


def _position(digits: str) -> int:
    return _BEYOND_ANY_FILE if len(digits) > 18 else int(digits)


def _range(value: str, length: int) -> Outcome:
    """One satisfiable range as 206; none as 416; anything else as the whole (200)."""
    unit, _, specs = value.partition("=")
    if unit.strip().lower() != "bytes" or not list_elements(specs):
        return Outcome(200, 0, length)
    ranges = []
    for spec in list_elements(specs):
        match = _RANGE_SPEC.fullmatch(spec)
        if match is None or match.groups() == ("", ""):
            return Outcome(200, 0, length)  # malformed: ignore the header (§14.2)
        first, last = match.groups()
        if first == "":
            suffix = _position(last)
            if suffix > 0 and length > 0:
                ranges.append((max(length - suffix, 0), length))
        else:
            start = _position(first)
            if last != "" and _position(last) < start:
                return Outcome(200, 0, length)  # invalid range-spec
            if start < length:
                end = length if last == "" else min(_position(last) + 1, length)
                ranges.append((start, end))
    if not ranges:
        return Outcome(416)
    if len(ranges) > 1:
        return Outcome(200, 0, length)  # several ranges: the whole file, as §14.2 allows
    return Outcome(206, *ranges[0])
