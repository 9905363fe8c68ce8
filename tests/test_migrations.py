"""Versioned migrations on the application's own client: in order, once,
under a lock when two deploys run at once, in a transaction where the
server has them, and a failure that stops and is picked up again."""

import os
import signal
import subprocess
import sys
import textwrap
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from pyramid_mongo import get_db
from pyramid_mongo.migrations import MigrationFailed, new, status, upgrade
from tests.conftest import TEST_DB
from tests.serving import without_python_warnings

pytestmark = pytest.mark.slow  # a server stopped or hung, or processes of their own

MIGRATIONS = {
    "0001_seed.py": """
        def upgrade(db):
            db.runs.update_one({"_id": "0001"}, {"$inc": {"n": 1}}, upsert=True)
            db.items.insert_one({"name": "lamp"})
    """,
    "0002_slow.py": """
        import time

        def upgrade(db):
            db.runs.update_one({"_id": "0002"}, {"$inc": {"n": 1}}, upsert=True)
            time.sleep(1)
            db.items.update_many({}, {"$set": {"slug": "lamp"}})
    """,
}


@pytest.fixture
def package(tmp_path, monkeypatch, request):
    name = f"migrations_{request.node.name.replace('[', '_').replace(']', '').replace('-', '_')}"
    folder = tmp_path / name
    folder.mkdir()
    (folder / "__init__.py").write_text("")
    for file, code in MIGRATIONS.items():
        (folder / file).write_text(textwrap.dedent(code))
    monkeypatch.syspath_prepend(str(tmp_path))
    return name


def runs(mongodb_client, db=TEST_DB):
    return {doc["_id"]: doc["n"] for doc in mongodb_client[db].runs.find()}


def test_upgrade_applies_each_pending_migration_once_in_order(build_app, package, mongodb_client):
    app = build_app(**{"mongodb.migrations": package})
    assert status(app.registry) == ([], ["0001_seed", "0002_slow"])
    assert upgrade(app.registry) == ["0001_seed", "0002_slow"]
    assert upgrade(app.registry) == []
    done, pending = status(app.registry)
    assert [name for name, _ in done] == ["0001_seed", "0002_slow"] and pending == []
    assert runs(mongodb_client) == {"0001": 1, "0002": 1}
    assert get_db(app.registry).items.find_one()["slug"] == "lamp"


def test_two_deploys_at_once_apply_each_migration_exactly_once(build_app, package, mongodb_client):
    app = build_app(**{"mongodb.migrations": package})
    with ThreadPoolExecutor(2) as pool:
        applied = list(pool.map(lambda _: upgrade(app.registry), range(2)))
    assert sorted(applied, key=len) == [[], ["0001_seed", "0002_slow"]]
    assert runs(mongodb_client) == {"0001": 1, "0002": 1}


def test_a_failure_stops_naming_the_migration_and_a_rerun_goes_on(
    build_app, package, mongodb_client, tmp_path
):
    broken = tmp_path / package / "0003_broken.py"
    half = "    db.items.insert_one({'name': 'half'})\n"
    broken.write_text(f"def upgrade(db):\n{half}    raise ValueError('oops')\n")
    (tmp_path / package / "0004_after.py").write_text(
        "def upgrade(db):\n    db.after.insert_one({})\n"
    )
    app = build_app(**{"mongodb.migrations": package})
    with pytest.raises(MigrationFailed, match="migration 0003_broken failed: oops"):
        upgrade(app.registry)
    db = get_db(app.registry)
    assert db.items.count_documents({"name": "half"}) == 0  # in its transaction: rolled back
    assert db.after.count_documents({}) == 0
    assert status(app.registry)[1] == ["0003_broken", "0004_after"]
    broken.write_text("def upgrade(db):\n    db.items.insert_one({'name': 'whole'})\n")
    sys.modules.pop(f"{package}.0003_broken", None)
    assert upgrade(app.registry) == ["0003_broken", "0004_after"]


def test_on_a_standalone_server_too(build_app, package, standalone_url):
    app = build_app(**{"mongodb.url": standalone_url, "mongodb.migrations": package})
    get_db(app.registry).client.drop_database(TEST_DB)
    assert upgrade(app.registry) == ["0001_seed", "0002_slow"]


