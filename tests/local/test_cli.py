"""`python -m tools.local serve | invoke`: what it prints, what it refuses, what it says to do."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.lambda_events import EVENTS_DIR
from support.local_server import Served, local_env, request
from support.paths import PROJECT_ROOT

from tools.local import server as local


def run_module(
    *args: str, stdin: str | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    if args and args[0] == "invoke":  # packing the built-in typeahead lists is the typeahead tests' business
        args = (*args, "--typeahead-builtins", "0")
    return subprocess.run(
        [sys.executable, "-m", "tools.local", *args],
        cwd=PROJECT_ROOT,
        input=stdin,
        env=env or local_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_invoke_prints_the_answer_to_a_real_event_file() -> None:
    done = run_module("invoke", str(EVENTS_DIR / "lambdaFunctionUrlEvent.json"))
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert answer["statusCode"] == 200
    assert "SPIFFWORKFLOW_BACKEND_CONNECTOR_PROXY_URL" in answer["body"]
    assert "GET / -> 200" in done.stderr  # the proxy's own log line


def test_invoke_answers_in_the_shape_of_the_events_front_door(tmp_path: Path) -> None:
    event = json.loads((EVENTS_DIR / "albEvent.json").read_text())
    event.update(path="/v1/liveness", httpMethod="GET")
    event_file = tmp_path / "alb.json"
    event_file.write_text(json.dumps(event))
    done = run_module("invoke", str(event_file))
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert answer["statusDescription"] == "200 OK"
    assert json.loads(answer["body"]) == {"ok": True}


def test_invoke_reads_stdin_and_refuses_what_is_not_json(tmp_path: Path) -> None:
    event = json.loads((EVENTS_DIR / "lambdaFunctionUrlEvent.json").read_text())
    event["rawPath"] = "/v1/commands"
    from_stdin = run_module("invoke", "-", stdin=json.dumps(event))
    assert from_stdin.returncode == 0, from_stdin.stderr
    assert json.loads(from_stdin.stdout)["statusCode"] == 200
    garbage = tmp_path / "garbage.json"
    garbage.write_text("{not json")
    refused = run_module("invoke", str(garbage))
    assert refused.returncode == 2
    assert "is not JSON" in refused.stderr
    missing = run_module("invoke", str(tmp_path / "nope.json"))
    assert missing.returncode == 2
    assert "Cannot read the event file" in missing.stderr


@pytest.fixture
def served() -> Iterator[Served]:
    env = local_env(
        {
            "CONNECTOR_PROXY_API_KEY": "local-api-key-1234",
            "SPIFFARENA_CALLBACK_API_KEY": "service-key-5678",
            "CONNECTOR_PROXY_ASYNC_COMMANDS": "aws/*",
            "AWS_ENDPOINT_URL": "http://moto:pa55word@127.0.0.1:5000/?token=t0ken",
        }
    )
    server = Served.module("--reload", "0", "--timeout", "10", env=env)
    yield server
    server.stop()


def test_serve_says_what_it_serves_with_secrets_masked(served: Served) -> None:
    url = served.url()
    assert url.startswith("http://127.0.0.1:")
    assert request(url, "GET", "/v1/liveness").json == {"ok": True}
    output = served.stop()
    assert f"SPIFFWORKFLOW_BACKEND_CONNECTOR_PROXY_URL=http://localhost:{url.rsplit(':', 1)[1]}" in output
    assert "commands (aws 16, http 8)" in output
    assert "CONNECTOR_PROXY_ASYNC_COMMANDS=aws/*" in output
    assert "CONNECTOR_PROXY_API_KEY=****" in output and "SPIFFARENA_CALLBACK_API_KEY=****" in output
    assert "AWS_ENDPOINT_URL=http://127.0.0.1:5000/?****" in output
    for secret in ("local-api-key-1234", "service-key-5678", "pa55word", "t0ken"):
        assert secret not in output
    # The two hints: a SpiffArena in a container, and upstreams on this machine.
    assert "HOST=0.0.0.0" in output and "HTTP_CONNECTOR_ALLOWED_HOSTS=localhost,127.0.0.1" in output
    assert "never through AWS" in output and "no reload" in output
    # The callback key without the origins it needs, said before the first background run fails.
    assert "Hint: background runs also need SPIFFARENA_CALLBACK_ORIGINS" in output
    assert "CORS_ORIGINS=* lets any web page" not in output


def test_serve_names_the_connectors_that_failed_to_load(tmp_path: Path) -> None:
    (tmp_path / "connector_broken").mkdir()
    (tmp_path / "connector_broken" / "__init__.py").write_text("import a_dependency_nobody_installed\n")
    server = Served.module("--reload", "0", env=local_env(python_path=tmp_path))
    try:
        server.url()
        line = server.wait_for("FAILED to load")
    finally:
        server.stop()
    assert "connector_broken: ModuleNotFoundError" in line and "a_dependency_nobody_installed" in line


def test_a_port_in_use_says_which_setting_changes_it() -> None:
    with local.make_server("127.0.0.1", 0, handler=lambda event, context: {}) as taken:
        port = taken.server_address[1]
        done = run_module("serve", "--port", str(port))
    assert done.returncode == 1
    assert f"Cannot listen on 127.0.0.1:{port}: the port is in use" in done.stderr
    assert f"make serve PORT={port + 1}" in done.stderr
