"""`make deploy`: what it would run (DRY_RUN=1), its checks, and its message when a CLI is missing.

The real SAM CLI and AWS CLI against moto: test_sam_cli.py.
"""

from __future__ import annotations

import base64
import hashlib
import shlex
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from support.paths import PROJECT_ROOT

from tools.deploy import plan as deploy
from tools.deploy.plan import DeployError, Plan
from tools.deploy.run import run
from tools.lambda_zip.target import Runtime

ROOT = PROJECT_ROOT
MAKE = shutil.which("make")
# No aws or sam here, whatever this machine has: the dry run must not need them.
BARE_PATH = "/nonexistent"

pytestmark = pytest.mark.skipif(MAKE is None, reason="make is not installed")


def make_deploy(*variables: str) -> subprocess.CompletedProcess[str]:
    assert MAKE is not None
    # TOOLS_VENV: not the project's .venv-tools, where make test installs sam and aws.
    tools = "TOOLS_VENV=/nonexistent"
    return subprocess.run(
        [MAKE, "-s", "--no-print-directory", "deploy", f"PYTHON={sys.executable}", tools, *variables],
        cwd=ROOT,
        env={"PATH": BARE_PATH, "HOME": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=60,
    )


def commands(output: str) -> list[list[str]]:
    return [shlex.split(line) for line in output.splitlines() if line and not line.startswith("#")]


def _state(path: Path) -> float | None:
    return path.stat().st_mtime if path.exists() else None


def test_dry_run_with_sam_builds_then_deploys_the_template_copy() -> None:
    written_before = _state(deploy.SAM_TEMPLATE), _state(deploy.SAM_CONFIG)
    result = make_deploy("DRY_RUN=1", "STACK=my-proxy", "GUIDED=0", "PARAMETERS=Tracing=Active")
    assert result.returncode == 0, result.stderr
    build, sam, outputs = commands(result.stdout)
    assert build == [
        sys.executable,
        "-m",
        "tools.build_zip",
        "--python-version",
        "3.13",
        "--arch",
        "x86_64",
        "--bundle-boto3",
        "0",
        "--precompile",
        "1",
    ]
    assert sam == [
        "sam", "deploy", "--template-file", str(deploy.SAM_TEMPLATE), "--config-file", str(deploy.SAM_CONFIG),
        "--no-fail-on-empty-changeset", "--stack-name", "my-proxy", "--parameter-overrides", "Tracing=Active",
    ]  # fmt: skip
    assert outputs[:5] == ["sam", "list", "stack-outputs", "--stack-name", "my-proxy"]
    archive = ROOT / "dist" / "spiff-connector-proxy-py3.13-x86_64.zip"
    assert f"CodeUri {archive}" in result.stdout
    assert "sam is not on PATH" in result.stderr
    # A dry run writes nothing: neither the template copy nor samconfig.toml.
    assert (_state(deploy.SAM_TEMPLATE), _state(deploy.SAM_CONFIG)) == written_before


def test_dry_run_guided_leaves_the_plain_text_keys_out() -> None:
    result = make_deploy("DRY_RUN=1", "GUIDED=1")
    assert result.returncode == 0, result.stderr
    _, sam, _ = commands(result.stdout)
    assert "--guided" in sam and "--stack-name" not in sam  # the stack name comes from samconfig.toml
    assert "guided, so without its NoEcho parameters" in result.stdout


def test_dry_run_for_an_existing_function_with_an_alias() -> None:
    result = make_deploy(
        "DRY_RUN=1", "FUNCTION=spiff-proxy", "ALIAS=live", "PYTHON_VERSION=3.12", "ARCH=arm64"
    )
    assert result.returncode == 0, result.stderr
    archive = ROOT / "dist" / Runtime("3.12", "arm64").archive_name
    build, check, update, wait, move = commands(result.stdout)
    assert build[build.index("--python-version") + 1 :][:3] == ["3.12", "--arch", "arm64"]
    assert check == [
        "aws", "lambda", "get-function-configuration", "--function-name", "spiff-proxy",
        "--query", "[Runtime, Architectures[0]]", "--output", "text",
    ]  # fmt: skip
    assert "# stops unless that prints: python3.12 arm64" in result.stdout
    assert update == [
        "aws", "lambda", "update-function-code", "--function-name", "spiff-proxy",
        "--zip-file", f"fileb://{archive}", "--publish",
        "--query", "[Version, CodeSha256]", "--output", "text",
    ]  # fmt: skip
    assert wait[:4] == ["aws", "lambda", "wait", "published-version-active"]
    assert move[:3] == ["aws", "lambda", "update-alias"]
    assert move[-4:] == ["--name", "live", "--function-version", deploy.VERSION_PLACEHOLDER]


def test_dry_run_for_an_existing_function_updates_latest() -> None:
    result = make_deploy("DRY_RUN=1", "FUNCTION=spiff-proxy")
    assert result.returncode == 0, result.stderr
    *_, update, wait = commands(result.stdout)
    assert "--publish" not in update
    assert wait == ["aws", "lambda", "wait", "function-updated", "--function-name", "spiff-proxy"]


@pytest.mark.parametrize(
    ("variables", "expected"),
    [
        (("FUNCTION=spiff-proxy",), "The AWS CLI (aws) is not installed"),
        ((), "The AWS SAM CLI (sam) is not installed"),
        (("ALIAS=live", "DRY_RUN=1"), "ALIAS only goes with FUNCTION"),
        (("FUNCTION=spiff-proxy", "GUIDED=1", "DRY_RUN=1"), "GUIDED and PARAMETERS go with the SAM deploy"),
        (("PYTHON_VERSION=2.7", "DRY_RUN=1"), "PYTHON_VERSION=2.7 is not a Lambda Python runtime"),
    ],
)
def test_refusals_say_what_to_do(variables: tuple[str, ...], expected: str) -> None:
    result = make_deploy(*variables)
    assert result.returncode != 0
    assert expected in result.stderr
    # Nothing was built or run before the refusal.
    assert "Vendoring" not in result.stdout + result.stderr
    if "not installed" in expected:
        assert "docs/deploy.md" in result.stderr


def fake_aws(tmp_path: Path, runtime_answer: str, code_sha256: str) -> Path:
    """An `aws` on PATH that answers like Lambda and records its arguments."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "aws.log"
    script = bin_dir / "aws"
    script.write_text(
        "#!/bin/sh\n"
        f'echo "$*" >> {shlex.quote(str(log))}\n'
        'case "$2" in\n'
        f"  get-function-configuration) printf '{runtime_answer}\\n' ;;\n"
        f"  update-function-code) printf '7\\t{code_sha256}\\n' ;;\n"
        "esac\n"
    )
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return log


@pytest.fixture
def archive(tmp_path: Path) -> Path:
    path = tmp_path / "proxy.zip"
    path.write_bytes(b"PK not really a zip")
    return path


def plan_for(archive: Path, alias: str = "") -> Plan:
    return Plan(Runtime("3.13", "x86_64"), archive, ["true"], function="spiff-proxy", alias=alias)


def sha256_b64(path: Path) -> str:
    return base64.b64encode(hashlib.sha256(path.read_bytes()).digest()).decode()


def _operation(call: str) -> str:
    words = call.split()  # lambda <operation> ... or lambda wait <waiter> ...
    return words[2] if words[1] == "wait" else words[1]


def test_an_update_checks_runtime_then_uploads_waits_and_moves_the_alias(
    tmp_path: Path, archive: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = fake_aws(tmp_path, "python3.13\\tx86_64", sha256_b64(archive))
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}:/usr/bin:/bin")
    run(plan_for(archive, alias="live"))
    calls = log.read_text().splitlines()
    assert [_operation(call) for call in calls] == [
        "get-function-configuration",
        "update-function-code",
        "published-version-active",
        "update-alias",
    ]
    assert calls[2].endswith("--qualifier 7")
    assert calls[3].endswith("--name live --function-version 7")


def test_an_update_refuses_a_function_with_another_runtime(
    tmp_path: Path, archive: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = fake_aws(tmp_path, "python3.12\\tarm64", sha256_b64(archive))
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}:/usr/bin:/bin")
    with pytest.raises(DeployError, match=r"runs python3\.12 on arm64, but the zip is built for"):
        run(plan_for(archive))
    assert [_operation(call) for call in log.read_text().splitlines()] == ["get-function-configuration"]


def test_an_update_notices_that_lambda_got_other_bytes(
    tmp_path: Path, archive: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_aws(tmp_path, "python3.13\\tx86_64", "c29tZXRoaW5nIGVsc2U=")
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}:/usr/bin:/bin")
    with pytest.raises(DeployError, match="CodeSha256"):
        run(plan_for(archive))
