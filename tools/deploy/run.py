"""Carrying out a `Plan`: the build, then `sam deploy` or the AWS CLI's update of a function."""

from __future__ import annotations

import base64
import hashlib
import shlex
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from tools.sam import config as samconfig
from tools.sam import outputs
from tools.sam.template import TemplateError, deploy_copy

from .plan import (
    AWS_MISSING,
    DEFAULT_STACK,
    PROJECT,
    SAM_CONFIG,
    SAM_MISSING,
    SAM_TEMPLATE,
    TEMPLATE,
    DeployError,
    Plan,
    shown,
)

SAM_FAILED = (
    "sam deploy failed (exit status {status}); its messages above say why. A stack that failed to "
    "update is rolled back by CloudFormation. Usual causes: no AWS credentials or region (aws configure, "
    "AWS_PROFILE, AWS_REGION), or a parameter that template.yaml's rules refuse (the message names it; "
    "fix it in samconfig.toml's parameter_overrides, or run make deploy GUIDED=1)."
)
GUIDED_NOTE = (
    "make deploy: guided. Enter keeps each default: a public URL whose API key is generated into "
    "Secrets Manager. The plain-text key parameters (ApiKey, SpiffArenaCallbackApiKey) are not asked; "
    "docs/deploy.md says how to set them."
)


def run(plan: Plan) -> None:
    env = plan.environment()
    if shutil.which(plan.cli, path=env["PATH"]) is None:
        message = SAM_MISSING if plan.uses_sam else AWS_MISSING
        raise DeployError(message.format(zip=shown(plan.archive)))
    _run(plan.build, env)
    if plan.uses_sam:
        deploy_with_sam(plan, env)
    else:
        update_function(plan, env)


def deploy_with_sam(plan: Plan, env: dict[str, str]) -> None:
    first_run = samconfig.ensure(SAM_CONFIG, plan.stack or DEFAULT_STACK)
    if first_run:
        print(f"make deploy: wrote {shown(SAM_CONFIG)}; SAM reads it now and on every later run", flush=True)
    guided = plan.is_guided(first_run)
    try:
        text = deploy_copy(TEMPLATE.read_text(), plan.runtime, plan.archive, guided=guided)
    except TemplateError as error:
        raise DeployError(str(error)) from None
    SAM_TEMPLATE.parent.mkdir(parents=True, exist_ok=True)
    SAM_TEMPLATE.write_text(text)
    if guided:
        print(GUIDED_NOTE, flush=True)
    try:
        _run(plan.sam_deploy(guided), env)
    except DeployError as error:
        raise DeployError(SAM_FAILED.format(status=error.args[1])) from None
    show_next_steps(plan, env)


def show_next_steps(plan: Plan, env: dict[str, str], config: Path = SAM_CONFIG) -> None:
    """The stack's outputs as what to set in SpiffArena, and its warnings."""
    # A guided run may have saved another stack name or region than the file had before.
    stack = plan.stack or samconfig.setting(config, "stack_name") or DEFAULT_STACK
    listing = _output(plan.stack_outputs(stack, samconfig.setting(config, "region")), env)
    try:
        steps = outputs.next_steps(outputs.parse(listing), stack)
    except outputs.OutputsError as error:
        raise DeployError(str(error)) from None
    print("\n" + "\n".join(steps.lines), flush=True)
    for warning in steps.warnings:
        print(f"make deploy: WARNING: {warning}", file=sys.stderr)


def update_function(plan: Plan, env: dict[str, str]) -> None:
    found = _output(plan.configuration_check(), env).split()
    if found != [plan.runtime.name, plan.runtime.arch]:
        raise DeployError(
            f"{plan.function} runs {' on '.join(found) or 'something unknown'}, but the zip is built for "
            f"{plan.runtime.name} on {plan.runtime.arch}. Build for the function "
            f"(make deploy FUNCTION={plan.function} PYTHON_VERSION=<x.y> ARCH=<arch>), or change its "
            "runtime settings first."
        )
    version, _, code_sha256 = _output(plan.update_code(), env).partition("\t")
    expected = base64.b64encode(hashlib.sha256(plan.archive.read_bytes()).digest()).decode()
    if code_sha256.strip() != expected:
        raise DeployError(
            f"Lambda reports CodeSha256 {code_sha256.strip()}, but {plan.archive} has {expected}."
        )
    _run(plan.wait(version.strip()), env)
    if plan.alias:
        _run(plan.move_alias(version.strip()), env)
        print(f"{plan.function}: alias {plan.alias} serves version {version.strip()} (CodeSha256 {expected})")
    else:
        print(f"{plan.function}: $LATEST updated (CodeSha256 {expected})")


def _run(command: Sequence[str], env: dict[str, str]) -> None:
    print(f"+ {shlex.join(command)}", flush=True)
    result = subprocess.run(_resolved(command, env), cwd=PROJECT, check=False, env=env)
    if result.returncode != 0:
        raise DeployError(f"{command[0]} failed with exit status {result.returncode}.", result.returncode)


def _output(command: Sequence[str], env: dict[str, str]) -> str:
    print(f"+ {shlex.join(command)}", flush=True)
    result = subprocess.run(
        _resolved(command, env), cwd=PROJECT, check=False, capture_output=True, text=True, env=env
    )
    if result.returncode != 0:
        sys.stderr.write(result.stderr)
        raise DeployError(f"{command[0]} failed with exit status {result.returncode}.", result.returncode)
    return result.stdout.strip()


def _resolved(command: Sequence[str], env: dict[str, str]) -> list[str]:
    """The command with its program looked up on the environment's PATH (TOOLS_BIN first)."""
    program = shutil.which(command[0], path=env.get("PATH"))
    return [program or command[0], *command[1:]]
