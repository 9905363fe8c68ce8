"""PyMongo is the judge: every URL it accepts gives the same client, as a URL
and as ``mongodb.<option>`` keys; every URL it refuses or warns about stops
start-up with the key named; and no password shows, whatever its characters."""

import logging
import re
import subprocess
import warnings
from urllib.parse import unquote_plus

import pytest
from pymongo import MongoClient, ReadPreference
from pyramid.config import Configurator
from pyramid.exceptions import ConfigurationError

from pyramid_mongo import get_client, get_connection
from pyramid_mongo.settings import verdicts

CORPUS = [
    "mongodb://localhost/shop",
    "mongodb://localhost:27017/shop",
    "mongodb://127.0.0.1:27018/shop?directConnection=true",
    "mongodb://db1.example.com,db2.example.com:27018,db3.example.com/shop?replicaSet=rs0",
    "mongodb://a:1,b:2,c:3/shop.items?replicaSet=rs0&readPreference=secondaryPreferred",
    "mongodb://[::1]:27017/shop",
    "mongodb://[::1]/shop?appname=ipv6",
    "mongodb://[2001:db8::1]:27017,[2001:db8::2]:27018/shop?replicaSet=rs",
    "mongodb://%2Ftmp%2Fmongodb-27017.sock/shop",
    "mongodb://app:secret@%2Fvar%2Frun%2Fmongodb.sock/shop?authSource=admin",
    "mongodb://alice:p%40ss%3Aw%2Frd@localhost/shop",
    "mongodb://alice:pa#ss@localhost/shop?serverSelectionTimeoutMS=1000",
    "mongodb://alice:p[a]ss@localhost/shop",
    "mongodb://alice:p%25ss@localhost/shop?authSource=admin",
    "mongodb://alice:x@localhost/shop?authMechanism=SCRAM-SHA-1",
    "mongodb://alice:x@localhost/shop?authMechanism=SCRAM-SHA-256&authSource=users",
    "mongodb://alice:x@ldap.example.com/shop?authMechanism=PLAIN&authSource=$external",
    "mongodb://alice%40EXAMPLE.COM@kdc.example.com/shop?authMechanism=GSSAPI"
    "&authMechanismProperties=SERVICE_NAME:other,CANONICALIZE_HOST_NAME:true",
    "mongodb://localhost/shop?tls=true&authMechanism=MONGODB-X509",
    "mongodb://localhost/shop?authMechanism=MONGODB-AWS",
    "mongodb://localhost/shop?authMechanism=MONGODB-OIDC"
    "&authMechanismProperties=ENVIRONMENT:azure,TOKEN_RESOURCE:api%3A%2F%2Fabc",
    "mongodb://localhost/shop?tls=true",
    "mongodb://localhost/shop?ssl=true",
    "mongodb://localhost/shop?tls=true&tlsInsecure=true",
    "mongodb://localhost/shop?tls=true&tlsAllowInvalidCertificates=true",
    "mongodb://localhost/shop?tls=true&tlsAllowInvalidHostnames=true",
    "mongodb://localhost/shop?tls=true&tlsDisableOCSPEndpointCheck=true",
    "mongodb://localhost/shop?readPreference=nearest&readPreferenceTags=dc:ny,rack:1"
    "&readPreferenceTags=dc:sf&readPreferenceTags=",
    "mongodb://a,b/shop?replicaSet=rs&readPreference=secondary&maxStalenessSeconds=120",
    "mongodb://localhost/shop?w=majority&wTimeoutMS=2500&journal=true",
    "mongodb://localhost/shop?w=2",
    "mongodb://localhost/shop?w=0",
    "mongodb://localhost/shop?readConcernLevel=majority",
    "mongodb://localhost/shop?compressors=zlib&zlibCompressionLevel=6",
    "mongodb://localhost/shop?maxPoolSize=7&minPoolSize=2&maxIdleTimeMS=30000&maxConnecting=3",
    "mongodb://localhost/shop?waitQueueTimeoutMS=100&maxPoolSize=0",
    "mongodb://localhost/shop?connectTimeoutMS=1500&socketTimeoutMS=4000",
    "mongodb://localhost/shop?heartbeatFrequencyMS=20000&localThresholdMS=30",
    "mongodb://localhost/shop?serverSelectionTimeoutMS=700",
    "mongodb://localhost/shop?timeoutMS=2000",
    "mongodb://localhost/shop?retryWrites=false&retryReads=false",
    "mongodb://localhost/shop?loadBalanced=true",
    "mongodb://localhost/shop?uuidRepresentation=standard&tz_aware=true",
    "mongodb://localhost/shop?datetime_conversion=DATETIME_AUTO",
    "mongodb://localhost/shop?unicode_decode_error_handler=replace",
    "mongodb://localhost/shop?appname=shop%20front",
    "mongodb://localhost/shop?serverMonitoringMode=poll",
    "mongodb://localhost?authSource=admin&replicaSet=rs",
    "mongodb://localhost/shop;w=1;journal=true",
    "mongodb+srv://alice:p%40ss@cluster0.example.com/shop?retryWrites=true&w=majority",
    "mongodb+srv://cluster0.example.com/shop?srvServiceName=custom&srvMaxHosts=2",
]

