"""The watchdog between an application and its development server.

Run as ``python -m pyramid_mongo._watchdog [--lock FILE] -- COMMAND...`` by
``pyramid_mongo.embedded``. It runs COMMAND, the server, until its standard
input, a pipe from the application, reaches end-of-file: the application's
process has ended, however it ended (hupper kills ``pserve --reload``'s
worker). It then stops the server in order. It holds the lock on the data
folder until its server has exited, so the next server on that folder waits
for this one instead of failing on WiredTiger's own lock.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import os
import signal
import subprocess
import sys
import threading
import time

LOCK_TIMEOUT = 60.0
STOP_TIMEOUT = 20.0


def _hold_lock(path: str, timeout: float) -> int:
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    deadline = time.monotonic() + timeout
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return fd
        except BlockingIOError:
            if time.monotonic() > deadline:
                sys.exit(f"pyramid_mongo: {path} stays locked by another server")
            time.sleep(0.1)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lock", help="lock file to hold while the server runs")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    if args.lock:
        _hold_lock(args.lock, LOCK_TIMEOUT)
    server = subprocess.Popen(command, stdin=subprocess.DEVNULL)
    try:
        parent_gone = threading.Event()
        threading.Thread(target=_wait_for_eof, args=(parent_gone,), daemon=True).start()
        while not parent_gone.is_set() and server.poll() is None:
            parent_gone.wait(0.2)
    finally:
        if server.poll() is None:
            server.terminate()
            try:
                server.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
    sys.exit(server.returncode if server.returncode and server.returncode > 0 else 0)


def _wait_for_eof(done: threading.Event) -> None:
    with contextlib.suppress(OSError):
        while sys.stdin.buffer.read(1024):
            pass
    done.set()


if __name__ == "__main__":
    main()
