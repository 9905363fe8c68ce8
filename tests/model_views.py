"""An application with one typed collection, as a user writes it."""

import datetime as dt
import enum
import uuid
from typing import Annotated

from pydantic import Field
from pyramid.config import Configurator

from pyramid_mongo.models import DecimalField, Document, MongoModel, ObjectIdField, validate_body


class Size(enum.Enum):
    SMALL = "S"
    LARGE = "L"


class Part(MongoModel):
    label: Annotated[str, Field(min_length=1)]
    size: Size = Size.SMALL


class Thing(Document):
    name: Annotated[str, Field(min_length=1, max_length=20)]
    price: DecimalField | None = None
    made: dt.datetime | None = None
    owner: ObjectIdField | None = None
    serial: uuid.UUID | None = None
    blob: bytes = b""
    parts: list[Part] = Field(default_factory=list)


def create(request):
    thing = validate_body(
        request, Thing, fields=("name", "price", "made", "owner", "serial", "parts")
    )
    request.db.things.insert_one(thing.to_document())
    request.response.status = 201
    return thing


def show(request):
    return Thing.from_document(request.db.things.find_one_or_404({"_id": request.matchdict["id"]}))


def includeme(config: Configurator) -> None:
    config.add_mongo_model("things", Thing)
    config.add_route("things", "/things")
    config.add_route("thing", "/things/{id}", objectid="id")
    config.add_view(create, route_name="things", request_method="POST", renderer="json")
    config.add_view(show, route_name="thing", renderer="json")
    config.add_view(show, route_name="thing", renderer="extended_json", request_param="extended")
