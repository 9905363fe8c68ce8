"""A pydantic model's rules as MongoDB's ``$jsonSchema``, or a refusal naming the field.

The derived validator must say yes and no where the model does, for a
document as PyMongo reads it back. So it follows the model's *strict*
validation (see :class:`pyramid_mongo.models.MongoModel`): an ``int`` is a
BSON int or long, a ``float`` a double, int or long, a ``datetime`` a date.
A rule ``$jsonSchema`` cannot state, or states otherwise (a validator
function, a transformation such as ``strip_whitespace``, a set, a decimal's
digits), is refused with a ``ConfigurationError`` naming the model and the
field, never dropped. What the server checks more loosely is listed in the
models page of the docs: a UUID and ``bytes`` are both ``binData`` there,
and a ``pattern`` runs on two regular expression engines.
"""

from __future__ import annotations

import datetime as dt
import enum
import math
import types
import uuid
from collections.abc import Iterator
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import annotated_types as at
from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pyramid.exceptions import ConfigurationError

# The model options that change what a value becomes or admits beyond its
# type: $jsonSchema says nothing of them.
_TRANSFORMING_OPTIONS = (
    "str_strip_whitespace",
    "str_to_lower",
    "str_to_upper",
    "str_min_length",
    "str_max_length",
    "coerce_numbers_to_str",
)
_REFUSED_DECORATORS = (
    "validators",
    "field_validators",
    "root_validators",
    "model_validators",
    "field_serializers",
    "model_serializers",
)
_OURS = ("_enum_members",)  # MongoModel's own: enums read their stored values
INT = ["int", "long"]
NUMBER = ["double", "int", "long"]


class BsonType:
    """Marks an annotation as stored as one BSON type (see ``models``)."""

    bson_type = ""


def document_schema(model: type[BaseModel]) -> dict[str, Any]:
    """The ``$jsonSchema`` of a collection whose documents are ``model``."""
    return derive(model)[0]


def derive(model: type[BaseModel]) -> tuple[dict[str, Any], list[str]]:
    """The ``$jsonSchema``, and the fields holding a UUID (which PyMongo
    reads back as one only with a ``uuidRepresentation`` set), in one walk."""
    deriving = _Deriving(model)
    return deriving.object_schema(model, top=True), deriving.uuids


