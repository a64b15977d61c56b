"""The documentation tells the truth: settings, command ids, the connector example, links."""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from support.lambda_events import invoke
from support.paths import PROJECT_ROOT
from support.upstream import Reply, Upstream

from spiff_lambda_proxy.registry import Registry
from tools import configuration_doc

ROOT = PROJECT_ROOT
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
SPEC_AND_TEMPLATE = [ROOT / "docs" / "openapi.yaml", ROOT / "template.yaml"]
SOURCES = [
    ROOT / "lambda_function.py",
    *sorted((ROOT / "spiff_lambda_proxy").rglob("*.py")),
    *sorted((ROOT / "connectors").rglob("*.py")),
]
# Names of this project's settings and of the AWS variables the code reads.
ENV_PREFIXES = ("CONNECTOR_PROXY_", "HTTP_CONNECTOR_", "SPIFFARENA_", "AWS_")
ENV_NAME = re.compile(r"(?:CONNECTOR_PROXY|HTTP_CONNECTOR|SPIFFARENA|AWS)_[A-Z0-9_]+")
# SpiffArena answers these itself (PROTOCOL.md section 5); docs name them to say so.
SPIFFARENA_BUILT_INS = {"http/PutRequest", "http/PatchRequest", "http/DeleteRequest", "http/HeadRequest"}


def test_configuration_md_is_generated_from_the_code() -> None:
    written = (ROOT / "docs" / "configuration.md").read_text()
    assert written == configuration_doc.render(), "docs/configuration.md is out of date: run make docs"


def environment_names(path: Path) -> set[str]:
    """Environment variables `path` reads: names in our namespaces, and literal os.environ lookups."""
    tree = ast.parse(path.read_text(), str(path))
    names: set[str] = set()
    in_f_strings = {
        id(part) for node in ast.walk(tree) if isinstance(node, ast.JoinedStr) for part in node.values
    }
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in in_f_strings:
            if ENV_NAME.fullmatch(node.value):
                names.add(node.value)
        elif isinstance(node, ast.JoinedStr) and node.values:
            # f"AWS_ENDPOINT_URL_{service.upper()}" is documented as AWS_ENDPOINT_URL_<SERVICE>
            head = node.values[0]
            fragment = str(head.value) if isinstance(head, ast.Constant) else ""
            if ENV_NAME.fullmatch(fragment) and fragment.endswith("_"):
                names.add(f"{fragment}<")
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            function = ast.unparse(node.func)
            if function in ("os.environ.get", "os.getenv", "os.environ.setdefault", "os.environ.pop"):
                names.add(str(node.args[0].value))
        elif (
            isinstance(node, ast.Subscript)
            and ast.unparse(node.value) == "os.environ"
            and isinstance(node.slice, ast.Constant)
        ):
            names.add(str(node.slice.value))
    return names


def test_every_environment_variable_the_code_reads_is_documented() -> None:
    documented = (ROOT / "docs" / "configuration.md").read_text()
    found = {name: path for path in SOURCES for name in environment_names(path)}
    assert "CONNECTOR_PROXY_API_KEY_SECRET" in found  # the scan sees what it should
    assert "AWS_ENDPOINT_URL_<" in found
    missing = {
        name: str(path.relative_to(ROOT))
        for name, path in found.items()
        if (f"`{name}`" not in documented and not (name.endswith("<") and f"`{name}" in documented))
    }
    assert not missing, f"read in the code but not in docs/configuration.md (run make docs): {missing}"


def test_the_scan_catches_an_undocumented_lookup(tmp_path: Path) -> None:
    source = tmp_path / "reader.py"
    source.write_text(
        "import os\n"
        "limit = os.environ.get('FROBNICATE_LIMIT')\n"
        "key = os.environ['CONNECTOR_PROXY_SOMETHING_NEW']\n"
        "def read(config):\n"
        "    return setting(config, 'HTTP_CONNECTOR_NEW_KNOB')\n"
        "endpoint = os.environ.get(f'AWS_ENDPOINT_URL_{name}')\n"
        "message = f'HTTP_CONNECTOR_CA_BUNDLE names {path}'\n"
    )
    assert environment_names(source) == {
        "FROBNICATE_LIMIT",
        "CONNECTOR_PROXY_SOMETHING_NEW",
        "HTTP_CONNECTOR_NEW_KNOB",
        "AWS_ENDPOINT_URL_<",
    }


