from pymongo.errors import ConnectionFailure
from pyramid.view import exception_view_config

from pyramid_mongo.errors import prefers_json
from pyramid_mongo.outage import RETRY_AFTER_SECONDS, database_unavailable as as_json, note_outage


@exception_view_config(
    ConnectionFailure,
    renderer="{{ cookiecutter.repo_name }}:templates/503.{{ cookiecutter.__template_extension }}",
)
def database_unavailable(exc, request):
    """The page people see while MongoDB cannot be reached; JSON where JSON
    is wanted (pyramid_mongo's own answer)."""
    if prefers_json(request):
        return as_json(exc, request)
    note_outage(exc, request)
    request.mongodb_unavailable = True  # the layout shows no account: it is in MongoDB
    request.response.status = 503
    request.response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return {}
