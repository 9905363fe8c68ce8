"""The cookiecutter template: what it generates, what it refuses, and that a
generated project installs in a fresh virtualenv, passes its own tests and
serves its home page."""

import configparser
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import click
import pytest
from cookiecutter.main import cookiecutter

from pyramid_mongo.devserver import free_port
from tests.composition import check_the_default_project
from tests.serving import Served

pytestmark = pytest.mark.slow  # processes of their own: `pytest -m 'not slow'` skips them

REPO = Path(__file__).resolve().parents[2]
COOKIECUTTER = str(Path(sys.executable).with_name("cookiecutter"))
DEFAULTS = {"repo_name": "pyramid_mongo_project", "template_language": "jinja2"}
SHOP = {
    "project_name": "Shop Front",
    "template_language": "chameleon",
    "db_name": "shopdb",
    "production_mongodb_url": "mongodb+srv://db.example.com/?retryWrites=true",
    "transactions": "yes",
}


def bake(output: Path, **answers) -> Path:
    return Path(
        cookiecutter(
            str(REPO),
            directory="scaffold",
            no_input=True,
            extra_context=answers,
            output_dir=str(output),
        )
    )


def expected_files(package: str, extension: str, auth: bool = True) -> list[str]:
    files = [
        ".gitignore",
        "CHANGES.txt",
        "MANIFEST.in",
        "README.txt",
        "deploy/nginx.conf",
        f"deploy/{package}.service",
        "development.ini",
        "production.ini",
        "pyproject.toml",
        "testing.ini",
        "tests/conftest.py",
        "tests/test_functional.py",
        "tests/test_items.py",
        "tests/test_openapi.py",
        "tests/test_pages.py",
        "tests/test_views.py",
        f"{package}/__init__.py",
        f"{package}/models.py",
        f"{package}/routes.py",
        f"{package}/static/favicon.ico",
        f"{package}/static/favicon.svg",
        f"{package}/static/theme.css",
        f"{package}/migrations/__init__.py",
        f"{package}/migrations/0001_counters.py",
        f"{package}/views/__init__.py",
        f"{package}/views/api.py",
        f"{package}/views/default.py",
        f"{package}/views/items.py",
        f"{package}/views/notfound.py",
        f"{package}/views/openapi.py",
    ]
    pages = ["404", "503", "error", "home", "layout", "items", "item_edit"]
    pages += ["item_delete", "api_docs"]
    if auth:
        pages += ["account", "login", "signup"]
        files += [f"{package}/security.py", f"{package}/views/auth.py", "tests/test_auth.py"]
    files += [f"{package}/templates/{name}.{extension}" for name in pages]
    return sorted(files)


def files_in(project: Path) -> list[str]:
    return sorted(str(p.relative_to(project)) for p in project.rglob("*") if p.is_file())


@pytest.mark.parametrize(
    ("answers", "package", "extension"),
    [
        ({}, "pyramid_mongo_project", "jinja2"),
        ({"template_language": "chameleon"}, "pyramid_mongo_project", "pt"),
        ({**SHOP, "template_language": "jinja2"}, "shop_front", "jinja2"),
        ({"auth": "no"}, "pyramid_mongo_project", "jinja2"),
        (SHOP, "shop_front", "pt"),
    ],
)
def test_each_choice_generates_exactly_its_files(tmp_path, answers, package, extension):
    project = bake(tmp_path, **answers)
    assert project.name == package
    auth = answers.get("auth", "yes") == "yes"
    assert files_in(project) == expected_files(package, extension, auth)
    assert ("mongodb.sessions = true" in (project / "testing.ini").read_text()) == auth
    for ini in ("development.ini", "production.ini", "testing.ini"):
        assert "session_secret =" not in (project / ini).read_text()  # no secret in git
    for path in project.rglob("*"):
        if path.is_file():
            assert b"cookiecutter" not in path.read_bytes(), path
    db_name = answers.get("db_name", package)
    assert f"mongodb.db_name = {db_name}\n" in (project / "development.ini").read_text()
    assert f"mongodb.db_name = {db_name}_test\n" in (project / "testing.ini").read_text()
    url = answers.get("production_mongodb_url", "mongodb://localhost:27017/")
    assert f"mongodb.url = {url}\n" in (project / "production.ini").read_text()
    pyproject = (project / "pyproject.toml").read_text()
    assert f'"pyramid_{answers.get("template_language", "jinja2")}"' in pyproject
    transactions = answers.get("transactions", "no") == "yes"
    assert ('"pyramid_tm"' in pyproject) == transactions
    assert ("mongodb.transactions = true" in (project / "testing.ini").read_text()) == transactions
    # Baked from this checkout: pyramid_mongo from it, offline.
    assert f'"pyramid_mongo[models] @ {REPO.as_uri()}"' in pyproject
    assert f'"pyramid_mongo[embedded,testing] @ {REPO.as_uri()}"' in pyproject


