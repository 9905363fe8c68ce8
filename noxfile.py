"""The supported versions, tested: the oldest Python with the oldest PyMongo,
and the newest with the newest. ``make matrix`` runs both; ``make test`` stays
the one command of README.txt and runs the suite on this machine's Python.

The scaffold's tests are left to ``make test``: they install each generated
project in a virtualenv of its own, with the newest releases anyway.
"""

import glob
import os
import shutil

import nox

OLDEST_PYMONGO = "4.17.0"
ARGS = [
    "-q",
    "-p",
    "no:cacheprovider",
    "--ignore=tests/product/test_scaffold.py",
    "--ignore=tests/product/test_docs_extra.py",
]


def interpreter(version: str) -> str:
    """``pythonX.Y`` on the PATH, else the one pyenv installed."""
    root = os.environ.get("PYENV_ROOT", os.path.expanduser("~/.pyenv"))
    installed = sorted(glob.glob(f"{root}/versions/{version}.*/bin/python{version}"))
    on_path = shutil.which(f"python{version}")
    if installed and (on_path is None or "/shims/" in on_path):
        return installed[-1]
    return on_path or f"python{version}"


nox.options.default_venv_backend = "venv"
nox.options.reuse_existing_virtualenvs = True


@nox.session(python=interpreter("3.11"))
def oldest(session: nox.Session) -> None:
    session.install("-e", ".[dev]", f"pymongo=={OLDEST_PYMONGO}")
    session.run("pytest", *ARGS, *session.posargs)


@nox.session(python=interpreter("3.13"))
def newest(session: nox.Session) -> None:
    session.install("--upgrade", "-e", ".[dev]", "pymongo")
    session.run("pytest", *ARGS, *session.posargs)
