"""A MongoDB transaction where the code asks for one.

MongoDB's advice is a transaction only where one invariant spans several
documents (a transfer between two accounts); a single-document update such as
``$inc`` or ``$push`` is atomic without one, cheaper, and never conflicts with
another request. So nothing here is implicit: a view asks with
``@view_config(..., mongodb_transaction=True)``, other code with
:func:`run_in_transaction`. Both run on PyMongo's own convenient API,
``ClientSession.with_transaction``, which runs the work again after a
transient error and retries an unknown commit result as the drivers'
specification says, and bind the session (``ClientSession.bind``), so that
``request.db`` inside needs no ``session=`` argument.

A lost server is no conflict. Inside a transaction PyMongo labels a network
or server-selection error transient, and ``with_transaction`` would run the
work again, waiting out another selection timeout each time for up to two
minutes. Here such an error ends the transaction at once and is raised as it
is: in a view, the 503 page after one selection timeout.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import pymongo
from pymongo import MongoClient
from pymongo.errors import ConnectionFailure
from pyramid.config import Configurator
from pyramid.exceptions import ConfigurationError

from .connection import MongoConnection, get_connection
from .cursors import close_cursors

T = TypeVar("T")
_NO_WAIT = 1e-6  # seconds
VIEW_OPTION = "mongodb_transaction"


class TransactionsUnsupported(ConfigurationError):  # type: ignore[misc]
    """The server cannot run transactions: it is a standalone server."""


class _Outage(Exception):
    """Carries a ConnectionFailure through with_transaction, which runs the
    work again for PyMongo's transient errors only."""


def check_supported(connection: MongoConnection, asked_by: str = VIEW_OPTION) -> None:
    """Once per process: transactions need a replica set or a sharded cluster;
    say so plainly, naming what asked for one."""
    if connection.transactions_checked:
        return
    hello = connection.client.admin.command("hello")
    if not hello.get("setName") and hello.get("msg") != "isdbgrid":
        raise TransactionsUnsupported(
            f"{asked_by}: transactions need a replica set or a sharded cluster, "
            f"and {connection.shown_url} is a standalone server"
        )
    connection.transactions_checked = True


def transactions_available(connection: MongoConnection) -> bool:
    """Whether the server runs transactions, asked once a process where it does."""
    try:
        check_supported(connection)
    except TransactionsUnsupported:
        return False
    return True


def run_in_transaction(target: Any, work: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """``work(*args, **kwargs)`` in one MongoDB transaction on the application's
    client, run again on a transient error; ``target`` is a request or a registry.

    ``work`` may run more than once: let it only read and write MongoDB.
    """
    return run_transaction(target, "run_in_transaction", work, *args, **kwargs)


def run_transaction(
    target: Any, asked_by: str, work: Callable[..., T], *args: Any, **kwargs: Any
) -> T:
    """:func:`run_in_transaction`, naming ``asked_by`` where the server has none."""
    connection = get_connection(getattr(target, "registry", target))
    check_supported(connection, asked_by)

    def attempt(session: Any) -> T:
        try:
            return work(*args, **kwargs)
        except ConnectionFailure as exc:
            # Aborted here without waiting for the server that was just lost
            # (it drops the transaction itself), rather than by with_transaction.
            with pymongo.timeout(_NO_WAIT):
                session.abort_transaction()
            raise _Outage() from exc

    with connection.client.start_session() as session, session.bind(end_session=False):
        try:
            return session.with_transaction(attempt)
        except _Outage as outage:
            raise outage.__cause__ from None  # type: ignore[misc]


# What a request's transaction bound while an outside_transaction block was
# open: bound once the outermost block has ended, as bindings (context
# variables) unwind in the order they were made.
_BIND_LATER: contextvars.ContextVar[list[Callable[[], None]] | None] = contextvars.ContextVar(
    "pyramid_mongo.bind_later", default=None
)


def bind_outside_blocks(bind: Callable[[], None]) -> None:
    """``bind()`` now, or when the ``outside_transaction`` blocks open around
    this call have ended."""
    waiting = _BIND_LATER.get()
    if waiting is None:
        bind()
    else:
        waiting.append(bind)


@contextlib.contextmanager
def outside_transaction(client: MongoClient[Any]) -> Iterator[None]:
    """Operations of ``client`` in this block run on a session of their own,
    outside any transaction the code around them is in: a health check, a
    counter's one atomic step. With ``mongodb.transactions``, a request whose
    first ``request.db`` comes inside the block joins its transaction there,
    and the transaction's session takes over when the block ends."""
    outermost = _BIND_LATER.get() is None
    token = _BIND_LATER.set([]) if outermost else None
    try:
        with client.start_session(causal_consistency=False) as own, own.bind(end_session=False):
            yield
    finally:
        if token is not None:
            waiting = _BIND_LATER.get() or []
            _BIND_LATER.reset(token)
            for bind in waiting:
                bind()


def _transaction_view(view: Callable[..., Any], info: Any) -> Callable[..., Any]:
    if not info.options.get(VIEW_OPTION):
        return view

    def in_transaction(context: Any, request: Any) -> Any:
        def work() -> Any:
            result = view(context, request)
            close_cursors(request)  # before the commit ends their session
            return result

        return run_transaction(request, VIEW_OPTION, work)

    return in_transaction


_transaction_view.options = (VIEW_OPTION,)  # type: ignore[attr-defined]


def includeme(config: Configurator) -> None:
    # Under the rendering: the template is rendered once the commit is done,
    # from what the view returned.
    config.add_view_deriver(_transaction_view, under="rendered_view", over="mapped_view")
