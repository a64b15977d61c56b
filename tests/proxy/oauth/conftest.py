"""Fixtures of the sign-in tests: the fake provider, the demo connector, a configured deployment."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator

import pytest
from support.oauth_flow import CONNECTOR_OAUTHDEMO, FRONT_DOORS, SPIFFARENA, provider_settings
from support.oauth_provider import FakeProvider
from support.tripwire import Tripwire

from spiff_lambda_proxy.registry import Registry

STATE_SECRET = "state-secret-for-tests-4f9c2a"


@pytest.fixture(autouse=True)
def tripwire(monkeypatch: pytest.MonkeyPatch) -> Iterator[Tripwire]:
    """Nothing in these tests may leave this machine."""
    wire = Tripwire()
    wire.install(monkeypatch)
    yield wire
    assert wire.violations == []


@pytest.fixture
def provider(tripwire: Tripwire) -> Iterator[FakeProvider]:
    with FakeProvider() as server:
        yield server
    transport = sys.modules.get("spiff_outbound.transport")
    if transport is not None:
        transport.close_session()


@pytest.fixture
def demo(extra_connectors: Callable[[dict[str, str]], Registry]) -> Registry:
    return extra_connectors(CONNECTOR_OAUTHDEMO)


@pytest.fixture
def deployment(demo: Registry, provider: FakeProvider, monkeypatch: pytest.MonkeyPatch) -> FakeProvider:
    """A proxy set up for sign-ins to the fake provider, SpiffArena at https://spiff.example.com."""
    for name, value in provider_settings(provider.origin).items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("CONNECTOR_PROXY_AUTH_REDIRECT_ORIGINS", SPIFFARENA)
    monkeypatch.setenv("CONNECTOR_PROXY_AUTH_STATE_SECRET", STATE_SECRET)
    # Behind a load balancer the deployment names the host it is reached by.
    monkeypatch.setenv("CONNECTOR_PROXY_HOST_NAMES", FRONT_DOORS["alb"].domain)
    return provider