class _Deriving:
    def __init__(self, model: type[BaseModel]) -> None:
        self.root = model.__name__
        self.path: list[str] = []
        self.models: list[type[BaseModel]] = []
        self.uuids: list[str] = []

    def refuse(self, why: str) -> ConfigurationError:
        field = ".".join(self.path) or "(the model itself)"
        return ConfigurationError(
            f"model {self.root}, field {field}: {why}; MongoDB's $jsonSchema cannot check it "
            "as the model does (see the models page of pyramid_mongo's docs)"
        )

    def object_schema(self, model: type[BaseModel], top: bool = False) -> dict[str, Any]:
        if model in self.models:
            raise self.refuse(f"{model.__name__} contains itself; $jsonSchema has no references")
        if not model.model_config.get("strict"):
            raise self.refuse(
                f"{model.__name__} is not strict (derive it from pyramid_mongo.models.MongoModel)"
            )
        for option in _TRANSFORMING_OPTIONS:
            if model.model_config.get(option):
                raise self.refuse(f"{model.__name__} sets {option}")
        decorators = model.__pydantic_decorators__
        for kind in _REFUSED_DECORATORS:
            for name in getattr(decorators, kind, {}):
                if name in _OURS:
                    continue
                raise self.refuse(f"{model.__name__}.{name} is a validator or serializer function")
        self.models.append(model)
        properties: dict[str, Any] = {}
        required: list[str] = []
        for name, field in model.model_fields.items():
            key = self.stored_key(name, field)
            self.path.append(key)
            properties[key] = self.schema(field.annotation, list(field.metadata))
            self.path.pop()
            if field.is_required():
                required.append(key)
        self.models.pop()
        schema: dict[str, Any] = {"bsonType": "object", "properties": properties}
        if required:
            schema["required"] = required
        if model.model_config.get("extra", "ignore") == "forbid":
            if top and "_id" not in properties:
                raise self.refuse(
                    "it forbids extra fields but declares no _id, which every document has "
                    "(derive it from pyramid_mongo.models.Document)"
                )
            schema["additionalProperties"] = False
        return schema

    def stored_key(self, name: str, field: FieldInfo) -> str:
        self.path.append(name)
        if field.validation_alias is not None and not isinstance(field.validation_alias, str):
            raise self.refuse("an AliasPath or AliasChoices names no one stored key")
        key = field.alias or name
        names = {field.serialization_alias, field.validation_alias} - {None, key}
        if names:
            raise self.refuse("it is read and written under different names")
        if key.startswith("$") or "." in key:
            raise self.refuse("a stored key cannot start with '$' or hold a '.'")
        self.path.pop()
        return key

    def schema(self, annotation: Any, metadata: list[Any]) -> dict[str, Any]:
        origin = get_origin(annotation)
        if origin is Annotated:
            base, *more = get_args(annotation)
            return self.schema(base, [*metadata, *more])
        rules = self.rules(metadata, annotation)
        if annotation is Any:
            return self.constrained({}, rules, ())
        if origin in (Union, types.UnionType):
            return self.union(get_args(annotation), rules)
        if origin is Literal:
            return self.constrained({"enum": _equal_values(get_args(annotation))}, rules, ())
        if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
            values = tuple(member.value for member in annotation)
            return self.constrained({"enum": _equal_values(values)}, rules, ())
        if origin is list:
            (item,) = get_args(annotation) or (Any,)
            self.path.append("[]")
            items = self.schema(item, [])
            self.path.pop()
            return self.constrained(
                {"bsonType": "array", "items": items}, rules, ("minItems", "maxItems")
            )
        if origin is dict:
            key, value = get_args(annotation) or (str, Any)
            if key is not str:
                raise self.refuse("a BSON document's keys are strings")
            self.path.append("{}")
            value_schema = self.schema(value, [])
            self.path.pop()
            return self.constrained(
                {"bsonType": "object", "additionalProperties": value_schema},
                rules,
                ("minProperties", "maxProperties"),
            )
        if origin in (set, frozenset, tuple):
            raise self.refuse("BSON arrays read back as lists: declare a list")
        if origin is not None or not isinstance(annotation, type):
            raise self.refuse(f"{annotation!r} is not a type MongoDB stores as such")
        return self.scalar(annotation, rules)

    def scalar(self, annotation: type, rules: dict[str, Any]) -> dict[str, Any]:
        if issubclass(annotation, BaseModel):
            return self.constrained(self.object_schema(annotation), rules, ())
        bson_type = getattr(rules.pop("bson_type", None), "bson_type", None)
        if bson_type == "decimal":
            return self.constrained({"bsonType": "decimal"}, rules, ("minimum", "maximum"))
        if bson_type:
            return self.constrained({"bsonType": bson_type}, rules, ())
        if annotation is bool:
            return self.constrained({"bsonType": "bool"}, rules, ())
        if annotation is int:
            return self.constrained({"bsonType": INT}, rules, ("minimum", "maximum", "multipleOf"))
        if annotation is float:
            schema: dict[str, Any] = {"bsonType": NUMBER}
            if rules.pop("allow_inf_nan", True) is False:
                schema["not"] = {"enum": [math.nan, math.inf, -math.inf]}
            return self.constrained(schema, rules, ("minimum", "maximum", "multipleOf"))
        if annotation is str:
            return self.constrained(
                {"bsonType": "string"}, rules, ("minLength", "maxLength", "pattern")
            )
        if annotation is dt.datetime:
            return self.constrained({"bsonType": "date"}, rules, ())
        if annotation is uuid.UUID:
            self.uuids.append(".".join(self.path))
        if annotation is bytes or annotation is uuid.UUID:
            return self.constrained({"bsonType": "binData"}, rules, ())
        if annotation in (set, frozenset, tuple):
            raise self.refuse("BSON arrays read back as lists: declare a list")
        raise self.refuse(
            f"{annotation.__name__} has no BSON type here (ObjectId and Decimal: "
            "pyramid_mongo.models.ObjectIdField and DecimalField)"
        )

    def union(self, members: tuple[Any, ...], rules: dict[str, Any]) -> dict[str, Any]:
        if rules:
            raise self.refuse("a constraint on a union: put it on the member it is for")
        nullable = type(None) in members
        schemas = [self.schema(member, []) for member in members if member is not type(None)]
        if nullable and len(schemas) == 1 and set(schemas[0]) == {"bsonType"}:
            kinds = schemas[0]["bsonType"]
            return {"bsonType": [*(kinds if isinstance(kinds, list) else [kinds]), "null"]}
        if nullable:
            schemas.append({"bsonType": "null"})
        return schemas[0] if len(schemas) == 1 else {"anyOf": schemas}

    def rules(self, metadata: list[Any], annotation: Any) -> dict[str, Any]:
        """The constraints of ``metadata`` under their ``$jsonSchema`` names."""
        rules: dict[str, Any] = {}
        sized = "Items" if get_origin(annotation) is list else "Length"
        if get_origin(annotation) is dict:
            sized = "Properties"
        for item in _flat(metadata):
            if isinstance(item, BsonType):
                rules["bson_type"] = item
            elif isinstance(item, at.Ge | at.Gt):
                rules["minimum"] = item.ge if isinstance(item, at.Ge) else item.gt
                rules["exclusiveMinimum"] = isinstance(item, at.Gt)
            elif isinstance(item, at.Le | at.Lt):
                rules["maximum"] = item.le if isinstance(item, at.Le) else item.lt
                rules["exclusiveMaximum"] = isinstance(item, at.Lt)
            elif isinstance(item, at.MultipleOf):
                rules["multipleOf"] = item.multiple_of
            elif isinstance(item, at.MinLen):
                rules[f"min{sized}"] = item.min_length
            elif isinstance(item, at.MaxLen):
                rules[f"max{sized}"] = item.max_length
            else:
                rules.update(self.pydantic_rules(item, sized, annotation))
        return rules

    def pydantic_rules(self, item: Any, sized: str, annotation: Any) -> dict[str, Any]:
        settings = {key: value for key, value in vars(item).items() if value is not None}
        if type(item).__name__ == "Strict":
            if not settings.get("strict", True) and not _is_enum(annotation):
                raise self.refuse("Strict(False) makes it lax, and the server is not")
            return {}
        if type(item).__name__ not in ("StringConstraints", "_PydanticGeneralMetadata"):
            if type(item).__name__ == "AllowInfNan":
                return {"allow_inf_nan": item.allow_inf_nan}
            raise self.refuse(f"{item!r} is a rule $jsonSchema has no word for")
        rules: dict[str, Any] = {}
        for key, value in settings.items():
            if key == "pattern":
                rules["pattern"] = value if isinstance(value, str) else value.pattern
            elif key == "min_length":
                rules[f"min{sized}"] = value
            elif key == "max_length":
                rules[f"max{sized}"] = value
            elif key == "allow_inf_nan":
                rules["allow_inf_nan"] = value
            elif key != "strict" and value is not False:
                raise self.refuse(f"{key}={value!r} is a rule $jsonSchema has no word for")
        return rules

    def constrained(
        self, schema: dict[str, Any], rules: dict[str, Any], allowed: tuple[str, ...]
    ) -> dict[str, Any]:
        exclusive = {"exclusiveMinimum": "minimum", "exclusiveMaximum": "maximum"}
        for key, value in rules.items():
            if key in exclusive:
                if value:
                    schema[key] = True
            elif key in allowed:
                schema[key] = value
            else:
                raise self.refuse(f"{key} does not apply to this type")
        return schema


def _flat(metadata: list[Any]) -> Iterator[Any]:
    for item in metadata:
        if item is None:
            continue
        if isinstance(item, FieldInfo):
            yield from _flat(list(item.metadata))
        elif isinstance(item, at.GroupedMetadata):
            yield from _flat(list(item))
        else:
            yield item


def _is_enum(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, enum.Enum)


def _equal_values(values: tuple[Any, ...]) -> list[Any]:
    """The values pydantic takes for these: Python's ``True == 1`` holds for it,
    while MongoDB tells a bool from a number (and 1 from 1.0 it does not)."""
    found = list(values)
    for value in values:
        if isinstance(value, bool):
            found.append(int(value))
        elif isinstance(value, int | float) and value in (0, 1):
            found.append(bool(value))
    unique: list[Any] = []
    for value in found:
        if not any(type(value) is type(seen) and value == seen for seen in unique):
            unique.append(value)
    return unique
