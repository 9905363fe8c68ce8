"""Server-side sessions in MongoDB (``mongodb.session_secret``).

Pyramid's own sessions keep all their data in a signed cookie: 4 KB at most,
and no way to end one on the server. Here the cookie carries only a signed,
random session id; the data lives in a document of the ``sessions``
collection, which a TTL index empties of idle sessions, and which is refused
as expired even before the TTL monitor has run.

It costs what it must: a request that never reads ``request.session``
touches no document; one that reads it reads one document and writes
nothing; one that changes it makes one write at the end of the request,
setting only the keys it changed, so that two requests of one session that
change different keys at once both keep their change (the same key: the
last write wins).
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable
from typing import Any

from pyramid.config import Configurator
from pyramid.interfaces import ISession, ISessionFactory
from pyramid.request import Request
from pyramid.response import Response
from webob.cookies import SignedCookieProfile
from zope.interface import implementer

from .connection import get_connection
from .outage import on_response
from .settings import SessionSettings, get_settings

SALT = "pyramid_mongo.session"
CSRF_KEY = "_csrft_"  # where Pyramid's own sessions keep it
_WHOLE = None  # "every key changed": the data is written whole
_IMMUTABLE = (str, bytes, int, float, tuple, frozenset, type(None), dt.datetime)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


@implementer(ISession)
class MongoSession(dict[str, Any]):
    """``request.session``: a dict whose data lives in MongoDB."""

    def __init__(self, request: Request, settings: SessionSettings, store: Any) -> None:
        self.request = request
        self._settings = settings
        self._store = store
        self._cookie = SignedCookieProfile(
            settings.secret,
            SALT,
            settings.cookie_name,
            secure=settings.secure,
            httponly=True,
            samesite=settings.samesite,
        ).bind(request)
        self._changed: set[str] | None = set()  # None: the whole session
        self._refresh = False
        self._drop_cookie = False
        self.new = True
        self.created = _now()
        found = self._load(self._cookie.get_value())
        if found is None:
            self.session_id = secrets.token_urlsafe(32)
            dict.__init__(self)
        else:
            self.session_id = found["_id"]
            self.new = False
            self.created = found.get("created", self.created)
            dict.__init__(self, found.get("data") or {})
            left = found["expires"].replace(tzinfo=dt.UTC) - _now()
            self._refresh = left < dt.timedelta(seconds=settings.timeout / 2)
        self.accessed = _now()
        on_response(request, self._save)

    def _load(self, session_id: Any) -> dict[str, Any] | None:
        """The stored session, unless the cookie is missing, forged or expired."""
        if not isinstance(session_id, str):
            return None
        found: dict[str, Any] | None = self._store.find_one({"_id": session_id})
        if found is None:
            return None
        if found["expires"].replace(tzinfo=dt.UTC) <= _now():
            return None  # idle too long, whether or not the TTL monitor has run
        return found

    # What changed, to write only that: a call that leaves the data as it
    # was (a pop of an absent key, a clear of an empty session) writes nothing.
    def _note_change(self, keys: Any) -> None:
        if keys is _WHOLE or self._changed is _WHOLE:
            self._changed = _WHOLE
        else:
            self._changed |= set(keys)

    def __setitem__(self, key: str, value: Any) -> None:
        dict.__setitem__(self, key, value)
        self._note_change([key])

    def __delitem__(self, key: str) -> None:
        dict.__delitem__(self, key)
        self._note_change([key])

    def pop(self, key: str, *default: Any) -> Any:
        if key in self:
            self._note_change([key])
        return dict.pop(self, key, *default)

    def setdefault(self, key: str, default: Any = None) -> Any:
        # A stored list or dict it hands out is changed in place as often as
        # not (``session.setdefault("cart", []).append(item)``).
        if key not in self or not isinstance(self[key], _IMMUTABLE):
            self._note_change([key])
        return dict.setdefault(self, key, default)

    def popitem(self) -> tuple[str, Any]:
        key, value = dict.popitem(self)
        self._note_change([key])
        return key, value

    def clear(self) -> None:
        if self:
            self._note_change(list(self))
        dict.clear(self)

    def update(self, *args: Any, **kwargs: Any) -> None:
        given = dict(*args, **kwargs)
        dict.update(self, given)
        self._note_change(given)

    def changed(self) -> None:
        """A mutable value changed in place: write the whole session."""
        self._note_change(_WHOLE)

    def invalidate(self) -> None:
        """End the session: its document goes now, and the cookie with the response."""
        self._store.delete_one({"_id": self.session_id})
        dict.clear(self)
        self.session_id = secrets.token_urlsafe(32)
        self.new = True
        self._changed = set()
        self._drop_cookie = True

    def rotate(self) -> None:
        """A new id for the same data, as at login (against session fixation),
        and a new CSRF token: one known before is refused after."""
        self._store.delete_one({"_id": self.session_id})
        dict.pop(self, CSRF_KEY, None)
        self.session_id = secrets.token_urlsafe(32)
        self.new = True
        self._note_change(_WHOLE)

    # Flash messages and CSRF tokens, as Pyramid's own sessions keep them.
    def flash(self, msg: Any, queue: str = "", allow_duplicate: bool = True) -> None:
        key = "_f_" + queue
        storage = self.get(key, [])
        if allow_duplicate or msg not in storage:
            self[key] = [*storage, msg]

    def pop_flash(self, queue: str = "") -> list[Any]:
        messages: list[Any] = self.pop("_f_" + queue) if "_f_" + queue in self else []
        return messages

    def peek_flash(self, queue: str = "") -> list[Any]:
        return self.get("_f_" + queue, [])  # type: ignore[no-any-return]

    def new_csrf_token(self) -> str:
        token = secrets.token_hex(20)
        self[CSRF_KEY] = token
        return token

    def get_csrf_token(self) -> str:
        token = self.get(CSRF_KEY)
        return token if isinstance(token, str) else self.new_csrf_token()

    def _save(self, request: Request, response: Response) -> None:
        """One write at the end of the request, and the cookie that names it."""
        if getattr(request, "exception", None) is not None and response.status_int >= 500:
            return
        update = self._update(_now() + dt.timedelta(seconds=self._settings.timeout))
        if update is None:
            if self._drop_cookie:
                self._cookie.set_cookies(response, None)
            return
        update["$setOnInsert"] = {"created": self.created}
        self._store.update_one({"_id": self.session_id}, update, upsert=True)
        if self.new:  # a new id, or one given after invalidate() or rotate()
            self._cookie.set_cookies(response, self.session_id)

    def _update(self, expires: dt.datetime) -> dict[str, Any] | None:
        """The changed keys only, when they can be named in a field path."""
        changed = self._changed
        if changed is _WHOLE or not all(_plain(key) for key in changed):
            return {"$set": {"data": dict(self), "expires": expires}}
        if changed:
            update: dict[str, Any] = {
                "$set": {f"data.{key}": self[key] for key in changed if key in self}
            }
            update["$set"]["expires"] = expires
            gone = {f"data.{key}": "" for key in changed if key not in self}
            if gone:
                update["$unset"] = gone
            return update
        if self._refresh and not self.new:
            return {"$set": {"expires": expires}}  # idle time restarts, half-way through
        return None


def _plain(key: Any) -> bool:
    return isinstance(key, str) and bool(key) and "." not in key and not key.startswith("$")


def session_factory(settings: SessionSettings) -> Callable[[Request], MongoSession]:
    def factory(request: Request) -> MongoSession:

        connection = get_connection(request.registry)
        store = connection.client[connection.db_name][settings.collection]
        return MongoSession(request, settings, store)

    return factory


def includeme(config: Configurator) -> None:
    """Ours, with ``mongodb.session_secret``, unless the application sets a
    session factory of its own."""
    settings = get_settings(config.registry).sessions
    if settings is None:
        return
    config.add_mongo_index(settings.collection, [("expires", 1)], expireAfterSeconds=0)

    def register() -> None:
        if config.registry.queryUtility(ISessionFactory) is None:
            config.registry.registerUtility(session_factory(settings), ISessionFactory)

    # After the application's own set_session_factory, whichever comes first.
    config.action(("pyramid_mongo.sessions",), register, order=10)
