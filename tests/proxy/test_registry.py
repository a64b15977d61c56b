"""Discovery by the spiffworkflow-proxy rules (PROTOCOL.md section 2)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from conftest import AddConnectors, write_tree
from support.lambda_events import invoke
from support.paths import PROJECT_ROOT
from support.sample_connectors import CONNECTOR_BROKEN, CONNECTOR_PIPPED_PROJECT, CONNECTOR_SAMPLE

from spiff_lambda_proxy import registry as registry_module
from spiff_lambda_proxy.registry import Registry


def test_pip_installed_package_is_discovered_and_broken_ones_hide_nothing(
    tmp_path: Path, extra_connectors: AddConnectors
) -> None:
    project = tmp_path / "connector-pipped"
    write_tree(project, CONNECTOR_PIPPED_PROJECT)
    target = tmp_path / "site-packages"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            "--target",
            str(target),
            str(project),
        ],
        check=True,
    )
    assert (target / "connector_pipped" / "commands" / "hello.py").exists()

    registry = extra_connectors({**CONNECTOR_BROKEN, **CONNECTOR_SAMPLE}, also=(target,))

    assert registry.command("pipped", "SayHello") is not None
    assert registry.command("sample", "Echo") is not None
    assert registry.command("halfbroken", "Good") is not None
    assert registry.command("broken", "Thing") is None
    assert {failure.module for failure in registry.failures} == {
        "connector_broken",
        "connector_halfbroken.commands.bad",
    }
    answer = invoke("function-url", "POST", "/v1/do/pipped/SayHello", body={"name": "pip"})
    assert answer.json["command_response"]["body"] == {"hello": "pip"}
    assert invoke("function-url", "POST", "/v1/do/halfbroken/Good").text == "fine"
    # The project's own connectors are still there.
    ids = {item["id"] for item in invoke("function-url", "GET", "/v1/commands").json}
    assert {"pipped/SayHello", "sample/Echo", "halfbroken/Good"} <= ids


def test_failures_are_visible_in_index_diagnostics_and_log(
    extra_connectors: AddConnectors, caplog: pytest.LogCaptureFixture
) -> None:
    extra_connectors(CONNECTOR_BROKEN)
    assert "connector_broken: ModuleNotFoundError" in caplog.text
    index = invoke("function-url", "GET", "/").text
    assert "connector_broken (ModuleNotFoundError)" in index
    assert "connector_halfbroken.commands.bad (ValueError)" in index
    assert "a_dependency_nobody_installed" not in index  # details need the key-protected route
    diagnostics = invoke("function-url", "GET", "/v1/diagnostics").json
    assert {
        "module": "connector_broken",
        "error_type": "ModuleNotFoundError",
        "message": "No module named 'a_dependency_nobody_installed'",
    } in diagnostics["failures"]
    assert any(
        c["name"] == "halfbroken" and c["commands"] == ["halfbroken/Good"] for c in diagnostics["connectors"]
    )


def test_only_classes_defined_in_commands_modules_count(extra_connectors: AddConnectors) -> None:
    registry = extra_connectors(CONNECTOR_SAMPLE)
    plugin = next(p for p in registry.plugins if p.display_name == "sample")
    assert "NotACommand" not in plugin.commands  # imported into echo.py, defined in helpers.py
    assert sorted(plugin.commands) == list(plugin.commands)  # by name, like inspect.getmembers
    assert list(plugin.auths) == ["SampleOAuth"]


def test_plain_module_and_package_without_commands(extra_connectors: AddConnectors) -> None:
    registry = extra_connectors(
        {
            "connector_plainmodule.py": "class Something:\n    pass\n",
            "connector_nocommands/__init__.py": "",
            "connector_nocommands/commands.py": "class NotInASubpackage:\n    pass\n",
        }
    )
    plugins = {p.display_name: p for p in registry.plugins}
    assert plugins["plainmodule"].commands == {}
    assert plugins["nocommands"].commands == {}
    assert registry.failures == []


def test_classes_in_nested_commands_package_and_relative_imports(extra_connectors: AddConnectors) -> None:
    registry = extra_connectors(
        {
            "connector_nested/__init__.py": "",
            "connector_nested/base.py": """
                class Base:
                    def execute(self, config, task_data):
                        return {"response": "ok"}
            """,
            "connector_nested/commands/__init__.py": "",
            "connector_nested/commands/one.py": "from ..base import Base\n\nclass One(Base):\n    pass\n",
            "connector_nested/commands/group/__init__.py": "class InGroupInit:\n    pass\n",
        }
    )
    plugin = next(p for p in registry.plugins if p.display_name == "nested")
    assert sorted(plugin.commands) == ["InGroupInit", "One"]


def test_discovery_happens_once_per_cold_start(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    original = Registry.discover

    def counting() -> Registry:
        calls.append(1)
        return original()

    monkeypatch.setattr(registry_module, "_registry", None)
    monkeypatch.setattr(Registry, "discover", staticmethod(counting))
    for _ in range(3):
        assert invoke("function-url", "GET", "/v1/commands").status == 200
    assert len(calls) == 1


def test_nothing_in_the_project_is_named_like_a_connector() -> None:
    root = PROJECT_ROOT
    offenders = [
        path.relative_to(root).as_posix() for path in root.glob("*") if path.name.startswith("connector_")
    ]
    assert offenders == []
    connectors = root / "connectors"
    own = (
        sorted(p.name for p in connectors.iterdir() if not p.name.startswith((".", "__")))
        if connectors.exists()
        else []
    )
    assert all(name.startswith("connector_") for name in own), own


def test_listing_modules_by_hand_agrees_with_pkgutil(extra_connectors: AddConnectors) -> None:
    """Discovery lists `connector_*` modules and `commands` / `auths` subpackages itself instead
    of with pkgutil (which imports inspect at cold start): both must find the same modules, on
    sys.path and inside every plugin found, shipped ones and fixtures alike."""
    import pkgutil

    registry = extra_connectors({**CONNECTOR_SAMPLE, **CONNECTOR_BROKEN})

    def by_pkgutil(path: list[str], prefix: str = "") -> list[tuple[str, bool]]:
        return [
            (info.name, info.ispkg) for info in pkgutil.iter_modules(path) if info.name.startswith(prefix)
        ]

    assert list(registry_module._iter_modules(sys.path, "connector_")) == by_pkgutil(sys.path, "connector_")
    packages = [sys.modules[plugin.module] for plugin in registry.plugins]
    for sub in ("commands", "auths"):
        packages += [sys.modules[name] for name in list(sys.modules) if name.endswith(f".{sub}")]
    checked = 0
    for package in packages:
        path = list(getattr(package, "__path__", []))
        if path:
            checked += 1
            assert list(registry_module._iter_modules(path)) == by_pkgutil(path), package.__name__
    assert checked >= 4
