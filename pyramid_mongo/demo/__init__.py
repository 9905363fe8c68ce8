"""The demo application of the repository's development.ini and production.ini.

It is small on purpose and uses each feature of pyramid_mongo once, so that
``make serve`` shows them working on the development server.
"""

from pyramid.config import Configurator
from pyramid.router import Router


def main(global_config: dict[str, str], **settings: str) -> Router:
    with Configurator(settings=settings) as config:
        config.include("pyramid_jinja2")
        config.include("pyramid_mongo")
        config.include("pyramid_mongo.http")
        config.add_static_view("static", "static", cache_max_age=3600)
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
