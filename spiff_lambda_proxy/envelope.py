"""The JSON shapes SpiffArena reads (PROTOCOL.md sections 4-5): results and errors.

A command answers with a v2 envelope (`command_response_version` 2) or an older
v1 result (`{"response", "status", "mimetype"}`). Synchronous answers send a v2
envelope whole and a v1 result as its own HTTP answer (`answer_of`, the one rule
for both: the route sends it, a background run reads it as SpiffArena would);
callbacks of background runs need a v2 envelope in every case (`as_v2`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from .errors import InvalidResult, ProxyError
from .messages import Headers, Response, dump_json


def error_envelope(error_code: str, message: str) -> dict[str, Any]:
    """The proxy's own error answer (any failure before or around a command)."""
    return {"command_response": {}, "error": {"error_code": error_code, "message": message}}


def error_response(error: ProxyError) -> Response:
    headers = Headers(error.headers.items())
    return Response.json(error.status, error_envelope(error.error_code, error.message), headers=headers)


def v2_envelope(
    body: Any,
    *,
    http_status: int = 200,
    mimetype: str = "application/json",
    error: Mapping[str, Any] | None = None,
    logs: list[Any] | None = None,
) -> dict[str, Any]:
    """The one constructor of the v2 envelope (PROTOCOL.md section 4) the proxy writes itself.

    (Connector packages build their own: they must not import the proxy.)
    """
    return {
        "command_response": {"body": body, "mimetype": mimetype, "http_status": http_status},
        "command_response_version": 2,
        "error": None if error is None else dict(error),
        "spiff__logs": [] if logs is None else logs,
    }


def v2_error_envelope(error_code: str, http_status: int, message: str) -> dict[str, Any]:
    """A failure as a v2 envelope: what a callback carries (it requires `command_response.body`)."""
    return v2_envelope({}, http_status=http_status, error={"error_code": error_code, "message": message})


def is_v2(result: Any) -> bool:
    version = result.get("command_response_version") if isinstance(result, Mapping) else None
    return isinstance(version, (int, float)) and not isinstance(version, bool) and version > 1


def _is_v1(result: Any) -> bool:
    return isinstance(result, Mapping) and "response" in result


class Answer(NamedTuple):
    """What a command's result is as a synchronous HTTP answer."""

    status: int
    body: bytes
    content_type: str


def answer_of(command_id: str, result: Any) -> Answer:
    """A command's result as its synchronous answer: a v2 envelope whole, a v1 result as its own."""
    if is_v2(result):
        return Answer(200, encode_result(command_id, result), "application/json")
    if not _is_v1(result):
        raise _not_a_result(command_id, result)
    status = _v1_status(command_id, result)
    body = result["response"]
    mimetype = result.get("mimetype")
    if isinstance(body, (dict, list)):
        return Answer(status, encode_result(command_id, body), mimetype or _default_mimetype(body))
    if body is None:
        body = ""
    if isinstance(body, bytes):
        return Answer(status, body, mimetype or "application/octet-stream")
    return Answer(status, str(body).encode(), mimetype or "text/plain; charset=utf-8")


def result_response(command_id: str, result: Any, *, status: int = 200) -> Response:
    """Answer a command's result over HTTP (`status` is that of a v2 envelope: 202 when accepted)."""
    answer = answer_of(command_id, result)
    return Response(status if is_v2(result) else answer.status, answer.body, content_type=answer.content_type)


def as_v2(command_id: str, result: Any) -> dict[str, Any]:
    """A command's result as a v2 envelope with every key SpiffArena's callback route requires."""
    if is_v2(result):
        envelope = dict(result)
        command_response = envelope.get("command_response")
        if not isinstance(command_response, Mapping):
            raise InvalidResult(f"{command_id} returned a v2 result whose command_response is not an object.")
        envelope["command_response"] = {"body": {}, **command_response}
        envelope.setdefault("error", None)
        envelope.setdefault("spiff__logs", [])
        return envelope
    if not _is_v1(result):
        raise _not_a_result(command_id, result)
    status = _v1_status(command_id, result)
    body = result["response"]
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    if body is None:
        body = ""
    error = None
    if status >= 400:
        error = {
            "error_code": f"HttpError{status}",
            "message": f"{command_id} answered with status {status}.",
        }
    mimetype = result.get("mimetype") or _default_mimetype(body)
    return v2_envelope(body, http_status=status, mimetype=mimetype, error=error)


def _v1_status(command_id: str, result: Mapping[str, Any]) -> int:
    raw_status = result.get("status", 200)
    try:
        status = int(raw_status)
    except (TypeError, ValueError):
        status = 0
    if not 100 <= status <= 599:
        raise InvalidResult(f"{command_id} returned a v1 result with an invalid status: {raw_status!r}.")
    return status


def _default_mimetype(body: Any) -> str:
    return "application/json" if isinstance(body, (dict, list)) else "text/plain"


def _not_a_result(command_id: str, result: Any) -> InvalidResult:
    return InvalidResult(
        f"{command_id} returned {type(result).__name__}, which is neither a v2 result "
        "(a dict with command_response_version 2) nor a v1 result (a dict with 'response')."
    )


def encode_result(command_id: str, payload: Any) -> bytes:
    """A result (or part of one) as JSON; InvalidResult when JSON cannot carry it."""
    try:
        return dump_json(payload)
    except (TypeError, ValueError) as error:
        raise InvalidResult(f"{command_id} returned a result that cannot be sent as JSON: {error}") from None
