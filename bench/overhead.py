"""What pyramid_mongo costs a request, against a hand-written integration.

Two apps run in this one process against the same SecantusDB server: one
includes pyramid_mongo, the other is what people write by hand (a
module-level MongoClient and a reified request.db). Each has a view for each
common operation (find_one by _id, insert_one, update_one, delete_one,
count_documents, an aggregate with a $limit) and a view that never touches
the database.

First the figure noise cannot move: Python function calls per request,
counted by cProfile, for each app and view; the goal is the hand-written
count plus at most 3. Then, for the views with a timing goal, rounds of the
two apps alternate, and the median of the rounds' ratios of requests per
second is printed (hand-written / pyramid_mongo: 1.00 means no cost, 1.05
means 5 % slower) with the 95 % confidence interval of that median, read off
the rounds themselves: "inconclusive" when it straddles the goal (more
rounds narrow it).

    python bench/overhead.py [--rounds N]
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import math
import pstats
import statistics
import time
from collections.abc import Callable

from bson import ObjectId
from pymongo import MongoClient
from pyramid.config import Configurator
from pyramid.response import Response

from pyramid_mongo import get_connection
from pyramid_mongo.devserver import EmbeddedServer

DB_NAME = "bench"
DOC_ID = ObjectId()
GOALS = {"find_one": 1.02, "insert_one": 1.02, "no_db": 1.02}
REQUESTS = {"find_one": 400, "insert_one": 400, "no_db": 4000}
MORE_CALLS = 3  # at most, per request, than the hand-written app


def find_one(request):
    return Response(str(request.db.items.find_one({"_id": DOC_ID})["n"]))


def insert_one(request):
    return Response(str(request.db.events.insert_one({"n": 1}).inserted_id))


def update_one(request):
    return Response(
        str(request.db.items.update_one({"_id": DOC_ID}, {"$inc": {"n": 1}}).matched_count)
    )


def delete_one(request):
    return Response(str(request.db.events.delete_one({"_id": ObjectId()}).deleted_count))


def count_documents(request):
    return Response(str(request.db.items.count_documents({"_id": DOC_ID})))


def aggregate(request):
    pipeline = [{"$match": {"_id": DOC_ID}}, {"$limit": 1}]
    return Response(str(len(list(request.db.items.aggregate(pipeline)))))


def no_db(request):
    return Response("ok")


VIEWS = [find_one, insert_one, update_one, delete_one, count_documents, aggregate, no_db]


def add_views(config: Configurator) -> None:
    for view in VIEWS:
        config.add_route(view.__name__, f"/{view.__name__}")
        config.add_view(view, route_name=view.__name__)


def with_pyramid_mongo(url: str, **more: str):
    settings = {"mongodb.url": url, "mongodb.db_name": DB_NAME, **more}
    with Configurator(settings=settings) as config:
        config.include("pyramid_mongo")
        add_views(config)
    return config.make_wsgi_app()


def hand_written(url: str, client: MongoClient):
    with Configurator() as config:
        config.add_request_method(lambda request: client[DB_NAME], "db", reify=True)
        add_views(config)
    return config.make_wsgi_app()


def requests_per_second(app: Callable, path: str, count: int) -> float:
    return count / timed(app, path, count)[0]


def timed(
    app: Callable, path: str, count: int, then: Callable[[], object] = lambda: None
) -> tuple[float, float]:
    """Seconds elapsed and seconds of this process's CPU (every thread's) for
    ``count`` GETs of ``path``, and ``then`` (a part of the work that
    finishes after the responses)."""
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "80",
        "wsgi.url_scheme": "http",
    }

    def start_response(status, headers, exc_info=None):
        assert status.startswith("200"), status

    gc.collect()  # each block starts with the same heap, not the other app's garbage
    started, cpu_started = time.perf_counter(), time.process_time()
    for _ in range(count):
        body = app(dict(environ), start_response)
        b"".join(body)
        if hasattr(body, "close"):
            body.close()
    then()
    return time.perf_counter() - started, time.process_time() - cpu_started


def cpu_of(app: Callable, environ: dict, count: int) -> float:
    """Seconds of this process's CPU for ``count`` requests of ``environ``,
    each answered 200 and its body read whole."""

    def start_response(status, headers, exc_info=None):
        assert status.startswith("200"), status

    gc.collect()
    started = time.process_time()
    for _ in range(count):
        body = app(dict(environ), start_response)
        b"".join(body)
        if hasattr(body, "close"):
            body.close()
    return time.process_time() - started


def median_interval(ratios: list[float]) -> tuple[float, float]:
    """The 95 % confidence interval of the median of ``ratios``, read off the
    sorted rounds (the binomial order statistics): no assumption about how a
    noisy machine spreads them, and narrower as rounds are added, where the
    middle half of the rounds stays as wide as the noise."""
    ordered = sorted(ratios)
    n = len(ordered)
    below, k = 0.0, 0  # P(Binomial(n, 1/2) <= k - 1), for the widest k within 2.5 %
    while below + math.comb(n, k) / 2**n <= 0.025:
        below += math.comb(n, k) / 2**n
        k += 1
    k = max(k, 1)
    return ordered[k - 1], ordered[n - k]


def judged(ratios: list[float], goal: float) -> tuple[float, float, float, str]:
    """The median ratio, its interval, and what they say of the goal."""
    ratio = statistics.median(ratios)
    low, high = median_interval(ratios)
    if low <= goal < high:
        return ratio, low, high, "inconclusive"  # straddled: more rounds decide
    return ratio, low, high, "met" if ratio <= goal else "MISSED"


def compare_and_print(
    row: str,
    names: tuple[str, str],
    baseline: Callable[[int], float],
    ours: Callable[[int], float],
    rounds: int,
    count: int,
    goal: float | None,
) -> None:
    """Rounds of ``count`` requests of each (``baseline(count)`` and
    ``ours(count)`` give CPU seconds), each first in every other round, then
    one line: both rates, the ratio, its 95 % interval of the median, the goal."""
    baseline(count // 4), ours(count // 4)  # warm up both
    ratios, rates = [], ([], [])
    for number in range(rounds):
        if number % 2:
            base_seconds, our_seconds = baseline(count), ours(count)
        else:
            our_seconds, base_seconds = ours(count), baseline(count)
        rates[0].append(count / base_seconds)
        rates[1].append(count / our_seconds)
        ratios.append(our_seconds / base_seconds)
    ratio, low, high, said = judged(ratios, goal if goal is not None else math.inf)
    base_rps, our_rps = (statistics.median(each) for each in rates)
    print(f"{'':<26} {names[0]:>9} {names[1]:>9} {'ratio':>6} {'95% of median':>13} {'goal':>6}")
    shown = f"{goal:>6.2f} {said}" if goal is not None else f"{'-':>6}"
    rates_and_ratio = f"{base_rps:>9.0f} {our_rps:>9.0f} {ratio:>6.3f} {low:>6.3f}-{high:<6.3f}"
    print(f"{row:<26} {rates_and_ratio} {shown}")


def calls_per_request(app: Callable, path: str, count: int = 50) -> float:
    requests_per_second(app, path, count)  # connections open, caches filled
    profile = cProfile.Profile()
    profile.enable()
    requests_per_second(app, path, count)
    profile.disable()
    return pstats.Stats(profile).total_calls / count  # type: ignore[attr-defined]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()

    server = EmbeddedServer(":memory:")
    # Both clients without retryable writes, which slow SecantusDB down as
    # they pile up (bench/dev_server.py): the rounds measure us, not that.
    url = server.start() + "?retryWrites=false"
    with MongoClient(url) as seeding:
        seeding[DB_NAME].items.insert_one({"_id": DOC_ID, "n": 1})
    # The hand-written app's client is as fresh as pyramid_mongo's own.
    client: MongoClient = MongoClient(url)
    apps = {"pyramid_mongo": with_pyramid_mongo(url), "hand-written": hand_written(url, client)}
    try:
        print(f"{'view':<16} calls/request: hand-written, pyramid_mongo (goal: at most +3)")
        for view in VIEWS:
            name = view.__name__
            calls = {app_name: calls_per_request(app, f"/{name}") for app_name, app in apps.items()}
            more = calls["pyramid_mongo"] - calls["hand-written"]
            calls_said = "met" if more <= MORE_CALLS else "MISSED"
            print(
                f"{name:<16} {calls['hand-written']:>5.0f} {calls['pyramid_mongo']:>5.0f}"
                f"  {more:+.0f} {calls_said}"
            )
        print(
            f"\n{'view':<11} {'hand rps':>9} {'ours rps':>9} {'ratio':>6} {'95% of median':>13} "
            f"{'goal':>6}"
        )
        for view, count in REQUESTS.items():
            rates: dict[str, list[float]] = {name: [] for name in apps}
            for app in apps.values():  # warm up both
                requests_per_second(app, f"/{view}", count // 4)
            for round_ in range(args.rounds):
                order = list(apps) if round_ % 2 == 0 else list(reversed(apps))
                for name in order:
                    rates[name].append(requests_per_second(apps[name], f"/{view}", count))
            ratios = [
                theirs / ours
                for theirs, ours in zip(rates["hand-written"], rates["pyramid_mongo"], strict=True)
            ]
            ratio, low, high, said = judged(ratios, GOALS[view])
            print(
                f"{view:<11} {statistics.median(rates['hand-written']):>9.0f} "
                f"{statistics.median(rates['pyramid_mongo']):>9.0f} {ratio:>6.3f} "
                f"{low:>5.3f}-{high:<6.3f} <={GOALS[view]:.2f} {said}"
            )
        transactional = with_pyramid_mongo(
            url, **{"pyramid.includes": "pyramid_tm", "mongodb.transactions": "true"}
        )
        apps["transactions"] = transactional
        plain, in_transaction = [], []
        for _ in range(args.rounds):
            plain.append(requests_per_second(apps["pyramid_mongo"], "/find_one", 200))
            in_transaction.append(requests_per_second(transactional, "/find_one", 200))
        ratio = statistics.median(plain) / statistics.median(in_transaction)
        print(
            f"find_one in a transaction (mongodb.transactions) / without: {ratio:.2f} "
            "(a session, a transaction and its commit per request)"
        )
    finally:
        for app in apps.values():
            if app is not apps.get("hand-written"):
                get_connection(app.registry).close()
        client.close()
        server.stop()


if __name__ == "__main__":
    main()
