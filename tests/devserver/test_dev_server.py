"""One development server per data folder, shared by pserve, pshell and scripts;
never someone else's; never orphaned; honest when it fails."""

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from pymongo import MongoClient
from pyramid.config import Configurator
from pyramid.exceptions import ConfigurationError

from pyramid_mongo import get_connection
from pyramid_mongo.devserver import DISCOVERY_FILE, find_executable, free_port
from tests.serving import INI, Served, processes_using, wait_until, without_python_warnings

pytestmark = pytest.mark.slow  # processes of their own: `pytest -m 'not slow'` skips them

BIN = Path(sys.executable).parent


COUNT_HITS = "print('HITS', db.page_hits.count_documents({}))\n"


@pytest.fixture
def ini(tmp_path: Path) -> Path:
    path = tmp_path / "development.ini"
    path.write_text(INI.format(port=free_port()))
    return path


def servers_of(folder: Path) -> list[str]:
    return [
        p for p in processes_using(folder) if "secantusd" in p and "devserver.watchdog" not in p
    ]


def pid_of(pattern: str, folder: Path) -> int:
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        with_args = cmdline.read_bytes().replace(b"\0", b" ").decode(errors="replace")
        if str(folder) in with_args and pattern in with_args:
            return int(cmdline.parent.name)
    raise AssertionError(f"no {pattern} process for {folder}")


def run(*command: str, stdin: str = "", timeout: float = 60) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "MONGODB_URL"}
    return subprocess.run(
        command, input=stdin, capture_output=True, text=True, timeout=timeout, env=env
    )


def include(**settings):
    with Configurator(
        settings={"mongodb.embedded": "true", "mongodb.db_name": "x", **settings}
    ) as c:
        c.include("pyramid_mongo")
        return c.make_wsgi_app()


def test_pserve_pshell_and_the_index_tool_share_one_server(ini):
    folder = ini.parent / "var" / "mongodb"
    served = Served(ini)
    try:
        assert served.hits() == 1
        assert served.hits() == 2
        started = time.monotonic()
        shell = run(
            str(BIN / "pshell"),
            "-p",
            "python",
            str(ini),
            stdin=COUNT_HITS,
        )
        assert "HITS 2" in shell.stdout, shell.stdout + shell.stderr
        indexes = run(str(BIN / "pyramid-mongo-indexes"), str(ini))
        assert indexes.returncode == 0, indexes.stdout + indexes.stderr
        assert time.monotonic() - started < 30
        assert "uses the SecantusDB development server of process" in shell.stderr
        assert len(servers_of(folder)) == 1
        assert served.hits() == 3
        # The shell is quiet: a plain client in the banner, no command log.
        assert "CommandRecorder(_pending" not in shell.stdout
        assert "aggregate shared_test.page_hits" not in shell.stderr
    finally:
        served.stop()
    wait_until(lambda: not servers_of(folder), what="the server to stop with its owner")
    # The next process takes over, with the data.
    shell = run(
        str(BIN / "pshell"),
        "-p",
        "python",
        str(ini),
        stdin="print('HITS', db.page_hits.count_documents({}))\n",
    )
    assert "HITS 3" in shell.stdout, shell.stdout + shell.stderr
    wait_until(lambda: not servers_of(folder), what="pshell's own server to stop")


@pytest.mark.parametrize("victim", ["app", "watchdog", "reload monitor"])
def test_no_server_outlives_a_sigkill(ini, victim):
    folder = ini.parent / "var" / "mongodb"
    served = Served(ini, "--reload") if victim == "reload monitor" else Served(ini)
    try:
        assert served.hits() == 1
        if victim == "watchdog":
            pid = pid_of("pyramid_mongo.devserver.watchdog", folder)
        else:
            pid = served.process.pid
        os.kill(pid, signal.SIGKILL)
        wait_until(lambda: not servers_of(folder), timeout=10, what="the server to stop")
    finally:
        served.stop()
    # The folder is free again: a new owner starts at once (on another HTTP
    # port: hupper's orphaned worker may take a while to let go of its own).
    ini.write_text(INI.format(port=free_port()))
    again = Served(ini)
    try:
        assert again.hits() == 2
    finally:
        again.stop()


def test_a_port_another_process_listens_on_is_refused(tmp_path, clean_env):
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        port = other.getsockname()[1]
        started = time.monotonic()
        with pytest.raises(ConfigurationError) as info:
            include(**{"mongodb.embedded_path": str(tmp_path), "mongodb.embedded_port": str(port)})
    assert str(info.value).startswith("mongodb.embedded_port: ")
    assert str(port) in str(info.value)
    assert time.monotonic() - started < 10


