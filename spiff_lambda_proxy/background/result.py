"""What a background run's callback carries, so SpiffArena keeps what a synchronous answer leaves.

SpiffArena's backend (PROTOCOL.md section 5) reads a *synchronous* answer like
this: it parses the body as JSON (error `ServiceTaskOperatorReturnedInvalidJsonError`
when it is not); for a v2 envelope it takes `command_response` and adds
`operator_identifier` (the command id); it raises the first of `error.error_code`,
`ServiceTaskHttpError<status>` (a v2 `http_status` >= 300) and
`ServiceTaskOperatorReturnedBadStatusError` (an HTTP status >= 300); otherwise
the task's result variable gets that value (for a v1 answer, its parsed body).
A *callback* gets the same error check as an answer with HTTP status 200, and
then only its `command_response.body` is stored (a JSON string with mimetype
`application/json` parsed first).

So the default shape (`CONNECTOR_PROXY_CALLBACK_SHAPE=synchronous`) answers the
command the way the synchronous path would, reads that answer the way SpiffArena
does, and puts the value it would have stored in `command_response.body` and the
error it would have raised in `error` (or, for `ServiceTaskHttpError<status>`, the
`http_status` it derives that code from). `raw` sends the result's own v2
envelope, and SpiffArena stores its `body`.

The body is computed here once, as bytes, and that one value is what a run keeps
(`stored.StoredResult`) and what every delivery attempt sends, however late.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, NamedTuple

from ..envelope import answer_of, as_v2, is_v2, v2_envelope, v2_error_envelope
from ..errors import InvalidResult, ProxyError
from ..messages import dump_json
from .settings import SHAPE_RAW

INVALID_JSON = "ServiceTaskOperatorReturnedInvalidJsonError"
BAD_STATUS = "ServiceTaskOperatorReturnedBadStatusError"
_MESSAGE_LIMIT = 2000


class CallbackBody(NamedTuple):
    body: bytes
    # The error the body reports (SpiffArena raises it), for the run's log line.
    error_code: str | None


def failure_body(error: ProxyError) -> CallbackBody:
    """A failure of the proxy or the command: the same error code as the synchronous answer."""
    return CallbackBody(
        dump_json(v2_error_envelope(error.error_code, error.status, error.message)), error.error_code
    )


def callback_body(command_id: str, result: Any, shape: str) -> CallbackBody:
    """The callback body for what the command returned, as the bytes every attempt sends."""
    try:
        envelope = as_v2(command_id, result) if shape == SHAPE_RAW else _as_stored(command_id, result)
        reported = envelope.get("error")
        error_code = reported.get("error_code") if isinstance(reported, Mapping) else None
        return CallbackBody(dump_json(envelope), str(error_code) if error_code is not None else None)
    except InvalidResult as error:
        return failure_body(error)
    except (TypeError, ValueError) as error:
        message = f"{command_id} returned a result that cannot be sent as JSON: {error}"
        return failure_body(InvalidResult(message))


def _as_stored(command_id: str, result: Any) -> dict[str, Any]:
    """The synchronous answer to `result`, read as SpiffArena reads it, shaped for the callback."""
    status, body, _ = answer_of(command_id, result)
    text = body.decode("utf-8", "replace")
    try:
        parsed: Any = json.loads(text or "{}")
    except (ValueError, RecursionError):
        return _envelope({}, status, _error(INVALID_JSON, text), [])
    fields = parsed if isinstance(parsed, Mapping) else {}
    found_logs = fields.get("spiff__logs")
    logs: list[Any] = found_logs if isinstance(found_logs, list) else []
    if "spiff__logs" in fields and "api_response" in fields:
        parsed = fields["api_response"]  # what SpiffArena unwraps for older connectors
        fields = parsed if isinstance(parsed, Mapping) else {}
    stored = parsed
    if is_v2(fields):
        command_response = fields.get("command_response")
        if not isinstance(command_response, Mapping):
            raise InvalidResult(f"{command_id} returned a v2 result whose command_response is not an object.")
        stored = {**command_response, "operator_identifier": command_id}
    http_status = stored.get("http_status") if is_v2(fields) else None
    if not isinstance(http_status, (int, float)) or isinstance(http_status, bool):
        http_status = None
    error = fields.get("error")
    if isinstance(error, Mapping) and "error_code" in error:
        reported = {"error_code": error["error_code"], "message": error.get("message")}
        return _envelope(stored, int(http_status or status), reported, logs)
    if http_status is not None and http_status >= 300:
        # SpiffArena derives ServiceTaskHttpError<status> from this, as for the synchronous answer.
        return _envelope(stored, int(http_status), None, logs)
    if status >= 300:
        message = f"{command_id} answered with HTTP {status}: {text}"
        return _envelope(stored, status, _error(BAD_STATUS, message), logs)
    return _envelope(stored, 200, None, logs)


def _envelope(stored: Any, http_status: int, error: dict[str, Any] | None, logs: list[Any]) -> dict[str, Any]:
    # A string body is sent as JSON text: SpiffArena parses it back, so "42" stays a string.
    body = json.dumps(stored) if isinstance(stored, str) else stored
    return v2_envelope(body, http_status=http_status, error=error, logs=logs)


def _error(error_code: str, message: str) -> dict[str, Any]:
    return {"error_code": error_code, "message": message[:_MESSAGE_LIMIT]}
