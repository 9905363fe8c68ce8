"""``request.db`` inside the request's transaction (``mongodb.transactions = true``).

Pyramid's answer to "commit when the request succeeds, roll back when it
fails" is ``pyramid_tm``, and ``pyramid_retry`` runs a request again after a
conflict. A :class:`MongoDataManager` joins one MongoDB transaction to the
request's transaction manager: it starts a ``ClientSession`` and a
transaction the first time the request uses the database, binds the session
(PyMongo's ``ClientSession.bind``) so that every operation of the request's
client runs in it without a ``session=`` argument, and commits or aborts when
``pyramid_tm`` does.

An error labelled ``TransientTransactionError`` (a write conflict, a lost
primary) is retryable for ``pyramid_retry``, which then runs the whole request
again, after a short jittered, growing pause: retrying at once under
contention makes the same requests collide again. A commit whose outcome is
unknown (``UnknownTransactionCommitResult``) is retried as the drivers'
transactions specification says.
"""

from __future__ import annotations

import contextlib
import random
import time
from typing import Any

import transaction
from pymongo import MongoClient
from pymongo.client_session import ClientSession
from pymongo.errors import ConnectionFailure, PyMongoError
from pyramid.config import Configurator
from pyramid.exceptions import ConfigurationError
from pyramid.interfaces import ITweens
from transaction.interfaces import IDataManager, TransientError
from zope.interface import implementer

from .atomic import TransactionsUnsupported, bind_outside_blocks, check_supported
from .connection import get_connection

__all__ = ["MongoDataManager", "TransactionsUnsupported", "check_supported", "join_transaction"]

TRANSIENT = "TransientTransactionError"
UNKNOWN_COMMIT_RESULT = "UnknownTransactionCommitResult"
SETTING = "mongodb.transactions"
# The drivers' specification retries an unknown commit result for up to 120 s;
# a web request should not wait that long.
COMMIT_RETRY_SECONDS = 10.0
BACKOFF_BASE_SECONDS = 0.01
BACKOFF_CAP_SECONDS = 0.5


class MongoTransientError(TransientError):  # type: ignore[misc]
    """A MongoDB transaction failed in a way that running it again may mend."""


def is_transient(error: BaseException) -> bool:
    """A conflict that running the request again may mend. A lost server is
    none, though PyMongo labels it transient inside a transaction: running
    the request again would wait out another selection timeout."""
    if isinstance(error, MongoTransientError):
        return True
    return (
        isinstance(error, PyMongoError)
        and not isinstance(error, ConnectionFailure)
        and (error.has_error_label(TRANSIENT) or error.has_error_label(UNKNOWN_COMMIT_RESULT))
    )


def backoff_seconds(attempt: int) -> float:
    """Full jitter: anywhere up to an exponentially growing, capped bound."""
    return random.uniform(0, min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2**attempt))


@implementer(IDataManager)
class MongoDataManager:
    """One MongoDB transaction, joined to a ``transaction`` manager's transaction."""

    def __init__(
        self,
        client: MongoClient[Any],
        transaction_manager: Any,
        before_commit: Any = None,
    ) -> None:
        self.transaction_manager = transaction_manager
        self.session: ClientSession = client.start_session()
        self.session.start_transaction()
        self._binding = self.session.bind(end_session=False)
        self._bound = False
        self._before_commit = before_commit
        self._ended = False
        bind_outside_blocks(self._bind)
        transaction_manager.get().join(self)

    def _bind(self) -> None:
        if not self._ended:
            self._binding.__enter__()
            self._bound = True

    # IDataManager, in the order the transaction package calls it.
    def abort(self, txn: Any) -> None:
        self._end(abort=True)

    def tpc_begin(self, txn: Any) -> None:
        pass

    def commit(self, txn: Any) -> None:
        if self._before_commit is not None:
            self._before_commit()  # open cursors are closed before the commit

    def tpc_vote(self, txn: Any) -> None:
        self._commit()

    def tpc_finish(self, txn: Any) -> None:
        self._end(abort=False)

    def tpc_abort(self, txn: Any) -> None:
        self._end(abort=True)

    def sortKey(self) -> str:
        return f"pyramid_mongo:{id(self)}"

    def should_retry(self, error: BaseException) -> bool:
        """Asked by the transaction package (and so pyramid_tm) of a failed request."""
        return is_transient(error)

    def _commit(self) -> None:
        deadline = time.monotonic() + COMMIT_RETRY_SECONDS
        attempt = 0
        while True:
            try:
                self.session.commit_transaction()
                return
            except PyMongoError as exc:
                if isinstance(exc, ConnectionFailure):
                    raise  # an outage: the 503 page now, not after more selection timeouts
                unknown = exc.has_error_label(UNKNOWN_COMMIT_RESULT)
                if unknown and time.monotonic() < deadline:
                    attempt += 1
                    time.sleep(backoff_seconds(attempt))
                    continue
                if unknown or exc.has_error_label(TRANSIENT):
                    # Raised from the commit, which pyramid_tm can only tag as
                    # retryable by its type once the data managers are gone.
                    raise MongoTransientError(str(exc)) from exc
                raise

    def _end(self, abort: bool) -> None:
        if self._ended:
            return
        self._ended = True
        try:
            if abort and self.session.in_transaction:
                with contextlib.suppress(PyMongoError):  # the spec ignores abort errors
                    self.session.abort_transaction()
        finally:
            if self._bound:
                self._binding.__exit__(None, None, None)
            self.session.end_session()


def join_transaction(
    registry: Any, name: str | None = None, transaction_manager: Any = None
) -> Any:
    """The application's database (or one of ``mongodb.databases``) with a
    MongoDB transaction joined to ``transaction_manager``'s current transaction
    (``transaction.manager`` by default): for scripts and pshell::

        with transaction.manager:
            db = join_transaction(registry)
            db.accounts.update_one(...)
    """
    manager = transaction_manager or transaction.manager
    connection = get_connection(registry)
    check_supported(connection, SETTING)
    txn = manager.get()
    try:
        txn.data(connection)
    except KeyError:
        txn.set_data(connection, MongoDataManager(connection.client, manager))
    return connection.client[connection.database_name(name)]


def wait_before_retry(event: Any) -> None:
    """pyramid_retry's BeforeRetry: pause before running a conflicted request again."""
    if is_transient(event.exception):
        time.sleep(backoff_seconds(event.environ.get("retry.attempt", 0) + 1))


def includeme(config: Configurator) -> None:
    def check_pyramid_tm() -> None:
        tweens = config.registry.queryUtility(ITweens)
        names = [name for name, _ in tweens.implicit()] + [name for name, _ in tweens.explicit]
        if not any(name.startswith("pyramid_tm") for name in names):
            raise ConfigurationError(
                f"{SETTING} = true needs pyramid_tm: add it to pyramid.includes "
                "(and pyramid_retry, to run a conflicted request again)"
            )

    # After every other action, so that pyramid_tm may be included later.
    config.action(("pyramid_mongo.transactions",), check_pyramid_tm, order=100)
    with contextlib.suppress(ImportError):
        from pyramid_retry import IBeforeRetry

        config.add_subscriber(wait_before_retry, IBeforeRetry)
