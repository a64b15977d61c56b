"""Every answer SpiffArena's callback route gives is reported for what it is, and only a lost result fails.

The runs go through `lambda_handler` with their internal event; the callback
reaches the stand-in of SpiffArena's callback route (support.spiffarena), which
answers as the backend does.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from support import emf
from support.background import SECRET
from support.lambda_events import lambda_context
from support.sample_connectors import CONNECTOR_SHAPES
from support.spiffarena import Raised, SpiffArena, Stored, Task

import lambda_function
from spiff_lambda_proxy.background import event as run_event
from spiff_lambda_proxy.background.worker import RunFailed
from spiff_lambda_proxy.registry import Registry

FAILS = {"body": {}, "error_code": "UpstreamDown"}
SUCCEEDS = {"body": {"id": 7}}


@pytest.fixture(autouse=True)
def connectors(extra_connectors: Callable[[dict[str, str]], Registry]) -> Registry:
    return extra_connectors(CONNECTOR_SHAPES)


def event_to(url: str, params: dict[str, Any]) -> dict[str, Any]:
    the_run = run_event.Run(
        run_id=str(uuid.uuid4()),
        command_id="shapes/V2",
        params=params,
        task_data={},
        callback_url=url,
        issued_at=int(time.time()),
    )
    event: dict[str, Any] = json.loads(run_event.encode(the_run, SECRET))
    return event


def run_for(spiffarena: SpiffArena, task: Task, params: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = lambda_function.lambda_handler(
        event_to(spiffarena.callback_url(task), params), lambda_context()
    )
    return result


def outcome_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    """The worker's one line per run, with its countable `background_run` fields."""
    return [record for record in caplog.records if hasattr(record, "background_run")]


def test_a_delivered_result(spiffarena: SpiffArena, caplog: pytest.LogCaptureFixture) -> None:
    task = spiffarena.service_task("shapes/V2")
    result = run_for(spiffarena, task, SUCCEEDS)
    assert (result["ok"], result["outcome"], result["attempts"], result["callback_status"]) == (
        True,
        "delivered",
        1,
        200,
    )
    assert isinstance(spiffarena.wait(task), Stored)
    [record] = outcome_records(caplog)
    assert record.levelno == logging.INFO
    assert record.background_run["outcome"] == "delivered"  # type: ignore[attr-defined]


def test_an_error_that_puts_the_instance_in_error_was_delivered(
    spiffarena: SpiffArena, caplog: pytest.LogCaptureFixture
) -> None:
    task = spiffarena.service_task("shapes/V2")
    result = run_for(spiffarena, task, FAILS)  # no exception: SpiffArena got the result
    assert (result["outcome"], result["error_code"], result["callback_status"]) == (
        "delivered_instance_errored",
        "UpstreamDown",
        400,
    )
    assert spiffarena.wait(task) == Raised("UpstreamDown") and task.state == "error"
    assert len(spiffarena.puts) == 1  # not retried
    [record] = outcome_records(caplog)
    assert record.levelno == logging.WARNING
    assert "put the process instance in error" in record.getMessage()
    assert "NOT delivered" not in caplog.text


def test_an_error_answered_with_a_scheduled_retry(
    spiffarena: SpiffArena, caplog: pytest.LogCaptureFixture
) -> None:
    task = spiffarena.service_task("shapes/V2", retries=2)
    result = run_for(spiffarena, task, FAILS)
    assert (result["outcome"], result["attempts"]) == ("retry_scheduled", 1)
    assert task.state == "retry_scheduled"
    [record] = outcome_records(caplog)
    assert record.levelno == logging.INFO and "scheduled a retry" in record.getMessage()


@pytest.mark.parametrize("where", ["answered task", "unknown task", "unknown instance"])
def test_a_result_nobody_waits_for_is_reported_not_retried_not_failed(
    spiffarena: SpiffArena, caplog: pytest.LogCaptureFixture, where: str
) -> None:
    task = spiffarena.service_task("shapes/V2")
    url = spiffarena.callback_url(task)
    if where == "answered task":
        run_for(spiffarena, task, SUCCEEDS)  # Lambda delivered the event twice
    elif where == "unknown task":
        url = url.replace(task.guid, str(uuid.uuid4()))
    else:
        url = url.replace(f"/tasks/{task.instance}/", "/tasks/999/")
    caplog.clear()
    puts_before = len(spiffarena.puts)
    result = lambda_function.lambda_handler(event_to(url, SUCCEEDS), lambda_context())
    assert (result["ok"], result["outcome"], result["attempts"]) == (True, "not_waiting", 1)
    assert len(spiffarena.puts) == puts_before + 1
    [record] = outcome_records(caplog)
    assert record.levelno == logging.WARNING and "no longer waits" in record.getMessage()


