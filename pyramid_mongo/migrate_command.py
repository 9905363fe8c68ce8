"""``pyramid-mongo-migrate INI status | upgrade | new NAME``.

It loads the application of the INI file, as pshell does, but without its
sessions: a migration needs MongoDB, never the session secret. It prints one
line per result on standard output; log records go to standard error, and
only warnings unless ``-v``. Exit status: 0 done (``status`` lists pending
ones too), 1 a migration failed or MongoDB could not be reached, 2 bad
usage or configuration (one line naming the key).
"""

from __future__ import annotations

import argparse
import datetime as dt
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
from .migrations import ANNOUNCE, AT_START_UP, LockHeld, MigrationFailed, new, status, upgrade
from .settings import PREFIX

CREATE_INDEXES = PREFIX + "create_indexes"

EXAMPLES = """examples:
  pyramid-mongo-migrate production.ini status
      one line per migration: applied (with its time, UTC) or pending
  pyramid-mongo-migrate production.ini upgrade
      apply the pending ones in order, each once, under a lock
  pyramid-mongo-migrate development.ini new backfill item prices
      write the next migration module, to fill in

exit status: 0 done, 1 a migration failed or MongoDB is unreachable,
2 bad usage or configuration"""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pyramid-mongo-migrate",
        description="Versioned migrations of the application's data.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("config_uri", help="the INI file, e.g. production.ini")
    parser.add_argument(
        "command", nargs="?", default="status", choices=["status", "upgrade", "new"]
    )
    parser.add_argument("name", nargs="*", help="for new: what the migration does")
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
    try:
        if args.command == "new":
            print(new(registry, " ".join(args.name) or "migration"))
        elif args.command == "upgrade":
            upgrade(registry, on_applied=lambda name: print(f"applied  {name}", flush=True))
            print("up to date")
        else:
            done, pending = status(registry)
            for name, when in done:
                print(f"applied  {name}  {_utc(when)}")
            for name in pending:
                print(f"pending  {name}")
            for refused in check_stored(registry):
                print(f"warning  {refused.line()}")
    finally:
        get_connection(registry).close()
    return 0


def _utc(moment: dt.datetime) -> str:
    """Stored times are UTC, read back naive unless mongodb.tz_aware is set."""
    aware = moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment
    return aware.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


if __name__ == "__main__":
    sys.exit(main())
