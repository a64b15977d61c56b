"""The http connector's commands as a test sends them, and the envelopes they answer with."""

from __future__ import annotations

from typing import Any

from support.lambda_events import Answer, invoke
from tools.local.context import LocalContext

JSON = "application/json"


def run(
    command: str, *, context: LocalContext | None = None, source: str = "function-url", **arguments: Any
) -> Answer:
    return invoke(source, "POST", f"/v1/do/http/{command}", body=arguments, context=context)


def get(url: str) -> dict[str, Any]:
    """The whole envelope GetRequestV2 of `url` answers (through a Function URL event)."""
    answer = run("GetRequestV2", url=url)
    assert answer.status == 200, answer
    envelope: dict[str, Any] = answer.json
    return envelope


def envelope_of(answer: Answer) -> tuple[dict[str, Any], list[str]]:
    """The v2 envelope without its logs, and the logs."""
    assert answer.status == 200, answer
    assert answer.headers["content-type"] == JSON
    envelope = answer.json
    logs = envelope.pop("spiff__logs")
    assert logs and all(isinstance(line, str) for line in logs)
    return envelope, logs


def ok(body: Any, status: int = 200, **response: Any) -> dict[str, Any]:
    return {
        "command_response": {"body": body, "mimetype": JSON, "http_status": status, **response},
        "command_response_version": 2,
        "error": None,
    }


def failed(code: str, status: int, body: Any = None, message: str = "...") -> dict[str, Any]:
    return {
        "command_response": {"body": {} if body is None else body, "mimetype": JSON, "http_status": status},
        "command_response_version": 2,
        "error": {"error_code": code, "message": message},
    }


def masked(envelope: dict[str, Any]) -> dict[str, Any]:
    """The envelope with its error message replaced by "...", for messages checked on their own."""
    if envelope.get("error"):
        envelope = {**envelope, "error": {**envelope["error"], "message": "..."}}
    return envelope


def echoed(answer: Answer) -> dict[str, Any]:
    envelope, _ = envelope_of(answer)
    assert envelope["error"] is None, envelope
    body: dict[str, Any] = envelope["command_response"]["body"]
    return body