# Each refused URL, and how pyramid_mongo names what is at fault, in its own
# words: never by PyMongo's, which any release may change.
REFUSED = [
    ("mongodb://localhost/shop?unknownOpt=1", "option unknownOpt=1: "),
    ("mongodb://localhost/shop?maxPoolSize=-1", "option maxPoolSize=-1: "),
    ("mongodb://localhost/shop?authMechanism=BOGUS", "option authMechanism=BOGUS: "),
    ("mongodb://localhost/shop?serverSelectionTimeoutMS=-5", "option serverSelectionTimeoutMS=-5"),
    ("mongodb://localhost/shop?datetime_conversion=bogus", "option datetime_conversion=bogus: "),
    ("mongodb://localhost/shop?tlsCAFile=/no/such/ca.pem", "option tlsCAFile=/no/such/ca.pem: "),
    (
        "mongodb://localhost/shop?tls=true&tlsCertificateKeyFile=/no/such.pem",
        "option tlsCertificateKeyFile=/no/such.pem: ",
    ),
    ("mongodb://localhost/shop?w=1&w=2", "option w is given 2 times"),
    ("mongodb://localhost/shop?tls=true&ssl=false", "options tls and ssl cannot be used together"),
    (
        "mongodb://localhost/shop?tlsInsecure=true&tlsAllowInvalidCertificates=true",
        "options tlsInsecure and tlsAllowInvalidCertificates cannot be used together",
    ),
    ("mongodb://[::1/shop", "its hosts '[::1'"),
    ("mongodb://localhost:99999/shop", "its hosts 'localhost:99999'"),
    ("mongodb://a,b/shop?directConnection=true", "option directConnection=true: "),
    ("mongodb+srv://a.example.com:27017/shop", "its hosts 'a.example.com:27017'"),
    ("mongodb://localhost/shop?srvMaxHosts=2", "option srvMaxHosts=2: "),
    ("mongodb://localhost/sh op", "its database name 'sh op'"),
    ("mongodb://localhost/shop?compressors=snappy", "option compressors=snappy: "),
    ("mongodb://localhost/shop?tlsCertificateKeyFilePassword=k3y&proxyPassword=pr0xy", "option "),
]


@pytest.fixture(params=["pymongo's words", "other words"])
def wording(request, monkeypatch):
    """PyMongo as it is, and a PyMongo that says only "refused": pyramid_mongo
    names the setting and the option alike under both."""
    if request.param == "other words":

        def reworded(call):
            def calling(*args, **kwargs):
                with warnings.catch_warnings(record=True) as caught:
                    warnings.simplefilter("always")
                    try:
                        result = call(*args, **kwargs)
                    except Exception as exc:
                        raise type(exc)("refused") from None
                for warning in caught:
                    warnings.warn("refused", warning.category, stacklevel=2)
                return result

            return calling

        monkeypatch.setattr(verdicts, "_parse_uri", reworded(verdicts._parse_uri))
        monkeypatch.setattr(verdicts, "MongoClient", reworded(verdicts.MongoClient))
    return request.param


