"""Refuse answers that would make a broken project, before anything is written."""

import keyword
import os
import re
import sys
from pathlib import Path

# Every answer arrives as a JSON string literal, which is a Python one too:
# quotes, backslashes and any letter in a name cannot break this script.
repo_name = {{ cookiecutter.repo_name | jsonify }}
project_name = {{ cookiecutter.project_name | jsonify }}
db_name = {{ cookiecutter.db_name | jsonify }}
url = {{ cookiecutter.production_mongodb_url | jsonify }}

FORBIDDEN_IN_DB_NAME = set('/\\. "$*<>:|?')
# The top-level modules and distribution names of everything a generated
# project installs, listed from a generated project's own virtualenv (the
# template's tests check the list against one): a package of that name would
# hide the real one, or pip would take the project for it.
TAKEN = Path({{ cookiecutter._repo_dir | jsonify }}, "hooks", "taken_names.txt")
if not TAKEN.is_absolute():
    # `cookiecutter scaffold`: the path is the caller's, and this script runs
    # in the new project's directory; the shell's PWD is still the caller's.
    TAKEN = Path(os.environ.get("PWD", "."), TAKEN)


def refuse(reason: str) -> None:
    print(f"ERROR: {reason}", file=sys.stderr)
    sys.exit(1)


def taken() -> set[str]:
    lines = TAKEN.read_text().splitlines()
    return {line.strip().lower() for line in lines if line.strip() and not line.startswith("#")}


if not project_name.strip() or any(char in project_name for char in "\r\n\x00"):
    refuse("the project name must be one line of text")
if not re.fullmatch(r"[_a-zA-Z][_a-zA-Z0-9]*", repo_name):
    refuse(
        f"{repo_name!r} is not a valid package name: use letters, digits and underscores, "
        "not starting with a digit"
    )
if keyword.iskeyword(repo_name) or repo_name in sys.stdlib_module_names:
    refuse(f"{repo_name!r} is taken by Python; choose another package name")
if repo_name.lower() in taken() or repo_name.lower() in {"test", "tests"}:
    refuse(f"{repo_name!r} is taken by a library the project uses; choose another package name")
if not db_name or set(db_name) & FORBIDDEN_IN_DB_NAME or len(db_name.encode()) > 58:
    refuse(
        f"{db_name!r} is not a valid MongoDB database name: at most 58 bytes "
        "(the tests add '_test'), none of / \\ . space \" $ * < > : | ?"
    )
if not url.startswith(("mongodb://", "mongodb+srv://")) or any(c in url for c in " \r\n"):
    refuse(f"{url!r} is not a MongoDB URL: it must start with mongodb:// or mongodb+srv://")
