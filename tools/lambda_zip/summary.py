"""What the built archive is: sizes against Lambda's limits, its biggest parts, its commands.

The commands are listed by the archive itself: it is unpacked into an empty
directory and imported by the target Python with only that directory on
sys.path, the way Lambda loads /var/task, and asked for `/v1/commands`.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from spiff_lambda_proxy.typeahead import bundle as typeahead_bundle

from ..local import context as local_context
from . import BuildError
from .installed import Distribution
from .plan import SDK_MODULE, SDK_NAME
from .substitutions import SUBSTITUTIONS
from .vendor import Vendored

MB = 1024 * 1024
# Lambda's limits for a function deployed from a .zip file.
DIRECT_UPLOAD_LIMIT = 50 * MB
UNPACKED_LIMIT = 250 * MB

# Runs inside the target Python with the unpacked archive as argv[1]; prints one JSON line.
_COMMANDS_SCRIPT = """
import json, sys, traceback
sys.path.insert(0, sys.argv[1])
exec(sys.argv[2])  # the project's one stand-in for Lambda's context: LocalContext
event = {
    "version": "2.0", "routeKey": "$default", "rawPath": "/v1/commands", "rawQueryString": "",
    "headers": {"accept": "application/json"}, "isBase64Encoded": False,
    "requestContext": {"http": {"method": "GET", "path": "/v1/commands"}, "stage": "$default",
                       "requestId": "make-zip-check", "domainName": "check.lambda-url.local"},
}
try:
    import lambda_function
    from spiff_lambda_proxy.registry import Registry, registry
    answer = lambda_function.lambda_handler(event, LocalContext())
    ids = [c["id"] for c in json.loads(answer["body"])] if answer["statusCode"] == 200 else []
    served = registry()
    live = Registry.discover() if served.source == "manifest" else served
    report = {"status": answer["statusCode"], "ids": ids,
              "failures": [f.summary() for f in live.failures],
              "from_manifest": served.source == "manifest",
              "same_as_live": (served.commands_json, served.auths_json, served.manifest())
                              == (live.commands_json, live.auths_json, live.manifest())}
except BaseException:
    report = {"error": traceback.format_exc()}
