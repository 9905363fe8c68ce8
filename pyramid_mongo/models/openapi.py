"""An OpenAPI 3.1 description of the JSON API, from the models it already has.

A view says which model it reads and writes with one view option,
``mongodb_model=Item``; ``openapi_document`` reads those views from
Pyramid's introspector (route pattern, method) and describes each as the
resource's conventions answer it: a collection's GET (a page of items and
``next``) and POST (201 with ``Location`` and ``ETag``, ``Idempotency-Key``),
an item's GET (``ETag``, 304 for ``If-None-Match``, 412 for ``If-Match``),
PUT and PATCH (``If-Match`` required: 428, 412; PATCH a JSON merge patch,
415 otherwise), DELETE (204). Bodies and answers are the model's own JSON
Schema (pydantic's, which the validation uses); every error is RFC 9457
problem details. Include ``pyramid_mongo.models.openapi`` for the option.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel
from pyramid.config import Configurator
from pyramid.interfaces import IRoutesMapper
from pyramid.registry import Registry

from .bodies import MERGE_PATCH_TYPES
from .documents import client_fields

VIEW_OPTION = "mongodb_model"
PROBLEM_JSON = "application/problem+json"
_METHOD_ORDER = ["get", "post", "put", "patch", "delete"]
_PARAMETER = re.compile(r"\{(\w+)(?::[^}]*)?\}")
_REASONS = {
    200: "The resource",
    201: "Created: its URL in Location, its version in ETag",
    204: "Deleted",
    304: "Not modified: the copy the client has (If-None-Match) is current",
    400: "A malformed request",
    404: "There is no such resource",
    409: "It conflicts with a stored one, or its Idempotency-Key is in use",
    412: "The resource has changed since it was read (If-Match)",
    413: "The body is too large",
    415: "The body's media type is not one the resource takes",
    422: "The body does not meet the model: one problem per field",
    428: "Send If-Match with the ETag read",
    503: "The database is unavailable; a write may or may not have been made",
}
_HEADERS = {
    "If-Match": "The ETag read: the version the write changes (or the read expects)",
    "If-None-Match": "ETags the client has: 304 when one is current",
    "Idempotency-Key": "Retry with the same key: the request is answered once",
}


def _model_option(view: Any, info: Any) -> Any:
    return view  # the option only describes the view


_model_option.options = (VIEW_OPTION,)  # type: ignore[attr-defined]


def _problem() -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["type", "status", "title", "detail"],
        "properties": {
            "type": {"type": "string"},
            "status": {"type": "integer"},
            "title": {"type": "string"},
            "detail": {"type": "string"},
            "errors": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {"pointer": {"type": "string"}, "message": {"type": "string"}},
                },
            },
        },
    }


def _schemas(
    model: type[BaseModel], components: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """References to the model as sent (the fields a client sets) and as answered."""
    template = "#/components/schemas/{model}"
    name = model.__name__
    answered = model.model_json_schema(mode="serialization", ref_template=template)
    sent = model.model_json_schema(mode="validation", ref_template=template)
    for schema in (answered, sent):
        components.update(schema.pop("$defs", {}))
    writable = client_fields(model)
    sent["properties"] = {k: v for k, v in sent["properties"].items() if k in writable}
    sent["required"] = [k for k in sent.get("required", ()) if k in writable]
    sent["title"] = f"{name}Input"
    components[name], components[f"{name}Input"] = answered, sent
    return {"$ref": template.format(model=name)}, {"$ref": template.format(model=f"{name}Input")}


def _answer(status: int, schema: Any = None, *, headers: tuple[str, ...] = ()) -> dict[str, Any]:
    answer: dict[str, Any] = {"description": _REASONS[status]}
    if schema is not None:
        answer["content"] = {"application/json": {"schema": schema}}
    elif status >= 400:
        answer["content"] = {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}
    if headers:
        answer["headers"] = {name: {"schema": {"type": "string"}} for name in headers}
    return answer


def _header(name: str, required: bool = False) -> dict[str, Any]:
    return {
        "name": name,
        "in": "header",
        "required": required,
        "description": _HEADERS[name],
        "schema": {"type": "string"},
    }


def _operation(
    method: str, item: bool, model: type[BaseModel], components: dict[str, Any]
) -> dict[str, Any]:
    answered, sent = _schemas(model, components)
    name = model.__name__
    one = f"{'an' if name[0].lower() in 'aeiou' else 'a'} {name}"
    errors = {str(status): _answer(status) for status in (400, 503)}
    body = {"required": True, "content": {"application/json": {"schema": sent}}}
    if not item and method == "GET":
        page = {
            "type": "object",
            "properties": {"items": {"type": "array", "items": answered}, "next": {
                "type": ["string", "null"], "description": "The next page's URL"}},
        }  # fmt: skip
        return {
            "summary": f"A page of {name} resources, oldest first",
            "parameters": [
                {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1}},
                {"name": "after", "in": "query", "schema": {"type": "string"}},
                {"name": "before", "in": "query", "schema": {"type": "string"}},
            ],
            "responses": {"200": _answer(200, page, headers=("Link",)), **errors},
        }
    if not item and method == "POST":
        return {
            "summary": f"Create {one}",
            "parameters": [_header("Idempotency-Key")],
            "requestBody": body,
            "responses": {
                "201": _answer(201, answered, headers=("Location", "ETag")),
                **{str(s): _answer(s) for s in (409, 413, 422)},
                **errors,
            },
        }
    found = {"404": _answer(404), "412": _answer(412)}
    if method == "GET":
        return {
            "summary": f"Read {one}",
            "parameters": [_header("If-None-Match"), _header("If-Match")],
            "responses": {
                "200": _answer(200, answered, headers=("ETag",)),
                "304": _answer(304, headers=("ETag",)),
                **found,
                **errors,
            },
        }
    if method == "DELETE":
        return {
            "summary": f"Delete {one}",
            "parameters": [_header("If-Match")],
            "responses": {"204": _answer(204), **found, **errors},
        }
    if method == "PATCH":
        patch = {"type": "object", "description": "A JSON merge patch (RFC 7396) of the fields"}
        content = {kind: {"schema": patch} for kind in MERGE_PATCH_TYPES}
        body = {"required": True, "content": content}
    return {
        "summary": f"{'Patch' if method == 'PATCH' else 'Replace'} {one}",
        "parameters": [_header("If-Match", required=True)],
        "requestBody": body,
        "responses": {
            "200": _answer(200, answered, headers=("ETag",)),
            **found,
            **{str(s): _answer(s) for s in (409, 415, 422, 428)},
            **errors,
        },
    }


def openapi_document(registry: Registry, title: str, version: str = "1.0.0") -> dict[str, Any]:
    """The OpenAPI 3.1 document of every view with ``mongodb_model``."""
    components: dict[str, Any] = {"Problem": _problem()}
    paths: dict[str, dict[str, Any]] = {}
    routes = {route.name: route for route in registry.getUtility(IRoutesMapper).get_routes()}
    for view in registry.introspector.get_category("views") or ():
        info = view["introspectable"]
        model = info.get(VIEW_OPTION)
        route = routes.get(info.get("route_name"))
        if model is None or route is None:
            continue
        methods = info.get("request_methods") or ()
        pattern = route.pattern if route.pattern.startswith("/") else "/" + route.pattern
        path = _PARAMETER.sub(r"{\1}", pattern)
        parameters = [
            {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
            for name in _PARAMETER.findall(pattern)
        ]
        for method in (methods,) if isinstance(methods, str) else methods:
            if method.lower() not in _METHOD_ORDER:
                continue
            operation = _operation(method, bool(parameters), model, components)
            operation["operationId"] = f"{method.lower()}_{info['route_name'].replace('.', '_')}"
            operation["parameters"] = parameters + operation.get("parameters", [])
            paths.setdefault(path, {})[method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": version},
        "paths": {
            path: dict(sorted(methods.items(), key=lambda item: _METHOD_ORDER.index(item[0])))
            for path, methods in sorted(paths.items())
        },
        "components": {"schemas": components},
    }


def operations(document: dict[str, Any]) -> list[dict[str, Any]]:
    """The document's operations in reading order, for a page that lists them."""
    listed = []
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            listed.append(
                {
                    "method": method.upper(),
                    "path": path,
                    "id": operation["operationId"],
                    "summary": operation["summary"],
                    "parameters": operation.get("parameters", []),
                    "body": "requestBody" in operation,
                    "responses": [
                        (status, answer["description"])
                        for status, answer in operation["responses"].items()
                    ],
                }
            )
    return listed


def includeme(config: Configurator) -> None:
    config.add_view_deriver(_model_option, under="rendered_view", over="mapped_view")
