"""Typed documents: a model and the validator derived from it agree, on the server."""

from __future__ import annotations

import datetime as dt
import math
import uuid
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import bson
import pytest
from pydantic import ValidationError
from pymongo import MongoClient
from pymongo.database import Database
from pymongo.errors import WriteError
from pyramid.exceptions import ConfigurationError

from pyramid_mongo.models import document_schema
from tests.model_corpus import MODELS, documents

CORPUS_DB = "pyramid_mongo_models"


@pytest.fixture
def corpus_db(mongodb_client: MongoClient[Any]) -> Iterator[Database[Any]]:
    mongodb_client.drop_database(CORPUS_DB)
    yield mongodb_client[CORPUS_DB]
    mongodb_client.drop_database(CORPUS_DB)


def _model_says(model: Any, document: dict[str, Any], codec: Any) -> bool:
    stored = bson.decode(bson.encode(document), codec_options=codec)  # as PyMongo reads it
    try:
        model.model_validate(stored)
    except ValidationError:
        return False
    return True


def _secantus_looser(changed: dict[str, Any], by_model: bool) -> bool:
    """What SecantusDB checks less than MongoDB (which refuses these as the
    model does): NaN against bounds and in an enum, a Decimal128's bounds."""
    (value,) = changed.values()
    not_a_number = isinstance(value, float) and math.isnan(value)
    return not by_model and (not_a_number or isinstance(value, bson.Decimal128))


def _server_says(collection: Any, document: dict[str, Any]) -> bool:
    try:
        collection.insert_one(dict(document, _id=bson.ObjectId()))
    except WriteError as exc:
        assert exc.code == 121, exc.details
        return False
    return True


@pytest.mark.parametrize("model", MODELS, ids=lambda model: model.__name__)
def test_the_model_and_the_server_give_the_same_verdict(model: Any, corpus_db: Any) -> None:
    corpus_db.create_collection("docs", validator={"$jsonSchema": document_schema(model)})
    collection = corpus_db.docs
    base = documents(model)[0]
    secantus = "secantusVersion" in corpus_db.client.admin.command("buildInfo")
    disagreements, verdicts = [], set()
    for document in documents(model):
        document.pop("_id", None)
        by_model = _model_says(
            model, {"_id": bson.ObjectId(), **document}, collection.codec_options
        )
        by_server = _server_says(collection, document)
        verdicts.add(by_model)
        if by_model != by_server:
            changed = {
                key: document.get(key, "MISSING")
                for key in {*base, *document}
                if key != "_id" and document.get(key, "MISSING") != base.get(key)
            }
            if not (secantus and _secantus_looser(changed, by_model)):
                disagreements.append((changed, f"model {by_model}, server {by_server}"))
    assert verdicts == {True, False}  # the corpus holds both kinds
    assert disagreements == [], "\n".join(map(repr, disagreements))


STANDARD_UUIDS = {"mongodb.uuidRepresentation": "standard", "mongodb.json_adapters": "true"}


@pytest.fixture
def things(build_app: Any) -> Any:
    from webtest import TestApp

    from pyramid_mongo.indexes import ensure_declared

    app = build_app("tests.model_views", **STANDARD_UUIDS)
    ensure_declared(app.registry)
    return TestApp(app)


def test_a_typed_document_round_trips_through_request_store_and_read(things: Any) -> None:
    owner, serial = bson.ObjectId(), uuid.uuid4()
    body = {
        "name": "kettle",
        "price": "12.50",
        "made": "2026-03-01T10:00:00.123Z",
        "owner": str(owner),
        "serial": str(serial),
        "parts": [{"label": "lid", "size": "L"}],
    }
    created = things.post_json("/things", body, status=201).json
    shown = things.get(f"/things/{created['_id']}").json
    assert shown == created
    assert shown["price"] == "12.50" and shown["owner"] == str(owner)
    assert shown["made"] == "2026-03-01T10:00:00.123000Z" and shown["serial"] == str(serial)
    assert shown["parts"] == [{"label": "lid", "size": "L"}]
    extended = things.get(f"/things/{created['_id']}?extended=1").json
    assert extended["price"] == {"$numberDecimal": "12.50"}
    assert extended["owner"] == {"$oid": str(owner)}


def test_stored_values_keep_their_bson_types(things: Any, mongodb_client: Any) -> None:
    from tests.conftest import TEST_DB
    from tests.model_views import Size, Thing

    created = things.post_json("/things", {"name": "cup", "price": "1", "parts": [{"label": "x"}]})
    raw = mongodb_client[TEST_DB].things.find_one()
    assert isinstance(raw["price"], bson.Decimal128) and raw["parts"] == [
        {"label": "x", "size": "S"}
    ]
    thing = Thing.model_validate(raw)
    assert str(thing.id) == created.json["_id"] and thing.parts[0].size is Size.SMALL
    assert thing.price == Decimal("1")


def test_datetimes_read_aware_or_naive_as_the_client_does(build_app: Any) -> None:
    from pyramid_mongo import get_db
    from pyramid_mongo.indexes import ensure_declared
    from tests.model_views import Thing

    for tz_aware, expected in (("true", dt.timedelta(0)), ("false", None)):
        app = build_app("tests.model_views", **STANDARD_UUIDS, **{"mongodb.tz_aware": tz_aware})
        ensure_declared(app.registry)
        db = get_db(app.registry)
        made = dt.datetime(2026, 1, 2, 3, 4, 5, 6000, tzinfo=dt.UTC)
        db.things.insert_one(Thing(name="x", made=made).to_document())
        thing = Thing.model_validate(db.things.find_one())
        assert thing.made is not None and thing.made.utcoffset() == expected
        assert thing.made.replace(tzinfo=dt.UTC) == made
        db.things.drop()


