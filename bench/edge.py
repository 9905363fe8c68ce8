"""What the production edge costs a request: the allowed-hosts check and the
idempotency lookup of a view that takes ``Idempotency-Key``, for a request
without the header, against the same application without them, in this
one process, on the same server.

Both applications include ``pyramid_mongo`` and ``pyramid_mongo.http`` and
serve one view that reads a document (a POST: what an idempotent view
answers). Ours adds ``mongodb.allowed_hosts`` and ``mongodb_idempotent=True``.
Printed: requests per second of each, their ratio (CPU), its 95 % interval
of the median, and the goal (at most 1.02).

    python bench/edge.py [--rounds N]
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

from overhead import compare_and_print, cpu_of
from pymongo import MongoClient
from pyramid.config import Configurator
from pyramid.response import Response

from pyramid_mongo import get_connection
from pyramid_mongo.devserver import EmbeddedServer

GOAL = 1.02
DB_NAME = "bench_edge"
COUNT = 2000


def read(request):
    return Response(str(request.db.items.find_one({"_id": 1})))


def app_of(url: str, edge: bool) -> Callable:
    settings = {"mongodb.url": url, "mongodb.db_name": DB_NAME}
    if edge:
        settings["mongodb.allowed_hosts"] = "shop.example localhost"
    with Configurator(settings=settings) as config:
        config.include("pyramid_mongo")
        config.include("pyramid_mongo.http")
        config.add_route("read", "/read")
        options = {"mongodb_idempotent": True} if edge else {}
        config.add_view(read, route_name="read", require_csrf=False, **options)
        return config.make_wsgi_app()


def cpu_seconds(app: Callable, count: int) -> float:
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/read",
        "SERVER_NAME": "shop.example",
        "SERVER_PORT": "443",
        "HTTP_HOST": "shop.example",
        "CONTENT_LENGTH": "0",
        "wsgi.url_scheme": "https",
    }
    return cpu_of(app, environ, count)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    server = EmbeddedServer(":memory:")
    url = server.start() + "?retryWrites=false"
    with MongoClient(url) as seeding:
        seeding[DB_NAME].items.insert_one({"_id": 1, "n": 1})
    apps = {"without": app_of(url, edge=False), "with": app_of(url, edge=True)}
    try:
        compare_and_print(
            "allowed hosts + idem. key",
            ("hand rps", "ours rps"),
            lambda count: cpu_seconds(apps["without"], count),
            lambda count: cpu_seconds(apps["with"], count),
            args.rounds,
            COUNT,
            GOAL,
        )
    finally:
        for app in apps.values():
            get_connection(app.registry).close()
        server.stop()


if __name__ == "__main__":
    main()
