"""The development server: pserve starts it, data survives restarts, and it stops
with the application, --reload included."""

import signal
import sys
import time
from pathlib import Path

import pytest
from pyramid.exceptions import ConfigurationError

from pyramid_mongo.devserver import free_port
from tests.serving import INI, Served, processes_using, wait_until

pytestmark = pytest.mark.slow  # processes of their own: `pytest -m 'not slow'` skips them


@pytest.fixture
def ini(tmp_path: Path) -> Path:
    path = tmp_path / "development.ini"
    path.write_text(INI.format(port=free_port()))
    return path


def test_pserve_serves_on_the_development_server_and_data_survives_restarts(ini):
    data = ini.parent / "var" / "mongodb"
    first = Served(ini)
    try:
        assert first.hits() == 1
        assert first.hits() == 2
        assert "SecantusDB development server" in first.output()
        assert "not for production" in first.output()
        assert processes_using(data), "the server runs beside the app"
    finally:
        first.stop()
    wait_until(lambda: not processes_using(data), what="the server to stop with the app")

    second = Served(ini)
    try:
        assert second.hits() == 3
    finally:
        second.stop(signal.SIGINT)
    wait_until(lambda: not processes_using(data), what="the server to stop after Ctrl-C")


def test_pserve_reload_restarts_the_server_with_the_app(ini):
    data = ini.parent / "var" / "mongodb"
    served = Served(ini, "--reload")
    try:
        assert served.hits() == 1
        before = served.output().count("SecantusDB development server")
        time.sleep(1.5)  # let hupper take note of the file before it changes
        ini.write_text(ini.read_text() + "\n# changed\n")
        wait_until(
            lambda: served.output().count("SecantusDB development server") > before,
            what="the reloaded app to start its server",
        )
        assert served.hits() == 2
        servers = [p for p in processes_using(data) if "devserver.watchdog" not in p]
        assert len(servers) == 1, servers
    finally:
        served.stop(signal.SIGINT)
    wait_until(lambda: not processes_using(data), what="every server to stop")


def test_a_missing_server_program_is_a_clear_start_up_error(tmp_path, monkeypatch):
    from pyramid.config import Configurator

    monkeypatch.delenv("MONGODB_URL", raising=False)
    monkeypatch.setattr(sys, "executable", str(tmp_path / "python"))
    monkeypatch.setenv("PATH", str(tmp_path))
    settings = {
        "mongodb.embedded": "true",
        "mongodb.embedded_path": str(tmp_path / "data"),
        "mongodb.db_name": "x",
    }
    with Configurator(settings=settings) as config:
        config.include("pyramid_mongo")  # the server starts when the app is made
    with pytest.raises(ConfigurationError) as info:
        config.make_wsgi_app()
    assert "mongodb.embedded: secantusd-py is not installed" in str(info.value)
    assert "pyramid_mongo[embedded]" in str(info.value)
