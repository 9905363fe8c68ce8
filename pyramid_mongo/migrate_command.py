"""``pyramid-mongo-migrate INI status | upgrade [TARGET] [--plan] | downgrade
[TARGET] | mark-applied NAME | unlock | new NAME``.

It loads the application of the INI file, as pshell does, but without its
sessions: a migration needs MongoDB, never the session secret. It prints one
line per result on standard output; log records go to standard error, and
only warnings unless ``-v``. Exit status: 0 done (``status`` lists pending
ones too), 1 a migration failed (its traceback on standard error), was
refused (no such migration, no downgrade) or MongoDB could not be reached,
or the lock is held by a process that is gone; 2 bad usage or configuration
(one line naming the key).
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import logging
import os
import sys
import traceback
from collections.abc import Sequence
from typing import Any

from pymongo.errors import PyMongoError
from pyramid.exceptions import ConfigurationError

from .connection import get_connection
from .indexes import check_stored
from .migration_lock import unlock
from .migrations import (
    ANNOUNCE,
    AT_START_UP,
    LockHeld,
    MigrationFailed,
    MigrationRefused,
    database_of,
    downgrade,
    mark_applied,
    new,
    status,
    upgrade,
)
from .settings import PREFIX

CREATE_INDEXES = PREFIX + "create_indexes"

EXAMPLES = """examples:
  pyramid-mongo-migrate production.ini status
      one line per migration: applied (with its time, UTC) or pending
  pyramid-mongo-migrate production.ini upgrade
      apply the pending ones in order, each once, under a lock
  pyramid-mongo-migrate production.ini upgrade --plan
      say what upgrade would apply; nothing is written
  pyramid-mongo-migrate production.ini upgrade 0003_backfill_prices
      apply the pending ones up to and including that one
  pyramid-mongo-migrate production.ini downgrade 0002_add_slugs
      undo, newest first, the applied ones after that one (the last alone
      without a name); refused where one has no downgrade(db)
  pyramid-mongo-migrate production.ini mark-applied 0003_backfill_prices
      record it as applied without running it (it was done by hand)
  pyramid-mongo-migrate production.ini unlock
      free the lock of an upgrade whose process is gone
  pyramid-mongo-migrate development.ini new backfill item prices
      write the next migration module, to fill in

exit status: 0 done, 1 a migration failed or MongoDB is unreachable,
2 bad usage or configuration"""


COMMANDS = ["status", "upgrade", "downgrade", "mark-applied", "unlock", "new"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pyramid-mongo-migrate",
        description="Versioned migrations of the application's data.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("config_uri", help="the INI file, e.g. production.ini")
    parser.add_argument("command", nargs="?", default="status", choices=COMMANDS)
    parser.add_argument(
        "name", nargs="*", help="a migration (upgrade, downgrade, mark-applied); for new: its words"
    )
    parser.add_argument("--plan", action="store_true", help="upgrade: say, write nothing")
    parser.add_argument("-v", "--verbose", action="store_true", help="the INI file's logging")
    return parser


def load_registry(config_uri: str) -> Any:
    """The application's registry, built without its sessions."""
    from paste.deploy.loadwsgi import APP, loadcontext

    path, _, section = config_uri.partition("#")
    if not os.path.exists(path):
        raise ConfigurationError(f"{path}: no such INI file")
    context = loadcontext(APP, "config:" + os.path.abspath(path), name=section or None)
    for key in [key for key in context.local_conf if key.startswith(PREFIX + "session")]:
        del context.local_conf[key]
    # Loading the application to look at it starts nothing of its own accord.
    context.local_conf.update({ANNOUNCE: "false", AT_START_UP: "false", CREATE_INDEXES: "false"})
    app = context.create()
    registry = getattr(app, "registry", None)
    if registry is None:
        raise ConfigurationError(f"{config_uri}: its application is not a Pyramid application")
    return registry


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(list(argv) if argv is not None else None)
    if args.verbose:
        from pyramid.paster import setup_logging

        setup_logging(args.config_uri)
    else:
        logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(message)s")
    try:
        registry = load_registry(args.config_uri)
        return _run(args, registry)
    except ConfigurationError as exc:
        print(f"pyramid-mongo-migrate: {str(exc).splitlines()[0]}", file=sys.stderr)
        return 2
    except MigrationRefused as exc:
        print(f"pyramid-mongo-migrate: {exc}", file=sys.stderr)
        return 1
    except (MigrationFailed, LockHeld) as exc:
        print(f"pyramid-mongo-migrate: {exc}", file=sys.stderr)
        if exc.__cause__ is not None:
            traceback.print_exception(exc.__cause__, file=sys.stderr)
        return 1
    except PyMongoError as exc:
        print(
            f"pyramid-mongo-migrate: MongoDB cannot be reached: {type(exc).__name__}",
            file=sys.stderr,
        )
        return 1


def _run(args: argparse.Namespace, registry: Any) -> int:
    name = " ".join(args.name) or None
    if args.command == "mark-applied" and name is None:
        raise ConfigurationError(f"{args.command} needs the name of a migration")
    say = functools.partial(print, flush=True)
    try:
        if args.command == "new":
            say(new(registry, name or "migration"))
        elif args.command == "upgrade":
            if args.plan:
                for each in upgrade(registry, target=name, plan=True):
                    say(f"would apply  {each}")
                return 0
            waiting = functools.partial(_waiting, file=sys.stderr)
            upgrade(
                registry,
                target=name,
                on_wait=waiting,
                on_applied=lambda each: say(f"applied  {each}"),
            )
            say("up to date")
        elif args.command == "downgrade":
            undone = downgrade(registry, target=name, on_undone=lambda each: say(f"undone  {each}"))
            if not undone:
                say("nothing to undo")
        elif args.command == "mark-applied":
            assert name is not None
            mark_applied(registry, name)
            say(f"marked applied  {name}")
        elif args.command == "unlock":
            held = unlock(database_of(registry))
            say(f"unlocked (it was held by {held})" if held else "no lock was held")
        else:
            done, pending = status(registry)
            for each, when in done:
                say(f"applied  {each}  {_utc(when)}")
            for each in pending:
                say(f"pending  {each}")
            for refused in check_stored(registry):
                say(f"warning  {refused.line()}")
    finally:
        get_connection(registry).close()
    return 0


def _waiting(holder: Any, file: Any) -> None:
    print(f"pyramid-mongo-migrate: waiting for the lock held by {holder}", file=file, flush=True)


def _utc(moment: dt.datetime) -> str:
    """Stored times are UTC, read back naive unless mongodb.tz_aware is set."""
    aware = moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment
    return aware.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


if __name__ == "__main__":
    sys.exit(main())
