"""What MongoHandler costs a request that logs one record, against the same
request with no handler, in one process on one SecantusDB server: a request
that reads one document (the goal's), and one that does nothing but log (the
worst case: the background writer's share of the interpreter shows whole).

Rounds of the two alternate; the median of the rounds' ratios of requests per
second (without / with) is printed with the middle half of those ratios,
"inconclusive" when that spread straddles the goal (at most 1.05).

    python bench/log_handler.py [--rounds N]
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
from pathlib import Path

from pyramid.config import Configurator
from pyramid.response import Response

sys.path.insert(0, str(Path(__file__).parent))
from overhead import requests_per_second, verdict

from pyramid_mongo import get_connection
from pyramid_mongo.embedded import EmbeddedServer
from pyramid_mongo.loghandler import MongoHandler

GOAL = 1.05
REQUESTS = 2000
log = logging.getLogger("bench.requests")


def logged(request: object) -> Response:
    log.warning("served %s", "/logged")
    return Response("ok")


def read_and_logged(request: object) -> Response:
    request.db.items.find_one({"_id": 1})  # type: ignore[attr-defined]
    log.warning("served %s", "/read")
    return Response("ok")


def app(url: str) -> object:
    settings = {"mongodb.url": url, "mongodb.db_name": "bench_logs"}
    with Configurator(settings=settings) as config:
        config.include("pyramid_mongo")
        config.add_route("logged", "/logged")
        config.add_view(logged, route_name="logged")
        config.add_route("read", "/read")
        config.add_view(read_and_logged, route_name="read")
    return config.make_wsgi_app()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    server = EmbeddedServer(":memory:")
    url = server.start() + "?retryWrites=false"
    handler = MongoHandler(collection="log", capped_size="16M")  # before the app: it attaches
    application = app(url)
    log.propagate = False
    log.setLevel(logging.INFO)
    log.addHandler(logging.NullHandler())
    try:
        for path, count, goal in (("/read", 400, GOAL), ("/logged", REQUESTS, None)):
            rates: dict[str, list[float]] = {"none": [], "mongodb": []}
            for round_ in range(args.rounds):
                for name in ("none", "mongodb") if round_ % 2 == 0 else ("mongodb", "none"):
                    if name == "mongodb":
                        log.addHandler(handler)
                    rates[name].append(requests_per_second(application, path, count))
                    log.removeHandler(handler)
                    handler.flush()  # the writes of one round do not fall into the next
            ratios = [a / b for a, b in zip(rates["none"], rates["mongodb"], strict=True)]
            low, _, high = statistics.quantiles(ratios, n=4)
            ratio = statistics.median(ratios)
            said = verdict(ratio, low, high, goal) if goal else "(no goal: the worst case)"
            print(
                f"{path:8} without / with MongoHandler: {ratio:.3f} "
                f"(middle half {low:.3f}-{high:.3f}) {said}; dropped {handler.dropped}"
            )
    finally:
        handler.close()
        get_connection(application.registry).close()  # type: ignore[attr-defined]
        server.stop()


if __name__ == "__main__":
    main()
