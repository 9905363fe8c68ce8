"""``use = egg:pyramid_mongo#waitress``: waitress, on the port the user chooses.

``PORT`` in the environment replaces the port of ``listen``, so that two
applications run side by side (``PORT=6544 pserve development.ini``, or
``make serve PORT=6544`` in this repository). A port another program holds
is found before the application (and its development server) starts: one
line names it and gives the command the user ran with a free port, and the
exit status is 1.
"""

from __future__ import annotations

import errno
import os
import shlex
import signal
import socket
import sys
import threading
from collections.abc import Callable
from typing import Any

PORT_ENVIRON = "PORT"
DEFAULT_LISTEN = "localhost:6543"


def with_port(listen: str, port: str) -> str:
    """Each ``host:port`` of ``listen`` on ``port`` instead."""
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise SystemExit(f"{PORT_ENVIRON} must be a TCP port number, not {port!r}")
    return " ".join(f"{each.rpartition(':')[0] or each}:{port}" for each in listen.split())


def server_factory(global_conf: dict[str, Any], **settings: Any) -> Callable[[Any], None]:
    """Called by pserve before it loads the application: the port is checked now."""
    port = os.environ.get(PORT_ENVIRON, "").strip()
    if port:
        settings["listen"] = with_port(settings.get("listen", DEFAULT_LISTEN), port)
    for address in settings.get("listen", DEFAULT_LISTEN).split():
        host, _, number = address.rpartition(":")
        if number.isdigit() and _taken(host.strip("[]") if host else "*", int(number)):
            raise SystemExit(taken_message(address, int(number)))

    def serve(app: Any) -> None:
        import waitress  # the generated projects' and the demo's server, not ours to require

        _let_go_on_ctrl_c()
        try:
            waitress.serve(app, **settings)
        except OSError as exc:
            if exc.errno != errno.EADDRINUSE:
                raise
            address = settings.get("listen", DEFAULT_LISTEN)
            raise SystemExit(taken_message(address, 0)) from None
        finally:
            _let_go()

    return serve


def _let_go_on_ctrl_c() -> None:
    """Ctrl-C lets go of MongoDB at once, beside waitress's own shutdown:
    PyMongo's threads take half a second to end, and pserve --reload gives
    its worker one second in all."""
    if threading.current_thread() is not threading.main_thread():
        return  # signals are the main thread's: waitress run elsewhere keeps its own ways
    interrupted = threading.Event()
    previous = signal.getsignal(signal.SIGINT)

    def on_interrupt(signum: int, frame: Any) -> None:
        interrupted.set()
        if callable(previous):
            previous(signum, frame)
        raise KeyboardInterrupt

    def let_go() -> None:
        interrupted.wait()
        _let_go()

    threading.Thread(target=let_go, name="pyramid_mongo-ctrl-c", daemon=True).start()
    signal.signal(signal.SIGINT, on_interrupt)


def _let_go() -> None:
    """Once serving ends (Ctrl-C): close the clients and let the development
    server stop now, not at interpreter exit. PyMongo's threads then end
    meanwhile, and pserve --reload's worker exits within the second its
    monitor gives it."""
    from ..connection import close_all

    close_all()


def _taken(host: str, port: int) -> bool:
    passive = host in ("*", "")  # waitress's every interface
    try:
        infos = socket.getaddrinfo(
            None if passive else host,
            port,
            type=socket.SOCK_STREAM,
            flags=socket.AI_PASSIVE if passive else 0,
        )
    except OSError:
        return False  # waitress will say what is wrong with the name
    for family, kind, proto, _, where in infos:
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind(where)
            except OSError as exc:
                if exc.errno == errno.EADDRINUSE:
                    return True
    return False


def taken_message(address: str, port: int) -> str:
    """What to run instead: the user's own command, with a free port."""
    free = _free_near(port) if port else 6600
    if os.environ.get("MAKELEVEL"):  # run by make: make serve PORT=...
        command = f"make serve {PORT_ENVIRON}={free}"
    else:
        command = f"{PORT_ENVIRON}={free} {shlex.join(sys.argv)}"
    return (
        f"Cannot listen on {address}: another program holds that port. "
        f"Choose another, for example: {command}"
    )


def _free_near(port: int) -> int:
    for candidate in range(port + 1, min(port + 100, 65536)):
        if not _taken("localhost", candidate):
            return candidate
    return 0
