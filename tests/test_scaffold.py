"""The cookiecutter template: what it generates, what it refuses, and that a
generated project installs in a fresh virtualenv, passes its own tests and
serves its home page."""

import re
import subprocess
import sys
from pathlib import Path

import pytest
from cookiecutter.exceptions import FailedHookException
from cookiecutter.main import cookiecutter

from pyramid_mongo.embedded import free_port
from tests.serving import Served

REPO = Path(__file__).resolve().parent.parent
DEFAULTS = {"repo_name": "pyramid_mongo_project", "template_language": "jinja2"}
SHOP = {
    "project_name": "Shop Front",
    "template_language": "chameleon",
    "db_name": "shopdb",
    "production_mongodb_url": "mongodb+srv://db.example.com/?retryWrites=true",
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


def expected_files(package: str, extension: str) -> list[str]:
    files = [
        ".gitignore",
        "CHANGES.txt",
        "MANIFEST.in",
        "README.txt",
        "development.ini",
        "production.ini",
        "pyproject.toml",
        "testing.ini",
        "tests/conftest.py",
        "tests/test_functional.py",
        "tests/test_views.py",
        f"{package}/__init__.py",
        f"{package}/routes.py",
        f"{package}/static/favicon.svg",
        f"{package}/static/theme.css",
        f"{package}/views/__init__.py",
        f"{package}/views/api.py",
        f"{package}/views/default.py",
        f"{package}/views/notfound.py",
        f"{package}/views/unavailable.py",
    ]
    files += [
        f"{package}/templates/{name}.{extension}" for name in ("404", "503", "home", "layout")
    ]
    return sorted(files)


def files_in(project: Path) -> list[str]:
    return sorted(str(p.relative_to(project)) for p in project.rglob("*") if p.is_file())


@pytest.mark.parametrize(
    ("answers", "package", "extension"),
    [
        ({}, "pyramid_mongo_project", "jinja2"),
        ({"template_language": "chameleon"}, "pyramid_mongo_project", "pt"),
        ({**SHOP, "template_language": "jinja2"}, "shop_front", "jinja2"),
        (SHOP, "shop_front", "pt"),
    ],
)
def test_each_choice_generates_exactly_its_files(tmp_path, answers, package, extension):
    project = bake(tmp_path, **answers)
    assert project.name == package
    assert files_in(project) == expected_files(package, extension)
    for path in project.rglob("*"):
        if path.is_file():
            assert "cookiecutter" not in path.read_text(), path
    db_name = answers.get("db_name", package)
    assert f"mongodb.db_name = {db_name}\n" in (project / "development.ini").read_text()
    assert f"mongodb.db_name = {db_name}_test\n" in (project / "testing.ini").read_text()
    url = answers.get("production_mongodb_url", "mongodb://localhost:27017/")
    assert f"mongodb.url = {url}\n" in (project / "production.ini").read_text()
    pyproject = (project / "pyproject.toml").read_text()
    assert f'"pyramid_{answers.get("template_language", "jinja2")}"' in pyproject
    assert '"pyramid_mongo >= 1.0.0.dev0"' in pyproject


def test_the_repository_root_reaches_the_template_from_the_command_line(tmp_path):
    cookiecutter_cli = str(Path(sys.executable).with_name("cookiecutter"))
    result = subprocess.run(
        [cookiecutter_cli, "--no-input", "-o", str(tmp_path), str(REPO), "project_name=Blog"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert files_in(tmp_path / "blog") == expected_files("blog", "jinja2")
    assert 'pip install -e ".[testing]"' in result.stdout
    assert "pserve development.ini" in result.stdout


@pytest.mark.parametrize(
    ("answers", "reason"),
    [
        ({"repo_name": "2shop"}, "not a valid package name"),
        ({"repo_name": "my-shop"}, "not a valid package name"),
        ({"repo_name": "class"}, "taken"),
        ({"repo_name": "pymongo"}, "taken"),
        ({"repo_name": "json"}, "taken"),
        ({"db_name": "my.shop"}, "not a valid MongoDB database name"),
        ({"production_mongodb_url": "http://db.example.com/"}, "not a MongoDB URL"),
    ],
)
def test_bad_answers_are_refused_and_nothing_is_written(tmp_path, capfd, answers, reason):
    with pytest.raises(FailedHookException):
        bake(tmp_path, **answers)
    assert list(tmp_path.iterdir()) == []
    assert reason in capfd.readouterr().err


@pytest.fixture(scope="session")
def wheel_dir(tmp_path_factory) -> Path:
    """pyramid_mongo built once, for every project's virtualenv."""
    wheels = tmp_path_factory.mktemp("wheels")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "-w",
            str(wheels),
            str(REPO),
        ],
        check=True,
    )
    return wheels


def install(project: Path, wheels: Path) -> Path:
    """A fresh virtualenv with the project and the local pyramid_mongo."""
    venv = project / ".venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    pip = [
        str(venv / "bin" / "python"),
        "-m",
        "pip",
        "install",
        "--quiet",
        "--find-links",
        str(wheels),
    ]
    # The same requirement as the project's: only ours can satisfy it.
    subprocess.run([*pip, "pyramid_mongo[embedded,testing] >= 1.0.0.dev0"], check=True)
    subprocess.run([*pip, "-e", f"{project}[testing]"], check=True)
    return venv / "bin"


@pytest.mark.parametrize("answers", [{}, SHOP], ids=["defaults", "shop-chameleon"])
def test_a_generated_project_passes_its_own_tests_in_its_own_virtualenv(
    tmp_path, wheel_dir, answers, mongodb_url, mongodb_client
):
    project = bake(tmp_path, **answers)
    bin_dir = install(project, wheel_dir)
    version = subprocess.run(
        [
            str(bin_dir / "python"),
            "-c",
            "import importlib.metadata as m; print(m.version('pyramid_mongo'))",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert version.stdout.strip() == "1.0.0.dev0"

    tests = subprocess.run(
        [str(bin_dir / "pytest"), "-q", "-p", "no:cacheprovider"],
        cwd=project,
        capture_output=True,
        text=True,
    )
    assert tests.returncode == 0, tests.stdout + tests.stderr
    assert re.search(r"\b14 passed\b", tests.stdout), tests.stdout

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
