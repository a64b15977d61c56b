"""docs/openapi.yaml: a valid OpenAPI 3.1 document, and the running proxy conforms to it.

The conformance run is schemathesis (its CLI, settings in tests/proxy/schemathesis.toml)
against the real handler behind the local server (`make serve`'s) on a free
loopback port. Commands really run, so nothing may leave this machine: the http
connector's destinations are all closed and AWS calls go to moto.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support.local_server import serving
from support.moto_endpoint import AwsTestBed
from support.paths import PROJECT_ROOT
from support.typeahead_lists import CITIES_CSV, serving_lists, write_lists

from spiff_lambda_proxy.auth import API_KEY_HEADER
from spiff_lambda_proxy.routes import router
from tools.local.server import make_server

ROOT = PROJECT_ROOT
SPEC = ROOT / "docs" / "openapi.yaml"
CONFIG = ROOT / "tests" / "proxy" / "schemathesis.toml"
KEY = "conformance-key"
LISTING_AND_LIVENESS = ("/", "/liveness", "/v1/liveness", "/v1/commands", "/v1/auths", "/v1/diagnostics")


def spec() -> dict[str, Any]:
    from openapi_spec_validator.readers import read_from_filename

    document, _ = read_from_filename(str(SPEC))
    return dict(document)


def test_the_document_is_valid_openapi_3_1() -> None:
    from openapi_spec_validator import validate
    from openapi_spec_validator.readers import read_from_filename

    document, base_uri = read_from_filename(str(SPEC))
    validate(document, base_uri=base_uri)
    assert document["openapi"].startswith("3.1")


def test_every_route_is_described_with_its_methods() -> None:
    described = {
        path: {method.upper() for method in operations if method != "parameters"}
        for path, operations in spec()["paths"].items()
    }
    served: dict[str, set[str]] = defaultdict(set)
    for route in router.routes:
        path = "/" + "/".join(route.segments)
        served[path] |= set(route.methods) - {"HEAD"}  # HEAD rides along with every GET
    assert described == dict(served)


def test_errors_use_the_error_envelope_and_the_key_header_is_the_one_checked() -> None:
    document = spec()
    scheme = document["components"]["securitySchemes"]["ApiKeyHeader"]
    assert (scheme["in"], scheme["name"]) == ("header", API_KEY_HEADER)
    for name, response in document["components"]["responses"].items():
        if name.startswith(("SignIn", "To")):  # browser navigations: pages and redirects
            assert "application/json" not in response.get("content", {}), name
            continue
        schema = response["content"].get("application/json", {}).get("schema", {})
        if schema.get("$ref") == "#/components/schemas/ErrorEnvelope":
            continue
        assert name in {"Alive", "CommandResult", "Accepted", "V1Result", "TypeaheadRecords"}, name
    # Open routes say so; everything else needs the key.
    for path in (
        "/",
        "/liveness",
        "/v1/liveness",
        "/v1/auth/{plugin}/{auth}",
        "/v1/auth/{plugin}/{auth}/callback",
    ):
        assert document["paths"][path]["get"]["security"] == []


@pytest.fixture
def served(aws: AwsTestBed, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[str]:
    monkeypatch.setenv("CONNECTOR_PROXY_API_KEY", KEY)
    # Generated URLs must never be fetched: every destination is refused before any DNS lookup.
    monkeypatch.setenv("HTTP_CONNECTOR_DENIED_HOSTS", "*,0.0.0.0/0,::/0")
    # The document's example category, as a team's list (it needs the key the run sends).
    with serving_lists(write_lists(tmp_path / "typeahead", {"cities.csv": CITIES_CSV})):
        yield from serving(make_server("127.0.0.1", 0, timeout_seconds=30))


Run = tuple[subprocess.CompletedProcess[str], list[dict[str, Any]]]


def run_schemathesis(url: str, workdir: Path) -> Run:
    har = workdir / "run.har"
    command = [
        *(sys.executable, "-m", "schemathesis.cli", "--config-file", str(CONFIG), "run", str(SPEC)),
        *("--url", url, "--header", f"{API_KEY_HEADER}: {KEY}", "--no-color"),
        *("--report", "har", "--report-har-path", str(har)),
    ]
    result = subprocess.run(
        command,
        cwd=workdir,  # schemathesis writes nothing into the repository
        env={"PATH": "/usr/bin:/bin", "HOME": str(workdir), "NO_COLOR": "1"},
        capture_output=True,
        text=True,
        timeout=100,
    )
    entries: list[dict[str, Any]] = json.loads(har.read_text())["log"]["entries"] if har.exists() else []
    return result, entries


def _route_of(path: str) -> str:
    """The document's path template a requested path belongs to."""
    segments = path.split("/")
    if path.startswith("/v1/do/"):
        return "/v1/do/{plugin}/{command}"
    if path.startswith("/v1/typeahead/"):
        return "/v1/typeahead/{category}"
    if path.startswith("/v1/auth/"):
        callback = len(segments) == 6 and segments[-1] == "callback"
        return "/v1/auth/{plugin}/{auth}" + ("/callback" if callback else "")
    return path


def documented_statuses(path: str, method: str) -> set[int]:
    responses = spec()["paths"][path][method.lower()]["responses"]
    return {int(status) for status in responses if status != "default"}


@pytest.mark.slow
def test_the_running_proxy_conforms(served: str, tmp_path: Path) -> None:
    result, entries = run_schemathesis(served, tmp_path)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert len(entries) > 100, result.stdout[-3000:]

    seen: dict[tuple[str, str], set[int]] = defaultdict(set)
    do_bodies = []
    for entry in entries:
        method = entry["request"]["method"]
        path = entry["request"]["url"].removeprefix(served).split("?")[0]
        route = _route_of(path)
        status = entry["response"]["status"]
        seen[(method, route)].add(status)
        if route.startswith("/v1/do/") and method in ("GET", "POST") and status == 200:
            do_bodies.append(json.loads(entry["response"]["content"]["text"]))

    # Every operation of the document was exercised.
    for path, operations in spec()["paths"].items():
        for method in operations:
            if method != "parameters":
                assert seen[(method.upper(), path)], f"{method.upper()} {path} was never called"
    # Listing and liveness routes never answer 5xx, whatever they get.
    for (method, route), statuses in seen.items():
        if route in LISTING_AND_LIVENESS:
            assert max(statuses) < 500, (method, route, statuses)
    # /v1/do answers only the statuses the document lists (v1 commands, which may pass others
    # through under `default`, are not reachable with generated names), and 405 to other methods.
    for method in ("GET", "POST"):
        statuses = seen[(method, "/v1/do/{plugin}/{command}")]
        assert statuses <= documented_statuses("/v1/do/{plugin}/{command}", method), (method, statuses)
        assert {400, 401, 404} <= statuses
    assert seen[("PUT", "/v1/do/{plugin}/{command}")] == {405}
    # Typeahead answers only what the document lists, and a real list answered records.
    typeahead = seen[("GET", "/v1/typeahead/{category}")]
    assert typeahead <= documented_statuses("/v1/typeahead/{category}", "GET"), typeahead
    assert {200, 404} <= typeahead
    # The examples reached a real command, whose answer is a v2 result.
    assert do_bodies
    for body in do_bodies:
        assert body["command_response_version"] >= 2
        assert isinstance(body["command_response"], dict)
