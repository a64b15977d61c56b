"""Body and query-string handling shared by the event adapters."""

from __future__ import annotations

from collections.abc import Mapping

from ..errors import BadRequest
from ..messages import Response
from .fields import EventFields

# Bodies of these types travel as text in the Lambda answer; anything else as base64.
_TEXT_TYPES = ("text/", "application/json", "application/xml", "application/problem+json")


def decode_body(event: EventFields) -> bytes:
    body = event.text("body")
    is_base64 = event.flag("isBase64Encoded")
    if not body:
        return b""
    if is_base64:
        import base64  # most bodies are plain text: keep base64 off the cold-start path
        import binascii

        try:
            return base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            raise BadRequest("The request body is marked base64 but is not valid base64.") from None
    # A lone surrogate (a \ud800 escape in the event) becomes bytes that are not UTF-8,
    # which JSON parsing then refuses with a 400.
    return body.encode("utf-8", "surrogatepass")


def encode_body(response: Response) -> tuple[str, bool]:
    """The answer's body as (text, is_base64)."""
    if not response.body:
        return "", False
    content_type = response.content_type.lower()
    if content_type.startswith(_TEXT_TYPES) or content_type.endswith("+json"):
        try:
            return response.body.decode(), False
        except UnicodeDecodeError:
            pass
    import base64

    return base64.b64encode(response.body).decode("ascii"), True


def parse_query_string(raw: str) -> dict[str, list[str]]:
    if not raw:
        return {}  # most requests: urllib.parse (~2 ms to import) stays off the cold start
    from urllib.parse import parse_qs

    return parse_qs(raw, keep_blank_values=True)


def query_from_maps(
    single: Mapping[str, str],
    multi: Mapping[str, list[str]],
    *,
    percent_encoded: bool = False,
) -> dict[str, list[str]]:
    """Query parameters from `queryStringParameters` / `multiValueQueryStringParameters`."""

    def clean(text: str) -> str:
        if not percent_encoded:
            return text
        from urllib.parse import unquote_plus  # ALB only: off the cold start of the others

        return unquote_plus(text)

    if multi:
        return {clean(name): [clean(v) for v in values] for name, values in multi.items()}
    return {clean(name): [clean(value)] for name, value in single.items()}
