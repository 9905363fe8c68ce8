from pyramid.exceptions import BadCSRFToken
from pyramid.httpexceptions import HTTPBadRequest, HTTPNotFound
from pyramid.view import exception_view_config, notfound_view_config

from pyramid_mongo import error_response
from pyramid_mongo.errors import prefers_json

NOT_FOUND = "There is nothing at this address."
STALE_FORM = (
    "The form was sent without its token, or with an old one: reload the page and send it again."
)


@notfound_view_config(
    renderer="{{ cookiecutter.repo_name }}:templates/404.{{ cookiecutter.__template_extension }}",
)
def notfound_view(request):
    """A page for people; JSON for the API, for a request that sent JSON, and
    for clients that prefer it (pyramid_mongo's one rule, prefers_json)."""
    if prefers_json(request):
        return error_response(request, HTTPNotFound, NOT_FOUND)
    request.response.status = 404
    return {"message": NOT_FOUND}


@exception_view_config(
    BadCSRFToken,
    renderer="{{ cookiecutter.repo_name }}:templates/400.{{ cookiecutter.__template_extension }}",
)
def stale_form(exc, request):
    """A form without its CSRF token, or with one from before a login."""
    if prefers_json(request):
        return error_response(request, HTTPBadRequest, STALE_FORM)
    request.response.status = 400
    return {"message": STALE_FORM}
