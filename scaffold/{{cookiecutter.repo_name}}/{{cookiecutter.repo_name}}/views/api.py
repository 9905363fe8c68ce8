from datetime import datetime, timezone

from pymongo.errors import DuplicateKeyError
from pyramid.httpexceptions import HTTPBadRequest, HTTPConflict
from pyramid.view import view_config


@view_config(route_name="api.items", request_method="GET", renderer="json")
def list_items(request):
    """ObjectIds and datetimes render as JSON thanks to mongodb.json_adapters."""
    return {"items": list(request.db.items.find().sort("name", 1).limit(100))}


@view_config(route_name="api.items", request_method="POST", renderer="json")
def create_item(request):
    try:
        body = request.json_body
    except ValueError:
        raise HTTPBadRequest(json_body={"error": "the body must be JSON"}) from None
    name = body.get("name") if isinstance(body, dict) else None
    if not isinstance(name, str) or not name.strip():
        raise HTTPBadRequest(json_body={"error": "'name' must be a non-empty string"})
    item = {"name": name.strip(), "created": datetime.now(timezone.utc)}
    try:
        request.db.items.insert_one(item)
    except DuplicateKeyError:  # the unique index declared in __init__.py
        raise HTTPConflict(json_body={"error": f"an item named {name!r} exists"}) from None
    request.response.status = 201
    request.response.location = request.route_url("api.item", id=item["_id"])
    return item


@view_config(route_name="api.item", request_method="GET", renderer="json")
def show_item(request):
    """The route's objectid predicate gives an ObjectId, and a malformed id a 404."""
    return request.db.items.find_one_or_404({"_id": request.matchdict["id"]})
