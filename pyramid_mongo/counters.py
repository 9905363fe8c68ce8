"""A named counter that never loses a count: MongoDB's "fast accounting".

Showing "seen N times" by counting the visits' documents costs more with
every visit; one counter document bumped with ``$inc`` in the same request
costs the same at the millionth. Reading the value, adding one in Python and
saving it back would lose counts when two requests interleave: ``$inc`` is
one atomic step on the server.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import Any

from pymongo import ReturnDocument
from pymongo.collection import Collection
from pymongo.errors import DuplicateKeyError

from .atomic import outside_transaction


def increment(
    counters: Collection[Any], name: str, by: int = 1, also: Mapping[str, Any] | None = None
) -> Any:
    """Add ``by`` to the counter ``name`` and return the counter's document as
    it is after this one step: ``increment(db.counters, "hits")["value"]``.

    ``also`` adds update operators to the same atomic step, such as keeping
    the latest visits in the counter itself, which costs the same at any size
    (``{"$push": {"latest": {"$each": [visit], "$slice": -5}}}``).

    The counter is created apart from the increment, with ``$setOnInsert``:
    two requests that create it at once may collide (MongoDB then raises
    DuplicateKeyError for one, which is harmless here), and the increment is
    never an upsert, whose returned document not every server reports
    reliably under concurrency.

    The step is atomic on its own and runs outside any transaction the
    request is in: in one, every concurrent bump of the same counter would
    conflict. So a count stays counted when the request's transaction rolls
    back.
    """
    bump = {"$inc": {"value": by}, **(also or {})}
    with outside_transaction(counters.database.client):
        counter = counters.find_one_and_update(
            {"_id": name}, bump, return_document=ReturnDocument.AFTER
        )
        if counter is None:
            with contextlib.suppress(DuplicateKeyError):  # another request made it first
                counters.update_one({"_id": name}, {"$setOnInsert": {"value": 0}}, upsert=True)
            counter = counters.find_one_and_update(
                {"_id": name}, bump, return_document=ReturnDocument.AFTER
            )
    return counter


def current(counters: Collection[Any], name: str) -> int:
    """The counter's value, 0 before its first increment."""
    counter = counters.find_one({"_id": name})
    return int(counter["value"]) if counter else 0
