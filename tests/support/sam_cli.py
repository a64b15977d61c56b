"""The real AWS SAM CLI and AWS CLI (installed by `make tools` into .venv-tools/) against moto.

`Project` is a copy of this project as a new user's clone would be (the files git would keep, no
samconfig.toml, no .venv), where `make deploy` and `sam build` run for real. `SamAccount` is moto in
server mode, reached as http://localhost:<port> (moto reads templates SAM uploads only from a
`localhost` URL), with the environment the CLIs need: fake credentials, metadata service off, SAM's
telemetry and its weekly version check (a call to PyPI) off, so nothing leaves loopback.

Two stand-ins, for what moto's CloudFormation cannot do (said where they are used):
- SAM's managed bucket stack is created with `create_stack` from SAM's own template, because moto
  leaves the outputs of a stack created through a change set empty and SAM then refuses the stack;
- moto does not run the SAM transform, so executing our change set fails in moto: the tests check
  everything up to it (the change set's parameters, the template and the artifact it points to).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import urllib.parse
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from support.moto_endpoint import FAKE_CREDENTIALS, REGION, MotoServer
from support.paths import PROJECT_ROOT

TOOLS_BIN = PROJECT_ROOT / ".venv-tools" / "bin"
MANAGED_STACK = "aws-sam-cli-managed-default"
_PRINT_MANAGED_STACK_TEMPLATE = (
    "from samcli.lib.bootstrap.bootstrap import _get_stack_template; print(_get_stack_template())"
)


def tools_missing() -> str | None:
    """Why the real CLIs cannot run here, or None."""
    missing = [name for name in ("sam", "aws", "python") if not (TOOLS_BIN / name).exists()]
    if missing:
        return f"{', '.join(missing)} not in {TOOLS_BIN}: run make tools (make test does)"
    return None


def copy_project(destination: Path) -> Path:
    """The files of this checkout that git would keep (tracked or not ignored), as a fresh clone has."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        check=True,
        timeout=60,
    ).stdout.split(b"\0")
    for name in filter(None, (entry.decode() for entry in listed)):
        source = PROJECT_ROOT / name
        if source.is_file():
            target = destination / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    return destination


@dataclass
class SamAccount:
    server: MotoServer
    home: Path

    @property
    def url(self) -> str:
        return f"http://localhost:{self.server.port}"

    def environment(self) -> dict[str, str]:
        keep = ("PATH", "LANG", "PYENV_ROOT", "TMPDIR", "PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL")
        env = {name: os.environ[name] for name in keep if name in os.environ}
        real_home = Path(os.environ.get("HOME", str(self.home)))
        env.update(
            HOME=str(self.home),
            # pip's cache stays the machine's, so the zip builds as fast as make zip does.
            PIP_CACHE_DIR=os.environ.get("PIP_CACHE_DIR", str(real_home / ".cache" / "pip")),
            # make zip's cache (the typeahead data and its packed lists) stays the machine's too.
            XDG_CACHE_HOME=os.environ.get("XDG_CACHE_HOME", str(real_home / ".cache")),
            AWS_REGION=REGION,
            AWS_DEFAULT_REGION=REGION,
            AWS_ENDPOINT_URL=self.url,
            AWS_EC2_METADATA_DISABLED="true",
            AWS_CONFIG_FILE=os.devnull,
            AWS_SHARED_CREDENTIALS_FILE=os.devnull,
            SAM_CLI_TELEMETRY="0",
            **FAKE_CREDENTIALS,
        )
        return env

    def prepare(self) -> None:
        """A fresh account, with SAM's managed bucket stack already there (see the module's docstring)."""
        self.server.reset()
        metadata = self.home / ".aws-sam" / "metadata.json"
        metadata.parent.mkdir(parents=True, exist_ok=True)
        # SAM checks PyPI for a newer version at most weekly: "checked just now" keeps it off the network.
        metadata.write_text(json.dumps({"lastVersionCheck": time.time(), "telemetryEnabled": False}))
        template = subprocess.run(
            [str(TOOLS_BIN / "python"), "-c", _PRINT_MANAGED_STACK_TEMPLATE],
            env=self.environment(),
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        ).stdout
        self.client("cloudformation").create_stack(
            StackName=MANAGED_STACK,
            TemplateBody=template,
            Tags=[{"Key": "ManagedStackSource", "Value": "AwsSamCli"}],
        )

    def client(self, service: str) -> Any:
        import boto3

        return boto3.client(
            service,
            region_name=REGION,
            endpoint_url=self.url,
            aws_access_key_id=FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        )

    def change_sets(self, stack: str) -> list[dict[str, Any]]:
        cloudformation = self.client("cloudformation")
        summaries = cloudformation.list_change_sets(StackName=stack)["Summaries"]
        return [
            cloudformation.describe_change_set(StackName=stack, ChangeSetName=summary["ChangeSetId"])
            for summary in summaries
        ]

    def uploaded_templates(self) -> list[dict[str, Any]]:
        """The templates `sam deploy` uploaded (what each change set was created from), oldest first."""
        from cfnlint.decode import decode_str

        s3 = self.client("s3")
        found = []
        for bucket in s3.list_buckets()["Buckets"]:
            for item in s3.list_objects_v2(Bucket=bucket["Name"]).get("Contents", []):
                if item["Key"].endswith(".template"):
                    body = s3.get_object(Bucket=bucket["Name"], Key=item["Key"])["Body"].read().decode()
                    template, problems = decode_str(body)
                    assert not problems, problems
                    found.append((item["LastModified"], json.loads(json.dumps(template, default=str))))
        return [template for _, template in sorted(found, key=lambda pair: pair[0])]

    def s3_object(self, url: str) -> bytes:
        """The bytes behind an s3://bucket/key CodeUri."""
        parsed = urllib.parse.urlparse(url)
        assert parsed.scheme == "s3", url
        body: bytes = (
            self.client("s3").get_object(Bucket=parsed.netloc, Key=parsed.path.lstrip("/"))["Body"].read()
        )
        return body


def run(
    command: list[str], cwd: Path, env: dict[str, str], stdin: str | None = None, timeout: float = 240
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command,
        cwd=cwd,
        env=env,
        input=stdin if stdin is not None else "",
        capture_output=True,
        text=True,
        timeout=timeout,
    )
