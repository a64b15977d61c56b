"""`make serve` keeps what SpiffArena could not take and delivers it once SpiffArena is back.

Over real HTTP, with the stand-in of SpiffArena's callback route (support.spiffarena) taken
down for longer than the callback attempts last, the server stopped and started again in
between, and the command's runs counted: the result arrives once, the command ran once. The
settings are the product's own, test-sized (attempts, backoff), so nothing sleeps through a
real backoff.
"""

from __future__ import annotations

import os
import stat
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from support.local_server import Served, local_env, request, serving
from support.sample_connectors import CONNECTOR_PROBE
from support.spiffarena import SpiffArena, Stored, Task

from spiff_lambda_proxy.background.stored import HELD, WAITING, StoredResult
from spiff_lambda_proxy.registry import Registry
from tools.local import server as local
from tools.local.results_file import FileKeeper
from tools.results.__main__ import main as results_main

TASK_DATA = {"order": 42}


def quick_settings(spiffarena: SpiffArena) -> dict[str, str]:
    """A developer's make serve next to a local SpiffArena, with test-sized retries."""
    return {
        **spiffarena.local_settings(),
        "CONNECTOR_PROXY_CALLBACK_ATTEMPTS": "2",
        "CONNECTOR_PROXY_CALLBACK_BACKOFF_SECONDS": "0.01",
        "CONNECTOR_PROXY_REDELIVERY_BACKOFF_SECONDS": "0.2",
        "CONNECTOR_PROXY_REDELIVERY_MAX_BACKOFF_SECONDS": "0.5",
    }


def start_background(url: str, spiffarena: SpiffArena, runs: Path) -> Task:
    task = spiffarena.service_task("probe/Count")
    params = {"path": str(runs), "spiff__proxy_background": True}
    answer = request(url, "POST", "/v1/do/probe/Count", spiffarena.request_body(task, params, TASK_DATA))
    assert answer.status == 202, answer
    return task


