"""The development server at its last writes against its first, as
pyramid_mongo starts it and as an application's own client writes to it.

Each round makes one ``$inc`` update, one insert and one transaction (an
insert in ``with_transaction``), through the client of an application built
with ``mongodb.embedded = true``: on an in-memory folder, on a folder on disk,
and on that folder again after the server restarts. For each kind it prints
the median latency of the last 1,000 rounds over that of the first 1,000
(after a warm-up): 1.00 means no slowing down; the goal is at most 1.2.
The same run with PyMongo's default of retryable writes shows the cause.

    python bench/dev_server.py [--rounds N]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from typing import Any

from pyramid.config import Configurator

from pyramid_mongo import get_client, get_connection

GOAL = 1.2
WINDOW = 1000
WARM_UP = 200


def build(folder: str, **settings: str) -> Any:
    settings = {
        "mongodb.embedded": "true",
        "mongodb.embedded_path": folder,
        "mongodb.db_name": "bench",
        **settings,
    }
    with Configurator(settings=settings) as config:
        config.include("pyramid_mongo")
    return config.registry


def writes(client: Any) -> dict[str, Callable[[int], Any]]:
    db = client.bench
    db.counters.update_one({"_id": "c"}, {"$setOnInsert": {"value": 0}}, upsert=True)

    def transaction(n: int) -> None:
        with client.start_session() as session:
            session.with_transaction(lambda s: db.orders.insert_one({"n": n}, session=s))

    return {
        "update": lambda n: db.counters.update_one({"_id": "c"}, {"$inc": {"value": 1}}),
        "insert": lambda n: db.events.insert_one({"n": n}),
        "transaction": transaction,
    }


def run(registry: Any, rounds: int) -> dict[str, list[float]]:
    kinds = writes(get_client(registry))
    times: dict[str, list[float]] = {kind: [] for kind in kinds}
    for n in range(rounds):
        for kind, write in kinds.items():
            started = time.perf_counter()
            write(n)
            times[kind].append(time.perf_counter() - started)
    return times


def median_ms(values: list[float]) -> float:
    return statistics.median(values) * 1000


def report(label: str, early: dict[str, list[float]], late: dict[str, list[float]]) -> bool:
    met = True
    for kind in early:
        first = median_ms(early[kind][WARM_UP : WARM_UP + WINDOW])
        last = median_ms(late[kind][-WINDOW:])
        ratio = last / first
        met &= ratio <= GOAL
        print(f"{label:34} {kind:12} {first:6.2f} ms -> {last:6.2f} ms  ratio {ratio:5.2f}")
    return met


def stop(registry: Any) -> None:
    get_client(registry).close()
    get_connection(registry).server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7000, help="rounds of 3 writes each")
    args = parser.parse_args()
    print(f"{args.rounds} rounds of 3 writes; medians of {WINDOW}; goal: ratio <= {GOAL}")
    met = True
    registry = build(":memory:")
    times = run(registry, args.rounds)
    met &= report("in memory", times, times)
    stop(registry)

    with tempfile.TemporaryDirectory() as folder:
        registry = build(folder)
        before = run(registry, args.rounds)
        met &= report("on disk", before, before)
        stop(registry)
        registry = build(folder)  # the same folder: a restarted server
        after = run(registry, WARM_UP + WINDOW)
        met &= report("on disk, after a restart", before, after)
        stop(registry)

    registry = build(":memory:", **{"mongodb.retryWrites": "true"})
    times = run(registry, args.rounds)
    report("PyMongo's default (retryWrites)", times, times)
    stop(registry)
    print("goal met" if met else "goal NOT met")


if __name__ == "__main__":
    main()
