"""`make serve` runs background runs itself: the same event, the same worker, the same value stored.

Over real HTTP, with the stand-in of SpiffArena's callback route
(support.spiffarena): a service task run synchronously and the same one run in
the background leave the same value (or error code), and nothing reaches AWS,
with or without credentials in the environment.
"""

from __future__ import annotations

import json
import sys
import textwrap
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from support.local_server import Served, local_env, request, serving
from support.sample_connectors import CONNECTOR_SAMPLE, CONNECTOR_SHAPES
from support.spiffarena import SHAPE_CASES, SpiffArena, read_answer
from support.upstream import Upstream

from spiff_lambda_proxy import aws
from spiff_lambda_proxy.registry import Registry
from tools.local import server as local
from tools.local.runs import LocalRuns

TASK_DATA = {"order": 42}


def both_ways(url: str, spiffarena: SpiffArena, command: str, params: dict[str, Any]) -> tuple[Any, Any]:
    """(what SpiffArena keeps from the synchronous answer, what it keeps from the background run)."""
    task = spiffarena.service_task(command)
    answer = request(url, "POST", f"/v1/do/{command}", spiffarena.request_body(task, params, TASK_DATA))
    sync = read_answer(command, answer.status, answer.text)
    task = spiffarena.service_task(command)
    body = spiffarena.request_body(task, {**params, "spiff__proxy_background": True}, TASK_DATA)
    answer = request(url, "POST", f"/v1/do/{command}", body)
    assert answer.status == 202, answer
    return sync, spiffarena.wait(task)


def test_the_local_server_runs_background_runs_without_aws(
    extra_connectors: Callable[[dict[str, str]], Registry],
    spiffarena: SpiffArena,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    extra_connectors({**CONNECTOR_SAMPLE, **CONNECTOR_SHAPES})
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    for name, value in spiffarena.local_settings().items():
        monkeypatch.setenv(name, value)
    for url in serving(local.make_server("127.0.0.1", 0, timeout_seconds=30)):
        for command, params, expected in SHAPE_CASES:
            sync, background = both_ways(url, spiffarena, command, params)
            assert background == sync, (command, params)
            assert expected is None or sync == expected
    assert aws._clients == {}  # no Lambda client was ever made


@pytest.mark.parametrize("credentials", [True, False], ids=["with AWS credentials", "without"])
def test_make_serve_runs_them_and_never_calls_aws(
    tmp_path: Path, spiffarena: SpiffArena, credentials: bool
) -> None:
    for relative, source in {**CONNECTOR_SAMPLE, **CONNECTOR_SHAPES}.items():
        path = tmp_path / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(source))
    with Upstream() as aws:
        aws_settings = {
            "AWS_REGION": "us-east-1",
            # Any AWS request at all would land here instead of in a real region.
            "AWS_ENDPOINT_URL": aws.base_url,
            "AWS_ENDPOINT_URL_LAMBDA": aws.base_url,
            "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
            "AWS_CONFIG_FILE": str(tmp_path / "none"),
        }
        if credentials:
            aws_settings |= {
                "AWS_ACCESS_KEY_ID": "AKIAREALLOOKING00000",
                "AWS_SECRET_ACCESS_KEY": "not-secret",
            }
        env = local_env({**spiffarena.local_settings(), **aws_settings}, python_path=tmp_path)
        venv = Path(sys.executable).parent.parent
        served = Served(
            # VENV too, so that the target -o names is the Makefile's own (with a relative .venv, a
            # checkout whose requirement files are newer than the venv would try to rebuild it).
            [
                "make",
                "-s",
                "-o",
                f"{venv}/.installed",
                "serve",
                f"VENV={venv}",
                f"VENV_PY={sys.executable}",
                "PORT=0",
                "TYPEAHEAD_BUILTINS=0",
            ],
            env,
        )
        try:
            url = served.url()
            for command, params, _ in SHAPE_CASES[:9]:
                sync, background = both_ways(url, spiffarena, command, params)
                assert background == sync, (command, params)
        finally:
            output = served.stop()
        assert aws.requests == [] and aws.connections == 0
    assert "background run" in output and "result delivered" in output


def test_a_run_starts_only_once_its_202_has_gone_out() -> None:
    ran = threading.Event()
    runs = LocalRuns(lambda event, context: ran.set(), timeout_seconds=5)
    with runs.after_answer():
        runs.hand_over("arn:aws:lambda:local:0:function:f", json.dumps({"run": 1}).encode(), "x/Y")
        assert not ran.wait(0.2) and runs.active() == 0  # still answering
    assert runs.wait(5) and ran.is_set()
