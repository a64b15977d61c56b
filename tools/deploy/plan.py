"""`make deploy`: build the Lambda zip, then put it on AWS.

Two ways, by what exists already:

- `make deploy` deploys `template.yaml` with the AWS SAM CLI (`sam deploy --guided`
  the first time, answers saved in samconfig.toml; plain `sam deploy` after
  that). The template is deployed through a copy in build/sam/ whose runtime,
  architecture and CodeUri match the zip just built, so they can never disagree.
- `make deploy FUNCTION=name` replaces the code of an existing function with the
  AWS CLI (`update-function-code`), after checking that the function's runtime and
  architecture are the ones the zip was built for. `ALIAS=live` also publishes a
  version and moves that alias to it (functions created by template.yaml serve
  their URL through the alias `live`).

`DRY_RUN=1` prints the commands, one per line, without running any of them.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import shlex
import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tools.lambda_zip import BuildError
from tools.lambda_zip.target import Runtime

PROJECT = Path(__file__).resolve().parent.parent
TEMPLATE = PROJECT / "template.yaml"
SAM_TEMPLATE = PROJECT / "build" / "sam" / "template.yaml"
SAM_CONFIG = PROJECT / "samconfig.toml"
DEFAULT_STACK = "spiff-connector-proxy"
# What template.yaml says, for `make zip`'s default build; replaced together for other builds.
TEMPLATE_DEFAULTS = Runtime("3.13", "x86_64")
VERSION_PLACEHOLDER = "<version published above>"

SAM_MISSING = (
    "The AWS SAM CLI (sam) is not installed or not on PATH. Install it "
    "(https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/install-sam-cli.html), "
    "or deploy to an existing function with the AWS CLI: make deploy FUNCTION=<name>. "
    "Without either, upload {zip} in the Lambda console (docs/deploy.md)."
)
AWS_MISSING = (
    "The AWS CLI (aws) is not installed or not on PATH. Install it "
    "(https://docs.aws.amazon.com/cli/latest/userguide/getting-started-install.html), "
    "or upload {zip} in the Lambda console: Code -> Upload from -> .zip file (docs/deploy.md)."
)


class DeployError(Exception):
    pass


@dataclass
class Plan:
    """The commands `make deploy` runs, in order; `note`s explain them in a dry run."""

    runtime: Runtime
    archive: Path
    build: list[str]
    function: str = ""
    alias: str = ""
    stack: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def uses_sam(self) -> bool:
        return not self.function

    @property
    def cli(self) -> str:
        return "sam" if self.uses_sam else "aws"

    def sam_deploy(self, guided: bool) -> list[str]:
        command = ["sam", "deploy", "--template-file", str(SAM_TEMPLATE), "--config-file", str(SAM_CONFIG)]
        if guided:
            command.append("--guided")
        if self.stack or guided:
            command += ["--stack-name", self.stack or DEFAULT_STACK]
        return command

    def configuration_check(self) -> list[str]:
        return [
            *("aws", "lambda", "get-function-configuration", "--function-name", self.function),
            *("--query", "[Runtime, Architectures[0]]", "--output", "text"),
        ]

    def update_code(self) -> list[str]:
        command = ["aws", "lambda", "update-function-code", "--function-name", self.function]
        command += ["--zip-file", f"fileb://{self.archive}"]
        if self.alias:
            command.append("--publish")
        return [*command, "--query", "[Version, CodeSha256]", "--output", "text"]

    def wait(self, version: str) -> list[str]:
        if self.alias:
            # A published version may still be "Pending" (SnapStart takes its snapshot then).
            return [
                *("aws", "lambda", "wait", "published-version-active", "--function-name", self.function),
                *("--qualifier", version),
            ]
        return ["aws", "lambda", "wait", "function-updated", "--function-name", self.function]

    def move_alias(self, version: str) -> list[str]:
        return [
            *("aws", "lambda", "update-alias", "--function-name", self.function, "--name", self.alias),
            *("--function-version", version),
        ]


def plan_from(args: argparse.Namespace) -> Plan:
    runtime = Runtime.parse(args.python_version, args.arch)
    build = [
        args.python,
        "-m",
        "tools.build_zip",
        "--python-version",
        runtime.python_version,
        "--arch",
        runtime.arch,
        "--bundle-boto3",
        args.bundle_boto3,
        "--precompile",
        args.precompile,
    ]
    if args.alias and not args.function:
        raise DeployError("ALIAS only goes with FUNCTION: make deploy FUNCTION=<name> ALIAS=<alias>.")
    return Plan(
        runtime=runtime,
        archive=PROJECT / "dist" / runtime.archive_name,
        build=build,
        function=args.function.strip(),
        alias=args.alias.strip(),
        stack=args.stack.strip(),
    )


def sam_template_text(runtime: Runtime, archive: Path) -> str:
    """template.yaml with runtime, architecture and code set to this build."""
    text = TEMPLATE.read_text()
    replacements = {
        f"CodeUri: dist/{TEMPLATE_DEFAULTS.archive_name}": f"CodeUri: {archive}",
        f"Runtime: {TEMPLATE_DEFAULTS.name}": f"Runtime: {runtime.name}",
        f"Architectures: [{TEMPLATE_DEFAULTS.arch}]": f"Architectures: [{runtime.arch}]",
    }
    for old, new in replacements.items():
        if text.count(old) != 1:
            raise DeployError(
                f"template.yaml no longer has exactly one line '{old}'; update tools/deploy.py."
            )
        text = text.replace(old, new)
    return text


def dry_run(plan: Plan) -> None:
    lines = ["# make deploy, dry run: the commands it would run", shlex.join(plan.build)]
    if plan.uses_sam:
        guided = not SAM_CONFIG.exists()
        lines.append(
            f"# write {_shown(SAM_TEMPLATE)}: template.yaml with Runtime {plan.runtime.name}, "
            f"Architectures [{plan.runtime.arch}], CodeUri {plan.archive}"
        )
        if guided:
            lines.append("# no samconfig.toml yet: guided, answers are saved for the next time")
        lines.append(shlex.join(plan.sam_deploy(guided)))
    else:
        lines.append(shlex.join(plan.configuration_check()))
        lines.append(f"# stops unless that prints: {plan.runtime.name} {plan.runtime.arch}")
        lines.append(shlex.join(plan.update_code()))
        version = VERSION_PLACEHOLDER if plan.alias else ""
        lines.append(shlex.join(plan.wait(version)))
        if plan.alias:
            lines.append(shlex.join(plan.move_alias(version)))
    print("\n".join(lines))
    if shutil.which(plan.cli) is None:
        print(f"# note: {plan.cli} is not on PATH here", file=sys.stderr)


def run(plan: Plan) -> None:
    if shutil.which(plan.cli) is None:
        message = SAM_MISSING if plan.uses_sam else AWS_MISSING
        raise DeployError(message.format(zip=_shown(plan.archive)))
    _run(plan.build)
    if plan.uses_sam:
        SAM_TEMPLATE.parent.mkdir(parents=True, exist_ok=True)
        SAM_TEMPLATE.write_text(sam_template_text(plan.runtime, plan.archive))
        _run(plan.sam_deploy(guided=not SAM_CONFIG.exists()))
        return
    found = _output(plan.configuration_check()).split()
    if found != [plan.runtime.name, plan.runtime.arch]:
        raise DeployError(
            f"{plan.function} runs {' on '.join(found) or 'something unknown'}, but the zip is built for "
            f"{plan.runtime.name} on {plan.runtime.arch}. Build for the function "
            f"(make deploy FUNCTION={plan.function} PYTHON_VERSION=<x.y> ARCH=<arch>), or change its "
            "runtime settings first."
        )
    version, _, code_sha256 = _output(plan.update_code()).partition("\t")
    expected = base64.b64encode(hashlib.sha256(plan.archive.read_bytes()).digest()).decode()
    if code_sha256.strip() != expected:
        raise DeployError(
            f"Lambda reports CodeSha256 {code_sha256.strip()}, but {plan.archive} has {expected}."
        )
    _run(plan.wait(version.strip()))
    if plan.alias:
        _run(plan.move_alias(version.strip()))
        print(f"{plan.function}: alias {plan.alias} serves version {version.strip()} (CodeSha256 {expected})")
    else:
        print(f"{plan.function}: $LATEST updated (CodeSha256 {expected})")


def _shown(path: Path) -> str:
    return str(path.relative_to(PROJECT)) if path.is_relative_to(PROJECT) else str(path)


def _run(command: Sequence[str]) -> None:
    print(f"+ {shlex.join(command)}", flush=True)
    result = subprocess.run(command, cwd=PROJECT, check=False)
    if result.returncode != 0:
        raise DeployError(f"{command[0]} failed with exit status {result.returncode}.")


def _output(command: Sequence[str]) -> str:
    print(f"+ {shlex.join(command)}", flush=True)
    result = subprocess.run(command, cwd=PROJECT, check=False, capture_output=True, text=True)
    if result.returncode != 0:
        sys.stderr.write(result.stderr)
        raise DeployError(f"{command[0]} failed with exit status {result.returncode}.")
    return result.stdout.strip()


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="make deploy", description=__doc__.splitlines()[0] if __doc__ else ""
    )
    parser.add_argument("--python-version", default=TEMPLATE_DEFAULTS.python_version)
    parser.add_argument("--arch", default=TEMPLATE_DEFAULTS.arch)
    parser.add_argument("--bundle-boto3", default="0")
    parser.add_argument("--precompile", default="1")
    parser.add_argument("--function", default="", help="an existing function to update (AWS CLI)")
    parser.add_argument("--alias", default="", help="with --function: publish and move this alias")
    parser.add_argument("--stack", default="", help="the CloudFormation stack name (SAM)")
    parser.add_argument("--dry-run", default="0", help="1 prints the commands instead of running them")
    parser.add_argument("--python", default=sys.executable, help="the Python that runs the build")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        plan = plan_from(args)
        if args.dry_run.strip().lower() in ("1", "true", "yes", "on"):
            dry_run(plan)
        else:
            run(plan)
    except (DeployError, BuildError) as error:
        print(f"make deploy: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