@pytest.mark.parametrize("status", [401, 403])
def test_a_refused_api_key_fails_the_invocation_at_once(
    spiffarena: SpiffArena, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch, status: int
) -> None:
    if status == 401:
        monkeypatch.setenv("SPIFFARENA_CALLBACK_API_KEY", "an-expired-key-1234")
    else:
        spiffarena.scripted.append((403, {"error_code": "not_authorized", "message": "no permission"}))
    task = spiffarena.service_task("shapes/V2")
    with pytest.raises(RunFailed, match="SPIFFARENA_CALLBACK_API_KEY") as failure:
        run_for(spiffarena, task, SUCCEEDS)
    assert "[bad_key]" in str(failure.value) and f"HTTP {status}" in str(failure.value)
    assert len(spiffarena.puts) == 1
    [record] = outcome_records(caplog)
    assert record.levelno == logging.ERROR
    assert "an-expired-key-1234" not in caplog.text and spiffarena.api_key not in caplog.text


def test_a_refused_body_fails_the_invocation_at_once(spiffarena: SpiffArena) -> None:
    spiffarena.scripted.append((400, {"error_code": "invalid_callback_body", "message": "no body"}))
    with pytest.raises(RunFailed, match=r"\[body_refused\].*HTTP 400 invalid_callback_body"):
        run_for(spiffarena, spiffarena.service_task("shapes/V2"), SUCCEEDS)
    assert len(spiffarena.puts) == 1


def test_a_busy_spiffarena_is_tried_again(spiffarena: SpiffArena) -> None:
    spiffarena.scripted += [(503, {"error_code": "internal_server_error"}), (500, {})]
    task = spiffarena.service_task("shapes/V2")
    result = run_for(spiffarena, task, SUCCEEDS)
    assert (result["outcome"], result["attempts"]) == ("delivered", 3)
    assert [put.status for put in spiffarena.puts] == [503, 500, 200]
    assert isinstance(spiffarena.wait(task), Stored)


def test_a_spiffarena_that_never_recovers_fails_the_invocation(
    spiffarena: SpiffArena, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("CONNECTOR_PROXY_CALLBACK_ATTEMPTS", "3")
    spiffarena.scripted += [(502, {})] * 5
    with pytest.raises(RunFailed, match=r"\[unreachable\].*HTTP 502, 3 attempt"):
        run_for(spiffarena, spiffarena.service_task("shapes/V2"), SUCCEEDS)
    assert len(spiffarena.puts) == 3
    [record] = outcome_records(caplog)
    assert record.background_run["outcome"] == "unreachable"  # type: ignore[attr-defined]


def test_a_wrong_callback_path_is_final(spiffarena: SpiffArena) -> None:
    task = spiffarena.service_task("shapes/V2")
    url = spiffarena.callback_url(task).replace("/v1.0/", "/v2.0/")
    with pytest.raises(RunFailed, match=r"\[refused\].*HTTP 404"):
        lambda_function.lambda_handler(event_to(url, SUCCEEDS), lambda_context())
    assert len(spiffarena.puts) == 1


def emf_lines(capsys: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    return [emf.check(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]


def test_each_outcome_is_counted_as_a_metric(
    spiffarena: SpiffArena, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CONNECTOR_PROXY_METRICS_NAMESPACE", "SpiffConnectorProxy")
    monkeypatch.setenv("CONNECTOR_PROXY_CALLBACK_ATTEMPTS", "1")
    run_for(spiffarena, spiffarena.service_task("shapes/V2"), FAILS)
    spiffarena.scripted.append((503, {}))
    with pytest.raises(RunFailed):
        run_for(spiffarena, spiffarena.service_task("shapes/V2"), SUCCEEDS)
    errored, lost = emf_lines(capsys)
    for document in (errored, lost):
        [directive] = document["_aws"]["CloudWatchMetrics"]
        # By function alone (one alarm for every outcome) and by outcome.
        assert directive["Dimensions"] == [["FunctionName"], ["FunctionName", "Outcome"]]
        assert document["BackgroundRuns"] == 1 and document["command"] == "shapes/V2"
    assert (errored["Outcome"], errored["Undelivered"], errored["error_code"]) == (
        "delivered_instance_errored",
        0,
        "UpstreamDown",
    )
    assert (lost["Outcome"], lost["Undelivered"]) == ("unreachable", 1)
