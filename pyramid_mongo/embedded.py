"""A SecantusDB development server in a child process.

With ``mongodb.embedded = true`` an application runs on a machine without
MongoDB: pyramid_mongo starts ``secantusd-py`` (from the ``embedded`` extra;
it is a separate program and is never imported) with its data in a folder of
the project's, and stops it when the application's process ends.

The server is not started directly but through a small watchdog
(``pyramid_mongo._watchdog``), which reads a pipe from the application. When the
application's process dies for any reason, ``pserve --reload`` killing its
worker included, the pipe reaches end-of-file and the watchdog stops the
server in order.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

log = logging.getLogger(__name__)

EXECUTABLE = "secantusd-py"
LOCK_FILE = ".pyramid_mongo.lock"
START_TIMEOUT = 60.0
# The watchdog gives the server 20 s to stop before it kills it.
STOP_TIMEOUT = 30.0


class EmbeddedServerError(RuntimeError):
    """The development server could not be started."""


def find_executable() -> str:
    """``secantusd-py`` next to this interpreter (a virtualenv need not be
    activated), or else on the PATH."""
    beside = Path(sys.executable).with_name(EXECUTABLE)
    if beside.exists():
        return str(beside)
    found = shutil.which(EXECUTABLE)
    if found is None:
        raise EmbeddedServerError(
            f"{EXECUTABLE} is not installed: pip install 'pyramid_mongo[embedded]'"
        )
    return found


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


class EmbeddedServer:
    """One ``secantusd-py`` process, owned by the process that started it."""

    def __init__(self, storage_path: str, port: int = 0, host: str = "127.0.0.1") -> None:
        self.storage_path = storage_path
        self.host = host
        self.port = port or free_port(host)
        self._watchdog: subprocess.Popen[bytes] | None = None
        self._owner_pid = os.getpid()

    @property
    def url(self) -> str:
        return f"mongodb://{self.host}:{self.port}/"

    @property
    def in_memory(self) -> bool:
        return self.storage_path == ":memory:"

    def start(self, timeout: float = START_TIMEOUT) -> str:
        executable = find_executable()
        command = [sys.executable, "-m", "pyramid_mongo._watchdog"]
        if not self.in_memory:
            Path(self.storage_path).mkdir(parents=True, exist_ok=True)
            command += ["--lock", str(Path(self.storage_path) / LOCK_FILE)]
        command += [
            "--",
            executable,
            "--host",
            self.host,
            "--port",
            str(self.port),
            "--storage-path",
            self.storage_path,
            "--log-level",
            "WARNING",
        ]
        # A session of its own: Ctrl-C in pserve's terminal reaches the app,
        # and the watchdog then stops the server in order, data flushed.
        self._watchdog = subprocess.Popen(command, stdin=subprocess.PIPE, start_new_session=True)
        atexit.register(self.stop)
        try:
            self._wait_until_ready(timeout)
        except BaseException:
            self.stop()
            raise
        return self.url

    def _wait_until_ready(self, timeout: float) -> None:
        from pymongo import MongoClient
        from pymongo.errors import PyMongoError

        assert self._watchdog is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            status = self._watchdog.poll()
            if status is not None:
                raise EmbeddedServerError(
                    f"{EXECUTABLE} on port {self.port} exited with status {status}; "
                    "its reason is in the output above"
                )
            if _port_open(self.host, self.port):
                client: MongoClient = MongoClient(self.url, serverSelectionTimeoutMS=1000)
                try:
                    client.admin.command("ping")
                    return
                except PyMongoError:
                    pass
                finally:
                    client.close()
            time.sleep(0.1)
        raise EmbeddedServerError(f"{EXECUTABLE} did not answer within {timeout:.0f} s")

    def stop(self) -> None:
        """Stop the server and wait until its data is safely written."""
        watchdog, self._watchdog = self._watchdog, None
        if watchdog is None or os.getpid() != self._owner_pid:
            return
        atexit.unregister(self.stop)
        if watchdog.stdin is not None:
            watchdog.stdin.close()
        try:
            watchdog.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            watchdog.kill()
            watchdog.wait()


def _port_open(host: str, port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=0.5):
        return True
    return False