def test_new_numbers_the_next_one(build_app, package, tmp_path):
    app = build_app(**{"mongodb.migrations": package})
    path = new(app.registry, "Backfill slugs")
    assert path.name == "0003_backfill_slugs.py"
    assert "def upgrade(db):" in path.read_text()


@pytest.mark.slow
def test_the_command_line_in_two_processes_at_once(tmp_path, package, mongodb_url, mongodb_client):
    db = TEST_DB + "_cli"
    mongodb_client.drop_database(db)
    ini = tmp_path / "app.ini"
    ini.write_text(
        "[app:main]\nuse = egg:pyramid_mongo#demo\n"
        f"mongodb.url = {mongodb_url}\nmongodb.db_name = {db}\nmongodb.migrations = {package}\n"
    )
    command = [str(__import__("pathlib").Path(sys.executable).with_name("pyramid-mongo-migrate"))]
    env = {"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin"}
    started = [
        subprocess.Popen(
            [*command, str(ini), "upgrade"], env=env, stdout=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    outputs = [process.communicate(timeout=120)[0] for process in started]
    assert [process.returncode for process in started] == [0, 0]
    assert sum(output.count("applied ") for output in outputs) == 2
    assert runs(mongodb_client, db) == {"0001": 1, "0002": 1}
    listed = subprocess.run([*command, str(ini), "status"], env=env, capture_output=True, text=True)
    assert listed.stdout.count("applied  ") == 2
    mongodb_client.drop_database(db)


def test_start_up_says_what_is_pending_and_can_apply_it(build_app, package, caplog):
    with caplog.at_level("WARNING", logger="pyramid_mongo"):
        app = build_app(**{"mongodb.migrations": package})
    (line,) = [r.getMessage() for r in caplog.records if "pending" in r.getMessage()]
    assert line.startswith("2 migration(s) pending (0001_seed, 0002_slow): apply them with ")
    assert line.endswith(" upgrade")
    assert status(app.registry)[1] == ["0001_seed", "0002_slow"]  # only said
    caplog.clear()
    app = build_app(**{"mongodb.migrations": package, "mongodb.migrate_at_start_up": "true"})
    assert status(app.registry)[1] == []
    assert not [r for r in caplog.records if "pending" in r.getMessage()]


def cli(ini, *args, env=None):
    command = str(__import__("pathlib").Path(sys.executable).with_name("pyramid-mongo-migrate"))
    done = subprocess.run(
        [command, str(ini), *args], capture_output=True, text=True, timeout=120, env=env
    )
    done.stderr = without_python_warnings(done.stderr)
    return done


def test_the_command_line_needs_only_mongodb_and_says_one_line_each(
    tmp_path, package, mongodb_url, mongodb_client
):
    """As production.ini on a deploy host: sessions asked for, no session
    secret there; MONGODB_URL gives the server."""
    db = TEST_DB + "_cli_lines"
    mongodb_client.drop_database(db)
    ini = tmp_path / "production.ini"
    ini.write_text(
        "[app:main]\nuse = egg:pyramid_mongo#demo\nmongodb.url = mongodb://nowhere.invalid/\n"
        f"mongodb.db_name = {db}\nmongodb.migrations = {package}\nmongodb.sessions = true\n"
        "\n[loggers]\nkeys = root\n[handlers]\nkeys = console\n[formatters]\nkeys = plain\n"
        "[logger_root]\nlevel = DEBUG\nhandlers = console\n"
        "[handler_console]\nclass = StreamHandler\nargs = (sys.stdout,)\nformatter = plain\n"
        "[formatter_plain]\nformat = LOG %(message)s\n"
    )
    env = {"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin", "MONGODB_URL": mongodb_url}
    listed = cli(ini, "status", env=env)
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout == "pending  0001_seed\npending  0002_slow\n"
    applied = cli(ini, "upgrade", env=env)
    assert applied.stdout == "applied  0001_seed\napplied  0002_slow\nup to date\n"
    lines = cli(ini, "status", env=env).stdout.splitlines()
    assert [line.split()[:2] for line in lines] == [
        ["applied", "0001_seed"],
        ["applied", "0002_slow"],
    ]
    assert all(line.endswith(" UTC") for line in lines)
    verbose = cli(ini, "status", "-v", env=env)
    assert "LOG " in verbose.stdout  # the INI's own logging, asked for
    mongodb_client.drop_database(db)

    bad = tmp_path / "bad.ini"
    bad.write_text(ini.read_text().replace("mongodb.sessions = true", "mongodb.maxPoolSize = lots"))
    refused = cli(bad, "status", env=env)
    assert refused.returncode == 2 and refused.stdout == ""
    assert refused.stderr.startswith("pyramid-mongo-migrate: mongodb.maxPoolSize: ")
    assert len(refused.stderr.splitlines()) == 1
    assert cli(tmp_path / "missing.ini", "status", env=env).returncode == 2
    assert cli(ini, "sideways", env=env).returncode == 2  # usage
    helped = cli(ini, "--help", env=env).stdout
    assert all(
        f"pyramid-mongo-migrate production.ini {word}" in helped for word in ("status", "upgrade")
    )
    assert "pyramid-mongo-migrate development.ini new " in helped


def test_a_failing_migration_exits_1_with_its_name_and_traceback(tmp_path, package, mongodb_url):
    (tmp_path / package / "0003_broken.py").write_text(
        "def upgrade(db):\n    raise KeyError('x')\n"
    )
    ini = tmp_path / "app.ini"
    ini.write_text(
        "[app:main]\nuse = egg:pyramid_mongo#demo\n"
        f"mongodb.url = {mongodb_url}\nmongodb.db_name = {TEST_DB}_cli_fail\n"
        f"mongodb.migrations = {package}\n"
    )
    env = {"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin"}
    failed = cli(ini, "upgrade", env=env)
    assert failed.returncode == 1
    assert failed.stdout == "applied  0001_seed\napplied  0002_slow\n"
    assert failed.stderr.startswith("pyramid-mongo-migrate: migration 0003_broken failed: ")
    assert "Traceback" in failed.stderr and "KeyError" in failed.stderr
    down = tmp_path / "down.ini"
    down.write_text(
        ini.read_text().replace(mongodb_url, "mongodb://127.0.0.1:1/?serverSelectionTimeoutMS=200")
    )
    unreachable = cli(down, "status", env=env)
    assert unreachable.returncode == 1
    assert unreachable.stderr.strip().endswith(
        "MongoDB cannot be reached: ServerSelectionTimeoutError"
    )


UNDOABLE = """
    def upgrade(db):
        db.items.update_many({}, {"$set": {"colour": "red"}})

    def downgrade(db):
        db.items.update_many({}, {"$unset": {"colour": ""}})
"""


def test_plan_target_downgrade_and_mark_applied(build_app, package, tmp_path, mongodb_client):
    from pyramid_mongo.migrations import MigrationRefused, downgrade, mark_applied

    (tmp_path / package / "0003_colour.py").write_text(textwrap.dedent(UNDOABLE))
    app = build_app(**{"mongodb.migrations": package})
    registry = app.registry
    assert upgrade(registry, plan=True) == ["0001_seed", "0002_slow", "0003_colour"]
    assert status(registry)[0] == []  # the plan wrote nothing
    assert upgrade(registry, target="0001_seed") == ["0001_seed"]
    with pytest.raises(MigrationRefused, match="there is no migration 0009_x"):
        upgrade(registry, target="0009_x")
    mark_applied(registry, "0002_slow")  # done by hand: not run
    assert runs(mongodb_client) == {"0001": 1}
    with pytest.raises(MigrationRefused, match="applied already"):
        mark_applied(registry, "0002_slow")
    assert upgrade(registry) == ["0003_colour"]
    items = get_db(registry).items
    assert items.find_one()["colour"] == "red"
    assert downgrade(registry) == ["0003_colour"]
    assert "colour" not in items.find_one()
    assert status(registry)[1] == ["0003_colour"]
    upgrade(registry)
    with pytest.raises(MigrationRefused, match="0002_slow has no downgrade"):
        downgrade(registry, target="0001_seed")  # 0003, then 0002: refused whole
    assert items.find_one()["colour"] == "red"  # nothing was undone
    assert [name for name, _ in status(registry)[0]] == ["0001_seed", "0002_slow", "0003_colour"]


def test_the_lock_is_renewed_while_held_and_freed_after(mongodb_client):
    from pyramid_mongo.migration_lock import Lock, LockHeld, holder

    db = mongodb_client[TEST_DB + "_lock"]
    db.migrations_lock.drop()
    try:
        with Lock(db, wait=0, seconds=0.6):
            time.sleep(1.5)  # past two expiries: renewed all along
            with pytest.raises(LockHeld, match="held by"):
                Lock(db, wait=0.5, seconds=0.6).__enter__()
        assert holder(db) is None
        with Lock(db, wait=0):
            pass
    finally:
        mongodb_client.drop_database(db.name)


SLOW_ONCE = """
    import os, time

    def upgrade(db):
        if os.path.exists(os.environ["SLOW_MARKER"]):
            os.remove(os.environ["SLOW_MARKER"])
            time.sleep(60)
        db.runs.update_one({"_id": "0003"}, {"$inc": {"n": 1}}, upsert=True)
"""


def test_a_lock_of_a_killed_process_is_said_at_once_and_unlock_frees_it(
    tmp_path, package, mongodb_url, mongodb_client
):
    db = TEST_DB + "_killed"
    mongodb_client.drop_database(db)
    (tmp_path / package / "0003_slow_once.py").write_text(textwrap.dedent(SLOW_ONCE))
    marker = tmp_path / "slow"
    marker.write_text("")
    ini = tmp_path / "app.ini"
    ini.write_text(
        "[app:main]\nuse = egg:pyramid_mongo#demo\n"
        f"mongodb.url = {mongodb_url}\nmongodb.db_name = {db}\nmongodb.migrations = {package}\n"
    )
    env = {"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin", "SLOW_MARKER": str(marker)}
    command = str(__import__("pathlib").Path(sys.executable).with_name("pyramid-mongo-migrate"))
    first = subprocess.Popen([command, str(ini), "upgrade"], env=env, stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while marker.exists() and time.monotonic() < deadline:
        time.sleep(0.1)  # the slow migration has started, under the lock
    os.kill(first.pid, signal.SIGKILL)
    first.wait()
    started = time.monotonic()
    refused = cli(ini, "upgrade", env=env)
    assert time.monotonic() - started < 15  # said at once, not after the lock's expiry
    assert refused.returncode == 1
    assert f"/{first.pid} since " in refused.stderr and "a process that is gone" in refused.stderr
    assert "unlock" in refused.stderr
    freed = cli(ini, "unlock", env=env)
    assert freed.stdout.startswith("unlocked (it was held by ") and f"/{first.pid} " in freed.stdout
    again = cli(ini, "upgrade", env=env)
    assert again.returncode == 0, again.stderr
    assert "applied  0003_slow_once" in again.stdout
    assert runs(mongodb_client, db)["0003"] == 1
    mongodb_client.drop_database(db)


def test_a_backfill_in_batches_says_its_progress_and_resumes(mongodb_client):
    from pyramid_mongo.migration_files import backfill

    items = mongodb_client[TEST_DB].backfilled
    items.drop()
    items.insert_many([{"n": n} for n in range(2500)])
    said = []

    def stop_after_one_batch(line):
        said.append(line)
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        backfill(
            items, {"price": {"$exists": False}}, {"$set": {"price": 0}}, say=stop_after_one_batch
        )
    assert items.count_documents({"price": 0}) == 1000  # that batch is done for good
    said.clear()
    assert (
        backfill(items, {"price": {"$exists": False}}, {"$set": {"price": 0}}, say=said.append)
        == 1500
    )
    assert said == ["backfill backfilled: 1000 updated", "backfill backfilled: 1500 updated"]
    assert (
        backfill(items, {"price": {"$exists": False}}, {"$set": {"price": 0}}, say=said.append) == 0
    )
    items.drop()
