"""Upstream bodies as SpiffArena receives them, and how big an answer gets.

JSON content types give the parsed value, `application/xml` and `text/xml` a
dict (xmltodict), anything else `{"raw_response": <text>}`, as connector-http
does; a body that claims to be JSON or XML but is not keeps its text.
"""

from __future__ import annotations

import codecs
import json
from typing import Any, NamedTuple

from .errors import INVALID_JSON, INVALID_XML

_XML_TYPES = ("application/xml", "text/xml")


class ParsedBody(NamedTuple):
    body: Any
    # (error_code, message) when the body is not what its content type says.
    problem: tuple[str, str] | None = None


def media_type(content_type: str) -> str:
    return content_type.split(";", 1)[0].strip().lower()


def is_json(content_type: str) -> bool:
    kind = media_type(content_type)
    # application/json, and structured suffixes such as application/problem+json.
    return kind.endswith(("/json", "+json"))


def decode_text(content: bytes, content_type: str) -> str:
    """The body as text: its declared charset, else UTF-8; undecodable bytes replaced."""
    charset = "utf-8"
    for parameter in content_type.split(";")[1:]:
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset" and value.strip():
            candidate = value.strip().strip("\"'")
            try:
                codecs.lookup(candidate)
            except LookupError:
                continue
            charset = candidate
    return content.decode(charset, errors="replace")


def parse_body(content: bytes, content_type: str, *, bodiless: bool = False) -> ParsedBody:
    """`bodiless`: the answer cannot carry a body (HEAD, 204, 304)."""
    structured = is_json(content_type) or media_type(content_type) in _XML_TYPES
    if not content:
        # Nothing to parse is not an error: {} for data types, an empty text otherwise.
        return ParsedBody({} if bodiless or structured or not content_type else {"raw_response": ""})
    text = decode_text(content, content_type)
    if is_json(content_type):
        try:
            return ParsedBody(json.loads(text, parse_constant=_reject_constant))
        except ValueError as error:
            return ParsedBody(
                {"raw_response": text},
                (
                    INVALID_JSON,
                    f"The upstream said {media_type(content_type)} but its body is not JSON: {error}.",
                ),
            )
    if media_type(content_type) in _XML_TYPES:
        import xmltodict  # only when an XML answer arrives

        try:
            # Bytes, so expat honours the document's own encoding declaration.
            return ParsedBody(xmltodict.parse(content))
        except Exception as error:  # expat's errors, and xmltodict's for odd documents
            return ParsedBody(
                {"raw_response": text},
                (
                    INVALID_XML,
                    f"The upstream said {media_type(content_type)} but its body is not XML: {error}.",
                ),
            )
    return ParsedBody({"raw_response": text})


def _reject_constant(name: str) -> Any:
    # NaN and Infinity are not JSON; accepting them would fail later, when encoding the answer.
    raise ValueError(f"{name} is not valid JSON")


def answer_size(payload: Any) -> int:
    """Bytes `payload` takes once Lambda carries it in the function's JSON answer.

    `payload` is a v2 envelope (which the proxy encodes as JSON first) or a v1
    text (sent as is). The answer carries that text as a JSON string, escaping
    quotes and backslashes and spelling non-ASCII characters as \\uXXXX.
    Both steps run in C: milliseconds for megabytes.
    """
    if not isinstance(payload, str):
        payload = json.dumps(payload, ensure_ascii=False, separators=(",", ":"), default=str)
    return len(json.dumps(payload))
