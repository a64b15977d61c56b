"""The built archive answers /v1/commands from its manifest, and /v1/do imports only the plugin it runs.

The archive is the session's one build, unpacked and imported by the target Python with only the
task root on sys.path, as Lambda does (support.archive.lambda_like).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from support.archive import Built, lambda_like, require
from support.lambda_events import make_event

from tools.lambda_zip.target import Interpreter

pytestmark = pytest.mark.slow


def connector_modules(result: dict[str, object]) -> set[str]:
    modules = result["modules"]
    assert isinstance(modules, list)
    return {name for name in modules if name.startswith("connector_")}


def test_the_summary_names_the_manifest_of_this_build(built: Built) -> None:
    line = built.summary("manifest")
    assert line.startswith("build ") and "without importing a connector" in line
    names = built.names()
    assert "spiff_lambda_proxy/_manifest/commands.json" in names
    assert "spiff_lambda_proxy/_build.py" in names


def test_a_cold_commands_answer_imports_no_connector(
    task_root: Path, target_python: Interpreter | None, built: Built
) -> None:
    python = require(target_python)
    result = lambda_like(python, task_root, [make_event("function-url", "GET", "/v1/commands")])
    [answer] = result["answers"]
    assert answer["statusCode"] == 200
    assert answer["body"].encode() == (task_root / "spiff_lambda_proxy/_manifest/commands.json").read_bytes()
    assert connector_modules(result) == set()
    assert "requests" not in result["modules"] and "boto3" not in result["modules"]


def test_a_cold_do_imports_the_plugin_it_runs_and_no_other(
    task_root: Path, target_python: Interpreter | None
) -> None:
    python = require(target_python)
    event = make_event("function-url", "POST", "/v1/do/http/GetRequestV2", body={"url": "ftp://nowhere"})
    result = lambda_like(python, task_root, [event])
    [answer] = result["answers"]
    assert answer["statusCode"] == 200  # the command ran: its own error, in the v2 envelope
    loaded = connector_modules(result)
    assert "connector_http.commands.v2" in loaded
    assert not {name for name in loaded if name.startswith("connector_aws")}
    assert "connector_http.commands.v1" not in loaded


@pytest.mark.parametrize("damage", ["another build", "no index", "not JSON"])
def test_a_manifest_not_of_this_build_is_not_trusted(
    task_root: Path, target_python: Interpreter | None, built: Built, damage: str
) -> None:
    python = require(target_python)
    index = task_root / "spiff_lambda_proxy" / "_manifest" / "index.json"
    expected = (task_root / "spiff_lambda_proxy" / "_manifest" / "commands.json").read_bytes()
    if damage == "another build":
        found = json.loads(index.read_text())
        found["build_id"] = "0123456789abcdef0123"
        found["plugins"] = []  # it would list nothing: it must not be believed
        index.write_text(json.dumps(found))
    elif damage == "no index":
        shutil.rmtree(index.parent)
    else:
        index.write_text("{")
    result = lambda_like(python, task_root, [make_event("function-url", "GET", "/v1/commands")])
    [answer] = result["answers"]
    assert answer["body"].encode() == expected  # discovered live: the same answer
    assert "connector manifest cannot be used" in result["stderr"]
    assert "connector_http" in connector_modules(result)


def test_a_connector_the_manifest_does_not_know_is_discovered_live(
    task_root: Path, target_python: Interpreter | None, tmp_path: Path
) -> None:
    """A Lambda layer puts connector packages on sys.path that the archive's build never saw."""
    python = require(target_python)
    layer = tmp_path / "layer"
    (layer / "connector_layered" / "commands").mkdir(parents=True)
    (layer / "connector_layered" / "__init__.py").write_text("")
    (layer / "connector_layered" / "commands" / "__init__.py").write_text("")
    (layer / "connector_layered" / "commands" / "hello.py").write_text("class Hello:\n    pass\n")
    result = lambda_like(
        python, task_root, [make_event("function-url", "GET", "/v1/commands")], paths=(layer,)
    )
    ids = [command["id"] for command in json.loads(result["answers"][0]["body"])]
    assert "layered/Hello" in ids and "http/GetRequestV2" in ids
    assert "connector_layered too: a Lambda layer?" in result["stderr"]


def test_a_background_run_imports_only_the_plugin_it_runs(
    task_root: Path, target_python: Interpreter | None
) -> None:
    from support.background import event_for, make_run
    from support.callback_server import running

    python = require(target_python)
    with running() as spiffarena:
        run = make_run(spiffarena.url(), command="http/GetRequestV2", params={"url": "ftp://nowhere"})
        env = {
            "CONNECTOR_PROXY_TASK_SECRET": "archive-secret",
            "SPIFFARENA_CALLBACK_ORIGINS": spiffarena.origin,
        }
        result = lambda_like(python, task_root, [event_for(run, "archive-secret")], env)
        assert result["answers"][0]["outcome"] == "delivered" and len(spiffarena.puts()) == 1
    loaded = connector_modules(result)
    assert "connector_http.commands.v2" in loaded
    assert not {name for name in loaded if name.startswith("connector_aws")}