def build(**settings):
    with Configurator(settings=settings) as config:
        config.include("pyramid_mongo")
        return config.make_wsgi_app()


def described(client: MongoClient) -> dict:
    """Everything a client does differently for a URL, as PyMongo exposes it."""
    options = client.options
    pool = options.pool_options
    ssl_context = pool._ssl_context
    merged = {key.lower(): value for key, value in options._options.items()}
    for own_doing in ("driver", "connect", "serverselectiontimeoutms", "event_listeners"):
        merged.pop(own_doing, None)
    return {
        "hosts": sorted(client.topology_description.server_descriptions()),
        "default_database": client._default_database_name,
        "replica_set": options.replica_set_name,
        "read_preference": options.read_preference,
        "read_concern": options.read_concern,
        "write_concern": options.write_concern,
        "credentials": _comparable(pool._credentials),
        "codec_options": options.codec_options,
        "compressors": pool._compression_settings.compressors,
        "zlib_level": pool._compression_settings.zlib_compression_level,
        "pool": (pool.max_pool_size, pool.min_pool_size, pool.max_idle_time_seconds),
        "timeouts": (pool.connect_timeout, pool.socket_timeout, pool.wait_queue_timeout),
        "tls": None
        if ssl_context is None
        else (
            ssl_context.verify_mode,
            ssl_context.check_hostname,
            pool.tls_allow_invalid_hostnames,
        ),
        "other": (
            options.heartbeat_frequency,
            options.local_threshold_ms,
            options.retry_reads,
            options.retry_writes,
            options.load_balanced,
            options.direct_connection,
            options.timeout,
            options.server_monitoring_mode,
            pool.appname,
            pool.max_connecting,
        ),
        "merged": merged,
    }


def _comparable(credentials):
    """Credentials without the per-client token cache or object addresses."""
    if credentials is None:
        return None
    properties = re.sub(r" at 0x[0-9a-f]+", "", repr(credentials.mechanism_properties))
    return credentials._replace(cache=None, mechanism_properties=properties)


def pymongos_own(url: str) -> MongoClient:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return MongoClient(url, connect=False)


def as_ini_keys(url: str) -> dict[str, str]:
    """The URL's options as ``mongodb.<option>`` keys, its base as mongodb.url."""
    base, _, query = url.partition("?")
    settings = {"mongodb.url": base}
    tags = []
    for pair in query.replace(";", "&").split("&") if query else []:
        name, _, value = pair.partition("=")
        if name.lower() == "readpreferencetags":
            tags.append(unquote_plus(value) or "{}")
        elif name.lower() == "authmechanismproperties":
            settings["mongodb." + name] = value
        else:
            settings["mongodb." + name] = unquote_plus(value)
    if tags:
        settings["mongodb.readPreferenceTags"] = "\n".join(tags)
    return settings


def given_timeout(url: str) -> bool:
    return "serverselectiontimeoutms" in url.lower()


@pytest.mark.usefixtures("clean_env")
class TestTheSameClientAsPyMongo:
    @pytest.mark.parametrize("url", CORPUS)
    def test_as_a_url(self, url):
        theirs = described(pymongos_own(url))
        ours_client = get_client(build(**{"mongodb.url": url, "mongodb.db_name": "x"}).registry)
        ours = described(ours_client)
        assert ours == theirs
        expected = pymongos_own(url).options.server_selection_timeout
        assert ours_client.options.server_selection_timeout == (
            expected if given_timeout(url) else 5.0
        )

    @pytest.mark.parametrize("url", CORPUS)
    def test_as_ini_keys(self, url):
        theirs = described(pymongos_own(url))
        settings = {"mongodb.db_name": "x", **as_ini_keys(url)}
        assert described(get_client(build(**settings).registry)) == theirs

    @pytest.mark.parametrize("url", CORPUS)
    def test_from_the_environment(self, url, clean_env):
        clean_env.setenv("MONGODB_URL", url)
        client = get_client(build(**{"mongodb.db_name": "x", "mongodb.embedded": "true"}).registry)
        assert described(client) == described(pymongos_own(url))

    def test_the_default_database_is_the_urls(self):
        app = build(**{"mongodb.url": "mongodb://u:pa#ss@localhost/shop.items?w=1"})
        assert get_connection(app.registry).db_name == "shop"


