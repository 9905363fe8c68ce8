"""Versioned migrations on the application's own client: in order, once,
under a lock when two deploys run at once, in a transaction where the
server has them, and a failure that stops and is picked up again."""

import subprocess
import sys
import textwrap
from concurrent.futures import ThreadPoolExecutor

import pytest

from pyramid_mongo import get_db
from pyramid_mongo.migrations import MigrationFailed, new, status, upgrade
from tests.conftest import TEST_DB

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
