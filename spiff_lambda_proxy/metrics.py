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
`Undelivered` (1 when SpiffArena never got the result) and `Duration`, by `FunctionName` +
`Outcome` (the callback's outcome, a fixed list).

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
    """`BackgroundRuns` 1 and `Undelivered` 1 when SpiffArena never got the result, by `Outcome`.

    `fields` are the run's log fields (`background.worker`): outcome, command, error_code, ...
    """
    name = namespace()
    if not name:
        return
    document: dict[str, Any] = {
        "_aws": {
            "Timestamp": int(time.time() * 1000),
            "CloudWatchMetrics": [
                {"Namespace": name, "Dimensions": [["FunctionName", "Outcome"]], "Metrics": _RUN_METRICS}
            ],
        },
        "FunctionName": os.environ.get("AWS_LAMBDA_FUNCTION_NAME") or "local",
        "Outcome": str(fields.get("outcome")),
        "BackgroundRuns": 1,
        "Undelivered": 0 if delivered else 1,
        "Duration": fields.get("duration_ms", 0),
    }
    for key in ("command", "error_code", "callback_status", "attempts", "run_id"):
        if fields.get(key) is not None:
            document[key] = fields[key]
    sys.stdout.write(json.dumps(document, separators=(",", ":")) + "\n")
    sys.stdout.flush()
