"""``mongodb.<option>`` keys under a URL's rules, conflicts named by the keys
that carry them, and no secret of any option on any surface."""

import logging
import re

import pytest
from pyramid.config import Configurator
from pyramid.exceptions import ConfigurationError
from webtest import TestApp

from pyramid_mongo import get_client, get_connection
from pyramid_mongo.pshell import setup as pshell_setup

LOCAL = {"REMOTE_ADDR": "127.0.0.1"}
PLAIN = "mongodb://localhost/shop"
SRV = "mongodb+srv://cluster0.example.com/shop"


def refusal(url: str, **keys: str) -> str:
    settings = {"mongodb.url": url, **{f"mongodb.{name}": v for name, v in keys.items()}}
    with pytest.raises(ConfigurationError) as info, Configurator(settings=settings) as config:
        config.include("pyramid_mongo")
    return str(info.value)


# Settings PyMongo refuses together, and the keys (and URL options) the error
# must name: (url, keys, named at the start of the message).
CONFLICTS = [
    (PLAIN, {"tls": "true", "ssl": "false"}, ["mongodb.tls", "mongodb.ssl"]),
    (
        PLAIN,
        {"tlsInsecure": "true", "tlsAllowInvalidCertificates": "true"},
        ["mongodb.tlsInsecure", "mongodb.tlsAllowInvalidCertificates"],
    ),
    (
        PLAIN,
        {"tlsInsecure": "true", "tlsAllowInvalidHostnames": "true"},
        ["mongodb.tlsInsecure", "mongodb.tlsAllowInvalidHostnames"],
    ),
    (
        PLAIN,
        {"loadBalanced": "true", "replicaSet": "rs0"},
        ["mongodb.loadBalanced", "mongodb.replicaSet"],
    ),
    (
        PLAIN,
        {"loadBalanced": "true", "directConnection": "true"},
        ["mongodb.loadBalanced", "mongodb.directConnection"],
    ),
    (
        PLAIN + "?tlsInsecure=true",
        {"tlsAllowInvalidCertificates": "true"},
        ["mongodb.url option tlsInsecure", "mongodb.tlsAllowInvalidCertificates"],
    ),
    (
        "mongodb://a,b/shop",
        {"directConnection": "true"},
        ["mongodb.directConnection"],
    ),
    (
        PLAIN + "?authMechanismProperties=ENVIRONMENT:azure",
        {"authMechanism": "MONGODB-OIDC"},
        ["mongodb.authMechanism"],
    ),
    # Only PyMongo's SRV look-up would refuse these; start-up says so first.
    (SRV, {"srvMaxHosts": "2", "replicaSet": "rs0"}, ["mongodb.srvMaxHosts", "mongodb.replicaSet"]),
    (
        SRV + "?loadBalanced=true",
        {"srvMaxHosts": "2"},
        ["mongodb.url option loadBalanced", "mongodb.srvMaxHosts"],
    ),
]
# One key PyMongo refuses where a URL would carry it: (key, value).
LIKE_IN_A_URL = [
    ("authSource", ""),
    ("srvServiceName", "custom"),
    ("srvMaxHosts", "2"),
    ("maxPoolSize", ""),
]


@pytest.mark.usefixtures("clean_env")
class TestKeysUnderTheRulesOfAURL:
    @pytest.mark.parametrize(("url", "keys", "named"), CONFLICTS)
    def test_a_conflict_names_each_key(self, url, keys, named):
        message = refusal(url, **keys)
        assert message.startswith(" and ".join(named) + " cannot be used together: ") or (
            len(named) == 1 and message.startswith(named[0] + ": ")
        ), message

    @pytest.mark.parametrize(("name", "value"), LIKE_IN_A_URL)
    def test_a_key_is_refused_where_a_url_would_be(self, name, value):
        assert refusal(PLAIN, **{name: value}).startswith(f"mongodb.{name}: ")
        with pytest.raises(ConfigurationError):
            Configurator(settings={"mongodb.url": f"{PLAIN}?{name}={value}"}).include(
                "pyramid_mongo"
            )

    def test_srv_options_are_taken_with_an_srv_url(self):
        """The SRV-only key reaches the client beside an SRV URL (which is
        not resolved at start-up), and is refused beside a plain one."""
        settings = {"mongodb.url": SRV, "mongodb.srvServiceName": "custom"}
        with Configurator(settings=settings) as config:
            config.include("pyramid_mongo")
            config.make_wsgi_app()  # builds the first client: no DNS look-up yet
        connection = get_connection(config.registry)
        try:
            assert connection.settings.client_options["srvServiceName"] == "custom"
            assert connection.client is get_connection(config.registry).client
        finally:
            connection.close()
        plain = {"mongodb.url": PLAIN, "mongodb.srvServiceName": "custom"}
        with pytest.raises(ConfigurationError) as info:
            Configurator(settings=plain).include("pyramid_mongo")
        assert str(info.value).startswith("mongodb.srvServiceName: ")


