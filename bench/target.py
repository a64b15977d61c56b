"""Running the target Python the way Lambda runs the archive.

Isolated (`-I`: no user site, no PYTHON* variables, no script directory on
the path), without writing bytecode (`-B`: Lambda's /var/task is read-only),
with only the unpacked archive and the standard library on `sys.path`.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tools.local import context as local_context

# Prepended to every snippet: the archive first, the interpreter's site-packages gone.
PATH_SETUP = "import sys\nsys.path[:] = [{root!r}] + [p for p in sys.path if 'site-packages' not in p]\n"

# The project's one stand-in for Lambda's context object, loaded from its file: that imports
# nothing, so the cold start measured is the archive's own.
CONTEXT_SETUP = local_context.loading_source() + "Context = LocalContext\n"


def lambda_env() -> dict[str, str]:
    """The variables a Lambda process has that matter here, and nothing of this shell's."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LC_ALL": "C.UTF-8",
        "AWS_REGION": "us-east-1",
        "AWS_LAMBDA_FUNCTION_NAME": "spiff-connector-proxy",
        # The upstream is on loopback, which the http connector refuses by default.
        "HTTP_CONNECTOR_ALLOWED_HOSTS": "127.0.0.1",
    }


def run(
    python: str,
    task_root: Path,
    code: str,
    *,
    flags: tuple[str, ...] = (),
    stdin: str | None = None,
    timeout: float = 120,
) -> subprocess.CompletedProcess[str]:
    """Run `code` in a fresh target interpreter; raises with its output if it fails."""
    env = lambda_env()
    env["LAMBDA_TASK_ROOT"] = str(task_root)
    done = subprocess.run(
        [python, "-I", "-B", *flags, "-c", code],
        cwd=task_root,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"the benchmark process failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return done