def offered_commands() -> set[str]:
    answer = invoke("function-url", "GET", "/v1/commands")
    assert answer.status == 200
    return {command["id"] for command in answer.json}


def test_every_command_id_in_the_docs_exists() -> None:
    offered = offered_commands()
    mentioned: dict[str, str] = {}
    for path in DOCS + SPEC_AND_TEMPLATE:
        for match in re.finditer(r"\b((?:http|aws)/[A-Z][A-Za-z0-9]*)\b", path.read_text()):
            mentioned.setdefault(match.group(1), path.name)
    assert {"http/GetRequestV2", "aws/S3PutObject"} <= set(mentioned)
    unknown = {
        command: where
        for command, where in mentioned.items()
        if command not in offered and command not in SPIFFARENA_BUILT_INS
    }
    assert not unknown, f"the docs name commands /v1/commands does not offer: {unknown}"


def _slug(heading: str) -> str:
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower().replace("`", ""))
    return text.replace(" ", "-")


def _anchors(path: Path) -> set[str]:
    return {_slug(line.lstrip("#")) for line in path.read_text().splitlines() if line.startswith("#")}


def test_links_between_docs_point_somewhere() -> None:
    broken = []
    for path in DOCS:
        for target in re.findall(r"\]\(([^)\s]+)\)", path.read_text()):
            if target.startswith(("http://", "https://", "mailto:")):
                continue
            file_part, _, anchor = target.partition("#")
            linked = (path.parent / file_part).resolve() if file_part else path
            if not linked.exists():
                broken.append(f"{path.name}: {target}")
            elif anchor and linked.suffix == ".md" and anchor not in _anchors(linked):
                broken.append(f"{path.name}: {target} (no such heading)")
    assert not broken


def _connector_example() -> str:
    text = (ROOT / "docs" / "connectors.md").read_text()
    block = re.search(r"```python\n(# connector_weather/commands/forecast\.py\n.*?)```", text, re.S)
    assert block, "docs/connectors.md no longer has the GetForecast example"
    return block.group(1)


def _documented_description() -> dict[str, object]:
    text = (ROOT / "docs" / "connectors.md").read_text()
    block = re.search(r'```json\n(\{"id": "weather/GetForecast".*?)```', text, re.S)
    assert block
    description: dict[str, object] = json.loads(block.group(1))
    return description


@pytest.fixture
def weather(extra_connectors: Callable[..., Registry]) -> Registry:
    return extra_connectors(
        {
            "connector_weather/__init__.py": "",
            "connector_weather/commands/__init__.py": "",
            "connector_weather/commands/forecast.py": _connector_example(),
        }
    )


@pytest.fixture
def forecasts() -> Iterator[Upstream]:
    with Upstream() as server:
        yield server


def test_the_connector_example_works_as_documented(
    weather: Registry, forecasts: Upstream, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert not weather.failures
    listed = {command["id"]: command for command in invoke("function-url", "GET", "/v1/commands").json}
    assert listed["weather/GetForecast"] == _documented_description()

    forecasts.script("/forecast", Reply.json({"city": "Lisbon", "days": [{"high": 24}]}))
    monkeypatch.setenv("WEATHER_API_URL", forecasts.base_url)
    answer = invoke("function-url", "POST", "/v1/do/weather/GetForecast", body={"city": "Lisbon", "days": 2})
    assert answer.status == 200
    assert answer.json["command_response"] == {
        "body": {"city": "Lisbon", "days": [{"high": 24}]},
        "mimetype": "application/json",
        "http_status": 200,
    }
    assert answer.json["error"] is None
    assert forecasts.requests[-1].query == "city=Lisbon&days=2&units=metric"

    forecasts.script("/forecast", Reply.json({"detail": "no such city"}, status=404))
    answer = invoke("function-url", "POST", "/v1/do/weather/GetForecast", body={"city": "Atlantis"})
    assert answer.json["error"]["error_code"] == "HttpError404"
    assert answer.json["command_response"]["http_status"] == 404


def test_make_test_runs_the_linters_and_every_test_on_every_core() -> None:
    """CI runs `make test`: it must really run them (a broken rule would pass with nothing done)."""
    import subprocess

    done = subprocess.run(
        ["make", "-n", "--no-print-directory", "test", "lint"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "-m pytest -n auto --dist loadgroup" in done.stdout
    for linter in ("-m ruff check .", "-m ruff format --check .", "-m mypy"):
        assert linter in done.stdout
