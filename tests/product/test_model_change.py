"""Day two of a generated project: a required field added to Item while
items are stored. Start-up says what the new model refuses, a JSON client
gets JSON, the migration ``new`` writes backfills, and then all is quiet."""

import importlib
import logging
import sys

import pytest
from webtest import TestApp

from pyramid_mongo import get_connection, get_db
from pyramid_mongo.migrations import new, status, upgrade
from tests.product.test_scaffold import bake

PACKAGE = "day_two_shop"
PRICE = "    price: Annotated[int, Field(ge=0, examples=[10])]\n"
BACKFILL = '    db.items.update_many({"price": {"$exists": False}}, {"$set": {"price": 0}})\n'


@pytest.fixture
def project(tmp_path, monkeypatch):
    folder = bake(tmp_path, repo_name=PACKAGE, auth="no")
    monkeypatch.syspath_prepend(str(folder))
    yield folder
    for name in [name for name in sys.modules if name.split(".")[0] == PACKAGE]:
        del sys.modules[name]


def make_app(mongodb_settings, db_name):
    for name in [name for name in sys.modules if name.split(".")[0] == PACKAGE]:
        del sys.modules[name]  # the project as its files now say
    main = importlib.import_module(PACKAGE).main
    settings = {
        **mongodb_settings,
        "mongodb.db_name": db_name,
        "mongodb.create_indexes": "true",
        "mongodb.json_adapters": "true",
        "mongodb.health_route": "/healthz",
        "pyramid.includes": "pyramid_debugtoolbar",
    }
    app = main({}, **settings)
    return TestApp(app, extra_environ={"HTTP_HOST": "example.com", "REMOTE_ADDR": "127.0.0.1"})


def test_a_required_field_added_with_items_stored(
    project, mongodb_settings, mongodb_client, clean_env, caplog
):
    db_name = "day_two"
    mongodb_client.drop_database(db_name)
    app = make_app(mongodb_settings, db_name)
    upgrade(app.app.registry)  # the project's own 0001_counters
    first = app.post_json("/api/items", {"name": "lamp"}, status=201).json["_id"]
    app.post_json("/api/items", {"name": "desk"}, status=201)
    get_connection(app.app.registry).close()

    models = project / PACKAGE / "models.py"
    source = models.read_text()
    models.write_text(
        source.replace("    rev: Annotated", PRICE + "    rev: Annotated").replace(
            'client_fields: ClassVar = ("name", "note", "tags")',
            'client_fields: ClassVar = ("name", "note", "tags", "price")',
        )
    )
    with caplog.at_level(logging.WARNING, logger="pyramid_mongo"):
        app = make_app(mongodb_settings, db_name)
    (warning,) = [r.getMessage() for r in caplog.records if "do not meet" in r.getMessage()]
    assert f"2 stored document(s) of {db_name}.items do not meet its new validator" in warning
    assert f"ObjectId('{first}')" in warning and "/price required" in warning
    listed = app.get("/api/items", headers={"Accept": "application/json"}, status=500)
    assert listed.content_type == "application/problem+json"  # never the toolbar's page
    app.get(f"/api/items/{first}", headers={"Accept": "application/json"}, status=500)

    registry = app.app.registry
    written = new(registry, "backfill item prices")
    assert written.name == "0002_backfill_item_prices.py"
    template = written.read_text()
    assert "update_many" in template and "def downgrade(db):" in template  # shows how
    body = template.split("def upgrade(db):")[1].split("def downgrade(db):")[0]
    written.write_text(template.replace(body, body.rstrip() + "\n" + BACKFILL + "\n\n"))
    assert status(registry)[1] == ["0002_backfill_item_prices"]
    assert upgrade(registry) == ["0002_backfill_item_prices"]
    get_connection(registry).close()

    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="pyramid_mongo"):
        app = make_app(mongodb_settings, db_name)
    assert not [r for r in caplog.records if "do not meet" in r.getMessage()]
    items = app.get("/api/items").json["items"]
    assert [item["price"] for item in items] == [0, 0]
    for path in ("/", f"/api/items/{first}", "/healthz"):
        app.get(path, status=200)
    created = app.post_json("/api/items", {"name": "chair", "price": 12}, status=201)
    assert created.json["price"] == 12
    app.post_json(
        "/api/items", {"name": "stool"}, headers={"Accept": "application/json"}, status=422
    )
    get_connection(registry).close()
    get_connection(app.app.registry).close()
    assert get_db(app.app.registry).name == db_name
    mongodb_client.drop_database(db_name)
