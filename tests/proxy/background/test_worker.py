"""Background runs from their internal event through `lambda_handler`, results PUT to a real server."""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Callable
from typing import Any

import pytest
from support.background import CALLBACK_KEY, SECRET, event_for, make_run, only_put, run
from support.callback_server import CallbackServer, running
from support.lambda_events import lambda_context
from support.sample_connectors import CONNECTOR_PROBE, CONNECTOR_SAMPLE

from spiff_lambda_proxy.background.worker import RunFailed
from spiff_lambda_proxy.registry import Registry


def allow(monkeypatch: pytest.MonkeyPatch, server: CallbackServer) -> None:
    """The deployment names this stand-in as SpiffArena's origin (SPIFFARENA_CALLBACK_ORIGINS)."""
    monkeypatch.setenv("SPIFFARENA_CALLBACK_ORIGINS", server.origin)


@pytest.fixture(autouse=True)
def connectors(extra_connectors: Callable[[dict[str, str]], Registry], worker_env: None) -> Registry:
    return extra_connectors({**CONNECTOR_SAMPLE, **CONNECTOR_PROBE})


def test_result_is_put_to_the_callback_with_the_api_key(server: CallbackServer) -> None:
    task = make_run(server.url())
    result = run(event_for(task))

    assert result["ok"] is True and result["run_id"] == task.run_id
    assert (result["callback_status"], result["attempts"], result["error_code"]) == (200, 1, None)
    assert result["outcome"] == "delivered"
    [received] = server.puts()
    assert received.path == "/v1.0/tasks/7/0b8a2c1e-2f6d-4f1c-9d59-5b0d6f1e7a10/callback"
    assert received.headers["spiffworkflow-api-key"] == CALLBACK_KEY
    # What SpiffArena stores for the synchronous answer, operator_identifier included.
    stored = {
        "body": {"echo": "hihi", "task_data": {"order": 42}},
        "mimetype": "application/json",
        "http_status": 200,
        "operator_identifier": "sample/Echo",
    }
    assert received.json == {
        "command_response": {"body": stored, "mimetype": "application/json", "http_status": 200},
        "command_response_version": 2,
        "error": None,
        "spiff__logs": [],
    }


