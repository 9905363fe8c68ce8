"""The items as HTML pages, from the same model as the JSON API: a list by
pages, a create form, an edit form, delete with confirmation.

The forms are drawn from the model (types, limits and required marks) and
read through it (the API's validation, one message per field): ``model_form``
does both, and the template prints the fields it gives as they are drawn. An
edit form carries the version it was read at (``rev``, the API's ETag):
saving over a newer version is refused with the item as it is now, so that no
one's change is lost.
"""

from pymongo.errors import DuplicateKeyError
from pyramid.httpexceptions import HTTPSeeOther
from pyramid.view import view_config

from pyramid_mongo import form_text, outside_transaction
from pyramid_mongo.models import form_fields, model_form

from ..models import Item
from .api import page_of, stored_item

PAGES = "{{ cookiecutter.repo_name }}:templates"
EXTENSION = "{{ cookiecutter.__template_extension }}"
LIST = f"{PAGES}/items.{EXTENSION}"
EDIT = f"{PAGES}/item_edit.{EXTENSION}"
DELETE = f"{PAGES}/item_delete.{EXTENSION}"
CHANGED = (
    "Someone changed this item since you opened it. Here it is as it is now:"
    " make your change again."
)


def tell(request, message):
    """A message on the next page, where the project has sessions."""
    if getattr(request, "has_accounts", False):
        request.session.flash(message)


def name_taken(request, item):
    """The unique index refused the name. Inside the request's transaction
    (mongodb.transactions) that ended the transaction: nothing of the request
    is kept, and what the page reads next is read outside it."""
    if "tm.active" in request.environ:
        request.tm.doom()
    return {"name": f"An item named {item.name!r} exists."}


def list_page(request, fields=None, status=200):
    items, following, previous = page_of(request, "items")
    request.response.status = status
    return {
        "items": items,
        # Each item's URL is this and its id: one route_url a page, not one an item.
        "items_url": request.route_url("items"),
        "next": following,
        "previous": previous,
        "fields": fields or form_fields(Item),
    }


@view_config(route_name="items", request_method="GET", renderer=LIST)
def list_items(request):
    return list_page(request)


@view_config(route_name="items", request_method="POST", renderer=LIST)
def create_item(request):
    item, fields = model_form(request, Item)
    if item is None:
        return list_page(request, fields, status=422)
    try:
        request.db.items.insert_one(item.to_document())
    except DuplicateKeyError:  # the unique index Item declares
        fields = fields.with_errors(name_taken(request, item))
        with outside_transaction(request.mongo_client):  # the request's has ended
            return list_page(request, fields, status=422)
    tell(request, f"Created {item.name!r}.")
    return HTTPSeeOther(request.route_url("item", id=item.id))


def stale_edit(request, current):
    request.response.status = 409
    return {"item": current, "fields": form_fields(Item, values=current), "changed": CHANGED}


@view_config(route_name="item", request_method="GET", renderer=EDIT)
@view_config(route_name="item", request_method="POST", renderer=EDIT)
def edit_item(request):
    current = stored_item(request)
    if request.method == "POST" and form_text(request, "rev", max_length=20) != str(current.rev):
        return stale_edit(request, current)
    item, fields = model_form(request, Item, current=current)
    if item is not None:
        item.rev = current.rev + 1
        try:
            # Only the version read is replaced: of two saves that read it, one wins.
            saved = request.db.items.replace_one(
                {"_id": current.id, "rev": current.rev}, item.to_document()
            )
        except DuplicateKeyError:
            fields = fields.with_errors(name_taken(request, item))
        else:
            if saved.matched_count == 0:
                return stale_edit(request, stored_item(request))
            tell(request, f"Saved {item.name!r}.")
            return HTTPSeeOther(request.route_url("item", id=item.id))
    if request.method == "POST":
        request.response.status = 422
    return {"item": current, "fields": fields, "changed": None}


@view_config(route_name="item.delete", request_method="GET", renderer=DELETE)
def confirm_delete(request):
    return {"item": stored_item(request)}


@view_config(route_name="item.delete", request_method="POST", renderer=DELETE)
def delete_item(request):
    current = stored_item(request)
    read_rev = form_text(request, "rev", max_length=18)
    rev = int(read_rev) if read_rev.isdigit() else 0
    deleted = request.db.items.delete_one({"_id": current.id, "rev": rev})
    if deleted.deleted_count == 0:
        request.response.status = 409
        return {"item": current, "changed": CHANGED}
    tell(request, f"Deleted {current.name!r}.")
    return HTTPSeeOther(request.route_url("items"))
