"""The home page's counters exist from the start."""


def upgrade(db):
    # An example of what a migration is for: data. It runs once per
    # database, before the tests of each test run and at each deploy.
    for name in ("page_hits", "clicks"):
        db.counters.update_one({"_id": name}, {"$setOnInsert": {"value": 0}}, upsert=True)
