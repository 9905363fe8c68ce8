"""What ``config.include("pyramid_mongo")`` costs at start-up, against a
hand-written integration, in this one process.

Each round builds a whole application (a Configurator, the include, the
first client, ``make_wsgi_app``) from the same settings: a URL with a few
options and a few ``mongodb.<option>`` keys, never connecting. The baseline
is what people write by hand: a MongoClient with those options
(``connect=False``) and a reified ``request.db``. Printed: the median
milliseconds of each, their ratio, and the time to refuse a setting that
conflicts with the URL (where the key at fault is searched for).

    python bench/start_up.py [--rounds N]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

from pymongo import MongoClient
from pyramid.config import Configurator
from pyramid.exceptions import ConfigurationError

from pyramid_mongo import get_connection

URL = "mongodb://127.0.0.1:1/bench?replicaSet=rs&readPreference=secondaryPreferred&w=majority"
KEYS = {"mongodb.appname": "bench", "mongodb.maxPoolSize": "50", "mongodb.tz_aware": "true"}
CONFLICT = {"mongodb.tls": "true", "mongodb.ssl": "false"}


def ours() -> None:
    with Configurator(settings={"mongodb.url": URL, **KEYS}) as config:
        config.include("pyramid_mongo")
        app = config.make_wsgi_app()
    get_connection(app.registry).close()


def by_hand() -> None:
    client: MongoClient[dict] = MongoClient(
        URL, appname="bench", maxPoolSize=50, tz_aware=True, connect=False
    )
    with Configurator(settings={}) as config:
        config.add_request_method(lambda request: client["bench"], "db", reify=True)
        config.make_wsgi_app()
    client.close()


def refused() -> None:
    try:
        Configurator(settings={"mongodb.url": URL, **CONFLICT}).include("pyramid_mongo")
    except ConfigurationError:
        return
    raise AssertionError("the conflict was taken")


def median_ms(work: Callable[[], None], rounds: int) -> float:
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=41)
    rounds = parser.parse_args().rounds
    for work in (ours, by_hand, refused):  # warm: imports, caches
        work()
    hand = median_ms(by_hand, rounds)
    mine = median_ms(ours, rounds)
    refusal = median_ms(refused, rounds)
    print(f"{'':>24} {'ms (median)':>12}")
    print(f"{'by hand':>24} {hand:12.2f}")
    print(f"{'pyramid_mongo':>24} {mine:12.2f}   ratio {mine / hand:.2f}")
    print(f"{'refusing a conflict':>24} {refusal:12.2f}")


if __name__ == "__main__":
    main()
