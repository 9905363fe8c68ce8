"""Models and documents for the agreement of a model with its ``$jsonSchema``.

Every field of a model, in turn, takes every value of ``VALUES`` (each BSON
type, the edges of each constraint) or goes missing, with the other fields
as in a valid document: each such document is judged by pydantic and by the
server.
"""

from __future__ import annotations

import datetime as dt
import enum
import math
import uuid
from typing import Annotated, Any, Literal

from bson import Binary, Decimal128, Int64, ObjectId
from pydantic import ConfigDict, Field, StringConstraints

from pyramid_mongo.models import DecimalField, Document, MongoModel, ObjectIdField

MISSING = object()


class Color(enum.Enum):
    RED = "red"
    BLUE = "blue"


class Level(enum.IntEnum):
    LOW = 1
    HIGH = 2


class Address(MongoModel):
    city: Annotated[str, Field(min_length=1, max_length=20)]
    zip: Annotated[str, Field(pattern="^[0-9]{5}$")] | None = None


class OpenAddress(MongoModel):
    model_config = ConfigDict(extra="allow")
    city: str


class Scalars(Document):
    name: Annotated[str, StringConstraints(min_length=2, max_length=5)]
    code: Annotated[str, Field(pattern="^[a-z]+-[0-9]+")] = "ab-1"
    count: int = 0
    age: Annotated[int, Field(ge=0, lt=150)] = 1
    even: Annotated[int, Field(multiple_of=2)] = 2
    ratio: float = 0.5
    share: Annotated[float, Field(gt=0, le=1)] = 0.5
    finite: Annotated[float, Field(allow_inf_nan=False)] = 1.0
    flag: bool = False
    when: dt.datetime = dt.datetime(2026, 1, 1)
    ref: ObjectIdField | None = None
    price: Annotated[DecimalField, Field(ge=0)] | None = None
    raw: bytes = b""
    note: str | None = None
    anything: Any = None


class Choices(Document):
    color: Color = Color.RED
    level: Level = Level.LOW
    kind: Literal["a", "b"] = "a"
    number: Literal[1, 2] = 1
    truth: Literal[True] = True
    either: int | str = 0


class Containers(Document):
    tags: Annotated[list[Annotated[str, Field(max_length=3)]], Field(max_length=2)] = Field(
        default_factory=list
    )
    scores: list[int] = Field(default_factory=list)
    colors: list[Color] = Field(default_factory=list)
    address: Address | None = None
    places: list[Address] = Field(default_factory=list)
    counts: dict[str, int] = Field(default_factory=dict)
    labels: Annotated[dict[str, str], Field(min_length=1)] = Field(
        default_factory=lambda: {"a": "b"}
    )
    open_address: OpenAddress | None = None


class Ignoring(Document):
    model_config = ConfigDict(extra="ignore")
    name: str = "x"


class Allowing(Document):
    model_config = ConfigDict(extra="allow")
    name: str = "x"


MODELS = (Scalars, Choices, Containers, Ignoring, Allowing)

VALUES: list[Any] = [
    MISSING,
    None,
    0,
    1,
    2,
    3,
    -1,
    149,
    150,
    Int64(5),
    2**40,
    0.0,
    0.5,
    1.0,
    2.0,
    1.5,
    -0.5,
    math.nan,
    math.inf,
    -math.inf,
    True,
    False,
    "",
    "a",
    "ab",
    "abcde",
    "abcdef",
    "ab-1",
    "xab-12",
    "12345",
    "1234",
    "red",
    "green",
    "b",
    dt.datetime(2026, 5, 1, 12, 0),
    ObjectId("0123456789abcdef01234567"),
    Decimal128("1.5"),
    Decimal128("-1"),
    b"bytes",
    Binary(b"x", 5),
    Binary.from_uuid(uuid.UUID(int=1)),
    [],
    ["a"],
    ["a", "b"],
    ["a", "b", "c"],
    ["abcd"],
    [1, 2],
    [1.5],
    ["red", "blue"],
    ["red", "green"],
    [{"city": "Rome"}],
    [{"city": ""}],
    {},
    {"a": 1},
    {"a": "x"},
    {"a": 1.5},
    {"city": "Rome"},
    {"city": "Rome", "zip": "00100"},
    {"city": "Rome", "zip": "0010"},
    {"city": "Rome", "other": 1},
    {"city": 5},
    {"zip": "00100"},
]


def valid_document(model: type[Document]) -> dict[str, Any]:
    """A document every field of which holds a valid value."""
    required = {"name": "abc"} if model is Scalars else {}
    return model.model_validate(required).to_document()


def documents(model: type[Document]) -> list[dict[str, Any]]:
    base = valid_document(model)
    found = [base, {**base, "unknown": 1}]
    for key in base:
        if key == "_id":
            continue
        for value in VALUES:
            document = dict(base)
            if value is MISSING:
                del document[key]
            else:
                document[key] = value
            found.append(document)
    return found
