"""What the start-up check of stored documents against a changed validator
costs, against the same count written by hand, on one server.

A collection of N documents that the new rules all refuse; the hand-written
baseline is one ``count_documents`` with the ``$jsonSchema`` query. Printed:
the milliseconds of each, their ratio, and whether ours kept to its bound
(``mongodb.conformance_timeout``: with a bound below the full count, it
stops there and says "at least"). Requests pay nothing: the check runs at
start-up only.

    python bench/model_check.py [--documents N] [--bound SECONDS]
"""

from __future__ import annotations

import argparse
import time

from pymongo import MongoClient

from pyramid_mongo.conformance import refused_documents
from pyramid_mongo.devserver import EmbeddedServer

SCHEMA = {"bsonType": "object", "required": ["name", "price"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=20_000)
    parser.add_argument("--bound", type=float, default=1.0)
    args = parser.parse_args()
    server = EmbeddedServer(":memory:")
    client: MongoClient[dict] = MongoClient(server.start() + "?retryWrites=false")
    try:
        things = client.bench.things
        for start in range(0, args.documents, 5000):
            count = min(5000, args.documents - start)
            things.insert_many([{"name": f"t{n}"} for n in range(start, start + count)])
        started = time.perf_counter()
        by_hand = things.count_documents({"$nor": [{"$jsonSchema": SCHEMA}]})
        hand = time.perf_counter() - started
        started = time.perf_counter()
        refused = refused_documents(things, SCHEMA, seconds=args.bound)
        ours = time.perf_counter() - started
        assert refused is not None
        said = refused.line().split(" stored")[0] if refused.example_id is not None else "unchecked"
        print(f"{'':>12} {'ms':>9}  documents refused")
        print(f"{'by hand':>12} {hand * 1000:9.1f}  {by_hand}")
        print(f"{'ours':>12} {ours * 1000:9.1f}  {said}   ratio {ours / hand:.2f}")
        verdict = "met" if ours <= args.bound * 1.1 + 0.05 else "MISSED"
        print(f"bound {args.bound:g} s: {verdict}")
    finally:
        client.close()
        server.stop()


if __name__ == "__main__":
    main()
