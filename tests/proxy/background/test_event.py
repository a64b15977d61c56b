"""The run event is checked before anything runs: signature, secret, age, where its result may go."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from support.background import SECRET, event_for, make_run, only_put, run
from support.callback_server import CallbackServer
from support.sample_connectors import CONNECTOR_PROBE, CONNECTOR_SAMPLE

from spiff_lambda_proxy.background import event as run_event
from spiff_lambda_proxy.background.worker import RunFailed
from spiff_lambda_proxy.registry import Registry


@pytest.fixture(autouse=True)
def connectors(extra_connectors: Callable[[dict[str, str]], Registry], worker_env: None) -> Registry:
    return extra_connectors({**CONNECTOR_SAMPLE, **CONNECTOR_PROBE})


def touch_run(server: CallbackServer, tmp_path: Path, **fields: Any) -> tuple[run_event.Run, Path]:
    mark = tmp_path / "ran"
    return make_run(server.url(), command="probe/Touch", params={"path": str(mark)}, **fields), mark


def test_the_probe_runs_when_the_event_is_genuine(server: CallbackServer, tmp_path: Path) -> None:
    task, mark = touch_run(server, tmp_path)
    assert run(event_for(task))["ok"] is True
    assert mark.read_text() == "ran"


@pytest.mark.parametrize(
    "forgery", ["unsigned", "wrong_secret", "tampered", "signature_moved", "not_an_object"]
)
def test_forged_events_are_refused(
    server: CallbackServer, tmp_path: Path, caplog: pytest.LogCaptureFixture, forgery: str
) -> None:
    task, mark = touch_run(server, tmp_path)
    event = event_for(task)
    if forgery == "unsigned":
        del event[run_event.SIGNATURE_KEY]
    elif forgery == "wrong_secret":
        event = event_for(task, secret="guessed")
    elif forgery == "tampered":
        event[run_event.EVENT_KEY]["params"]["path"] = str(tmp_path / "elsewhere")
        mark = tmp_path / "elsewhere"
    elif forgery == "signature_moved":
        other = event_for(make_run(server.url()))
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
    task, mark = touch_run(server, tmp_path)
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
    task, mark = touch_run(server, tmp_path)
    assert run(event_for(task, secret=None))["ok"] is True
    assert mark.exists()


def test_a_stale_event_is_not_run_and_the_callback_hears_why(server: CallbackServer, tmp_path: Path) -> None:
    task, mark = touch_run(server, tmp_path, issued_at=int(time.time()) - 7200)
    result = run(event_for(task))
    assert not mark.exists()
    body = only_put(server)
    assert body["error"]["error_code"] == "background_task_expired"
    assert body["command_response"]["body"] == {}
    assert result["error_code"] == "background_task_expired"


def test_an_event_from_the_future_is_refused(server: CallbackServer, tmp_path: Path) -> None:
    task, mark = touch_run(server, tmp_path, issued_at=int(time.time()) + 3600)
    assert run(event_for(task))["error"]["error_code"] == "malformed_run_event"
    assert not mark.exists() and server.received == []


def test_a_queued_run_is_not_run_once_the_origins_are_gone(
    server: CallbackServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Started while SPIFFARENA_CALLBACK_ORIGINS was set; the deployment has changed since.
    task, mark = touch_run(server, tmp_path)
    monkeypatch.delenv("SPIFFARENA_CALLBACK_ORIGINS")
    with pytest.raises(RunFailed, match="set SPIFFARENA_CALLBACK_ORIGINS"):
        run(event_for(task))
    assert not mark.exists() and server.received == []


def test_callbacks_only_go_to_allowed_origins(
    server: CallbackServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SPIFFARENA_CALLBACK_ORIGINS", "https://spiff.example.com")
    task, mark = touch_run(server, tmp_path)
    with pytest.raises(RunFailed, match="SPIFFARENA_CALLBACK_ORIGINS"):
        run(event_for(task))
    assert not mark.exists() and server.received == []

    monkeypatch.setenv("SPIFFARENA_CALLBACK_ORIGINS", f"https://spiff.example.com, {server.origin}/")
    assert run(event_for(task))["ok"] is True
    assert mark.exists()
