"""The archive of the project as it is (built once per test run) and the target Python."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from support.archive import TARGET, Built, built_once

from tools.lambda_zip.target import Interpreter, find_python


@pytest.fixture(scope="session")
def target_python() -> Interpreter | None:
    return find_python(TARGET.python_version, os.environ.get("TARGET_PYTHON") or None)


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    return built_once(tmp_path_factory, "project")


@pytest.fixture
def task_root(built: Built, tmp_path: Path) -> Path:
    """The archive unpacked into an empty directory, as Lambda's /var/task."""
    return built.unpack(tmp_path / "task")
