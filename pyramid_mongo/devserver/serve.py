"""``use = egg:pyramid_mongo#waitress``: waitress, on the port the user chooses.

``PORT`` in the environment replaces the port of ``listen``, so that two
applications run side by side (``PORT=6544 pserve development.ini``, or
``make serve PORT=6544`` in this repository). A port another program holds
stops start-up with one line that names it and says how to choose another,
not a traceback.
"""

from __future__ import annotations

import errno
import os
from typing import Any

PORT_ENVIRON = "PORT"


def with_port(listen: str, port: str) -> str:
    """Each ``host:port`` of ``listen`` on ``port`` instead."""
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise SystemExit(f"{PORT_ENVIRON} must be a TCP port number, not {port!r}")
    return " ".join(f"{each.rpartition(':')[0] or each}:{port}" for each in listen.split())


def serve(app: Any, global_conf: dict[str, Any], **settings: Any) -> None:
    import waitress  # the generated projects' and the demo's server, not ours to require

    port = os.environ.get(PORT_ENVIRON, "").strip()
    if port:
        settings["listen"] = with_port(settings.get("listen", "localhost:6543"), port)
    try:
        waitress.serve(app, **settings)
    except OSError as exc:
        if exc.errno != errno.EADDRINUSE:
            raise
        listen = settings.get("listen", "")
        raise SystemExit(
            f"Cannot listen on {listen}: another program holds that port. Choose another "
            f"with {PORT_ENVIRON}, for example {PORT_ENVIRON}=6599 pserve development.ini"
        ) from None
