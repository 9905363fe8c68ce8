"""Views of tests/test_sessions.py."""

from pyramid.config import Configurator
from pyramid.response import Response

from tests.views_under_test import add_views


def put(request):
    for key, value in request.params.items():
        request.session[key] = value
    return Response("stored")


def show(request):
    return Response(repr(sorted(request.session.items())))


def nothing(request):
    return Response("no session")


def logout(request):
    request.session.invalidate()
    return Response("gone")


def login(request):
    request.session.rotate()
    request.session["user"] = request.params["user"]
    return Response("rotated")


def flash(request):
    request.session.flash(request.params["message"])
    return Response("flashed")


def messages(request):
    return Response(repr(request.session.pop_flash()))


def unchanged(request):
    """Calls that leave the data as it was: none may cost a write."""
    session = request.session
    session.pop("absent", None)
    session.setdefault("colour", "red")  # stored already, as text
    session.update({})
    session.flash("hello", allow_duplicate=False)  # flashed already
    session.pop_flash("empty queue")
    return Response("unchanged")


def drop(request):
    request.session.pop(request.params["key"], None)
    return Response("dropped")


def guarded(request):
    return Response("accepted")


def csrf_token(request):
    return Response(request.session.get_csrf_token())


def includeme(config: Configurator) -> None:
    views = [put, show, nothing, logout, login, flash, messages, csrf_token, unchanged, drop]
    add_views(config, "session", {view.__name__: view for view in views}, require_csrf=False)
    config.add_route("session.guarded", "/session/guarded")
    config.add_view(guarded, route_name="session.guarded", request_method="POST")
