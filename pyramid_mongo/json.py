"""BSON values in JSON responses, without replacing the application's renderer.

Two opt-in ways:

- ``config.add_bson_adapters()`` (or ``mongodb.json_adapters = true``) teaches
  the application's own ``json`` renderer ObjectId, datetime, Decimal128,
  UUID, Binary and bytes, as plain JSON values: an ObjectId is its hex string, a
  datetime ISO 8601 in UTC.
- ``renderer="extended_json"`` renders MongoDB Extended JSON (relaxed mode),
  which keeps the types: ``{"$oid": ...}``, ``{"$date": ...}``.
"""

from __future__ import annotations

import base64
import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any

import bson
from bson import (
    Binary,
    Code,
    DatetimeMS,
    DBRef,
    Decimal128,
    MaxKey,
    MinKey,
    ObjectId,
    Regex,
    Timestamp,
    json_util,
)
from bson.json_util import RELAXED_JSON_OPTIONS, dumps
from bson.raw_bson import RawBSONDocument
from pyramid.exceptions import ConfigurationError
from pyramid.interfaces import IRendererFactory
from pyramid.renderers import JSON, json_renderer_factory

from .connection import get_connection
from .settings import get_settings


def _iso_utc(value: dt.datetime, request: Any) -> str:
    # PyMongo reads naive datetimes (tz_aware off) that are UTC all the same.
    try:
        aware = value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)
    except OverflowError:  # at the ends of the range, in a zone of its own
        return value.isoformat()
    return aware.isoformat().replace("+00:00", "Z")


def _datetime_ms(value: DatetimeMS, request: Any) -> Any:
    """DATETIME_AUTO gives these for dates Python cannot hold: Extended JSON then."""
    try:
        return _iso_utc(value.as_datetime(), request)
    except (OverflowError, ValueError, OSError):
        return _extended(value, request)


def _extended(value: Any, request: Any) -> Any:
    """A value with no plain JSON form: its relaxed Extended JSON document."""
    return json_util.default(value, RELAXED_JSON_OPTIONS)


def _binary(value: bytes, request: Any) -> str:
    """Base64; PyMongo reads generic binary data as bytes, other subtypes as Binary."""
    if isinstance(value, Binary) and value.subtype in (3, 4) and len(value) == 16:
        return str(value.as_uuid(value.subtype))
    return base64.b64encode(bytes(value)).decode("ascii")


BSON_ADAPTERS: list[tuple[type, Callable[[Any, Any], Any]]] = [
    (ObjectId, lambda value, request: str(value)),
    (dt.datetime, _iso_utc),
    (Decimal128, lambda value, request: str(value)),
    (uuid.UUID, lambda value, request: str(value)),
    (Binary, _binary),
    (bytes, _binary),
    (DatetimeMS, _datetime_ms),
    (RawBSONDocument, lambda value, request: bson.decode(value.raw)),
    *((type_, _extended) for type_ in (Regex, MinKey, MaxKey, Timestamp, DBRef, Code)),
]


def add_bson_adapters(renderer: JSON) -> JSON:
    """Add the BSON adapters to a ``pyramid.renderers.JSON`` renderer."""
    for type_, adapter in BSON_ADAPTERS:
        renderer.add_adapter(type_, adapter)
    return renderer


def add_bson_adapters_directive(config: Any, renderer_name: str = "json") -> None:
    """``config.add_bson_adapters(renderer_name='json')``."""

    def register() -> None:
        registry = config.registry
        renderer = registry.queryUtility(IRendererFactory, name=renderer_name)
        if renderer is json_renderer_factory:
            # Pyramid's default is one instance shared by every app in the
            # process: this app gets an equal one of its own to extend.
            renderer = JSON()
            registry.registerUtility(renderer, IRendererFactory, name=renderer_name)
        if not isinstance(renderer, JSON):
            raise ConfigurationError(
                f"add_bson_adapters: the {renderer_name!r} renderer is not a "
                "pyramid.renderers.JSON, so it takes no adapters"
            )
        add_bson_adapters(renderer)

    # Run once the renderers are registered, whichever of them wins.
    config.action(("pyramid_mongo.bson_adapters", renderer_name), register, order=10)


class ExtendedJSON:
    """The ``extended_json`` renderer: MongoDB Extended JSON, relaxed mode."""

    def __init__(self, info: Any) -> None:
        pass

    def __call__(self, value: Any, system: dict[str, Any]) -> str:
        request = system.get("request")
        if (
            request is not None
            and request.response.content_type == request.response.default_content_type
        ):
            request.response.content_type = "application/json"
        return dumps(_own_json(value, request), json_options=_json_options(request))


def _own_json(value: Any, request: Any) -> Any:
    """Values with a ``__json__`` method (a typed document) as that method
    gives them, as Pyramid's ``json`` renderer takes them."""
    if hasattr(value, "__json__"):
        return _own_json(value.__json__(request), request)
    if isinstance(value, dict):
        return {key: _own_json(item, request) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_own_json(item, request) for item in value]
    return value


def _json_options(request: Any) -> Any:
    """Relaxed mode, reading values as the application's client does (a UUID
    with mongodb.uuidRepresentation = standard, dates in its tzinfo)."""
    if request is None:
        return RELAXED_JSON_OPTIONS

    codec = get_connection(request.registry).client.codec_options
    return RELAXED_JSON_OPTIONS.with_options(
        uuid_representation=codec.uuid_representation,
        tz_aware=codec.tz_aware,
        tzinfo=codec.tzinfo,
        datetime_conversion=codec.datetime_conversion,
    )


def includeme(config: Any) -> None:
    config.add_directive("add_bson_adapters", add_bson_adapters_directive)
    config.add_renderer("extended_json", ExtendedJSON)
    if get_settings(config.registry).json_adapters:
        config.add_bson_adapters()
