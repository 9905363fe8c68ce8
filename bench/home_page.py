"""The demo's home page at 20,000 recorded visits against the same page at none.

The home page records each visit and shows the count. Counting the visits'
documents (``count_documents``) costs more with every visit; the counter
document bumped with ``$inc`` costs the same at any number. Both states are
measured in this one process on one SecantusDB server, in alternating rounds,
and the ratio of the medians is printed: 1.00 means no growth; the goal is
under 2.

    python bench/home_page.py [--rounds N] [--visits N]
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import time

from paste.deploy.loadwsgi import APP, loadcontext
from webtest import TestApp

from pyramid_mongo import get_db
from pyramid_mongo.devserver import EmbeddedServer

GOAL = 2.0
REQUESTS = 40


def demo(url: str, db_name: str) -> TestApp:
    context = loadcontext(APP, "config:testing.ini", relative_to=".")
    context.local_conf.update({"mongodb.url": url, "mongodb.db_name": db_name})
    return TestApp(context.create())


def seconds_per_page(app: TestApp) -> float:
    started = time.perf_counter()
    for _ in range(REQUESTS):
        app.get("/", status=200)
    return (time.perf_counter() - started) / REQUESTS


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--visits", type=int, default=20_000)
    args = parser.parse_args()
    server = EmbeddedServer(":memory:")
    url = server.start()
    try:
        empty, full = demo(url, "bench_empty"), demo(url, "bench_full")
        db = get_db(full.app.registry)
        now = dt.datetime.now(dt.UTC)
        db.page_hits.insert_many(
            {"timestamp": now - dt.timedelta(seconds=n), "url": "/"} for n in range(args.visits)
        )
        db.counters.insert_one({"_id": "page_hits", "value": args.visits})
        get_db(full.app.registry).page_hits.create_index([("timestamp", -1)])
        get_db(empty.app.registry).page_hits.create_index([("timestamp", -1)])
        timings: dict[str, list[float]] = {"empty": [], "full": []}
        for _ in range(args.rounds):
            timings["empty"].append(seconds_per_page(empty))
            timings["full"].append(seconds_per_page(full))
        ratio = statistics.median(timings["full"]) / statistics.median(timings["empty"])
        spread = max(timings["full"]) / min(timings["empty"])
        print(
            f"home page at {args.visits} visits / at none: {ratio:.2f} "
            f"(worst pairing {spread:.2f}; goal under {GOAL:.0f}); "
            f"{statistics.median(timings['empty']) * 1000:.1f} ms a page at none"
        )
    finally:
        server.stop()


if __name__ == "__main__":
    main()
