"""Fixtures of the background-run tests: behind the socket tripwire, no AWS, Lambda's Invoke API stubbed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.stub import Stubber
from support.background import CALLBACK_KEY, SECRET, SPIFFARENA_ADDRESS, SPIFFARENA_HOST, Stubbed
from support.callback_server import CallbackServer, running
from support.spiffarena import SpiffArena
from support.tripwire import Tripwire

from spiff_lambda_proxy import aws


@pytest.fixture(autouse=True)
def aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Fake credentials and no instance metadata: nothing here may talk to AWS."""
    for name in (
        "AWS_PROFILE",
        "AWS_SESSION_TOKEN",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_LAMBDA_RUNTIME_API",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    # Should a call ever get past the stub, it goes to a closed port on this machine, not to AWS.
    monkeypatch.setenv("AWS_ENDPOINT_URL_LAMBDA", "http://127.0.0.1:9")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))


@pytest.fixture
def lambda_stub() -> Iterator[Stubbed]:
    """The real boto3 Lambda client of `start`, answering from a stub: what Lambda's Invoke API got."""
    client = aws.client("lambda", "us-east-1", aws.LAMBDA_TIMEOUTS)
    calls: list[dict[str, Any]] = []

    def record(params: dict[str, Any], **_: Any) -> None:
        calls.append(dict(params))

    client.meta.events.register("before-parameter-build.lambda.Invoke", record)
    with Stubber(client) as stub:
        yield Stubbed(stub, calls)
        stub.assert_no_pending_responses()


@pytest.fixture
def loopback_callbacks(monkeypatch: pytest.MonkeyPatch) -> None:
    """The stand-ins listen on 127.0.0.1, which callbacks (like the http connector) refuse by default."""
    monkeypatch.setenv("HTTP_CONNECTOR_ALLOWED_HOSTS", "127.0.0.1")


@pytest.fixture(autouse=True)
def tripwire(monkeypatch: pytest.MonkeyPatch) -> Iterator[Tripwire]:
    """Nothing leaves this machine: connects go to loopback only, DNS answers come from here."""
    wire = Tripwire()
    wire.install(monkeypatch)
    wire.fake_dns[SPIFFARENA_HOST] = [SPIFFARENA_ADDRESS]
    yield wire
    assert wire.violations == []


@pytest.fixture
def worker_env(monkeypatch: pytest.MonkeyPatch, loopback_callbacks: None) -> None:
    """A deployment whose callbacks go to this machine, quickly retried, signed with SECRET."""
    monkeypatch.setenv("CONNECTOR_PROXY_CALLBACK_BACKOFF_SECONDS", "0.01")
    monkeypatch.setenv("CONNECTOR_PROXY_CALLBACK_TIMEOUT_SECONDS", "5")
    monkeypatch.setenv("CONNECTOR_PROXY_TASK_SECRET", SECRET)
    monkeypatch.setenv("SPIFFARENA_CALLBACK_API_KEY", CALLBACK_KEY)
    # SpiffArena authenticates to the proxy, so the callback URLs it sends are trusted.
    monkeypatch.setenv("CONNECTOR_PROXY_API_KEY", "proxy-key")


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[CallbackServer]:
    """A callback server that records every request and answers them with 200; the deployment's
    SPIFFARENA_CALLBACK_ORIGINS names it, as it names SpiffArena's backend."""
    with running() as callback:
        monkeypatch.setenv("SPIFFARENA_CALLBACK_ORIGINS", callback.origin)
        yield callback


@pytest.fixture
def spiffarena(monkeypatch: pytest.MonkeyPatch, loopback_callbacks: None) -> Iterator[SpiffArena]:
    """The stand-in of SpiffArena's callback route, and a deployment set up to call it back quickly."""
    stand_in = SpiffArena()
    monkeypatch.setenv("SPIFFARENA_CALLBACK_API_KEY", stand_in.api_key)
    monkeypatch.setenv("SPIFFARENA_CALLBACK_ORIGINS", stand_in.origin)
    monkeypatch.setenv("CONNECTOR_PROXY_TASK_SECRET", SECRET)
    monkeypatch.setenv("CONNECTOR_PROXY_CALLBACK_BACKOFF_SECONDS", "0.01")
    yield stand_in
    stand_in.close()
