"""Declared indexes and validators: the console script, and creation at start-up."""

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from pymongo.errors import WriteError
from pyramid.exceptions import ConfigurationConflictError

from pyramid_mongo.devserver import free_port
from tests.conftest import TEST_DB

REPO = Path(__file__).resolve().parent.parent
SCRIPT = str(Path(sys.executable).with_name("pyramid-mongo-indexes"))


@pytest.fixture
def run_script(tmp_path, mongodb_url, mongodb_client):
    mongodb_client.drop_database(TEST_DB)
    ini = tmp_path / "app.ini"
    ini.write_text(
        f"[app:main]\nuse = call:tests.declarations:main\nmongodb.db_name = {TEST_DB}\n"
        "mongodb.url = mongodb://localhost:27017/\n"
    )

    def run():
        env = {**os.environ, "MONGODB_URL": mongodb_url, "PYTHONPATH": str(REPO)}
        return subprocess.run([SCRIPT, str(ini)], capture_output=True, text=True, env=env)

    yield run
    mongodb_client.drop_database(TEST_DB)


def index_options(collection) -> dict:
    return {info["name"]: dict(info) for info in collection.list_indexes()}


@pytest.mark.slow
def test_the_script_creates_what_is_missing_and_then_finds_it_there(run_script, mongodb_client):
    first = run_script()
    assert first.returncode == 0, first.stderr
    assert f"created index email_1 on {TEST_DB}.users" in first.stdout
    assert f"created index created_1 on {TEST_DB}.events" in first.stdout
    assert f"created index by_kind on {TEST_DB}.events" in first.stdout
    users = mongodb_client[TEST_DB].users
    assert index_options(users)["email_1"]["unique"] is True
    assert index_options(mongodb_client[TEST_DB].events)["created_1"]["expireAfterSeconds"] == 3600
    with pytest.raises(WriteError) as refused:
        users.insert_one({"name": "no email"})
    assert refused.value.code == 121  # the validator

    second = run_script()
    assert second.returncode == 0, second.stderr
    assert f"index email_1 on {TEST_DB}.users exists" in second.stdout
    assert f"validator of {TEST_DB}.users is as declared" in second.stdout
    assert "created index" not in second.stdout


def test_a_conflicting_index_is_reported_and_left_alone(run_script, mongodb_client):
    users = mongodb_client[TEST_DB].users
    users.create_index([("email", 1)])  # not unique
    result = run_script()
    assert result.returncode == 1
    assert f"CONFLICT: {TEST_DB}.users has index email_1 on the same keys with unique" in (
        result.stdout
    )
    assert "1 conflict(s)" in result.stderr
    assert "unique" not in index_options(users)["email_1"]


def test_an_index_name_taken_by_other_keys_is_a_conflict(run_script, mongodb_client):
    mongodb_client[TEST_DB].events.create_index([("other", 1)], name="by_kind")
    result = run_script()
    assert result.returncode == 1
    assert f"CONFLICT: {TEST_DB}.events has an index named by_kind on other keys" in result.stdout


def test_the_app_can_create_them_at_start_up(build_app, mongodb_client, caplog):
    caplog.set_level(logging.INFO, logger="pyramid_mongo")
    build_app("tests.declarations", **{"mongodb.create_indexes": "true"})
    assert "email_1" in index_options(mongodb_client[TEST_DB].users)
    assert f"mongodb.create_indexes: created index by_kind on {TEST_DB}.events" in caplog.text


def test_an_outage_at_start_up_only_warns(build_app, caplog):
    app = build_app(
        "tests.declarations",
        **{
            "mongodb.create_indexes": "true",
            "mongodb.url": f"mongodb://127.0.0.1:{free_port()}/",
            "mongodb.serverSelectionTimeoutMS": "300",
        },
    )
    assert app is not None
    assert "MongoDB unreachable at start-up" in caplog.text


def test_no_index_is_created_unless_asked(build_app, mongodb_client):
    build_app("tests.declarations")
    assert "users" not in mongodb_client[TEST_DB].list_collection_names()


def test_declaring_one_index_twice_is_a_configuration_conflict(build_app):
    with pytest.raises(ConfigurationConflictError):
        build_app("tests.declarations.declare_twice")