def wait_for(check: Callable[[], Any], seconds: float = 20) -> Any:
    """`check()`'s first truthy value, polled; fails (not hangs) when none comes in time."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError(f"nothing within {seconds} s")


def kept(results: FileKeeper, state: str = WAITING) -> list[StoredResult]:
    return [result for result in results.results() if result.state == state]


def test_a_result_survives_an_outage_and_a_restart_and_arrives_once(
    extra_connectors: Callable[[dict[str, str]], Registry],
    spiffarena: SpiffArena,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    extra_connectors(CONNECTOR_PROBE)
    for name, value in quick_settings(spiffarena).items():
        monkeypatch.setenv(name, value)
    results_path = tmp_path / "state" / "results.sqlite3"
    runs = tmp_path / "runs.txt"
    spiffarena.go_down()
    # Long enough for several redeliveries, all refused: the outage outlasts every schedule step.
    monkeypatch.setenv("CONNECTOR_PROXY_REDELIVERY_MAX_BACKOFF_SECONDS", "0.3")
    for url in serving(local.make_server("127.0.0.1", 0, results=FileKeeper(results_path))):
        task = start_background(url, spiffarena, runs)
        [waiting] = wait_for(lambda: [r for r in kept(FileKeeper(results_path)) if r.rounds >= 3])
    assert waiting.last_outcome == "unreachable" and "ConnectionRefusedError" in (waiting.last_answer or "")
    assert waiting.process_instance_id == task.instance and waiting.spiff_task_id == task.guid
    # Only its owner may read it: it holds what the command returned.
    assert stat.S_IMODE(os.stat(results_path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(results_path.parent).st_mode) == 0o700
    for companion in results_path.parent.glob("results.sqlite3-*"):
        assert stat.S_IMODE(os.stat(companion).st_mode) == 0o600, companion

    spiffarena.come_back()  # while no server runs: the next one delivers what the last one kept
    for _ in serving(local.make_server("127.0.0.1", 0, results=FileKeeper(results_path))):
        outcome = spiffarena.wait(task)
        wait_for(lambda: not FileKeeper(results_path).results())
    assert isinstance(outcome, Stored)
    assert outcome.value["body"]["runs"] == 1 and outcome.value["body"]["task_data"] == TASK_DATA
    assert runs.read_text().count("ran") == 1  # the command never ran again
    delivered = [put for put in spiffarena.puts if put.status == 200]
    assert len(delivered) == 1


def test_an_operator_lists_redelivers_and_drops_with_make_results(
    extra_connectors: Callable[[dict[str, str]], Registry],
    spiffarena: SpiffArena,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    extra_connectors(CONNECTOR_PROBE)
    for name, value in quick_settings(spiffarena).items():
        monkeypatch.setenv(name, value)
    results_path = tmp_path / "results.sqlite3"
    # A wrong key: SpiffArena answers 401, and the result is held for an operator, not retried.
    monkeypatch.setenv("SPIFFARENA_CALLBACK_API_KEY", "an-old-key-4711")
    for url in serving(local.make_server("127.0.0.1", 0, results=FileKeeper(results_path))):
        first = start_background(url, spiffarena, tmp_path / "first.txt")
        second = start_background(url, spiffarena, tmp_path / "second.txt")
        held = wait_for(
            lambda: len(kept(FileKeeper(results_path), HELD)) == 2 and kept(FileKeeper(results_path), HELD)
        )
    assert {result.last_outcome for result in held} == {"bad_key"}
    puts_while_held = len(spiffarena.puts)

    assert results_main(["--file", str(results_path)]) == 0
    listing = capsys.readouterr().out
    by_task = {result.spiff_task_id: result.run_id for result in held}
    for task in (first, second):
        assert by_task[task.guid] in listing and task.guid in listing
    assert "held" in listing and "HTTP 401" in listing and "probe/Count" in listing
    assert '"order"' not in listing and "an-old-key" not in listing  # never a body, never a key

    assert results_main(["--file", str(results_path), "drop", by_task[second.guid]]) == 0
    monkeypatch.setenv("SPIFFARENA_CALLBACK_API_KEY", spiffarena.api_key)  # the operator fixed the key
    assert results_main(["--file", str(results_path), "redeliver", "all"]) == 0
    assert "1 result(s) due now" in capsys.readouterr().out
    for _ in serving(local.make_server("127.0.0.1", 0, results=FileKeeper(results_path))):
        assert isinstance(spiffarena.wait(first), Stored)
        wait_for(lambda: not FileKeeper(results_path).results())
    assert second.state == "waiting" and len(spiffarena.puts) == puts_while_held + 1  # dropped: never sent
    assert results_main(["--file", str(results_path), "drop", by_task[second.guid]]) == 1


def test_make_serve_stopped_during_an_outage_delivers_after_its_restart(
    tmp_path: Path, spiffarena: SpiffArena
) -> None:
    for relative, source in CONNECTOR_PROBE.items():
        path = tmp_path / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(source))
    results_file = tmp_path / "kept" / "results.sqlite3"
    env = local_env(quick_settings(spiffarena), python_path=tmp_path)
    venv = Path(sys.executable).parent.parent
    command = [
        "make",
        "-s",
        "-o",
        f"{venv}/.installed",
        "serve",
        f"VENV_PY={sys.executable}",
        "PORT=0",
        f"RESULTS_FILE={results_file}",
    ]
    spiffarena.go_down()
    served = Served(command, env)
    try:
        task = start_background(served.url(), spiffarena, tmp_path / "runs.txt")
        served.wait_for("kept in the file")
    finally:
        output = served.stop()  # Ctrl-C
    assert "result NOT delivered" in output and "kept in the file" in output

    spiffarena.come_back()
    served = Served(command, env)
    try:
        served.url()
        assert isinstance(spiffarena.wait(task), Stored)
        served.wait_for("delivered from the file")
    finally:
        served.stop()
    assert (tmp_path / "runs.txt").read_text().count("ran") == 1


def test_the_listing_shows_what_a_callback_server_answered_without_its_control_characters(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    results = FileKeeper(tmp_path / "results.sqlite3")
    hostile = "HTTP 503 \x1b[2J\x1b[31mall good\nrun-id  delivered\u2028"
    results.keep(
        StoredResult("run-1", "probe/Count", "http://127.0.0.1:9/cb", b"{}", time.time(), last_answer=hostile)
    )
    assert results_main(["--file", str(results.path)]) == 0
    listing = capsys.readouterr().out
    assert "\x1b" not in listing and "\u2028" not in listing
    assert len(listing.strip().splitlines()) == 3  # the heading, the titles, one row
    assert "\\x1b[2J" in listing and "\\n" in listing
