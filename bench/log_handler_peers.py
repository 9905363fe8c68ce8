"""MongoHandler side by side with log4mongo's BufferedMongoHandler, its
nearest peer (a buffer, inserted in batches), in one process on one server.

The request reads one document and logs one record. Rounds of three
alternate: no handler, ours, log4mongo's (``buffer_size=100``, flushed
every second), each round ending when its records are written. Printed:
CPU per request with each handler over none (the median of the rounds, with
the 95 % interval of that median), then ours over log4mongo's, judged
against 1.0. log4mongo inserts on the request's own thread whenever its
buffer fills, so an outage makes that request wait; ours never does
(tests/observe/test_loghandler.py): this bench weighs only the cost.
Measured here: 1.02 (1.01-1.06), MISSED by about 2 % of a request: ours
stores what log4mongo's record lacks (the request's method, path and id,
about 5 us of a 250 us request), and its timer thread races its own
buffer (its "documents must be a non-empty list" errors on stderr).

    python bench/log_handler_peers.py [--rounds N]   (pip install log4mongo)
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).parent))
from log_handler import app, started_apart
from overhead import judged, timed

from pyramid_mongo import get_connection
from pyramid_mongo.devserver import EmbeddedServer
from pyramid_mongo.observe import MongoHandler

REQUESTS = 2000
log = logging.getLogger("bench.requests")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    try:
        from log4mongo.handlers import BufferedMongoHandler
    except ImportError:
        print("log4mongo is not installed: pip install log4mongo (make bench does)")
        return
    server = EmbeddedServer(":memory:")
    url, cores = started_apart(server)
    print(cores)
    ours = MongoHandler(collection="log", capped_size="16M")
    application = app(url + "?retryWrites=false")
    where = urlsplit(url)
    theirs = BufferedMongoHandler(
        host=where.hostname,
        port=where.port,
        database_name="bench_logs",
        collection="log4mongo",
        buffer_size=100,
        buffer_periodical_flush_timing=1.0,
        buffer_early_flush_level="CRITICAL",  # its default, an int, is looked up as a name
    )
    log.propagate = False
    log.setLevel(logging.INFO)
    log.addHandler(logging.NullHandler())
    handlers = {"none": None, "pyramid_mongo": ours, "log4mongo": theirs}
    flushes = {
        "none": lambda: None,
        "pyramid_mongo": ours.flush,
        "log4mongo": theirs.flush_to_mongo,
    }
    costs: dict[str, list[float]] = {name: [] for name in handlers}
    try:
        timed(application, "/read", REQUESTS // 4)
        for round_ in range(args.rounds):
            names = list(handlers)
            for name in names[round_ % 3 :] + names[: round_ % 3]:
                handler = handlers[name]
                if handler is not None:
                    log.addHandler(handler)
                costs[name].append(timed(application, "/read", REQUESTS, flushes[name])[1])
                if handler is not None:
                    log.removeHandler(handler)
        base = costs["none"]
        per_request = statistics.median(base) / REQUESTS
        print(f"no handler: {per_request * 1e6:.0f} us CPU a request")
        for name in ("pyramid_mongo", "log4mongo"):
            ratios = [with_ / without for with_, without in zip(costs[name], base, strict=True)]
            ratio, low, high, _ = judged(ratios, 1.0)
            print(
                f"{name:14} / none: {ratio:.3f} (95 % interval of the median {low:.3f}-{high:.3f})"
            )
        ratios = [o / t for o, t in zip(costs["pyramid_mongo"], costs["log4mongo"], strict=True)]
        ratio, low, high, said = judged(ratios, 1.0)
        print(f"pyramid_mongo / log4mongo: {ratio:.3f} ({low:.3f}-{high:.3f}; goal <= 1.0: {said})")
        print(f"dropped by ours: {ours.dropped}")
    finally:
        ours.close()
        theirs.destroy() if hasattr(theirs, "destroy") else theirs.close()
        get_connection(application.registry).close()  # type: ignore[attr-defined]
        server.stop()


if __name__ == "__main__":
    main()
