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

from pyramid_mongo import (
    error_response,
    file_response,
    form_text,
    increment,
    json_body,
    save_upload,
)
from pyramid_mongo.counters import current
from pyramid_mongo.http import message_of, prefers_json
from pyramid_mongo.outage import RETRY_AFTER_SECONDS, note_outage, outage_message

LATEST = 5
MAX_PATH = 200  # characters of a visit's path kept: what a client sends is bounded


@view_config(route_name="home", renderer="templates/home.jinja2")
def home(request: Request) -> dict[str, Any]:
    """The page-hit counter of the MongoDB and Python book, on PyMongo 4."""
    visit = {"timestamp": datetime.now(UTC), "path": request.path[:MAX_PATH]}
    request.db.page_hits.insert_one(dict(visit))
    # The count and the latest visits, kept in one counter document by one
    # atomic update: the same cost at a million visits as at one.
    latest = {"$push": {"latest": {"$each": [visit], "$slice": -LATEST}}}
    counter = increment(request.db.counters, "page_hits", also=latest)
    items = list(request.db.items.find({}, {"name": 1}).sort("name", 1).limit(20))
    accounts = list(request.db.accounts.find().sort("_id", 1).limit(20))
    return {
        "hits": counter["value"],
        "latest": counter["latest"][::-1],
        "items": items,
        "accounts": accounts,
    }


@view_config(route_name="hits", renderer="json")
def hits(request: Request) -> dict[str, Any]:
    return {"hits": current(request.db.counters, "page_hits")}


@view_config(route_name="items", request_method="GET", renderer="json")
def list_items(request: Request) -> dict[str, Any]:
    """ObjectIds and datetimes render as JSON (mongodb.json_adapters = true)."""
    return {"items": list(request.db.items.find().sort("name", 1).limit(100))}


@view_config(route_name="items", request_method="POST", renderer="json")
def create_item(request: Request) -> Any:
    """JSON (201, the item), or the home page's form (back to the page)."""
    from_form = request.content_type == "application/x-www-form-urlencoded"
    if from_form:
        body: Any = {"name": form_text(request, "name", max_length=200)}
    else:
        body = json_body(request)  # 400 for a body that is not JSON MongoDB can store
    name = body.get("name") if isinstance(body, dict) else None
    if not isinstance(name, str) or not name.strip():
        raise error_response(request, HTTPBadRequest, "'name' must be a non-empty string.")
    item = {"name": name.strip(), "created": datetime.now(UTC)}
    try:
        request.db.items.insert_one(item)
    except DuplicateKeyError:
        raise error_response(request, HTTPConflict, f"An item named {name!r} exists.") from None
    if from_form:
        return HTTPSeeOther(request.route_url("home"))
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


NOT_FOUND = "There is nothing at this address."


@notfound_view_config(accept="text/html", renderer="templates/404.jinja2")
def not_found_page(context: HTTPNotFound, request: Request) -> Any:
    if prefers_json(request):  # a JSON request, whatever its Accept says
        return error_response(request, HTTPNotFound, message_of(context, NOT_FOUND))
    request.response.status = 404
    return {"message": message_of(context, NOT_FOUND)}


@notfound_view_config()
def not_found(context: HTTPNotFound, request: Request) -> HTTPNotFound:
    """JSON clients (the items API) get JSON; pages get the page above."""
    return error_response(request, HTTPNotFound, message_of(context, NOT_FOUND))


@exception_view_config(ConnectionFailure, accept="text/html", renderer="templates/503.jinja2")
def unavailable_page(exc: ConnectionFailure, request: Request) -> dict[str, Any]:
    """The demo's own outage page; JSON clients get pyramid_mongo's JSON 503."""
    note_outage(exc, request)
    request.response.status = 503
    request.response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return {"message": outage_message(request)}


@view_config(route_name="accounts", request_method="GET", renderer="json")
def list_accounts(request: Request) -> dict[str, Any]:
    return {"accounts": list(request.db.accounts.find().sort("_id", 1).limit(100))}


def _from_form(request: Request) -> bool:
    return bool(request.content_type == "application/x-www-form-urlencoded")


def _body(request: Request, fields: dict[str, int]) -> Any:
    """JSON, or the home page's form: text fields, and whole numbers as numbers."""
    if not _from_form(request):
        body = json_body(request)
        if not isinstance(body, dict):
            raise error_response(request, HTTPBadRequest, "Send a JSON object.")
        return body
    read = {}
    for name, is_number in fields.items():
        text = form_text(request, name, max_length=50).strip()
        read[name] = int(text) if is_number and text.isascii() and text.isdigit() else text
    return read


@view_config(route_name="accounts", request_method="POST", renderer="json")
def open_account(request: Request) -> Any:
    body = _body(request, {"name": 0, "balance": 1})
    name, balance = body.get("name"), body.get("balance", 0)
    if not isinstance(name, str) or not name.strip() or not _whole_amount(balance, zero=True):
        raise error_response(request, HTTPBadRequest, "Give a 'name' and a whole 'balance'.")
    try:
        request.db.accounts.insert_one({"_id": name.strip(), "balance": balance})
    except DuplicateKeyError:
        raise error_response(request, HTTPConflict, f"An account named {name!r} exists.") from None
    if _from_form(request):
        return HTTPSeeOther(request.route_url("home"))
    request.response.status = 201
    return {"_id": name.strip(), "balance": balance}


@view_config(
    route_name="transfers", request_method="POST", renderer="json", mongodb_transaction=True
)
def transfer(request: Request) -> Any:
    """The book's accounting example, all or nothing: the debit is one write,
    the credit another, and the view's transaction (mongodb_transaction=True)
    commits both or neither. A credit to an account that does not exist is a
    404 after the debit was written, and the debit is rolled back. A conflict
    with another transfer runs the view again."""
    body = _body(request, {"from": 0, "to": 0, "amount": 1})
    source, target, amount = body.get("from"), body.get("to"), body.get("amount")
    if not isinstance(source, str) or not isinstance(target, str) or source == target:
        raise error_response(request, HTTPBadRequest, "Give two accounts, 'from' and 'to'.")
    if not _whole_amount(amount):
        raise error_response(request, HTTPBadRequest, "The 'amount' must be a whole number > 0.")
    debited = request.db.accounts.update_one(
        {"_id": source, "balance": {"$gte": amount}}, {"$inc": {"balance": -amount}}
    )
    if debited.matched_count == 0:
        raise error_response(request, HTTPConflict, f"{source!r} cannot pay {amount}.")
    credited = request.db.accounts.update_one({"_id": target}, {"$inc": {"balance": amount}})
    if credited.matched_count == 0:
        raise error_response(request, HTTPNotFound, f"There is no account {target!r}.")
    if _from_form(request):
        return HTTPSeeOther(request.route_url("home"))
    return {"from": source, "to": target, "amount": amount}


def _whole_amount(value: Any, zero: bool = False) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= (0 if zero else 1)


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
