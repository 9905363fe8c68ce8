"""The development tooling: a SecantusDB server for ``mongodb.embedded``
(``embedded``, watched by ``watchdog``) and the waitress runner that picks
its port from ``PORT`` (``serve``). None of it is for production."""

from __future__ import annotations

import logging

from pyramid.exceptions import ConfigurationError

from ..settings import EMBEDDED_PORT, PREFIX, EmbeddedSettings
from .embedded import (
    DISCOVERY_FILE,
    EmbeddedServer,
    EmbeddedServerError,
    PortInUse,
    find_executable,
    free_port,
)

__all__ = [
    "DISCOVERY_FILE",
    "EmbeddedServer",
    "EmbeddedServerError",
    "PortInUse",
    "find_executable",
    "free_port",
    "start_server",
]

log = logging.getLogger(__name__)


def start_server(embedded: EmbeddedSettings, source: str) -> EmbeddedServer:
    """The data folder's server, started by this process or shared with its
    owner; a ConfigurationError naming the key when it cannot run."""
    server = EmbeddedServer(embedded.storage_path, embedded.port)
    try:
        url = server.start()
    except PortInUse as exc:
        raise ConfigurationError(f"{PREFIX}{EMBEDDED_PORT}: {exc}") from None
    except EmbeddedServerError as exc:
        raise ConfigurationError(f"{source}: {exc}") from None
    if server.owned:
        log.warning(
            "pyramid_mongo started a SecantusDB development server at %s with its data in %s; "
            "it is not for production",
            url,
            embedded.storage_path,
        )
    else:
        log.info(
            "pyramid_mongo uses the SecantusDB development server of process %s at %s (data in %s)",
            server.owner_pid,
            url,
            embedded.storage_path,
        )
    return server
