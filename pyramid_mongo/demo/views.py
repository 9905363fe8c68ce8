from datetime import UTC, datetime
from typing import Any

from pymongo.errors import ConnectionFailure, DuplicateKeyError
from pyramid.httpexceptions import (
    HTTPBadRequest,
    HTTPConflict,
    HTTPMethodNotAllowed,
    HTTPNotFound,
    HTTPSeeOther,
)
from pyramid.request import Request
from pyramid.response import Response
from pyramid.view import exception_view_config, notfound_view_config, view_config

from pyramid_mongo import error_response, file_response, increment, json_body, save_upload
from pyramid_mongo.counters import current
from pyramid_mongo.outage import MESSAGE, RETRY_AFTER_SECONDS, note_outage

LATEST = 5


@view_config(route_name="home", renderer="templates/home.jinja2")
def home(request: Request) -> dict[str, Any]:
    """The page-hit counter of the MongoDB and Python book, on PyMongo 4."""
    visit = {"timestamp": datetime.now(UTC), "url": request.url}
    request.db.page_hits.insert_one(dict(visit))
    # The count and the latest visits, kept in one counter document by one
    # atomic update: the same cost at a million visits as at one.
    latest = {"$push": {"latest": {"$each": [visit], "$slice": -LATEST}}}
    counter = increment(request.db.counters, "page_hits", also=latest)
    return {"hits": counter["value"], "latest": counter["latest"][::-1]}


@view_config(route_name="hits", renderer="json")
def hits(request: Request) -> dict[str, Any]:
    return {"hits": current(request.db.counters, "page_hits")}


@view_config(route_name="items", request_method="GET", renderer="json")
def list_items(request: Request) -> dict[str, Any]:
    """ObjectIds and datetimes render as JSON (mongodb.json_adapters = true)."""
    return {"items": list(request.db.items.find().sort("name", 1).limit(100))}


@view_config(route_name="items", request_method="POST", renderer="json")
def create_item(request: Request) -> dict[str, Any]:
    body = json_body(request)  # 400 for a body that is not JSON MongoDB can store
    name = body.get("name") if isinstance(body, dict) else None
    if not isinstance(name, str) or not name.strip():
        raise error_response(request, HTTPBadRequest, "'name' must be a non-empty string.")
    item = {"name": name.strip(), "created": datetime.now(UTC)}
    try:
        request.db.items.insert_one(item)
    except DuplicateKeyError:
        raise error_response(request, HTTPConflict, f"An item named {name!r} exists.") from None
    request.response.status = 201
    request.response.location = request.route_url("item", id=item["_id"])
    return item


@view_config(route_name="item", request_method="GET", renderer="json")
def show_item(request: Request) -> dict[str, Any]:
    """/items/<not an ObjectId> finds no route: 404, never 500."""
    item: dict[str, Any] = request.db.items.find_one_or_404({"_id": request.matchdict["id"]})
    return item


@view_config(route_name="item")
@view_config(route_name="items")
def method_not_allowed(request: Request) -> HTTPMethodNotAllowed:
    """Any other method on an API route: 405, saying which ones it takes."""
    allowed = "GET, HEAD" if request.matched_route.name == "item" else "GET, HEAD, POST"
    message = f"{request.method} is not allowed here."
    return error_response(request, HTTPMethodNotAllowed, message, Allow=allowed)


@notfound_view_config(accept="text/html", renderer="templates/404.jinja2")
def not_found_page(request: Request) -> dict[str, Any]:
    request.response.status = 404
    return {}


@notfound_view_config()
def not_found(request: Request) -> HTTPNotFound:
    """JSON clients (the items API) get JSON; pages get the page above."""
    return error_response(request, HTTPNotFound, "There is nothing at this address.")


@exception_view_config(ConnectionFailure, accept="text/html", renderer="templates/503.jinja2")
def unavailable_page(exc: ConnectionFailure, request: Request) -> dict[str, Any]:
    """The demo's own outage page; JSON clients get pyramid_mongo's JSON 503."""
    note_outage(exc, request)
    request.response.status = 503
    request.response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return {"message": MESSAGE}


@view_config(route_name="files", request_method="GET", renderer="templates/files.jinja2")
def list_files(request: Request) -> dict[str, Any]:
    return {"files": list(request.fs.find().sort("uploadDate", -1).limit(50))}


@view_config(route_name="files", request_method="POST")
def upload_file(request: Request) -> HTTPSeeOther:
    save_upload(request, "file")
    return HTTPSeeOther(request.route_url("files"))


@view_config(route_name="file")
def download_file(request: Request) -> Response:
    return file_response(request, request.matchdict["name"])
