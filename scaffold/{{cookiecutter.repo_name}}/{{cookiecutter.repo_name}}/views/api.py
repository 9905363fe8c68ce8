from datetime import datetime, timezone

from pymongo.errors import DuplicateKeyError
from pyramid.httpexceptions import HTTPBadRequest, HTTPConflict, HTTPMethodNotAllowed
from pyramid.view import view_config

from pyramid_mongo import error_response, json_body

ALLOWED = {"api.items": "GET, HEAD, POST", "api.item": "GET, HEAD"}
MAX_NAME = 200  # characters


@view_config(route_name="api.items", request_method="GET", renderer="json")
def list_items(request):
    """ObjectIds and datetimes render as JSON thanks to mongodb.json_adapters."""
    return {"items": list(request.db.items.find().sort("name", 1).limit(100))}


@view_config(route_name="api.items", request_method="POST", renderer="json", require_csrf=False)
def create_item(request):
    body = json_body(request)  # 400 for a body that is not JSON MongoDB can store
    name = body.get("name") if isinstance(body, dict) else None
    if not isinstance(name, str) or not name.strip() or len(name) > MAX_NAME:
        message = f"'name' must be a non-empty string of at most {MAX_NAME} characters."
        raise error_response(request, HTTPBadRequest, message)
    # MongoDB keeps milliseconds: the answer gives the time as stored.
    now = datetime.now(timezone.utc)
    item = {"name": name.strip(), "created": now.replace(microsecond=now.microsecond // 1000 * 1000)}
    try:
        request.db.items.insert_one(item)
    except DuplicateKeyError:  # the unique index declared in __init__.py
        raise error_response(request, HTTPConflict, f"An item named {name!r} exists.") from None
    request.response.status = 201
    request.response.location = request.route_url("api.item", id=item["_id"])
    return item


@view_config(route_name="api.item", request_method="GET", renderer="json")
def show_item(request):
    """The route's objectid predicate gives an ObjectId, and a malformed id a 404."""
    return request.db.items.find_one_or_404({"_id": request.matchdict["id"]})


@view_config(route_name="api.items", require_csrf=False)
@view_config(route_name="api.item", require_csrf=False)
def method_not_allowed(request):
    """Any other method on an API route: 405, saying which ones it takes."""
    allowed = ALLOWED[request.matched_route.name]
    message = f"{request.method} is not allowed here."
    return error_response(request, HTTPMethodNotAllowed, message, Allow=allowed)
