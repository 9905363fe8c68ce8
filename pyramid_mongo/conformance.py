"""Stored documents against a validator that changed: what the new rules
refuse, found before a user meets it.

A collection's validator checks only what is written from now on; what was
stored under the old rules stays. When a declared validator is created or
changed (``mongodb.create_indexes`` at start-up, ``pyramid-mongo-indexes``,
``pyramid-mongo-migrate status``), a ``$jsonSchema`` query counts the
documents the new rules refuse, within ``mongodb.conformance_timeout``
seconds (1 by default; "at least N" when it stops early), and one line says
the count, an example ``_id``, the fields at fault and the command that
writes a migration.

While such documents exist the validator is set with ``validationLevel:
moderate``: new documents and updates of documents that meet the rules are
checked, and a stored document that does not yet can still be updated (by
the backfill, or by an instance of the application still on the old code,
mid-deploy). Once none is left, the next check makes the level strict.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Any

import pymongo
from bson.codec_options import CodecOptions
from bson.raw_bson import RawBSONDocument
from pymongo.collection import Collection
from pymongo.errors import PyMongoError

MODERATE = "moderate"
_RAW = CodecOptions(document_class=RawBSONDocument)
WHOLE_COUNT_SHARE = 0.8  # of the bound, for the whole count; the rest for "at least"
SOME = 10_000  # documents at most, counted for "at least"


@dataclass(frozen=True)
class Refused:
    collection: str
    count: int
    complete: bool  # False: the count stopped at the time bound ("at least")
    example_id: Any = None  # None: the bound passed before one was found
    fields: tuple[str, ...] = ()
    seconds: float = 0.0

    def line(self) -> str:
        command = (
            f'pyramid-mongo-migrate {ini_file()} new "backfill {self.collection.split(".")[-1]}"'
        )
        if self.example_id is None:
            return (
                f"the stored documents of {self.collection} could not be checked against its "
                f"new validator within {self.seconds:g} s (mongodb.conformance_timeout); "
                f"until they are, it is set with validationLevel {MODERATE}; a migration "
                f"brings documents up to date: {command}"
            )
        count = f"{self.count}" if self.complete else f"at least {self.count}"
        fields = ", ".join(self.fields) or "see the validator"
        return (
            f"{count} stored document(s) of {self.collection} do not meet its new validator "
            f"(for example _id {self.example_id!r}: {fields}); they can still be updated "
            f"(validationLevel {MODERATE}) until a migration brings them up to date: {command}"
        )


def ini_file() -> str:
    """The INI file this process was started with, as the user typed it."""
    return next((arg for arg in sys.argv[1:] if arg.endswith(".ini")), "INI")


def refused_documents(
    collection: Collection[Any], schema: dict[str, Any], seconds: float, model: Any = None
) -> Refused | None:
    """The documents ``schema`` refuses, counted within ``seconds``; None
    when every one meets it."""
    query = {"$nor": [{"$jsonSchema": schema}]}
    where = f"{collection.database.name}.{collection.name}"
    count, first, complete = 0, None, True
    try:
        # One pass on the server: the count and an example's _id.
        with pymongo.timeout(seconds * WHOLE_COUNT_SHARE):
            pipeline: list[dict[str, Any]] = [
                {"$match": query},
                {"$group": {"_id": None, "n": {"$sum": 1}, "first": {"$first": "$_id"}}},
            ]
            found = next(collection.aggregate(pipeline), None)
        if found is None:
            return None
        count, first = found["n"], found["first"]
    except PyMongoError as exc:
        if not exc.timeout:
            raise
        complete = False
        count, first = _some(collection, query, seconds * (1 - WHOLE_COUNT_SHARE))
        if first is None:
            return Refused(where, 0, False, seconds=seconds)
    example = collection.find_one({"_id": first}) or {"_id": first}
    return Refused(where, count, complete, first, _fields(example, schema, model))


def _some(collection: Collection[Any], query: dict[str, Any], seconds: float) -> tuple[int, Any]:
    """Past the bound of the whole count: how many at least, in what is left."""
    count, first = 0, None
    try:
        with pymongo.timeout(seconds):
            raw = collection.with_options(codec_options=_RAW)  # ids only, undecoded
            for found in raw.find(query, {"_id": 1}).limit(SOME):
                first = found["_id"] if first is None else first
                count += 1
    except PyMongoError as exc:
        if not exc.timeout:
            raise
    return count, first


def _fields(document: dict[str, Any], schema: dict[str, Any], model: Any) -> tuple[str, ...]:
    """The fields at fault: the model's verdict where a model declared the
    validator, else the required fields the document lacks."""
    if model is not None:
        from .models import fields_refused  # pydantic: only where a model was declared

        return tuple(fields_refused(model, document))
    required = schema.get("required", ())
    return tuple(f"/{name} is missing" for name in required if name not in document)
