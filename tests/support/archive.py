"""The built archive in tests: `make zip` into a temporary directory, and the archive run as Lambda runs it.

`build` runs the real build; `lambda_like` imports an unpacked archive with the
target Python in isolated mode, only the task root (and any `paths` given) on
sys.path, and answers events with `lambda_function.lambda_handler`.
`github_unreachable` is an environment in which git cannot reach GitHub.
"""

from __future__ import annotations

import base64
import json
import os
import re
import socket
import subprocess
import sys
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tools.lambda_zip.target import Interpreter, Runtime
from tools.local import context as local_context

from .paths import PROJECT_ROOT

TARGET = Runtime.parse("3.13", "x86_64")
ARM = Runtime.parse("3.13", "arm64")


@dataclass
class Built:
    archive: Path
    stdout: str
    stderr: str

    def names(self) -> list[str]:
        with zipfile.ZipFile(self.archive) as opened:
            return opened.namelist()

    def summary(self, label: str) -> str:
        match = re.search(rf"^  {re.escape(label)}\s+(.*)$", self.stdout, re.MULTILINE)
        assert match, f"no {label!r} line in the summary:\n{self.stdout}"
        return match.group(1)

    def unpack(self, root: Path) -> Path:
        """The archive extracted into `root`, as Lambda's /var/task."""
        with zipfile.ZipFile(self.archive) as opened:
            opened.extractall(root)
        return root


def run_build(
    workdir: Path, *options: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "tools.build_zip",
            "--dist-dir",
            str(workdir / "dist"),
            "--build-dir",
            str(workdir / "build"),
            *options,
        ],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )


def build(
    workdir: Path, *options: str, runtime: Runtime = TARGET, env: dict[str, str] | None = None
) -> Built:
    done = run_build(
        workdir, "--python-version", runtime.python_version, "--arch", runtime.arch, *options, env=env
    )
    assert done.returncode == 0, f"make zip failed:\n{done.stdout}\n{done.stderr}"
    return Built(workdir / "dist" / runtime.archive_name, done.stdout, done.stderr)


def built_once(tmp_path_factory: pytest.TempPathFactory, name: str, *options: str) -> Built:
    """One build per test run, whatever the number of pytest-xdist workers: the first worker to ask
    builds, the others wait for it and read the same archive (tests only read it or unpack it)."""
    import fcntl

    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    folder = shared / f"built-{name}"
    with open(shared / f"built-{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        record = folder / "built.json"
        if record.exists():
            found = json.loads(record.read_text())
            return Built(Path(found["archive"]), found["stdout"], found["stderr"])
        made = build(folder, *options)
        record.write_text(
            json.dumps({"archive": str(made.archive), "stdout": made.stdout, "stderr": made.stderr})
        )
        return made


def require(python: Interpreter | None) -> Interpreter:
    if python is None:
        pytest.skip(
            f"Python {TARGET.python_version} (the archive's target) is not installed here; "
            f"install it (pyenv install {TARGET.python_version}) or set TARGET_PYTHON"
        )
    return python


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def github_unreachable() -> dict[str, str]:
    """The environment, with every git URL of github.com sent to a closed loopback port: a
    stand-in for CI and corporate networks, so that no test can fetch from GitHub."""
    env = dict(os.environ)
    count = int(env.get("GIT_CONFIG_COUNT", "0"))
    env.update(
        {
            "GIT_CONFIG_COUNT": str(count + 1),
            f"GIT_CONFIG_KEY_{count}": f"url.http://127.0.0.1:{closed_port()}/.insteadOf",
            f"GIT_CONFIG_VALUE_{count}": "https://github.com/",
        }
    )
    return env


# Runs in the target Python: imports the archive like Lambda and answers the events on stdin.
_LAMBDA_LIKE = """
import json, sys, sysconfig
task_root, extra = sys.argv[1], sys.argv[3:]
sys.path[:0] = [task_root, *extra]
import lambda_function
exec(sys.argv[2])  # the project's one stand-in for Lambda's context: LocalContext
answers = [lambda_function.lambda_handler(event, LocalContext(20.0)) for event in json.load(sys.stdin)]
allowed = (task_root, *extra, sysconfig.get_paths()["stdlib"], sysconfig.get_paths()["platstdlib"])
files = sorted({m.__file__ for m in list(sys.modules.values()) if getattr(m, "__file__", None)})
print(json.dumps({"answers": answers, "files": files, "modules": sorted(sys.modules),
                  "outside": [f for f in files if not f.startswith(allowed)]}))
"""


def lambda_like(
    python: Interpreter,
    root: Path,
    events: list[dict[str, Any]],
    env: Mapping[str, str] | None = None,
    paths: tuple[Path, ...] = (),
) -> dict[str, Any]:
    """Answers of one execution environment to `events`, the modules it loaded, its stderr.

    `env` adds to the function's environment; `paths` go on sys.path after the task root
    (connector packages a test brings along)."""
    before = sorted(p.relative_to(root).as_posix() for p in root.rglob("*"))
    environment = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LC_ALL": "C.UTF-8",
        "HTTP_CONNECTOR_ALLOWED_HOSTS": "127.0.0.1",
        **(env or {}),
    }
    done = subprocess.run(
        [
            python.path,
            "-I",
            "-S",
            "-B",
            "-c",
            _LAMBDA_LIKE,
            str(root),
            local_context.loading_source(),
            *map(str, paths),
        ],
        input=json.dumps(events),
        env=environment,
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    # Lambda's task root is read-only: nothing may be written next to the code.
    assert sorted(p.relative_to(root).as_posix() for p in root.rglob("*")) == before
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    result["stderr"] = done.stderr
    return result


def body_of(answer: dict[str, Any]) -> Any:
    body = answer["body"]
    return json.loads(base64.b64decode(body) if answer["isBase64Encoded"] else body)
