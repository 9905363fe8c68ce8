"""One reader for every header whose value is a list (RFC 9110 §5.6.1).

``If-Match: "a", , "b"`` is two entity tags: a recipient must accept and
ignore empty elements (§5.6.1.2), and a comma inside a quoted string
(§5.6.4) separates nothing. ``If-Match``, ``If-None-Match`` and the range
set of ``Range`` are all read here, for items and GridFS files alike.
"""

from __future__ import annotations

import re

# A quoted string with its escapes, or a run of anything but quote and comma.
_PIECE = re.compile(r'"(?:[^"\\]|\\.)*"?|[^",]+', re.DOTALL)


def list_elements(value: str) -> list[str]:
    """The elements of a comma-separated list, each stripped of the optional
    white space around it, the empty ones left out."""
    elements: list[str] = []
    current: list[str] = []
    position = 0
    while position < len(value):
        if value[position] == ",":
            elements.append("".join(current).strip(" \t"))
            current = []
            position += 1
            continue
        match = _PIECE.match(value, position)
        assert match is not None  # a quote or any other character always starts a piece
        current.append(match.group())
        position = match.end()
    elements.append("".join(current).strip(" \t"))
    return [element for element in elements if element]
