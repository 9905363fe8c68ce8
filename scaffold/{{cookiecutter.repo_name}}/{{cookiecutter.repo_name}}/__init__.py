from pyramid.config import Configurator
{%- if not cookiecutter.auth %}
from pyramid.csrf import CookieCSRFStoragePolicy
{%- endif %}

from .models import Item

PROJECT = {{ cookiecutter.project_name | jsonify }}
PAGES = "{{ cookiecutter.repo_name }}:templates"
EXTENSION = "{{ cookiecutter.__template_extension }}"
VISITS_KEPT = 30 * 24 * 3600  # seconds
{%- if cookiecutter.template_language == "jinja2" %}


def day(moment):
    """The templates' filter for a time's date (the lists show it): a filter
    costs Jinja2 less than a method call in each row."""
    return moment.date()
{%- endif %}


def main(global_config, **settings):
    """This function returns a Pyramid WSGI application."""
    with Configurator(settings=settings) as config:
        config.include("pyramid_{{ cookiecutter.template_language }}")
{%- if cookiecutter.template_language == "jinja2" %}
        # Once pyramid_jinja2 has made its environment (an action of order 0).
        config.action(None, lambda: config.get_jinja2_environment().filters.update(day=day), order=1)
{%- endif %}
{%- if cookiecutter.transactions %}
        # A request's writes are one MongoDB transaction (mongodb.transactions),
        # and a request that meets a conflict runs again, as in Pyramid's SQL
        # starter. The counters' one $inc runs outside it: atomic on its own.
        config.include("pyramid_tm")
        config.include("pyramid_retry")
{%- endif %}
        config.include("pyramid_mongo")
        # Answers in the client's kind for a stale CSRF token or text that is
        # not UTF-8, and the pages every error gets: this project's own.
        config.include("pyramid_mongo.http")
        # mongodb_model=Item on a view: the API's OpenAPI description (views/openapi.py).
        config.include("pyramid_mongo.models.openapi")
        config.add_error_page(f"{PAGES}/error.{EXTENSION}")
        config.add_error_page(f"{PAGES}/404.{EXTENSION}", status=404)
        config.add_error_page(f"{PAGES}/503.{EXTENSION}", status=503)
        config.include(".routes")
{%- if cookiecutter.auth %}
        config.include(".security")
{%- else %}
        # The item forms' CSRF token, in a cookie of its own: no sessions here.
        config.set_csrf_storage_policy(CookieCSRFStoragePolicy(secure=False))
        config.set_default_csrf_options(require_csrf=True)
{%- endif %}
        # The name in every page's header.
        config.add_request_method(lambda request: PROJECT, "project_name", property=True)
        # Created by `pyramid-mongo-indexes development.ini`, or at start-up
        # with mongodb.create_indexes = true (development.ini does).
        # The collection's $jsonSchema validator and indexes, from the model
        # that also checks the API's requests (models.py).
        config.add_mongo_model("items", Item)
        # Visits expire after 30 days: a collection that grows with traffic
        # must not grow for ever.
        config.add_mongo_index("page_hits", [("timestamp", 1)], expireAfterSeconds=VISITS_KEPT)
        config.scan()
    return config.make_wsgi_app()
