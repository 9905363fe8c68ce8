"""Typed documents: one pydantic v2 model checks a request's body, becomes the
collection's ``$jsonSchema`` validator, and reads stored documents back typed.

    from pyramid_mongo.models import Document, ObjectIdField

    class Item(Document):
        name: Annotated[str, Field(min_length=1, max_length=200)]

    config.add_mongo_model("items", Item)          # the validator, with the indexes
    item = validate_body(request, Item, fields=("name",))  # 422 naming each field
    request.db.items.insert_one(item.to_document())
    item = Item.model_validate(request.db.items.find_one(...))  # typed read

A thin layer, not an ODM: queries stay plain PyMongo. pydantic comes with
``pyramid_mongo[models]``; an application that never imports this module
never imports pydantic.
"""

from __future__ import annotations

import enum
import functools
import types
import uuid
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Annotated, Any, ClassVar, Union, get_args, get_origin

from bson import Binary, Decimal128, ObjectId
from bson.binary import UuidRepresentation
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    ValidationError,
    model_validator,
)
from pydantic_core import core_schema
from pymongo import IndexModel
from pyramid.config import Configurator
from pyramid.exceptions import ConfigurationError

from ..connection import get_client
from ..indexes import add_mongo_validator
from ..settings import PREFIX
from .partial import partial_model
from .schema import BsonType, derive
from .stored import StoredDocumentInvalid, remember_collection

EXAMPLE_ID = "665f1f77bcf86cd799439011"


class _ObjectId(BsonType):
    """An ObjectId; from JSON (a request), its 24 hex digits."""

    bson_type = "objectId"

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        def from_text(value: Any) -> ObjectId:
            if isinstance(value, ObjectId):
                return value
            if not isinstance(value, str) or not ObjectId.is_valid(value):
                raise ValueError("not an ObjectId: 24 hexadecimal digits")
            return ObjectId(value)

        return core_schema.json_or_python_schema(
            json_schema=core_schema.no_info_plain_validator_function(from_text),
            python_schema=core_schema.lax_or_strict_schema(
                lax_schema=core_schema.no_info_plain_validator_function(from_text),
                strict_schema=core_schema.is_instance_schema(ObjectId),
            ),
            serialization=core_schema.plain_serializer_function_ser_schema(str, when_used="json"),
        )

    def __get_pydantic_json_schema__(self, schema: Any, handler: Any) -> dict[str, Any]:
        """As JSON (OpenAPI, a form): the 24 hexadecimal digits."""
        return {"type": "string", "pattern": "^[0-9a-fA-F]{24}$", "examples": [EXAMPLE_ID]}


class _Decimal(BsonType):
    """A ``Decimal`` stored as Decimal128, read back as a ``Decimal``."""

    bson_type = "decimal"

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        def from_stored(value: Any) -> Any:
            return value.to_decimal() if isinstance(value, Decimal128) else value

        return core_schema.no_info_before_validator_function(from_stored, handler(Decimal))


ObjectIdField = Annotated[ObjectId, _ObjectId()]
DecimalField = Annotated[Decimal, _Decimal()]


