"""Indexes and validators the application declares in its configuration.

    config.add_mongo_index("users", [("email", 1)], unique=True)
    config.add_mongo_validator("users", {"required": ["email"]})

``pyramid-mongo-indexes development.ini`` creates what is missing and reports
what it did; an index that exists with other options, or a name taken by
other keys, is a conflict it reports and leaves alone (exit status 1), for
dropping an index is a decision for a person. With
``mongodb.create_indexes = true`` the application does the same at start-up,
and only warns when MongoDB cannot be reached then.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pymongo.database import Database
from pymongo.errors import OperationFailure, PyMongoError
from pyramid.config import Configurator
from pyramid.events import ApplicationCreated
from pyramid.registry import Registry

from .conformance import MODERATE, Refused, refused_documents
from .connection import get_connection, get_db
from .settings import get_settings

log = logging.getLogger(__name__)

DECLARED_KEY = "pyramid_mongo.declared"

# Options that change what an index does: another value is a conflict.
_FLAGS = ("unique", "sparse", "hidden")
_VALUES = ("expireAfterSeconds", "partialFilterExpression")


@dataclass(frozen=True)
class DeclaredIndex:
    collection: str
    keys: tuple[tuple[str, Any], ...]
    options: dict[str, Any] = field(default_factory=dict)
    database: str | None = None

    @property
    def name(self) -> str:
        return self.options.get("name") or "_".join(f"{key}_{kind}" for key, kind in self.keys)


@dataclass(frozen=True)
class DeclaredValidator:
    collection: str
    schema: dict[str, Any]
    level: str = "strict"
    action: str = "error"
    database: str | None = None
    model: Any = None  # the pydantic model it was derived from, if any


@dataclass
class Report:
    lines: list[str] = field(default_factory=list)
    conflicts: int = 0

    def say(self, line: str) -> None:
        self.lines.append(line)

    def warn(self, line: str) -> None:
        self.lines.append("WARNING: " + line)

    def conflict(self, line: str) -> None:
        self.conflicts += 1
        self.lines.append("CONFLICT: " + line)


def _declared(registry: Registry) -> list[DeclaredIndex | DeclaredValidator]:
    declared: list[DeclaredIndex | DeclaredValidator] = registry.setdefault(DECLARED_KEY, [])
    return declared


def _normalize_keys(keys: str | Sequence[Any]) -> tuple[tuple[str, Any], ...]:
    if isinstance(keys, str):
        return ((keys, 1),)
    return tuple((key, kind) for key, kind in keys)  # type: ignore[str-unpack]


def add_mongo_index(
    config: Configurator,
    collection: str,
    keys: str | Sequence[tuple[str, Any]],
    *,
    database: str | None = None,
    **options: Any,
) -> None:
    """``config.add_mongo_index(collection, keys, **create_index_options)``."""
    index = DeclaredIndex(collection, _normalize_keys(keys), options, database)
    config.action(
        ("pyramid_mongo.index", database, collection, index.name),
        lambda: _declared(config.registry).append(index),
    )


def add_mongo_validator(
    config: Configurator,
    collection: str,
    schema: dict[str, Any],
    *,
    database: str | None = None,
    level: str = "strict",
    action: str = "error",
    model: Any = None,
) -> None:
    """``config.add_mongo_validator(collection, json_schema)``: a $jsonSchema validator."""
    validator = DeclaredValidator(collection, schema, level, action, database, model)
    config.action(
        ("pyramid_mongo.validator", database, collection),
        lambda: _declared(config.registry).append(validator),
    )


def ensure_declared(registry: Registry) -> Report:
    """Create the declared indexes and validators that are missing."""

    report = Report()
    seconds = get_settings(registry).conformance_timeout
    for declared in _declared(registry):
        db = get_db(registry, declared.database)
        if isinstance(declared, DeclaredIndex):
            _ensure_index(db, declared, report)
        else:
            _ensure_validator(db, declared, report, seconds)
    return report


def check_stored(registry: Registry) -> list[Refused]:
    """The stored documents each declared validator refuses, changing nothing."""
    seconds = get_settings(registry).conformance_timeout
    found = []
    for declared in _declared(registry):
        if isinstance(declared, DeclaredValidator):
            collection = get_db(registry, declared.database)[declared.collection]
            refused = refused_documents(collection, declared.schema, seconds, declared.model)
            if refused is not None:
                found.append(refused)
    return found


def _ensure_index(db: Database[Any], index: DeclaredIndex, report: Report) -> None:
    where = f"{db.name}.{index.collection}"
    collection = db[index.collection]
    existing = {info["name"]: info for info in collection.list_indexes()}
    same_keys = [info for info in existing.values() if tuple(info["key"].items()) == index.keys]
    if same_keys:
        info = same_keys[0]
        differences = _differences(index.options, info)
        if differences:
            report.conflict(f"{where} has index {info['name']} on the same keys with {differences}")
        else:
            report.say(f"index {info['name']} on {where} exists")
        return
    if index.name in existing:
        report.conflict(f"{where} has an index named {index.name} on other keys")
        return
    try:
        collection.create_index(list(index.keys), **index.options)
    except OperationFailure as exc:
        report.conflict(f"{where}: creating index {index.name} failed: {exc.details or exc}")
        return
    report.say(f"created index {index.name} on {where}")


def _differences(wanted: Mapping[str, Any], info: Mapping[str, Any]) -> str:
    differing = [flag for flag in _FLAGS if bool(info.get(flag)) != bool(wanted.get(flag))]
    differing += [value for value in _VALUES if info.get(value) != wanted.get(value)]
    return ", ".join(
        f"{name}={info.get(name)!r} (declared {wanted.get(name)!r})" for name in differing
    )


def _ensure_validator(
    db: Database[Any], validator: DeclaredValidator, report: Report, seconds: float
) -> None:
    """Create or update the validator; where stored documents do not meet a
    new one, say so and keep them updatable (see ``conformance``)."""
    where = f"{db.name}.{validator.collection}"
    rules = {"$jsonSchema": validator.schema}
    found = list(db.list_collections(filter={"name": validator.collection}))
    if not found:
        db.create_collection(
            validator.collection,
            validator=rules,
            validationLevel=validator.level,
            validationAction=validator.action,
        )
        report.say(f"created {where} with its validator")
        return
    options = found[0].get("options", {})
    current = {
        "validator": options.get("validator"),
        "validationLevel": options.get("validationLevel") or "strict",
        "validationAction": options.get("validationAction") or "error",
    }
    refused = None
    if current["validator"] != rules or current["validationLevel"] != validator.level:
        refused = refused_documents(
            db[validator.collection], validator.schema, seconds, validator.model
        )
    level = MODERATE if refused is not None and validator.level == "strict" else validator.level
    wanted: dict[str, Any] = {
        "validator": rules,
        "validationLevel": level,
        "validationAction": validator.action,
    }
    if current == wanted:
        report.say(f"validator of {where} is as declared")
    else:
        db.command("collMod", validator.collection, **wanted)
        report.say(f"updated the validator of {where}")
    if refused is not None:
        report.warn(refused.line())


def _create_at_start_up(event: ApplicationCreated) -> None:

    registry = event.app.registry
    try:
        report = ensure_declared(registry)
    except PyMongoError as exc:
        log.warning(
            "mongodb.create_indexes: MongoDB unreachable at start-up (%s); "
            "the declared indexes were not checked",
            type(exc).__name__,
        )
        return
    finally:
        # A server that forks after loading the app (gunicorn --preload) must
        # not keep the parent's connections: the first request opens anew.
        get_connection(registry).close()
    for line in report.lines:
        (log.warning if line.startswith(("CONFLICT", "WARNING")) else log.info)(
            "mongodb.create_indexes: %s", line
        )


def _add_mongo_model(config: Configurator, *args: Any, **kwargs: Any) -> None:
    """``config.add_mongo_model(collection, Model)``: see :mod:`pyramid_mongo.models`."""
    # Imported here: pydantic is for the applications that declare a model.
    from .models import add_mongo_model

    add_mongo_model(config, *args, **kwargs)


def includeme(config: Configurator) -> None:
    config.add_directive("add_mongo_index", add_mongo_index)
    config.add_directive("add_mongo_validator", add_mongo_validator)
    config.add_directive("add_mongo_model", _add_mongo_model)
    if get_settings(config.registry).create_indexes:
        config.add_subscriber(_create_at_start_up, ApplicationCreated)


def main(argv: Iterable[str] | None = None) -> int:
    """``pyramid-mongo-indexes INI``: create the declared indexes that are missing."""
    from pyramid.paster import bootstrap, setup_logging

    parser = argparse.ArgumentParser(
        prog="pyramid-mongo-indexes",
        description="Create the indexes and validators the application declares.",
    )
    parser.add_argument("config_uri", help="the INI file, e.g. development.ini")
    args = parser.parse_args(list(argv) if argv is not None else None)
    setup_logging(args.config_uri)
    with bootstrap(args.config_uri) as env:
        try:
            report = ensure_declared(env["registry"])
        except PyMongoError as exc:
            server = get_connection(env["registry"]).shown_url
            print(f"MongoDB at {server} cannot be reached: {type(exc).__name__}", file=sys.stderr)
            return 2
    for line in report.lines or ["the application declares no indexes"]:
        print(line)
    if report.conflicts:
        print(f"{report.conflicts} conflict(s): nothing was changed for those", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
