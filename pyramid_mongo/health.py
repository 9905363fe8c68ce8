"""An opt-in health view for load balancers and monitors.

``mongodb.health_route = /healthz`` answers 200 with the round-trip time of a
``ping``, or 503 when MongoDB does not answer within
``mongodb.health_timeout`` seconds (2 by default), in JSON either way.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import pymongo
from pymongo.errors import PyMongoError
from pyramid.request import Request

from .atomic import outside_transaction
from .connection import get_connection
from .settings import get_settings

log = logging.getLogger(__name__)

ROUTE_NAME = "pyramid_mongo.health"


class HealthView:
    def __init__(self, timeout: float) -> None:
        self.timeout = timeout

    def __call__(self, request: Request) -> dict[str, Any]:
        request.response.cache_control = "no-store"
        started = time.perf_counter()
        try:
            client = get_connection(request.registry).client
            # Never part of the request's transaction, nor a reason its commit fails.
            with pymongo.timeout(self.timeout), outside_transaction(client):
                client.admin.command("ping")
        except PyMongoError as exc:
            log.warning("health check: MongoDB did not answer: %s", type(exc).__name__)
            request.response.status = 503
            return {"status": "unavailable", "mongodb": {"ok": False}}
        elapsed_ms = (time.perf_counter() - started) * 1000
        return {"status": "ok", "mongodb": {"ok": True, "ping_ms": round(elapsed_ms, 2)}}


def add_health_view(config: Any, path: str, timeout: float) -> None:
    config.add_route(ROUTE_NAME, path)
    config.add_view(
        HealthView(timeout), route_name=ROUTE_NAME, renderer="json", request_method="GET"
    )


def includeme(config: Any) -> None:
    settings = get_settings(config.registry)
    if settings.health_route:
        add_health_view(config, settings.health_route, settings.health_timeout)
