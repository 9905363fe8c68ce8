"""HTML forms from the same model as the JSON API.

``form_fields`` turns a model's fields into what a template needs to draw
each input (its type, the limits and required mark the model says, the
value, the error and the ids that tie them together); ``read_form`` reads
a posted form through the model with the API's own validation, and gives
back either the typed document or one message per field. ``model_form``
is both for a form page, and ``{{ fields }}`` (``${fields}``) draws them::

    item, fields = model_form(request, Item)   # None on a GET, or when refused
    if item is not None:
        request.db.items.insert_one(item.to_document())

The empty form of a model is drawn once per process.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from html import escape
from typing import Any

from pydantic import BaseModel, ValidationError
from pyramid.request import Request

from ..http import form_text
from .documents import client_fields
from .stored import problems_of

# Longest text a form field may carry when the model sets no limit.
DEFAULT_MAX_LENGTH = 10_000


@dataclass(frozen=True)
class FormField:
    name: str
    label: str
    input_type: str  # text, number, checkbox, datetime-local, or "textarea"
    required: bool
    value: str = ""
    checked: bool = False
    error: str | None = None
    help: str | None = None
    attributes: dict[str, str] = field(default_factory=dict)  # maxlength, min, pattern ...

    @property
    def id(self) -> str:
        return f"field-{self.name}"

    @property
    def error_id(self) -> str:
        return f"field-{self.name}-error"

    @property
    def described_by(self) -> str:
        """For ``aria-describedby``: the help and the error, where there are."""
        ids = [f"field-{self.name}-help"] if self.help else []
        return " ".join([*ids, self.error_id] if self.error else ids)

    def __html__(self) -> str:
        """The field drawn, in any template language (``{{ field }}``,
        ``${field}``): its label, the input with the model's limits, its help,
        and its error, tied to the input and announced."""
        attributes: dict[str, str | None] = {"id": self.id, "name": self.name, **self.attributes}
        if self.required:
            attributes["required"] = None  # None: an attribute without a value
        if self.described_by:
            attributes["aria-describedby"] = self.described_by
        if self.error:
            attributes["aria-invalid"] = "true"
        if self.input_type == "checkbox" and self.checked:
            attributes["checked"] = None
        if self.input_type not in ("textarea", "checkbox"):
            attributes["value"] = self.value
        drawn = " ".join(
            key if value is None else f'{key}="{escape(value)}"'
            for key, value in attributes.items()
        )
        if self.input_type == "textarea":
            control = f"<textarea {drawn}>{escape(self.value)}</textarea>"
        else:
            control = f'<input type="{self.input_type}" {drawn}>'
        mark = '<span class="required" aria-hidden="true"> *</span>' if self.required else ""
        parts = [
            f'<p class="field{" invalid" if self.error else ""}">',
            f'<label for="{self.id}">{escape(self.label)}{mark}</label>',
            control,
        ]
        if self.help:
            parts.append(f'<small class="help" id="{self.id}-help">{escape(self.help)}</small>')
        if self.error:
            error = escape(self.error)
            parts.append(f'<span class="error" id="{self.error_id}" role="alert">{error}</span>')
        return "\n  ".join(parts) + "\n</p>"


class Form(tuple[FormField, ...]):
    """A model's fields, drawn in their order by ``{{ fields }}``."""

    def __html__(self) -> str:
        return self._drawn

    @functools.cached_property
    def _drawn(self) -> str:
        return "\n".join(field.__html__() for field in self)

    def with_errors(self, errors: Mapping[str, str]) -> Form:
        """The same fields and values, with these messages (a unique index's
        refusal, say)."""
        return Form(
            dataclasses.replace(field, error=errors.get(field.name, field.error)) for field in self
        )


@functools.cache
def _schema_of(model: type[BaseModel]) -> dict[str, Any]:
    """Built once per model: pydantic takes a millisecond to make it."""
    schema: dict[str, Any] = model.model_json_schema(mode="validation")
    return schema


def _property(schema: dict[str, Any], name: str) -> dict[str, Any]:
    found = dict(schema.get("properties", {}).get(name, {}))
    for choice in found.get("anyOf", ()):  # Optional[X]: X's limits
        if choice.get("type") != "null":
            found = {**choice, **{k: v for k, v in found.items() if k != "anyOf"}}
    return found


def _shown(value: Any, kind: str) -> str:
    if value is None:
        return ""
    if kind == "array":
        return ", ".join(str(each) for each in value)
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%dT%H:%M")
    return str(value)


def form_fields(
    model: type[BaseModel],
    *,
    fields: Iterable[str] | None = None,
    values: Any = None,
    errors: Mapping[str, str] | None = None,
) -> Form:
    """One ``FormField`` per field a client may set, in the model's order,
    with ``values`` (a model, a document or the form as sent) shown."""
    names = client_fields(model, fields)
    if values is None and not errors:
        return _empty_form(model, names)
    return _form(model, names, values, errors or {})


