"""The observation wing: what the application's client sends (``monitoring``),
the debug toolbar's MongoDB panel (``debugtoolbar``), and a log handler that
keeps records in MongoDB without making a request wait (``loghandler``)."""

from __future__ import annotations

from pyramid.config import Configurator
from pyramid.events import ApplicationCreated

from ..connection import get_connection
from . import loghandler, monitoring
from .loghandler import MongoHandler
from .monitoring import CommandRecorder
from .monitoring import log as command_log

__all__ = ["CommandRecorder", "MongoHandler", "command_log"]


def _attach_log_handlers(event: ApplicationCreated) -> None:
    loghandler.attach_all(get_connection(event.app.registry))


def includeme(config: Configurator) -> None:
    registry = config.registry
    if monitoring.wanted(registry):  # the toolbar, or the DEBUG log, reads the commands
        get_connection(registry).add_listener(CommandRecorder())

    def add_panel() -> None:
        # At commit: the toolbar reads its panels when its tween is made.
        toolbar_app = monitoring.toolbar_app(registry)
        if toolbar_app is not None and get_connection(registry).recording:
            from .debugtoolbar import add_to_toolbar  # pyramid_debugtoolbar is optional

            add_to_toolbar(toolbar_app)

    config.action(None, add_panel)
    config.add_subscriber(_attach_log_handlers, ApplicationCreated)