def test_the_repository_root_reaches_the_template_from_the_command_line(tmp_path):
    result = subprocess.run(
        [COOKIECUTTER, "--no-input", "-o", str(tmp_path), str(REPO), "project_name=Blog"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert files_in(tmp_path / "blog") == expected_files("blog", "jinja2")
    assert '.venv/bin/pip install -e ".[testing]"' in result.stdout
    assert "pserve development.ini" in result.stdout


def test_asked_at_the_root_the_template_asks_its_own_questions_first(tmp_path):
    """No menu of one template: the first question is the project's name,
    and a name typed there is taken."""
    answers = "Day One Shop\n" + "\n" * 6
    result = subprocess.run(
        [COOKIECUTTER, "-o", str(tmp_path), str(REPO)],
        input=answers,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.lstrip().startswith("[1/7] Project name"), result.stdout[:200]
    assert "Select a template" not in result.stdout
    assert (tmp_path / "day_one_shop" / "day_one_shop" / "__init__.py").exists()
    assert f"with pyramid_mongo from {REPO.as_uri()}" in result.stdout


@pytest.mark.parametrize(
    ("answers", "reason"),
    [
        ({"repo_name": "2shop"}, "not a valid package name"),
        ({"repo_name": "my-shop"}, "not a valid package name"),
        ({"repo_name": "class"}, "taken"),
        ({"repo_name": "pymongo"}, "taken"),
        ({"repo_name": "json"}, "taken"),
        ({"project_name": "Two\nLines"}, "one line"),
        ({"db_name": "my.shop"}, "not a valid MongoDB database name"),
        ({"production_mongodb_url": "http://db.example.com/"}, "not a MongoDB URL"),
    ],
)
def test_bad_answers_are_refused_and_nothing_is_written(tmp_path, answers, reason):
    with pytest.raises(click.ClickException, match=reason):
        bake(tmp_path, **answers)
    assert list(tmp_path.iterdir()) == []


def test_a_refusal_on_the_command_line_is_one_clear_line(tmp_path):
    result = subprocess.run(
        [COOKIECUTTER, "--no-input", "-o", str(tmp_path), str(REPO), "repo_name=2shop"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "Error: '2shop' is not a valid package name: use letters, digits and underscores, "
        "not starting with a digit"
    ]
    assert list(tmp_path.iterdir()) == []


TAKEN = REPO / "scaffold" / "taken_names.txt"


def taken_names() -> list[str]:
    lines = TAKEN.read_text().splitlines()
    return [line for line in lines if line and not line.startswith("#")]


def test_every_dependencys_name_is_refused(tmp_path):
    for name in [name for name in taken_names() if name.isidentifier()]:
        with pytest.raises(click.ClickException, match="taken by"):
            bake(tmp_path, repo_name=name)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("project_name", "package"),
    [
        ('Bob "The" Shop', "bob_the_shop"),
        ("O'Brien's Café", "o_brien_s_cafe"),
        ("Back\\slash & Co", "back_slash_co"),
        ("Café Shop", "cafe_shop"),
        ("Ünïcödé Bäckerei", "unicode_backerei"),
    ],
)
def test_odd_project_names_make_projects_that_parse(tmp_path, project_name, package):
    project = bake(tmp_path, project_name=project_name)
    assert project.name == package
    pyproject = tomllib.loads((project / "pyproject.toml").read_text())
    assert pyproject["project"]["description"] == project_name
    for path in project.rglob("*.py"):
        compile(path.read_text(), str(path), "exec")
    init = (project / package / "__init__.py").read_text()
    assert f"PROJECT = {json.dumps(project_name)}" in init
    for ini in project.glob("*.ini"):
        parser = configparser.ConfigParser(defaults={"here": str(project)})
        parser.read(ini)
        dict(parser.items("app:main"))  # PasteDeploy's interpolation resolves


def test_a_url_with_a_percent_survives_the_ini(tmp_path):
    url = "mongodb://app:p%40ss@db.example.com/?authSource=admin"
    project = bake(tmp_path, production_mongodb_url=url)
    parser = configparser.ConfigParser(defaults={"here": str(project)})
    parser.read(project / "production.ini")
    assert parser.get("app:main", "mongodb.url") == url


def git(*args: str, cwd: Path) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True)
    return done.stdout.strip()


def test_a_clone_of_github_asks_for_pyramid_mongo_from_github(tmp_path):
    """As cookiecutter gh:acme/pyramid-mongo leaves it: a clone with a GitHub origin."""
    clone = tmp_path / "pyramid-mongo"
    git("clone", "--quiet", str(REPO), str(clone), cwd=tmp_path)
    # The template as it is in this working tree, committed and published there.
    shutil.rmtree(clone / "scaffold")
    shutil.copytree(REPO / "scaffold", clone / "scaffold")
    identity = ["-c", "user.name=t", "-c", "user.email=t@example.com"]
    git("add", "-A", cwd=clone)
    git(*identity, "commit", "--quiet", "--allow-empty", "-m", "as tested", cwd=clone)
    git("update-ref", "refs/remotes/origin/main", "HEAD", cwd=clone)
    git("remote", "set-url", "origin", "https://github.com/acme/pyramid-mongo.git", cwd=clone)
    commit = git("rev-parse", "HEAD", cwd=clone)
    result = subprocess.run(
        [COOKIECUTTER, "--no-input", "-o", str(tmp_path / "out"), str(clone)],
        capture_output=True,
        text=True,
        check=True,
    )
    pyproject = (tmp_path / "out" / "pyramid_mongo_project" / "pyproject.toml").read_text()
    reference = f"git+https://github.com/acme/pyramid-mongo.git@{commit}"
    assert f'"pyramid_mongo[models] @ {reference}"' in pyproject
    assert f'"pyramid_mongo[embedded,testing] @ {reference}"' in pyproject
    assert reference in result.stdout
    # A change not published there makes the checkout itself the source.
    (clone / "README.txt").write_text("changed\n")
    subprocess.run(
        [COOKIECUTTER, "--no-input", "-f", "-o", str(tmp_path / "out"), str(clone)],
        capture_output=True,
        check=True,
    )
    pyproject = (tmp_path / "out" / "pyramid_mongo_project" / "pyproject.toml").read_text()
    assert f'"pyramid_mongo[models] @ {clone.as_uri()}"' in pyproject


def printed_steps(output: str) -> list[str]:
    """The commands the post-generation hook prints, in order."""
    steps = output.split("Next steps:", 1)[1]
    return [line.strip() for line in steps.splitlines() if line.startswith("    ")]


def installed_names(python: Path) -> set[str]:
    """Distribution and top-level module names in a virtualenv, as taken_names.txt lists them."""
    script = (
        "import importlib.metadata as m, re, json;"
        "names = {re.sub(r'[-_.]+', '_', d.metadata['Name']).lower() for d in m.distributions()};"
        "names |= {k.lower() for k in m.packages_distributions()"
        " if k.isidentifier() and not k.startswith('_')};"
        "print(json.dumps(sorted(names)))"
    )
    done = subprocess.run([str(python), "-c", script], capture_output=True, text=True, check=True)
    return set(json.loads(done.stdout))


@pytest.mark.parametrize("answers", [{}, SHOP], ids=["defaults", "shop-chameleon"])
def test_a_generated_project_passes_its_own_tests_in_its_own_virtualenv(
    tmp_path, answers, mongodb_url, mongodb_client
):
    """The printed steps, run verbatim one after another in a fresh folder."""
    context = [f"{key}={value}" for key, value in answers.items()]
    baked = subprocess.run(
        [COOKIECUTTER, "--no-input", "-o", str(tmp_path), str(REPO), *context],
        capture_output=True,
        text=True,
        check=True,
    )
    steps = printed_steps(baked.stdout)
    assert steps[-1] == ".venv/bin/pserve development.ini --reload"
    shell = "set -e\n" + "\n".join(steps[:-1]) + "\n"
    env = {k: v for k, v in os.environ.items() if k not in ("MONGODB_URL", "VIRTUAL_ENV")}
    tests = subprocess.run(
        ["bash", "-c", shell], cwd=tmp_path, capture_output=True, text=True, env=env
    )
    assert tests.returncode == 0, tests.stdout[-5000:] + tests.stderr[-5000:]
    assert re.search(r"\b\d+ passed\b", tests.stdout) and " failed" not in tests.stdout
    project = tmp_path / steps[0].split()[1]
    bin_dir = project / ".venv" / "bin"
    package = project.name
    missing = installed_names(bin_dir / "python") - set(taken_names()) - {package}
    assert not missing, f"add to {TAKEN}: {sorted(missing)}"

    # The counter test that once failed 2 runs in 10, many more times.
    for _ in range(5):
        again = subprocess.run(
            [str(bin_dir / "pytest"), "-q", "-p", "no:cacheprovider", "-k", "concurrent"],
            cwd=project,
            capture_output=True,
            text=True,
            env=env,
        )
        assert again.returncode == 0, again.stdout + again.stderr

    # pserve development.ini: on its own development server, then on MONGODB_URL.
    ini = project / "development.ini"
    ini.write_text(ini.read_text().replace("localhost:6543", f"127.0.0.1:{free_port()}"))
    served = Served(ini, pserve=str(bin_dir / "pserve"))
    try:
        assert served.hits() == 1
        assert served.hits() == 2
        assert "SecantusDB development server" in served.output()
    finally:
        served.stop()
    db_name = answers.get("db_name", project.name)
    mongodb_client.drop_database(db_name)
    served = Served(ini, pserve=str(bin_dir / "pserve"), mongodb_url=mongodb_url)
    try:
        assert served.hits() == 1
        assert "(from MONGODB_URL)" in served.output()
    finally:
        served.stop()
    assert mongodb_client[db_name].page_hits.count_documents({}) == 1
    mongodb_client.drop_database(db_name)

    # As composed, on a server of the user's own: a plain mongod (no
    # transactions) for the default project, a replica set for both.
    kinds = [("--standalone",), ()] if not answers else [()]
    for number, flags in enumerate(kinds):
        work = tmp_path / f"composition-{number}"
        work.mkdir()
        check_the_default_project(project, str(bin_dir / "pserve"), work, *flags)
