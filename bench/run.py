"""`make bench` / `python -m bench`: build, unpack, measure, print the table, write the docs."""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

from tools.build_zip import shown_path, step
from tools.lambda_zip.target import Runtime, find_python

from . import archive, cold, published, report, warm
from .upstream import Upstream

PROJECT = Path(__file__).resolve().parent.parent
DEFAULT_DOCUMENT = PROJECT / "docs" / "benchmarks.md"
CHART_NAME = "benchmarks.png"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="make bench", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--python-version", default="3.13", help="the Lambda runtime to measure (default 3.13)"
    )
    parser.add_argument(
        "--target-python",
        default=os.environ.get("TARGET_PYTHON") or None,
        help="that CPython X.Y (default: found in pyenv, PATH or uv, as make zip does)",
    )
    parser.add_argument("--rounds", type=int, default=20, help="fresh processes per cold-start line")
    parser.add_argument("--calls", type=int, default=1000, help="timed warm calls")
    parser.add_argument("--warmup", type=int, default=100, help="warm-up calls before timing")
    parser.add_argument("--reuse-calls", type=int, default=100, help="sequential calls for connection reuse")
    parser.add_argument("--document", type=Path, default=DEFAULT_DOCUMENT, help="markdown file to update")
    parser.add_argument("--no-write", action="store_true", help="print the table only")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    runtime = Runtime.parse(args.python_version, "x86_64")
    python = find_python(runtime.python_version, args.target_python)
    if python is None:
        print(
            f"make bench: skipped: no Python {runtime.python_version} here, and the benchmarks measure "
            f"the archive as that runtime loads it. Install it (pyenv install {runtime.python_version}) "
            "or point TARGET_PYTHON at one.",
            file=sys.stderr,
        )
        return 0
    with tempfile.TemporaryDirectory(prefix="bench-") as scratch:
        work = Path(scratch)
        step(f"Building the archive (make zip) for {runtime.describe()}")
        built = archive.build(work / "default", runtime, precompile=True, target_python=python.path)
        bare = archive.build(work / "bare", runtime, precompile=False, target_python=python.path)
        step("Building it again with smtp, slack and postgres listed in connectors.txt (bench/published.py)")
        listed_file = published.write(work / "published")
        listed = archive.build(
            work / "listed", runtime, precompile=True, target_python=python.path, connectors_file=listed_file
        )
        task_root = archive.unpack(built, work / "task")
        roots = (
            archive.unpack(listed, work / "listed-task"),
            archive.without_manifest(listed, work / "live-task"),
        )
        results = measure(args, python.path, task_root, roots, built, bare)
    print()
    print(report.terminal_table(results))
    if not args.no_write:
        chart = _chart(results, args.document.parent / CHART_NAME)
        report.write_markdown(args.document, report.markdown_section(results, chart))
        print(
            f"\nwrote {shown_path(args.document)}"
            + (f" and {shown_path(args.document.parent / chart)}" if chart else "")
        )
    return 0


def measure(
    args: argparse.Namespace, python: str, task_root: Path, listed: tuple[Path, Path], built: Path, bare: Path
) -> report.Results:
    with Upstream() as upstream:
        step(f"Cold start: {args.rounds} rounds of fresh processes")
        chosen = cold.cases(task_root, upstream.url) + cold.published_cases(*listed, upstream.url)
        cold_results = cold.measure(python, chosen, args.rounds)
        step("Import times (-X importtime)")
        profiles = [
            cold.profile_imports(python, task_root, upstream.url, "commands"),
            cold.profile_imports(python, task_root, upstream.url, "do"),
        ]
        step(f"Warm: {args.calls} calls after {args.warmup} warm-up calls")
        warm_results = warm.measure(python, task_root, upstream.url, args.calls, args.warmup)
    step(f"Typeahead: {args.calls} warm lookups of the built-in cities after {args.warmup}, and peak memory")
    typeahead = warm.typeahead(python, task_root, args.calls, args.warmup)
    step(f"Connection reuse: {args.reuse_calls} sequential calls")
    connections = warm.connections_for(python, task_root, args.reuse_calls)
    return report.Results(
        machine=_machine(python),
        cold=cold_results,
        profiles=profiles,
        warm=warm_results,
        typeahead=typeahead,
        reuse_calls=args.reuse_calls,
        connections=connections,
        archive=archive.measure(built),
        archive_without_bytecode=archive.measure(bare),
    )


def _chart(results: report.Results, path: Path) -> str | None:
    if not report.chart_available():
        print("note: no chart: matplotlib is not installed (pip install -r requirements-bench.txt)")
        return None
    report.write_chart(results, path)
    return path.name


def _machine(python: str) -> report.Machine:
    version = subprocess.run(
        [python, "-I", "-c", "import platform; print(platform.python_version())"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout.strip()
    return report.Machine(
        cpu=_cpu_name(),
        cores=os.cpu_count() or 1,
        system=f"{platform.system()} {platform.release()}",
        python=version,
        date=datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d"),
        commit=_commit(),
    )


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _commit() -> str:
    done = subprocess.run(
        ["git", "describe", "--always", "--dirty"], cwd=PROJECT, capture_output=True, text=True, check=False
    )
    return f"`{done.stdout.strip()}`" if done.returncode == 0 else "an unknown commit"
