import logging

from pymongo.errors import ConnectionFailure
from pyramid.view import exception_view_config

log = logging.getLogger(__name__)


@exception_view_config(
    ConnectionFailure,
    accept="text/html",
    renderer="{{ cookiecutter.repo_name }}:templates/503.{{ cookiecutter.__template_extension }}",
)
def database_unavailable(exc, request):
    """The page people see while MongoDB cannot be reached.

    Clients that ask for JSON get pyramid_mongo's own JSON answer instead.
    """
    log.warning("MongoDB unavailable during %s %s: %s", request.method, request.path, type(exc).__name__)
    request.response.status = 503
    request.response.headers["Retry-After"] = "30"
    return {}
