"""The watchdog between an application and its development server.

Run as ``python -m pyramid_mongo.devserver.watchdog [--lock-fd N] [--discovery FILE]
-- COMMAND...`` by ``pyramid_mongo.embedded``. It runs COMMAND, the server,
until its standard input, a pipe from the application, reaches end-of-file:
the application's process has ended, however it ended. It then stops the
server in order.

The server holds the data folder's lock with it (the descriptor is passed
down), so the lock is free only once the server itself has exited, and on
Linux the kernel stops the server if the watchdog is killed. The server's
output goes on to the terminal; if the server exits on its own, its status
and last lines are reported on standard output, which the application reads,
and on standard error for the person watching.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import json
import os
import select
import signal
import subprocess
import sys

STOP_TIMEOUT = 20.0
LAST_LINES = 15


def _die_with_parent() -> None:  # pragma: no cover - runs in the child before exec
    if sys.platform == "linux":
        import ctypes

        PR_SET_PDEATHSIG = 1
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lock-fd", type=int, help="the data folder's lock, passed down")
    parser.add_argument("--discovery", help="the file that names the server, removed at its end")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    stopping: list[int] = []
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, lambda signum, _: stopping.append(signum))
    server = subprocess.Popen(
        command,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        pass_fds=(args.lock_fd,) if args.lock_fd is not None else (),
        preexec_fn=_die_with_parent,
    )
    if args.lock_fd is not None:
        os.close(args.lock_fd)
    _say(f"pid {server.pid}")
    last_lines, exited_alone = _watch(server, stopping)
    if exited_alone:  # let it finish exiting, for its own status
        with contextlib.suppress(subprocess.TimeoutExpired):
            server.wait(STOP_TIMEOUT)
    _stop(server)
    if args.discovery:
        _forget(args.discovery, server.pid)
    if exited_alone:
        report = _status(server.returncode)
        shown = "\n".join(f"  {line}" for line in last_lines) or "  (nothing)"
        _say(f"exit {report}\n{shown}")
        os.write(2, f"pyramid_mongo: {command[0]} {report}; its last lines:\n{shown}\n".encode())
        sys.exit(1)


def _watch(
    server: subprocess.Popen[bytes], stopping: list[int]
) -> tuple[collections.deque[str], bool]:
    """Forward the server's output until the application or the server ends;
    say whether the server ended on its own (its output closed first)."""
    assert server.stdout is not None
    output = server.stdout.fileno()
    last_lines: collections.deque[str] = collections.deque(maxlen=LAST_LINES)
    pending = b""
    exited_alone = False
    while not stopping:
        try:
            readable, _, _ = select.select([0, output], [], [], 0.5)
        except InterruptedError:  # pragma: no cover - a signal; look at stopping
            continue
        if 0 in readable and not os.read(0, 1024):
            break  # the application has gone
        if output in readable:
            data = os.read(output, 65536)
            if not data:
                exited_alone = True  # the server is ending: _stop reaps it
                break
            with contextlib.suppress(OSError):
                os.write(2, data)
            *complete, pending = (pending + data).split(b"\n")
            last_lines.extend(line.decode(errors="replace").rstrip() for line in complete)
    if pending:
        last_lines.append(pending.decode(errors="replace").rstrip())
    return last_lines, exited_alone


def _stop(server: subprocess.Popen[bytes]) -> None:
    if server.poll() is None:
        server.terminate()
        try:
            server.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            server.kill()
    server.wait()


def _forget(discovery: str, server_pid: int) -> None:
    """Remove the discovery file if it still names this server."""
    with contextlib.suppress(OSError, ValueError):
        with open(discovery) as file:
            named = json.load(file).get("server_pid")
        if named == server_pid:
            os.unlink(discovery)


def _status(code: int) -> str:
    if code < 0:
        return f"was killed by signal {signal.Signals(-code).name}"
    return f"exited with status {code}"


def _say(line: str) -> None:
    """A line for the application, which may have gone already."""
    with contextlib.suppress(OSError):
        os.write(1, (line + "\n").encode())


if __name__ == "__main__":
    main()
