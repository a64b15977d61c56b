"""API key (PROTOCOL.md section 6) and CORS."""

from __future__ import annotations

import logging
from collections.abc import Callable

import pytest
from support.lambda_events import SOURCES, invoke, lambda_context
from support.sample_connectors import CONNECTOR_SAMPLE

from spiff_lambda_proxy.registry import Registry

KEY = "s3cr3t-key-value"
PROTECTED = [
    ("GET", "/v1/commands"),
    ("GET", "/v1/auths"),
    ("GET", "/v1/diagnostics"),
    ("POST", "/v1/do/sample/Echo"),
]
OPEN = [("GET", "/"), ("GET", "/liveness"), ("GET", "/v1/liveness")]


@pytest.fixture
def with_key(monkeypatch: pytest.MonkeyPatch, extra_connectors: Callable[[dict[str, str]], Registry]) -> None:
    extra_connectors(CONNECTOR_SAMPLE)
    monkeypatch.setenv("CONNECTOR_PROXY_API_KEY", KEY)


@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.parametrize(("method", "path"), PROTECTED)
def test_protected_routes_need_the_key(source: str, method: str, path: str, with_key: None) -> None:
    missing = invoke(source, method, path, body={"message": "m"})
    assert missing.status == 401
    assert missing.json["error"]["error_code"] == "unauthorized"
    wrong = invoke(
        source, method, path, body={"message": "m"}, headers={"Spiff-Connector-Proxy-Api-Key": "nope"}
    )
    assert wrong.status == 401
    right = invoke(
        source, method, path, body={"message": "m"}, headers={"spiff-connector-proxy-api-key": KEY}
    )
    assert right.status == 200
    assert KEY not in missing.text + wrong.text + right.text


@pytest.mark.parametrize(("method", "path"), OPEN)
def test_open_routes_need_no_key(method: str, path: str, with_key: None) -> None:
    assert invoke("function-url", method, path).status == 200


def test_key_check_comes_before_command_lookup(with_key: None) -> None:
    # Without the key nobody learns which commands exist.
    assert invoke("function-url", "POST", "/v1/do/sample/DoesNotExist").status == 401