print()
print(json.dumps(report))
"""


@dataclass
class CommandListing:
    checked_with: str
    ids: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    error: str | None = None
    # Whether the archive answered from its manifest, and exactly as live discovery there does.
    from_manifest: bool = False
    same_as_live: bool = False


def list_commands(archive: Path, python: str, timeout: float = 180) -> CommandListing:
    """Unpack `archive` into an empty directory and ask it for `/v1/commands` with `python`."""
    with tempfile.TemporaryDirectory(prefix="task-root-") as task_root:
        with zipfile.ZipFile(archive) as opened:
            opened.extractall(task_root)
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "LC_ALL": "C.UTF-8",
            "LAMBDA_TASK_ROOT": task_root,
            "AWS_LAMBDA_FUNCTION_NAME": "spiff-connector-proxy",
            "AWS_REGION": "us-east-1",
        }
        # -I: no user site, no PYTHON* variables, no cwd on sys.path; -S: none of that
        # installation's site-packages; -B: the task root is read-only on Lambda.
        done = subprocess.run(
            [python, "-I", "-S", "-B", "-c", _COMMANDS_SCRIPT, task_root, local_context.loading_source()],
            cwd=task_root,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    listing = CommandListing(checked_with=python)
    lines = done.stdout.strip().splitlines()
    try:
        report = json.loads(lines[-1])
    except (IndexError, ValueError):
        listing.error = (done.stderr or done.stdout).strip()[-3000:] or f"exit status {done.returncode}"
        return listing
    if "error" in report:
        listing.error = report["error"]
    elif report["status"] != 200:
        listing.error = f"/v1/commands answered {report['status']}"
    else:
        listing.ids = report["ids"]
    listing.failures = report.get("failures", [])
    listing.from_manifest = bool(report.get("from_manifest"))
    listing.same_as_live = bool(report.get("same_as_live"))
    return listing


@dataclass(frozen=True)
class Sizes:
    zipped: int
    unpacked: int
    # (what, unpacked bytes), largest first.
    parts: list[tuple[str, int]]


def measure(archive: Path, distributions: list[Distribution], connector_entries: list[str]) -> Sizes:
    owners = {top: f"{d.name} {d.version}" for d in distributions for top in d.top_level}
    for entry in connector_entries:
        owners[entry] = f"{PurePosixPath(entry).stem} (connectors/)"
    owners[typeahead_bundle.FOLDER] = "typeahead lists"
    parts: dict[str, int] = {}
    with zipfile.ZipFile(archive) as opened:
        infos = opened.infolist()
    for info in infos:
        if info.is_dir():
            continue
        owner = owners.get(_top_level(info.filename), "this project")
        parts[owner] = parts.get(owner, 0) + info.file_size
    return Sizes(
        zipped=archive.stat().st_size,
        unpacked=sum(info.file_size for info in infos),
        parts=sorted(parts.items(), key=lambda item: (-item[1], item[0])),
    )


def _top_level(name: str) -> str:
    parts = name.split("/")
    if parts[0] == "__pycache__" and len(parts) == 2:
        # Bytecode of a top-level module: charge it to that module.
        return parts[1].split(".", 1)[0] + ".py"
    return parts[0]


def check_limits(sizes: Sizes, archive: Path) -> None:
    if sizes.unpacked > UNPACKED_LIMIT:
        raise BuildError(
            f"{archive} unpacks to {megabytes(sizes.unpacked)}, more than Lambda's "
            f"{megabytes(UNPACKED_LIMIT)} limit for a function and its layers: Lambda will refuse it. "
            "Remove connectors you do not use (connectors.txt), build without BUNDLE_BOTO3, or "
            "without bytecode (PRECOMPILE=0)."
        )
    if sizes.zipped > DIRECT_UPLOAD_LIMIT:
        raise BuildError(
            f"{archive} is {megabytes(sizes.zipped)}, more than the {megabytes(DIRECT_UPLOAD_LIMIT)} "
            "Lambda accepts as a direct upload. It is still valid through S3 (upload it to a bucket "
            "and deploy with --s3-bucket/--s3-key); or make it smaller by removing connectors you "
            "do not use or BUNDLE_BOTO3."
        )


def megabytes(size: int) -> str:
    return f"{size / MB:.1f} MB"


def percent(size: int, limit: int) -> str:
    return f"{100 * size / limit:.0f}%"


def connector_rows(vendored: Vendored) -> list[tuple[str, str]]:
    """What the build's rules did with connectors.txt (README, "Extra connectors")."""
    plan = vendored.plan
    why = "; ".join(plan.sdk_wanted_by)
    if plan.sdk == "ours":
        sdk = f"{vendored.version_of(SDK_NAME)}, ours (sdk/; connectors.txt lists none): {why}"
    elif plan.sdk == "yours":
        sdk = f"{vendored.version_of(SDK_NAME)}, yours (listed in connectors.txt, so ours is not used)"
        sdk += f": {why}" if why else ""
    else:
        sdk = f"none (no connector declares or imports {SDK_MODULE})"
    rows = [("SDK", sdk)]
    for name, who in sorted(plan.substituted.items()):
        substitution = SUBSTITUTIONS[name]
        replacement = vendored.version_of(substitution.replacement)
        rows.append(("substituted", f"{name} -> {replacement} ({substitution.reason}): {'; '.join(who)}"))
    replacements = {substitution.replacement for substitution in SUBSTITUTIONS.values()}
    for name, who in sorted(plan.added.items()):
        if name not in replacements:  # those are said as substitutions
            rows.append(("added", f"{vendored.version_of(name)}: {'; '.join(who)}"))
    for wheel in vendored.from_sdist:
        rows.append(("from sdist", f"{wheel.name} {wheel.version} (pure Python, built here from its sdist)"))
    if plan.by_name:
        rows.append(("URL deps", "; ".join(plan.by_name)))
    return rows
