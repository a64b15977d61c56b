"""A registry read from a manifest answers exactly as live discovery does, and loads only what it runs.

The manifest is written by the code `make zip` uses (`spiff_lambda_proxy.manifest.write`, fed by
`Registry.manifest()` of a live discovery) and read by the code a cold start uses. For every
fixture shape the tests have (the annotation zoo, plain classes and SDK-style ones, a Flask-era
dataclass command, broken modules, auths), the answers of `/v1/commands`, `/v1/auths` and
`/v1/diagnostics` through `lambda_handler` are compared byte for byte, and so is what the runner
binds for each command.
"""

from __future__ import annotations

import json
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import AddConnectors
from support.annotation_zoo import source
from support.lambda_events import invoke
from support.oauth_flow import CONNECTOR_OAUTHDEMO
from support.published_connectors import BEACON
from support.sample_connectors import (
    CONNECTOR_BROKEN,
    CONNECTOR_PROBE,
    CONNECTOR_SAMPLE,
    CONNECTOR_SHAPES,
)

from spiff_lambda_proxy import manifest as proxy_manifest
from spiff_lambda_proxy import registry as registry_module
from spiff_lambda_proxy.registry import Registry

KEY = "manifest-test-key"
FIXTURES = {
    **CONNECTOR_SAMPLE,
    **CONNECTOR_SHAPES,
    **CONNECTOR_PROBE,
    **CONNECTOR_BROKEN,
    **CONNECTOR_OAUTHDEMO,
    **{name: source for name, source in BEACON.items() if name.startswith("connector_")},
    "connector_typed/__init__.py": "",
    "connector_typed/commands/__init__.py": "",
    "connector_typed/commands/evaluated.py": source(False),
    "connector_typed/commands/postponed.py": source(True).replace("class ", "class Later"),
}


@pytest.fixture
def both(
    extra_connectors: AddConnectors, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Registry, Registry]]:
    """(live discovery, the registry its manifest gives), the manifest written and read as an archive's."""
    monkeypatch.setenv("CONNECTOR_PROXY_API_KEY", KEY)
    live = extra_connectors(FIXTURES)
    root = tmp_path / "archive"
    (root / "spiff_lambda_proxy").mkdir(parents=True)
    proxy_manifest.write(root, live.manifest(), live.commands_json, live.auths_json, "build-1")
    index = (root / "spiff_lambda_proxy" / "_manifest" / "index.json").read_text()
    read = Registry.from_manifest(
        json.loads(index),
        (root / "spiff_lambda_proxy" / "_manifest" / "commands.json").read_bytes(),
        (root / "spiff_lambda_proxy" / "_manifest" / "auths.json").read_bytes(),
    )
    yield live, read
    registry_module._registry = live


def answers(registry: Registry) -> list[bytes]:
    registry_module._registry = registry
    headers = {"spiff-connector-proxy-api-key": KEY}
    return [
        invoke("function-url", "GET", path, headers=headers).body
        for path in ("/v1/commands", "/v1/auths", "/v1/diagnostics", "/")
    ]


def test_every_answer_from_the_manifest_is_the_live_ones_byte_for_byte(
    both: tuple[Registry, Registry],
) -> None:
    live, read = both
    assert read.source == "manifest" and live.source == "live"
    assert live.failures  # the broken fixtures are there, and listed from the manifest too
    assert b'"typed/Everything"' in live.commands_json and b'"oauthdemo/' in live.auths_json
    assert answers(read) == answers(live)
    assert read.manifest() == live.manifest()


def test_each_command_binds_as_discovered_live(both: tuple[Registry, Registry]) -> None:
    live, read = both
    for plugin in live.plugins:
        for kind, names in (("command", plugin.commands), ("auth", plugin.auths)):
            for name in names:
                want = getattr(live, kind)(plugin.display_name, name)
                got = getattr(read, kind)(plugin.display_name, name)
                assert want is not None and got is not None, (plugin.display_name, name)
                assert got.cls is want.cls and got.takes_any_keyword == want.takes_any_keyword
                assert [repr(spec) for spec in got.parameters] == [repr(spec) for spec in want.parameters]


def test_a_command_loads_its_own_module_only(extra_connectors: AddConnectors, tmp_path: Path) -> None:
    live = extra_connectors(
        {
            "connector_first/__init__.py": "",
            "connector_first/commands/__init__.py": "",
            "connector_first/commands/one.py": "class One:\n    def execute(self, config, task_data):\n"
            "        return {'response': 'one', 'status': 200}\n",
            "connector_first/commands/two.py": "class Two:\n    pass\n",
            "connector_second/__init__.py": "",
            "connector_second/commands/__init__.py": "",
            "connector_second/commands/other.py": "class Other:\n    pass\n",
        }
    )
    read = Registry.from_manifest(live.manifest(), live.commands_json, live.auths_json)
    for name in [name for name in sys.modules if name.startswith(("connector_first", "connector_second"))]:
        del sys.modules[name]
    assert read.command("first", "One") is not None
    loaded = {name for name in sys.modules if name.startswith(("connector_first", "connector_second"))}
    assert loaded == {"connector_first", "connector_first.commands", "connector_first.commands.one"}


def test_a_connector_that_fails_to_load_later_is_a_clear_404_and_the_others_work(
    extra_connectors: AddConnectors, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = tmp_path / "site"
    live = extra_connectors(
        {
            "connector_fragile/__init__.py": "",
            "connector_fragile/commands/__init__.py": "",
            "connector_fragile/commands/c.py": "class Fragile:\n    def execute(self, config, task_data):\n"
            "        return {'response': 'ok', 'status': 200}\n",
        }
    )
    read = Registry.from_manifest(live.manifest(), live.commands_json, live.auths_json)
    # What changed since the build: the module now raises when imported (a setting it reads, say).
    (site / "connector_fragile" / "commands" / "c.py").write_text(
        textwrap.dedent("""
            raise RuntimeError("CONNECTOR_PROXY_FRAGILE_URL is not set")
        """)
    )
    for name in [name for name in sys.modules if name.startswith("connector_fragile")]:
        del sys.modules[name]
    registry_module._registry = read
    try:
        answer = invoke("function-url", "POST", "/v1/do/fragile/Fragile", body={})
        assert answer.status == 404 and answer.json["error"]["error_code"] == "command_not_found"
        assert "connector_fragile.commands.c failed to load (RuntimeError)" in answer.json["error"]["message"]
        assert "/v1/diagnostics" in answer.json["error"]["message"]
        works = invoke("function-url", "POST", "/v1/do/http/GetRequestV2", body={"url": "ftp://x"})
        assert works.status == 200 and works.json["error"]["error_code"] != "command_not_found"
        diagnostics = invoke("function-url", "GET", "/v1/diagnostics").json
        assert [f["module"] for f in diagnostics["failures"]] == ["connector_fragile.commands.c"]
    finally:
        registry_module._registry = live
