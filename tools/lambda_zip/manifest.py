"""The archive's connector manifest: its discovery, run at build time so no cold start has to.

The staged archive is imported by the target Python with only its own directory on sys.path
(`-I -S -B`, as the command listing does), and the proxy's own `Registry.discover` lists what
is there; `spiff_lambda_proxy.manifest` writes it and reads it at run time. One discovery, one
writer, one reader: nothing here knows the rules of PROTOCOL.md.

A manifest is written only when that discovery is exact: with the target Python, and with
every connector loaded. A connector that needs what the Lambda runtime adds (boto3 at import)
cannot load here, so its archive carries none and says why, and discovery runs live there.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from pathlib import Path
from typing import Any, NamedTuple

from spiff_lambda_proxy import manifest as proxy_manifest

from ..local import context as local_context

# Runs inside the target Python with the staged archive as argv[1]; prints one JSON line last.
_DISCOVER_SCRIPT = """
import json, sys
sys.path.insert(0, sys.argv[1])
from spiff_lambda_proxy.registry import Registry
registry = Registry.discover()
print()
print(json.dumps({"index": registry.manifest(), "commands": registry.commands_json.decode(),
                  "auths": registry.auths_json.decode()}))
"""


class Made(NamedTuple):
    build_id: str
    # Why there is no manifest (None: there is one).
    missing_because: str | None


def make(root: Path, python: str | None, timeout: float = 180) -> Made:
    """Discover in `root` with `python` (None: the target Python is missing) and write the manifest."""
    build_id = tree_digest(root)
    reason = None
    if python is None:
        reason = "the archive was built without its target Python, whose discovery it would record"
    else:
        found, reason = _discover(root, python, timeout)
        if found is not None:
            proxy_manifest.write(
                root, found["index"], found["commands"].encode(), found["auths"].encode(), build_id
            )
    if reason is not None:
        proxy_manifest.write_build(root, build_id, no_manifest=reason)
    return Made(build_id, reason)


def _discover(root: Path, python: str, timeout: float) -> tuple[dict[str, Any] | None, str | None]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LC_ALL": "C.UTF-8",
        "LAMBDA_TASK_ROOT": str(root),
        "AWS_LAMBDA_FUNCTION_NAME": local_context.FUNCTION_NAME,
        "AWS_REGION": "us-east-1",
    }
    done = subprocess.run(
        [python, "-I", "-S", "-B", "-c", _DISCOVER_SCRIPT, str(root)],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    try:
        found: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        return None, "its discovery failed when it was built: " + (done.stderr.strip()[-300:] or "no output")
    failures = found["index"]["failures"]
    if failures:
        first = failures[0]
        return None, f"{first['module']} could not be imported when it was built ({first['error_type']})"
    return found, None


def tree_digest(root: Path) -> str:
    """The build id: a digest of every staged file, in a fixed order (the same files, the same id)."""
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root).as_posix()
        if path.is_dir() or "__pycache__" in relative or relative.startswith(_OWN_FILES):
            continue
        digest.update(relative.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:20]


_OWN_FILES = (
    f"spiff_lambda_proxy/{proxy_manifest.DIRECTORY}/",
    f"spiff_lambda_proxy/{proxy_manifest.BUILD_MODULE}",
)
