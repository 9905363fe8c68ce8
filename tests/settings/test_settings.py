"""Bad settings stop the app at start-up with the key at fault, and no password leaks."""

import logging

import pytest
from pymongo.database import Database
from pyramid.config import Configurator
from pyramid.exceptions import ConfigurationError

from pyramid_mongo import get_client, get_connection
from pyramid_mongo.settings import redact_url

SECRET = "s3cr3t-p4ss"
URL_WITH_PASSWORD = f"mongodb://alice:{SECRET}@127.0.0.1:1/shop"


def include(**settings):
    with Configurator(settings=settings) as config:
        config.include("pyramid_mongo")
        return config.make_wsgi_app()


def refused(**settings) -> str:
    with pytest.raises(ConfigurationError) as info:
        include(**settings)
    return str(info.value)


@pytest.mark.usefixtures("clean_env")
class TestRefusedAtStartUp:
    def test_a_missing_url(self):
        assert "mongodb.url is not set" in refused(**{"mongodb.db_name": "shop"})

    def test_a_url_of_another_scheme(self):
        message = refused(**{"mongodb.url": "postgresql://localhost/shop"})
        assert message.startswith("mongodb.url must start with mongodb://")

    def test_a_malformed_url(self):
        message = refused(**{"mongodb.url": "mongodb://localhost:notaport/shop"})
        assert message.startswith("mongodb.url: ")
        assert "Port" in message

    def test_an_unknown_option(self):
        message = refused(**{"mongodb.url": "mongodb://localhost/shop", "mongodb.colour": "red"})
        assert message.startswith("mongodb.colour: ")

    def test_an_option_value_pymongo_rejects(self):
        message = refused(
            **{"mongodb.url": "mongodb://localhost/shop", "mongodb.maxPoolSize": "many"}
        )
        assert message.startswith("mongodb.maxPoolSize: invalid value 'many'")

    def test_a_document_class_that_does_not_exist(self):
        message = refused(
            **{"mongodb.url": "mongodb://localhost/shop", "mongodb.document_class": "no.such"}
        )
        assert message.startswith("mongodb.document_class: ")

    @pytest.mark.parametrize("name", ["my.shop", "my shop", "shop$", "a/b", "x" * 64])
    def test_a_database_name_mongodb_forbids(self, name):
        message = refused(**{"mongodb.url": "mongodb://localhost/", "mongodb.db_name": name})
        assert message.startswith("mongodb.db_name: a MongoDB database name")

    def test_no_database_named_anywhere(self):
        message = refused(**{"mongodb.url": "mongodb://localhost:27017/"})
        assert message.startswith("mongodb.db_name is not set and mongodb.url names no database")

    def test_url_and_embedded_together(self):
        message = refused(**{"mongodb.url": "mongodb://localhost/shop", "mongodb.embedded": "1"})
        assert "both set" in message

    def test_a_driver_of_ones_own(self):
        message = refused(**{"mongodb.url": "mongodb://localhost/shop", "mongodb.driver": "x"})
        assert message.startswith("mongodb.driver: ")

    def test_a_bad_url_in_the_environment_names_the_variable(self, clean_env):
        clean_env.setenv("MONGODB_URL", "http://localhost/shop")
        assert refused(**{"mongodb.url": "mongodb://localhost/shop"}).startswith("MONGODB_URL ")


