"""What a field's value lacks, in our words, from pydantic's error type.

pydantic's error *types* and their context (``min_length``, ``ge``...) are
its documented interface; its sentences are not ours to depend on, and
some read badly on a form ("String should match pattern '[^ \\t\\n...]'").
A type we have no words for keeps pydantic's sentence.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

_Words = Callable[[Mapping[str, Any]], str]


def _count(noun: str, bound: str) -> _Words:
    def words(ctx: Mapping[str, Any]) -> str:
        number = ctx.get(bound)
        plural = "" if number == 1 else "s"
        return f"{'At least' if 'min' in bound else 'At most'} {number} {noun}{plural}."

    return words


_WORDS: dict[str, _Words] = {
    "missing": lambda ctx: "Required.",
    "string_too_short": lambda ctx: (
        "Must not be empty."
        if ctx.get("min_length") == 1
        else _count("character", "min_length")(ctx)
    ),
    "string_too_long": _count("character", "max_length"),
    "too_short": _count("item", "min_length"),
    "too_long": _count("item", "max_length"),
    "string_pattern_mismatch": lambda ctx: "Not in the form this field takes.",
    "greater_than_equal": lambda ctx: f"At least {ctx.get('ge')}.",
    "less_than_equal": lambda ctx: f"At most {ctx.get('le')}.",
    "greater_than": lambda ctx: f"More than {ctx.get('gt')}.",
    "less_than": lambda ctx: f"Less than {ctx.get('lt')}.",
    "extra_forbidden": lambda ctx: "Not accepted.",
    "enum": lambda ctx: f"One of {ctx.get('expected')}.",
}
# Types that say the same thing, whatever the value's limits.
for _types, _words in (
    (("int_parsing", "int_from_float", "int_type"), "A whole number."),
    (("float_parsing", "float_type"), "A number."),
    (("bool_parsing", "bool_type"), "True or false."),
    (("string_type",), "Text."),
    (("datetime_parsing", "datetime_from_date_parsing", "datetime_type"),
     "A date and time, such as 2026-12-24T10:00."),
):  # fmt: skip
    _WORDS.update(dict.fromkeys(_types, lambda ctx, words=_words: words))


def message_of(error: Mapping[str, Any]) -> str:
    """One of pydantic's ``ValidationError.errors()``, said plainly."""
    words = _WORDS.get(str(error.get("type")))
    if words is None:
        return str(error.get("msg"))
    return words(error.get("ctx") or {})
