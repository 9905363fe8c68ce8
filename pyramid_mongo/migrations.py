"""Versioned migrations of a project's data (the command line is
``migrate_command``: ``pyramid-mongo-migrate INI status | upgrade | new NAME``).

A migration is a module of the project's migrations package
(``mongodb.migrations``, by default ``<package>.migrations``), named so that
they sort in order (``0001_backfill_slugs.py``), each with ``upgrade(db)``
and, where it can be undone, ``downgrade(db)``. Applied ones are recorded in
the collection ``migrations``. ``upgrade`` and ``downgrade`` take the lock
first (``migration_lock``), so two deploys running at once apply each
migration exactly once. Each migration runs in a transaction where the
server has them (with its record: both or neither), unless it says
``TRANSACTION = False`` (a long backfill, written to be resumable); on a
standalone server it is not atomic, and its record is written once it has
run. A failure stops, naming the migration, with nothing recorded for it:
the next run starts there.

Declared indexes and validators stay declarative (``add_mongo_index``);
migrations are for data and for what a declaration cannot say: the
backfill a changed model needs (``new`` writes one to start from).

Migrations announce themselves: at start-up the application logs how many
are pending and the command that applies them, and with
``mongodb.migrate_at_start_up = true`` (the generated ``development.ini``)
applies them itself, under the same lock. In production the deploy runs
``upgrade`` before it starts the application.

Why not an existing library: pymongo-migrate (1.0.0, 2023) makes its own
client from a URL and has no lock, and mongodb-migrations (1.3.1, 2024) has
neither a lock nor transactions: neither runs on the application's own
client and settings.
"""

from __future__ import annotations

import datetime as dt
import importlib
import logging
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pymongo
from pymongo.errors import PyMongoError
from pyramid.config import Configurator
from pyramid.events import ApplicationCreated
from pyramid.exceptions import ConfigurationError
from pyramid.settings import asbool

from . import migration_files
from .atomic import TransactionsUnsupported, check_supported
from .conformance import ini_file
from .connection import get_connection
from .migration_lock import Holder, Lock, LockHeld

__all__ = ["LockHeld", "MigrationFailed", "MigrationRefused", "downgrade", "mark_applied", "new"]

log = logging.getLogger(__name__)

APPLIED = "migrations"
WAIT_SECONDS = 1800  # at most, for another deploy's upgrade to finish
SETTING = "mongodb.migrations"
AT_START_UP = "mongodb.migrate_at_start_up"
ANNOUNCE = "mongodb.migrations_check"  # false: start-up says nothing of them
START_UP_SECONDS = 2.0  # at most, for the start-up check of a server that is down
START_UP_LOCK_WAIT = 10.0  # at most, at start-up, for another process's upgrade
OnDone = Callable[[str], Any] | None


class MigrationFailed(RuntimeError):
    """A migration raised: it is named, and nothing of it was recorded."""


class MigrationRefused(ValueError):
    """Asked for what cannot be done (no such migration, no downgrade):
    nothing was done."""


@dataclass(frozen=True)
class Migration:
    name: str
    module: ModuleType

    @property
    def in_transaction(self) -> bool:
        return bool(getattr(self.module, "TRANSACTION", True))


def package_of(registry: Any) -> str:
    return str(registry.settings.get(SETTING) or f"{registry.package_name}.migrations")


def discover(package: str) -> list[Migration]:
    """The migrations of ``package``, in the order of their names."""
    try:
        found = importlib.import_module(package)
    except ModuleNotFoundError:
        return []
    names = sorted(info.name for info in pkgutil.iter_modules(found.__path__))
    modules = [importlib.import_module(f"{package}.{name}") for name in names]
    for module in modules:
        if not callable(getattr(module, "upgrade", None)):
            raise ConfigurationError(f"{module.__name__} has no upgrade(db)")
    return [Migration(module.__name__.rpartition(".")[2], module) for module in modules]


def status(registry: Any) -> tuple[list[tuple[str, dt.datetime]], list[str]]:
    """(applied name and time, in order) and the pending names."""
    db = database_of(registry)
    applied = {doc["_id"]: doc["applied"] for doc in db[APPLIED].find()}
    migrations = discover(package_of(registry))
    done = [(m.name, applied[m.name]) for m in migrations if m.name in applied]
    return done, [m.name for m in migrations if m.name not in applied]


def upgrade(
    registry: Any,
    wait: float = WAIT_SECONDS,
    on_applied: OnDone = None,
    target: str | None = None,
    plan: bool = False,
    on_wait: Callable[[Holder], Any] | None = None,
) -> list[str]:
    """Apply the pending migrations up to ``target`` (all by default), once,
    under the lock: the names applied, each also to ``on_applied`` as it is
    done. With ``plan``, only the names that would be, nothing written."""
    migrations = _up_to(discover(package_of(registry)), target)
    if not migrations:
        return []
    db = database_of(registry)
    if plan:
        applied = {doc["_id"] for doc in db[APPLIED].find({}, {"_id": 1})}
        return [m.name for m in migrations if m.name not in applied]
    done = []
    with Lock(db, wait, on_wait=on_wait):
        applied = {doc["_id"] for doc in db[APPLIED].find({}, {"_id": 1})}
        for migration in migrations:
            if migration.name not in applied:
                _run(registry, db, migration, "upgrade")
                done.append(migration.name)
                if on_applied is not None:
                    on_applied(migration.name)
    return done


