"""ObjectIds in URLs, find_one_or_404, and BSON values in JSON responses."""

import datetime as dt
import uuid
from decimal import Decimal

import pytest
from bson import Binary, Decimal128, ObjectId
from pyramid.config import Configurator
from pyramid.renderers import JSON
from webtest import TestApp

from pyramid_mongo import get_connection
from tests.conftest import TEST_DB

MOMENT = dt.datetime(2026, 11, 22, 10, 30, 15, 123000)
UID = uuid.UUID("12345678-1234-5678-1234-567812345678")


@pytest.fixture
def item_id(mongodb_client) -> ObjectId:
    return (
        mongodb_client[TEST_DB]
        .items.insert_one(
            {
                "name": "lamp",
                "added": MOMENT,
                "price": Decimal128(Decimal("19.99")),
                "uid": Binary.from_uuid(UID),
                "blob": Binary(b"\x00\x01\x02"),
                "tags": [{"at": MOMENT}],
            }
        )
        .inserted_id
    )


def test_json_renders_bson_values_once_asked(build_app, item_id):
    app = TestApp(build_app(**{"mongodb.json_adapters": "true"}))
    assert app.get(f"/items/{item_id}").json == {
        "_id": str(item_id),
        "name": "lamp",
        "added": "2026-11-22T10:30:15.123000Z",
        "price": "19.99",
        "uid": str(UID),
        "blob": "AAEC",
        "tags": [{"at": "2026-11-22T10:30:15.123000Z"}],
    }


def test_the_json_renderer_is_left_alone_unless_asked(build_app, item_id):
    app = TestApp(build_app())
    with pytest.raises(TypeError, match=r"^ObjectId\('[0-9a-f]{24}'\) is not JSON serializable"):
        app.get(f"/items/{item_id}")


def test_the_adapters_join_an_apps_own_json_renderer_without_replacing_it(
    mongodb_url, clean_env, item_id
):
    own = JSON(sort_keys=True)
    own.add_adapter(dt.date, lambda value, request: "a date of ours")
    settings = {"mongodb.url": mongodb_url, "mongodb.db_name": TEST_DB}
    with Configurator(settings=settings) as config:
        config.add_renderer("json", own)
        config.include("pyramid_mongo")
        config.add_bson_adapters()
        config.include("tests.views_under_test")
        app = TestApp(config.make_wsgi_app())
    response = app.get(f"/items/{item_id}")
    get_connection(app.app.registry).close()
    assert response.text.startswith('{"_id": "')  # sort_keys: still the app's renderer
    assert response.json["added"] == "2026-11-22T10:30:15.123000Z"


def test_extended_json_keeps_the_types(build_app, item_id):
    response = TestApp(build_app()).get(f"/items/{item_id}/extended")
    assert response.content_type == "application/json"
    assert response.json["_id"] == {"$oid": str(item_id)}
    assert response.json["added"] == {"$date": "2026-11-22T10:30:15.123Z"}
    assert response.json["price"] == {"$numberDecimal": "19.99"}


@pytest.mark.parametrize(
    "bad_id", ["not-an-id", "0" * 23, "0" * 25, "zzzzzzzzzzzzzzzzzzzzzzzz", "abcdefghijkl"]
)
def test_a_malformed_id_is_404_not_500(build_app, bad_id):
    TestApp(build_app()).get(f"/items/{bad_id}", status=404)


def test_a_well_formed_id_of_nothing_is_404(build_app):
    app = TestApp(build_app(**{"mongodb.json_adapters": "true"}))
    app.get(f"/items/{ObjectId()}", status=404)
    app.get(f"/items/{ObjectId()}/extended", status=404)


def test_add_bson_adapters_refuses_a_renderer_that_takes_none(mongodb_url, clean_env):
    from pyramid.exceptions import ConfigurationError

    settings = {"mongodb.url": mongodb_url, "mongodb.db_name": TEST_DB}
    with pytest.raises(ConfigurationError, match="'string' renderer is not a"):  # noqa: SIM117
        with Configurator(settings=settings) as config:
            config.include("pyramid_mongo")
            config.add_bson_adapters("string")
