"""Fixtures shared by every test: a clean proxy environment and extra connector packages."""

from __future__ import annotations

import os
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from support.moto_endpoint import aws, moto_server  # noqa: F401 - fixtures for the aws connector's tests
from support.tripwire import tripwire  # noqa: F401 - the socket tripwire, for destination tests

from spiff_lambda_proxy import aws as proxy_aws
from spiff_lambda_proxy import settings
from spiff_lambda_proxy.background import keeper
from spiff_lambda_proxy.registry import Registry, rediscover

# Settings a developer's shell might carry that would change what tests see.
_PROXY_ENV_PREFIXES = ("CONNECTOR_PROXY_", "HTTP_CONNECTOR_", "SPIFFARENA_")


class _MonkeyPatch(pytest.MonkeyPatch):  # type: ignore[misc]  # final by declaration; only two methods extended
    """pytest's monkeypatch; changing the environment also has the proxy read its settings again.

    The proxy reads each group of settings once per process, as a Lambda's environment never
    changes; tests change it between cases, and within some.
    """

    def setenv(self, name: str, value: str, prepend: str | None = None) -> None:
        super().setenv(name, value, prepend)
        settings.forget()

    def delenv(self, name: str, raising: bool = True) -> None:
        super().delenv(name, raising)
        settings.forget()


@pytest.fixture
def monkeypatch() -> Iterator[pytest.MonkeyPatch]:
    patch = _MonkeyPatch()
    yield patch
    patch.undo()
    settings.forget()


@pytest.fixture(autouse=True)
def clean_proxy_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in list(os.environ):
        if name.startswith(_PROXY_ENV_PREFIXES):
            monkeypatch.delenv(name)
    # The proxy's AWS clients are made for one environment (endpoint, credentials): each test its own.
    settings.forget()
    proxy_aws.forget()
    keeper.install(None)
    keeper.forget()
    yield
    proxy_aws.forget()
    keeper.install(None)
    keeper.forget()


def write_tree(root: Path, files: dict[str, str]) -> None:
    for relative, content in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(content))


AddConnectors = Callable[..., Registry]


@pytest.fixture
def extra_connectors(tmp_path: Path) -> Iterator[AddConnectors]:
    """Put connector packages (relative path -> source) on sys.path and rediscover.

    `add(files, also=[dir, ...])` also puts ready-made directories (a pip
    --target, say) on sys.path. Undone afterwards, so the next test sees the
    project's own connectors only.
    """
    root = tmp_path / "site"
    root.mkdir()
    added = [str(root)]
    sys.path.insert(0, str(root))

    def add(files: dict[str, str], also: tuple[Path, ...] = ()) -> Registry:
        for directory in also:
            sys.path.insert(0, str(directory))
            added.append(str(directory))
        write_tree(root, files)
        return rediscover()

    yield add
    for entry in added:
        sys.path.remove(entry)
    for name in list(sys.modules):
        module_file = getattr(sys.modules[name], "__file__", None) or ""
        if module_file.startswith(tuple(added)):
            del sys.modules[name]
    rediscover()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say it at the end when the real-browser test did not run (its reason is also in -ra's list)."""
    for report in terminalreporter.stats.get("skipped", []):
        if "tests/local/test_browser.py" in getattr(report, "nodeid", ""):
            longrepr = getattr(report, "longrepr", None)
            reason = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
            terminalreporter.write_sep("-", "the real-browser test of make serve did NOT run", yellow=True)
            terminalreporter.write_line(str(reason).removeprefix("Skipped: "))
            return
