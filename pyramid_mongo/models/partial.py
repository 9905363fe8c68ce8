"""A document read with a projection: only the fields read, never a default
in place of what was not read, and no way to save it back whole.

``Item.partial("name", "tags")`` is a model of those fields (and ``_id``),
as strict as ``Item`` is about each of them; ``to_document()`` refuses, for
it would overwrite the fields it never read, and ``to_set()`` gives the
``$set`` of the fields it holds::

    fields = ("name", "tags")
    found = request.db.items.find_one({"_id": item_id}, {name: 1 for name in fields})
    item = Item.partial(*fields).from_document(found)
    request.db.items.update_one({"_id": item.id}, item.to_set())
"""

from __future__ import annotations

import functools
from typing import Any, ClassVar

from pydantic import BaseModel, create_model


class PartialDocument(TypeError):
    """``to_document()`` of a partial read: it would overwrite what it never read."""


class _Partial:
    """What every partial model adds to the model it is a part of."""

    whole: ClassVar[type[BaseModel]]
    fields: ClassVar[tuple[str, ...]]

    def to_document(self) -> dict[str, Any]:
        raise PartialDocument(
            f"a partial {self.whole.__name__} ({', '.join(self.fields)}) cannot be saved "
            "whole: it would overwrite the fields it did not read; update with to_set()"
        )

    def to_set(self) -> dict[str, Any]:
        """``{"$set": ...}`` of the fields this partial read holds, as stored."""
        stored = super().to_document()  # type: ignore[misc]
        return {"$set": {key: value for key, value in stored.items() if key != "_id"}}


@functools.cache
def partial_model(model: type[BaseModel], fields: tuple[str, ...]) -> type[BaseModel]:
    """The model of ``fields`` of ``model`` (by name or stored name) and ``_id``."""
    by_stored = {info.alias or name: name for name, info in model.model_fields.items()}
    names = []
    for field in fields:
        name = by_stored.get(field, field)
        if name not in model.model_fields:
            raise ValueError(f"{model.__name__} has no field {field!r}")
        names.append(name)
    if "id" in model.model_fields and "id" not in names:
        names.insert(0, "id")
    definitions: dict[str, Any] = {
        name: (model.model_fields[name].annotation, model.model_fields[name]) for name in names
    }
    bases: tuple[type[Any], ...] = (_Partial, _base_of(model))
    partial: Any = create_model(f"{model.__name__}Partial", __base__=bases, **definitions)
    partial.whole = model
    partial.fields = tuple(name for name in names if name != "id")
    built: type[BaseModel] = partial
    return built


def _base_of(model: type[BaseModel]) -> type[BaseModel]:
    """MongoModel: the behaviour (strictness, enums, to_document) without
    the whole model's fields."""
    from .documents import MongoModel

    return MongoModel
