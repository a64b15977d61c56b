"""An HTTP request as the event a Lambda Function URL sends (payload format 2.0), and its answer back."""

from __future__ import annotations

import base64
import json
import time
import uuid
from typing import Any
from urllib.parse import parse_qsl

# The event adapter tells Function URLs from HTTP APIs by this part of the domain name.
LOCAL_DOMAIN = "localhost.lambda-url.local"

# Bodies a Function URL passes as text; anything else arrives base64-encoded.
_TEXT_TYPES = ("text/", "application/json", "application/xml", "application/x-www-form-urlencoded")


def function_url_event(
    method: str,
    target: str,
    headers: list[tuple[str, str]],
    body: bytes,
    *,
    source_ip: str = "127.0.0.1",
) -> dict[str, Any]:
    """The payload 2.0 event a Function URL sends for this request."""
    path, _, raw_query = target.partition("?")
    joined: dict[str, str] = {}
    cookies: list[str] = []
    for name, value in headers:
        name = name.lower()
        if name == "cookie":
            # Payload 2.0 carries cookies in their own list, not as a header.
            cookies += [c.strip() for c in value.split(";") if c.strip()]
            continue
        joined[name] = f"{joined[name]},{value}" if name in joined else value
    now = time.time()
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path or "/",
        "rawQueryString": raw_query,
        "headers": joined,
        "requestContext": {
            "accountId": "anonymous",
            "apiId": "localhost",
            "domainName": LOCAL_DOMAIN,
            "domainPrefix": "localhost",
            "http": {
                "method": method.upper(),
                "path": path or "/",
                "protocol": "HTTP/1.1",
                "sourceIp": source_ip,
                "userAgent": joined.get("user-agent", ""),
            },
            "requestId": str(uuid.uuid4()),
            "routeKey": "$default",
            "stage": "$default",
            "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "timeEpoch": int(now * 1000),
        },
        "isBase64Encoded": False,
    }
    if cookies:
        event["cookies"] = cookies
    if raw_query:
        query: dict[str, str] = {}
        for name, value in parse_qsl(raw_query, keep_blank_values=True):
            query[name] = f"{query[name]},{value}" if name in query else value
        event["queryStringParameters"] = query
    if body:
        if _is_text(joined.get("content-type", ""), body):
            event["body"] = body.decode()
        else:
            event["body"] = base64.b64encode(body).decode("ascii")
            event["isBase64Encoded"] = True
    return event


def _is_text(content_type: str, body: bytes) -> bool:
    content_type = content_type.lower()
    textual = content_type.startswith(_TEXT_TYPES) or content_type.endswith(("+json", "+xml"))
    if not textual and content_type:
        return False
    try:
        body.decode()
    except UnicodeDecodeError:
        return False
    return True


def http_answer(answer: Any) -> tuple[int, list[tuple[str, str]], bytes]:
    """(status, headers, body) for a handler's answer, read the way a Function URL reads it."""
    if not (isinstance(answer, dict) and "statusCode" in answer):
        # A Function URL sends any other answer as a JSON document with status 200.
        return 200, [("Content-Type", "application/json")], json.dumps(answer).encode()
    headers = [(str(name), str(value)) for name, value in (answer.get("headers") or {}).items()]
    headers += [("Set-Cookie", str(cookie)) for cookie in answer.get("cookies") or ()]
    body = answer.get("body") or ""
    raw = base64.b64decode(body) if answer.get("isBase64Encoded") else str(body).encode()
    return int(answer["statusCode"]), headers, raw
