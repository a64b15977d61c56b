"""Deciding to run in the background and handing the work to this function's own asynchronous invocation."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from support.background import ARN, Stubbed
from support.callback_server import CallbackServer, running
from support.lambda_events import SOURCES, invoke, lambda_context
from support.paths import PROJECT_ROOT
from support.sample_connectors import CONNECTOR_SAMPLE

import lambda_function
from spiff_lambda_proxy.background import event as run_event
from spiff_lambda_proxy.background import start as background
from spiff_lambda_proxy.registry import Registry
from spiff_lambda_proxy.settings import SETTINGS

CALLBACK = "https://spiff.example.com/v1.0/tasks/7/0b8a2c1e/callback"


@pytest.fixture(autouse=True)
def sample(extra_connectors: Callable[[dict[str, str]], Registry]) -> Registry:
    return extra_connectors(CONNECTOR_SAMPLE)


@pytest.fixture
def proxy_key(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """SpiffArena authenticates to the proxy (the usual deployment)."""
    monkeypatch.setenv("CONNECTOR_PROXY_API_KEY", "proxy-key")
    monkeypatch.setenv("SPIFFARENA_CALLBACK_API_KEY", "callback-key")
    monkeypatch.setenv("SPIFFARENA_CALLBACK_ORIGINS", "https://spiff.example.com")
    return {"Spiff-Connector-Proxy-Api-Key": "proxy-key"}


def echo_body(**extra: Any) -> dict[str, Any]:
    return {
        "message": "hi",
        "spiff__task_data": {"order": 42},
        "spiff__callback_url": CALLBACK,
        "spiff__process_instance_id": 7,
        "spiff__task_id": "0b8a2c1e",
        **extra,
    }


def assert_accepted(answer: Any, command: str) -> str:
    assert answer.status == 202, answer
    body = answer.json
    assert body["command_response_version"] == 2 and body["error"] is None
    assert body["command_response"]["http_status"] == 202
    accepted = body["command_response"]["body"]
    assert accepted["accepted"] is True and command in accepted["message"]
    return str(uuid.UUID(accepted["run_id"]))


def test_execute_async_commands_keep_starting_their_own_work(lambda_stub: Stubbed) -> None:
    answer = invoke(
        "function-url",
        "POST",
        "/v1/do/sample/LongRunning",
        body={"job": "j1", "spiff__callback_url": CALLBACK, "spiff__proxy_background": True},
    )
    assert answer.status == 202
    assert answer.json["command_response"]["body"] == {"started": "j1", "callback_url": CALLBACK}
    assert lambda_stub.calls == []


@pytest.mark.parametrize("source", SOURCES)
def test_listed_commands_run_in_the_background(
    source: str, lambda_stub: Stubbed, proxy_key: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CONNECTOR_PROXY_ASYNC_COMMANDS", "aws/*, sample/Ech?")
    lambda_stub.expect_invoke()
    answer = invoke(source, "POST", "/v1/do/sample/Echo", body=echo_body(), headers=proxy_key)
    task_id = assert_accepted(answer, "sample/Echo")

    [call] = lambda_stub.calls
    assert (call["FunctionName"], call["InvocationType"]) == (ARN, "Event")
    task = lambda_stub.payload()[run_event.EVENT_KEY]
    assert task["task_id"] == task_id
    assert (task["command_id"], task["params"]) == ("sample/Echo", {"message": "hi"})
    assert (task["task_data"], task["callback_url"]) == ({"order": 42}, CALLBACK)


@pytest.mark.parametrize("flag", [True, "true", "Yes", 1])
def test_the_reserved_argument_runs_any_command_in_the_background(
    flag: Any, lambda_stub: Stubbed, proxy_key: dict[str, str]
) -> None:
    lambda_stub.expect_invoke()
    answer = invoke(
        "http-api",
        "POST",
        "/v1/do/sample/Echo",
        body=echo_body(spiff__proxy_background=flag),
        headers=proxy_key,
    )
    assert_accepted(answer, "sample/Echo")
    # Reserved keys never reach the command.
    assert "spiff__proxy_background" not in lambda_stub.payload()[run_event.EVENT_KEY]["params"]


def test_the_payload_round_trips_into_a_run_that_calls_back(
    lambda_stub: Stubbed, monkeypatch: pytest.MonkeyPatch, loopback_callbacks: None
) -> None:
    monkeypatch.setenv("SPIFFARENA_CALLBACK_API_KEY", "callback-key")
    monkeypatch.setenv("CONNECTOR_PROXY_TASK_SECRET", "signing-secret")
    with running() as server:
        monkeypatch.setenv("SPIFFARENA_CALLBACK_ORIGINS", server.origin)
        lambda_stub.expect_invoke()
        body = echo_body(spiff__proxy_background="true", spiff__callback_url=server.url(), times=3)
        task_id = assert_accepted(
            invoke("function-url", "POST", "/v1/do/sample/Echo", body=body), "sample/Echo"
        )
        assert server.received == []  # nothing ran yet

        event = lambda_stub.payload()
        assert event[run_event.SIGNATURE_KEY].startswith("hmac-sha256=")
        result = lambda_function.lambda_handler(event, lambda_context())

    assert result["ok"] is True and result["run_id"] == task_id
    [put] = server.puts()
    assert put.headers["spiffworkflow-api-key"] == "callback-key"
    assert put.json["command_response"]["body"]["body"] == {"echo": "hihihi", "task_data": {"order": 42}}


def test_without_a_callback_url_commands_run_synchronously(
    lambda_stub: Stubbed, proxy_key: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CONNECTOR_PROXY_ASYNC_COMMANDS", "*")
    body = echo_body(spiff__proxy_background=True)
    del body["spiff__callback_url"]
    answer = invoke("function-url", "POST", "/v1/do/sample/Echo", body=body, headers=proxy_key)
    assert answer.status == 200
    assert answer.json["command_response"]["body"] == {"echo": "hi", "task_data": {"order": 42}}
    assert lambda_stub.calls == []


@pytest.mark.parametrize("flag", [False, "false", "0", ""])
def test_the_reserved_argument_can_keep_a_listed_command_synchronous(
    flag: Any, lambda_stub: Stubbed, proxy_key: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CONNECTOR_PROXY_ASYNC_COMMANDS", "sample/Echo")
    body = echo_body(spiff__proxy_background=flag)
    answer = invoke("function-url", "POST", "/v1/do/sample/Echo", body=body, headers=proxy_key)
    assert answer.status == 200
    assert lambda_stub.calls == []


def test_unlisted_commands_stay_synchronous(
    lambda_stub: Stubbed, proxy_key: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CONNECTOR_PROXY_ASYNC_COMMANDS", "aws/*,sample/EchoNot")
    answer = invoke("function-url", "POST", "/v1/do/sample/Echo", body=echo_body(), headers=proxy_key)
    assert answer.status == 200
    assert lambda_stub.calls == []


@pytest.mark.parametrize(
    ("path", "body", "status", "error_code"),
    [
        ("/v1/do/sample/Nope", echo_body(spiff__proxy_background=True), 404, "command_not_found"),
        (
            "/v1/do/sample/Echo",
            {**echo_body(spiff__proxy_background=True), "message": None} | {"x": 1},
            400,
            "invalid_parameters",
        ),
        ("/v1/do/sample/ReadConfig", echo_body(spiff__proxy_background=True), 400, "invalid_parameters"),
        ("/v1/do/sample/Echo", echo_body(spiff__proxy_background="maybe"), 400, "invalid_parameters"),
        (
            "/v1/do/sample/Echo",
            echo_body(spiff__proxy_background=True, spiff__callback_url="file:///etc/passwd"),
            400,
            "invalid_callback_url",
        ),
    ],
)
def test_invalid_requests_are_answered_synchronously(
    path: str,
    body: dict[str, Any],
    status: int,
    error_code: str,
    lambda_stub: Stubbed,
    proxy_key: dict[str, str],
) -> None:
    answer = invoke("function-url", "POST", path, body=body, headers=proxy_key)
    assert answer.status == status
    assert answer.json["error"]["error_code"] == error_code
    assert lambda_stub.calls == []


def test_a_denied_self_invocation_explains_the_missing_permission(
    lambda_stub: Stubbed, proxy_key: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    aws_message = "User: arn:aws:sts::123456789012:assumed-role/proxy-role is not authorized"
    lambda_stub.stub.add_client_error(
        "invoke",
        service_error_code="AccessDeniedException",
        service_message=aws_message,
        http_status_code=403,
    )
    answer = invoke(
        "rest-api", "POST", "/v1/do/sample/Echo", body=echo_body(spiff__proxy_background=1), headers=proxy_key
    )
    assert answer.status == 500
    error = answer.json["error"]
    assert error["error_code"] == "self_invoke_denied"
    assert "lambda:InvokeFunction" in error["message"] and "spiff-connector-proxy" in error["message"]
    assert "assumed-role" not in answer.text  # AWS's own words go to the log only
    assert "AccessDeniedException" in caplog.text


def test_a_throttled_self_invocation_asks_to_try_again(
    lambda_stub: Stubbed, proxy_key: dict[str, str]
) -> None:
    lambda_stub.stub.add_client_error(
        "invoke", service_error_code="TooManyRequestsException", http_status_code=429
    )
    answer = invoke(
        "alb", "POST", "/v1/do/sample/Echo", body=echo_body(spiff__proxy_background=True), headers=proxy_key
    )
    assert answer.status == 503
    assert answer.json["error"]["error_code"] == "self_invoke_throttled"


def test_too_much_task_data_for_an_asynchronous_invocation_is_refused_up_front(
    lambda_stub: Stubbed, proxy_key: dict[str, str]
) -> None:
    big = echo_body(spiff__proxy_background=True, spiff__task_data={"blob": "x" * (1100 * 1024)})
    answer = invoke("function-url", "POST", "/v1/do/sample/Echo", body=big, headers=proxy_key)
    assert answer.status == 413
    assert answer.json["error"]["error_code"] == "task_payload_too_large"
    assert str(background.ASYNC_PAYLOAD_LIMIT) in answer.json["error"]["message"]
    assert lambda_stub.calls == []


def test_without_credentials_the_request_hears_why(
    proxy_key: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # A real client this time: with no credentials anywhere, it fails before sending anything.
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    answer = invoke(
        "function-url",
        "POST",
        "/v1/do/sample/Echo",
        body=echo_body(spiff__proxy_background=True),
        headers=proxy_key,
    )
    assert answer.status == 500
    assert answer.json["error"]["error_code"] == "background_start_failed"
    assert "credentials" in answer.json["error"]["message"]


def test_outside_lambda_there_is_no_function_to_invoke(
    lambda_stub: Stubbed, proxy_key: dict[str, str]
) -> None:
    answer = invoke(
        "function-url",
        "POST",
        "/v1/do/sample/Echo",
        body=echo_body(spiff__proxy_background=True),
        headers=proxy_key,
        context=lambda_context(function_arn=""),
    )
    assert answer.status == 500
    assert answer.json["error"]["error_code"] == "background_start_failed"
    assert lambda_stub.calls == []


def test_the_callback_key_is_not_sent_where_any_caller_points(
    lambda_stub: Stubbed, monkeypatch: pytest.MonkeyPatch
) -> None:
    # No proxy API key: anyone may call. Without allowed origins the key could go anywhere.
    monkeypatch.setenv("SPIFFARENA_CALLBACK_API_KEY", "callback-key")
    body = echo_body(spiff__proxy_background=True)
    answer = invoke("function-url", "POST", "/v1/do/sample/Echo", body=body)
    assert answer.status == 500
    assert answer.json["error"]["error_code"] == "configuration_error"
    assert "SPIFFARENA_CALLBACK_ORIGINS" in answer.json["error"]["message"]

    monkeypatch.setenv("SPIFFARENA_CALLBACK_ORIGINS", "https://other.example.com")
    answer = invoke("function-url", "POST", "/v1/do/sample/Echo", body=body)
    assert (answer.status, answer.json["error"]["error_code"]) == (400, "callback_url_not_allowed")

    monkeypatch.setenv(
        "SPIFFARENA_CALLBACK_ORIGINS", "https://other.example.com,HTTPS://Spiff.Example.com:443/"
    )
    lambda_stub.expect_invoke()
    assert_accepted(invoke("function-url", "POST", "/v1/do/sample/Echo", body=body), "sample/Echo")


def test_the_callback_key_needs_the_origins_even_when_callers_are_authenticated(
    lambda_stub: Stubbed, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Whoever holds the proxy's API key could otherwise have SpiffArena's sent to any server.
    monkeypatch.setenv("CONNECTOR_PROXY_API_KEY", "proxy-key")
    monkeypatch.setenv("SPIFFARENA_CALLBACK_API_KEY", "callback-key")
    headers = {"Spiff-Connector-Proxy-Api-Key": "proxy-key"}
    for callback in (CALLBACK, "https://collector.attacker.example/steal"):
        body = echo_body(spiff__proxy_background=True, spiff__callback_url=callback)
        answer = invoke("function-url", "POST", "/v1/do/sample/Echo", body=body, headers=headers)
        assert answer.status == 500
        error = answer.json["error"]
        assert error["error_code"] == "configuration_error"
        assert "set SPIFFARENA_CALLBACK_ORIGINS to its backend's origin" in error["message"]
    assert lambda_stub.calls == []  # nothing handed over
    # Without a callback key nothing secret travels, and the origins are not required.
    monkeypatch.delenv("SPIFFARENA_CALLBACK_API_KEY")
    lambda_stub.expect_invoke()
    body = echo_body(spiff__proxy_background=True)
    assert_accepted(
        invoke("function-url", "POST", "/v1/do/sample/Echo", body=body, headers=headers), "sample/Echo"
    )


def test_every_new_setting_is_documented() -> None:
    documented = {setting.name: setting.help for setting in SETTINGS}
    for name in (
        "CONNECTOR_PROXY_ASYNC_COMMANDS",
        "CONNECTOR_PROXY_TASK_SECRET",
        "SPIFFARENA_CALLBACK_API_KEY",
        "SPIFFARENA_CALLBACK_ORIGINS",
        "CONNECTOR_PROXY_TASK_MAX_AGE_SECONDS",
        "CONNECTOR_PROXY_CALLBACK_TIMEOUT_SECONDS",
        "CONNECTOR_PROXY_CALLBACK_ATTEMPTS",
        "CONNECTOR_PROXY_CALLBACK_BACKOFF_SECONDS",
        "CONNECTOR_PROXY_CALLBACK_RESERVE_SECONDS",
        "CONNECTOR_PROXY_CALLBACK_SHAPE",
    ):
        assert documented.get(name), name
    doc = (PROJECT_ROOT / "docs" / "long-running.md").read_text()
    assert all(name in doc for name in documented if "CALLBACK" in name or "TASK" in name or "ASYNC" in name)


def test_a_malformed_tuning_setting_is_a_clear_configuration_error(
    proxy_key: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CONNECTOR_PROXY_CALLBACK_ATTEMPTS", "lots")
    answer = invoke("function-url", "POST", "/v1/do/sample/Echo", body=echo_body(), headers=proxy_key)
    assert answer.status == 500
    assert answer.json["error"]["error_code"] == "configuration_error"
    assert "CONNECTOR_PROXY_CALLBACK_ATTEMPTS" in answer.json["error"]["message"]


def test_callback_server_helper_answers_puts(lambda_stub: Stubbed) -> None:
    # Guards the helper the task tests rely on: a scripted failure, then success.
    import urllib.error
    import urllib.request

    with running(statuses=[503]) as server:
        request = urllib.request.Request(server.url(), data=b"{}", method="PUT")
        with pytest.raises(urllib.error.HTTPError):
            urllib.request.urlopen(request, timeout=5)
        with urllib.request.urlopen(request, timeout=5) as ok:
            assert ok.status == 200
    assert isinstance(server, CallbackServer) and len(server.puts()) == 2
