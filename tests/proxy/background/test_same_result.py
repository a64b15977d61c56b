"""A service task leaves the same value (or error code) whether it ran synchronously or in the background.

Both ways go through `lambda_handler`: the synchronous answer is read as
SpiffArena's backend reads it; the background run's 202 is followed by the
event Lambda's Invoke API received, run by `lambda_handler` like the
asynchronous invocation, whose callback reaches a stand-in of SpiffArena's
callback route that stores what the backend stores (support.spiffarena).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from support.background import Stubbed
from support.lambda_events import SOURCES, invoke, lambda_context
from support.sample_connectors import CONNECTOR_SAMPLE, CONNECTOR_SHAPES
from support.spiffarena import SHAPE_CASES, Outcome, Raised, SpiffArena, Stored, read_answer, stored_v2

import lambda_function
from spiff_lambda_proxy.registry import Registry

TASK_DATA = {"order": 42, "customer": {"name": "Ada"}}


@pytest.fixture(autouse=True)
def connectors(extra_connectors: Callable[[dict[str, str]], Registry]) -> Registry:
    return extra_connectors({**CONNECTOR_SAMPLE, **CONNECTOR_SHAPES})


def synchronously(
    spiffarena: SpiffArena, command: str, params: dict[str, Any], source: str = "function-url"
) -> Any:
    task = spiffarena.service_task(command)
    body = spiffarena.request_body(task, params, TASK_DATA)
    answer = invoke(source, "POST", f"/v1/do/{command}", body=body)
    return read_answer(command, answer.status, answer.text)


def in_the_background(
    spiffarena: SpiffArena,
    lambda_stub: Stubbed,
    command: str,
    params: dict[str, Any],
    source: str = "function-url",
) -> Any:
    task = spiffarena.service_task(command)
    body = spiffarena.request_body(task, {**params, "spiff__proxy_background": True}, TASK_DATA)
    lambda_stub.expect_invoke()
    puts_before = len(spiffarena.puts)
    answer = invoke(source, "POST", f"/v1/do/{command}", body=body)
    assert answer.status == 202, answer
    assert read_answer(command, answer.status, answer.text) is None  # the task waits
    assert len(spiffarena.puts) == puts_before  # nothing ran yet: the asynchronous invocation comes next
    result = lambda_function.lambda_handler(lambda_stub.payload(len(lambda_stub.calls) - 1), lambda_context())
    assert result["outcome"] in ("delivered", "delivered_instance_errored"), result
    return spiffarena.wait(task)


@pytest.mark.parametrize(("command", "params", "expected"), SHAPE_CASES)
def test_the_stored_value_and_error_code_are_the_same_both_ways(
    spiffarena: SpiffArena,
    lambda_stub: Stubbed,
    command: str,
    params: dict[str, Any],
    expected: Outcome | None,
) -> None:
    sync = synchronously(spiffarena, command, params)
    if expected is not None:
        assert sync == expected  # the stand-in reads the answer as SpiffArena does
    assert in_the_background(spiffarena, lambda_stub, command, params) == sync


@pytest.mark.parametrize("source", SOURCES)
def test_every_front_door_gives_the_same_value(
    spiffarena: SpiffArena, lambda_stub: Stubbed, source: str
) -> None:
    params = {"message": "hi"}
    sync = synchronously(spiffarena, "sample/Echo", params, source)
    assert sync == Stored(
        {
            "body": {"echo": "hi", "task_data": TASK_DATA},
            "mimetype": "application/json",
            "http_status": 200,
            "operator_identifier": "sample/Echo",
        }
    )
    assert in_the_background(spiffarena, lambda_stub, "sample/Echo", params, source) == sync


def test_arguments_that_do_not_bind_fail_alike_before_any_202(
    spiffarena: SpiffArena, lambda_stub: Stubbed
) -> None:
    params = {"message": "hi", "nonsense": 1}
    sync = synchronously(spiffarena, "sample/Echo", params)
    task = spiffarena.service_task("sample/Echo")
    body = spiffarena.request_body(task, {**params, "spiff__proxy_background": True}, TASK_DATA)
    answer = invoke("function-url", "POST", "/v1/do/sample/Echo", body=body)
    assert sync == read_answer("sample/Echo", answer.status, answer.text) == Raised("invalid_parameters")
    assert lambda_stub.calls == []


def test_a_boundary_event_catches_the_same_code_both_ways(
    spiffarena: SpiffArena, lambda_stub: Stubbed
) -> None:
    params = {"body": {}, "error_code": "UpstreamDown"}
    task = spiffarena.service_task("shapes/V2", caught=("UpstreamDown",))
    lambda_stub.expect_invoke()
    body = spiffarena.request_body(task, {**params, "spiff__proxy_background": True}, TASK_DATA)
    assert invoke("function-url", "POST", "/v1/do/shapes/V2", body=body).status == 202
    result = lambda_function.lambda_handler(lambda_stub.payload(), lambda_context())
    assert (result["outcome"], result["error_code"]) == ("delivered", "UpstreamDown")
    assert spiffarena.wait(task) == Raised("UpstreamDown") == synchronously(spiffarena, "shapes/V2", params)
    assert task.state == "done"  # the boundary path, not an instance in error


def test_the_raw_shape_stores_only_the_body(
    spiffarena: SpiffArena, lambda_stub: Stubbed, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CONNECTOR_PROXY_CALLBACK_SHAPE", "raw")
    params = {"body": {"id": 7}}
    assert synchronously(spiffarena, "shapes/V2", params) == stored_v2({"id": 7})
    assert in_the_background(spiffarena, lambda_stub, "shapes/V2", params) == Stored({"id": 7})
    # Errors stay errors in the raw shape too.
    assert in_the_background(spiffarena, lambda_stub, "shapes/V2", {"body": {}, "status": 404}) == Raised(
        "ServiceTaskHttpError404"
    )
