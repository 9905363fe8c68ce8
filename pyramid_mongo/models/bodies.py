"""A request's JSON body as a model: every problem in one 422, nothing stored."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import BaseModel, ValidationError
from pyramid.httpexceptions import HTTPUnprocessableEntity, HTTPUnsupportedMediaType
from pyramid.request import Request

from ..http import error_response, json_body
from .documents import MongoModel, client_fields
from .stored import pointer, problems_of

# What a merge patch may be sent as (RFC 7396; plain JSON as the same).
MERGE_PATCH_TYPES = ("application/merge-patch+json", "application/json")


def validate_body(
    request: Request,
    model: type[MongoModel],
    *,
    fields: Iterable[str] | None = None,
    current: Mapping[str, Any] | None = None,
    merge: bool = False,
) -> Any:
    """The request's JSON body as a ``model``, or a 422 naming each field.

    ``fields``: the keys a client may send (others answer 422: an ``_id``,
    a revision, an operator never reach the database), by default the
    model's ``client_fields``; ``current``: the
    stored document the body replaces those fields of, or, with ``merge``,
    patches (RFC 7396: ``null`` removes a field); a patch of another media
    type is a 415 with ``Accept-Patch`` (RFC 5789).
    """
    if merge and request.content_type not in MERGE_PATCH_TYPES:
        message = f"A patch must be a JSON merge patch ({MERGE_PATCH_TYPES[0]})."
        refusal = error_response(request, HTTPUnsupportedMediaType, message)
        refusal.headers["Accept-Patch"] = ", ".join(MERGE_PATCH_TYPES)
        raise refusal
    body = json_body(request)
    if not isinstance(body, dict):
        raise _unprocessable(request, model, [{"pointer": "", "message": "Not a JSON object."}])
    accepted = set(client_fields(model, fields))
    refused = [key for key in body if key not in accepted]
    # Every problem in one answer: a key not accepted hides no field's error.
    problems = [{"pointer": pointer([key]), "message": "Not accepted."} for key in refused]
    body = {key: value for key, value in body.items() if key not in refused}
    base = dict(current or {})
    if merge:
        document = _merge_patch(base, body)
    else:
        kept = {key: value for key, value in base.items() if key not in accepted}
        document = {**kept, **body}
    try:
        # Lax: a request's JSON says a date or an ObjectId as text.
        valid = model.model_validate(document, strict=False)
    except ValidationError as exc:
        problems += problems_of(exc)
    if problems:
        raise _unprocessable(request, model, problems) from None
    return valid


def _merge_patch(target: Any, patch: Any) -> Any:
    if not isinstance(patch, dict):
        return patch
    merged = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = _merge_patch(merged.get(key), value)
    return merged


def _unprocessable(request: Request, model: type[BaseModel], problems: list[dict[str, str]]) -> Any:
    count = len(problems)
    message = f"The body is not a valid {model.__name__}: {count} problem{'s' * (count != 1)}."
    return error_response(request, HTTPUnprocessableEntity, message, members={"errors": problems})
