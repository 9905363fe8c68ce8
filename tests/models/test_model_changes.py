"""A model that changes while documents stored under the old one stay: the
start-up check says what the new rules refuse, those documents stay
updatable, and a typed read of one is a 500 in the client's own kind."""

import logging
import time
from typing import Annotated

import pytest
from pydantic import Field
from pyramid.config import Configurator
from webtest import TestApp

from pyramid_mongo import get_db
from pyramid_mongo.indexes import ensure_declared
from pyramid_mongo.models import Document
from tests.conftest import TEST_DB
from tests.model_views import Thing

STANDARD_UUIDS = {"mongodb.uuidRepresentation": "standard"}
JSON = {"mongodb.json_adapters": "true"}


class PricedThing(Document):
    """Thing, one release later: a required price."""

    name: Annotated[str, Field(min_length=1, max_length=20)]
    price: int


def priced(config: Configurator) -> None:
    config.add_mongo_model("things", PricedThing)

    def show(request):
        document = request.db.things.find_one_or_404({"_id": request.matchdict["id"]})
        return PricedThing.from_document(document)

    config.add_route("priced", "/priced/{id}", objectid="id")
    config.add_view(show, route_name="priced", renderer="json")


def validator_level(db) -> str:
    (info,) = db.list_collections(filter={"name": "things"})
    return info["options"].get("validationLevel", "strict")


def test_the_stored_documents_a_new_model_refuses_are_counted_and_kept_updatable(build_app, caplog):
    old = build_app("tests.model_views", **STANDARD_UUIDS)
    ensure_declared(old.registry)
    db = get_db(old.registry)
    ids = db.things.insert_many([{"name": f"t{n}", "blob": b"", "parts": []} for n in range(3)])
    first = ids.inserted_ids[0]
    db.things.update_many({}, {"$unset": {"blob": "", "parts": ""}})

    new = build_app(priced, **JSON)
    with caplog.at_level(logging.WARNING):
        report = ensure_declared(new.registry)
    (warning,) = [line for line in report.lines if line.startswith("WARNING")]
    assert "3 stored document(s) of pyramid_mongo_test.things do not meet" in warning
    assert repr(first) in warning
    assert "/price required" in warning
    assert 'pyramid-mongo-migrate INI new "backfill things"' in warning
    db = get_db(new.registry)
    assert validator_level(db) == "moderate"
    # The old documents can still be updated (the backfill, an old instance) ...
    assert db.things.update_one({"_id": first}, {"$set": {"name": "renamed"}}).modified_count
    # ... while a new document must meet the new rules.
    app = TestApp(new)
    with pytest.raises(Exception, match="failed validation"):
        db.things.insert_one({"name": "no price"})
    # The backfill: then the check is silent and the validator strict.
    db.things.update_many({"price": {"$exists": False}}, {"$set": {"price": 0}})
    report = ensure_declared(new.registry)
    assert not [line for line in report.lines if line.startswith("WARNING")]
    assert validator_level(db) == "strict"
    assert app.get(f"/priced/{first}").json["price"] == 0


def test_at_start_up_the_warning_is_one_log_line(build_app, caplog):
    old = build_app("tests.model_views", **STANDARD_UUIDS)
    ensure_declared(old.registry)
    get_db(old.registry).things.insert_one(Thing(name="old").to_document())
    with caplog.at_level(logging.WARNING, logger="pyramid_mongo"):
        build_app(priced, **{"mongodb.create_indexes": "true"})
    warnings = [r.getMessage() for r in caplog.records if "do not meet" in r.getMessage()]
    assert len(warnings) == 1 and "1 stored document(s)" in warnings[0]


def test_a_typed_read_of_a_refused_document_is_a_500_in_the_clients_kind(build_app, caplog):
    app = TestApp(
        build_app(priced, **JSON, **{"pyramid.includes": "pyramid_debugtoolbar"}),
        extra_environ={"REMOTE_ADDR": "127.0.0.1"},
    )
    ensure_declared(app.app.registry)
    db = get_db(app.app.registry)
    db.command("collMod", "things", validationLevel="off")
    stored = db.things.insert_one({"name": "old"}).inserted_id
    with caplog.at_level(logging.ERROR):
        problem = app.get(f"/priced/{stored}", headers={"Accept": "application/json"}, status=500)
    assert problem.content_type == "application/problem+json"  # never the toolbar's page
    assert problem.json["detail"] == "A stored document does not meet the application's model."
    (line,) = [
        r.getMessage() for r in caplog.records if "does not meet the model" in r.getMessage()
    ]
    assert f"{TEST_DB}.things" in line and repr(stored) in line and "/price" in line
    page = app.get(f"/priced/{stored}", headers={"Accept": "text/html"}, status=500)
    assert page.content_type == "text/html" and "Traceback" not in page.text


@pytest.mark.slow
def test_the_check_is_bounded_and_says_at_least(build_app):
    """100,000 stored documents, a bound of 0.2 s: the check stops there."""
    settings = {"mongodb.create_indexes": "false", "mongodb.conformance_timeout": "0.2"}
    app = build_app(priced, **settings)
    db = get_db(app.registry)
    for start in range(0, 100_000, 10_000):
        db.things.insert_many([{"name": f"t{n}"} for n in range(start, start + 10_000)])
    started = time.monotonic()
    report = ensure_declared(app.registry)
    elapsed = time.monotonic() - started
    (warning,) = [line for line in report.lines if line.startswith("WARNING")]
    # MongoDB finds the first refused document at once and counts on until
    # the bound; SecantusDB scans all of them before it answers at all.
    assert warning.startswith("WARNING: at least ") or (
        "could not be checked against its new validator within 0.2 s" in warning
    ), warning
    assert elapsed < 2.0, elapsed  # the bound, plus creating the validator
    assert validator_level(db) == "moderate"
