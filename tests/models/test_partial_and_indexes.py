"""A read with a projection never invents the fields it did not read, and
indexes declared on the model are created with its validator."""

import datetime as dt
from typing import Annotated, ClassVar

import pytest
from pydantic import Field
from pymongo import IndexModel

from pyramid_mongo import get_db
from pyramid_mongo.indexes import ensure_declared
from pyramid_mongo.models import Document, PartialDocument, StoredDocumentInvalid


class Lamp(Document):
    name: Annotated[str, Field(min_length=1)]
    note: str = ""
    watts: int = 40
    made: dt.datetime | None = None
    mongo_indexes: ClassVar = [
        IndexModel([("name", 1)], unique=True),
        IndexModel([("made", -1)], name="newest_first"),
    ]


def lamps(config):
    config.add_mongo_model("lamps", Lamp)


def test_a_projected_read_saved_back_changes_only_what_it_read(build_app):
    app = build_app(lamps)
    ensure_declared(app.registry)
    db = get_db(app.registry)
    stored = Lamp(name="desk", note="by the window", watts=60)
    db.lamps.insert_one(stored.to_document())
    found = db.lamps.find_one({"_id": stored.id}, {"name": 1})
    # The whole model would put its defaults where nothing was read:
    assert Lamp.model_validate(found).watts == 40
    part = Lamp.partial("name").from_document(found)
    assert part.id == stored.id and part.name == "desk"
    assert not hasattr(part, "watts") and not hasattr(part, "note")
    with pytest.raises(PartialDocument, match=r"partial Lamp \(name\) cannot be saved whole"):
        part.to_document()
    part.name = "reading"
    db.lamps.update_one({"_id": part.id}, part.to_set())
    after = Lamp.from_document(db.lamps.find_one({"_id": stored.id}))
    assert (after.name, after.note, after.watts) == ("reading", "by the window", 60)
    with pytest.raises(StoredDocumentInvalid):
        Lamp.partial("name").from_document({"_id": stored.id, "name": 5})
    with pytest.raises(ValueError, match="no field 'colour'"):
        Lamp.partial("colour")


def test_indexes_declared_on_the_model_are_created_with_its_validator(build_app):
    app = build_app(lamps)
    report = ensure_declared(app.registry)
    db = get_db(app.registry)
    indexes = {info["name"]: info for info in db.lamps.list_indexes()}
    assert indexes["name_1"].get("unique") is True
    assert list(indexes["newest_first"]["key"].items()) == [("made", -1)]
    assert any("created index name_1" in line for line in report.lines)
    (collection,) = db.list_collections(filter={"name": "lamps"})
    assert "$jsonSchema" in collection["options"]["validator"]
