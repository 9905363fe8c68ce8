"""The items of the JSON API: list, create, read, replace, patch, delete.

Every item carries an ETag (its ``rev``): a replace or a patch must send it
back in If-Match (428 without, 412 when someone else changed the item
first), so that no change is lost. A client's body is read through the
model, which takes only the item's own fields: no operator or dotted key
from a client reaches a query or an update.
"""

from bson import ObjectId
from pymongo.errors import DuplicateKeyError
from pyramid.httpexceptions import HTTPBadRequest, HTTPConflict, HTTPNoContent, HTTPNotFound
from pyramid.view import view_config

from pyramid_mongo import changed_meanwhile, check_if_match, check_read, error_response, other_method
from pyramid_mongo.models import validate_body

from ..models import ITEM_FIELDS, Item

PAGE_SIZE = 20
MAX_PAGE_SIZE = 100


def etag_of(item):
    return f'"{item.rev}"'


def answer(request, item, status=200):
    request.response.status = status
    request.response.headers["ETag"] = etag_of(item)
    return item


def stored_item(request):
    """The item of the URL, typed; 404 for a missing or malformed id."""
    document = request.db.items.find_one({"_id": request.matchdict["id"]})
    if document is None:
        raise error_response(request, HTTPNotFound, "There is no such item.")
    return Item.from_document(document)  # a 500 naming the _id where the model changed


def page_size(request):
    value = request.GET.get("limit", str(PAGE_SIZE))
    digits = value.isascii() and value.isdigit() and len(value) <= 3
    if not digits or not 1 <= int(value) <= MAX_PAGE_SIZE:
        message = f"'limit' must be a whole number from 1 to {MAX_PAGE_SIZE}."
        raise error_response(request, HTTPBadRequest, message)
    return int(value)


def page_of(request, route_name):
    """A page of items, oldest first: it starts after the last id of the page
    before (``after``) or ends before the first of the page after
    (``before``), so any page costs what the first does. The same pages for
    the API and the HTML list (views/items.py); the URLs of the pages around
    it, or None."""
    limit = page_size(request)
    bounds = {}
    for name, operator in (("after", "$gt"), ("before", "$lt")):
        value = request.GET.get(name)
        if value is not None:
            if not ObjectId.is_valid(value):
                raise error_response(request, HTTPBadRequest, f"'{name}' must be an item's id.")
            bounds[operator] = ObjectId(value)
    backwards = "$lt" in bounds and "$gt" not in bounds
    query = {"_id": bounds} if bounds else {}
    found = list(request.db.items.find(query).sort("_id", -1 if backwards else 1).limit(limit + 1))
    more = len(found) > limit
    found = found[:limit][::-1] if backwards else found[:limit]
    items = [Item.from_document(document) for document in found]

    def url(**where):
        return request.route_url(route_name, _query={"limit": limit, **where})

    following = url(after=items[-1].id) if items and (more or backwards) else None
    previous = url(before=items[0].id) if items and (more if backwards else bounds) else None
    return items, following, previous


@view_config(route_name="api.items", request_method="GET", renderer="json", mongodb_model=Item)
def list_items(request):
    items, following, previous = page_of(request, "api.items")
    links = [f'<{following}>; rel="next"'] if following else []
    links += [f'<{previous}>; rel="prev"'] if previous else []
    if links:
        request.response.headers["Link"] = ", ".join(links)
    return {"items": items, "next": following, "previous": previous}


@view_config(
    route_name="api.items",
    request_method="POST",
    renderer="json",
    require_csrf=False,
    mongodb_idempotent=True,
    mongodb_model=Item,
)
def create_item(request):
    """A client that sends an Idempotency-Key may retry until it gets an
    answer: the item is stored once, and every retry gets the same 201."""
    item = validate_body(request, Item, fields=ITEM_FIELDS)  # 422 naming each field
    try:
        request.db.items.insert_one(item.to_document())
    except DuplicateKeyError:  # the unique index Item declares (models.py)
        raise name_taken(request, item) from None
    request.response.location = request.route_url("api.item", id=item.id)
    return answer(request, item, 201)


@view_config(route_name="api.item", request_method="GET", renderer="json", mongodb_model=Item)
def show_item(request):
    item = stored_item(request)
    # 304 for a copy the client has; 412 where If-Match names another version.
    return check_read(request, etag_of(item)) or answer(request, item)


@view_config(
    route_name="api.item",
    request_method="PUT",
    renderer="json",
    require_csrf=False,
    mongodb_model=Item,
)
def replace_item(request):
    return change_item(request, merge=False)


@view_config(
    route_name="api.item",
    request_method="PATCH",
    renderer="json",
    require_csrf=False,
    mongodb_model=Item,
)
def patch_item(request):
    """A JSON merge patch (RFC 7396): the fields it names; null removes one."""
    return change_item(request, merge=True)


def change_item(request, merge):
    current = stored_item(request)
    check_if_match(request, etag_of(current))  # 428 or 412
    stored = current.to_document()
    item = validate_body(request, Item, fields=ITEM_FIELDS, current=stored, merge=merge)
    item.rev = current.rev + 1
    try:
        # Only the version read is replaced: of two writes that read it, one wins.
        result = request.db.items.replace_one(
            {"_id": current.id, "rev": current.rev}, item.to_document()
        )
    except DuplicateKeyError:
        raise name_taken(request, item) from None
    if result.matched_count == 0:
        raise changed_meanwhile(request)
    return answer(request, item)


@view_config(
    route_name="api.item", request_method="DELETE", require_csrf=False, mongodb_model=Item
)
def delete_item(request):
    """An If-Match, when sent, must name the current version."""
    current = stored_item(request)
    version = {}
    if "If-Match" in request.headers:
        check_if_match(request, etag_of(current))
        version = {"rev": current.rev}
    if request.db.items.delete_one({"_id": current.id, **version}).deleted_count == 0:
        if version:
            raise changed_meanwhile(request)
        raise error_response(request, HTTPNotFound, "There is no such item.")
    return HTTPNoContent()


def name_taken(request, item):
    return error_response(request, HTTPConflict, f"An item named {item.name!r} exists.")


@view_config(route_name="api.items", require_csrf=False)
@view_config(route_name="api.item", require_csrf=False)
def other_methods(request):
    """OPTIONS: 204 with Allow, the methods the views above take; any other
    method: 405 with the same Allow."""
    return other_method(request)