def downgrade(
    registry: Any, target: str | None = None, wait: float = WAIT_SECONDS, on_undone: OnDone = None
) -> list[str]:
    """Undo the applied migrations after ``target``, newest first (the last
    one alone by default): the names undone. Refused, with nothing undone,
    where one of them has no ``downgrade(db)``."""
    migrations = discover(package_of(registry))
    names = [m.name for m in migrations]
    if target is not None and target not in names:
        raise MigrationRefused(f"there is no migration {target}")
    db = database_of(registry)
    done = []
    with Lock(db, wait):
        applied = {doc["_id"] for doc in db[APPLIED].find({}, {"_id": 1})}
        done_ones = [m for m in migrations if m.name in applied]
        if target is None:
            undo = done_ones[-1:]
        else:
            undo = [m for m in done_ones if names.index(m.name) > names.index(target)]
        undo.reverse()
        lacking = [m.name for m in undo if not callable(getattr(m.module, "downgrade", None))]
        if lacking:
            raise MigrationRefused(
                f"migration {lacking[0]} has no downgrade(db): nothing was undone"
            )
        for migration in undo:
            _run(registry, db, migration, "downgrade")
            done.append(migration.name)
            if on_undone is not None:
                on_undone(migration.name)
    return done


def mark_applied(registry: Any, name: str) -> None:
    """Record ``name`` as applied without running it (it was done by hand)."""
    if name not in [m.name for m in discover(package_of(registry))]:
        raise MigrationRefused(f"there is no migration {name}")
    db = database_of(registry)
    if db[APPLIED].find_one({"_id": name}):
        raise MigrationRefused(f"migration {name} is applied already")
    db[APPLIED].insert_one({"_id": name, "applied": dt.datetime.now(dt.UTC), "marked": True})


def _up_to(migrations: list[Migration], target: str | None) -> list[Migration]:
    if target is None:
        return migrations
    names = [m.name for m in migrations]
    if target not in names:
        raise MigrationRefused(f"there is no migration {target}")
    return migrations[: names.index(target) + 1]


def database_of(registry: Any) -> Any:
    """The database the migrations and their records live in."""
    connection = get_connection(registry)
    return connection.client[connection.db_name]


def _run(registry: Any, db: Any, migration: Migration, step: str) -> None:
    """One step of a migration and its record, in a transaction unless the
    migration or the server says otherwise."""

    def run(session: Any = None) -> None:
        getattr(migration.module, step)(db)
        if step == "upgrade":
            record = {"_id": migration.name, "applied": dt.datetime.now(dt.UTC)}
            db[APPLIED].insert_one(record, session=session)
        else:
            db[APPLIED].delete_one({"_id": migration.name}, session=session)

    try:
        try:
            check_supported(get_connection(registry), "migrations")
        except TransactionsUnsupported:
            run()  # not atomic on a standalone server (see the module's docstring)
            return
        if not migration.in_transaction:
            run()  # resumable by its own design (TRANSACTION = False)
            return
        with db.client.start_session() as session, session.bind(end_session=False):
            session.with_transaction(run)
    except Exception as exc:
        raise MigrationFailed(f"migration {migration.name} failed: {exc}") from exc


def new(registry: Any, name: str) -> Path:
    """A new migration after the last one, in the package's folder."""
    package = importlib.import_module(package_of(registry))
    folder = Path(next(iter(package.__path__)))
    existing = [m.name for m in discover(package.__name__)]
    return migration_files.new(folder, existing, name)


def _at_start_up(event: ApplicationCreated) -> None:
    """Say what is pending, or apply it where the settings ask."""
    registry = event.app.registry
    if not asbool(registry.settings.get(ANNOUNCE, True)):
        return
    migrations = discover(package_of(registry))
    if not migrations:
        return
    command = f"pyramid-mongo-migrate {ini_file()} upgrade"
    try:
        if asbool(registry.settings.get(AT_START_UP, False)):
            for name in upgrade(registry, wait=START_UP_LOCK_WAIT):
                log.info("%s: applied migration %s", AT_START_UP, name)
            return
        with pymongo.timeout(START_UP_SECONDS):
            pending = status(registry)[1]
    except (MigrationFailed, LockHeld) as exc:
        log.error("%s; the application starts without it: %s", exc, command)
        return
    except PyMongoError as exc:
        log.warning("migrations: MongoDB unreachable at start-up (%s)", type(exc).__name__)
        return
    finally:
        get_connection(registry).close()  # a server that forks after loading opens anew
    if pending:
        log.warning(
            "%d migration(s) pending (%s): apply them with %s",
            len(pending),
            ", ".join(pending),
            command,
        )


def includeme(config: Configurator) -> None:
    config.add_subscriber(_at_start_up, ApplicationCreated)
