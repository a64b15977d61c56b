"""Fixtures of the http connector's tests: an open loopback behind the tripwire, and an upstream."""

from __future__ import annotations

import sys
from collections.abc import Iterator

import pytest
from support.tripwire import Tripwire
from support.upstream import Upstream


@pytest.fixture
def loopback_opened(tripwire: Tripwire, monkeypatch: pytest.MonkeyPatch) -> Iterator[Tripwire]:
    """Behind the socket tripwire (nothing leaves this machine), with loopback opened through
    HTTP_CONNECTOR_ALLOWED_HOSTS as a deployment opens an internal host, and quick retries."""
    monkeypatch.setenv("HTTP_CONNECTOR_ALLOWED_HOSTS", "127.0.0.1")
    monkeypatch.setenv("HTTP_CONNECTOR_RETRY_BACKOFF", "0.01")
    yield tripwire
    transport = sys.modules.get("spiff_outbound.transport")
    if transport is not None:
        transport.close_session()  # the next test starts without pooled connections


@pytest.fixture
def upstream(tripwire: Tripwire) -> Iterator[Upstream]:
    """A loopback upstream, behind the tripwire: the connector's tests never leave this machine."""
    with Upstream() as server:
        yield server
    transport = sys.modules.get("spiff_outbound.transport")
    if transport is not None:
        transport.close_session()
