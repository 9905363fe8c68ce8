"""What a served file says it is: its media type, its charset, whether a
browser may show it inline, and its name for a download."""

from __future__ import annotations

import codecs
import email.message
import mimetypes
import re
from typing import Any
from urllib.parse import quote

# Types a browser shows without running anything, even inline: everything
# else (HTML, SVG, XML, JavaScript, PDF, unknown types) is an attachment.
_INLINE_SAFE = re.compile(
    r"^(image/(png|jpeg|gif|webp|avif|bmp|x-icon|vnd\.microsoft\.icon)"
    r"|audio/[\w.+-]+|video/[\w.+-]+|text/plain|text/csv|application/json)$"
)


def inline_safe(media_type: str) -> bool:
    return bool(_INLINE_SAFE.match(media_type.split(";")[0].strip().lower()))


def content_disposition(name: str | None) -> str:
    """``attachment`` with an ASCII filename and, for any other name, RFC 6266's
    ``filename*=UTF-8\'\'...``."""
    name = name or "download"
    fallback = "".join(
        char if " " <= char < "\x7f" and char not in '"\\%' else "_" for char in name
    )
    value = f'attachment; filename="{fallback}"'
    if fallback != name:
        value += f"; filename*=UTF-8''{quote(name, safe='')}"
    return value


def utf8_check(media_type: str) -> Any:
    """A UTF-8 decoder for text that names no charset, else None."""
    header = email.message.Message()
    header["Content-Type"] = media_type
    if header.get_content_maintype() != "text" or header.get_param("charset"):
        return None
    return codecs.getincrementaldecoder("utf-8")()


def still_utf8(decoder: Any, chunk: bytes, final: bool = False) -> Any:
    try:
        decoder.decode(chunk, final)
    except UnicodeDecodeError:
        return None
    return decoder


def content_type_of(name: str) -> str:
    return mimetypes.guess_type(name)[0] or "application/octet-stream"
