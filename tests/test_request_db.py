"""request.db and request.mongo_client: one shared client, a Database per request."""

import pytest
from pymongo import MongoClient
from pymongo.database import Database
from pyramid.paster import bootstrap
from pyramid.scripting import prepare
from webtest import TestApp

from pyramid_mongo import get_client, get_db
from tests.conftest import TEST_DB
from tests.views_under_test import CommandCounter

COUNTER = "tests.views_under_test.CommandCounter"


def counter_of(app) -> CommandCounter:
    (counter,) = get_client(app.registry).options.event_listeners
    return counter


def test_request_db_is_a_pymongo_database_on_the_shared_client(build_app):
    app = build_app()
    with prepare(registry=app.registry) as first, prepare(registry=app.registry) as second:
        db = first["request"].db
        assert isinstance(db, Database)
        assert db.name == TEST_DB
        assert first["request"].db is db  # reified: one per request
        assert second["request"].db is not db
        assert second["request"].mongo_client is first["request"].mongo_client
        assert first["request"].mongo_client is get_client(app.registry)


def test_every_request_goes_through_one_client_and_its_pool(build_app, mongodb_client):
    """Twenty requests, one after another: one client object, and the
    commands travel over the same pooled connection, where a client per
    request would open a connection (and a server-side id) for each."""
    app = TestApp(build_app(**{"mongodb.event_listeners": COUNTER}))
    app.post("/seed", {"count": "3"}, status=204)
    counter = counter_of(app.app)
    counter.connections.clear()
    before = mongodb_client.admin.command("serverStatus")["connections"]["totalCreated"]
    for _ in range(20):
        assert app.get("/count").text == "3"
    assert counter.commands.count("aggregate") == 20
    assert len(counter.connections) == 1, counter.connections
    created = mongodb_client.admin.command("serverStatus")["connections"]["totalCreated"]
    assert created - before < 5  # our own serverStatus calls, and monitors at most


def test_a_request_that_never_touches_the_database_sends_nothing(build_app):
    app = TestApp(build_app(**{"mongodb.event_listeners": COUNTER}))
    for _ in range(5):
        assert app.get("/no_db").text == "no database here"
    assert counter_of(app.app).commands == []


def test_the_writes_of_a_view_reach_the_server(views_app, mongodb_client):
    views_app.post("/seed", {"count": "4"}, status=204)
    assert mongodb_client[TEST_DB].items.count_documents({}) == 4


def test_tests_can_inject_a_client_of_their_own(build_app, mongodb_url):
    made = []

    def factory(url, **options):
        client = MongoClient(url, **options)
        made.append(client)
        return client

    app = build_app(**{"mongodb.client_factory": factory, "mongodb.db_name": "injected"})
    assert made == [get_client(app.registry)]
    assert get_db(app.registry).name == "injected"


def test_a_dummy_request_can_be_given_any_database(dummy_request, mongodb_client):
    dummy_request.db = mongodb_client["elsewhere"]
    assert dummy_request.db.name == "elsewhere"


def test_the_fixtures_requests_have_request_db(dummy_request, app_request):
    assert dummy_request.db.name == app_request.db.name == "pyramid_mongo_demo_test"
    dummy_request.db.things.insert_one({"x": 1})
    assert app_request.db.things.count_documents({}) == 1


def test_scripts_reach_the_same_client_and_database(ini_file, mongodb_url, clean_env):
    clean_env.setenv("MONGODB_URL", mongodb_url)
    with bootstrap(ini_file) as env:
        registry = env["registry"]
        assert get_db(registry).name == "pyramid_mongo_demo_test"
        assert env["request"].mongo_client is get_client(registry)
        assert get_db(registry).command("ping")["ok"] == 1
        get_client(registry).close()


@pytest.mark.parametrize("accessor", [get_client, get_db])
def test_an_app_without_pyramid_mongo_says_so(accessor):
    from pyramid.config import Configurator

    with Configurator() as config:
        app = config.make_wsgi_app()
    with pytest.raises(LookupError, match="pyramid_mongo is not included"):
        accessor(app.registry)


def test_named_databases_share_the_client_and_the_cursor_clean_up(build_app, mongodb_client):
    from tests.conftest import open_cursor_count

    mongodb_client.analytics.events.insert_many([{"n": n} for n in range(10)])
    app = build_app(**{"mongodb.databases": "analytics logs"})
    with prepare(registry=app.registry) as env:
        request = env["request"]
        assert request.get_db("analytics").name == "analytics"
        assert request.get_db("analytics") is request.get_db("analytics")
        assert request.get_db() is request.db
        assert request.get_db("logs").client is request.db.client
        with pytest.raises(LookupError, match=r"'elsewhere' is neither mongodb\.db_name nor"):
            request.get_db("elsewhere")
    assert get_db(app.registry, "logs").name == "logs"

    before = open_cursor_count(mongodb_client)
    assert TestApp(app).get("/keep_in_analytics").text == "analytics cursor open: True"
    assert open_cursor_count(mongodb_client) == before
    mongodb_client.drop_database("analytics")


def test_a_bad_name_in_databases_is_refused(build_app):
    from pyramid.exceptions import ConfigurationError

    with pytest.raises(ConfigurationError, match=r"^mongodb.databases: a MongoDB database name"):
        build_app(**{"mongodb.databases": "analytics bad.name"})
