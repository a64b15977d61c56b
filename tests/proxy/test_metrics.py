"""Per-command metrics: one embedded metric format line per command request, valid by the EMF spec.

Lines are read from standard output as Lambda hands it to CloudWatch, with awslambdaric's logging
set up in both formats (the metrics must not depend on it), and checked by `support.emf.check`.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from typing import Any

import pytest
from conftest import AddConnectors
from support import emf
from support.lambda_events import invoke
from support.lambda_runtime import runtime_logging
from support.paths import PROJECT_ROOT

from spiff_lambda_proxy import metrics

KEY = "metrics-test-key"
HEADERS = {"Spiff-Connector-Proxy-Api-Key": KEY}
NAMESPACE = "SpiffConnectorProxy"

CONNECTOR_MEASURED = {
    "connector_measured/__init__.py": "",
    "connector_measured/commands/__init__.py": "",
    "connector_measured/commands/work.py": """
        class Work:
            def __init__(self, fail: bool = False):
                self.fail = fail

            def execute(self, config, task_data):
                error = {"error_code": "Timeout", "message": "too slow"} if self.fail else None
                return {
                    "command_response": {"body": {}, "mimetype": "application/json",
                                         "http_status": 504 if self.fail else 200},
                    "command_response_version": 2,
                    "error": error,
                    "spiff__logs": [],
                }
    """,
    "connector_measured/commands/accents.py": """
        class Café:
            def execute(self, config, task_data):
                return {"response": "ok", "status": 200, "mimetype": "text/plain"}
    """,
}


@pytest.fixture(autouse=True)
def proxy(extra_connectors: AddConnectors, monkeypatch: pytest.MonkeyPatch) -> None:
    extra_connectors(CONNECTOR_MEASURED)
    monkeypatch.setenv("CONNECTOR_PROXY_API_KEY", KEY)
    monkeypatch.setenv("CONNECTOR_PROXY_METRICS_NAMESPACE", NAMESPACE)
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "spiff-proxy")


def emf_lines(capsys: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    """Every EMF document written to standard output, each checked against the specification."""
    out = capsys.readouterr().out
    return [emf.check(line) for line in out.splitlines() if line.startswith('{"_aws"')]


def directive(document: dict[str, Any]) -> dict[str, Any]:
    (only,) = document["_aws"]["CloudWatchMetrics"]
    result: dict[str, Any] = only
    return result


@pytest.mark.parametrize("log_format", ["JSON", "TEXT"])
def test_a_failed_command_counts_as_an_error_with_its_code(
    log_format: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with runtime_logging(log_format):
        answer = invoke("function-url", "POST", "/v1/do/measured/Work", body={"fail": True}, headers=HEADERS)
        assert answer.status == 200  # the failure is inside the envelope
        (document,) = emf_lines(capsys)
    metric_directive = directive(document)
    assert metric_directive["Namespace"] == NAMESPACE
    assert metric_directive["Dimensions"] == [["FunctionName"], ["FunctionName", "Command"]]
    assert [m["Name"] for m in metric_directive["Metrics"]] == ["Invocations", "Errors", "Duration"]
    assert {m["Name"]: m["Unit"] for m in metric_directive["Metrics"]}["Duration"] == "Milliseconds"
    assert (document["FunctionName"], document["Command"]) == ("spiff-proxy", "measured/Work")
    assert (document["Invocations"], document["Errors"]) == (1, 1)
    assert document["Duration"] >= 0
    # The error code is a property to search by, never a dimension (one metric per code otherwise).
    assert (document["error_code"], document["status"], document["upstream_status"]) == ("Timeout", 200, 504)
    assert all("error_code" not in dimensions for dimensions in metric_directive["Dimensions"])


def test_a_successful_command_counts_no_error(capsys: pytest.CaptureFixture[str]) -> None:
    invoke("function-url", "POST", "/v1/do/measured/Work", body={}, headers=HEADERS)
    (document,) = emf_lines(capsys)
    assert (document["Invocations"], document["Errors"]) == (1, 0)
    assert "error_code" not in document


@pytest.mark.parametrize(
    ("path", "headers", "error_code"),
    [
        ("/v1/do/measured/Work", {}, "unauthorized"),
        ("/v1/do/measured/Invented", HEADERS, "command_not_found"),
        ("/v1/do/made-up/" + "x" * 300, HEADERS, "command_not_found"),
    ],
)
def test_requests_refused_before_a_command_count_in_the_totals_only(
    path: str, headers: dict[str, str], error_code: str, capsys: pytest.CaptureFixture[str]
) -> None:
    invoke("function-url", "POST", path, body={}, headers=headers)
    (document,) = emf_lines(capsys)
    # A caller cannot create metrics (each one billed) by inventing command names.
    assert directive(document)["Dimensions"] == [["FunctionName"]]
    assert "Command" not in document
    assert (document["Errors"], document["error_code"]) == (1, error_code)


def test_a_command_id_cloudwatch_would_refuse_counts_in_the_totals(
    capsys: pytest.CaptureFixture[str],
) -> None:
    answer = invoke("function-url", "POST", "/v1/do/measured/Caf%C3%A9", body={}, headers=HEADERS)
    assert answer.status == 200
    (document,) = emf_lines(capsys)
    assert directive(document)["Dimensions"] == [["FunctionName"]]


@pytest.mark.parametrize("path", ["/v1/commands", "/", "/liveness", "/nowhere"])
def test_other_requests_write_no_metrics(path: str, capsys: pytest.CaptureFixture[str]) -> None:
    invoke("function-url", "GET", path, headers=HEADERS)
    assert emf_lines(capsys) == []


def test_without_a_namespace_there_are_no_metrics(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CONNECTOR_PROXY_METRICS_NAMESPACE", " ")
    invoke("function-url", "POST", "/v1/do/measured/Work", body={}, headers=HEADERS)
    assert emf_lines(capsys) == []


def test_metrics_import_nothing_the_proxy_does_not_load_anyway() -> None:
    script = (
        "import __future__, sys, logging, json, threading, time, typing  # what every proxy module uses\n"
        "sys.path.insert(0, '.')\n"
        "before = set(sys.modules)\n"
        "import spiff_lambda_proxy.metrics\n"
        "print(json.dumps(sorted(set(sys.modules) - before)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-I", "-c", script], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == ["spiff_lambda_proxy", "spiff_lambda_proxy.metrics"]


VALID = {
    "_aws": {
        "Timestamp": 0,
        "CloudWatchMetrics": [
            {"Namespace": "N", "Dimensions": [["D"]], "Metrics": [{"Name": "M", "Unit": "Count"}]}
        ],
    },
    "D": "d",
    "M": 1,
}


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda doc: doc["_aws"].update(Timestamp=1_700_000_000), "Timestamp"),  # seconds, not ms
        (lambda doc: doc["_aws"].pop("Timestamp"), "Timestamp"),
        (lambda doc: doc.update(D=7), "no string value"),
        (lambda doc: doc.update(M="1"), "no number"),
        (lambda doc: doc.pop("M"), "no number"),
        (lambda doc: doc["_aws"]["CloudWatchMetrics"][0]["Metrics"][0].update(Unit="ms"), "unit"),
        (lambda doc: doc["_aws"]["CloudWatchMetrics"][0].update(Extra=1), "exactly"),
        (lambda doc: doc["_aws"]["CloudWatchMetrics"][0].update(Namespace="AWS/Lambda"), "reserved"),
        (
            lambda doc: doc["_aws"]["CloudWatchMetrics"][0].update(Dimensions=[[f"D{i}" for i in range(31)]]),
            "30",
        ),
        (
            lambda doc: doc["_aws"]["CloudWatchMetrics"][0].update(
                Metrics=[{"Name": f"M{i}"} for i in range(101)]
            ),
            "1 to 100",
        ),
    ],
)
def test_the_emf_checker_refuses_what_cloudwatch_would_drop(change: Any, problem: str) -> None:
    document = json.loads(json.dumps(VALID))
    document["_aws"]["Timestamp"] = int(time.time() * 1000)
    emf.check(json.dumps(document))  # the unchanged document passes
    change(document)
    with pytest.raises(emf.EmfError, match=problem):
        emf.check(json.dumps(document))


def test_the_line_is_compact_json_on_one_line() -> None:
    fields = {"route": "/v1/do/{plugin}/{command}", "command": "a/B", "duration_ms": 1.5, "status": 200}
    line = metrics.emf_line(NAMESPACE, fields)
    assert "\n" not in line and ": " not in line
    assert emf.check(line)["Command"] == "a/B"
