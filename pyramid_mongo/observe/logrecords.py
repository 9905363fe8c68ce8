"""What a log record stores in MongoDB, apart from how it gets there.

A request pays only for an ``Entry``, a tuple of what cannot wait (the
message, the traceback, the request's fields); the handler's writer turns
entries into documents a batch at a time, where the work is cheap.
"""

from __future__ import annotations

import datetime as dt
import itertools
import logging
import os
from typing import Any

REQUEST_ID = "pyramid_mongo.request_id"
TEXT_LIMIT = 100_000  # characters of a message or traceback: a record stays far below 16 MiB
PATH_LIMIT = 500
EXTRA_KEYS = 50  # at most, of a record's extra= fields
EXTRA_TEXT = 10_000  # characters of one extra value, at most
# What every LogRecord has: anything else came from extra= (or a filter).
_BARE = vars(logging.LogRecord("", 0, "", 0, "", (), None))
STANDARD = frozenset(_BARE) | {"message", "asctime"}
# Kept as they are; anything else is stored as its repr, taken when logged.
_PLAIN = (str, int, float, bool, type(None), dt.datetime)

# time, level, logger, message, process, thread, exception text, the
# request's method, path and id, the source (file, line, function), and the
# extra fields.
Entry = tuple[
    float,
    str,
    str,
    str,
    int | None,
    str | None,
    str | None,
    tuple[str, str, str] | None,
    tuple[str, int, str],
    dict[str, Any] | None,
]


def extra_fields(record: logging.LogRecord) -> dict[str, Any] | None:
    """The record's extra= fields, as they are now: plain values kept, any
    other as its repr (it may change, or not be storable, by the time the
    writer runs)."""
    fields = record.__dict__
    if len(fields) <= len(_BARE):
        return None  # a record as logging makes it: no set to build
    names = fields.keys() - STANDARD
    if not names:
        return None
    return {
        name: value if isinstance(value, _PLAIN) else _repr(value)
        for name, value in ((name, fields[name]) for name in sorted(names)[:EXTRA_KEYS])
    }


def _repr(value: Any) -> str:
    try:
        return repr(value)[:EXTRA_TEXT]
    except Exception as error:  # a repr that raises: say so, keep the record
        return f"<unrepresentable {type(value).__name__}: {type(error).__name__}>"


def document(entry: Entry) -> dict[str, Any]:
    """The record as stored."""
    created, level, logger, message, process, thread, exception, about, source, extra = entry
    path, line, function = source
    stored: dict[str, Any] = {
        "time": dt.datetime.fromtimestamp(created, dt.UTC),
        "level": level,
        "logger": _text(logger),
        "message": _text(message),
        "process": process,
        "thread": _text(thread or ""),
        "source": {
            "file": _text((path or "")[-PATH_LIMIT:]),
            "line": line,
            "function": _text(function or ""),
        },
    }
    if extra:
        stored["extra"] = {_key(name): _value(value) for name, value in extra.items()}
    if exception is not None:
        stored["exception"] = _text(exception)
    if about is not None:
        method, path, id_ = about
        path = path[:PATH_LIMIT]
        if not path.isascii():  # WSGI's bytes as latin-1; their text is UTF-8
            path = path.encode("latin-1").decode("utf-8", "backslashreplace")
        stored["request"] = {"method": method, "path": path, "id": id_}
    return stored


def _key(name: str) -> str:
    """A field name BSON and queries take: no leading $, no dot, no NUL."""
    name = _text(name[:200]).replace(".", "_").replace("\x00", "_")
    return "_" + name if name.startswith("$") or not name else name


def _value(value: Any) -> Any:
    if isinstance(value, str):
        return _text(value[: EXTRA_TEXT * 2])
    if isinstance(value, int) and not -(2**63) <= value < 2**63:
        return str(value)  # beyond BSON's 64 bits
    return value


def _text(value: str) -> str:
    """Text BSON can store, of a bounded size: a lone surrogate (a file name
    decoded with surrogateescape, say) written as its escape, not a record
    the server never gets."""
    if not value.isascii():
        value = value.encode("utf-8", "backslashreplace").decode("utf-8")
    if len(value) > TEXT_LIMIT:
        value = f"{value[:TEXT_LIMIT]}... [{len(value) - TEXT_LIMIT} characters more]"
    return value


def request_id(request: Any) -> str:
    """The request's id: the client's X-Request-ID, else one of ours."""
    environ = request.environ
    found = environ.get(REQUEST_ID)
    if found is None:
        given = environ.get("HTTP_X_REQUEST_ID", "")
        found = environ[REQUEST_ID] = given[:100] if given else _new_id()
    return str(found)


def _new_id() -> str:
    """A process's random prefix and a count: unique as a UUID is, without
    the cost of one per request."""
    return f"{_ids.prefix}{next(_ids.count):08x}"


class _Ids:
    def __init__(self) -> None:
        self.prefix = os.urandom(8).hex()
        self.count = itertools.count()


_ids = _Ids()


def _new_ids_in_child() -> None:
    global _ids
    _ids = _Ids()  # a worker's ids are its own


os.register_at_fork(after_in_child=_new_ids_in_child)
