"""The demo application of the repository's development.ini and production.ini.

It is small on purpose and uses each feature of pyramid_mongo once, so that
``make serve`` shows them working on the development server.
"""

from pathlib import Path

from pyramid.config import Configurator
from pyramid.request import Request
from pyramid.response import FileResponse, Response
from pyramid.router import Router

FAVICON = Path(__file__).parent / "static" / "favicon.svg"


def favicon(request: Request) -> Response:
    return FileResponse(str(FAVICON), request=request, content_type="image/svg+xml")


def main(global_config: dict[str, str], **settings: str) -> Router:
    with Configurator(settings=settings) as config:
        config.include("pyramid_jinja2")
        config.include("pyramid_mongo")
        config.include("pyramid_mongo.http")
        # Every error page the demo does not make itself shares its layout.
        config.add_error_page("pyramid_mongo.demo:templates/error.jinja2")
        config.add_static_view("static", "static", cache_max_age=3600)
        config.add_route("favicon", "/favicon.ico")
        config.add_view(favicon, route_name="favicon")
        config.add_route("home", "/")
        config.add_route("hits", "/hits.json")
        config.add_route("items", "/items")
        config.add_route("item", "/items/{id}", objectid="id")
        config.add_route("files", "/files")
        config.add_route("file", "/files/{name}")
        config.add_route("accounts", "/accounts")
        config.add_route("transfers", "/transfers")
        # Visits expire after 30 days: what grows with traffic must not grow for ever.
        config.add_mongo_index("page_hits", [("timestamp", 1)], expireAfterSeconds=30 * 86400)
        config.add_mongo_index("items", [("name", 1)], unique=True)
        config.scan(".views")
    return config.make_wsgi_app()
