"""What the background-run tests share: Lambda's stubbed Invoke API, SpiffArena's made-up host."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any, NamedTuple

from botocore.stub import ANY, Stubber

import lambda_function
from spiff_lambda_proxy.background import event as run_event
from support.callback_server import CallbackServer
from support.lambda_events import lambda_context
from tools.local.context import LocalContext

ARN = lambda_context().invoked_function_arn
SECRET = "task-secret-for-tests"
CALLBACK_KEY = "spiff-service-account-key-0d1e"
# SpiffArena's host in requests that never reach a server: resolved by the tripwire's fake DNS.
SPIFFARENA_HOST = "spiff.example.com"
SPIFFARENA_ADDRESS = "203.0.113.10"  # TEST-NET-3: documentation only, never connected to


class Stubbed(NamedTuple):
    stub: Stubber
    # The parameters of every invoke call, as the client received them.
    calls: list[dict[str, Any]]

    def expect_invoke(self, times: int = 1) -> None:
        for _ in range(times):
            self.stub.add_response(
                "invoke",
                {"StatusCode": 202},
                expected_params={"FunctionName": ARN, "InvocationType": "Event", "Payload": ANY},
            )

    def payload(self, index: int = 0) -> dict[str, Any]:
        raw = self.calls[index]["Payload"]
        event: dict[str, Any] = json.loads(raw)
        return event


def make_run(url: str, command: str = "sample/Echo", **fields: Any) -> run_event.Run:
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


def run(event: Any, context: LocalContext | None = None) -> dict[str, Any]:
    result: dict[str, Any] = lambda_function.lambda_handler(event, context or lambda_context())
    return result


def only_put(server: CallbackServer) -> Any:
    assert len(server.received) == 1
    [received] = server.puts()
    assert received.headers["content-type"] == "application/json"
    return received.json
