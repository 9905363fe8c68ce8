"""The MongoDB panel of the debug toolbar, and the pyramid_mongo.commands log."""

import logging
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from webtest import TestApp

from pyramid_mongo import get_client
from pyramid_mongo.observe import CommandRecorder
from tests.conftest import TEST_DB

REPO = Path(__file__).resolve().parents[2]

TOOLBAR = {"pyramid.includes": "pyramid_debugtoolbar"}
LOCAL = {"REMOTE_ADDR": "127.0.0.1"}


def toolbar_id(response) -> str:
    return re.search(r"/_debug_toolbar/([0-9a-f]+)", response.text).group(1)


@pytest.fixture
def app(build_app) -> TestApp:
    return TestApp(build_app(**TOOLBAR), extra_environ=LOCAL)


def test_the_panel_lists_each_command_of_the_request(app):
    app.post("/seed", {"count": "10"}, status=204)
    page = app.get("/tagged", {"tag": "lamp"})
    panel = app.get(f"/_debug_toolbar/{toolbar_id(page)}").text
    assert "MongoDB commands" in panel
    for expected in ("find", "insert", f"{TEST_DB}.items", "&#34;tag&#34;: &#34;lamp&#34;"):
        assert expected in panel, expected
    assert re.search(r"2 in \d+\.\d ms", panel)  # totals in the tab


def test_the_clean_up_killcursors_belongs_to_the_request(app):
    app.post("/seed", {"count": "10"}, status=204)
    app.get("/keep")
    toolbar = app.app.registry.pdtb_history.last(1)[0][1]
    (panel,) = [panel for panel in toolbar.panels if panel.name == "mongodb"]
    names = [command.name for command in panel.commands]
    assert names.count("find") == 5 and names.count("aggregate") == 2
    assert names[-1] == "killCursors"
    assert all(command.duration_ms > 0 for command in panel.commands)


def test_each_request_sees_only_its_own_commands_with_many_threads(app):
    tags = [f"tag{n}" for n in range(24)]

    def visit(tag):
        client = TestApp(app.app, extra_environ=LOCAL)
        return tag, toolbar_id(client.get("/tagged", {"tag": tag}))

    with ThreadPoolExecutor(max_workers=6) as pool:
        visits = list(pool.map(visit, tags))
    history = dict(app.app.registry.pdtb_history)
    for tag, request_id in visits:
        (panel,) = [p for p in history[request_id].panels if p.name == "mongodb"]
        filters = [command.shown for command in panel.commands]
        assert len(filters) == 2, filters
        assert all(f'"tag": "{tag}"' in shown for shown in filters), (tag, filters)


def test_explain_runs_only_when_asked(app, mongodb_client):
    app.post("/seed", {"count": "3"}, status=204)
    page = app.get("/tagged", {"tag": "lamp"})
    request_id = toolbar_id(page)
    panel = app.get(f"/_debug_toolbar/{request_id}").text
    assert f"/_debug_toolbar/{request_id}/mongodb/explain/0" in panel
    plan = app.get(f"/_debug_toolbar/{request_id}/mongodb/explain/0").json
    assert "queryPlanner" in plan
    app.get(f"/_debug_toolbar/{request_id}/mongodb/explain/1", status=400)  # an insert


def test_commands_are_logged_with_their_duration(build_app, caplog):
    caplog.set_level(logging.DEBUG, logger="pyramid_mongo.commands")
    app = TestApp(build_app())
    app.post("/seed", {"count": "2"}, status=204)
    assert re.search(rf"insert {TEST_DB}\.items \d+\.\d\d ms n=2", caplog.text), caplog.text


def test_nothing_listens_unless_someone_reads(build_app, caplog):
    caplog.set_level(logging.INFO, logger="pyramid_mongo.commands")
    app = build_app()
    listeners = get_client(app.registry).options.event_listeners
    assert not any(isinstance(listener, CommandRecorder) for listener in listeners)


def test_the_generated_projects_toolbar_shows_mongodb_and_no_sqlalchemy(build_app):
    ini = REPO / "scaffold" / "{{cookiecutter.repo_name}}" / "development.ini"
    (panels,) = re.findall(r"^debugtoolbar\.panels = (.+)$", ini.read_text(), re.MULTILINE)
    app = TestApp(build_app(**TOOLBAR, **{"debugtoolbar.panels": panels}), extra_environ=LOCAL)
    page = app.get("/tagged", {"tag": "lamp"})
    toolbar = app.get(f"/_debug_toolbar/{toolbar_id(page)}").text
    assert "MongoDB commands" in toolbar and "Request Vars" in toolbar
    assert "SQLAlchemy" not in toolbar
