"""SpiffArena's ids of a task reach the log lines of a background run: whatever they hold, every record
stays one line, in Lambda's text and JSON formats, with the characters shown escaped.

The whole path: the request starts the run (its hand-over to Lambda stubbed), the handed-over event
runs in the worker and calls back a stand-in of SpiffArena, all logged through the logging
awslambdaric sets up.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from support.background import Stubbed, run
from support.callback_server import running
from support.lambda_events import invoke
from support.lambda_runtime import runtime_logging
from support.sample_connectors import CONNECTOR_SAMPLE

from spiff_lambda_proxy.registry import Registry

FORGED = "[ERROR]\t2026-01-01T00:00:00.000Z\tforged-request-id\tpayment of 1,000,000 approved"
# A newline to start a forged line, and the other ways to break or disguise one.
HOSTILE_INSTANCE = f"7\n{FORGED}"
HOSTILE_TASK = "t1\r\u2028\u2029\x1b[2K\x85\u202eok"
SHOWN_INSTANCE = "7\\n[ERROR]\\t2026-01-01T00:00:00.000Z\\tforged-request-id\\tpayment of 1,000,000 approved"
SHOWN_TASK = "t1\\r\\u2028\\u2029\\x1b[2K\\x85\\u202eok"
UNSAFE = "\r\x1b\x85\u2028\u2029\u202e"


@pytest.fixture(autouse=True)
def sample(extra_connectors: Callable[[dict[str, str]], Registry]) -> Registry:
    return extra_connectors(CONNECTOR_SAMPLE)


@pytest.mark.parametrize("log_format", ["TEXT", "JSON"])
def test_hostile_task_ids_cannot_forge_a_log_line(
    log_format: str, lambda_stub: Stubbed, monkeypatch: pytest.MonkeyPatch, loopback_callbacks: None
) -> None:
    monkeypatch.setenv("CONNECTOR_PROXY_API_KEY", "proxy-key")
    monkeypatch.setenv("CONNECTOR_PROXY_TASK_SECRET", "signing-secret")
    with running() as server, runtime_logging(log_format) as captured:
        lambda_stub.expect_invoke()
        body = {
            "message": "hi",
            "spiff__proxy_background": True,
            "spiff__callback_url": server.url(),
            "spiff__process_instance_id": HOSTILE_INSTANCE,
            "spiff__task_id": HOSTILE_TASK,
        }
        answer = invoke(
            "function-url",
            "POST",
            "/v1/do/sample/Echo",
            body=body,
            headers={"Spiff-Connector-Proxy-Api-Key": "proxy-key"},
        )
        assert answer.status == 202, answer
        run(lambda_stub.payload())
        frames = captured.frames()
    assert len(server.puts()) == 1  # the run really ran and called back
    about_the_task = [frame.message for frame in frames if "process instance" in frame.message]
    assert len(about_the_task) == 2  # the start's line and the outcome's
    for message in about_the_task:
        one_line = message.rstrip("\n")
        assert "\n" not in one_line and not any(char in one_line for char in UNSAFE)
        shown = json.loads(one_line)["message"] if log_format == "JSON" else one_line
        assert f"process instance {SHOWN_INSTANCE}, task {SHOWN_TASK}" in shown
        if log_format == "TEXT":
            assert one_line.count("\t") == 3  # the runtime's own separators only
    assert not any(frame.message.startswith(FORGED) for frame in frames)