@pytest.mark.usefixtures("clean_env", "wording")
class TestRefusedNeverWarnedAbout:
    @pytest.mark.parametrize(("url", "named"), REFUSED)
    def test_in_the_ini_url(self, url, named):
        with pytest.raises(ConfigurationError) as info:
            build(**{"mongodb.url": url, "mongodb.db_name": "x"})
        assert str(info.value).startswith(f"mongodb.url: {named}")
        assert "k3y" not in str(info.value) and "pr0xy" not in str(info.value)

    @pytest.mark.parametrize(("url", "named"), REFUSED)
    def test_in_the_environment(self, url, named, clean_env):
        clean_env.setenv("MONGODB_URL", url)
        with pytest.raises(ConfigurationError) as info:
            build(**{"mongodb.db_name": "x", "mongodb.embedded": "true"})
        assert str(info.value).startswith(f"MONGODB_URL: {named}")

    @pytest.mark.parametrize(
        ("key", "value"),
        [
            ("datetime_conversion", "bogus"),
            ("tlsCAFile", "/no/such/ca.pem"),
            ("tlsCertificateKeyFile", "/no/such/key.pem"),
            ("maxPoolSize", "-1"),
            ("read_preference", "pymongo:NoSuchThing"),
            ("tzinfo", "Mars/Olympus"),
            ("server_api", "99"),
            ("event_listeners", "no.such.Listener"),
            ("uuidRepresentation", "sideways"),
            ("readPreferenceTags", "dc"),
        ],
    )
    def test_as_an_ini_key(self, key, value):
        with pytest.raises(ConfigurationError) as info:
            build(**{"mongodb.url": "mongodb://localhost/shop", f"mongodb.{key}": value})
        assert str(info.value).startswith(f"mongodb.{key}: invalid value {value!r}: ")


@pytest.mark.usefixtures("clean_env")
class TestIniValuesConvertedAsPyMongoDoes:
    def test_connect_false_means_false(self):
        app = build(**{"mongodb.url": "mongodb://127.0.0.1:1/shop", "mongodb.connect": "false"})
        assert get_client(app.registry).options.connect is False

    def test_srv_max_hosts_is_a_number(self):
        app = build(
            **{"mongodb.url": "mongodb+srv://c.example.com/shop", "mongodb.srvMaxHosts": "2"}
        )
        assert get_client(app.registry)._resolve_srv_info is not None

    def test_objects_by_dotted_name(self):
        app = build(
            **{
                "mongodb.url": "mongodb://localhost/shop",
                "mongodb.read_preference": "pymongo:ReadPreference.SECONDARY",
                "mongodb.tzinfo": "Asia/Tokyo",
                "mongodb.tz_aware": "true",
                "mongodb.authOIDCAllowedHosts": "*.example.com localhost",
            }
        )
        client = get_client(app.registry)
        assert client.read_preference == ReadPreference.SECONDARY
        assert str(client.codec_options.tzinfo) == "Asia/Tokyo"


@pytest.mark.usefixtures("clean_env")
class TestTheEnvironmentIsTheDeploymentsWord:
    def test_its_options_win_over_the_ini(self, clean_env, caplog):
        caplog.set_level(logging.INFO, logger="pyramid_mongo")
        clean_env.setenv(
            "MONGODB_URL", "mongodb://db.example.com/shop?serverSelectionTimeoutMS=500"
        )
        app = build(**{"mongodb.embedded": "true", "mongodb.serverSelectionTimeoutMS": "3000"})
        assert get_client(app.registry).options.server_selection_timeout == 0.5
        assert "MONGODB_URL: its serverSelectionTimeoutMS wins" in caplog.text

    def test_the_inis_keys_win_over_its_own_url(self, caplog):
        caplog.set_level(logging.INFO, logger="pyramid_mongo")
        app = build(
            **{
                "mongodb.url": "mongodb://db.example.com/shop?serverSelectionTimeoutMS=500",
                "mongodb.serverSelectionTimeoutMS": "3000",
            }
        )
        assert get_client(app.registry).options.server_selection_timeout == 3.0
        assert "mongodb.serverSelectionTimeoutMS wins over" in caplog.text


