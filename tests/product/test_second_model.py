"""A second model, added to a generated project as docs/pages-and-openapi.rst
says: it gets a form page and an OpenAPI entry from about 20 lines."""

import importlib
import sys

import pytest
from openapi_spec_validator import validate
from webtest import TestApp

from pyramid_mongo import get_connection
from tests.product.test_scaffold import bake

PACKAGE = "second_model_shop"
MODEL = """

class Note(Document):
    text: Annotated[str, Field(min_length=1, max_length=500, examples=["call Ada"])]
    done: bool = False
"""
VIEWS = """from pyramid.view import view_config
from pyramid_mongo.models import model_form, validate_body
from ..models import Note


@view_config(route_name="api.notes", request_method="POST", renderer="json",
             require_csrf=False, mongodb_model=Note)
def create_note(request):
    note = validate_body(request, Note)
    request.db.notes.insert_one(note.to_document())
    request.response.status = 201
    return note


@view_config(route_name="notes", renderer="second_model_shop:templates/notes.jinja2")
def notes(request):
    note, fields = model_form(request, Note)
    if note is not None:
        request.db.notes.insert_one(note.to_document())
    return {"notes": list(request.db.notes.find()), "fields": fields}
"""
ROUTES = """    config.add_route("notes", "/notes")
    config.add_route("api.notes", "/api/notes")
"""
INIT = """        config.add_mongo_model("notes", Note)
"""
TEMPLATE = """{% extends "layout.jinja2" %}
{% block content %}
<ul>{% for note in notes %}<li>{{ note.text }}</li>{% endfor %}</ul>
<form method="post"><input type="hidden" name="csrf_token" value="{{ get_csrf_token() }}">
{{ fields }}<button type="submit">Add</button></form>
{% endblock %}
"""


@pytest.fixture
def project(tmp_path, monkeypatch):
    folder = bake(tmp_path, repo_name=PACKAGE)
    package = folder / PACKAGE
    (package / "models.py").write_text((package / "models.py").read_text() + MODEL)
    (package / "views" / "notes.py").write_text(VIEWS)
    (package / "templates" / "notes.jinja2").write_text(TEMPLATE)
    routes = (package / "routes.py").read_text()
    (package / "routes.py").write_text(
        routes.replace('    config.add_route("home"', ROUTES + '    config.add_route("home"', 1)
    )
    init = (package / "__init__.py").read_text()
    init = init.replace("from .models import Item", "from .models import Item, Note")
    anchor = '        config.add_mongo_model("items", Item)\n'
    (package / "__init__.py").write_text(init.replace(anchor, anchor + INIT))
    monkeypatch.syspath_prepend(str(folder))
    yield folder
    for name in [name for name in sys.modules if name.split(".")[0] == PACKAGE]:
        del sys.modules[name]


def test_a_second_model_gets_a_form_page_and_an_openapi_entry(
    project, mongodb_settings, mongodb_client, clean_env
):
    written = [MODEL, VIEWS, ROUTES, INIT]
    lines = sum(1 for text in written for line in text.splitlines() if line.strip())
    assert lines <= 22, lines  # Python, beside a template of 6 lines
    mongodb_client.drop_database("second_model")
    settings = {**mongodb_settings, "mongodb.db_name": "second_model",
                "mongodb.create_indexes": "true", "mongodb.session_secret": "n" * 40,
                "mongodb.json_adapters": "true"}  # fmt: skip
    app = TestApp(importlib.import_module(PACKAGE).main({}, **settings),
                  extra_environ={"HTTP_HOST": "example.com"})  # fmt: skip

    page = app.get("/notes")
    text = page.html.find("input", {"name": "text"})
    assert text["maxlength"] == "500" and text.has_attr("required")
    assert page.html.find("input", {"name": "done"})["type"] == "checkbox"
    form = page.forms[len(page.forms) - 1]
    form["text"] = ""
    refused = form.submit()
    assert refused.html.find(id="field-text-error") is not None
    form = refused.forms[len(refused.forms) - 1]
    form["text"] = "call Ada"
    assert "call Ada" in form.submit().text
    assert mongodb_client.second_model.notes.count_documents({"text": "call Ada"}) == 1

    created = app.post_json("/api/notes", {"text": "write docs", "done": True}, status=201)
    assert created.json["done"] is True
    app.post_json("/api/notes", {"text": ""}, status=422)
    document = app.get("/api/openapi.json").json
    validate(document)
    assert "post" in document["paths"]["/api/notes"]
    assert set(document["components"]["schemas"]["NoteInput"]["properties"]) == {"text", "done"}
    # The database refuses what the model refuses: add_mongo_model's validator.
    options = mongodb_client.second_model.notes.options()
    assert "text" in options["validator"]["$jsonSchema"]["properties"]
    get_connection(app.app.registry).close()
