from datetime import datetime, timezone

from pyramid.httpexceptions import HTTPSeeOther
from pyramid.view import view_config

from pyramid_mongo import increment
from pyramid_mongo.counters import current
from pyramid_mongo.http import prefers_json

from .. import PROJECT

LATEST = 5  # visits shown on the home page
MAX_PATH = 200  # characters of a visit's path kept: what a client sends is bounded
ADDED = "added"  # the query of the way back from the button


@view_config(
    route_name="home",
    renderer="{{ cookiecutter.repo_name }}:templates/home.{{ cookiecutter.__template_extension }}",
)
def home(request):
    """Record this visit, then show how many there have been.

    The count and the latest visits live in one counter document, updated
    by one atomic step in the same request (the "fast accounting" pattern;
    see pyramid_mongo.increment): counting or sorting the page_hits
    documents would take longer with every visit.
    """
    if ADDED in request.GET:  # back from the button: the same visit
        counter = request.db.counters.find_one({"_id": "page_hits"}) or {}
    else:
        visit = {"timestamp": datetime.now(timezone.utc), "path": request.path[:MAX_PATH]}
        request.db.page_hits.insert_one(dict(visit))
        latest = {"$push": {"latest": {"$each": [visit], "$slice": -LATEST}}}
        counter = increment(request.db.counters, "page_hits", also=latest)
    return {
        "project": PROJECT,
        "hits": counter.get("value", 0),
        "clicks": current(request.db.counters, "clicks"),
        "latest": counter.get("latest", [])[::-1],
    }


@view_config(route_name="counter", request_method="POST", renderer="json", require_csrf=False)
def bump_counter(request):
    """Add one to a named counter; the home page's button sends here."""
    name = request.matchdict["name"]
    value = increment(request.db.counters, name)["value"]
    from_form = request.headers.get("Content-Type", "").startswith(
        "application/x-www-form-urlencoded"
    )
    if from_form and not prefers_json(request):
        # The button on the home page: back there, which counts no new visit.
        return HTTPSeeOther(request.route_url("home", _query={ADDED: name}))
    return {"name": name, "value": value}


@view_config(route_name="counter", request_method="GET", renderer="json")
def show_counter(request):
    name = request.matchdict["name"]
    return {"name": name, "value": current(request.db.counters, name)}