def test_a_port_another_mongodb_answers_on_is_refused(tmp_path, clean_env, mongodb_url):
    if "127.0.0.1" not in mongodb_url and "localhost" not in mongodb_url:
        pytest.skip("the tests' server is not on this machine")
    port = mongodb_url.rsplit(":", 1)[1].strip("/")
    with pytest.raises(ConfigurationError) as info:
        include(**{"mongodb.embedded_path": str(tmp_path), "mongodb.embedded_port": port})
    assert str(info.value).startswith(f"mongodb.embedded_port: port {port}")


def test_a_stale_discovery_file_is_not_obeyed(tmp_path, clean_env, mongodb_url):
    """Left by a process that died: its port now answers for another server."""
    port = int(mongodb_url.rsplit(":", 1)[1].strip("/"))
    (tmp_path / DISCOVERY_FILE).write_text(json.dumps({"port": port, "server_pid": 1}))
    app = include(**{"mongodb.embedded_path": str(tmp_path)})

    connection = get_connection(app.registry)
    try:
        assert f":{port}/" not in connection.url
        found = json.loads((tmp_path / DISCOVERY_FILE).read_text())
        assert found["port"] != port and found["owner_pid"] == os.getpid()
        connection.client.admin.command("ping")
    finally:
        connection.close()
        get_connection(app.registry).server.stop()
    assert not servers_of(tmp_path)
    assert not (tmp_path / DISCOVERY_FILE).exists()


def test_a_server_that_exits_at_start_is_reported_with_its_own_words(tmp_path, clean_env):
    """Another secantusd-py, not ours, holds the folder's WiredTiger files."""
    port = free_port()
    stranger = subprocess.Popen(
        [find_executable(), "--port", str(port), "--storage-path", str(tmp_path)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until(lambda: (tmp_path / "WiredTiger.lock").exists(), what="the stranger")
        time.sleep(1)
        with pytest.raises(ConfigurationError) as info:
            include(**{"mongodb.embedded_path": str(tmp_path)})
    finally:
        stranger.terminate()
        stranger.wait(30)
    message = str(info.value)
    assert message.startswith("mongodb.embedded: secantusd-py on port")
    assert "exited with status" in message
    assert "status -6" not in message and "_enter_buffered_busy" not in message
    assert len(message.splitlines()) > 1, message  # its last lines


def test_the_index_tool_names_the_server_it_could_not_reach(tmp_path):
    ini = tmp_path / "production.ini"
    port = free_port()
    ini.write_text(
        "[app:main]\nuse = egg:pyramid_mongo#demo\n"
        f"mongodb.url = mongodb://ops:hunter2-secret@127.0.0.1:{port}/shop\n"
        "mongodb.serverSelectionTimeoutMS = 300\n"
    )
    result = run(str(BIN / "pyramid-mongo-indexes"), str(ini))
    assert result.returncode == 2
    assert f"mongodb://ops:***@127.0.0.1:{port}/shop" in result.stderr
    assert "hunter2" not in result.stderr + result.stdout


def test_start_up_index_creation_leaves_no_connection_in_the_parent(make_app):
    """As under gunicorn --preload: the parent closes the client it used."""
    clients = []

    def recording(url, **options):
        client = MongoClient(url, **options)
        clients.append(client)
        return client

    app = make_app(**{"mongodb.create_indexes": "true", "mongodb.client_factory": recording})
    assert get_connection(app.registry)._client is None
    assert clients and all(client._closed for client in clients)


def test_every_acknowledged_write_survives_a_kill_9_of_the_server(tmp_path):
    """Writes and transactions acknowledged one by one from four threads (1,000
    of them: without --sync-on-commit, some dozen are lost); the
    server killed with SIGKILL in the middle; all of them there on restart."""
    import threading

    from pyramid_mongo.devserver import EmbeddedServer

    folder = str(tmp_path / "data")
    server = EmbeddedServer(folder)
    client: MongoClient = MongoClient(server.start(), serverSelectionTimeoutMS=2000)
    acknowledged: list[int] = []
    stop = threading.Event()

    def write(first: int) -> None:
        n = first
        while not stop.is_set():
            try:
                if n % 2:
                    client.dev.acks.insert_one({"_id": n})
                else:
                    with client.start_session() as session, session.start_transaction():
                        client.dev.acks.insert_one({"_id": n}, session=session)
                        client.dev.other.insert_one({"_id": n}, session=session)
            except Exception:
                return  # the server is gone: nothing more is acknowledged
            acknowledged.append(n)
            n += 4

    try:
        pid = client.admin.command("serverStatus")["pid"]
        threads = [threading.Thread(target=write, args=(first,)) for first in range(4)]
        for thread in threads:
            thread.start()
        wait_until(lambda: len(acknowledged) > 1000, what="acknowledged writes")
        os.kill(pid, signal.SIGKILL)
        for thread in threads:
            thread.join(30)
        stop.set()
    finally:
        client.close()
        server.stop()
    assert len(acknowledged) > 300
    again = EmbeddedServer(folder)
    client = MongoClient(again.start())
    try:
        kept = {doc["_id"] for doc in client.dev.acks.find({}, {"_id": 1})}
        lost = sorted(set(acknowledged) - kept)
        assert not lost, f"{len(lost)} of {len(acknowledged)} acknowledged writes lost"
        in_transactions = {n for n in acknowledged if n % 2 == 0}
        assert in_transactions <= {doc["_id"] for doc in client.dev.other.find()}
    finally:
        client.close()
        again.stop()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "SIGKILL"])
