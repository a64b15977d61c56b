"""What `make deploy` will do: the build, then the SAM or AWS CLI commands, as a `Plan`."""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from tools.lambda_zip.target import Runtime

PROJECT = Path(__file__).resolve().parent.parent.parent
TEMPLATE = PROJECT / "template.yaml"
SAM_TEMPLATE = PROJECT / "build" / "sam" / "template.yaml"
SAM_CONFIG = PROJECT / "samconfig.toml"
DEFAULT_STACK = "spiff-connector-proxy"
VERSION_PLACEHOLDER = "<version published above>"

SAM_MISSING = (
    "The AWS SAM CLI (sam) is not installed or not on PATH. `make tools` installs the tested "
    "version into .venv-tools/, which make deploy then uses; or install it yourself "
    "(https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/install-sam-cli.html), "
    "or deploy to an existing function with the AWS CLI: make deploy FUNCTION=<name>. "
    "Without either, upload {zip} in the Lambda console (docs/deploy.md)."
)
AWS_MISSING = (
    "The AWS CLI (aws) is not installed or not on PATH. `make tools` installs it into .venv-tools/, "
    "or install it yourself (https://docs.aws.amazon.com/cli/latest/userguide/getting-started-install.html), "
    "or upload {zip} in the Lambda console: Code -> Upload from -> .zip file (docs/deploy.md)."
)


class DeployError(Exception):
    """A failure whose message tells the user what to do; `args[1]` is a failed command's exit status."""


@dataclass
class Plan:
    """The commands `make deploy` runs, in order."""

    runtime: Runtime
    archive: Path
    build: list[str]
    function: str = ""
    alias: str = ""
    stack: str = ""
    # "1": guided, "0": not, "": guided on the first run when there is a terminal to answer.
    guided: str = ""
    # SAM's --parameter-overrides for this run (they replace samconfig.toml's).
    parameters: str = ""
    tools_bin: Path | None = None

    @property
    def uses_sam(self) -> bool:
        return not self.function

    @property
    def cli(self) -> str:
        return "sam" if self.uses_sam else "aws"

    def is_guided(self, first_run: bool) -> bool:
        if not self.guided.strip():
            return first_run and sys.stdin.isatty()
        return is_on(self.guided)

    def sam_deploy(self, guided: bool) -> list[str]:
        command = ["sam", "deploy", "--template-file", str(SAM_TEMPLATE), "--config-file", str(SAM_CONFIG)]
        # An unchanged build gives the same zip: that is success, not SAM's default "no changes" error.
        command.append("--no-fail-on-empty-changeset")
        if guided:
            command.append("--guided")
        if self.stack:
            command += ["--stack-name", self.stack]
        if self.parameters:
            command += ["--parameter-overrides", self.parameters]
        return command

    def stack_outputs(self, stack: str, region: str | None) -> list[str]:
        command = ["sam", "list", "stack-outputs", "--stack-name", stack, "--output", "json"]
        return command + (["--region", region] if region else [])

    def environment(self) -> dict[str, str]:
        """The environment the CLIs run in: tools_bin first on PATH when it exists."""
        env = dict(os.environ)
        # botocore, so SAM, reads the region from AWS_DEFAULT_REGION only; AWS_REGION means the same.
        if env.get("AWS_REGION") and not env.get("AWS_DEFAULT_REGION"):
            env["AWS_DEFAULT_REGION"] = env["AWS_REGION"]
        if self.tools_bin is not None and self.tools_bin.is_dir():
            env["PATH"] = os.pathsep.join([str(self.tools_bin), env.get("PATH", "")])
        return env

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
    function = args.function.strip()
    if function and (args.guided.strip() or args.parameters.strip()):
        raise DeployError("GUIDED and PARAMETERS go with the SAM deploy, not with FUNCTION=<name>.")
    return Plan(
        runtime=runtime,
        archive=PROJECT / "dist" / runtime.archive_name,
        build=build,
        function=function,
        alias=args.alias.strip(),
        stack=args.stack.strip(),
        guided=args.guided,
        parameters=args.parameters.strip(),
        tools_bin=Path(args.tools_bin).resolve() if args.tools_bin.strip() else None,
    )


def shown(path: Path) -> str:
    """A path as the user should read it: relative to the project when it is inside."""
    return str(path.relative_to(PROJECT)) if path.is_relative_to(PROJECT) else str(path)


def is_on(flag: str) -> bool:
    """A make variable meant as yes (1, true, yes, on)."""
    return flag.strip().lower() in ("1", "true", "yes", "on")