def _members(annotation: Any, value: Any) -> Any:
    """``value`` with its enums' values as their members: strict mode alone
    takes only members from Python, and MongoDB stores the values."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _members(get_args(annotation)[0], value)
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        if isinstance(value, (annotation, list, dict)):
            return value
        try:
            return annotation(value)
        except (ValueError, TypeError):
            return value  # for pydantic to refuse, naming the field
    if origin is list and isinstance(value, list):
        (item,) = get_args(annotation) or (Any,)
        return [_members(item, element) for element in value]
    if origin is dict and isinstance(value, dict):
        _, item = get_args(annotation) or (str, Any)
        return {key: _members(item, element) for key, element in value.items()}
    if origin in (Union, types.UnionType) and value is not None:
        for member in get_args(annotation):
            converted = _members(member, value)
            if converted is not value:
                return converted
    return value


def _holds(annotation: Any, kinds: tuple[type, ...], seen: frozenset[type] = frozenset()) -> bool:
    """Whether a value of ``annotation`` can hold one of ``kinds``."""
    if isinstance(annotation, type):
        if issubclass(annotation, kinds):
            return True
        if issubclass(annotation, BaseModel) and annotation not in seen:
            fields = annotation.model_fields.values()
            return any(_holds(field.annotation, kinds, seen | {annotation}) for field in fields)
    return any(_holds(argument, kinds, seen) for argument in get_args(annotation))


@functools.cache
def _enum_fields(model: type[BaseModel]) -> dict[str, Any]:
    """The stored and Python names of the fields that may hold an enum."""
    found = {}
    for name, field in model.model_fields.items():
        if _holds(field.annotation, (enum.Enum,)):
            found[name] = found[field.alias or name] = field.annotation
    return found


@functools.cache
def _needs_conversion(model: type[BaseModel]) -> bool:
    """Whether a dump of ``model`` holds values BSON has no word for as they are."""
    kinds = (enum.Enum, Decimal, uuid.UUID)
    return any(_holds(field.annotation, kinds) for field in model.model_fields.values())


class MongoModel(BaseModel):
    """A part of a stored document: strict, as the server's validator is (an
    ``int`` is never ``3.0`` nor ``"3"``), and closed to other fields."""

    model_config = ConfigDict(
        strict=True, extra="forbid", validate_by_name=True, validate_by_alias=True
    )

    @model_validator(mode="before")
    @classmethod
    def _enum_members(cls, data: Any) -> Any:
        enums = _enum_fields(cls)
        if not enums or not isinstance(data, dict):
            return data
        return {
            key: _members(enums[key], value) if key in enums else value
            for key, value in data.items()
        }

    def to_document(self) -> dict[str, Any]:
        """The document to store: stored names, BSON values."""
        model = type(self)
        dumped = self.model_dump(by_alias=True, exclude=set(model.model_computed_fields) or None)
        return _bson(dumped) if _needs_conversion(model) else dumped

    @classmethod
    def from_document(cls, document: Any) -> Any:
        """A stored document, typed: where the model refuses it (the model
        changed, the document did not), ``StoredDocumentInvalid``, which
        answers 500 in the client's kind and logs the ``_id`` and fields."""
        try:
            return cls.model_validate(document)
        except ValidationError as exc:
            raise StoredDocumentInvalid(cls, document, exc) from None

    @classmethod
    def partial(cls, *fields: str) -> Any:
        """The model of a read with a projection of ``fields`` (see ``partial``)."""
        return partial_model(cls, fields)

    def __json__(self, request: Any) -> dict[str, Any]:
        """For Pyramid's JSON renderer: what is stored, through its BSON adapters."""
        return self.to_document()


class Document(MongoModel):
    """A collection's document, with its ``_id`` (a new ObjectId by default),
    and the indexes its collection has (``mongo_indexes``, PyMongo's
    ``IndexModel``), created with its validator by ``add_mongo_model``."""

    id: ObjectIdField = Field(default_factory=ObjectId, alias="_id")
    mongo_indexes: ClassVar[Sequence[IndexModel]] = ()
    # The fields a client may set (validate_body, the forms, OpenAPI's
    # request bodies); None: every field but the _id.
    client_fields: ClassVar[Sequence[str] | None] = None


def client_fields(model: type[BaseModel], fields: Iterable[str] | None = None) -> tuple[str, ...]:
    """The fields a client may set: ``fields``, else the model's
    ``client_fields``, else all of them but the ``_id``, which is the server's."""
    if fields is not None:
        return tuple(fields)
    declared = getattr(model, "client_fields", None)
    if declared:
        return tuple(declared)
    return tuple(name for name, info in model.model_fields.items() if info.alias != "_id")


def _bson(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _bson(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_bson(item) for item in value]
    if isinstance(value, enum.Enum):
        return _bson(value.value)
    if isinstance(value, Decimal):
        return Decimal128(value)
    if isinstance(value, uuid.UUID):
        return Binary.from_uuid(value)  # whatever the client's uuidRepresentation
    return value


def add_mongo_model(
    config: Configurator,
    collection: str,
    model: type[BaseModel],
    *,
    database: str | None = None,
    level: str = "strict",
    action: str = "error",
) -> None:
    """``config.add_mongo_model(collection, Model)``: the model's ``$jsonSchema``
    as the collection's validator, created where declared indexes are."""
    schema, uuids = derive(model)
    if (
        uuids
        and get_client(config.registry).codec_options.uuid_representation
        == UuidRepresentation.UNSPECIFIED
    ):
        raise ConfigurationError(
            f"{PREFIX}uuidRepresentation: model {model.__name__}, field {uuids[0]} holds a "
            "UUID, which PyMongo reads back as one only with a representation set "
            "(standard, say)"
        )
    add_mongo_validator(
        config, collection, schema, database=database, level=level, action=action, model=model
    )
    for index in getattr(model, "mongo_indexes", ()):
        declared = dict(index.document)
        keys = list(declared.pop("key").items())
        if declared.get("name") == "_".join(f"{key}_{kind}" for key, kind in keys):
            del declared["name"]  # the name it would get anyway
        config.add_mongo_index(collection, keys, database=database, **declared)
    remember_collection(config, collection, model, database)


__all__ = [
    "DecimalField",
    "Document",
    "MongoModel",
    "ObjectIdField",
    "add_mongo_model",
]
