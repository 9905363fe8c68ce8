"""Our own suite uses the fixtures every generated project uses."""

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from pymongo import MongoClient
from pyramid.config import Configurator
from pyramid.router import Router
from webtest import TestApp

# Imported here before pytest loads it as the plugin below: rewritten first.
pytest.register_assert_rewrite("pyramid_mongo.testing")
from pyramid_mongo.testing import closing_apps  # noqa: E402
from tests.servers import Server  # noqa: E402

pytest_plugins = ["pyramid_mongo.testing"]

TEST_DB = "pyramid_mongo_test"


def open_cursor_count(client: MongoClient) -> int:
    """Cursors open on the server, as the server itself counts them."""
    return client.admin.command("serverStatus")["metrics"]["cursor"]["open"]["total"]


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """No MONGODB_URL from the outside, so settings alone decide."""
    monkeypatch.delenv("MONGODB_URL", raising=False)
    return monkeypatch


@pytest.fixture
def build_app(
    mongodb_settings: dict[str, str], mongodb_client: MongoClient, clean_env: pytest.MonkeyPatch
) -> Iterator[Callable[..., Router]]:
    """An app of the views in tests/views_under_test.py (and of the modules
    named), built from settings, on an empty test database."""
    mongodb_client.drop_database(TEST_DB)
    with closing_apps() as built:

        def build(*includes: str, **settings: Any) -> Router:
            settings = {**mongodb_settings, "mongodb.db_name": TEST_DB, **settings}
            with Configurator(settings=settings) as config:
                config.include("pyramid_mongo")
                for include in ("tests.views_under_test", *includes):
                    config.include(include)
                app = config.make_wsgi_app()
            built.append(app)
            return app

        yield build


@pytest.fixture
def views_app(build_app: Callable[..., Router]) -> TestApp:
    return TestApp(build_app())


@pytest.fixture(scope="session")
def standalone_url() -> Iterator[str]:
    """A server that behaves like a plain mongod: no transactions."""
    server = Server("--standalone").start()
    yield server.url
    server.stop()
