"""Warm overhead and connection reuse: many calls in one process (see warm_child.py)."""

from __future__ import annotations

import json
import statistics
from dataclasses import dataclass
from pathlib import Path

from . import target
from .events import TYPED, commands_event, do_event, typeahead_event
from .upstream import Upstream

_CHILD = Path(__file__).with_name("warm_child.py")


@dataclass(frozen=True)
class Spread:
    median_ms: float
    p99_ms: float

    @classmethod
    def of(cls, microseconds: list[float]) -> Spread:
        percentiles = statistics.quantiles(microseconds, n=100, method="inclusive")
        return cls(statistics.median(microseconds) / 1000, percentiles[98] / 1000)


@dataclass(frozen=True)
class WarmResults:
    calls: int
    warmup: int
    commands: Spread
    do: Spread
    upstream: Spread
    log_lines: int

    @property
    def do_overhead_ms(self) -> float:
        """The proxy's (and the http connector's) own time in a GetRequestV2 call."""
        return self.do.median_ms - self.upstream.median_ms

    @property
    def do_overhead_p99_ms(self) -> float:
        return self.do.p99_ms - self.upstream.p99_ms


def _request(mode: str, task_root: Path, upstream_url: str, calls: int, warmup: int) -> str:
    return json.dumps(
        {
            "mode": mode,
            "task_root": str(task_root),
            "context_setup": target.CONTEXT_SETUP,
            "upstream_url": upstream_url,
            "calls": calls,
            "warmup": warmup,
            "commands_event": commands_event(),
            "do_event": do_event(upstream_url),
            "typeahead_events": [typeahead_event(prefix) for prefix in TYPED],
            "large_events": [typeahead_event(letter, 1000) for letter in "abcdefghijklmnopqrstuvwxyz"],
        }
    )


def measure(python: str, task_root: Path, upstream_url: str, calls: int, warmup: int) -> WarmResults:
    request = _request("warm", task_root, upstream_url, calls, warmup)
    done = target.run(python, task_root, _CHILD.read_text(), stdin=request, timeout=600)
    timings = json.loads(done.stdout.strip().splitlines()[-1])
    return WarmResults(
        calls,
        warmup,
        Spread.of(timings["commands"]),
        Spread.of(timings["do"]),
        Spread.of(timings["upstream"]),
        timings["log_lines"],
    )


@dataclass(frozen=True)
class TypeaheadResults:
    calls: int
    warmup: int
    lookup: Spread
    peak_mb: float


def typeahead(python: str, task_root: Path, calls: int, warmup: int) -> TypeaheadResults:
    """Warm lookups of the built-in cities in one fresh process, and that process's peak memory."""
    request = _request("typeahead", task_root, "http://127.0.0.1:9", calls, warmup)
    done = target.run(python, task_root, _CHILD.read_text(), stdin=request, timeout=600)
    timings = json.loads(done.stdout.strip().splitlines()[-1])
    return TypeaheadResults(calls, warmup, Spread.of(timings["typeahead"]), timings["peak_kb"] / 1024)


def connections_for(python: str, task_root: Path, calls: int) -> int:
    """TCP connections a fresh upstream accepts while one process makes `calls` sequential calls."""
    with Upstream() as upstream:
        request = _request("reuse", task_root, upstream.url, calls, 0)
        target.run(python, task_root, _CHILD.read_text(), stdin=request, timeout=300)
        return upstream.connections
