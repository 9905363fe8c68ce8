"""What a migration is written with: the module ``new`` writes, and
``backfill`` for a long data migration that runs without a transaction."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

BATCH = 1000
TEMPLATE = '''"""{title}."""

from pyramid_mongo.migration_files import backfill

# A migration runs in one transaction where the server has them: all of it
# or none. A long one (more documents than a transaction should hold, or
# longer than MongoDB's transaction time limit of 60 s) says TRANSACTION =
# False, and is then written to be resumable: each batch is done for good,
# and a run that stopped half-way simply runs again.
TRANSACTION = True


def upgrade(db):
    """Fill in what a changed model needs, on the documents that lack it only,
    so that running it again changes nothing:

        db.items.update_many({{"price": {{"$exists": False}}}}, {{"$set": {{"price": 0}}}})

    or, batch by batch, with progress lines (and TRANSACTION = False):

        backfill(db.items, {{"price": {{"$exists": False}}}}, {{"$set": {{"price": 0}}}})
    """


def downgrade(db):
    """Undo upgrade, for ``pyramid-mongo-migrate INI downgrade``; delete this
    function where the change cannot be undone, and downgrade refuses it."""
'''


def new(folder: Path, existing: list[str], name: str) -> Path:
    """The next migration module in ``folder``, after the ``existing`` ones."""
    number = int(existing[-1].split("_", 1)[0]) + 1 if existing else 1
    slug = "_".join(name.lower().split())
    path = folder / f"{number:04d}_{slug}.py"
    path.write_text(TEMPLATE.format(title=name.strip().capitalize()))
    return path


def backfill(
    collection: Any,
    query: Mapping[str, Any],
    update: Mapping[str, Any],
    batch_size: int = BATCH,
    say: Callable[[str], Any] = print,
) -> int:
    """Update the documents matching ``query`` in batches by ``_id``, saying
    each batch, and return how many were updated. Each batch is done for
    good: a run that stopped goes on where the query still matches."""
    done, after = 0, None
    while True:
        window = dict(query) if after is None else {"$and": [query, {"_id": {"$gt": after}}]}
        batch = collection.find(window, {"_id": 1}).sort("_id", 1).limit(batch_size)
        ids = [doc["_id"] for doc in batch]
        if not ids:
            break
        done += collection.update_many({"_id": {"$in": ids}}, update).modified_count
        after = ids[-1]
        say(f"backfill {collection.name}: {done} updated")
    return done
