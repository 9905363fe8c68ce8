"""pytest fixtures for a Pyramid application on MongoDB.

Enable them in a project's ``tests/conftest.py``::

    pytest_plugins = ["pyramid_mongo.testing"]

The tests then run against a real server: a SecantusDB server started for
the session in memory, or the server ``MONGODB_URL`` names. The application
is built from the INI file given by ``--ini`` (``testing.ini`` by default),
and each test that asks for ``testapp``, ``app_request``, ``dummy_request``
or ``mongodb_db`` starts on an empty database with the indexes and validators
the application declares.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from paste.deploy.loadwsgi import APP, loadcontext
from pymongo import MongoClient
from pymongo.database import Database
from pyramid import testing
from pyramid.interfaces import IRequestExtensions
from pyramid.request import apply_request_extensions
from pyramid.router import Router
from pyramid.scripting import prepare
from webtest import TestApp

from . import migrations
from .connection import get_connection, get_db
from .devserver import EmbeddedServer, free_port
from .indexes import ensure_declared
from .settings import DEV_SERVER_CLIENT_OPTIONS as CLIENT_OPTIONS
from .settings import URL_ENVIRON

TEST_HOST = "example.com"


@contextlib.contextmanager
def closing_apps() -> Iterator[list[Router]]:
    """A list for the apps a fixture builds; their clients are closed on leaving."""
    apps: list[Router] = []
    try:
        yield apps
    finally:
        for app in apps:
            get_connection(app.registry).close()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--ini",
        action="store",
        default="testing.ini",
        metavar="INI_FILE",
        help="the INI file of the application under test (default: testing.ini)",
    )


@pytest.fixture(scope="session")
def mongodb_url() -> Iterator[str]:
    """The server the tests use: ``MONGODB_URL``, or an in-memory SecantusDB."""
    url = os.environ.get(URL_ENVIRON, "").strip()
    if url:
        yield url
        return
    server = EmbeddedServer(":memory:")
    yield server.start()
    server.stop()


def _own_server() -> bool:
    return not os.environ.get(URL_ENVIRON, "").strip()


@pytest.fixture(scope="session")
def mongodb_settings(mongodb_url: str) -> dict[str, str]:
    """The settings that point an application at the tests' server: on the
    in-memory development server, with its client options (no retryable
    writes, which only slow it down as a long suite goes on)."""
    settings = {"mongodb.url": mongodb_url, "mongodb.embedded": "false"}
    if _own_server():
        settings.update(
            {f"mongodb.{name}": str(value).lower() for name, value in CLIENT_OPTIONS.items()}
        )
    return settings


@pytest.fixture(scope="session")
def mongodb_client(mongodb_url: str) -> Iterator[MongoClient[Any]]:
    """A client of the tests' own, to check what the application stored."""
    options = CLIENT_OPTIONS if _own_server() else {}
    client: MongoClient[Any] = MongoClient(mongodb_url, serverSelectionTimeoutMS=10000, **options)
    yield client
    client.close()


@pytest.fixture(scope="session")
def ini_file(pytestconfig: pytest.Config) -> str:
    path = Path(pytestconfig.getoption("--ini"))
    if not path.is_absolute():
        path = Path(pytestconfig.rootpath) / path
    return str(path)


@pytest.fixture(scope="session")
def make_app(ini_file: str, mongodb_settings: dict[str, str]) -> Iterator[Callable[..., Router]]:
    """Build the INI file's application, with settings overridden by keyword.

    Unless told otherwise it uses the tests' server; pass
    ``**{"mongodb.url": ...}`` to point one at another.
    """
    with closing_apps() as built:

        def build(**settings: Any) -> Router:
            context = loadcontext(APP, "config:" + ini_file)
            worker = os.environ.get("PYTEST_XDIST_WORKER")
            if worker and "mongodb.db_name" in context.local_conf:
                context.local_conf["mongodb.db_name"] += "_" + worker
            context.local_conf.update(mongodb_settings)
            context.local_conf.update(settings)
            with pytest.MonkeyPatch.context() as patch:
                patch.delenv(URL_ENVIRON, raising=False)
                app = context.create()
            built.append(app)
            return app

        yield build


@pytest.fixture(scope="session")
def app(make_app: Callable[..., Router]) -> Router:
    return make_app()


@pytest.fixture(scope="session")
def app_settings(app: Router) -> dict[str, Any]:
    settings: dict[str, Any] = app.registry.settings
    return settings


@pytest.fixture
def mongodb_db(app: Router) -> Database[Any]:
    """The application's database, emptied for this test, with the indexes and
    validators the application declares, and its migrations applied, as
    production's is."""
    db = get_db(app.registry)
    db.client.drop_database(db.name)
    ensure_declared(app.registry)
    migrations.upgrade(app.registry)
    return db


@pytest.fixture
def testapp(app: Router, mongodb_db: Database[Any]) -> TestApp:
    return TestApp(app, extra_environ={"HTTP_HOST": TEST_HOST})


@pytest.fixture
def outage_testapp(make_app: Callable[..., Router]) -> TestApp:
    """The application with its MongoDB out of reach, answering within 0.5 s."""
    unreachable = f"mongodb://127.0.0.1:{free_port()}/"
    app = make_app(**{"mongodb.url": unreachable, "mongodb.serverSelectionTimeoutMS": "500"})
    return TestApp(app, extra_environ={"HTTP_HOST": TEST_HOST})


@pytest.fixture
def app_request(app: Router, mongodb_db: Database[Any]) -> Iterator[Any]:
    """A real request, as a script gets one: request.db and all."""
    with prepare(registry=app.registry) as env:
        request = env["request"]
        request.host = TEST_HOST
        yield request


@pytest.fixture
def dummy_request(app: Router, mongodb_db: Database[Any]) -> testing.DummyRequest:
    """A DummyRequest with the application's request methods (request.db too)."""
    request = testing.DummyRequest()
    request.registry = app.registry
    request.host = TEST_HOST
    apply_request_extensions(request, app.registry.queryUtility(IRequestExtensions))
    return request


@pytest.fixture
def dummy_config(app: Router, dummy_request: testing.DummyRequest) -> Iterator[Any]:
    with testing.testConfig(registry=app.registry, request=dummy_request) as config:
        yield config
