"""Background runs from their internal event through `lambda_handler`, results PUT to a real server."""

from __future__ import annotations

import json
import logging
import socket
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from support.callback_server import CallbackServer, running
from support.lambda_events import FakeContext
from support.sample_connectors import CONNECTOR_SAMPLE

import lambda_function
from spiff_lambda_proxy.background import event as run_event
from spiff_lambda_proxy.background.worker import RunFailed
from spiff_lambda_proxy.registry import Registry

SECRET = "task-secret-for-tests"
CALLBACK_KEY = "spiff-service-account-key-0d1e"

# Leaves a mark when it runs, so a refused event can be shown not to have run it.
CONNECTOR_PROBE = {
    "connector_probe/__init__.py": "",
    "connector_probe/commands/__init__.py": "",
    "connector_probe/commands/probe.py": """
        from pathlib import Path


        class Touch:
            def __init__(self, path: str, secret_value: str = ""):
                self.path = path

            def execute(self, config, task_data):
                Path(self.path).write_text("ran")
                return {
                    "command_response": {"body": {"touched": True}, "mimetype": "application/json",
                                         "http_status": 200},
                    "command_response_version": 2,
                    "error": None,
                    "spiff__logs": [],
                }
    """,
}


@pytest.fixture(autouse=True)
def connectors(extra_connectors: Callable[[dict[str, str]], Registry]) -> Registry:
    return extra_connectors({**CONNECTOR_SAMPLE, **CONNECTOR_PROBE})


@pytest.fixture(autouse=True)
def fast_callbacks(monkeypatch: pytest.MonkeyPatch, loopback_callbacks: None) -> None:
    monkeypatch.setenv("CONNECTOR_PROXY_CALLBACK_BACKOFF_SECONDS", "0.01")
    monkeypatch.setenv("CONNECTOR_PROXY_CALLBACK_TIMEOUT_SECONDS", "5")
    monkeypatch.setenv("CONNECTOR_PROXY_TASK_SECRET", SECRET)
    monkeypatch.setenv("SPIFFARENA_CALLBACK_API_KEY", CALLBACK_KEY)
    # SpiffArena authenticates to the proxy, so the callback URLs it sends are trusted.
    monkeypatch.setenv("CONNECTOR_PROXY_API_KEY", "proxy-key")


@pytest.fixture
def server() -> Iterator[CallbackServer]:
    with running() as callback:
        yield callback


def make_task(url: str, command: str = "sample/Echo", **fields: Any) -> run_event.Run:
    values: dict[str, Any] = {
        "run_id": str(uuid.uuid4()),
        "command_id": command,
        "params": {"message": "hi", "times": 2},
        "task_data": {"order": 42},
        "callback_url": url,
        "issued_at": int(time.time()),
        "process_instance_id": 7,
        "spiff_task_id": "0b8a2c1e-2f6d-4f1c-9d59-5b0d6f1e7a10",
    }
    values.update(fields)
    return run_event.Run(**values)


def event_for(task: run_event.Run, secret: str | None = SECRET) -> dict[str, Any]:
    event: dict[str, Any] = json.loads(run_event.encode(task, secret))
    return event


def run(event: Any, context: FakeContext | None = None) -> dict[str, Any]:
    result: dict[str, Any] = lambda_function.lambda_handler(event, context or FakeContext())
    return result


def only_put(server: CallbackServer) -> Any:
    assert len(server.received) == 1
    [received] = server.puts()
    assert received.headers["content-type"] == "application/json"
    return received.json


def test_result_is_put_to_the_callback_with_the_api_key(server: CallbackServer) -> None:
    task = make_task(server.url())
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
    run(event_for(make_task(server.url())))
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
        run(event_for(make_task("http://127.0.0.1:9/x")))


