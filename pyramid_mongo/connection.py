"""The application's one MongoClient, per process.

A MongoClient is a thread-safe pool meant to live as long as the process, but
it does not survive a fork: a server that loads the app and then forks its
workers (gunicorn ``--preload``, uWSGI without ``lazy-apps``) must give each
child a client of its own. The child forgets the inherited client right after
the fork and builds a new one on first use, so PyMongo never has to warn
"MongoClient opened before fork".
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import weakref
from collections.abc import Callable, Sequence
from typing import Any

from pymongo import MongoClient, timeout
from pymongo.database import Database
from pymongo.driver_info import DriverInfo
from pyramid.config import Configurator
from pyramid.events import ApplicationCreated
from pyramid.exceptions import ConfigurationError

from ._version import __version__
from .settings import (
    BAD_SETTING,
    MongoSettings,
    first_line,
    get_settings,
    hide,
    included,
    option_value,
    redact_url,
    scrub,
)

log = logging.getLogger(__name__)
# Seconds a closing client may take to end its sessions on the server.
CLOSE_SECONDS = 0.2

CONNECTION_KEY = "pyramid_mongo.connection"

_live_connections: weakref.WeakSet[MongoConnection] = weakref.WeakSet()


# A MongoClient whose repr (shown in pshell, logs, tracebacks) holds no
# secret: older PyMongo shows a TLS key's password and authMechanismProperties
# in it. No docstring: pshell's banner shows an object's docstring instead of
# its repr, and the banner should show the client.
class Client(MongoClient[Any]):
    hidden: frozenset[str] = frozenset()

    def __repr__(self) -> str:
        shown = super().__repr__().removeprefix(type(self).__name__)
        return "MongoClient" + hide(shown, self.hidden)


def get_connection(registry: Any) -> MongoConnection:
    """The application's connection: its settings and its client in this process."""
    connection: MongoConnection = included(registry, CONNECTION_KEY)
    return connection


def get_client(registry: Any) -> Any:
    """The application's MongoClient in this process, for scripts and pshell."""
    return get_connection(registry).client


def get_db(registry: Any, name: str | None = None) -> Database[Any]:
    """The application's database (or one of mongodb.databases) outside a request:
    scripts, pshell, tests."""
    connection = get_connection(registry)
    return connection.client[connection.database_name(name)]