def test_the_server_is_started_again_when_it_dies_under_pserve(ini, sig):
    """Pages come back by themselves, with the data (on disk), and pshell
    finds the new server through the discovery file."""
    folder = ini.parent / "var" / "mongodb"
    served = Served(ini)
    try:
        assert served.hits() == 1
        assert len(servers_of(folder)) == 1
        server_pid = json.loads((folder / DISCOVERY_FILE).read_text())["server_pid"]
        os.kill(server_pid, sig)
        started = time.monotonic()
        assert served.hits() == 2  # waits until the page answers 200 again
        assert time.monotonic() - started < 20
        wait_until(lambda: len(servers_of(folder)) == 1, what="one server")
        named = json.loads((folder / DISCOVERY_FILE).read_text())["server_pid"]
        assert named != server_pid  # the new one, for pshell and scripts
        output = served.output()
        assert output.count("starting it again in 0.5 s") == 1, output
        ping = "print('PING', db.command('ping')['ok'], db.page_hits.count_documents({}) >= 2)\n"
        shell = run(str(BIN / "pshell"), "-p", "python", str(ini), stdin=ping)
        assert "PING 1.0 True" in shell.stdout, shell.stdout + shell.stderr
        assert f"development server of process {served.process.pid}" in shell.stderr
    finally:
        served.stop()
    wait_until(lambda: not servers_of(folder), what="the server to stop with its owner")


@pytest.mark.parametrize("by_make", [False, True], ids=["pserve", "make serve"])
def test_a_taken_port_is_found_before_anything_starts(ini, by_make):
    """Our waitress runner checks the port before pserve loads the app: no
    development server starts, one line gives the user's own command with a
    free port, and the exit status is 1."""
    ini.write_text(
        ini.read_text().replace("use = egg:waitress#main", "use = egg:pyramid_mongo#waitress")
    )
    folder = ini.parent / "var" / "mongodb"
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        env = {k: v for k, v in os.environ.items() if k not in ("MONGODB_URL", "MAKELEVEL")}
        env["PORT"] = str(port)
        if by_make:
            env["MAKELEVEL"] = "1"
        pserve = str(BIN / "pserve")
        done = subprocess.run(
            [pserve, str(ini)], capture_output=True, text=True, timeout=60, env=env
        )
    assert done.returncode == 1
    output = without_python_warnings(done.stdout + done.stderr)
    said = [line for line in output.splitlines() if line.strip()]
    assert said == [said[-1]] and said[-1].startswith(f"Cannot listen on 127.0.0.1:{port}: ")
    if by_make:
        assert re.search(r"for example: make serve PORT=\d+$", said[-1]), said[-1]
    else:
        assert re.search(rf"for example: PORT=\d+ {re.escape(f'{pserve} {ini}')}$", said[-1])
    assert not folder.exists() or not servers_of(folder)
    assert "SecantusDB" not in done.stderr


@pytest.mark.parametrize("args", [(), ("--reload",)], ids=["pserve", "pserve --reload"])
def test_ctrl_c_ends_quietly_at_once_and_the_server_stops(ini, args):
    """Through our waitress runner, as the generated projects serve. With
    --reload, hupper gives its worker one second, which its own file poller
    nearly fills: there only the time and the server's end are asserted."""
    ini.write_text(
        ini.read_text().replace("use = egg:waitress#main", "use = egg:pyramid_mongo#waitress")
    )
    folder = ini.parent / "var" / "mongodb"
    served = Served(ini, *args)
    try:
        assert served.hits() == 1
        time.sleep(0.5)  # a reloader's worker settled
        elapsed = served.interrupt()
        output = served.output()
    finally:
        served.stop()
    assert "Traceback" not in output
    if args:
        assert elapsed < 2.5, output
    else:
        assert elapsed < 1.5, output
        assert served.process.returncode == 0, output
        assert "forcefully" not in output and "Exiting" not in output
    wait_until(lambda: not servers_of(folder), timeout=10, what="the server to stop")
