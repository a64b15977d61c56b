"""Bytecode for the archive, compiled by the target Python version.

Lambda's task root is read-only, so a module without bytecode is compiled again
on every cold start. Each `__pycache__/*.cpython-3XY.pyc` is written with
unchecked-hash invalidation (the importer trusts it without comparing source
timestamps, which unzipping changes anyway) and names its source as
`/var/task/...`, where Lambda unpacks the archive, so the bytes do not depend on
the build directory.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from . import BuildError
from .target import Interpreter

TASK_ROOT = "/var/task"

# Runs inside the target Python. One process, sorted order and a fixed hash seed:
# marshal's output depends on set ordering and on what the process already holds.
_COMPILE_SCRIPT = """
import importlib.util, json, py_compile, sys
from pathlib import Path
root, prefix = Path(sys.argv[1]), sys.argv[2]
compiled, skipped = 0, []
for path in sorted(root.rglob("*.py")):
    relative = path.relative_to(root).as_posix()
    if ".dist-info/" in relative:
        continue
    try:
        py_compile.compile(
            str(path),
            cfile=importlib.util.cache_from_source(str(path)),
            dfile=prefix + "/" + relative,
            doraise=True,
            invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH,
        )
        compiled += 1
    except py_compile.PyCompileError as error:
        skipped.append([relative, str(error.exc_value).splitlines()[0]])
print(json.dumps({"compiled": compiled, "skipped": skipped}))
"""


@dataclass(frozen=True)
class CompileResult:
    compiled: int
    # (relative path, reason) of sources the target Python cannot compile.
    skipped: list[tuple[str, str]]


def compile_tree(root: Path, python: Interpreter) -> CompileResult:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONHASHSEED": "0", "LC_ALL": "C.UTF-8"}
    with tempfile.TemporaryDirectory() as empty_cwd:
        # -S: no site-packages or .pth hooks of that installation; the cwd keeps the
        # archive's modules from shadowing the standard library the script imports.
        done = subprocess.run(
            [python.path, "-S", "-s", "-c", _COMPILE_SCRIPT, str(root), TASK_ROOT],
            cwd=empty_cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
    if done.returncode != 0:
        raise BuildError(f"Compiling bytecode with {python.path} failed:\n{done.stderr.strip()}")
    report = json.loads(done.stdout.strip().splitlines()[-1])
    return CompileResult(report["compiled"], [(path, reason) for path, reason in report["skipped"]])