# Every option that carries a credential, each with a planted secret; the
# settings PyMongo takes without a server that checks them.
PLANTED = "planted-s3cret"
SECRET_BEARING = [
    {"mongodb.url": f"mongodb://127.0.0.1:1/shop?tlsCertificateKeyFilePassword={PLANTED}"},
    {"mongodb.url": "mongodb://127.0.0.1:1/shop", "mongodb.tlsCertificateKeyFilePassword": PLANTED},
    {
        "mongodb.url": "mongodb://127.0.0.1:1/shop?authMechanism=MONGODB-AWS"
        f"&authMechanismProperties=AWS_SESSION_TOKEN:{PLANTED}"
    },
    {
        "mongodb.url": "mongodb://127.0.0.1:1/shop?authMechanism=MONGODB-AWS",
        "mongodb.authMechanismProperties": f"AWS_SESSION_TOKEN:{PLANTED}",
    },
    {
        "mongodb.url": "mongodb://127.0.0.1:1/shop",
        "mongodb.username": "app",
        "mongodb.password": PLANTED,
    },
    {"mongodb.url": f"mongodb://app:{PLANTED}@127.0.0.1:1/shop"},
]


@pytest.mark.usefixtures("clean_env")
class TestNoSecretOfAnyOption:
    @pytest.mark.slow
    @pytest.mark.parametrize("settings", SECRET_BEARING)
    def test_on_every_surface(self, settings, caplog):
        caplog.set_level(logging.DEBUG)
        settings = {
            **settings,
            "pyramid.includes": "pyramid_debugtoolbar",
            "mongodb.health_route": "/healthz",
            "mongodb.health_timeout": "0.2",
            "mongodb.serverSelectionTimeoutMS": "200",
        }
        with Configurator(settings=settings) as config:
            config.include("pyramid_mongo")
            config.include("tests.views_under_test")
        app = TestApp(config.make_wsgi_app(), extra_environ=LOCAL)
        try:
            page = app.get("/tagged", {"tag": "x"}, status=503)  # a page of the app's
            request_id = re.search(r"/_debug_toolbar/([0-9a-f]+)", page.text).group(1)
            toolbar = app.get(f"/_debug_toolbar/{request_id}").text
            assert "mongodb.url" in toolbar  # the Settings panel is there
            shell: dict = {"registry": app.app.registry}
            pshell_setup(shell)
            connection = get_connection(app.app.registry)
            surfaces = [
                caplog.text,
                page.text,
                toolbar,
                app.get("/healthz", status=503).text,
                repr(dict(app.app.registry.settings)),
                repr(connection),
                repr(connection.settings),
                repr(get_client(app.app.registry)),
                repr(shell),
            ]
            for surface in surfaces:
                assert PLANTED not in surface
        finally:
            get_connection(app.app.registry).close()

    @pytest.mark.parametrize("settings", SECRET_BEARING)
    def test_in_a_refusal(self, settings):
        # Each secret beside an option PyMongo refuses: the message names the
        # refused one and shows no secret.
        with pytest.raises(ConfigurationError) as info:
            Configurator(settings={**settings, "mongodb.maxPoolSize": "-1"}).include(
                "pyramid_mongo"
            )
        assert str(info.value).startswith("mongodb.maxPoolSize: ")
        url = settings["mongodb.url"]
        more = "&" if "?" in url else "?"
        for refused in (
            {"mongodb.tls": "true", "mongodb.ssl": "false"},
            {"mongodb.url": f"{url}{more}w=1&w=2"},
            {"mongodb.url": f"{url}{more}x=1"},
            {"mongodb.url": url.replace(":1/", ":99999/")},
        ):
            with pytest.raises(ConfigurationError) as info:
                Configurator(settings={**settings, **refused}).include("pyramid_mongo")
            assert PLANTED not in str(info.value)

    def test_the_client_still_gets_the_real_values(self):
        settings = SECRET_BEARING[3]
        with Configurator(settings=settings) as config:
            config.include("pyramid_mongo")
        client = get_client(config.registry)
        try:
            credentials = client.options.pool_options._credentials
            assert credentials.mechanism_properties.aws_session_token == PLANTED
        finally:
            client.close()
