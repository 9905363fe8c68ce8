"""What MongoHandler costs a request that logs one record, against the same
request with no handler, in one process on one SecantusDB server: a request
that reads one document (the goal's), and one that does nothing but log (the
worst case: the handler's share shows whole).

Rounds of the two alternate; a round with the handler ends when the records
it logged are written, so that no round pays for another's writes. Two
ratios (with / without), each the median of the rounds' with the 95 %
confidence interval of that median:

- CPU: this process's CPU time per request, every thread's (the request's
  ``emit`` and the writer's batches). The goal, at most 1.05, is judged on
  it: it is what the handler adds to the application. The writer's own
  share (its thread's CPU, per record) is printed beside it; the rest is
  the request's: ``emit``, and the request's own code running in caches
  the handler's work has cooled.
- elapsed: time per request. On one machine it also holds the server
  inserting the records beside the reads it answers; SecantusDB's cost of
  an insert per record, against a find_one, is printed with it (MongoDB's
  is a few microseconds a record in a batch).

The server gets a core of its own, and this process the others, as a
MongoDB has a host of its own. Sharing the cores (``--shared``),
SecantusDB's tens of microseconds of work on each record preempt the
requests, which then take up to a tenth more CPU: a cost of the machine,
not of the handler.

    python bench/log_handler.py [--rounds N] [--shared]
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
import statistics
import sys
import time
from pathlib import Path

from pyramid.config import Configurator
from pyramid.response import Response

sys.path.insert(0, str(Path(__file__).parent))
from overhead import judged, timed

from pyramid_mongo import get_connection, get_db
from pyramid_mongo.devserver import EmbeddedServer
from pyramid_mongo.observe import MongoHandler

GOAL = 1.05
REQUESTS = {"/read": 4000, "/logged": 2000}
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


def server_costs(database: object) -> str:
    """What the server takes for an insert of a record in a batch, and for a
    find_one: the share of the elapsed ratio that is the server's."""
    record = {
        "time": dt.datetime.now(dt.UTC),
        "level": "WARNING",
        "logger": log.name,
        "message": "served /read",
        "request": {"method": "GET", "path": "/read", "id": "0" * 32},
    }
    scratch = database.server_costs  # type: ignore[attr-defined]
    started = time.perf_counter()
    for _ in range(10):
        scratch.insert_many([dict(record) for _ in range(500)], ordered=False)
    per_record = (time.perf_counter() - started) / 5000
    started = time.perf_counter()
    for _ in range(500):
        scratch.find_one({"_id": 1})
    per_read = (time.perf_counter() - started) / 500
    scratch.drop()
    return f"insert {per_record * 1e6:.0f} us a record, find_one {per_read * 1e6:.0f} us"


def writer_cpu(handler: MongoHandler) -> float:
    """Seconds of CPU the handler's writer thread has used."""
    return time.clock_gettime(time.pthread_getcpuclockid(handler._writer.ident))  # type: ignore[arg-type]


def started_apart(server: EmbeddedServer) -> tuple[str, str]:
    """Start the server on a core of its own; this process keeps the rest."""
    cores = sorted(os.sched_getaffinity(0))
    if len(cores) < 2:
        return server.start(), "one core: the server shares it"
    os.sched_setaffinity(0, cores[-1:])  # the server's process inherits it
    try:
        url = server.start()
    finally:
        os.sched_setaffinity(0, cores[:-1])
    return url, f"the server on core {cores[-1]}, the app on {cores[:-1]}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=21)
    parser.add_argument("--shared", action="store_true", help="the server shares our cores")
    args = parser.parse_args()
    server = EmbeddedServer(":memory:")
    if args.shared:
        url, cores = server.start(), "the server and the app on the same cores"
    else:
        url, cores = started_apart(server)
    print(cores)
    url += "?retryWrites=false"
    handler = MongoHandler(collection="log", capped_size="16M")  # before the app: it attaches
    application = app(url)
    log.propagate = False
    log.setLevel(logging.INFO)
    log.addHandler(logging.NullHandler())  # without ours, records are still made
    try:
        for path, count in REQUESTS.items():
            timed(application, path, count // 4)  # connections open, caches filled
            costs: dict[str, list[tuple[float, float]]] = {"none": [], "mongodb": []}
            writer_seconds = 0.0
            for round_ in range(args.rounds):
                for name in ("none", "mongodb") if round_ % 2 == 0 else ("mongodb", "none"):
                    if name == "mongodb":
                        log.addHandler(handler)
                        before = writer_cpu(handler)
                        costs[name].append(timed(application, path, count, handler.flush))
                        writer_seconds += writer_cpu(handler) - before
                        log.removeHandler(handler)
                    else:
                        costs[name].append(timed(application, path, count))
            for kind, index in (("CPU", 1), ("elapsed", 0)):
                ratios = [
                    ours[index] / theirs[index]
                    for ours, theirs in zip(costs["mongodb"], costs["none"], strict=True)
                ]
                ratio, low, high, said = judged(ratios, GOAL)
                goal = f"goal <= {GOAL}: {said}" if path == "/read" and kind == "CPU" else "no goal"
                print(
                    f"{path:8} {kind:8} with / without MongoHandler: {ratio:.3f} "
                    f"(95 % interval of the median {low:.3f}-{high:.3f}; {goal})"
                )
            per_request = statistics.median(cpu for _, cpu in costs["none"]) / count
            per_record = writer_seconds / (count * args.rounds)
            print(
                f"{path:8} the writer's thread: {per_record * 1e6:.1f} us CPU a record, "
                f"{per_record / per_request:.1%} of a request without the handler"
            )
        server_said = server_costs(get_db(application.registry))
        print(f"dropped {handler.dropped}; the server: {server_said}")
    finally:
        handler.close()
        get_connection(application.registry).close()  # type: ignore[attr-defined]
        server.stop()


if __name__ == "__main__":
    main()
