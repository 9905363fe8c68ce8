"""The settings wing: every ``mongodb.*`` key read once, at start-up.

A settings dict goes one way through it: ``parse`` reads our own keys and
hands the rest to ``options``, which asks PyMongo for its verdict
(``verdicts``) on the URL's rules (``uri``); ``redaction`` keeps every
credential out of what may be shown. ``config.include("pyramid_mongo")``
keeps the result in the registry; every feature reads it from there
(:func:`get_settings`).
"""

from __future__ import annotations

from typing import Any

from pyramid.config import Configurator

from .options import BAD_SETTING, first_line, option_value
from .parse import (
    DEFAULT_JSON_PATHS,
    DEV_SERVER_CLIENT_OPTIONS,
    EMBEDDED_PORT,
    URL_ENVIRON,
    EmbeddedSettings,
    MongoSettings,
    check_db_name,
    hide_secrets,
    parse_settings,
)
from .redaction import hide, redact_url, scrub
from .sessions import SessionSettings
from .values import PREFIX, byte_size, positive_seconds
from .web import ALLOWED_HOSTS_ENVIRON, WebSettings

__all__ = [
    "ALLOWED_HOSTS_ENVIRON",
    "BAD_SETTING",
    "DEFAULT_JSON_PATHS",
    "DEV_SERVER_CLIENT_OPTIONS",
    "EMBEDDED_PORT",
    "PREFIX",
    "SETTINGS_KEY",
    "URL_ENVIRON",
    "EmbeddedSettings",
    "MongoSettings",
    "SessionSettings",
    "WebSettings",
    "byte_size",
    "check_db_name",
    "first_line",
    "get_settings",
    "hide",
    "hide_secrets",
    "included",
    "option_value",
    "parse_settings",
    "positive_seconds",
    "redact_url",
    "scrub",
]

SETTINGS_KEY = "pyramid_mongo.settings"


def included(registry: Any, key: str) -> Any:
    """What ``config.include("pyramid_mongo")`` put in the registry under ``key``."""
    try:
        return registry[key]
    except KeyError:
        raise LookupError("pyramid_mongo is not included in this application") from None


def get_settings(registry: Any) -> MongoSettings:
    """The application's parsed ``mongodb.*`` settings."""
    settings: MongoSettings = included(registry, SETTINGS_KEY)
    return settings


def includeme(config: Configurator) -> None:
    """Parse the settings now, so that a wrong key stops start-up naming it;
    hide their secrets from ``registry.settings`` once configuration is done
    (the debug toolbar shows that dict)."""
    registry = config.registry
    registry[SETTINGS_KEY] = parse_settings(registry.settings)
    config.action(None, hide_secrets, (registry.settings,), order=1000)
