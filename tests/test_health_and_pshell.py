"""The health view, and pshell's client and db."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from pyramid.exceptions import ConfigurationError
from webtest import TestApp

from pyramid_mongo.devserver import free_port

REPO = Path(__file__).resolve().parent.parent


def test_health_answers_200_with_the_round_trip_time(build_app):
    app = TestApp(build_app(**{"mongodb.health_route": "/healthz"}))
    response = app.get("/healthz", status=200)
    assert response.json["status"] == "ok"
    assert response.json["mongodb"]["ok"] is True
    assert response.json["mongodb"]["ping_ms"] > 0
    assert response.headers["Cache-Control"] == "no-store"


def test_health_answers_503_in_json_when_mongodb_is_down(build_app):
    settings = {
        "mongodb.url": f"mongodb://127.0.0.1:{free_port()}/",
        "mongodb.health_route": "/healthz",
        "mongodb.health_timeout": "0.3",
    }
    response = TestApp(build_app(**settings)).get("/healthz", status=503)
    assert response.json == {"status": "unavailable", "mongodb": {"ok": False}}


def test_there_is_no_health_view_unless_asked(build_app):
    TestApp(build_app()).get("/healthz", status=404)


@pytest.mark.parametrize(
    ("setting", "value"), [("health_route", "healthz"), ("health_timeout", "-1")]
)
def test_bad_health_settings_are_refused(build_app, setting, value):
    with pytest.raises(ConfigurationError, match=f"^mongodb.{setting} "):
        build_app(**{f"mongodb.{setting}": value})


def test_pshell_gives_client_and_db(mongodb_url, mongodb_client):
    mongodb_client.pyramid_mongo_demo_test.things.insert_one({"x": 1})
    ini = REPO / "testing.ini"  # its [pshell] section names pyramid_mongo.pshell.setup
    script = "print('found', db.name, db.things.count_documents({}), client is db.client)\n"
    result = subprocess.run(
        [str(Path(sys.executable).with_name("pshell")), "-p", "python", str(ini)],
        input=script,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "MONGODB_URL": mongodb_url},
    )
    assert "found pyramid_mongo_demo_test 1 True" in result.stdout, result.stdout + result.stderr
    # pshell's banner lists them
    assert "  client       MongoClient(" in result.stderr
    assert "  db           Database(" in result.stderr
    mongodb_client.drop_database("pyramid_mongo_demo_test")
