"""`python -m tools.results [list | redeliver RUN_ID|all | drop RUN_ID]` on a results file or a stack."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from spiff_lambda_proxy.background.keeper import Keeper, KeeperError
from spiff_lambda_proxy.background.stored import WAITING, StoredResult

from .engines import EngineError, open_engine

_COLUMNS = (
    ("run_id", "run id"),
    ("state", "state"),
    ("age", "age"),
    ("attempts", "attempts"),
    ("last_answer", "SpiffArena's last answer"),
    ("next", "next attempt"),
    ("process_instance", "process instance"),
    ("task", "task"),
    ("command", "command"),
)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        keeper = open_engine(
            file=args.file, stack=args.stack, table=args.table, queue=args.queue, region=args.region
        )
        if args.action == "list":
            return _list(keeper, args.json)
        if args.action == "redeliver":
            return _redeliver(keeper, args.run_id)
        return _drop(keeper, args.run_id)
    except (EngineError, KeeperError) as error:
        print(f"make results: {error}", file=sys.stderr)
        return 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m tools.results", description=__doc__)
    where = parser.add_argument_group("where results wait (default: make serve's file)")
    where.add_argument("--file", type=Path, help="a results file of make serve (RESULTS_FILE=)")
    where.add_argument("--stack", help="a stack deployed from template.yaml: its table and queue (STACK=)")
    where.add_argument("--table", help="the DynamoDB table (CONNECTOR_PROXY_RESULTS_TABLE), with --queue")
    where.add_argument("--queue", help="the SQS queue URL (CONNECTOR_PROXY_RESULTS_QUEUE_URL), with --table")
    where.add_argument("--region", help="the stack's region (else AWS_REGION or the profile's)")
    parser.add_argument("--json", action="store_true", help="list as JSON lines")
    actions = parser.add_subparsers(dest="action")
    actions.add_parser("list", help="the results that wait (the default)")
    redeliver = actions.add_parser("redeliver", help="deliver a result now, or all of them")
    redeliver.add_argument("run_id", help="a run id, or all")
    drop = actions.add_parser("drop", help="forget a result: it is never delivered")
    drop.add_argument("run_id")
    parser.set_defaults(action="list")
    return parser


def _list(keeper: Keeper, as_json: bool) -> int:
    now = time.time()
    results = sorted(keeper.results(), key=lambda result: result.created_at)
    if as_json:
        for result in results:
            print(json.dumps(result.listing(now)))
        return 0
    if not results:
        print(f"No results wait in {keeper.where}: SpiffArena took every one.")
        return 0
    rows = [_row(result, now) for result in results]
    widths = [
        max(len(title), *(len(row[index]) for row in rows)) for index, (_, title) in enumerate(_COLUMNS)
    ]
    print(f"{len(results)} result(s) in {keeper.where}:")
    print("  ".join(title.ljust(width) for (_, title), width in zip(_COLUMNS, widths, strict=True)).rstrip())
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
    held = sum(result.state != WAITING for result in results)
    if held:
        print(
            f"{held} no longer retried: fix what their last answer says (the callback key, the URL), then "
            "make results REDELIVER=<run id> (or all); make results DROP=<run id> forgets one."
        )
    return 0


def _row(result: StoredResult, now: float) -> list[str]:
    shown: dict[str, Any] = result.listing(now)
    shown["age"] = _duration(shown["age_seconds"])
    waits = shown["next_attempt_in_seconds"]
    shown["next"] = "-" if waits is None else ("due" if waits <= 0 else f"in {_duration(waits)}")
    shown["last_answer"] = shown["last_answer"] or "-"
    return ["-" if shown.get(key) is None else _printable(str(shown[key])) for key, _ in _COLUMNS]


def _printable(text: str) -> str:
    """A cell as it may reach a terminal: SpiffArena's answers come from a server, and an escape
    sequence or a newline in one must not rewrite the screen or forge a row."""
    return "".join(char if char.isprintable() else ascii(char)[1:-1] for char in text)


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    return f"{seconds / 3600:.1f} h"


def _redeliver(keeper: Keeper, run_id: str) -> int:
    now = time.time()
    ids = [result.run_id for result in keeper.results()] if run_id == "all" else [run_id]
    if not ids:
        print(f"No results wait in {keeper.where}.")
        return 0
    missing = [one for one in ids if not keeper.redeliver_now(one, now)]
    for one in missing:
        print(f"make results: no result {one} in {keeper.where}", file=sys.stderr)
    sent = len(ids) - len(missing)
    if sent:
        print(
            f"{sent} result(s) due now in {keeper.where}; {_who_delivers(keeper)} delivers them within "
            "seconds."
        )
    return 1 if missing else 0


def _drop(keeper: Keeper, run_id: str) -> int:
    if not any(result.run_id == run_id for result in keeper.results()):
        print(f"make results: no result {run_id} in {keeper.where}", file=sys.stderr)
        return 1
    keeper.remove(run_id)
    print(f"Dropped {run_id} from {keeper.where}: it will never be delivered.")
    return 0


def _who_delivers(keeper: Keeper) -> str:
    return "the function" if keeper.where.startswith("DynamoDB") else "a running make serve"


if __name__ == "__main__":
    sys.exit(main())