@pytest.mark.usefixtures("clean_env")
class TestPasswordsNeverShow:
    @pytest.mark.parametrize(
        "settings",
        [
            {"mongodb.url": URL_WITH_PASSWORD, "mongodb.db_name": "bad.name"},
            {"mongodb.url": URL_WITH_PASSWORD, "mongodb.authMechanism": "NOPE"},
            {"mongodb.url": URL_WITH_PASSWORD + "?replicaSet=", "mongodb.ssl": "maybe"},
            {"mongodb.url": f"mongodb://alice:{SECRET}@host:99999/shop"},
            {"mongodb.url": f"mongodb://alice:{SECRET}@/shop"},
        ],
    )
    def test_in_errors(self, settings):
        assert SECRET not in refused(**settings)

    def test_in_the_log_or_the_repr(self, caplog):
        caplog.set_level(logging.DEBUG, logger="pyramid_mongo")
        app = include(**{"mongodb.url": URL_WITH_PASSWORD})
        connection = get_connection(app.registry)
        assert "mongodb://alice:***@127.0.0.1:1/shop" in caplog.text
        assert SECRET not in caplog.text
        assert SECRET not in repr(connection)
        assert SECRET not in repr(get_client(app.registry))

    def test_redaction_keeps_everything_else(self):
        assert redact_url("mongodb+srv://bob:p%40ss@db.example.com/x?tls=true") == (
            "mongodb+srv://bob:***@db.example.com/x?tls=true"
        )
        assert redact_url("mongodb://bob@host/") == "mongodb://bob@host/"


@pytest.mark.usefixtures("clean_env")
class TestAccepted:
    def test_client_options_are_coerced_by_pymongo(self):
        app = include(
            **{
                "mongodb.url": "mongodb://localhost/shop",
                "mongodb.serverSelectionTimeoutMS": "2000",
                "mongodb.tz_aware": "true",
                "mongodb.appname": "shop",
                "mongodb.maxPoolSize": "7",
                "mongodb.document_class": "bson.son.SON",
            }
        )
        client = get_client(app.registry)
        assert client.options.server_selection_timeout == 2.0
        assert client.codec_options.tz_aware is True
        assert client.options.pool_options.max_pool_size == 7
        assert client.options.pool_options.metadata["application"] == {"name": "shop"}
        assert client.codec_options.document_class.__name__ == "SON"

    def test_the_client_names_pyramid_mongo_to_the_server(self):
        app = include(**{"mongodb.url": "mongodb://localhost/shop"})
        driver = get_client(app.registry).options.pool_options.metadata["driver"]
        assert "pyramid_mongo" in driver["name"]

    def test_the_database_named_in_the_url(self):
        app = include(**{"mongodb.url": "mongodb://localhost:27017/shop?retryWrites=true"})
        assert get_connection(app.registry).db_name == "shop"

    def test_db_name_wins_over_the_url(self):
        app = include(**{"mongodb.url": "mongodb://localhost/shop", "mongodb.db_name": "other"})
        assert get_connection(app.registry).db.name == "other"
        assert isinstance(get_connection(app.registry).db, Database)

    def test_a_request_waits_seconds_not_thirty_by_default(self):
        app = include(**{"mongodb.url": "mongodb://localhost/shop"})
        assert get_client(app.registry).options.server_selection_timeout == 5.0

    def test_the_url_can_set_the_timeout_itself(self):
        app = include(**{"mongodb.url": "mongodb://localhost/shop?serverSelectionTimeoutMS=700"})
        assert get_client(app.registry).options.server_selection_timeout == 0.7

    def test_mongodb_url_in_the_environment_wins_and_the_log_says_so(self, clean_env, caplog):
        caplog.set_level(logging.INFO, logger="pyramid_mongo")
        clean_env.setenv("MONGODB_URL", f"mongodb://ops:{SECRET}@127.0.0.1:1/fromenv")
        app = include(**{"mongodb.url": "mongodb://localhost/shop", "mongodb.embedded": "true"})
        assert get_connection(app.registry).db_name == "fromenv"
        assert "mongodb://ops:***@127.0.0.1:1/fromenv (from MONGODB_URL)" in caplog.text
        assert SECRET not in caplog.text

    def test_the_client_is_not_connected_at_start_up(self):
        # An unreachable server does not stop the application from starting.
        app = include(**{"mongodb.url": "mongodb://127.0.0.1:1/shop"})
        assert get_connection(app.registry).db_name == "shop"
