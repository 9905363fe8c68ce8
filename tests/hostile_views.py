"""Views of tests/test_hostile_input.py: each reads or writes what a client sent."""

from pyramid.config import Configurator
from pyramid.response import Response

from pyramid_mongo import form_text, json_body
from tests.views_under_test import add_views


def store_json(request):
    request.db.received.insert_one({"body": json_body(request)})
    return Response("stored", status=201)


def store_field(request):
    request.db.received.insert_one({"name": form_text(request, "name", max_length=50)})
    return Response("stored", status=201)


def echo_query(request):
    return Response(", ".join(request.params.values()), content_type="text/html")


def echo_cookie(request):
    return Response(", ".join(request.cookies.values()))


def validated(request):
    request.db.validated.insert_one({"n": request.params.get("n")})
    return Response("stored", status=201)


def twice(request):
    request.db.received.insert_one({"_id": "once"})
    request.db.received.insert_one({"_id": "once"})
    return Response("stored twice?")


def overflow(request):
    request.db.counters.update_one({"_id": "big"}, {"$set": {"n": 2**63 - 1}}, upsert=True)
    request.db.counters.update_one({"_id": "big"}, {"$inc": {"n": 1}})
    return Response("overflowed?")


def bug(request):
    b"\xff".decode("utf-8")  # a bug of the view's, not the client's text


def includeme(config: Configurator) -> None:
    views = [store_json, store_field, echo_query, echo_cookie, validated, twice, overflow, bug]
    add_views(config, "hostile", {view.__name__: view for view in views}, require_csrf=False)
