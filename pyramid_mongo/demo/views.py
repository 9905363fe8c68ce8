from datetime import UTC, datetime

from pyramid.request import Request
from pyramid.view import view_config


@view_config(route_name="home", renderer="templates/home.jinja2")
def home(request: Request) -> dict:
    """The page-hit counter of the MongoDB and Python book, on PyMongo 4."""
    request.db.page_hits.insert_one({"timestamp": datetime.now(UTC), "url": request.url})
    latest = request.db.page_hits.find({}, {"_id": 0}).sort("timestamp", -1).limit(5)
    return {"hits": request.db.page_hits.count_documents({}), "latest": list(latest)}


@view_config(route_name="hits", renderer="json")
def hits(request: Request) -> dict:
    """Streams nothing and writes nothing: a read-only view of the counter."""
    return {"hits": request.db.page_hits.count_documents({})}
