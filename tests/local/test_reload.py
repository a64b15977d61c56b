"""`make serve` reloads when a connector changes, keeps its port, and lets the old code finish its runs."""

from __future__ import annotations

import os
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.local_server import Served, local_env, request
from support.spiffarena import SpiffArena, Stored

COMMAND = """
    import time


    class Version:
        def __init__(self, wait: float = 0):
            self.wait = wait

        def execute(self, config, task_data):
            time.sleep(self.wait)
            return {{"response": {{"version": {version}}}, "status": 200}}
"""


def write_connector(root: Path, version: int, name: str = "connector_live") -> None:
    commands = root / name / "commands"
    if not commands.exists():
        commands.mkdir(parents=True)
        (root / name / "__init__.py").write_text("")
        (commands / "__init__.py").write_text("")
    path = commands / "version.py"
    before = path.stat().st_mtime_ns if path.exists() else 0
    path.write_text(textwrap.dedent(COMMAND.format(version=version)))
    if path.stat().st_mtime_ns <= before:  # a coarse file system clock must still show a change
        os.utime(path, ns=(before + 10**9, before + 10**9))


@pytest.fixture
def served(tmp_path: Path, spiffarena: SpiffArena) -> Iterator[Served]:
    write_connector(tmp_path, 1)
    env = local_env(spiffarena.local_settings(), python_path=tmp_path)
    server = Served.module("--timeout", "30", env=env)
    yield server
    server.stop()


def version(url: str) -> object:
    return request(url, "POST", "/v1/do/live/Version", {}).json


def test_an_edited_connector_is_reloaded_on_the_same_port(served: Served, tmp_path: Path) -> None:
    url = served.url()
    assert "reloads when code or connectors change" in served.wait_for("RELOAD=0")
    assert version(url) == {"version": 1}
    write_connector(tmp_path, 2)
    assert "connector_live/commands/version.py changed" in served.wait_for("Reloading:")
    served.wait_for("Reloaded after a change to")
    assert version(url) == {"version": 2}


def test_a_new_connector_package_is_picked_up(served: Served, tmp_path: Path) -> None:
    url = served.url()
    write_connector(tmp_path, 3, name="connector_added")
    assert "connector_added" in served.wait_for("Reloading:")
    served.wait_for("Reloaded after a change to")
    assert request(url, "POST", "/v1/do/added/Version", {}).json == {"version": 3}


def test_a_background_run_under_way_finishes_on_the_old_code(
    served: Served, tmp_path: Path, spiffarena: SpiffArena
) -> None:
    url = served.url()
    task = spiffarena.service_task("live/Version")
    body = spiffarena.request_body(task, {"wait": 1.5, "spiff__proxy_background": True}, {})
    assert request(url, "POST", "/v1/do/live/Version", body).status == 202
    started = time.monotonic()
    write_connector(tmp_path, 2)
    served.wait_for("Reloaded after a change to")
    assert version(url) == {"version": 2}  # new requests reach the new code at once
    assert time.monotonic() - started < 1.5  # while the old run is still under way
    assert spiffarena.wait(task, timeout=20) == Stored({"version": 1})
