"""Point the project at the pyramid_mongo its template came from, remove the
templates of the language not chosen, and say what to do next."""

import re
import subprocess
from pathlib import Path

EXTENSIONS = {"jinja2": ".jinja2", "chameleon": ".pt"}
PLACEHOLDER = " >= 1.0.0.dev0"
chosen = {{ cookiecutter.template_language | jsonify }}
with_accounts = {{ cookiecutter.auth }}  # a boolean answer: True or False
repo_name = {{ cookiecutter.repo_name | jsonify }}
# The template folder (scaffold/) of the pyramid-mongo checkout cookiecutter used:
# the user's own, or its clone of gh:OWNER/pyramid-mongo.
checkout = Path({{ pyramid_mongo_checkout | jsonify }})


def git(*args: str) -> str:
    try:
        done = subprocess.run(
            ["git", "-C", str(checkout), *args], capture_output=True, text=True, timeout=30
        )
    except (OSError, subprocess.SubprocessError):
        return ""
    return done.stdout.strip() if done.returncode == 0 else ""


def pyramid_mongo_source() -> str:
    """A PEP 508 direct reference that resolves: the repository the template was
    cloned from, at the commit it was generated from, when that commit is
    published there; else the checkout itself, which works offline."""
    origin, commit = git("remote", "get-url", "origin"), git("rev-parse", "HEAD")
    scp_like = re.fullmatch(r"([\w.-]+@[\w.-]+):(.+)", origin)  # git@github.com:acme/x.git
    if scp_like:
        origin = f"ssh://{scp_like.group(1)}/{scp_like.group(2)}"
    published = commit and git("branch", "--remotes", "--contains", commit)
    if re.match(r"(https|ssh|git)://", origin) and published and not git("status", "--porcelain"):
        return f"git+{origin}@{commit}"
    return checkout.as_uri()


source = pyramid_mongo_source()
pyproject = Path("pyproject.toml")
pyproject.write_text(
    re.sub(
        r'"(pyramid_mongo(?:\[[\w,]+\])?)' + re.escape(PLACEHOLDER) + '"',
        lambda match: f'"{match.group(1)} @ {source}"',
        pyproject.read_text(),
    )
)

templates = Path(repo_name) / "templates"
for language, extension in EXTENSIONS.items():
    if language != chosen:
        for path in templates.glob("*" + extension):
            path.unlink()
if not with_accounts:
    for path in [
        Path(repo_name, "security.py"),
        Path(repo_name, "views", "auth.py"),
        Path("tests", "test_auth.py"),
        *(templates / f"{page}{EXTENSIONS[chosen]}" for page in ("signup", "login", "account")),
    ]:
        path.unlink()

print(
    f"""
Your project is in {repo_name}/, with pyramid_mongo from {source}.
Next steps:

    cd {repo_name}
    python3 -m venv .venv
    .venv/bin/pip install --upgrade pip
    .venv/bin/pip install -e ".[testing]"
    .venv/bin/pytest
    .venv/bin/pserve development.ini --reload

Then open http://localhost:6543/. No MongoDB is needed: development.ini starts
a development server, with its data in var/mongodb.
"""
)
