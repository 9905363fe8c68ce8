"""Versioned migrations of a project's data (the command line is
``migrate_command``: ``pyramid-mongo-migrate INI status | upgrade | new NAME``).

A migration is a module of the project's migrations package
(``mongodb.migrations``, by default ``<package>.migrations``), named so that
they sort in order (``0001_backfill_slugs.py``), each with ``upgrade(db)``.
Applied ones are recorded in the collection ``migrations``. ``upgrade`` takes
a lock document with an expiry first, so two deploys running it at once
apply each migration exactly once (the second waits, then finds it done),
and a lock left by a process that died expires. Each migration runs in a
transaction where the server has them (with the record of it: both or
neither); on a standalone server it is not atomic, and its record is
written once it has run. A failure stops, naming the migration, with
nothing recorded for it: the next run starts there.

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
import os
import pkgutil
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pymongo
from pymongo.errors import DuplicateKeyError, PyMongoError
from pyramid.config import Configurator
from pyramid.events import ApplicationCreated
from pyramid.exceptions import ConfigurationError
from pyramid.settings import asbool

from .atomic import TransactionsUnsupported, check_supported
from .conformance import ini_file
from .connection import get_connection

log = logging.getLogger(__name__)

APPLIED = "migrations"
LOCK = "migrations_lock"
LOCK_SECONDS = 600  # a lock of a process that died expires after this
WAIT_SECONDS = 1800  # at most, for another deploy's upgrade to finish
SETTING = "mongodb.migrations"
AT_START_UP = "mongodb.migrate_at_start_up"
ANNOUNCE = "mongodb.migrations_check"  # false: start-up says nothing of them
START_UP_SECONDS = 2.0  # at most, for the start-up check of a server that is down
START_UP_LOCK_WAIT = 10.0  # at most, at start-up, for another process's upgrade
TEMPLATE = '''"""{title}."""


def upgrade(db):
    """Runs once, in a transaction where the server has them.

    A backfill sets what a changed model needs on the documents that lack it,
    so that running it again changes nothing (idempotent) and a run that
    stopped half-way can simply run again (resumable):

        db.items.update_many({{"price": {{"$exists": False}}}}, {{"$set": {{"price": 0}}}})
    """
'''


class MigrationFailed(RuntimeError):
    """A migration raised: it is named, and nothing of it was recorded."""


class LockHeld(RuntimeError):
    """Another upgrade held the lock for longer than this one would wait."""


@dataclass(frozen=True)
class Migration:
    name: str
    module: ModuleType


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
    db = _db(registry)
    applied = {doc["_id"]: doc["applied"] for doc in db[APPLIED].find()}
    migrations = discover(package_of(registry))
    done = [(m.name, applied[m.name]) for m in migrations if m.name in applied]
    return done, [m.name for m in migrations if m.name not in applied]


def upgrade(
    registry: Any, wait: float = WAIT_SECONDS, on_applied: Callable[[str], Any] | None = None
) -> list[str]:
    """Apply the pending migrations, once, under the lock: the names applied
    (each also to ``on_applied`` as it is done, before a later one fails)."""
    migrations = discover(package_of(registry))
    if not migrations:
        return []
    db = _db(registry)
    owner = f"{socket.gethostname()}:{os.getpid()}:{time.monotonic_ns()}"
    _lock(db, owner, wait)
    try:
        applied = {doc["_id"] for doc in db[APPLIED].find({}, {"_id": 1})}
        done = []
        for migration in migrations:
            if migration.name not in applied:
                _apply(registry, db, migration)
                _renew(db, owner)
                done.append(migration.name)
                if on_applied is not None:
                    on_applied(migration.name)
        return done
    finally:
        db[LOCK].delete_one({"_id": LOCK, "owner": owner})


def _db(registry: Any) -> Any:
    connection = get_connection(registry)
    return connection.client[connection.db_name]


def _apply(registry: Any, db: Any, migration: Migration) -> None:
    def run(session: Any = None) -> None:
        migration.module.upgrade(db)
        record = {"_id": migration.name, "applied": dt.datetime.now(dt.UTC)}
        db[APPLIED].insert_one(record, session=session)

    try:
        try:
            check_supported(get_connection(registry), "migrations")
        except TransactionsUnsupported:
            run()  # not atomic on a standalone server (see the module's docstring)
            return
        with db.client.start_session() as session, session.bind(end_session=False):
            session.with_transaction(run)
    except Exception as exc:
        raise MigrationFailed(f"migration {migration.name} failed: {exc}") from exc


def _lock(db: Any, owner: str, wait: float) -> None:
    deadline = time.monotonic() + wait
    while True:
        now = dt.datetime.now(dt.UTC)
        try:
            db[LOCK].update_one(
                {"_id": LOCK, "expires": {"$lt": now}},
                {"$set": {"owner": owner, "expires": now + dt.timedelta(seconds=LOCK_SECONDS)}},
                upsert=True,
            )
            if db[LOCK].find_one({"_id": LOCK, "owner": owner}):
                return
        except DuplicateKeyError:
            pass  # held, and not expired: another upgrade runs
        if time.monotonic() > deadline:
            raise LockHeld(f"another upgrade has held the migrations lock for {wait:.0f} s")
        time.sleep(0.2)


def _renew(db: Any, owner: str) -> None:
    expires = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=LOCK_SECONDS)
    db[LOCK].update_one({"_id": LOCK, "owner": owner}, {"$set": {"expires": expires}})


def new(registry: Any, name: str) -> Path:
    """A new, empty migration after the last one, in the package's folder."""
    package = importlib.import_module(package_of(registry))
    folder = Path(next(iter(package.__path__)))
    existing = [m.name for m in discover(package.__name__)]
    number = int(existing[-1].split("_", 1)[0]) + 1 if existing else 1
    slug = "_".join(name.lower().split())
    path = folder / f"{number:04d}_{slug}.py"
    path.write_text(TEMPLATE.format(title=name.strip().capitalize()))
    return path


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
