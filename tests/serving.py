"""Running pserve as a user does, and watching its processes."""

import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

PSERVE = str(Path(sys.executable).with_name("pserve"))

# A development.ini on the development server, as a generated project has one.
INI = """\
[app:main]
use = egg:pyramid_mongo#demo
mongodb.embedded = true
mongodb.embedded_path = %(here)s/var/mongodb
mongodb.db_name = shared_test
mongodb.create_indexes = true

[pshell]
setup = pyramid_mongo.pshell.setup

[server:main]
use = egg:waitress#main
listen = 127.0.0.1:{port}

[loggers]
keys = root, pyramid_mongo

[handlers]
keys = console

[formatters]
keys = generic

[logger_root]
level = INFO
handlers = console

[logger_pyramid_mongo]
level = DEBUG
handlers =
qualname = pyramid_mongo

[handler_console]
class = StreamHandler
args = (sys.stderr,)
formatter = generic

[formatter_generic]
format = %(levelname)s [%(name)s] %(message)s
"""


def processes_using(path: Path) -> list[str]:
    """Command lines of the running processes that name path."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            args = cmdline.read_bytes().split(b"\0")
        except OSError:
            continue
        if any(str(path).encode() in arg for arg in args):
            found.append(b" ".join(args).decode(errors="replace"))
    return found


# What Python's warnings module writes (a dependency's deprecation, say a
# newer setuptools' of pkg_resources, which Pyramid imports): not ours to say.
_PYTHON_WARNING = re.compile(r"^\S+:\d+: \w*Warning: .*\n(?:  .*\n)?", re.MULTILINE)


def without_python_warnings(text: str) -> str:
    """A process's output as our code wrote it."""
    return _PYTHON_WARNING.sub("", text)


def wait_until(condition, timeout: float = 60.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


class Served:
    """A pserve process of the test's INI file, and its output."""

    def __init__(
        self,
        ini: Path,
        *args: str,
        pserve: str = PSERVE,
        mongodb_url: str | None = None,
        cwd: Path | None = None,
        environ: dict[str, str] | None = None,
    ) -> None:
        self.ini = ini
        self.port = int(re.search(r"listen = [\w.]+:(\d+)", ini.read_text()).group(1))
        env = {k: v for k, v in os.environ.items() if k != "MONGODB_URL"}
        env.update(environ or {})  # the deployment's variables, for this process alone
        if mongodb_url:
            env["MONGODB_URL"] = mongodb_url
        if cwd is not None:  # a project run from its folder, not installed
            env["PYTHONPATH"] = str(cwd)
        self.log = ini.with_suffix(".log").open("w+")
        # A process group of its own, as a terminal gives a command: Ctrl-C
        # (interrupt()) reaches pserve and its reloading worker alike.
        self.process = subprocess.Popen(
            [pserve, *args, str(ini)],
            stdout=self.log,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=cwd,
            process_group=0,
        )

    def interrupt(self) -> float:
        """Ctrl-C in its terminal: the seconds until pserve has exited."""
        started = time.monotonic()
        os.killpg(self.process.pid, signal.SIGINT)
        self.process.wait(60)
        return time.monotonic() - started

    def output(self) -> str:
        self.log.flush()
        return Path(self.log.name).read_text()

    def hits(self) -> int:
        def fetch():
            if self.process.poll() is not None:
                raise AssertionError("pserve exited:\n" + self.output())
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/", timeout=10) as r:
                    return r.read().decode()
            except OSError:
                return None

        page = wait_until(fetch, what="the home page")
        return int(re.search(r'id="hits">(\d+)<', page).group(1))

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process.poll() is None:
            self.process.send_signal(sig)
            self.process.wait(60)
        self.log.close()
