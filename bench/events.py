"""The Function URL events (payload format 2.0) the benchmarks send to `lambda_handler`."""

from __future__ import annotations

import json
from typing import Any

COMMANDS_PATH = "/v1/commands"
DO_PATH = "/v1/do/http/GetRequestV2"


def function_url_event(method: str, path: str, body: Any = None, query: str = "") -> dict[str, Any]:
    headers = {"accept": "application/json", "user-agent": "bench"}
    if body is not None:
        headers["content-type"] = "application/json"
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": query,
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


TYPEAHEAD_PATH = "/v1/typeahead/cities"
# What someone types, key by key, into a city field: the warm run cycles through these.
TYPED = ("s", "sa", "san", "san ", "san f", "b", "be", "ber", "berl", "m", "mu", "mün", "l", "lo", "lon", "p",
         "pa", "par", "n", "ne", "new", "new y", "k", "ky", "kyo", "z", "zü", "zür", "a", "ab")  # fmt: skip


def typeahead_event(prefix: str, limit: int = 100) -> dict[str, Any]:
    """What SpiffArena's backend sends for a cities field (the built-in list, public)."""
    from urllib.parse import quote

    return function_url_event("GET", TYPEAHEAD_PATH, query=f"prefix={quote(prefix)}&limit={limit}")
