"""A checker for CloudWatch embedded metric format (EMF) lines, written from the specification.

CloudWatch Logs drops the metrics of a log event that breaks the specification, silently (only the
AWS/Logs EMFValidationErrors metric counts it), so the tests hold the proxy's lines to every rule
that applies to them: the event is one JSON object; `_aws` has a `Timestamp` in milliseconds within
two weeks back and two hours ahead, and `CloudWatchMetrics`, a list of metric directives with exactly
`Namespace`, `Dimensions` and `Metrics`; a dimension set names at most 30 dimensions, each a member
of the root whose value is a string; at most 100 metrics per directive, each naming a root member
whose value is a number (or a list of at most 100 numbers), with a known unit. Limits on names and
values are those of CloudWatch (and of the official EMF libraries' validators).
"""

from __future__ import annotations

import json
import math
import re
import time
from typing import Any

MAX_EVENT_BYTES = 1024 * 1024
MAX_DIMENSIONS_PER_SET = 30
MAX_METRICS_PER_DIRECTIVE = 100
MAX_VALUES_PER_METRIC = 100
MAX_DIMENSION_NAME = 250
MAX_DIMENSION_VALUE = 1024
MAX_METRIC_NAME = 1024
MAX_NAMESPACE = 256
NAMESPACE = re.compile(r"[a-zA-Z0-9._#:/-]+")
PAST_MS, FUTURE_MS = 14 * 24 * 3600 * 1000, 2 * 3600 * 1000
UNITS = {
    "Seconds", "Microseconds", "Milliseconds", "Bytes", "Kilobytes", "Megabytes", "Gigabytes",
    "Terabytes", "Bits", "Kilobits", "Megabits", "Gigabits", "Terabits", "Percent", "Count",
    "Bytes/Second", "Kilobytes/Second", "Megabytes/Second", "Gigabytes/Second", "Terabytes/Second",
    "Bits/Second", "Kilobits/Second", "Megabits/Second", "Gigabits/Second", "Terabits/Second",
    "Count/Second", "None",
}  # fmt: skip


class EmfError(AssertionError):
    pass


def check(line: str, now_ms: float | None = None) -> dict[str, Any]:
    """The parsed document when `line` is a valid EMF event; EmfError listing every problem if not."""
    problems: list[str] = []
    if len(line.encode()) > MAX_EVENT_BYTES:
        problems.append("event larger than 1 MB")
    if "\n" in line.strip():
        problems.append("more than one line")
    try:
        root = json.loads(line)
    except ValueError as error:
        raise EmfError(f"not one JSON value: {error}") from None
    if not isinstance(root, dict):
        raise EmfError("the event is not a JSON object")
    meta = root.get("_aws")
    if not isinstance(meta, dict):
        raise EmfError("no _aws object")
    _check_timestamp(meta.get("Timestamp"), now_ms, problems)
    directives = meta.get("CloudWatchMetrics")
    if not isinstance(directives, list) or not directives:
        problems.append("_aws.CloudWatchMetrics is not a non-empty list")
        directives = []
    for index, directive in enumerate(directives):
        _check_directive(root, directive, f"CloudWatchMetrics[{index}]", problems)
    if problems:
        raise EmfError("; ".join(problems))
    return root


def _check_timestamp(value: Any, now_ms: float | None, problems: list[str]) -> None:
    if not _is_number(value):
        problems.append(f"_aws.Timestamp is not a number: {value!r}")
        return
    now = time.time() * 1000 if now_ms is None else now_ms
    if not now - PAST_MS <= value <= now + FUTURE_MS:
        problems.append(
            f"_aws.Timestamp {value} is not milliseconds within two weeks back and two hours ahead"
        )


def _check_directive(root: dict[str, Any], directive: Any, where: str, problems: list[str]) -> None:
    if not isinstance(directive, dict) or set(directive) != {"Namespace", "Dimensions", "Metrics"}:
        problems.append(f"{where} must be an object of exactly Namespace, Dimensions and Metrics")
        return
    namespace = directive["Namespace"]
    if not (
        isinstance(namespace, str) and 0 < len(namespace) <= MAX_NAMESPACE and NAMESPACE.fullmatch(namespace)
    ):
        problems.append(f"{where}.Namespace is not a valid namespace: {namespace!r}")
    elif namespace.startswith("AWS/"):
        problems.append(f"{where}.Namespace {namespace!r} is reserved for AWS")
    dimension_names = _check_dimensions(root, directive["Dimensions"], where, problems)
    metrics = directive["Metrics"]
    if not isinstance(metrics, list) or not 0 < len(metrics) <= MAX_METRICS_PER_DIRECTIVE:
        problems.append(f"{where}.Metrics must be a list of 1 to {MAX_METRICS_PER_DIRECTIVE} metrics")
        return
    names = [metric.get("Name") if isinstance(metric, dict) else None for metric in metrics]
    if len(set(map(str, names))) != len(names):
        problems.append(f"{where}.Metrics names a metric twice")
    for metric in metrics:
        _check_metric(root, metric, dimension_names, where, problems)


def _check_dimensions(root: dict[str, Any], sets: Any, where: str, problems: list[str]) -> set[str]:
    if not isinstance(sets, list) or not all(isinstance(one, list) for one in sets):
        problems.append(f"{where}.Dimensions must be a list of dimension sets (lists)")
        return set()
    names: set[str] = set()
    for one in sets:
        if len(one) > MAX_DIMENSIONS_PER_SET:
            problems.append(f"{where}: a dimension set of {len(one)} dimensions (at most 30)")
        for name in one:
            names.add(str(name))
            if not (isinstance(name, str) and name.strip() and len(name) <= MAX_DIMENSION_NAME):
                problems.append(f"{where}: dimension name {name!r} is empty or too long")
            elif not name.isascii() or name.startswith(":"):
                problems.append(f"{where}: dimension name {name!r} must be ASCII and not start with ':'")
            value = root.get(name) if isinstance(name, str) else None
            if not isinstance(value, str):
                problems.append(f"{where}: dimension {name!r} has no string value at the root ({value!r})")
            elif not (value.strip() and len(value) <= MAX_DIMENSION_VALUE and value.isascii()):
                problems.append(f"{where}: dimension {name!r} value must be 1-1024 ASCII characters")
    return names


def _check_metric(
    root: dict[str, Any], metric: Any, dimensions: set[str], where: str, problems: list[str]
) -> None:
    if (
        not isinstance(metric, dict)
        or "Name" not in metric
        or not set(metric) <= {"Name", "Unit", "StorageResolution"}
    ):
        problems.append(
            f"{where}: metric definition {metric!r} must have Name, and only Unit, StorageResolution"
        )
        return
    name = metric["Name"]
    if not (isinstance(name, str) and name.strip() and len(name) <= MAX_METRIC_NAME):
        problems.append(f"{where}: metric name {name!r} is empty or too long")
        return
    if name in dimensions:
        problems.append(f"{where}: {name!r} is both a dimension and a metric")
    if "Unit" in metric and metric["Unit"] not in UNITS:
        problems.append(f"{where}: metric {name!r} has unit {metric['Unit']!r}, not a CloudWatch unit")
    if "StorageResolution" in metric and metric["StorageResolution"] not in (1, 60):
        problems.append(f"{where}: metric {name!r} StorageResolution must be 1 or 60")
    value = root.get(name)
    values = value if isinstance(value, list) else [value]
    if not values or len(values) > MAX_VALUES_PER_METRIC or not all(map(_is_number, values)):
        problems.append(
            f"{where}: metric {name!r} has no number (or list of 1-100 numbers) at the root: {value!r}"
        )


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
