"""Forms and the OpenAPI document from a model, through a real application."""

import datetime as dt
from typing import Annotated, ClassVar

import pytest
from bs4 import BeautifulSoup
from openapi_spec_validator import validate
from pydantic import Field
from pyramid.response import Response
from webtest import TestApp

from pyramid_mongo.models import Document, model_form, validate_body
from pyramid_mongo.models.forms import form_fields, read_form
from pyramid_mongo.models.openapi import openapi_document, operations


class Book(Document):
    title: Annotated[str, Field(min_length=2, max_length=80, description="As on the cover")]
    pages: Annotated[int, Field(ge=1, le=5000)]
    lent: bool = False
    due: dt.datetime | None = None
    summary: Annotated[str, Field(max_length=4000)] = ""
    client_fields: ClassVar = ("title", "pages", "lent", "due", "summary")


def test_each_field_is_drawn_with_the_models_limits():
    fields = {field.name: field for field in form_fields(Book)}
    assert list(fields) == ["title", "pages", "lent", "due", "summary"]
    title = fields["title"]
    assert title.input_type == "text" and title.required
    assert title.attributes == {"maxlength": "80", "minlength": "2"}
    assert title.help == "As on the cover" and title.described_by == "field-title-help"
    assert fields["pages"].input_type == "number"
    assert fields["pages"].attributes == {"step": "1", "min": "1", "max": "5000"}
    assert fields["lent"].input_type == "checkbox" and not fields["lent"].required
    assert fields["due"].input_type == "datetime-local"
    assert fields["summary"].input_type == "textarea"


def test_values_and_errors_are_shown_where_they_belong():
    book = Book(title="Dune", pages=412, lent=True)
    fields = {f.name: f for f in form_fields(Book, values=book, errors={"pages": "Too many."})}
    assert fields["title"].value == "Dune" and fields["pages"].value == "412"
    assert fields["lent"].checked
    assert fields["pages"].error == "Too many."
    assert fields["pages"].described_by == "field-pages-error"


class Memo(Document):
    text: Annotated[str, Field(min_length=1, max_length=100)]


def test_a_model_without_client_fields_never_offers_its_id():
    assert [field.name for field in form_fields(Memo)] == ["text"]


def test_the_fields_draw_themselves_escaped_and_tied_to_their_messages():
    sent = {"title": 'A "quote" <script>x</script>', "summary": "</textarea><b>", "lent": "on"}
    book = Book(title=sent["title"], pages=3, lent=True, summary=sent["summary"])
    fields = form_fields(Book, values=book).with_errors({"title": "Taken <already>."})
    page = BeautifulSoup(fields.__html__(), "html.parser")
    assert "<script>" not in fields.__html__() and "<b>" not in fields.__html__()
    title = page.find("input", {"name": "title"})
    assert title["value"] == sent["title"] and title["maxlength"] == "80"
    assert title.has_attr("required") and title["aria-invalid"] == "true"
    for described in title["aria-describedby"].split():
        assert page.find(id=described) is not None
    assert page.find(id="field-title-error")["role"] == "alert"
    assert page.find(id="field-title-error").text == "Taken <already>."
    assert page.find("label", {"for": "field-title"}).text.startswith("Title")
    assert page.find("textarea", {"name": "summary"}).text == sent["summary"]
    assert page.find("input", {"name": "lent"}).has_attr("checked")
    assert not page.find("input", {"name": "pages"}).has_attr("aria-invalid")
    assert form_fields(Book) is form_fields(Book)  # the empty form: drawn once


def form_page(request):
    book, fields = model_form(request, Book)
    return Response(fields.__html__(), status=201 if book else 422 if request.POST else 200)


def memo_view(request):
    return Response(json_body=validate_body(request, Memo).model_dump(mode="json"), status=201)


def read_view(request):
    book, errors, values = read_form(request, Book)
    if book is None:
        return Response(json_body={"errors": errors, "values": values}, status=422)
    return Response(json_body=book.model_dump(mode="json"), status=201)


@pytest.fixture
def app(build_app):
    def includeme(config):
        config.include("pyramid_mongo.models.openapi")
        config.add_route("books", "/api/books")
        config.add_route("book.form", "/books/form")
        config.add_view(form_page, route_name="book.form")
        config.add_route("memos", "/api/memos")
        config.add_view(memo_view, route_name="memos", request_method="POST")
        config.add_route("book", "/api/books/{id}")
        config.add_view(read_view, route_name="books", request_method="POST", mongodb_model=Book)
        for method in ("GET", "PUT", "PATCH", "DELETE"):
            config.add_view(
                lambda request: Response(), route_name="book", request_method=method,
                mongodb_model=Book,
            )  # fmt: skip
        config.add_view(lambda request: Response(), route_name="books", request_method="GET",
                        mongodb_model=Book)  # fmt: skip

    import sys
    import types

    module = types.ModuleType("books_under_test")
    module.includeme = includeme
    sys.modules["books_under_test"] = module
    return build_app("books_under_test")


def test_a_form_is_read_through_the_model(app):
    testapp = TestApp(app)
    sent = {"title": "Dune", "pages": "412", "lent": "on", "due": "2026-12-24T10:00"}
    book = testapp.post("/api/books", sent, status=201).json
    assert book["pages"] == 412 and book["lent"] is True and book["due"].startswith("2026-12-24")
    refused = testapp.post("/api/books", {"title": "D", "pages": "lots"}, status=422).json
    # In our words, from pydantic's error types and their limits.
    assert refused["errors"] == {"title": "At least 2 characters.", "pages": "A whole number."}
    assert refused["values"]["pages"] == "lots"  # as sent, to correct
    empty = testapp.post("/api/books", {"title": "Dune", "pages": "9", "due": ""}, status=201)
    assert empty.json["due"] is None and empty.json["lent"] is False


def test_a_form_page_in_one_call(app):
    testapp = TestApp(app)
    empty = BeautifulSoup(testapp.get("/books/form").text, "html.parser")
    assert empty.find("input", {"name": "title"})["value"] == ""
    refused = testapp.post("/books/form", {"title": "D", "pages": "9"}, status=422)
    page = BeautifulSoup(refused.text, "html.parser")
    assert page.find("input", {"name": "title"})["value"] == "D"  # as sent, to correct
    assert page.find(id="field-title-error") is not None
    assert page.find(id="field-pages-error") is None
    testapp.post("/books/form", {"title": "Dune", "pages": "9"}, status=201)


def test_the_id_is_the_servers_without_client_fields(app):
    testapp = TestApp(app)
    assert testapp.post_json("/api/memos", {"text": "hi"}, status=201).json["text"] == "hi"
    refused = testapp.post_json("/api/memos", {"text": "hi", "_id": "a" * 24}, status=422)
    assert "/_id" in refused.text


def test_the_document_is_valid_and_names_every_operation(app):
    document = openapi_document(app.registry, "Books", "1.0")
    validate(document)
    assert set(document["paths"]) == {"/api/books", "/api/books/{id}"}
    assert set(document["paths"]["/api/books/{id}"]) == {"get", "put", "patch", "delete"}
    schemas = document["components"]["schemas"]
    assert set(schemas["BookInput"]["properties"]) == set(Book.client_fields)
    assert schemas["Book"]["properties"]["_id"]["pattern"] == "^[0-9a-fA-F]{24}$"
    listed = operations(document)
    assert [op["method"] for op in listed] == ["GET", "POST", "GET", "PUT", "PATCH", "DELETE"]
    assert openapi_document(app.registry, "Books", "1.0") == document  # the same each time
