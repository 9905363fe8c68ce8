"""A SecantusDB development server, one per data folder.

With ``mongodb.embedded = true`` an application runs on a machine without
MongoDB: pyramid_mongo starts ``secantusd-py`` (from the ``embedded`` extra;
it is a separate program and is never imported) with its data in a folder of
the project's, and stops it when the application's process ends.

Serving and a shell side by side is the everyday Pyramid workflow, so the
first process to want a folder's server owns it, and every other process
(pshell, ``pyramid-mongo-indexes``, a script, a second pserve) uses it: the
owner writes a discovery file into the folder, which the others trust only
after the server on that port says it is the process the file names. The
folder's lock, taken by the owner and passed down to the server, is free
only once that server has exited, so the next process takes over cleanly.

The server is started through a watchdog (``pyramid_mongo.devserver.watchdog``) that
reads a pipe from the owner: when the owner dies, however it dies, the pipe
reaches end-of-file and the watchdog stops the server in order.
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import json
import logging
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

EXECUTABLE = "secantusd-py"
MEMORY = ":memory:"
LOCK_FILE = ".pyramid_mongo.lock"
DISCOVERY_FILE = ".pyramid_mongo.json"
START_TIMEOUT = 60.0
# The watchdog gives the server 20 s to stop before it kills it.
STOP_TIMEOUT = 30.0
EXIT_WAIT = 0.05  # seconds the exiting application waits for the server to stop


class EmbeddedServerError(RuntimeError):
    """The development server could not be started."""


class PortInUse(EmbeddedServerError):
    """The configured port belongs to another process."""


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
        port: int = sock.getsockname()[1]
        return port


class EmbeddedServer:
    """The data folder's server: one this process owns, or the running owner's."""

    def __init__(self, storage_path: str, port: int = 0, host: str = "127.0.0.1") -> None:
        self.storage_path = storage_path
        self.host = host
        self.requested_port = port
        self.port = port or free_port(host)
        self.owner_pid: int | None = None
        self._watchdog: subprocess.Popen[bytes] | None = None
        self._owner_pid = os.getpid()

    @property
    def url(self) -> str:
        return f"mongodb://{self.host}:{self.port}/"

    @property
    def in_memory(self) -> bool:
        return self.storage_path == MEMORY

    @property
    def owned(self) -> bool:
        return self._watchdog is not None

    @property
    def _folder(self) -> Path:
        return Path(self.storage_path)

    def start(self, timeout: float = START_TIMEOUT) -> str:
        """The URL of the folder's server, started here if nobody runs it."""
        executable = find_executable()
        if self.in_memory:
            self._start_own(executable, None, timeout)
            return self.url
        self._folder.mkdir(parents=True, exist_ok=True)
        deadline = time.monotonic() + timeout
        while True:
            running = self._running_for_folder()
            if running is not None:
                self.port, self.owner_pid = running["port"], running["owner_pid"]
                return self.url
            lock = _try_lock(self._folder / LOCK_FILE)
            if lock is not None:
                self._start_own(executable, lock, deadline - time.monotonic())
                return self.url
            if time.monotonic() > deadline:
                raise EmbeddedServerError(
                    f"{self.storage_path} is locked by another process, "
                    "but no server answers for it"
                )
            time.sleep(0.2)  # its owner is starting it

    def _running_for_folder(self) -> dict[str, Any] | None:
        """The discovery file's server, if it is alive and is who the file says."""
        try:
            found = json.loads((self._folder / DISCOVERY_FILE).read_text())
            port, server_pid = int(found["port"]), int(found["server_pid"])
        except (OSError, ValueError, KeyError, TypeError):
            return None
        if _answering_pid(self.host, port) != server_pid:
            return None  # stale: that server is gone, or the port is someone else's
        return {"port": port, "owner_pid": found.get("owner_pid")}

    def _start_own(self, executable: str, lock: int | None, timeout: float) -> None:
        if self.requested_port and _port_open(self.host, self.port):
            if lock is not None:
                os.close(lock)
            raise PortInUse(f"port {self.port} on {self.host} is already in use")
        command = [sys.executable, "-m", "pyramid_mongo.devserver.watchdog"]
        if lock is not None:
            command += ["--lock-fd", str(lock), "--discovery", str(self._folder / DISCOVERY_FILE)]
        command += ["--", executable, "--host", self.host, "--port", str(self.port)]
        command += ["--storage-path", self.storage_path, "--log-level", "WARNING"]
        if not self.in_memory:
            # Its log reaches the disk at each commit: a write it acknowledged
            # survives a kill -9 of the server (by default a few may not).
            command.append("--sync-on-commit")
        # A session of its own: Ctrl-C in pserve's terminal reaches the app,
        # and the watchdog then stops the server in order, data flushed.
        try:
            self._watchdog = subprocess.Popen(
                command,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                pass_fds=(lock,) if lock is not None else (),
                start_new_session=True,
            )
        finally:
            if lock is not None:
                os.close(lock)  # the watchdog and the server hold it now
        atexit.register(self._stop_at_exit)
        try:
            server_pid = self._wait_until_ready(timeout)
        except BaseException:
            self.stop()
            raise
        self.owner_pid = os.getpid()
        if lock is not None:
            _write_atomically(
                self._folder / DISCOVERY_FILE,
                {"port": self.port, "server_pid": server_pid, "owner_pid": self.owner_pid},
            )
        # From now on the watchdog starts the server again if it dies.
        assert self._watchdog.stdin is not None
        self._watchdog.stdin.write(b"ready\n")
        self._watchdog.stdin.flush()

    def _wait_until_ready(self, timeout: float) -> int:
        """The server's pid, once the server on our port says it is that process."""
        watchdog = self._watchdog
        assert watchdog is not None and watchdog.stdout is not None
        first = watchdog.stdout.readline().decode().split()
        if first[:1] != ["pid"]:
            raise EmbeddedServerError(f"{EXECUTABLE} could not be started: {self._report()}")
        server_pid = int(first[1])
        deadline = time.monotonic() + max(timeout, 1.0)
        while time.monotonic() < deadline:
            if watchdog.poll() is not None:
                raise EmbeddedServerError(self._report())
            answering = _answering_pid(self.host, self.port)
            if answering == server_pid:
                return server_pid
            if answering is not None:
                raise PortInUse(f"port {self.port} on {self.host} answers for another server")
            time.sleep(0.1)
        raise EmbeddedServerError(f"{EXECUTABLE} did not answer within {timeout:.0f} s")

    def _report(self) -> str:
        """What the watchdog said of the server's end."""
        watchdog = self._watchdog
        assert watchdog is not None and watchdog.stdout is not None
        with contextlib.suppress(subprocess.TimeoutExpired):
            watchdog.wait(STOP_TIMEOUT)
        said = watchdog.stdout.read().decode(errors="replace").strip()
        _, _, report = said.partition("exit ")
        if report:
            return f"{EXECUTABLE} on port {self.port} {report}"
        return f"the watchdog exited with status {watchdog.returncode}"

    def stop(self, wait: float = STOP_TIMEOUT) -> None:
        """Stop the server this process owns, and wait (``wait`` seconds at
        most) until its data is written."""
        watchdog, self._watchdog = self._watchdog, None
        if watchdog is None or os.getpid() != self._owner_pid:
            return
        atexit.unregister(self._stop_at_exit)
        for pipe in (watchdog.stdin, watchdog.stdout):
            if pipe is not None:
                pipe.close()
        try:
            watchdog.wait(wait)
        except subprocess.TimeoutExpired:
            if wait >= STOP_TIMEOUT:
                watchdog.kill()
                watchdog.wait()

    def _stop_at_exit(self) -> None:
        # Ctrl-C of pserve, with --reload too, ends at once: the watchdog,
        # whose pipe has closed, stops the server in order on its own (its
        # writes are on disk already: --sync-on-commit), and a process that
        # starts meanwhile waits for the folder's lock.
        self.stop(wait=EXIT_WAIT)


def _try_lock(path: Path) -> int | None:
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    return fd


def _write_atomically(path: Path, content: dict[str, Any]) -> None:
    partial = path.with_name(f"{path.name}.{os.getpid()}")
    partial.write_text(json.dumps(content))
    os.replace(partial, path)


def _answering_pid(host: str, port: int) -> int | None:
    """The process id the server on that port reports, or None if none answers."""
    if not _port_open(host, port):
        return None
    from pymongo import MongoClient
    from pymongo.errors import PyMongoError

    client: MongoClient[dict[str, Any]] = MongoClient(
        host, port, serverSelectionTimeoutMS=1000, directConnection=True
    )
    try:
        pid = client.admin.command("serverStatus").get("pid")
        return int(pid) if pid is not None else -1
    except PyMongoError:
        return None
    finally:
        client.close()


def _port_open(host: str, port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=0.5):
        return True
    return False
