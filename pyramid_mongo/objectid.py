"""ObjectIds in URLs, and a 404 for what is not there.

``config.add_route('item', '/items/{id}', objectid='id')`` matches only when
``id`` is a valid ObjectId, and gives the view ``ObjectId`` in the matchdict:
a malformed id finds no route, which Pyramid answers with 404, where the view
would otherwise have raised ``InvalidId`` and answered 500.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bson import ObjectId
from pyramid.httpexceptions import HTTPNotFound
from pyramid.settings import aslist


class ObjectIdPredicate:
    """The ``objectid`` route predicate: names of placeholders holding ObjectIds."""

    def __init__(self, names: str | list[str], config: Any) -> None:
        self.names = tuple(aslist(names)) if isinstance(names, str) else tuple(names)

    def text(self) -> str:
        return f"objectid = {', '.join(self.names)}"

    phash = text

    def __call__(self, info: Mapping[str, Any], request: Any) -> bool:
        match = info["match"]
        for name in self.names:
            value = match.get(name)
            if not isinstance(value, str) or not ObjectId.is_valid(value) or len(value) != 24:
                return False
        for name in self.names:
            match[name] = ObjectId(match[name])
        return True


def find_one_or_404(collection: Any, filter: Any = None, *args: Any, **kwargs: Any) -> Any:
    """``collection.find_one(...)``, or ``HTTPNotFound`` when nothing matches."""
    document = collection.find_one(filter, *args, **kwargs)
    if document is None:
        raise HTTPNotFound()
    return document


def includeme(config: Any) -> None:
    config.add_route_predicate("objectid", ObjectIdPredicate)
