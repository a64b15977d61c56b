"""Event adapters: what each front door delivers reaches the router intact."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from support.lambda_events import (
    EVENTS_DIR,
    SOURCES,
    Answer,
    check_answer_shape,
    invoke,
    lambda_context,
    make_event,
)

import lambda_function
from spiff_lambda_proxy.events.http_api import HttpApiEvent
from spiff_lambda_proxy.registry import Registry

# Reports back what the proxy saw: method, query, headers and body.
CONNECTOR_MIRROR = {
    "connector_mirror/__init__.py": "",
    "connector_mirror/commands/__init__.py": "",
    "connector_mirror/commands/mirror.py": """
        class Mirror:
            def __init__(self, **params):
                self.params = params

            def execute(self, config, task_data):
                return {"command_response": {"body": self.params, "mimetype": "application/json",
                        "http_status": 200}, "command_response_version": 2, "error": None, "spiff__logs": []}
    """,
}


@pytest.fixture
def mirror(extra_connectors: Callable[[dict[str, str]], Registry]) -> Registry:
    return extra_connectors(CONNECTOR_MIRROR)


def send(event: dict[str, object], source: str = "function-url") -> Answer:
    raw = lambda_function.lambda_handler(event, lambda_context())
    check_answer_shape(source, raw)
    return Answer(source, raw)


@pytest.mark.parametrize("source", SOURCES)
def test_query_strings_are_parsed_and_decoded(source: str, mirror: Registry) -> None:
    answer = invoke(source, "GET", "/v1/do/mirror/Mirror", query={"city": "São Paulo", "q": "a&b=c"})
    assert answer.json["command_response"]["body"] == {"city": "São Paulo", "q": "a&b=c"}


@pytest.mark.parametrize("source", SOURCES)
def test_header_names_in_any_case(source: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONNECTOR_PROXY_API_KEY", "k")
    for name in (
        "Spiff-Connector-Proxy-Api-Key",
        "spiff-connector-proxy-api-key",
        "SPIFF-CONNECTOR-PROXY-API-KEY",
    ):
        assert invoke(source, "GET", "/v1/commands", headers={name: "k"}).status == 200


@pytest.mark.parametrize("source", SOURCES)
def test_invalid_base64_body_is_400(source: str, mirror: Registry) -> None:
    event = make_event(source, "POST", "/v1/do/mirror/Mirror", body="{}", base64_body=True)
    event["body"] = "%%% not base64 %%%"
    answer = send(event, source)
    assert answer.status == 400
    assert answer.json["error"]["error_code"] == "bad_request"
    assert "base64" in answer.json["error"]["message"]


@pytest.mark.parametrize("source", ["http-api", "function-url"])
def test_named_stage_in_raw_path_is_stripped(source: str) -> None:
    assert invoke(source, "GET", "/v1/liveness", stage="prod").status == 200
    assert invoke(source, "GET", "/", stage="prod").text.startswith("SpiffWorkflow connector proxy")


def test_stage_named_like_a_route_segment_does_not_eat_the_path() -> None:
    # A REST API leaves the stage out of `path`: /v1/commands under stage "v1" stays itself.
    assert invoke("rest-api", "GET", "/v1/commands", stage="v1").status == 200
    # An HTTP API puts it in front: /v1/v1/commands under stage "v1".
    assert invoke("http-api", "GET", "/v1/commands", stage="v1").status == 200


@pytest.mark.parametrize("source", SOURCES)
def test_custom_domain_base_path(source: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONNECTOR_PROXY_BASE_PATH", "/spiff/proxy/")
    assert invoke(source, "GET", "/spiff/proxy/v1/commands").status == 200
    assert invoke(source, "GET", "/spiff/proxy").status == 200
    assert invoke(source, "GET", "/v1/commands").status == 200  # the direct URL still works


def test_function_url_cookies_become_a_cookie_header() -> None:
    event = make_event("function-url", "GET", "/v1/liveness")
    event["cookies"] = ["a=1", "b=2"]
    request = HttpApiEvent(event).request()
    assert request.headers["Cookie"] == "a=1; b=2"


def test_rest_api_multi_value_query_keeps_the_last_value(mirror: Registry) -> None:
    answer = invoke("rest-api", "GET", "/v1/do/mirror/Mirror", query={"tag": ["one", "two"]})
    assert answer.json["command_response"]["body"] == {"tag": "two"}


def test_alb_multi_value_answer_repeats_headers(monkeypatch: pytest.MonkeyPatch) -> None:
    answer = invoke("alb-multi", "GET", "/v1/liveness")
    assert answer.raw["multiValueHeaders"]["Content-Type"] == ["application/json"]
    assert answer.raw["statusDescription"] == "200 OK"


def test_binary_v1_result_travels_as_base64(extra_connectors: Callable[[dict[str, str]], Registry]) -> None:
    extra_connectors(
        {
            "connector_bin/__init__.py": "",
            "connector_bin/commands/__init__.py": "",
            "connector_bin/commands/blob.py": """
                class Blob:
                    def execute(self, config, task_data):
                        return {"response": bytes(range(256)), "status": 200,
                                "mimetype": "application/octet-stream"}
            """,
        }
    )
    answer = invoke("function-url", "POST", "/v1/do/bin/Blob")
    assert answer.raw["isBase64Encoded"] is True
    assert answer.body == bytes(range(256))


@pytest.mark.parametrize(
    ("name", "status"),
    [
        ("lambdaFunctionUrlEvent.json", 200),  # GET /
        ("lambdaFunctionUrlIAMEvent.json", 404),  # /my/path
        ("apiGatewayProxyV2Event.json", 404),
        ("apiGatewayProxyEvent.json", 404),
        ("albEvent.json", 404),
    ],
)
def test_untouched_aws_samples_are_answered(name: str, status: int) -> None:
    event = json.loads((EVENTS_DIR / name).read_text())
    raw = lambda_function.lambda_handler(event, lambda_context())
    assert raw["statusCode"] == status
    if status == 404:
        assert json.loads(raw["body"])["error"]["error_code"] == "not_found"
