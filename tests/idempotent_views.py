"""Views of tests/test_idempotency.py: a create that counts its runs."""

import threading

from pyramid.config import Configurator
from pyramid.httpexceptions import HTTPInternalServerError
from pyramid.response import Response

from pyramid_mongo import json_body

# Set by a test to hold a request inside its view.
HOLD = {"entered": threading.Event(), "go": threading.Event()}


def create(request):
    body = json_body(request)
    if body.get("hold"):
        HOLD["entered"].set()
        HOLD["go"].wait(10)
    if body.get("fail"):
        raise HTTPInternalServerError("failed on purpose")
    result = request.db.created.insert_one({"name": body.get("name")})
    request.db.runs.update_one({"_id": "runs"}, {"$inc": {"n": 1}}, upsert=True)
    response = Response(
        json_body={"id": str(result.inserted_id), "name": body.get("name")}, status=201
    )
    response.location = request.route_url("created", id=str(result.inserted_id))
    response.headers["ETag"] = '"1"'
    response.set_cookie("seen", "1")  # not the answer's to repeat
    return response


def includeme(config: Configurator) -> None:
    config.add_route("create", "/create")
    config.add_route("created", "/created/{id}")
    config.add_view(create, route_name="create", request_method="POST", mongodb_idempotent=True)
