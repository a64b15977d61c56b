"""Object content in and out of S3 as JSON can carry it: text, base64 or a file data URL.

SpiffArena's file fields hold files as data URLs:
`data:<mime type>;name=<file name>;base64,<data>`.
"""

from __future__ import annotations

import json
import re
from typing import Any, NamedTuple

from .errors import InvalidArgument

TEXT = "text"
BASE64 = "base64"
DATA_URL = "data_url"
ENCODINGS = {TEXT: TEXT, BASE64: BASE64, DATA_URL: DATA_URL, "data-url": DATA_URL, "dataurl": DATA_URL}

_DATA_URL = r"data:(?P<mime>[^;,]*)(?P<params>(?:;[^;,]*)*?);base64,(?P<data>.*)"
_TEXT_TYPES = ("text/", "application/json", "application/xml", "application/yaml", "application/javascript")
_TEXT_SUFFIXES = ("+json", "+xml")


class Upload(NamedTuple):
    data: bytes
    content_type: str


def upload(argument: str, content: Any, encoding: str | None, content_type: str | None, key: str) -> Upload:
    """The bytes to store and their content type.

    `encoding` None means: a data URL when the content is one, else text. A
    JSON object or array is stored as JSON.
    """
    if isinstance(content, (dict, list)):
        if encoding not in (None, TEXT):
            raise InvalidArgument(argument, f"is a JSON value, so encoding '{encoding}' does not apply.")
        data = json.dumps(content, ensure_ascii=False).encode()
        return Upload(data, content_type or "application/json")
    if not isinstance(content, str):
        raise InvalidArgument(argument, "must be a string (text, base64 or a data URL) or a JSON object.")
    if encoding == BASE64:
        return Upload(
            decode_base64(argument, content), content_type or _guess(key, "application/octet-stream")
        )
    if encoding == DATA_URL or (encoding is None and _data_url(content)):
        data, mime, _name = parse_data_url(argument, content)
        return Upload(data, content_type or mime or _guess(key, "application/octet-stream"))
    return Upload(content.encode(), content_type or _guess(key, "text/plain; charset=utf-8"))


def parse_data_url(argument: str, content: str) -> tuple[bytes, str | None, str | None]:
    """(data, mime type, file name) of a base64 data URL."""
    match = _data_url(content.strip())
    if match is None:
        raise InvalidArgument(
            argument, "is not a data URL like 'data:<mime type>;name=<name>;base64,<data>'."
        )
    from urllib.parse import unquote

    name = None
    for param in match["params"].split(";"):
        if param.startswith("name="):
            name = unquote(param[len("name=") :])
    return decode_base64(argument, match["data"]), match["mime"] or None, name


def decode_base64(argument: str, content: str) -> bytes:
    import base64
    import binascii

    compact = "".join(content.split())
    compact += "=" * (-len(compact) % 4)
    try:
        if "-" in compact or "_" in compact:
            return base64.urlsafe_b64decode(compact)
        return base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidArgument(argument, "is not valid base64.") from None


def download(data: bytes, content_type: str, encoding: str | None, key: str) -> dict[str, Any]:
    """The object's content as `content` + `encoding`: text when it is text, else base64."""
    import base64

    if encoding is None:
        encoding = TEXT if _as_text(data, content_type) is not None else BASE64
    if encoding == TEXT:
        text = _as_text(data, content_type, strict=False)
        if text is None:
            raise InvalidArgument("encoding", "is 'text' but the object is not UTF-8 text; use 'base64'.")
        return {"content": text, "encoding": TEXT}
    encoded = base64.b64encode(data).decode("ascii")
    if encoding == DATA_URL:
        from urllib.parse import quote

        name = quote(key.rsplit("/", 1)[-1], safe="")
        mime = content_type.split(";", 1)[0].strip() or "application/octet-stream"
        return {"content": f"data:{mime};name={name};base64,{encoded}", "encoding": DATA_URL}
    return {"content": encoded, "encoding": BASE64}


def is_textual(content_type: str) -> bool:
    mime = content_type.split(";", 1)[0].strip().lower()
    return mime.startswith(_TEXT_TYPES) or mime.endswith(_TEXT_SUFFIXES)


def _as_text(data: bytes, content_type: str, strict: bool = True) -> str | None:
    """The data as text if it is UTF-8 (when `strict`, and free of binary control characters)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if strict and not is_textual(content_type) and _looks_binary(text):
        return None
    return text


def _looks_binary(text: str) -> bool:
    return any(ord(char) < 32 and char not in "\t\n\r\f" for char in text[:4096])


def _guess(key: str, default: str) -> str:
    import mimetypes

    guessed, _ = mimetypes.guess_type(key, strict=False)
    if guessed and is_textual(guessed) and "charset" not in guessed:
        return f"{guessed}; charset=utf-8" if default.startswith("text/") else guessed
    return guessed or default


def _data_url(content: str) -> re.Match[str] | None:
    return re.fullmatch(_DATA_URL, content, re.DOTALL)  # re caches the compiled pattern
