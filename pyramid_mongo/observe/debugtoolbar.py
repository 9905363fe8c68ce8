"""The "MongoDB" panel of pyramid_debugtoolbar.

pyramid_mongo adds it by itself when the application includes the toolbar
(through ``pyramid.includes``); an application that includes the toolbar
another way names it in ``debugtoolbar.includes = pyramid_mongo.debugtoolbar``.
It lists each command the request sent, with the time the server took, and
runs an explain of a find or an aggregate only when asked.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bson import json_util
from pyramid.config import Configurator
from pyramid.httpexceptions import HTTPBadRequest, HTTPNotFound
from pyramid.request import Request
from pyramid.response import Response
from pyramid_debugtoolbar.panels import DebugPanel

from ..connection import get_client
from .monitoring import CommandRecord, current_commands

EXPLAIN_ROUTE = "pyramid_mongo.explain"


class MongoPanel(DebugPanel):  # type: ignore[misc]
    name = "mongodb"
    title = "MongoDB commands"
    nav_title = "MongoDB"
    template = "pyramid_mongo.observe:templates/mongodb_panel.dbtmako"
    has_content = True

    def __init__(self, request: Request) -> None:
        self.commands: list[CommandRecord] = []
        self.pdtb_id = request.pdtb_id

    def wrap_handler(self, handler: Callable[[Request], Any]) -> Callable[[Request], Any]:
        def recording(request: Request) -> Any:
            token = current_commands.set(self.commands)
            try:
                return handler(request)
            finally:
                # Registered last, so it runs after pyramid_mongo's own
                # finished callback has closed the request's cursors, whose
                # killCursors belong to this request too.
                request.add_finished_callback(lambda request: current_commands.reset(token))

        return recording

    @property
    def total_ms(self) -> float:
        return sum(record.duration_ms for record in self.commands)

    @property
    def nav_subtitle(self) -> str:
        return f"{len(self.commands)} in {self.total_ms:.1f} ms" if self.commands else ""

    def render_vars(self, request: Request) -> dict[str, Any]:
        return {
            "commands": self.commands,
            "total_ms": self.total_ms,
            "explain_url": lambda index: request.route_url(
                EXPLAIN_ROUTE, request_id=self.pdtb_id, index=index
            ),
        }


def explain(request: Request) -> Response:
    """Explain one recorded find or aggregate, when the developer asks."""
    toolbar = request.pdtb_history.get(request.matchdict["request_id"])
    if toolbar is None:
        raise HTTPNotFound("That request is no longer in the toolbar's history.")
    (panel,) = [panel for panel in toolbar.panels if panel.name == MongoPanel.name]
    try:
        record = panel.commands[int(request.matchdict["index"])]
    except (ValueError, IndexError):
        raise HTTPNotFound() from None
    if not record.explainable:
        raise HTTPBadRequest(f"{record.name} cannot be explained")
    client = get_client(request.registry.parent_registry)
    plan = client[record.database].command({"explain": record.command, "verbosity": "queryPlanner"})
    body = json_util.dumps(plan, indent=2, json_options=json_util.RELAXED_JSON_OPTIONS)
    return Response(body, content_type="application/json", charset="utf-8")


def includeme(config: Configurator) -> None:
    """For the toolbar's own application (``debugtoolbar.includes``)."""
    config.add_debugtoolbar_panel(MongoPanel)
    config.add_route(EXPLAIN_ROUTE, "/{request_id}/mongodb/explain/{index}")
    config.add_view(explain, route_name=EXPLAIN_ROUTE)


def add_to_toolbar(toolbar_app: Any) -> None:
    """Add the panel to the toolbar an application already has."""
    config = Configurator(registry=toolbar_app.registry, introspection=False)
    config.include(includeme)
    config.commit()
