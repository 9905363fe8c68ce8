"""Refuse answers that would make a broken project, before anything is written."""

import keyword
import re
import sys

# Names a project package must not take: it would hide the real module.
TAKEN = {"pyramid", "pymongo", "bson", "gridfs", "pyramid_mongo", "test", "tests", "site"}
FORBIDDEN_IN_DB_NAME = set('/\\. "$*<>:|?')


def refuse(reason: str) -> None:
    print(f"ERROR: {reason}", file=sys.stderr)
    sys.exit(1)


repo_name = "{{ cookiecutter.repo_name }}"
db_name = "{{ cookiecutter.db_name }}"
url = "{{ cookiecutter.production_mongodb_url }}"

if not re.fullmatch(r"[_a-zA-Z][_a-zA-Z0-9]*", repo_name):
    refuse(
        f"{repo_name!r} is not a valid package name: use letters, digits and underscores, "
        "not starting with a digit"
    )
if keyword.iskeyword(repo_name) or repo_name in TAKEN or repo_name in sys.stdlib_module_names:
    refuse(f"{repo_name!r} is taken by Python or a library the project uses; choose another name")
if not db_name or set(db_name) & FORBIDDEN_IN_DB_NAME or len(db_name.encode()) > 58:
    refuse(
        f"{db_name!r} is not a valid MongoDB database name: at most 58 bytes "
        "(the tests add '_test'), none of / \\ . space \" $ * < > : | ?"
    )
if not url.startswith(("mongodb://", "mongodb+srv://")):
    refuse(f"{url!r} is not a MongoDB URL: it must start with mongodb:// or mongodb+srv://")