PASSWORDS = ["s3cr3t#frag", "pa[ss]wd", "p%40ss%3Aw%2Frd", "plain-secret-1", "amp&eq=secret"]


def password_forms(password: str) -> set[str]:
    return {password, unquote_plus(password)}


@pytest.mark.usefixtures("clean_env")
class TestNoPasswordAnywhere:
    @pytest.mark.parametrize("password", PASSWORDS)
    def test_in_the_log_the_settings_and_reprs(self, password, caplog):
        caplog.set_level(logging.DEBUG)
        url = f"mongodb://app:{password}@127.0.0.1:1/shop"
        app = build(**{"mongodb.url": url})
        connection = get_connection(app.registry)
        shown = "\n".join(
            [
                caplog.text,
                repr(connection),
                repr(connection.settings),
                repr(get_client(app.registry)),
                repr(dict(app.registry.settings)),
            ]
        )
        for form in password_forms(password):
            assert form not in shown
        assert get_client(app.registry).options.pool_options._credentials.password == (
            unquote_plus(password)
        )

    @pytest.mark.parametrize(
        "url",
        [
            "mongodb://app:pa/ss-word@host/shop",
            "mongodb://app:secret-word@host:99999/shop",
            "mongodb://app:secret-word@[::1/shop",
            "mongodb://app:secret-word@host/shop?bogus=1",
            "mongodb://app:secret-word@/shop",
        ],
    )
    def test_in_errors(self, url):
        with pytest.raises(ConfigurationError) as info:
            build(**{"mongodb.url": url})
        assert "secret-word" not in str(info.value)
        assert "ss-word" not in str(info.value)


def test_a_tls_key_password_shows_in_no_repr(clean_env):
    url = "mongodb://127.0.0.1:1/shop?tls=true&tlsCertificateKeyFilePassword=key-secret"
    for settings in (
        {"mongodb.url": url},
        {
            "mongodb.url": "mongodb://127.0.0.1:1/shop",
            "mongodb.tls": "true",
            "mongodb.tlsCertificateKeyFilePassword": 'it\'s "key-secret"',
        },
    ):
        client = get_client(build(**settings).registry)
        assert "key-secret" not in repr(client)
        assert "tlscertificatekeyfilepassword=" in repr(client)


def test_an_ini_with_the_password_in_a_key_keeps_it_out_of_the_settings(clean_env):
    app = build(
        **{
            "mongodb.url": "mongodb://127.0.0.1:1/shop",
            "mongodb.username": "app",
            "mongodb.password": "key-secret",
        }
    )
    assert "key-secret" not in repr(dict(app.registry.settings))
    assert "key-secret" not in repr(get_connection(app.registry).settings)
    assert get_client(app.registry).options.pool_options._credentials.password == "key-secret"


@pytest.fixture(scope="module")
def ca_file(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tls")
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
            *("-subj", "/CN=localhost", "-keyout", str(folder / "key.pem")),
            *("-out", str(folder / "cert.pem")),
        ],
        check=True,
        capture_output=True,
    )
    combined = folder / "combined.pem"
    combined.write_text((folder / "cert.pem").read_text() + (folder / "key.pem").read_text())
    return folder


@pytest.mark.usefixtures("clean_env")
def test_tls_files_as_pymongo_reads_them(ca_file):
    url = (
        f"mongodb://localhost/shop?tls=true&tlsCAFile={ca_file / 'cert.pem'}"
        f"&tlsCertificateKeyFile={ca_file / 'combined.pem'}"
    )
    theirs = described(pymongos_own(url))
    assert described(get_client(build(**{"mongodb.url": url}).registry)) == theirs
    ini = described(get_client(build(**as_ini_keys(url), **{"mongodb.db_name": "shop"}).registry))
    assert ini == theirs
