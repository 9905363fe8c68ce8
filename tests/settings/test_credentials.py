"""A server that requires authentication: the right password connects and shows
nowhere; a wrong one gives the same 503 on every request and one log line
that names the user and authSource."""

import logging
import re
import subprocess
import time
from pathlib import Path

import pytest
from pymongo import MongoClient
from webtest import TestApp

from pyramid_mongo.devserver import find_executable, free_port

pytestmark = pytest.mark.slow  # a server stopped or hung, or processes of their own

PASSWORD = "pa#ss[w]:rd/é"
QUOTED = "pa%23ss%5Bw%5D%3Ard%2F%C3%A9"


def _serve(storage: Path, port: int, *flags: str) -> subprocess.Popen:
    server = subprocess.Popen(
        [find_executable(), "--port", str(port), "--storage-path", str(storage), *flags],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    client: MongoClient = MongoClient(f"mongodb://127.0.0.1:{port}/", serverSelectionTimeoutMS=500)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            client.admin.command("ping")
            break
        except Exception:
            time.sleep(0.2)
    client.close()
    return server


def _stop(server: subprocess.Popen) -> None:
    server.terminate()
    server.wait(30)


@pytest.fixture(scope="module")
def auth_port(tmp_path_factory):
    """A server with user ``app`` (on admin), restarted with ``--auth``."""
    storage = tmp_path_factory.mktemp("auth-server")
    port = free_port()
    server = _serve(storage, port)
    with MongoClient(f"mongodb://127.0.0.1:{port}/") as client:
        client.admin.command("createUser", "app", pwd=PASSWORD, roles=["root"])
    _stop(server)
    server = _serve(storage, port, "--auth")
    yield port
    _stop(server)


def test_the_right_password_connects_and_no_toolbar_page_shows_it(build_app, auth_port):
    url = f"mongodb://app:{QUOTED}@127.0.0.1:{auth_port}/shop?authSource=admin"
    app = TestApp(
        build_app(**{"mongodb.url": url, "pyramid.includes": "pyramid_debugtoolbar"}),
        extra_environ={"REMOTE_ADDR": "127.0.0.1"},
    )
    app.post("/seed", {"count": "2"}, status=204)
    page = app.get("/count")
    assert page.text == "2"
    request_id = re.search(r"/_debug_toolbar/([0-9a-f]+)", page.text + str(page.headers))
    toolbar = app.get(
        f"/_debug_toolbar/{request_id.group(1)}" if request_id else "/_debug_toolbar/"
    )
    pages = [toolbar.text]
    for link in set(re.findall(r'href="(/_debug_toolbar/[^"#]+)"', toolbar.text)):
        response = app.get(link, expect_errors=True)
        if response.content_type.startswith(("text/", "application/json")):
            pages.append(response.text)
    shown = "\n".join(pages)
    assert "mongodb://app:***@127.0.0.1" in shown  # the Settings panel, redacted
    for form in (PASSWORD, QUOTED, "ss[w]", "rd/é"):
        assert form not in shown


def test_a_wrong_password_is_the_same_503_every_time(build_app, auth_port, caplog):
    caplog.set_level(logging.INFO)
    url = f"mongodb://app:wrong-{QUOTED}@127.0.0.1:{auth_port}/shop?authSource=admin"
    app = TestApp(build_app(**{"mongodb.url": url, "mongodb.serverSelectionTimeoutMS": "500"}))
    statuses = [app.get("/count", expect_errors=True).status_int for _ in range(4)]
    assert statuses == [503] * 4
    refusals = [line for line in caplog.messages if "refused the credentials" in line]
    assert len(refusals) == 1
    assert "user 'app'" in refusals[0] and "authSource 'admin'" in refusals[0]
    for form in (PASSWORD, QUOTED, "wrong-"):
        assert form not in caplog.text
