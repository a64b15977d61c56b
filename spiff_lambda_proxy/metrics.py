"""Per-command metrics, as CloudWatch embedded metric format (EMF) lines on standard output.

CloudWatch Logs turns a log line that is a JSON object with an `_aws.CloudWatchMetrics` block into
metrics: no SDK, no API call, no permission beyond writing logs, and nothing imported that the
proxy does not load anyway. One line per request to run a command (`/v1/do/...`):

- `Invocations` (Count, 1), `Errors` (Count, 1 when the command failed: an error envelope, also
  inside an HTTP 200, or an error status), `Duration` (Milliseconds, the whole request);
- dimensions `FunctionName` alone (every command request, including those refused before a
  command was found) and `FunctionName` + `Command` (the command's id, only ids this proxy offers,
  so a caller cannot create metrics by inventing paths);
- `error_code`, `status`, `upstream_status` and `requestId` ride along as properties, searchable
  in Logs Insights but not dimensions (a dimension per error code would multiply the metrics).

Each background run writes one line too (`record_background_run`): `BackgroundRuns`,
`Undelivered` (1 when SpiffArena did not take the result and it does not wait for a later delivery:
held for an operator, or not kept at all) and `Duration`, by `FunctionName` and by `FunctionName` +
`Outcome` (the callback's outcome, a fixed list). A kept result writes a line when its state changes
(`record_kept_result`): `Kept` (it waits, or is held, after its first delivery failed),
`Redelivered` (SpiffArena took it later, or no longer waits for it), `Expired` (past its maximum
age) and `Undelivered` (held for an operator after a later attempt), by the same dimensions.

Written only when `CONNECTOR_PROXY_METRICS_NAMESPACE` names a namespace (template.yaml sets it).
"""

from __future__ import annotations

import json
import os
import sys
import time
from typing import Any

NAMESPACE_SETTING = "CONNECTOR_PROXY_METRICS_NAMESPACE"
COMMAND_ROUTE_PREFIX = "/v1/do/"
# CloudWatch takes dimension values of 1 to 1024 ASCII characters.
_MAX_DIMENSION_VALUE = 1024
_METRICS = [
    {"Name": "Invocations", "Unit": "Count"},
    {"Name": "Errors", "Unit": "Count"},
    {"Name": "Duration", "Unit": "Milliseconds"},
]


def namespace() -> str:
    return os.environ.get(NAMESPACE_SETTING, "").strip()


def record_request(fields: dict[str, Any]) -> None:
    """One EMF line for a request to run a command; nothing for other routes or without a namespace.

    `fields` are the request's log fields (`logs.log_request`): route, command, error_code, ...
    """
    name = namespace()
    if not name or not str(fields.get("route") or "").startswith(COMMAND_ROUTE_PREFIX):
        return
    sys.stdout.write(emf_line(name, fields) + "\n")
    sys.stdout.flush()


def emf_line(name: str, fields: dict[str, Any]) -> str:
    command_id = fields.get("command")
    if command_id and not (command_id.isascii() and len(command_id) <= _MAX_DIMENSION_VALUE):
        command_id = None  # CloudWatch would drop the whole line: count it in the totals only
    dimensions = [["FunctionName"], ["FunctionName", "Command"]] if command_id else [["FunctionName"]]
    document: dict[str, Any] = {
        "_aws": {
            "Timestamp": int(time.time() * 1000),
            "CloudWatchMetrics": [{"Namespace": name, "Dimensions": dimensions, "Metrics": _METRICS}],
        },
        "FunctionName": os.environ.get("AWS_LAMBDA_FUNCTION_NAME") or "local",
        "Invocations": 1,
        "Errors": 1 if fields.get("error_code") else 0,
        "Duration": fields.get("duration_ms", 0),
    }
    if command_id:
        document["Command"] = command_id
    for key in ("error_code", "status", "upstream_status"):
        if fields.get(key) is not None:
            document[key] = fields[key]
    if fields.get("aws_request_id"):
        document["requestId"] = fields["aws_request_id"]
    return json.dumps(document, separators=(",", ":"))


# Background runs: one line per run, by the outcome of its callback (background/callback.py).
_RUN_METRICS = [
    {"Name": "BackgroundRuns", "Unit": "Count"},
    {"Name": "Undelivered", "Unit": "Count"},
    {"Name": "Duration", "Unit": "Milliseconds"},
]


def record_background_run(fields: dict[str, Any], delivered: bool) -> None:
    """`BackgroundRuns` 1 and `Undelivered` 1 unless SpiffArena got the result or it waits for a later try.

    `fields` are the run's log fields (`background.worker`): outcome, command, error_code, ...
    """
    values = {
        "BackgroundRuns": 1,
        "Undelivered": 0 if delivered else 1,
        "Duration": fields.get("duration_ms", 0),
    }
    _outcome_line(
        _RUN_METRICS, values, fields, ("command", "error_code", "callback_status", "attempts", "run_id")
    )


# Kept results (background/keeping.py): one line when a result's state changes.
KEPT_EVENTS = ("Kept", "Redelivered", "Expired", "Undelivered")
_KEPT_METRICS = [{"Name": name, "Unit": "Count"} for name in KEPT_EVENTS]


def record_kept_result(event: str, fields: dict[str, Any]) -> None:
    """1 for `event` (one of KEPT_EVENTS), 0 for the others, by `Outcome` (the last attempt's)."""
    values = {name: 1 if name == event else 0 for name in KEPT_EVENTS}
    _outcome_line(_KEPT_METRICS, values, fields, ("command", "state", "attempts", "age_seconds", "run_id"))


def _outcome_line(
    definitions: list[dict[str, str]],
    values: dict[str, Any],
    fields: dict[str, Any],
    properties: tuple[str, ...],
) -> None:
    name = namespace()
    if not name:
        return
    document: dict[str, Any] = {
        "_aws": {
            "Timestamp": int(time.time() * 1000),
            "CloudWatchMetrics": [
                {
                    "Namespace": name,
                    # By function alone too, so one alarm covers every outcome.
                    "Dimensions": [["FunctionName"], ["FunctionName", "Outcome"]],
                    "Metrics": definitions,
                }
            ],
        },
        "FunctionName": os.environ.get("AWS_LAMBDA_FUNCTION_NAME") or "local",
        "Outcome": str(fields.get("outcome")),
        **values,
    }
    for key in properties:
        if fields.get(key) is not None:
            document[key] = fields[key]
    sys.stdout.write(json.dumps(document, separators=(",", ":")) + "\n")
    sys.stdout.flush()
