"""Refuse answers that would make a broken project, as soon as they are given.

A Jinja extension (cookiecutter.json's ``_extensions``) rather than a
pre_gen_project hook: cookiecutter renders ``__answers_checked`` right after
the last free-text answer, before it writes anything, and a refusal is a
``click.ClickException``, which cookiecutter's command line prints as one
line and ends with status 1. A failing hook is followed by a traceback of
cookiecutter's own, and a hook does not run at all with ``--accept-hooks no``.
"""

from __future__ import annotations

import keyword
import re
import sys
from collections.abc import Mapping
from pathlib import Path

import click
from jinja2 import Environment
from jinja2.ext import Extension

FORBIDDEN_IN_DB_NAME = set('/\\. "$*<>:|?')
DB_NAME_BYTES = 58  # MongoDB's 63, less the tests' "_test"
# The top-level modules and distribution names of everything a generated
# project installs, listed from a generated project's own virtualenv (the
# template's tests check the list against one): a package of that name would
# hide the real one, or pip would take the project for it.
TAKEN = Path(__file__).resolve().with_name("taken_names.txt")


class RefusedAnswer(click.ClickException):
    """An answer the project cannot be made from."""


def taken() -> set[str]:
    lines = TAKEN.read_text().splitlines()
    return {line.strip().lower() for line in lines if line.strip() and not line.startswith("#")}


def refusal(answers: Mapping[str, object]) -> str | None:
    """Why the answers cannot make a project, or None."""
    project_name = str(answers["project_name"])
    repo_name = str(answers["repo_name"])
    db_name = str(answers["db_name"])
    url = str(answers["production_mongodb_url"])
    if not project_name.strip() or any(char in project_name for char in "\r\n\x00"):
        return "the project name must be one line of text"
    if not re.fullmatch(r"[_a-zA-Z][_a-zA-Z0-9]*", repo_name):
        return (
            f"{repo_name!r} is not a valid package name: use letters, digits and underscores, "
            "not starting with a digit"
        )
    if keyword.iskeyword(repo_name) or repo_name in sys.stdlib_module_names:
        return f"{repo_name!r} is taken by Python; choose another package name"
    if repo_name.lower() in taken() or repo_name.lower() in {"test", "tests"}:
        return f"{repo_name!r} is taken by a library the project uses; choose another package name"
    if not db_name or set(db_name) & FORBIDDEN_IN_DB_NAME or len(db_name.encode()) > DB_NAME_BYTES:
        return (
            f"{db_name!r} is not a valid MongoDB database name: at most {DB_NAME_BYTES} bytes "
            "(the tests add '_test'), none of / \\ . space \" $ * < > : | ?"
        )
    if not url.startswith(("mongodb://", "mongodb+srv://")) or any(c in url for c in " \r\n"):
        return f"{url!r} is not a MongoDB URL: it must start with mongodb:// or mongodb+srv://"
    return None


def checked(answers: Mapping[str, object]) -> str:
    why = refusal(answers)
    if why is not None:
        raise RefusedAnswer(why)
    return "yes"


class CheckedAnswers(Extension):
    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        environment.filters["checked"] = checked
        # The pyramid-mongo checkout the template is in, whichever path led
        # here (the root's links, scaffold/, a relative path): for the hook.
        environment.globals["pyramid_mongo_checkout"] = str(Path(__file__).resolve().parents[1])
