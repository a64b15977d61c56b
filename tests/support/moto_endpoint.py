"""A real AWS-compatible endpoint for the aws connector's tests: moto in server mode on loopback.

`moto_server` (session) starts `python -m moto.server` on a free 127.0.0.1
port in a subprocess and waits, bounded, until it answers. `aws` (per test)
empties moto's state, points the AWS_* environment at it with fake
credentials, and forgets the connector's cached clients. Nothing patches
boto3: the connector talks HTTP to moto exactly as it talks to AWS.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from support.lambda_events import Answer, invoke
from tools.local.context import LocalContext

REGION = "us-east-1"
FAKE_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
START_TIMEOUT_SECONDS = 30.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class MotoServer:
    """`settings`: moto's own environment settings (INITIAL_NO_AUTH_ACTION_COUNT, ...)."""

    def __init__(self, settings: dict[str, str] | None = None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {name: value for name, value in os.environ.items() if not name.startswith("AWS_")}
        env.update(settings or {})
        # A file, not a pipe: moto logs every request, and a full pipe would stall it.
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=self.log,
            stderr=subprocess.STDOUT,
            env=env,
        )

    def wait_until_ready(self, timeout: float = START_TIMEOUT_SECONDS) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"moto server exited with {self.process.returncode}: {self.output()}")
            try:
                with urllib.request.urlopen(f"{self.url}/moto-api/data.json", timeout=1) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.1)
        output = self.output()
        self.stop()
        raise RuntimeError(f"moto server did not answer on {self.url} within {timeout} s: {output}")

    def output(self) -> str:
        self.log.seek(0)
        return self.log.read()[-2000:].decode(errors="replace")

    def reset(self) -> None:
        request = urllib.request.Request(f"{self.url}/moto-api/reset", method="POST")
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 200

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        self.log.close()


class AwsTestBed:
    """The test's view of the fake AWS: boto3 clients to arrange state, and the proxy to act."""

    def __init__(self, server: MotoServer, monkeypatch: pytest.MonkeyPatch) -> None:
        self.server = server
        self.url = server.url
        self.monkeypatch = monkeypatch

    def client(self, service: str, region: str = REGION) -> Any:
        import boto3

        return boto3.client(
            service,
            region_name=region,
            endpoint_url=self.url,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )

    def do(
        self,
        command: str,
        source: str = "function-url",
        context: LocalContext | None = None,
        **params: Any,
    ) -> Answer:
        """POST /v1/do/aws/<command> through lambda_handler."""
        return invoke(source, "POST", f"/v1/do/aws/{command}", body=params, context=context)

    def body(self, command: str, **params: Any) -> Any:
        """Run a command that must succeed; its command_response.body."""
        answer = self.do(command, **params)
        assert answer.status == 200, answer
        result = answer.json
        assert result["error"] is None, result
        assert result["command_response"]["http_status"] == 200
        return result["command_response"]["body"]

    def error(self, command: str, **params: Any) -> tuple[int, str, str]:
        """Run a command that must fail: (command_response.http_status, error_code, message)."""
        answer = self.do(command, **params)
        assert answer.status == 200, answer  # v2: the failure is in the envelope
        result = answer.json
        assert result["command_response_version"] == 2
        assert result["error"] is not None, result
        return (
            result["command_response"]["http_status"],
            result["error"]["error_code"],
            result["error"]["message"],
        )


def point_environment_at(monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    # No file, profile, instance metadata or container credentials may leak in from this machine.
    monkeypatch.setenv("AWS_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    for name, value in FAKE_CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_REGION", REGION)
    monkeypatch.setenv("AWS_ENDPOINT_URL", url)


@pytest.fixture(scope="session")
def moto_server() -> Iterator[MotoServer]:
    server = MotoServer()
    try:
        server.wait_until_ready()
        yield server
    finally:
        server.stop()


@pytest.fixture
def aws(moto_server: MotoServer, monkeypatch: pytest.MonkeyPatch) -> AwsTestBed:
    import connector_aws

    moto_server.reset()
    point_environment_at(monkeypatch, moto_server.url)
    connector_aws.clear_caches()
    return AwsTestBed(moto_server, monkeypatch)
