"""The API's OpenAPI 3.1 description, from the models and routes."""

from openapi_spec_validator import validate
from pyramid.interfaces import IRoutesMapper


def test_the_document_is_valid_openapi_3_1(testapp):
    document = testapp.get("/api/openapi.json").json
    assert document["openapi"] == "3.1.0"
    validate(document)


def test_every_route_and_method_of_the_api_is_in_it(app, testapp):
    document = testapp.get("/api/openapi.json").json
    described = {
        (path, method.upper()) for path, methods in document["paths"].items() for method in methods
    }
    routes = app.registry.getUtility(IRoutesMapper).get_routes()
    api = {route.name: route.pattern for route in routes if route.pattern.startswith("/api/items")}
    for view in app.registry.introspector.get_category("views"):
        info = view["introspectable"]
        methods = info["request_methods"] or ()
        for method in (methods,) if isinstance(methods, str) else methods:
            if info["route_name"] in api and method not in ("HEAD", "OPTIONS"):
                assert (api[info["route_name"]], method) in described


def test_the_model_and_the_conventions_are_described(testapp):
    document = testapp.get("/api/openapi.json").json
    create = document["paths"]["/api/items"]["post"]
    body = create["requestBody"]["content"]["application/json"]["schema"]
    sent = document["components"]["schemas"][body["$ref"].rsplit("/", 1)[1]]
    assert set(sent["properties"]) == {"name", "note", "tags"} and sent["required"] == ["name"]
    assert sent["properties"]["name"]["maxLength"] == 200
    assert {"Location", "ETag"} <= set(create["responses"]["201"]["headers"])
    assert "application/problem+json" in create["responses"]["422"]["content"]
    read = document["paths"]["/api/items/{id}"]["get"]
    assert {"200", "304", "404", "412"} <= set(read["responses"])
    patch = document["paths"]["/api/items/{id}"]["patch"]
    assert "application/merge-patch+json" in patch["requestBody"]["content"]
    assert {"412", "415", "428"} <= set(patch["responses"])


def test_the_docs_page_lists_every_operation(testapp):
    document = testapp.get("/api/openapi.json").json
    page = testapp.get("/api/docs")
    assert page.content_type == "text/html"
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            section = page.html.find(id=operation["operationId"])
            assert section is not None and path in section.text and method.upper() in section.text
    assert page.html.find("script") is None  # nothing to fetch: it works offline


def test_favicon_ico_answers(testapp):
    icon = testapp.get("/favicon.ico")
    assert icon.content_type == "image/x-icon" and icon.body[:4] == b"\x00\x00\x01\x00"
