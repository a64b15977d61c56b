"""The Function URL events (payload format 2.0) the benchmarks send to `lambda_handler`."""

from __future__ import annotations

import json
from typing import Any

COMMANDS_PATH = "/v1/commands"
DO_PATH = "/v1/do/http/GetRequestV2"


def function_url_event(method: str, path: str, body: Any = None) -> dict[str, Any]:
    headers = {"accept": "application/json", "user-agent": "bench"}
    if body is not None:
        headers["content-type"] = "application/json"
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": "",
        "headers": headers,
        "requestContext": {
            "accountId": "anonymous",
            "apiId": "bench",
            "domainName": "bench.lambda-url.us-east-1.on.aws",
            "domainPrefix": "bench",
            "http": {"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1"},
            "requestId": "bench-request",
            "routeKey": "$default",
            "stage": "$default",
        },
        "body": None if body is None else json.dumps(body),
        "isBase64Encoded": False,
    }


def commands_event() -> dict[str, Any]:
    return function_url_event("GET", COMMANDS_PATH)


def do_event(upstream_url: str) -> dict[str, Any]:
    """What SpiffArena sends for a GetRequestV2 service task."""
    return function_url_event(
        "POST",
        DO_PATH,
        {
            "url": upstream_url,
            "headers": {"Accept": "application/json"},
            "params": {"colour": "blue"},
            "spiff__process_instance_id": 1,
            "spiff__task_id": "bench",
            "spiff__task_data": {},
        },
    )
