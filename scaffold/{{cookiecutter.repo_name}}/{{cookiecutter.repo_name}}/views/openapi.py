"""The API described: OpenAPI 3.1 at /api/openapi.json, derived from the
views that declare their model (``mongodb_model=Item``) and from the model
itself, and a page that lists every operation at /api/docs, drawn here from
the same document: no script, nothing fetched from elsewhere, so it works
offline and under the site's Content-Security-Policy."""

from importlib.metadata import PackageNotFoundError, version

from pyramid.response import FileResponse
from pyramid.view import view_config

from pyramid_mongo.models.openapi import openapi_document, operations

from .. import PROJECT

DOCS = "{{ cookiecutter.repo_name }}:templates/api_docs.{{ cookiecutter.__template_extension }}"
_DOCUMENT = "{{ cookiecutter.repo_name }}.openapi"


def document(request):
    """Built once: the routes and models do not change while the app runs."""
    if _DOCUMENT not in request.registry:
        try:
            release = version("{{ cookiecutter.repo_name }}")
        except PackageNotFoundError:  # run from its folder, not installed
            release = "0.0"
        request.registry[_DOCUMENT] = openapi_document(request.registry, PROJECT, release)
    return request.registry[_DOCUMENT]


@view_config(route_name="api.openapi", request_method="GET", renderer="json")
def openapi(request):
    return document(request)


@view_config(route_name="api.docs", request_method="GET", renderer=DOCS)
def docs(request):
    return {"operations": operations(document(request))}


@view_config(route_name="favicon", request_method="GET")
def favicon(request):
    """Browsers ask for /favicon.ico whatever the page's <link> says."""
    path = f"{__file__.rsplit('/views/', 1)[0]}/static/favicon.ico"
    return FileResponse(path, request=request, content_type="image/x-icon", cache_max_age=86400)
