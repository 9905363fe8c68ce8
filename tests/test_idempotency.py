"""A retried POST answered once (Idempotency-Key), on a replica set and on a
standalone server, through a real application."""

import datetime as dt
import threading

import pytest
from bson import ObjectId
from pyramid.config import Configurator
from pyramid.exceptions import ConfigurationError
from webtest import TestApp

from tests.conftest import TEST_DB
from tests.idempotent_views import HOLD

JSON = {"Accept": "application/json"}


@pytest.fixture(params=["replica set", "standalone"])
def app(request, build_app) -> TestApp:
    settings = {}
    if request.param == "standalone":
        settings["mongodb.url"] = request.getfixturevalue("standalone_url")
    app = TestApp(build_app("tests.idempotent_views", **settings))
    app.app.registry["pyramid_mongo.connection"].client.drop_database(TEST_DB)
    return app


@pytest.fixture
def db(app):
    return app.app.registry["pyramid_mongo.connection"].client[TEST_DB]


def runs(db) -> int:
    return (db.runs.find_one({"_id": "runs"}) or {}).get("n", 0)


def post(app, body, key=None, **kwargs):
    headers = {**JSON, **({"Idempotency-Key": key} if key is not None else {})}
    return app.post_json("/create", body, headers=headers, **kwargs)


def test_a_repeat_gets_the_first_answer_without_running_the_view(app, db):
    first = post(app, {"name": "lamp"}, '"k-1"', status=201)
    again = post(app, {"name": "lamp"}, '"k-1"', status=201)
    assert again.body == first.body and again.location == first.location
    assert again.headers["ETag"] == '"1"' and again.headers["Idempotent-Replayed"] == "true"
    assert "Set-Cookie" not in again.headers  # a cookie is not the answer's
    assert runs(db) == 1 and db.created.count_documents({}) == 1
    post(app, {"name": "lamp"}, "k-1", status=201)  # the bare form names the same key
    assert runs(db) == 1


def test_without_a_key_every_request_runs(app, db):
    post(app, {"name": "a"}, status=201)
    post(app, {"name": "a"}, status=201)
    assert runs(db) == 2


def test_the_same_key_with_another_body_is_422(app, db):
    post(app, {"name": "a"}, '"k-2"', status=201)
    refused = post(app, {"name": "b"}, '"k-2"', status=422)
    assert refused.content_type == "application/problem+json"
    assert "another request" in refused.json["detail"]
    assert runs(db) == 1


@pytest.mark.parametrize("key", ['""', '"unterminated', '"bad\\x"', '"a"b"', "x" * 256, "é"])
def test_a_malformed_key_is_400_naming_the_header(app, db, key):
    headers = {**JSON, "Idempotency-Key": key}
    if not key.isascii():
        headers["Idempotency-Key"] = key.encode().decode("latin-1")
    refused = app.post_json("/create", {"name": "a"}, headers=headers, status=400)
    assert "Idempotency-Key" in refused.json["detail"]
    assert runs(db) == 0


def test_a_repeat_while_the_first_runs_is_409_with_retry_after(app, db):
    HOLD["entered"].clear()
    HOLD["go"].clear()
    answers = {}
    first = threading.Thread(
        target=lambda: answers.setdefault("first", post(app, {"name": "a", "hold": 1}, "k-3"))
    )
    first.start()
    try:
        assert HOLD["entered"].wait(10)
        busy = post(app, {"name": "a", "hold": 1}, "k-3", status=409)
        assert int(busy.headers["Retry-After"]) >= 1
        assert "still being answered" in busy.json["detail"]
    finally:
        HOLD["go"].set()
        first.join(10)
    assert answers["first"].status_int == 201
    assert post(app, {"name": "a", "hold": 1}, "k-3").body == answers["first"].body
    assert runs(db) == 1


def test_a_failed_request_lets_its_key_go(app, db):
    post(app, {"name": "a", "fail": 1}, "k-4", status=500, expect_errors=True)
    assert db.idempotency_keys.count_documents({}) == 0
    assert runs(db) == 0


def test_a_key_held_past_its_lease_by_a_lost_request_is_taken_over(app, db):
    post(app, {"name": "a"}, "warm-up", status=201)  # the collection and its index exist
    lost = db.idempotency_keys.find_one({"_id.key": "warm-up"})
    db.idempotency_keys.insert_one(
        {
            **lost,
            "_id": {"caller": "anyone", "key": "k-5"},
            "state": "running",
            "owner": ObjectId(),
            "lease_until": dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1),
        }
    )
    # The lost request was this very request (warm-up's fingerprint).
    post(app, {"name": "a"}, "k-5", status=201)
    assert runs(db) == 2
    assert db.idempotency_keys.find_one({"_id.key": "k-5"})["state"] == "done"


def test_keys_are_the_callers_own(build_app, mongodb_client):
    app = TestApp(build_app("tests.idempotent_views", **{"mongodb.session_secret": "s" * 40}))
    db = mongodb_client[TEST_DB]
    for cookie in ("one", "two", None, "one"):
        app.reset()
        if cookie:
            app.set_cookie("session", cookie)
        post(app, {"name": "a"}, "k-6", status=201)
    assert runs(db) == 3  # the last one is the first's caller again


def test_keys_expire_by_a_ttl_index(app, db):
    post(app, {"name": "a"}, "k-7", status=201)
    indexes = db.idempotency_keys.index_information()
    assert indexes["expires_ttl"]["expireAfterSeconds"] == 0
    kept = db.idempotency_keys.find_one()
    assert kept["expires"] - dt.datetime.now() > dt.timedelta(hours=23)


def test_both_view_options_at_once_are_refused_at_start_up(mongodb_settings):
    config = Configurator(settings={**mongodb_settings, "mongodb.db_name": TEST_DB})
    config.include("pyramid_mongo")
    config.add_route("r", "/r")
    config.add_view(
        lambda request: None, route_name="r", mongodb_idempotent=True, mongodb_transaction=True
    )
    with pytest.raises(ConfigurationError, match="mongodb_idempotent"):
        config.commit()