def test_the_raw_shape_sends_the_results_own_envelope(
    server: CallbackServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CONNECTOR_PROXY_CALLBACK_SHAPE", "raw")
    run(event_for(make_run(server.url())))
    assert only_put(server) == {
        "command_response": {
            "body": {"echo": "hihi", "task_data": {"order": 42}},
            "mimetype": "application/json",
            "http_status": 200,
        },
        "command_response_version": 2,
        "error": None,
        "spiff__logs": [],
    }


def test_an_unknown_shape_is_a_configuration_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONNECTOR_PROXY_CALLBACK_SHAPE", "wobbly")
    with pytest.raises(RunFailed, match="CONNECTOR_PROXY_CALLBACK_SHAPE"):
        run(event_for(make_run("http://127.0.0.1:9/x")))


def test_without_a_callback_key_no_key_header_is_sent(
    server: CallbackServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SPIFFARENA_CALLBACK_API_KEY")
    run(event_for(make_run(server.url())))
    [received] = server.puts()
    assert "spiffworkflow-api-key" not in received.headers


def test_logs_name_the_task_but_no_secrets_params_or_task_data(
    server: CallbackServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="spiff_lambda_proxy")
    task = make_run(
        server.url(),
        command="probe/Touch",
        params={"path": "/dev/null", "secret_value": "hunter2-param"},
        task_data={"ssn": "123-45-6789"},
    )
    run(event_for(task))
    assert task.run_id in caplog.text and "probe/Touch" in caplog.text
    for secret in (CALLBACK_KEY, SECRET, "hunter2-param", "123-45-6789", "/dev/null"):
        assert secret not in caplog.text


def test_a_failing_command_reports_its_error_code(server: CallbackServer) -> None:
    result = run(event_for(make_run(server.url(), command="sample/Explode", params={})))
    body = only_put(server)
    assert body["command_response"] == {"body": {}, "mimetype": "application/json", "http_status": 500}
    assert body["error"] == {"error_code": "RuntimeError", "message": "the upstream said no"}
    assert result["error_code"] == "RuntimeError"


@pytest.mark.parametrize(
    ("command", "params", "expected_response", "expected_error"),
    [
        (
            "sample/LegacyText",
            {"text": "plain words"},
            {"body": "plain words", "mimetype": "text/plain", "http_status": 200},
            None,
        ),
        (
            "sample/LegacyText",
            {"text": "gone", "status": 404},
            {"body": "gone", "mimetype": "text/plain", "http_status": 404},
            "HttpError404",
        ),
        (
            "sample/LegacyDict",
            {},
            {"body": {"ok": True}, "mimetype": "application/json", "http_status": 201},
            None,
        ),
    ],
)
def test_in_the_raw_shape_v1_results_become_v2_envelopes(
    server: CallbackServer,
    command: str,
    params: dict[str, Any],
    expected_response: dict[str, Any],
    expected_error: str | None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CONNECTOR_PROXY_CALLBACK_SHAPE", "raw")
    run(event_for(make_run(server.url(), command=command, params=params)))
    body = only_put(server)
    assert body["command_response_version"] == 2
    assert body["command_response"] == expected_response
    assert (body["error"] or {}).get("error_code") == expected_error


@pytest.mark.parametrize(
    ("command", "params", "error_code", "status"),
    [
        ("sample/ReturnsNonsense", {}, "invalid_command_result", 500),
        ("sample/ReturnsUnencodable", {}, "invalid_command_result", 500),
        ("sample/Vanished", {}, "command_not_found", 404),
        ("sample/Echo", {"nonsense": 1}, "invalid_parameters", 400),
    ],
)
def test_every_failure_still_reaches_the_callback(
    server: CallbackServer, command: str, params: dict[str, Any], error_code: str, status: int
) -> None:
    run(event_for(make_run(server.url(), command=command, params=params)))
    body = only_put(server)
    assert body["error"]["error_code"] == error_code
    assert body["command_response"]["http_status"] == status
    assert body["command_response"]["body"] == {}


@pytest.mark.parametrize(
    ("shape", "body"),
    [("raw", {}), ("synchronous", {"http_status": 200, "operator_identifier": "bodyless/NoBody"})],
)
def test_a_v2_result_without_a_body_gets_one(
    server: CallbackServer,
    extra_connectors: Callable[[dict[str, str]], Registry],
    monkeypatch: pytest.MonkeyPatch,
    shape: str,
    body: dict[str, Any],
) -> None:
    monkeypatch.setenv("CONNECTOR_PROXY_CALLBACK_SHAPE", shape)
    extra_connectors(
        {
            "connector_bodyless/__init__.py": "",
            "connector_bodyless/commands/__init__.py": "",
            "connector_bodyless/commands/c.py": """
                class NoBody:
                    def execute(self, config, task_data):
                        return {"command_response": {"http_status": 200}, "command_response_version": 2}
            """,
        }
    )
    run(event_for(make_run(server.url(), command="bodyless/NoBody", params={})))
    sent = only_put(server)
    assert sent["command_response"]["body"] == body
    assert sent["error"] is None and sent["spiff__logs"] == []


def test_the_command_learns_a_deadline_that_leaves_time_for_the_callback(
    server: CallbackServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CONNECTOR_PROXY_CALLBACK_RESERVE_SECONDS", "4")
    before = time.time()
    run(event_for(make_run(server.url(), command="sample/ReadDeadline", params={})), lambda_context(10_000))
    deadline = only_put(server)["command_response"]["body"]["body"]["deadline"]
    assert before + 6 - 0.5 <= deadline <= time.time() + 6


def test_callback_failing_twice_then_succeeding_is_retried(monkeypatch: pytest.MonkeyPatch) -> None:
    with running(statuses=[503, 502]) as server:
        allow(monkeypatch, server)
        result = run(event_for(make_run(server.url())))
    assert (result["ok"], result["attempts"], result["callback_status"]) == (True, 3, 200)
    puts = server.puts()
    assert len(puts) == 3
    assert puts[0].body == puts[1].body == puts[2].body
    assert all(put.headers["spiffworkflow-api-key"] == CALLBACK_KEY for put in puts)


def test_too_many_requests_is_retried_after_the_time_it_asks_for(monkeypatch: pytest.MonkeyPatch) -> None:
    with running(statuses=[429], headers={"Retry-After": "0"}) as server:
        allow(monkeypatch, server)
        result = run(event_for(make_run(server.url())))
    assert (result["attempts"], len(server.puts())) == (2, 2)


def test_a_callback_refused_for_good_fails_the_invocation_at_once(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    task = make_run("")
    with running(statuses=[400]) as server:
        allow(monkeypatch, server)
        task = task._replace(callback_url=server.url())
        with pytest.raises(RunFailed) as failure:
            run(event_for(task))
    assert len(server.puts()) == 1
    assert task.run_id in str(failure.value)
    assert "HTTP 400 test_status_400" in str(failure.value)
    assert task.run_id in caplog.text and CALLBACK_KEY not in caplog.text


def test_retries_stop_after_the_configured_attempts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONNECTOR_PROXY_CALLBACK_ATTEMPTS", "3")
    with running(statuses=[500] * 10) as server, pytest.raises(RunFailed, match="3 attempt"):
        allow(monkeypatch, server)
        run(event_for(make_run(server.url())))
    assert len(server.puts()) == 3


def test_retries_stop_when_the_function_runs_out_of_time(monkeypatch: pytest.MonkeyPatch) -> None:
    with running(statuses=[500] * 10) as server, pytest.raises(RunFailed):
        allow(monkeypatch, server)
        # 1.6 s left: one answering margin, then barely room for an attempt.
        run(event_for(make_run(server.url())), lambda_context(remaining_ms=1_600))
    assert 1 <= len(server.puts()) < 10


def test_an_unreachable_callback_fails_the_invocation(monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("SPIFFARENA_CALLBACK_ORIGINS", f"http://127.0.0.1:{port}")
    # Nothing listens there now: every attempt is refused.
    with pytest.raises(RunFailed, match="ConnectionRefusedError"):
        run(event_for(make_run(f"http://127.0.0.1:{port}/v1.0/tasks/1/x/callback")))
