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
last write wins). The CSRF token is not in it (``pyramid_mongo.csrf``): a
page with a form reads no session for it.
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from pyramid.config import Configurator
from pyramid.csrf import LegacySessionCSRFStoragePolicy
from pyramid.interfaces import ICSRFStoragePolicy, ISession, ISessionFactory
from pyramid.request import Request
from pyramid.response import Response
from webob.cookies import SignedCookieProfile
from zope.interface import implementer

from .connection import get_connection
from .csrf import SignedCookieCSRFPolicy
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

    def __init__(
        self,
        request: Request,
        settings: SessionSettings,
        store: Any,
        cookie: SignedCookieProfile,
        csrf: SignedCookieCSRFPolicy | None = None,
    ) -> None:
        self.request = request
        self._csrf = csrf
        self._settings = settings
        self._store = store
        self._profile = cookie
        self._changed: set[str] | None = set()  # None: the whole session
        self._refresh = False
        self._drop_cookie = False
        self._saving = False
        self._id: str | None = None  # a new session's is made when it is needed
        self.new = True
        self.created = self.accessed = _now()
        self._named = named_session(self._profile, request)
        found = self._load(self._named)
        if found is None:
            dict.__init__(self)
        else:
            self._id = found["_id"]
            self.new = False
            self.created = found.get("created", self.created)
            dict.__init__(self, found.get("data") or {})
            left = found["expires"].replace(tzinfo=dt.UTC) - self.accessed
            self._refresh = left < dt.timedelta(seconds=settings.timeout / 2)
            self._save_at_the_end()

    @property
    def session_id(self) -> str:
        if self._id is None:
            self._id = secrets.token_urlsafe(32)
        return self._id

    def _save_at_the_end(self) -> None:
        """A request whose session changes nothing and was never stored
        (a visitor's, read for who is logged in) has nothing to do at the end."""
        if not self._saving:
            self._saving = True
            on_response(self.request, self._save)

    @property
    def lasting_id(self) -> str | None:
        """The id of the session the browser holds after this response: the
        one its cookie named, a new one this request starts (a first change,
        ``rotate``), or none after ``invalidate``."""
        if self.new and (self._changed is _WHOLE or self._changed):
            return self.session_id
        if self._drop_cookie:
            return None
        return self._named

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
        self._save_at_the_end()
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
        if not self.new:
            self._store.delete_one({"_id": self.session_id})
        dict.clear(self)
        self._id = None
        self.new = True
        self._save_at_the_end()
        self._changed = set()
        self._drop_cookie = True

    def rotate(self) -> None:
        """A new id for the same data, as at login (against session fixation),
        and a new CSRF token: one known before is refused after."""
        if not self.new:
            self._store.delete_one({"_id": self.session_id})
        dict.pop(self, CSRF_KEY, None)
        self._id = None
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

    # With pyramid_mongo's CSRF policy (the default), the token it keeps in
    # its cookie: one token, however it is asked for.
    def new_csrf_token(self) -> str:
        if self._csrf is not None:
            return self._csrf.new_csrf_token(self.request)
        token = secrets.token_hex(20)
        self[CSRF_KEY] = token
        return token

    def get_csrf_token(self) -> str:
        if self._csrf is not None:
            return self._csrf.get_csrf_token(self.request)
        token = self.get(CSRF_KEY)
        return token if isinstance(token, str) else self.new_csrf_token()

    def _save(self, request: Request, response: Response) -> None:
        """One write at the end of the request, and the cookie that names it."""
        if getattr(request, "exception", None) is not None and response.status_int >= 500:
            return
        update = self._update(_now() + dt.timedelta(seconds=self._settings.timeout))
        if update is None:
            if self._drop_cookie:
                self._profile.bind(request).set_cookies(response, None)
            return
        update["$setOnInsert"] = {"created": self.created}
        self._store.update_one({"_id": self.session_id}, update, upsert=True)
        if self.new:  # a new id, or one given after invalidate() or rotate()
            self._profile.bind(request).set_cookies(response, self.session_id)

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


def named_session(cookie: SignedCookieProfile, request: Request) -> str | None:
    """The session id the request's cookie names, if we signed it; a request
    without the cookie costs no signature check."""
    if cookie.cookie_name not in request.cookies:
        return None
    named = cookie.bind(request).get_value()
    return named if isinstance(named, str) else None


class MongoSessionFactory:
    """Pyramid's session factory: ``request.session`` is made on first use."""

    def __init__(self, settings: SessionSettings) -> None:
        self.settings = settings
        # The signed cookie that names a session: made once, bound by a request.
        self.cookie = SignedCookieProfile(
            settings.secret, SALT, settings.cookie_name, secure=settings.secure,
            httponly=True, samesite=settings.samesite,
        )  # fmt: skip
        self.csrf: SignedCookieCSRFPolicy | None = None  # set when it is the CSRF policy
        self._store: Any = None

    def __call__(self, request: Request) -> MongoSession:
        connection = get_connection(request.registry)
        store = self._store
        if store is None or store.database.client is not connection.client:
            # Made once per client: PyMongo's collection is shared by threads.
            store = self._store = connection.client[connection.db_name][self.settings.collection]
        return MongoSession(request, self.settings, store, self.cookie, self.csrf)

    def lasting_id(self, request: Request) -> str | None:
        """``request.session.lasting_id``, read off the signed cookie when the
        request has not read its session: no document is read."""
        session = request.__dict__.get("session")
        if isinstance(session, MongoSession):
            return session.lasting_id
        return named_session(self.cookie, request)


def includeme(config: Configurator) -> None:
    """Ours, with ``mongodb.session_secret``, unless the application sets a
    session factory of its own."""
    settings = get_settings(config.registry).sessions
    if settings is None:
        return
    config.add_mongo_index(settings.collection, [("expires", 1)], expireAfterSeconds=0)

    def register() -> None:
        registry = config.registry
        if registry.queryUtility(ISessionFactory) is not None:
            return
        factory = MongoSessionFactory(settings)
        registry.registerUtility(factory, ISessionFactory)
        if isinstance(registry.queryUtility(ICSRFStoragePolicy), LegacySessionCSRFStoragePolicy):
            factory.csrf = SignedCookieCSRFPolicy(settings, factory)
            registry.registerUtility(factory.csrf, ICSRFStoragePolicy)

    # After the application's own set_session_factory or
    # set_csrf_storage_policy, whichever comes first; before
    # pyramid_mongo.http reads the CSRF policy (order 2).
    config.action(("pyramid_mongo.sessions",), register, order=1)
