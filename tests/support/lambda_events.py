"""Build Lambda events from the real shapes in tests/events/ and read the answers.

`invoke(source, method, path, ...)` sends one request through `lambda_handler`
the way the named front door would deliver it, checks that the answer has that
front door's shape, and returns it as an `Answer`.
"""

from __future__ import annotations

import base64
import copy
import itertools
import json
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from tools.local.context import LocalContext

EVENTS_DIR = Path(__file__).resolve().parent.parent / "events"

# Every HTTP front door the handler answers; tests parametrise over these.
SOURCES = ("function-url", "http-api", "rest-api", "alb", "alb-multi")

_request_ids = itertools.count(1)


# The function tests run as: a real region, so the background tests can stub its Lambda client.
TEST_FUNCTION_ARN = "arn:aws:lambda:us-east-1:123456789012:function:spiff-connector-proxy"


def lambda_context(remaining_ms: int = 30_000, function_arn: str = TEST_FUNCTION_ARN) -> LocalContext:
    """The context a Lambda invocation with `remaining_ms` left gets."""
    return LocalContext(remaining_ms / 1000, function_arn=function_arn)


@cache
def _sample(name: str) -> dict[str, Any]:
    event: dict[str, Any] = json.loads((EVENTS_DIR / name).read_text())
    return event


def make_event(
    source: str,
    method: str = "GET",
    path: str = "/",
    *,
    body: str | bytes | dict[str, Any] | list[Any] | None = None,
    headers: Mapping[str, str] | None = None,
    query: Mapping[str, str | list[str]] | None = None,
    base64_body: bool = False,
    stage: str | None = None,
) -> dict[str, Any]:
    """An event for `source` (one of SOURCES) carrying this request."""
    if isinstance(body, (dict, list)):
        body = json.dumps(body)
    raw_body = body.encode() if isinstance(body, str) else body
    if raw_body is not None and base64_body:
        body_text: str | None = base64.b64encode(raw_body).decode()
    else:
        body_text = raw_body.decode() if raw_body is not None else None
    query_items = [
        (name, value)
        for name, values in (query or {}).items()
        for value in ([values] if isinstance(values, str) else values)
    ]
    headers = dict(headers or {})

    if source in ("function-url", "http-api"):
        sample = "lambdaFunctionUrlEvent.json" if source == "function-url" else "apiGatewayProxyV2Event.json"
        event = copy.deepcopy(_sample(sample))
        stage_name = stage or "$default"
        raw_path = path if stage_name == "$default" else f"/{stage_name}{path}"
        event.update(
            rawPath=raw_path,
            rawQueryString=urlencode(query_items),
            # Function URLs and HTTP APIs lowercase header names.
            headers={name.lower(): value for name, value in headers.items()},
            isBase64Encoded=base64_body,
        )
        event["requestContext"]["http"].update(method=method, path=raw_path)
        event["requestContext"]["stage"] = stage_name
        event["requestContext"]["requestId"] = f"apigw-{next(_request_ids)}"
        event.pop("cookies", None)
        event["queryStringParameters"] = {n: v for n, v in query_items} or None
        if body_text is None:
            event.pop("body", None)
        else:
            event["body"] = body_text
        return event

    if source == "rest-api":
        event = copy.deepcopy(_sample("apiGatewayProxyEvent.json"))
        multi_query: dict[str, list[str]] = {}
        for name, value in query_items:
            multi_query.setdefault(name, []).append(value)
        event.update(
            httpMethod=method,
            path=path,
            resource="/{proxy+}",
            headers=headers or None,
            multiValueHeaders={name: [value] for name, value in headers.items()} or None,
            queryStringParameters={n: v[-1] for n, v in multi_query.items()} or None,
            multiValueQueryStringParameters=multi_query or None,
            body=body_text,
            isBase64Encoded=base64_body,
        )
        event["requestContext"].update(
            httpMethod=method,
            path=f"/{stage or 'prod'}{path}",
            stage=stage or "prod",
            requestId=f"rest-{next(_request_ids)}",
        )
        return event

    if source in ("alb", "alb-multi"):
        event = copy.deepcopy(_sample("albEvent.json"))
        # ALB hands query strings over still percent-encoded.
        encoded = [(quote(n, safe=""), quote(v, safe="")) for n, v in query_items]
        event.update(httpMethod=method, path=path, body=body_text or "", isBase64Encoded=base64_body)
        if source == "alb":
            event["headers"] = {name.lower(): value for name, value in headers.items()}
            event["queryStringParameters"] = {n: v for n, v in encoded}
        else:
            del event["headers"], event["queryStringParameters"]
            event["multiValueHeaders"] = {name.lower(): [value] for name, value in headers.items()}
            multi: dict[str, list[str]] = {}
            for name, value in encoded:
                multi.setdefault(name, []).append(value)
            event["multiValueQueryStringParameters"] = multi
        return event

    raise ValueError(f"unknown source {source!r}")


class Answer:
    """A Lambda answer read back as HTTP: status, case-insensitive headers, body."""

    def __init__(self, source: str, raw: dict[str, Any]) -> None:
        self.source = source
        self.raw = raw
        self.status: int = raw["statusCode"]
        headers: dict[str, str] = {}
        if "multiValueHeaders" in raw and source != "rest-api":
            headers = {n.lower(): ",".join(v) for n, v in raw["multiValueHeaders"].items()}
        else:
            headers = {n.lower(): v for n, v in (raw.get("headers") or {}).items()}
        self.headers = headers
        body = raw.get("body") or ""
        self.body: bytes = base64.b64decode(body) if raw.get("isBase64Encoded") else body.encode()

    @property
    def text(self) -> str:
        return self.body.decode()

    @property
    def json(self) -> Any:
        return json.loads(self.body)

    def __repr__(self) -> str:
        return f"Answer({self.status}, {self.text[:300]!r})"


def check_answer_shape(source: str, raw: dict[str, Any]) -> None:
    """Assert the answer is in the format this front door requires."""
    assert isinstance(raw["statusCode"], int)
    assert isinstance(raw["body"], str)
    assert isinstance(raw["isBase64Encoded"], bool)
    if source == "rest-api":
        assert isinstance(raw["headers"], dict) and isinstance(raw["multiValueHeaders"], dict)
    elif source == "alb":
        assert raw["statusDescription"].startswith(f"{raw['statusCode']} ")
        assert isinstance(raw["headers"], dict) and "multiValueHeaders" not in raw
    elif source == "alb-multi":
        assert raw["statusDescription"].startswith(f"{raw['statusCode']} ")
        assert isinstance(raw["multiValueHeaders"], dict) and "headers" not in raw
        assert all(isinstance(v, list) for v in raw["multiValueHeaders"].values())
    else:
        assert isinstance(raw["headers"], dict)
        assert all(isinstance(v, str) for v in raw["headers"].values())
    json.dumps(raw)  # Lambda must be able to serialise it


def invoke(
    source: str,
    method: str = "GET",
    path: str = "/",
    *,
    context: LocalContext | None = None,
    **event_options: Any,
) -> Answer:
    """Send one request through `lambda_handler` as `source` delivers it."""
    import lambda_function

    event = make_event(source, method, path, **event_options)
    raw = lambda_function.lambda_handler(event, context or lambda_context())
    check_answer_shape(source, raw)
    return Answer(source, raw)
