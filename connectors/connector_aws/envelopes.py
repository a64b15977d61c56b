"""The v2 result envelope (command_response_version 2) that SpiffArena reads."""

from __future__ import annotations

import json
from typing import Any

JSON = "application/json"
# Lambda answers at most 6 MiB of JSON; room is kept for the answer's status and headers.
MAX_ANSWER_BYTES = 6 * 1024 * 1024 - 256 * 1024
RESPONSE_TOO_LARGE = "ResponseTooLarge"


def success(body: Any, status: int = 200) -> dict[str, Any]:
    return {
        "command_response": {"body": body, "mimetype": JSON, "http_status": status},
        "command_response_version": 2,
        "error": None,
        "spiff__logs": [],
    }


def failure(error_code: str, message: str, status: int, body: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "command_response": {"body": body or {}, "mimetype": JSON, "http_status": status},
        "command_response_version": 2,
        "error": {"error_code": error_code, "message": message},
        "spiff__logs": [],
    }


def carried_size(envelope: Any) -> int:
    """Bytes `envelope` takes in the function's answer: the proxy sends its JSON as the answer's
    `body` string, which Lambda's JSON escapes once more (quotes and backslashes doubled, and
    non-ASCII as \\uXXXX on runtimes before Python 3.12, the larger count)."""
    inner = json.dumps(envelope, ensure_ascii=False, separators=(",", ":"), default=str)
    return len(json.dumps(inner))
