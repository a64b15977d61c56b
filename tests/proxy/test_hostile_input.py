"""Input that once made a 500 (or worse, an answer Lambda could not send): each is now a 4xx naming its field.

The events are the real samples of tests/events with one field broken the way
a direct invocation could break it; every answer must still have its front
door's shape and be JSON a client can read.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from support.lambda_events import check_answer_shape, invoke, lambda_context, make_event
from support.sample_connectors import CONNECTOR_SAMPLE

import lambda_function
from spiff_lambda_proxy.registry import Registry
from spiff_lambda_proxy.runner import MAX_JSON_DEPTH


@pytest.fixture
def sample(extra_connectors: Callable[[dict[str, str]], Registry]) -> Registry:
    return extra_connectors(CONNECTOR_SAMPLE)


def answer_to(event: dict[str, Any], source: str) -> tuple[int, dict[str, Any]]:
    raw = lambda_function.lambda_handler(event, lambda_context())
    check_answer_shape(source, raw)
    return raw["statusCode"], json.loads(raw["body"])


def invalid_event(event: dict[str, Any], source: str, field: str) -> None:
    status, body = answer_to(event, source)
    assert (status, body["error"]["error_code"]) == (400, "invalid_event"), body
    assert f"The event's {field} must be " in body["error"]["message"]


def put(event: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    *parents, last = path.split(".")
    target = event
    for key in parents:
        target = target.setdefault(key, {})
    target[last] = value
    return event


BROKEN_FIELDS = [
    ("function-url", "headers", ["accept: */*"], "headers"),
    ("function-url", "headers", {"accept": ["*/*"]}, "headers.accept"),
    ("function-url", "headers", {"x-count": 3}, "headers.x-count"),
    ("function-url", "requestContext.http", "GET /", "requestContext.http"),
    ("function-url", "requestContext.http.method", ["GET"], "requestContext.http.method"),
    ("function-url", "requestContext.requestId", {"id": 1}, "requestContext.requestId"),
    ("function-url", "requestContext.stage", 7, "requestContext.stage"),
    ("function-url", "cookies", "a=1", "cookies"),
    ("function-url", "cookies", ["a=1", 2], "cookies[1]"),
    ("function-url", "rawPath", 12, "rawPath"),
    ("function-url", "rawQueryString", {"a": "1"}, "rawQueryString"),
    ("function-url", "body", {"url": "x"}, "body"),
    ("function-url", "isBase64Encoded", "false", "isBase64Encoded"),
    ("http-api", "cookies", [None], "cookies[0]"),
    ("rest-api", "multiValueHeaders", ["Accept: */*"], "multiValueHeaders"),
    ("rest-api", "multiValueHeaders", {"Accept": "*/*"}, "multiValueHeaders.Accept"),
    ("rest-api", "multiValueHeaders", {"Accept": [1]}, "multiValueHeaders.Accept[0]"),
    ("rest-api", "queryStringParameters", ["a=1"], "queryStringParameters"),
    ("rest-api", "multiValueQueryStringParameters", {"a": "1"}, "multiValueQueryStringParameters.a"),
    ("rest-api", "httpMethod", 1, "httpMethod"),
    ("rest-api", "path", ["/"], "path"),
    ("rest-api", "requestContext.requestId", 5, "requestContext.requestId"),
    ("alb", "headers", "host: x", "headers"),
    ("alb", "queryStringParameters", ["a"], "queryStringParameters"),
    ("alb-multi", "multiValueHeaders", {"host": "x"}, "multiValueHeaders.host"),
    ("alb-multi", "multiValueQueryStringParameters", [["a", "1"]], "multiValueQueryStringParameters"),
]


@pytest.mark.parametrize(("source", "path", "value", "field"), BROKEN_FIELDS)
def test_a_field_of_the_wrong_type_is_a_400_naming_it(source: str, path: str, value: Any, field: str) -> None:
    event = put(make_event(source, "GET", "/v1/commands"), path, value)
    invalid_event(event, source, field)


def test_null_fields_count_as_absent() -> None:
    event = make_event("rest-api", "GET", "/v1/liveness")
    event.update(headers=None, multiValueHeaders=None, queryStringParameters=None, body=None)
    assert answer_to(event, "rest-api")[0] == 200
    event = make_event("function-url", "GET", "/v1/liveness")
    event.update(cookies=None, headers={"x-a": None})
    assert answer_to(event, "function-url")[0] == 200


@pytest.mark.parametrize("source", ["function-url", "rest-api", "alb"])
@pytest.mark.parametrize("key", ["k\ud800ey", "\udfff", "k\udc80"])
def test_an_api_key_that_cannot_be_encoded_is_a_401(
    source: str, key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CONNECTOR_PROXY_API_KEY", "the-right-key")
    answer = invoke(source, "GET", "/v1/commands", headers={"Spiff-Connector-Proxy-Api-Key": key})
    assert (answer.status, answer.json["error"]["error_code"]) == (401, "unauthorized")
    assert (
        invoke(
            source, "GET", "/v1/commands", headers={"Spiff-Connector-Proxy-Api-Key": "the-right-kéy"}
        ).status
        == 401
    )


def nested(depth: int) -> str:
    return '{"message": "m", "spiff__task_data": {"t": ' + "[" * (depth - 2) + "]" * (depth - 2) + "}}"


@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH + 1, 5_000, 100_000, 1_000_000])
def test_a_body_nested_too_deep_is_a_400(sample: Registry, depth: int) -> None:
    answer = invoke("function-url", "POST", "/v1/do/sample/Echo", body=nested(depth))
    assert (answer.status, answer.json["error"]["error_code"]) == (400, "invalid_json")
    assert f"more than {MAX_JSON_DEPTH} levels deep" in answer.json["error"]["message"]
    raw_deep = invoke("function-url", "POST", "/v1/do/sample/Echo", body="[" * depth)
    assert raw_deep.status == 400


def test_a_body_nested_to_the_limit_runs_and_comes_back_whole(sample: Registry) -> None:
    answer = invoke("function-url", "POST", "/v1/do/sample/Echo", body=nested(MAX_JSON_DEPTH))
    assert answer.status == 200
    echoed = answer.json["command_response"]["body"]["task_data"]["t"]
    depth = 0
    while isinstance(echoed, list) and echoed:
        echoed, depth = echoed[0], depth + 1
    assert depth == MAX_JSON_DEPTH - 3  # the outer object, task data and "t" hold the rest


@pytest.mark.parametrize(
    "body",
    [
        '{"message": "m", "\\ud800": 1}',  # an unknown parameter named by a lone surrogate
        '{"message": "m\\udfff", "times": 2}',
        '{"message": 1, "spiff__task_data": "\\ud800"}',
    ],
)
def test_lone_surrogates_in_a_body_give_a_readable_json_answer(sample: Registry, body: str) -> None:
    for source in ("function-url", "rest-api", "alb"):
        answer = invoke(source, "POST", "/v1/do/sample/Echo", body=body)
        assert answer.status in (200, 400)
        assert isinstance(answer.json, dict)  # valid UTF-8 JSON, surrogates escaped


def test_a_path_holding_a_lone_surrogate_is_a_404() -> None:
    for source in ("function-url", "rest-api", "alb"):
        answer = invoke(source, "GET", "/v1/\ud800/x")
        assert (answer.status, answer.json["error"]["error_code"]) == (404, "not_found")


@pytest.mark.parametrize("source", ["function-url", "rest-api", "alb"])
def test_an_event_body_holding_a_lone_surrogate_comes_back_escaped(source: str, sample: Registry) -> None:
    event = make_event(source, "POST", "/v1/do/sample/Echo", body="{}")
    event["body"] = '{"message": "\ud800"}'  # the event's own JSON carried the escape
    status, body = answer_to(event, source)
    assert (status, body["command_response"]["body"]["echo"]) == (200, "\ud800")


# Where the project's own Python lives (not the venvs, the builds or the caches).
_SOURCE_FOLDERS = ("spiff_lambda_proxy", "spiff_outbound", "connectors", "sdk", "tools", "bench", "tests")
_RE_CALLS = ("compile", "match", "search", "fullmatch", "sub", "subn", "split", "findall", "finditer")


def test_no_pattern_is_anchored_with_a_dollar_that_lets_a_trailing_newline_through() -> None:
    """`$` also matches before a string's last newline, so `re.match(r"^[a-z_]+$", text)` accepts
    "access_denied\\n". Whole-string checks use `fullmatch` (or `\\Z`); `$` is only for patterns
    that read line by line (re.MULTILINE)."""
    import ast
    import re

    from support.paths import PROJECT_ROOT

    files = [PROJECT_ROOT / "lambda_function.py"]
    for folder in _SOURCE_FOLDERS:
        files += sorted((PROJECT_ROOT / folder).rglob("*.py"))
    found = []
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if not _is_re_call_with_a_pattern(node):
                continue
            assert isinstance(node, ast.Call) and isinstance(node.args[0], ast.Constant)
            pattern, flags = str(node.args[0].value), ast.unparse(node)
            if "re.M" in flags or "MULTILINE" in flags:
                continue
            # Escapes and character classes hold no anchor.
            bare = re.sub(r"\[\^?\]?[^\]]*\]", "", re.sub(r"\\.", "", pattern))
            if "$" in bare:
                found.append(f"{path.relative_to(PROJECT_ROOT)}:{node.lineno}: {pattern}")
    assert found == []


def _is_re_call_with_a_pattern(node: object) -> bool:
    import ast

    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.args):
        return False
    called, pattern = node.func, node.args[0]
    return (
        isinstance(called.value, ast.Name)
        and called.value.id == "re"
        and called.attr in _RE_CALLS
        and isinstance(pattern, ast.Constant)
        and isinstance(pattern.value, str)
    )
