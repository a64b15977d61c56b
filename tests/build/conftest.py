"""The archive the tests of this folder share: built once per session, unpacked per test."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import pytest
from support.archive import TARGET, Built, build

from tools.lambda_zip.target import Interpreter, find_python


@pytest.fixture(scope="session")
def target_python() -> Interpreter | None:
    return find_python(TARGET.python_version, os.environ.get("TARGET_PYTHON") or None)


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    return build(tmp_path_factory.mktemp("zip"))


@pytest.fixture
def task_root(built: Built, tmp_path: Path) -> Path:
    """The archive unpacked into an empty directory, as Lambda's /var/task."""
    root = tmp_path / "task"
    with zipfile.ZipFile(built.archive) as opened:
        opened.extractall(root)
    return root
