"""`make deploy`'s command line: its variables become a `Plan`, run or shown (DRY_RUN=1)."""

from __future__ import annotations

import argparse
import shlex
import shutil
import sys

from tools.lambda_zip import BuildError
from tools.sam import config as samconfig
from tools.sam.template import TEMPLATE_DEFAULTS

from . import __doc__ as overview
from .plan import (
    DEFAULT_STACK,
    SAM_CONFIG,
    SAM_TEMPLATE,
    VERSION_PLACEHOLDER,
    DeployError,
    Plan,
    is_on,
    plan_from,
    shown,
)
from .run import run


def dry_run(plan: Plan) -> None:
    lines = ["# make deploy, dry run: the commands it would run", shlex.join(plan.build)]
    if plan.uses_sam:
        first_run = not SAM_CONFIG.exists()
        guided = plan.is_guided(first_run)
        if first_run:
            lines.append(
                f"# write {shown(SAM_CONFIG)} (stack {plan.stack or DEFAULT_STACK}, SAM's managed bucket, "
                "CAPABILITY_IAM); later runs reuse it"
            )
        lines.append(
            f"# write {shown(SAM_TEMPLATE)}: template.yaml with Runtime {plan.runtime.name}, "
            f"Architectures [{plan.runtime.arch}], CodeUri {plan.archive}"
            + ("; guided, so without its NoEcho parameters" if guided else "")
        )
        lines.append(shlex.join(plan.sam_deploy(guided)))
        stack = plan.stack or samconfig.setting(SAM_CONFIG, "stack_name") or DEFAULT_STACK
        lines.append(shlex.join(plan.stack_outputs(stack, samconfig.setting(SAM_CONFIG, "region"))))
        lines.append("# prints the SpiffArena settings from those outputs")
    else:
        lines.append(shlex.join(plan.configuration_check()))
        lines.append(f"# stops unless that prints: {plan.runtime.name} {plan.runtime.arch}")
        lines.append(shlex.join(plan.update_code()))
        version = VERSION_PLACEHOLDER if plan.alias else ""
        lines.append(shlex.join(plan.wait(version)))
        if plan.alias:
            lines.append(shlex.join(plan.move_alias(version)))
    print("\n".join(lines))
    if shutil.which(plan.cli, path=plan.environment()["PATH"]) is None:
        print(f"# note: {plan.cli} is not on PATH here", file=sys.stderr)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="make deploy", description=(overview or "").splitlines()[0])
    parser.add_argument("--python-version", default=TEMPLATE_DEFAULTS.python_version)
    parser.add_argument("--arch", default=TEMPLATE_DEFAULTS.arch)
    parser.add_argument("--bundle-boto3", default="0")
    parser.add_argument("--precompile", default="1")
    parser.add_argument("--function", default="", help="an existing function to update (AWS CLI)")
    parser.add_argument("--alias", default="", help="with --function: publish and move this alias")
    parser.add_argument("--stack", default="", help="the CloudFormation stack name (SAM)")
    parser.add_argument("--guided", default="", help="1: guided sam deploy; 0: not; empty: on the first run")
    parser.add_argument("--parameters", default="", help="sam deploy --parameter-overrides for this run")
    parser.add_argument("--tools-bin", default="", help="a directory whose sam and aws are preferred")
    parser.add_argument("--dry-run", default="0", help="1 prints the commands instead of running them")
    parser.add_argument("--python", default=sys.executable, help="the Python that runs the build")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        plan = plan_from(args)
        if is_on(args.dry_run):
            dry_run(plan)
        else:
            run(plan)
    except (DeployError, BuildError) as error:
        print(f"make deploy: {error.args[0]}", file=sys.stderr)
        return 2
    return 0
