from pyramid.httpexceptions import HTTPNotFound
from pyramid.view import notfound_view_config

from pyramid_mongo import error_response


@notfound_view_config(
    accept="text/html",
    renderer="{{ cookiecutter.repo_name }}:templates/404.{{ cookiecutter.__template_extension }}",
)
def notfound_view(request):
    request.response.status = 404
    return {}


@notfound_view_config()
def notfound_json(request):
    """Clients that prefer JSON (the API's) get JSON; pages get the page above."""
    return error_response(request, HTTPNotFound, "There is nothing at this address.")
