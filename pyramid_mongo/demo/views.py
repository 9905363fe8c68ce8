from datetime import UTC, datetime

from pymongo.errors import DuplicateKeyError
from pyramid.httpexceptions import HTTPBadRequest, HTTPConflict, HTTPSeeOther
from pyramid.request import Request
from pyramid.view import view_config

from pyramid_mongo import file_response, save_upload


@view_config(route_name="home", renderer="templates/home.jinja2")
def home(request: Request) -> dict:
    """The page-hit counter of the MongoDB and Python book, on PyMongo 4."""
    request.db.page_hits.insert_one({"timestamp": datetime.now(UTC), "url": request.url})
    latest = request.db.page_hits.find({}, {"_id": 0}).sort("timestamp", -1).limit(5)
    return {"hits": request.db.page_hits.count_documents({}), "latest": list(latest)}


@view_config(route_name="hits", renderer="json")
def hits(request: Request) -> dict:
    return {"hits": request.db.page_hits.count_documents({})}


@view_config(route_name="items", request_method="GET", renderer="json")
def list_items(request: Request) -> dict:
    """ObjectIds and datetimes render as JSON (mongodb.json_adapters = true)."""
    return {"items": list(request.db.items.find().sort("name", 1).limit(100))}


@view_config(route_name="items", request_method="POST", renderer="json")
def create_item(request: Request) -> dict:
    try:
        body = request.json_body
    except ValueError:
        raise HTTPBadRequest(json_body={"error": "the body must be JSON"}) from None
    name = body.get("name") if isinstance(body, dict) else None
    if not isinstance(name, str) or not name.strip():
        raise HTTPBadRequest(json_body={"error": "'name' must be a non-empty string"})
    item = {"name": name.strip(), "created": datetime.now(UTC)}
    try:
        request.db.items.insert_one(item)
    except DuplicateKeyError:
        raise HTTPConflict(json_body={"error": f"an item named {name!r} exists"}) from None
    request.response.status = 201
    request.response.location = request.route_url("item", id=item["_id"])
    return item


@view_config(route_name="item", renderer="json")
def show_item(request: Request) -> dict:
    """/items/<not an ObjectId> finds no route: 404, never 500."""
    return request.db.items.find_one_or_404({"_id": request.matchdict["id"]})


@view_config(route_name="files", request_method="GET", renderer="templates/files.jinja2")
def list_files(request: Request) -> dict:
    return {"files": list(request.fs.find().sort("uploadDate", -1).limit(50))}


@view_config(route_name="files", request_method="POST")
def upload_file(request: Request) -> HTTPSeeOther:
    save_upload(request, "file")
    return HTTPSeeOther(request.route_url("files"))


@view_config(route_name="file")
def download_file(request: Request):
    return file_response(request, request.matchdict["name"])
