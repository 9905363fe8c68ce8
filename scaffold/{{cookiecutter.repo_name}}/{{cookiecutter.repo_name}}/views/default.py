from datetime import datetime, timezone

from pymongo import ReturnDocument
from pyramid.view import view_config


@view_config(
    route_name="home",
    renderer="{{ cookiecutter.repo_name }}:templates/home.{{ cookiecutter.__template_extension }}",
)
def home(request):
    """Record this visit, then show how many there have been."""
    request.db.page_hits.insert_one(
        {"timestamp": datetime.now(timezone.utc), "url": request.url}
    )
    return {
        "project": "{{ cookiecutter.project_name }}",
        "hits": request.db.page_hits.count_documents({}),
    }


@view_config(route_name="counter", request_method="POST", renderer="json")
def bump_counter(request):
    """Add one to a named counter, creating it at 1.

    The server does it in one atomic step: reading the value, adding one in
    Python and saving it back would lose counts when two requests interleave.
    """
    counter = request.db.counters.find_one_and_update(
        {"_id": request.matchdict["name"]},
        {"$inc": {"value": 1}},
        upsert=True,
        return_document=ReturnDocument.AFTER,
    )
    return {"name": counter["_id"], "value": counter["value"]}


@view_config(route_name="counter", request_method="GET", renderer="json")
def show_counter(request):
    counter = request.db.counters.find_one({"_id": request.matchdict["name"]})
    return {"name": request.matchdict["name"], "value": counter["value"] if counter else 0}
