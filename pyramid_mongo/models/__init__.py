"""The typed-documents wing: one pydantic v2 model checks a request's body,
becomes the collection's ``$jsonSchema`` validator (``schema``), and reads
stored documents back typed (``documents``).

    from pyramid_mongo.models import Document

    class Item(Document):
        name: Annotated[str, Field(min_length=1, max_length=200)]

    config.add_mongo_model("items", Item)
    item = validate_body(request, Item, fields=("name",))
    request.db.items.insert_one(item.to_document())
    item, fields = model_form(request, Item)   # a form page: {{ fields }}

pydantic comes with ``pyramid_mongo[models]``; an application that never
imports this wing never imports pydantic.
"""

from __future__ import annotations

from .bodies import validate_body
from .documents import (
    DecimalField,
    Document,
    MongoModel,
    ObjectIdField,
    add_mongo_model,
)
from .forms import form_fields, model_form, read_form
from .partial import PartialDocument
from .schema import document_schema
from .stored import StoredDocumentInvalid, fields_refused

__all__ = [
    "DecimalField",
    "Document",
    "MongoModel",
    "ObjectIdField",
    "PartialDocument",
    "StoredDocumentInvalid",
    "add_mongo_model",
    "document_schema",
    "fields_refused",
    "form_fields",
    "model_form",
    "read_form",
    "validate_body",
]
