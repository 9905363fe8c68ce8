"""Views that use request.db the ways real applications do, good and bad."""

from pymongo import monitoring
from pyramid.config import Configurator
from pyramid.httpexceptions import HTTPNoContent
from pyramid.response import Response

# Cursors a careless view keeps beyond its request, as a cache or a global would.
kept_cursors: list = []


class Boom(Exception):
    """An application error with an exception view of its own."""


class CommandCounter(monitoring.CommandListener):
    """Counts the commands the application's client sends."""

    def __init__(self) -> None:
        self.commands: list[str] = []
        self.connections: set[object] = set()  # (server address, connection id)

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        self.commands.append(event.command_name)
        self.connections.add((event.connection_id, event.server_connection_id))

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


def seed(request):
    count = int(request.params.get("count", 50))
    request.db.items.insert_many([{"n": n} for n in range(count)])
    return HTTPNoContent()


def keep_cursors(request):
    """Opens one cursor of each kind, reads one batch of each, keeps them all."""
    items = request.db.items
    cursors = [
        items.find().batch_size(2),
        items.aggregate([{"$match": {}}], batchSize=2),
        items.with_options().find().batch_size(2),
        request.db.get_collection("items").find().batch_size(2),
        request.db["items"].find().batch_size(2),
        request.db.with_options().items.find().batch_size(2),
        request.db.aggregate([{"$documents": [{"n": n} for n in range(5)]}], batchSize=2),
    ]
    for cursor in cursors:
        next(cursor)
    kept_cursors.extend(cursors)
    open_on_server = sum(1 for cursor in cursors if cursor.cursor_id)
    return Response(f"{open_on_server} cursors open")


def one_of_each(request):
    """The common operations, and every tenth request a cursor it keeps open."""
    n = int(request.params["n"])
    items = request.db.items
    if n % 10 == 0:
        cursor = items.find().batch_size(2)
        next(cursor)
        kept_cursors.append(cursor)
    elif n % 3 == 0:
        list(items.aggregate([{"$match": {"n": n % 50}}, {"$limit": 1}]))
    else:
        items.find_one({"n": n % 50})
    return Response("ok")


def keep_in_analytics(request):
    cursor = request.get_db("analytics").events.find().batch_size(2)
    next(cursor)
    kept_cursors.append(cursor)
    return Response(f"{request.get_db('analytics').name} cursor open: {bool(cursor.cursor_id)}")


def keep_then_fail(request):
    keep_cursors(request)
    raise Boom


def keep_then_crash(request):
    keep_cursors(request)
    raise RuntimeError("a bug")


def boom_view(exc, request):
    return Response("handled", status=418)


def stream(request):
    """A body read from the cursor while the server sends it."""
    cursor = request.db.items.find({}, {"_id": 0}).sort("n", 1).batch_size(3)
    kept_cursors.append(cursor)
    request.response.content_type = "text/plain"
    request.response.app_iter = (f"{doc['n']}\n".encode() for doc in cursor)
    return request.response


def no_db(request):
    return Response("no database here")


def count(request):
    return Response(str(request.db.items.count_documents({})))


def show_item(request):
    """A document by the ObjectId of its URL, or 404."""
    return request.db.items.find_one_or_404({"_id": request.matchdict["id"]})


def show_item_with_helper(request):
    from pyramid_mongo import find_one_or_404

    return find_one_or_404(request.db.items, {"_id": request.matchdict["id"]})


def upload(request):
    from pyramid_mongo import save_upload

    max_size = request.GET.get("max_size")  # the query string: the body is save_upload's
    file_id = save_upload(request, max_size=int(max_size) if max_size else None)
    return Response(str(file_id), status=201)


def download_by_name(request):
    from pyramid_mongo import file_response

    revision = int(request.params.get("revision", -1))
    return file_response(request, request.matchdict["name"], revision=revision)


def download_by_id(request):
    from pyramid_mongo import file_response

    return file_response(request, file_id=request.matchdict["id"], attachment=True)


def tagged(request):
    """An HTML page (the toolbar shows itself only on those) from one find_one."""
    tag = request.params["tag"]
    found = request.db.items.find_one({"tag": tag})
    request.db.items.insert_one({"tag": tag})
    return Response(f"<html><body>{tag}: {found is not None}</body></html>")


def add_views(config: Configurator, prefix: str, views: dict, **options) -> None:
    """Each view at /<prefix>/<name>, its route named <prefix>.<name>."""
    for name, view in views.items():
        route = f"{prefix}.{name}" if prefix else name
        config.add_route(route, f"/{prefix}/{name}" if prefix else f"/{name}")
        config.add_view(view, route_name=route, **options)


def includeme(config: Configurator) -> None:
    add_views(
        config,
        "",
        {
            "seed": seed,
            "keep": keep_cursors,
            "one_of_each": one_of_each,
            "keep_in_analytics": keep_in_analytics,
            "keep_then_fail": keep_then_fail,
            "keep_then_crash": keep_then_crash,
            "stream": stream,
            "no_db": no_db,
            "count": count,
            "tagged": tagged,
        },
    )
    config.add_exception_view(boom_view, context=Boom)
    config.add_route("upload", "/files", request_method="POST")
    config.add_view(upload, route_name="upload")
    config.add_route("file_by_id", "/files/id/{id}", objectid="id")
    config.add_view(download_by_id, route_name="file_by_id")
    config.add_route("file_by_name", "/files/{name}")
    config.add_view(download_by_name, route_name="file_by_name")
    config.add_route("item", "/items/{id}", objectid="id")
    config.add_view(show_item, route_name="item", renderer="json")
    config.add_route("item_ext", "/items/{id}/extended", objectid="id")
    config.add_view(show_item_with_helper, route_name="item_ext", renderer="extended_json")
