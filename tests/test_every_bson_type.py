"""One stored document holding every BSON type renders through both renderers,
whatever the codec options say: never a 500."""

import datetime as dt
import json
import uuid

import pytest
from bson import (
    Binary,
    Code,
    DBRef,
    Decimal128,
    Int64,
    MaxKey,
    MinKey,
    ObjectId,
    Regex,
    Timestamp,
)
from bson.codec_options import CodecOptions
from webtest import TestApp

from tests.conftest import TEST_DB

EVERY_TYPE = {
    "_id": "every",
    "double": 1.5,
    "string": "é",
    "object": {"nested": [1, {"deep": True}]},
    "array": [1, "two", None],
    "binary": Binary(b"\x00\x01", 0),
    "binary_user": Binary(b"\x00\x01", 128),
    "uuid": Binary.from_uuid(uuid.UUID(int=7)),
    "objectid": ObjectId("0123456789abcdef01234567"),
    "bool": False,
    "date": dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC),
    "date_max": dt.datetime(9999, 12, 31, 23, 59, 59, 999000, tzinfo=dt.UTC),
    "date_min": dt.datetime(1, 1, 1, tzinfo=dt.UTC),
    "null": None,
    "regex": Regex("^a.*", "i"),
    "code": Code("function () {}"),
    "code_scope": Code("function () { return x }", {"x": 1}),
    "int32": 7,
    "timestamp": Timestamp(1700000000, 3),
    "int64": Int64(2**40),
    "decimal": Decimal128("1.10"),
    "nan": Decimal128("-NaN"),
    "snan": Decimal128("sNaN"),
    "minkey": MinKey(),
    "maxkey": MaxKey(),
    "dbref": DBRef("items", ObjectId("0123456789abcdef01234567"), "shop"),
}


def show(request):
    return request.db.things.find_one({"_id": request.params.get("id", "every")})


def includeme(config):
    config.add_route("plain", "/plain")
    config.add_view(show, route_name="plain", renderer="json")
    config.add_route("extended", "/extended")
    config.add_view(show, route_name="extended", renderer="extended_json")


@pytest.fixture(autouse=True)
def stored(build_app, mongodb_client):
    mongodb_client.drop_database(TEST_DB)
    db = mongodb_client.get_database(TEST_DB, codec_options=CodecOptions(tz_aware=True))
    db.things.insert_one(EVERY_TYPE)
    # Year 9999 in Tokyo is past datetime.max: PyMongo itself cannot read it so.
    near = {k: v for k, v in EVERY_TYPE.items() if k not in ("date_max", "date_min")}
    db.things.insert_one({**near, "_id": "near"})


SETTINGS = [
    {},
    {"mongodb.tz_aware": "true"},
    {"mongodb.tz_aware": "true", "mongodb.tzinfo": "Asia/Tokyo"},
    {"mongodb.uuidRepresentation": "standard"},
    {"mongodb.datetime_conversion": "DATETIME_AUTO"},
    {"mongodb.datetime_conversion": "DATETIME_MS"},
    {"mongodb.document_class": "bson.raw_bson:RawBSONDocument"},
]


@pytest.mark.parametrize("settings", SETTINGS, ids=lambda s: ",".join(s) or "defaults")
def test_both_renderers(build_app, settings):
    settings = {"mongodb.json_adapters": "true", **settings}
    app = TestApp(build_app("tests.test_every_bson_type", **settings))
    shown = {"id": "near"} if "mongodb.tzinfo" in settings else {}
    plain = app.get("/plain", shown, status=200).json
    assert plain["objectid"] == "0123456789abcdef01234567"
    assert plain["decimal"] == "1.10" and plain["nan"] == "NaN" and plain["snan"] == "NaN"
    assert plain["date"] == "2026-11-23T12:00:00Z"
    assert plain["timestamp"] == {"$timestamp": {"t": 1700000000, "i": 3}}
    assert plain["minkey"] == {"$minKey": 1} and plain["maxkey"] == {"$maxKey": 1}
    assert plain["regex"]["$regularExpression"]["pattern"] == "^a.*"
    extended = app.get("/extended", shown, status=200)
    assert extended.content_type == "application/json"
    assert json.loads(extended.text)["objectid"] == {"$oid": "0123456789abcdef01234567"}
