"""The documents of the JSON API, declared once.

The class checks what a request sends (a 422 naming each field), becomes the
collection's $jsonSchema validator (``config.add_mongo_model`` in
``__init__.py``), and reads stored documents back typed. Queries stay plain
PyMongo.
"""

from datetime import datetime, timezone
from typing import Annotated, ClassVar

from pydantic import Field
from pymongo import IndexModel

from pyramid_mongo.models import Document

# Something besides spaces; the same class of characters on both of the
# regular expression engines that check it (pydantic's and MongoDB's).
Name = Annotated[
    str, Field(min_length=1, max_length=200, pattern="[^ \t\n\r\f\v]", examples=["lamp"])
]
Tag = Annotated[str, Field(min_length=1, max_length=40)]


def now():
    """The time as MongoDB keeps it: to the millisecond."""
    moment = datetime.now(timezone.utc)
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


class Item(Document):
    name: Name
    note: Annotated[str, Field(max_length=2000)] = ""
    tags: Annotated[list[Tag], Field(max_length=20)] = Field(default_factory=list)
    created: datetime = Field(default_factory=now)
    # The version a client read (its ETag), which a write must name.
    rev: Annotated[int, Field(ge=1)] = 1
    # Created with the validator (config.add_mongo_model in __init__.py):
    # two items never share a name.
    mongo_indexes: ClassVar = [IndexModel([("name", 1)], unique=True)]
    # What a client may set, in the API and the forms; the rest is the server's.
    # A field a client must send carries an example (Field(examples=[...])):
    # the tests' item_body makes a valid body from them.
    client_fields: ClassVar = ("name", "note", "tags")


ITEM_FIELDS = Item.client_fields
