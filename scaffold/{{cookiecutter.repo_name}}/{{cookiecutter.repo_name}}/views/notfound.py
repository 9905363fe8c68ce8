from pyramid.httpexceptions import HTTPNotFound
from pyramid.view import notfound_view_config

from pyramid_mongo import error_response

NOT_FOUND = "There is nothing at this address."


@notfound_view_config()
def notfound_view(request):
    """The 404 page (templates/404, named in __init__.py) for people; JSON
    for the API, for a request that sent JSON, and for clients that prefer it."""
    return error_response(request, HTTPNotFound, NOT_FOUND)
