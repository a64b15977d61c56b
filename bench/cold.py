"""Cold start: fresh interpreters, from process start to exit, against the `import json` floor.

Each round runs every case once in a fresh process (in shuffled order, so no
case always follows another); the result per case is the median over rounds.
Cases that answer a request also report how long that first request took
inside the process, which splits the time into start-up + init and request.
"""

from __future__ import annotations

import random
import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import target
from .events import commands_event, do_event, typeahead_event

_ANSWER = """
{context}
from time import perf_counter
event = {event!r}
started = perf_counter()
answer = lambda_function.lambda_handler(event, Context())
took = perf_counter() - started
if answer["statusCode"] != 200 or ({check_error} and '"error":null' not in answer["body"]):
    sys.exit("unexpected answer: " + repr(answer)[:2000])
print(took * 1000)
"""


@dataclass(frozen=True)
class Case:
    name: str
    label: str
    code: str
    task_root: Path


@dataclass
class CaseResult:
    case: Case
    wall_ms: list[float] = field(default_factory=list)
    # Time inside the first lambda_handler call, for cases that make one.
    request_ms: list[float] = field(default_factory=list)

    @property
    def median_ms(self) -> float:
        return statistics.median(self.wall_ms)

    @property
    def request_median_ms(self) -> float | None:
        return statistics.median(self.request_ms) if self.request_ms else None


@dataclass
class ColdResults:
    rounds: int
    cases: dict[str, CaseResult]

    @property
    def floor_ms(self) -> float:
        return self.cases["floor"].median_ms

    def ratio(self, name: str) -> float:
        return self.cases[name].median_ms / self.floor_ms


def _answering(
    task_root: Path, event: dict[str, Any], *, preload: str = "", check_error: bool = False
) -> str:
    setup = target.PATH_SETUP.format(root=str(task_root))
    answer = _ANSWER.format(context=target.CONTEXT_SETUP, event=event, check_error=check_error)
    return setup + "import lambda_function\n" + preload + answer


def cases(task_root: Path, upstream_url: str) -> list[Case]:
    setup = target.PATH_SETUP.format(root=str(task_root))
    do = do_event(upstream_url)
    return [
        Case("floor", "`import json` (the floor)", "import json", task_root),
        Case(
            "import",
            "import `lambda_function` (init: discovery included)",
            setup + "import lambda_function",
            task_root,
        ),
        Case(
            "commands",
            "to the first answered `/v1/commands`",
            _answering(task_root, commands_event()),
            task_root,
        ),
        Case(
            "do",
            "to the first answered `/v1/do/http/GetRequestV2`",
            _answering(task_root, do, check_error=True),
            task_root,
        ),
        Case(
            "do_preloaded",
            "the same, `requests` imported during init instead",
            _answering(task_root, do, preload="import connector_http.fetch\n", check_error=True),
            task_root,
        ),
        Case("requests", "`import requests` alone (from the archive)", setup + "import requests", task_root),
        Case(
            "typeahead",
            "to the first answered `/v1/typeahead/cities?prefix=san&limit=100`",
            _answering(task_root, typeahead_event("san")),
            task_root,
        ),
    ]


def published_cases(listed: Path, without_manifest: Path, upstream_url: str) -> list[Case]:
    """The same first requests with smtp, slack and postgres listed (bench.published): from the
    archive's manifest, and from the same archive without it (live discovery, as before manifests)."""
    do = do_event(upstream_url)
    return [
        Case(
            "listed_commands",
            "to the first `/v1/commands`, smtp, slack and postgres listed",
            _answering(listed, commands_event()),
            listed,
        ),
        Case(
            "listed_do",
            "to the first `/v1/do/http/GetRequestV2`, smtp, slack and postgres listed",
            _answering(listed, do, check_error=True),
            listed,
        ),
        Case(
            "live_commands",
            "the same `/v1/commands` without the manifest (every connector imported)",
            _answering(without_manifest, commands_event()),
            without_manifest,
        ),
        Case(
            "live_do",
            "the same `/v1/do/http/GetRequestV2` without the manifest",
            _answering(without_manifest, do, check_error=True),
            without_manifest,
        ),
    ]


def measure(python: str, chosen: list[Case], rounds: int, warmup: int = 2) -> ColdResults:
    results = {case.name: CaseResult(case) for case in chosen}
    shuffler = random.Random(8)
    for round_number in range(warmup + rounds):
        order = list(chosen)
        shuffler.shuffle(order)
        for case in order:
            started = time.perf_counter()
            done = target.run(python, case.task_root, case.code)
            wall = (time.perf_counter() - started) * 1000
            if round_number < warmup:
                continue  # file-system caches and CPU frequency settle first
            results[case.name].wall_ms.append(wall)
            if done.stdout.strip():
                results[case.name].request_ms.append(float(done.stdout.strip().splitlines()[-1]))
    return ColdResults(rounds, results)


@dataclass(frozen=True)
class ImportEntry:
    name: str
    self_ms: float
    cumulative_ms: float


@dataclass
class ImportProfile:
    label: str
    runs: int
    entries: list[ImportEntry]

    def top_self(self, count: int) -> list[ImportEntry]:
        return sorted(self.entries, key=lambda e: -e.self_ms)[:count]

    def by_package(self, count: int) -> list[tuple[str, float]]:
        """Self time summed by top-level package (`email.parser` counts for `email`)."""
        totals: dict[str, float] = {}
        for entry in self.entries:
            top = entry.name.split(".")[0]
            totals[top] = totals.get(top, 0.0) + entry.self_ms
        return sorted(totals.items(), key=lambda item: -item[1])[:count]


def profile_imports(
    python: str, task_root: Path, upstream_url: str, name: str, runs: int = 5
) -> ImportProfile:
    """`-X importtime` of one case, the median of each module's times over `runs` processes."""
    case = next(c for c in cases(task_root, upstream_url) if c.name == name)
    samples: dict[str, list[tuple[float, float]]] = {}
    for _ in range(runs):
        done = target.run(python, task_root, case.code, flags=("-X", "importtime"))
        for line in done.stderr.splitlines():
            if not line.startswith("import time:") or "self [us]" in line:
                continue
            self_us, cumulative_us, module = line.removeprefix("import time:").split("|")
            samples.setdefault(module.strip(), []).append((float(self_us), float(cumulative_us)))
    entries = [
        ImportEntry(
            module,
            statistics.median(s for s, _ in values) / 1000,
            statistics.median(c for _, c in values) / 1000,
        )
        for module, values in samples.items()
    ]
    return ImportProfile(case.label, runs, entries)