class MongoConnection:
    """Builds the client lazily, once per process, from validated settings."""

    def __init__(
        self, settings: MongoSettings, url: str | None = None, listeners: Sequence[Any] = ()
    ) -> None:
        # None until the development server of mongodb.embedded runs (open()).
        self.url: str | None = url if url is not None else settings.url
        self.settings = settings
        self.db_name: str = settings.db_name or ""
        self.db_names = frozenset({self.db_name, *settings.databases})
        self._factory: Callable[..., Any] = settings.client_factory or Client
        self._options = {
            "connect": False,
            **settings.client_options,
            "driver": DriverInfo(name="pyramid_mongo", version=__version__),
        }
        self.recording = False
        for listener in listeners:
            self.add_listener(listener)
        self._lock = threading.Lock()
        self._inherited: list[Any] = []
        self._refusal_reported = False
        self.transactions_checked = False
        self.server: Any = None  # the development server of mongodb.embedded, once started
        self._client: MongoClient[Any] | None = None
        self._owner_pid = os.getpid()
        _live_connections.add(self)

    def __repr__(self) -> str:
        return f"<MongoConnection {self.shown_url} db={self.db_name}>"

    @property
    def shown_url(self) -> str:
        """The server's URL as a log line or a message may show it."""
        return redact_url(self.url) if self.url else "(the development server, not started)"

    def add_listener(self, listener: Any) -> None:
        """A ``pymongo.monitoring`` listener of ours, before the first client is built."""
        if self._client is not None:
            raise RuntimeError("the client is built: add listeners before the application is made")
        self._options["event_listeners"] = [*(self._options.get("event_listeners") or []), listener]
        self.recording = True

    def open(self) -> None:
        """At start-up: the development server runs, and the first client is
        built, which runs PyMongo's own checks of the URL and options once
        more (connect=False keeps it off the network)."""
        embedded = self.settings.embedded
        if self.url is None and embedded is not None:
            from .devserver import start_server  # the development tooling, only where asked for

            self.server = start_server(embedded, self.settings.url_source)
            self.url = self.server.url
            # At exit the clients close first, while their server still
            # answers (atexit runs the last registered first).
            atexit.unregister(_close_all_at_exit)
            atexit.register(_close_all_at_exit)
        if self._client is None:
            self._client = self._new_client(self.settings.url_source)
            self._owner_pid = os.getpid()
        log.info(
            "pyramid_mongo: MongoDB at %s (from %s), database %r",
            self.shown_url,
            self.settings.url_source,
            self.db_name,
        )

    def _new_client(self, source: str = "the MongoDB URL") -> MongoClient[Any]:
        if self.url is None:
            raise LookupError("the development server starts once the application is made")
        try:
            client: MongoClient[Any] = self._factory(self.url, **self._options)
        except BAD_SETTING as exc:
            reason = scrub(first_line(exc), self.url)
            raise ConfigurationError(f"{source}: {hide(reason, self.settings.secrets)}") from None
        if isinstance(client, Client):
            client.hidden = self.settings.secrets
        return client

    @property
    def client(self) -> MongoClient[Any]:
        client = self._client
        if client is None:
            with self._lock:
                if self._client is None:
                    self._client = self._new_client()
                    self._owner_pid = os.getpid()
                client = self._client
        return client

    @property
    def db(self) -> Database[Any]:
        return self.client[self.db_name]

    def database_name(self, name: str | None = None) -> str:
        """The default database's name, or a name from mongodb.databases."""
        if name is None:
            return self.db_name
        if name not in self.db_names:
            raise LookupError(
                f"database {name!r} is neither mongodb.db_name nor in mongodb.databases"
            )
        return name

    def report_refused_credentials(self) -> None:
        """One log line per process naming who was refused (never the password)."""
        if self._refusal_reported:
            return
        self._refusal_reported = True
        options = self.settings.client_options
        log.error(
            "MongoDB refused the credentials of user %r (authSource %r) from %s: "
            "check the user name, password and authSource",
            option_value("username", options) or self.settings.username,
            option_value("authSource", options) or self.settings.auth_source,
            self.settings.url_source,
        )

    def _forget_after_fork(self) -> None:
        # The parent still uses that client: keep it referenced, untouched.
        if self._client is not None:
            self._inherited.append(self._client)
        self._client = None
        self._lock = threading.Lock()

    def close(self) -> None:
        """Close this process's client; a later use opens a new one."""
        with self._lock:
            client, self._client = self._client, None
        if client is not None and self._owner_pid == os.getpid():
            # Closing tells the server which sessions end: a courtesy (it
            # expires them itself) that must not wait out the selection
            # timeout for a server that is gone, as the development server
            # is when Ctrl-C reached it too.
            with timeout(CLOSE_SECONDS):
                client.close()


def _after_fork_in_child() -> None:
    for connection in list(_live_connections):
        connection._forget_after_fork()


def close_all() -> None:
    """Close every client of this process, and let its development servers
    stop (their watchdogs stop them in order, on their own)."""
    for connection in list(_live_connections):
        try:
            connection.close()
            if connection.server is not None:
                connection.server.stop(wait=0)
        except Exception:  # pragma: no cover - the interpreter is going away
            log.debug("closing %r failed", connection, exc_info=True)


def _close_all_at_exit() -> None:
    close_all()


os.register_at_fork(after_in_child=_after_fork_in_child)
atexit.register(_close_all_at_exit)


def _open(event: ApplicationCreated) -> None:
    get_connection(event.app.registry).open()


def includeme(config: Configurator) -> None:
    """The application's connection, in the registry; its development server
    and first client once the application is made."""
    registry = config.registry
    registry[CONNECTION_KEY] = MongoConnection(get_settings(registry))
    config.add_subscriber(_open, ApplicationCreated)