@functools.cache
def _empty_form(model: type[BaseModel], names: tuple[str, ...]) -> Form:
    """The same for every request: drawn once."""
    return _form(model, names, None, {})


def _form(
    model: type[BaseModel], names: tuple[str, ...], values: Any, errors: Mapping[str, str]
) -> Form:
    schema = _schema_of(model)
    required = set(schema.get("required", ()))
    if isinstance(values, BaseModel):
        values = values.model_dump()
    values = values or {}
    drawn = []
    for name in names:
        prop = _property(schema, name)
        kind = prop.get("type", "string")
        attributes: dict[str, str] = {}
        help_text: str | None = prop.get("description")
        if kind == "boolean":
            input_type = "checkbox"
        elif kind in ("integer", "number"):
            input_type = "number"
            attributes["step"] = "1" if kind == "integer" else "any"
            for limit, attribute in (("minimum", "min"), ("maximum", "max")):
                if limit in prop:
                    attributes[attribute] = str(prop[limit])
        elif prop.get("format") == "date-time":
            input_type = "datetime-local"
        elif kind == "array":
            input_type = "text"
            items = prop.get("items", {})
            most = prop.get("maxItems")
            help_text = help_text or "Separated by commas" + (
                f", at most {most}" if most is not None else ""
            ) + (f", each at most {items['maxLength']} characters" if "maxLength" in items else "")
        else:
            length = prop.get("maxLength", DEFAULT_MAX_LENGTH)
            input_type = "textarea" if length > 500 else "text"
            attributes["maxlength"] = str(length)
            if prop.get("minLength"):
                attributes["minlength"] = str(prop["minLength"])
        value = values.get(name, prop.get("default"))
        drawn.append(
            FormField(
                name=name,
                label=prop.get("title") or name.replace("_", " ").capitalize(),
                input_type=input_type,
                required=name in required,
                value=_shown(value, kind) if not isinstance(value, str) else value,
                checked=bool(value) if kind == "boolean" else False,
                error=errors.get(name),
                help=help_text,
                attributes=attributes,
            )
        )
    return Form(drawn)


def model_form(
    request: Request,
    model: type[BaseModel],
    *,
    fields: Iterable[str] | None = None,
    current: Any = None,
) -> tuple[Any, Form]:
    """A form page's two steps in one: on a POST, ``(document, fields)``
    where the form is valid, else ``(None, fields)`` with the values sent and
    one message per field; on any other method ``(None, fields)`` showing
    ``current`` (the stored document or model being edited), or empty."""
    if request.method != "POST":
        return None, form_fields(model, fields=fields, values=current)
    if isinstance(current, BaseModel):
        current = current.model_dump(by_alias=True)
    document, errors, values = read_form(request, model, fields=fields, current=current)
    return document, form_fields(model, fields=fields, values=values, errors=errors)


def read_form(
    request: Request,
    model: type[BaseModel],
    *,
    fields: Iterable[str] | None = None,
    current: Mapping[str, Any] | None = None,
) -> tuple[Any, dict[str, str], dict[str, str]]:
    """The posted form through ``model``: ``(document, {}, values)``, or
    ``(None, errors, values)`` with one message per field; a file sent in
    a field's place is a 400 naming it. ``current``: the stored document
    whose other fields the form keeps."""
    schema = _schema_of(model)
    sent: dict[str, str] = {}
    data: dict[str, Any] = dict(current or {})
    for name in client_fields(model, fields):
        prop = _property(schema, name)
        kind = prop.get("type", "string")
        limit = prop.get("maxLength", DEFAULT_MAX_LENGTH)
        if kind == "array":
            limit = (prop.get("items", {}).get("maxLength", 200) + 2) * prop.get("maxItems", 100)
        text = form_text(request, name, max_length=max(limit * 2, 100))  # the model says the rest
        sent[name] = text
        if kind == "boolean":
            data[name] = name in request.POST
        elif kind == "array":
            data[name] = [part.strip() for part in text.split(",") if part.strip()]
        elif text == "" and name not in schema.get("required", ()):
            data.pop(name, None)  # left empty: the model's default
        elif kind == "integer" and text.strip().lstrip("-").isdigit():
            data[name] = int(text)
        else:
            data[name] = text
    try:
        return model.model_validate(data, strict=False), {}, sent
    except ValidationError as exc:
        errors: dict[str, str] = {}
        for problem in problems_of(exc):
            name = problem["pointer"].split("/")[1] if problem["pointer"] else ""
            errors.setdefault(name, problem["message"])
        return None, errors, sent