@pytest.mark.parametrize("value", ["", "   "])
def test_set_but_empty_key_is_a_configuration_error(value: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONNECTOR_PROXY_API_KEY", value)
    answer = invoke("function-url", "GET", "/v1/commands", headers={"Spiff-Connector-Proxy-Api-Key": ""})
    assert answer.status == 500
    error = answer.json["error"]
    assert error["error_code"] == "configuration_error"
    assert "CONNECTOR_PROXY_API_KEY" in error["message"] and "remove the variable" in error["message"]
    assert invoke("function-url", "GET", "/v1/liveness").status == 200


def test_key_never_logged(with_key: None, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG):
        invoke(
            "function-url",
            "POST",
            "/v1/do/sample/Echo",
            body={"message": "m"},
            headers={"Spiff-Connector-Proxy-Api-Key": KEY},
        )
        invoke(
            "function-url",
            "POST",
            "/v1/do/sample/Echo",
            body={"message": "m"},
            headers={"Spiff-Connector-Proxy-Api-Key": KEY + "x"},
        )
    assert caplog.records
    assert KEY not in caplog.text


def test_one_log_line_per_request(caplog: pytest.LogCaptureFixture, with_key: None) -> None:
    context = lambda_context()
    with caplog.at_level(logging.INFO, logger="spiff_lambda_proxy"):
        invoke(
            "function-url",
            "POST",
            "/v1/do/sample/Echo",
            body={"message": "m"},
            headers={"Spiff-Connector-Proxy-Api-Key": KEY},
            context=context,
        )
    lines = [r for r in caplog.records if hasattr(r, "duration_ms")]
    assert len(lines) == 1
    fields = lines[0].__dict__
    assert fields["method"] == "POST" and fields["path"] == "/v1/do/sample/Echo"
    assert fields["command"] == "sample/Echo" and fields["status"] == 200
    assert fields["aws_request_id"] == context.aws_request_id and fields["duration_ms"] >= 0


class TestCors:
    ORIGIN = "https://spiff.example.org"

    @pytest.fixture(autouse=True)
    def origins(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("CONNECTOR_PROXY_CORS_ORIGINS", f"{self.ORIGIN}, https://other.example")

    @pytest.mark.parametrize("source", SOURCES)
    def test_preflight_for_allowed_origin(self, source: str) -> None:
        answer = invoke(
            source,
            "OPTIONS",
            "/v1/commands",
            headers={"Origin": self.ORIGIN, "Access-Control-Request-Method": "GET"},
        )
        assert answer.status == 204
        assert answer.headers["access-control-allow-origin"] == self.ORIGIN
        assert answer.headers["access-control-allow-methods"] == "GET, HEAD"
        assert "Spiff-Connector-Proxy-Api-Key" in answer.headers["access-control-allow-headers"]
        assert answer.headers["vary"] == "Origin"

    def test_preflight_needs_no_api_key(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("CONNECTOR_PROXY_API_KEY", KEY)
        headers = {"Origin": self.ORIGIN, "Access-Control-Request-Method": "POST"}
        assert invoke("function-url", "OPTIONS", "/v1/do/x/y", headers=headers).status == 204

    def test_preflight_for_other_origin_is_refused(self) -> None:
        answer = invoke(
            "function-url",
            "OPTIONS",
            "/v1/commands",
            headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"},
        )
        assert answer.status == 403
        assert "access-control-allow-origin" not in answer.headers

    def test_simple_request_gets_headers_for_allowed_origin_only(self) -> None:
        allowed = invoke("function-url", "GET", "/v1/commands", headers={"Origin": self.ORIGIN})
        assert allowed.headers["access-control-allow-origin"] == self.ORIGIN
        other = invoke("function-url", "GET", "/v1/commands", headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in other.headers

    def test_errors_carry_cors_headers_too(self) -> None:
        answer = invoke("function-url", "GET", "/nowhere", headers={"Origin": self.ORIGIN})
        assert answer.status == 404
        assert answer.headers["access-control-allow-origin"] == self.ORIGIN

    def test_405_allow_mentions_options(self) -> None:
        assert invoke("function-url", "DELETE", "/v1/commands").headers["allow"] == "GET, HEAD, OPTIONS"


def test_without_cors_setting_no_cors_headers_and_options_is_405() -> None:
    answer = invoke("function-url", "GET", "/v1/commands", headers={"Origin": "https://spiff.example.org"})
    assert "access-control-allow-origin" not in answer.headers
    preflight = invoke(
        "function-url",
        "OPTIONS",
        "/v1/commands",
        headers={"Origin": "https://a.b", "Access-Control-Request-Method": "GET"},
    )
    assert preflight.status == 405


# --- a command for a web page: refused on Lambda too (defence in depth) ------------------------------

BROWSER_CALLS = [
    ("POST", {"Origin": "https://evil.example", "Content-Type": "text/plain"}),
    ("POST", {"Origin": "null"}),
    ("POST", {"Sec-Fetch-Site": "cross-site"}),
    ("GET", {"Sec-Fetch-Site": "same-site", "Sec-Fetch-Mode": "no-cors"}),
    ("GET", {"Origin": "https://spiff.example.org"}),
]


@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.parametrize(("method", "headers"), BROWSER_CALLS)
def test_a_command_is_not_run_for_a_web_page_no_setting_allows(
    source: str, method: str, headers: dict[str, str], extra_connectors: Callable[[dict[str, str]], Registry]
) -> None:
    extra_connectors(CONNECTOR_SAMPLE)
    answer = invoke(
        source, method, "/v1/do/sample/Echo", body={"message": "m"}, query={"message": "m"}, headers=headers
    )
    assert answer.status == 403
    assert answer.json["error"]["error_code"] == "browser_origin_not_allowed"
    assert "CONNECTOR_PROXY_CORS_ORIGINS" in answer.json["error"]["message"]


def test_a_page_of_an_allowed_origin_and_every_non_browser_caller_run_commands(
    monkeypatch: pytest.MonkeyPatch, extra_connectors: Callable[[dict[str, str]], Registry]
) -> None:
    extra_connectors(CONNECTOR_SAMPLE)
    body = {"message": "m"}
    assert invoke("function-url", "POST", "/v1/do/sample/Echo", body=body).status == 200
    # The user's own navigation (typed, a bookmark) and a page of the proxy's own origin.
    for site in ("none", "same-origin"):
        headers = {"Sec-Fetch-Site": site}
        answer = invoke("function-url", "GET", "/v1/do/sample/Echo", query={"message": "m"}, headers=headers)
        assert answer.status == 200
    monkeypatch.setenv("CONNECTOR_PROXY_CORS_ORIGINS", "https://spiff.example.org")
    page = {"Origin": "https://spiff.example.org", "Sec-Fetch-Site": "cross-site"}
    answer = invoke("function-url", "POST", "/v1/do/sample/Echo", body=body, headers=page)
    assert (
        answer.status == 200 and answer.headers["access-control-allow-origin"] == "https://spiff.example.org"
    )
    monkeypatch.setenv("CONNECTOR_PROXY_CORS_ORIGINS", "*")
    evil = {"Origin": "https://evil.example"}
    assert invoke("function-url", "POST", "/v1/do/sample/Echo", body=body, headers=evil).status == 200
