"""The JSON shapes SpiffArena reads (PROTOCOL.md section 4): results and errors."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .errors import InvalidResult, ProxyError
from .messages import Headers, Response, dump_json


def error_envelope(error_code: str, message: str) -> dict[str, Any]:
    return {"command_response": {}, "error": {"error_code": error_code, "message": message}}


def error_response(error: ProxyError) -> Response:
    headers = Headers(error.headers.items())
    return Response.json(error.status, error_envelope(error.error_code, error.message), headers=headers)


def is_v2(result: Any) -> bool:
    version = result.get("command_response_version") if isinstance(result, Mapping) else None
    return isinstance(version, (int, float)) and not isinstance(version, bool) and version > 1


def result_response(command_id: str, result: Any, *, status: int = 200) -> Response:
    """Answer a command's result: a v2 envelope whole, a v1 result as its own HTTP answer."""
    if is_v2(result):
        return Response(status, _encode(command_id, result), content_type="application/json")
    if isinstance(result, Mapping) and "response" in result:
        return _v1_response(command_id, result)
    raise InvalidResult(
        f"{command_id} returned {type(result).__name__}, which is neither a v2 result "
        "(a dict with command_response_version 2) nor a v1 result (a dict with 'response')."
    )


def _v1_response(command_id: str, result: Mapping[str, Any]) -> Response:
    raw_status = result.get("status", 200)
    try:
        status = int(raw_status)
    except (TypeError, ValueError):
        status = 0
    if not 100 <= status <= 599:
        raise InvalidResult(f"{command_id} returned a v1 result with an invalid status: {raw_status!r}.")
    body = result["response"]
    mimetype = result.get("mimetype")
    if isinstance(body, (dict, list)):
        return Response(status, _encode(command_id, body), content_type=mimetype or "application/json")
    if body is None:
        body = ""
    if isinstance(body, bytes):
        return Response(status, body, content_type=mimetype or "application/octet-stream")
    return Response(status, str(body).encode(), content_type=mimetype or "text/plain; charset=utf-8")


def _encode(command_id: str, payload: Any) -> bytes:
    try:
        return dump_json(payload)
    except (TypeError, ValueError) as error:
        raise InvalidResult(f"{command_id} returned a result that cannot be sent as JSON: {error}") from None
