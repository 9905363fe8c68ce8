"""Versioned migrations of a project's data: ``pyramid-mongo-migrate INI
[status | upgrade | new NAME]``.

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
migrations are for data and for what a declaration cannot say.

Why not an existing library: pymongo-migrate (1.0.0, 2023) makes its own
client from a URL and has no lock, and mongodb-migrations (1.3.1, 2024) has
neither a lock nor transactions: neither runs on the application's own
client and settings.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import os
import pkgutil
import socket
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from pymongo.errors import DuplicateKeyError, PyMongoError
from pyramid.exceptions import ConfigurationError
from pyramid.paster import bootstrap, setup_logging

from .atomic import TransactionsUnsupported, check_supported
from .connection import get_connection

APPLIED = "migrations"
LOCK = "migrations_lock"
LOCK_SECONDS = 600  # a lock of a process that died expires after this
WAIT_SECONDS = 1800  # at most, for another deploy's upgrade to finish
SETTING = "mongodb.migrations"
TEMPLATE = '''"""{title}."""


def upgrade(db):
    """Runs once, in a transaction where the server has them."""
'''


class MigrationFailed(RuntimeError):
    """A migration raised: it is named, and nothing of it was recorded."""


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


def upgrade(registry: Any, wait: float = WAIT_SECONDS) -> list[str]:
    """Apply the pending migrations, once, under the lock: the names applied."""
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
            raise RuntimeError(f"another upgrade has held the migrations lock for {wait:.0f} s")
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


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="pyramid-mongo-migrate", description="Versioned migrations of the data."
    )
    parser.add_argument("config_uri", help="the INI file, e.g. production.ini")
    parser.add_argument(
        "command", nargs="?", default="status", choices=["status", "upgrade", "new"]
    )
    parser.add_argument("name", nargs="*", help="for new: what the migration does")
    args = parser.parse_args(list(argv) if argv is not None else None)
    setup_logging(args.config_uri)
    with bootstrap(args.config_uri) as env:
        registry = env["registry"]
        try:
            if args.command == "new":
                print(new(registry, " ".join(args.name) or "migration"))
            elif args.command == "upgrade":
                for name in upgrade(registry):
                    print(f"applied {name}")
                print("up to date")
            else:
                done, pending = status(registry)
                for name, when in done:
                    print(f"applied  {name}  {when:%Y-%m-%d %H:%M:%S}")
                for name in pending:
                    print(f"pending  {name}")
        except MigrationFailed as exc:
            print(exc, file=sys.stderr)
            return 1
        except PyMongoError as exc:
            print(f"MongoDB cannot be reached: {type(exc).__name__}", file=sys.stderr)
            return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