def test_without_a_callback_key_no_key_header_is_sent(
    server: CallbackServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SPIFFARENA_CALLBACK_API_KEY")
    run(event_for(make_task(server.url())))
    [received] = server.puts()
    assert "spiffworkflow-api-key" not in received.headers


def test_logs_name_the_task_but_no_secrets_params_or_task_data(
    server: CallbackServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="spiff_lambda_proxy")
    task = make_task(
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
    result = run(event_for(make_task(server.url(), command="sample/Explode", params={})))
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
    run(event_for(make_task(server.url(), command=command, params=params)))
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
    run(event_for(make_task(server.url(), command=command, params=params)))
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
    run(event_for(make_task(server.url(), command="bodyless/NoBody", params={})))
    sent = only_put(server)
    assert sent["command_response"]["body"] == body
    assert sent["error"] is None and sent["spiff__logs"] == []


def test_the_command_learns_a_deadline_that_leaves_time_for_the_callback(
    server: CallbackServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CONNECTOR_PROXY_CALLBACK_RESERVE_SECONDS", "4")
    before = time.time()
    run(event_for(make_task(server.url(), command="sample/ReadDeadline", params={})), FakeContext(10_000))
    deadline = only_put(server)["command_response"]["body"]["body"]["deadline"]
    assert before + 6 - 0.5 <= deadline <= time.time() + 6


def test_callback_failing_twice_then_succeeding_is_retried() -> None:
    with running(statuses=[503, 502]) as server:
        result = run(event_for(make_task(server.url())))
    assert (result["ok"], result["attempts"], result["callback_status"]) == (True, 3, 200)
    puts = server.puts()
    assert len(puts) == 3
    assert puts[0].body == puts[1].body == puts[2].body
    assert all(put.headers["spiffworkflow-api-key"] == CALLBACK_KEY for put in puts)


def test_too_many_requests_is_retried_after_the_time_it_asks_for() -> None:
    with running(statuses=[429], headers={"Retry-After": "0"}) as server:
        result = run(event_for(make_task(server.url())))
    assert (result["attempts"], len(server.puts())) == (2, 2)


def test_a_callback_refused_for_good_fails_the_invocation_at_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    task = make_task("")
    with running(statuses=[400]) as server:
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
        run(event_for(make_task(server.url())))
    assert len(server.puts()) == 3


def test_retries_stop_when_the_function_runs_out_of_time() -> None:
    with running(statuses=[500] * 10) as server, pytest.raises(RunFailed):
        # 1.6 s left: one answering margin, then barely room for an attempt.
        run(event_for(make_task(server.url())), FakeContext(remaining_ms=1_600))
    assert 1 <= len(server.puts()) < 10


def test_an_unreachable_callback_fails_the_invocation() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # Nothing listens there now: every attempt is refused.
    with pytest.raises(RunFailed, match="ConnectionRefusedError"):
        run(event_for(make_task(f"http://127.0.0.1:{port}/v1.0/tasks/1/x/callback")))


def touch_task(server: CallbackServer, tmp_path: Path, **fields: Any) -> tuple[run_event.Run, Path]:
    mark = tmp_path / "ran"
    return make_task(server.url(), command="probe/Touch", params={"path": str(mark)}, **fields), mark


def test_the_probe_runs_when_the_event_is_genuine(server: CallbackServer, tmp_path: Path) -> None:
    task, mark = touch_task(server, tmp_path)
    assert run(event_for(task))["ok"] is True
    assert mark.read_text() == "ran"


@pytest.mark.parametrize(
    "forgery", ["unsigned", "wrong_secret", "tampered", "signature_moved", "not_an_object"]
)
def test_forged_events_are_refused(
    server: CallbackServer, tmp_path: Path, caplog: pytest.LogCaptureFixture, forgery: str
) -> None:
    task, mark = touch_task(server, tmp_path)
    event = event_for(task)
    if forgery == "unsigned":
        del event[run_event.SIGNATURE_KEY]
    elif forgery == "wrong_secret":
        event = event_for(task, secret="guessed")
    elif forgery == "tampered":
        event[run_event.EVENT_KEY]["params"]["path"] = str(tmp_path / "elsewhere")
        mark = tmp_path / "elsewhere"
    elif forgery == "signature_moved":
        other = event_for(make_task(server.url()))
        event[run_event.SIGNATURE_KEY] = other[run_event.SIGNATURE_KEY]
    else:
        event[run_event.EVENT_KEY] = "probe/Touch"

    result = run(event)

    assert result["ok"] is False
    assert result["error"]["error_code"] in {
        "unsigned_run_event",
        "bad_run_signature",
        "malformed_run_event",
    }
    assert not mark.exists()
    assert server.received == []
    assert "refused a background run event" in caplog.text
    assert str(tmp_path) not in caplog.text


def test_the_proxy_api_key_signs_when_there_is_no_task_secret(
    server: CallbackServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CONNECTOR_PROXY_TASK_SECRET")
    task, mark = touch_task(server, tmp_path)
    assert run(event_for(task, secret=SECRET))["ok"] is False
    assert not mark.exists()
    assert run(event_for(task, secret="proxy-key"))["ok"] is True
    assert mark.exists()


def test_without_any_secret_unsigned_events_run(
    server: CallbackServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Nothing to sign with: IAM alone decides who may invoke the function.
    monkeypatch.delenv("CONNECTOR_PROXY_TASK_SECRET")
    monkeypatch.delenv("CONNECTOR_PROXY_API_KEY")
    monkeypatch.setenv("SPIFFARENA_CALLBACK_ORIGINS", server.origin)
    task, mark = touch_task(server, tmp_path)
    assert run(event_for(task, secret=None))["ok"] is True
    assert mark.exists()


def test_a_stale_event_is_not_run_and_the_callback_hears_why(server: CallbackServer, tmp_path: Path) -> None:
    task, mark = touch_task(server, tmp_path, issued_at=int(time.time()) - 7200)
    result = run(event_for(task))
    assert not mark.exists()
    body = only_put(server)
    assert body["error"]["error_code"] == "background_task_expired"
    assert body["command_response"]["body"] == {}
    assert result["error_code"] == "background_task_expired"


def test_an_event_from_the_future_is_refused(server: CallbackServer, tmp_path: Path) -> None:
    task, mark = touch_task(server, tmp_path, issued_at=int(time.time()) + 3600)
    assert run(event_for(task))["error"]["error_code"] == "malformed_run_event"
    assert not mark.exists() and server.received == []


def test_callbacks_only_go_to_allowed_origins(
    server: CallbackServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SPIFFARENA_CALLBACK_ORIGINS", "https://spiff.example.com")
    task, mark = touch_task(server, tmp_path)
    with pytest.raises(RunFailed, match="SPIFFARENA_CALLBACK_ORIGINS"):
        run(event_for(task))
    assert not mark.exists() and server.received == []

    monkeypatch.setenv("SPIFFARENA_CALLBACK_ORIGINS", f"https://spiff.example.com, {server.origin}/")
    assert run(event_for(task))["ok"] is True
    assert mark.exists()
