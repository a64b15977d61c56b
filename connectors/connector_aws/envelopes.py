"""The v2 result envelope (command_response_version 2) that SpiffArena reads."""

from __future__ import annotations

from typing import Any

JSON = "application/json"


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