def test_a_body_the_model_refuses_is_422_per_field_and_stores_nothing(
    things: Any, mongodb_client: Any
) -> None:
    from tests.conftest import TEST_DB

    body = {"name": "", "price": "cheap", "owner": "nope", "parts": [{"size": "XL"}], "_id": 1}
    refused = things.post_json("/things", body, status=422)
    assert refused.content_type == "application/problem+json"
    assert refused.json["status"] == 422
    # Every problem at once: the key not accepted hides no field's error.
    fields = ["/name", "/price", "/owner", "/parts/0/label", "/parts/0/size"]
    assert refused.json["errors"][0] == {"pointer": "/_id", "message": "Not accepted."}
    assert [problem["pointer"] for problem in refused.json["errors"]] == ["/_id", *fields]
    assert refused.json["detail"].endswith(": 6 problems.")
    del body["_id"]
    refused = things.post_json("/things", body, status=422).json
    pointers = [problem["pointer"] for problem in refused["errors"]]
    assert pointers == fields
    only_refused = things.post_json("/things", {"name": "ok", "_id": 1}, status=422).json
    assert only_refused["errors"] == [{"pointer": "/_id", "message": "Not accepted."}]
    page = things.post_json("/things", body, headers={"Accept": "text/html"}, status=422)
    assert "/parts/0/label" in page.text
    for bad in ("[]", "3", "not json"):
        things.post("/things", bad, content_type="application/json", status=(400, 422))
    assert mongodb_client[TEST_DB].things.count_documents({}) == 0


def test_a_uuid_field_needs_a_uuid_representation(build_app: Any) -> None:
    with pytest.raises(ConfigurationError, match=r"mongodb\.uuidRepresentation.*Thing.*serial"):
        build_app("tests.model_views")


def _refused_models() -> list[tuple[Any, str]]:
    from typing import Annotated

    from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

    from pyramid_mongo.models import Document, MongoModel

    class Lax(BaseModel):
        city: str

    class Stripped(Document):
        name: Annotated[str, StringConstraints(strip_whitespace=True)]

    class Validated(Document):
        name: str

        @field_validator("name")
        @classmethod
        def title(cls, value: str) -> str:
            return value.title()

    class WithSet(Document):
        tags: set[str]

    class WithTuple(Document):
        pair: tuple[int, int]

    class WithLaxPart(Document):
        address: Lax

    class WithIntKeys(Document):
        scores: dict[int, int]

    class WithPlainDecimal(Document):
        price: Decimal

    class WithDigits(Document):
        price: Annotated[Decimal, Field(max_digits=5)]

    class Node(MongoModel):
        children: list[Node] = Field(default_factory=list)

    class Tree(Document):
        root: Node

    class NoId(MongoModel):
        name: str

    class DottedKey(Document):
        name: str = Field(alias="a.b")

    class LaxField(Document):
        count: Annotated[int, Field(strict=False)]

    class ConstrainedUnion(Document):
        value: Annotated[int | str, Field(min_length=1)]

    class Transforming(Document):
        model_config = ConfigDict(str_to_lower=True)  # merged with Document's
        name: str

    return [
        (Stripped, "field name: strip_whitespace"),
        (Validated, "Validated.title is a validator"),
        (WithSet, "field tags: BSON arrays read back as lists"),
        (WithTuple, "field pair"),
        (WithLaxPart, "field address: Lax is not strict"),
        (WithIntKeys, "field scores: a BSON document's keys are strings"),
        (WithPlainDecimal, "field price: Decimal has no BSON type"),
        (WithDigits, "field price"),
        (Tree, "field root.children.[]: Node contains itself"),
        (NoId, "declares no _id"),
        (DottedKey, "field name: a stored key cannot start with '$' or hold a '.'"),
        (LaxField, "field count: Strict(False)"),
        (ConstrainedUnion, "field value: a constraint on a union"),
        (Transforming, "sets str_to_lower"),
    ]


@pytest.mark.parametrize("case", range(len(_refused_models())))
def test_what_json_schema_cannot_check_is_refused_naming_the_field(case: int) -> None:
    model, reason = _refused_models()[case]
    with pytest.raises(ConfigurationError) as refused:
        document_schema(model)
    assert f"model {model.__name__}" in str(refused.value)
    assert reason in str(refused.value)


def test_an_app_without_models_never_imports_pydantic(mongodb_settings: Any) -> None:
    import subprocess
    import sys

    script = (
        "import sys\n"
        "from pyramid.config import Configurator\n"
        f"settings = {dict(mongodb_settings, **{'mongodb.db_name': 'nomodels'})!r}\n"
        "with Configurator(settings=settings) as config:\n"
        "    config.include('pyramid_mongo')\n"
        "    app = config.make_wsgi_app()\n"
        "print(sorted(name for name in sys.modules if name.split('.')[0] == 'pydantic'))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_declared_models_make_validators_with_the_indexes(
    build_app: Any, mongodb_client: Any
) -> None:
    from pyramid_mongo.indexes import ensure_declared
    from tests.conftest import TEST_DB
    from tests.model_views import Thing

    app = build_app("tests.model_views", **STANDARD_UUIDS)
    assert ensure_declared(app.registry).lines == [f"created {TEST_DB}.things with its validator"]
    (info,) = mongodb_client[TEST_DB].list_collections(filter={"name": "things"})
    assert info["options"]["validator"] == {"$jsonSchema": document_schema(Thing)}
    assert ensure_declared(app.registry).lines == [f"validator of {TEST_DB}.things is as declared"]
