"""The watchdog between an application and its development server.

Run as ``python -m pyramid_mongo.devserver.watchdog [--lock-fd N] [--discovery FILE]
-- COMMAND...`` by ``pyramid_mongo.embedded``. It runs COMMAND, the server,
until its standard input, a pipe from the application, reaches end-of-file:
the application's process has ended, however it ended. It then stops the
server in order.

The server holds the data folder's lock with it (the descriptor is passed
down), so the lock is free only once the server itself has exited, and on
Linux the kernel stops the server if the watchdog is killed. The watchdog
keeps a copy of the lock too, so the folder stays its own between a server
and the next. The server's output goes on to the terminal.

Once the application has said the server is ready (a line on the pipe), a
server that exits or dies on its own is started again, on the same port and
folder, after a pause that doubles from half a second (at most 8 s), with
one line on standard error each time; the discovery file names the new
process, so that pshell and scripts find it. A server that keeps dying
within seconds of its start is given up on, saying why once. Before ready,
a server that ends is reported on standard output, which the application
reads, and on standard error for the person watching.
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
import time

STOP_TIMEOUT = 20.0
LAST_LINES = 15
FIRST_PAUSE = 0.5  # seconds before a restart, doubling while it keeps dying
LONGEST_PAUSE = 8.0
QUICK_DEATH = 10.0  # seconds: a server that lived less died of its start
GIVE_UP_AFTER = 5  # quick deaths in a row


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
    lock = args.lock_fd  # kept: the folder is ours between a server and the next
    ready, quick_deaths = False, 0
    while True:
        server = _start(command, lock)
        started = time.monotonic()
        if not ready:
            _say(f"pid {server.pid}")  # the application waits for it
        elif args.discovery:
            _rename(args.discovery, server.pid)
        last_lines, exited_alone, ready = _watch(server, stopping, ready)
        if exited_alone:  # let it finish exiting, for its own status
            with contextlib.suppress(subprocess.TimeoutExpired):
                server.wait(STOP_TIMEOUT)
        _stop(server)
        if not exited_alone:
            break  # the application has gone, or we were told to stop
        report = _status(server.returncode)
        shown = "\n".join(f"  {line}" for line in last_lines) or "  (nothing)"
        quick_deaths = quick_deaths + 1 if time.monotonic() - started < QUICK_DEATH else 0
        if not ready or quick_deaths >= GIVE_UP_AFTER:
            if args.discovery:
                _forget(args.discovery, server.pid)
            _say(f"exit {report}\n{shown}")
            gave_up = f" {quick_deaths} times in a row, soon after its start" if ready else ""
            _tell(f"{command[0]} {report}{gave_up}; its last lines:\n{shown}")
            sys.exit(1)
        pause = min(FIRST_PAUSE * 2 ** max(quick_deaths - 1, 0), LONGEST_PAUSE)
        _tell(f"{command[0]} {report}; starting it again in {pause:g} s")
        if not _wait_for_the_application(pause, stopping):
            break
    if args.discovery:
        _forget(args.discovery, server.pid)


def _start(command: list[str], lock: int | None) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        command,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        pass_fds=(lock,) if lock is not None else (),
        preexec_fn=_die_with_parent,
    )


def _wait_for_the_application(seconds: float, stopping: list[int]) -> bool:
    """Pause, unless the application goes meanwhile: whether it is still there."""
    deadline = time.monotonic() + seconds
    while not stopping and (left := deadline - time.monotonic()) > 0:
        with contextlib.suppress(InterruptedError):
            readable, _, _ = select.select([0], [], [], left)
            if readable and not os.read(0, 1024):
                return False
    return not stopping


def _watch(
    server: subprocess.Popen[bytes], stopping: list[int], ready: bool
) -> tuple[collections.deque[str], bool, bool]:
    """Forward the server's output until the application or the server ends;
    say whether the server ended on its own (its output closed first), and
    whether the application has said it is ready."""
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
        if 0 in readable:
            said = os.read(0, 1024)
            if not said:
                break  # the application has gone
            ready = ready or b"ready" in said
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
    return last_lines, exited_alone, ready


def _stop(server: subprocess.Popen[bytes]) -> None:
    if server.poll() is None:
        server.terminate()
        try:
            server.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            server.kill()
    server.wait()


def _rename(discovery: str, server_pid: int) -> None:
    """The discovery file names the server that runs now."""
    with contextlib.suppress(OSError, ValueError):
        with open(discovery) as file:
            found = json.load(file)
        found["server_pid"] = server_pid
        with open(discovery + ".new", "w") as file:
            json.dump(found, file)
        os.replace(discovery + ".new", discovery)


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


def _tell(line: str) -> None:
    """A line for the person watching the terminal."""
    with contextlib.suppress(OSError):
        os.write(2, f"pyramid_mongo: {line}\n".encode())


def _say(line: str) -> None:
    """A line for the application, which may have gone already."""
    with contextlib.suppress(OSError):
        os.write(1, (line + "\n").encode())


if __name__ == "__main__":
    main()
