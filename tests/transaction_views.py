"""Views of tests/test_transactions.py: writes that must be all or nothing."""

from concurrent.futures import ThreadPoolExecutor

from pyramid.config import Configurator
from pyramid.httpexceptions import HTTPBadRequest
from pyramid.response import Response

from pyramid_mongo import outside_transaction
from tests.views_under_test import add_views

OUTSIDE = "tests.outside_client"
PAIR = "tests.pair_barrier"


def write_two(request):
    request.db.accounts.insert_many([{"_id": "alice", "n": 1}, {"_id": "bob", "n": 1}])
    return Response("written")


def write_then_fail(request):
    request.db.accounts.insert_one({"_id": "carol", "n": 1})
    raise ValueError("after the write")


def write_then_refuse(request):
    request.db.accounts.insert_one({"_id": "dave", "n": 1})
    raise HTTPBadRequest("after the write")


def read_own_write(request):
    request.db.accounts.insert_one({"_id": "erin", "n": 1})
    mine = request.db.accounts.find_one({"_id": "erin"})
    # Another client, in another thread (the request's session is bound to
    # this one), must not see the write before the commit.
    outside = request.registry.settings[OUTSIDE]
    with ThreadPoolExecutor(1) as pool:
        seen_outside = pool.submit(
            lambda: outside.pyramid_mongo_test.accounts.find_one({"_id": "erin"})
        ).result()
    return Response(f"mine={mine is not None} outside={seen_outside is not None}")


def read_modify_write(request):
    """Loses updates without a transaction: read, add one in Python, write back."""
    counter = request.db.counters.find_one({"_id": "c"}) or {"value": 0}
    request.db.counters.replace_one({"_id": "c"}, {"value": counter["value"] + 1}, upsert=True)
    return Response(str(counter["value"] + 1))


def read_wait_write(request):
    """read_modify_write with both requests of a pair reading before either writes."""
    first_run = not request.environ.get("retry.attempt") and not request.__dict__.get("ran")
    request.__dict__["ran"] = True
    counter = request.db.counters.find_one({"_id": "c"}) or {"value": 0}
    if first_run:  # a view run again runs alone
        request.registry.settings[PAIR].wait(timeout=10)
    request.db.counters.replace_one({"_id": "c"}, {"value": counter["value"] + 1}, upsert=True)
    return Response(str(counter["value"] + 1))


def read_part(request):
    """A cursor left open mid-way: it must close before the commit ends its session."""
    cursor = request.db.accounts.find().batch_size(2)
    request.kept_cursor = cursor  # alive when the commit comes
    return Response(next(cursor)["_id"])


def nothing(request):
    return Response("no database")


def outside_first(request):
    """The request's first request.db inside outside_transaction: that write is
    the block's, kept whatever happens; the one after it is the request's."""
    with outside_transaction(request.mongo_client):
        request.db.accounts.insert_one({"_id": "outside"})
    request.db.accounts.insert_one({"_id": "inside"})
    if "fail" in request.params:
        raise ValueError("after the block")
    return Response(repr(request.db.accounts.find_one({"_id": "inside"})))


def includeme(config: Configurator) -> None:
    views = [write_two, write_then_fail, write_then_refuse, read_own_write]
    views += [read_modify_write, read_wait_write, read_part, nothing, outside_first]
    add_views(config, "tx", {view.__name__: view for view in views})
    # The same views, each in a transaction of its own asking.
    add_views(config, "atomic", {view.__name__: view for view in views}, mongodb_transaction=True)
