"""The handler on this machine: `make serve` over real HTTP, and `invoke EVENT.json`."""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NamedTuple

import pytest
from support.lambda_events import EVENTS_DIR
from support.local_server import serving
from support.paths import PROJECT_ROOT
from support.sample_connectors import CONNECTOR_SAMPLE

import lambda_function
from spiff_lambda_proxy import local
from spiff_lambda_proxy.registry import Registry

PROJECT = PROJECT_ROOT


class Reply(NamedTuple):
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)


def request(
    base_url: str,
    method: str,
    path: str,
    body: bytes | dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> Reply:
    host, port = base_url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    headers = dict(headers or {})
    if isinstance(body, dict):
        body = json.dumps(body).encode()
        headers.setdefault("Content-Type", "application/json")
    try:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        return Reply(response.status, response.headers, response.read())
    finally:
        connection.close()


@pytest.fixture
def sample(extra_connectors: Callable[[dict[str, str]], Registry]) -> Registry:
    return extra_connectors(CONNECTOR_SAMPLE)


@pytest.fixture
def served(sample: Registry) -> Iterator[str]:
    """The real handler behind the local server, on a free loopback port."""
    yield from serving(local.make_server("127.0.0.1", 0, timeout_seconds=100))


def test_liveness_and_index(served: str) -> None:
    reply = request(served, "GET", "/liveness")
    assert (reply.status, reply.json) == (200, {"ok": True})
    index = request(served, "GET", "/")
    assert index.status == 200
    assert "SPIFFWORKFLOW_BACKEND_CONNECTOR_PROXY_URL" in index.body.decode()


def test_commands_are_listed(served: str) -> None:
    reply = request(served, "GET", "/v1/commands")
    assert reply.status == 200
    assert reply.headers["Content-Type"] == "application/json"
    echo = next(c for c in reply.json if c["id"] == "sample/Echo")
    assert echo["parameters"][0] == {"id": "message", "type": "str", "required": True}


def test_post_with_a_json_body_runs_the_command(served: str) -> None:
    body = {"message": "hi", "times": 2, "spiff__task_data": {"order": 7}, "spiff__task_id": "t1"}
    reply = request(served, "POST", "/v1/do/sample/Echo", body)
    assert reply.status == 200
    assert reply.json["command_response"]["body"] == {"echo": "hihi", "task_data": {"order": 7}}
    assert int(reply.headers["Content-Length"]) == len(reply.body)


def test_query_string_reaches_the_command(served: str) -> None:
    reply = request(served, "GET", "/v1/do/sample/Echo?message=from+query")
    assert reply.status == 200
    assert reply.json["command_response"]["body"]["echo"] == "from query"


def test_error_statuses_come_through(served: str) -> None:
    teapot = request(served, "POST", "/v1/do/sample/LegacyText", {"text": "short and stout", "status": 418})
    assert (teapot.status, teapot.body) == (418, b"short and stout")
    assert teapot.headers["Content-Type"].startswith("text/plain")
    unknown = request(served, "POST", "/v1/do/sample/NoSuchCommand", {})
    assert unknown.status == 404
    assert unknown.json["error"]["error_code"] == "command_not_found"
    broken = request(served, "POST", "/v1/do/sample/Explode", {})
    assert broken.status == 500
    assert broken.json["error"]["error_code"] == "RuntimeError"
    not_json = request(served, "POST", "/v1/do/sample/Echo", b"{nope", {"Content-Type": "application/json"})
    assert not_json.status == 400


def test_request_and_answer_headers_pass_through(served: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONNECTOR_PROXY_API_KEY", "local-secret")
    monkeypatch.setenv("CONNECTOR_PROXY_CORS_ORIGINS", "http://spiff.localhost")
    assert request(served, "GET", "/v1/commands").status == 401
    reply = request(
        served,
        "GET",
        "/v1/commands",
        headers={"Spiff-Connector-Proxy-Api-Key": "local-secret", "Origin": "http://spiff.localhost"},
    )
    assert reply.status == 200
    assert reply.headers["Access-Control-Allow-Origin"] == "http://spiff.localhost"
    assert b"local-secret" not in reply.body


def test_context_reports_the_configured_timeout_without_api_gateway_cap(
    served: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CONNECTOR_PROXY_SYNC_TIMEOUT_SECONDS", "0")  # only the function's timeout
    before = time.time()
    reply = request(served, "POST", "/v1/do/sample/ReadDeadline", {})
    deadline = reply.json["command_response"]["body"]["deadline"]
    # 100 s timeout minus the answering margin: a Function URL, not capped at API Gateway's 29 s.
    assert before + 60 < deadline <= time.time() + 100


def test_head_answers_without_a_body(served: str) -> None:
    reply = request(served, "HEAD", "/liveness")
    assert reply.status == 200
    assert reply.body == b""


def test_body_over_the_lambda_limit_is_refused_before_reading_it(served: str) -> None:
    host, port = served.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        connection.putrequest("POST", "/v1/do/sample/Echo")
        connection.putheader("Content-Length", str(7 * 1024 * 1024))
        connection.endheaders()
        response = connection.getresponse()
        assert response.status == 413
        assert b"6291456" in response.read()
    finally:
        connection.close()


def test_a_handler_crash_is_a_502_like_a_function_url(sample: Registry) -> None:
    def crashing(event: Any, context: Any) -> Any:
        raise RuntimeError("boom")

    for url in serving(local.make_server("127.0.0.1", 0, handler=crashing)):
        reply = request(url, "GET", "/v1/commands")
        assert reply.status == 502
        assert b"boom" not in reply.body


def test_event_is_a_function_url_payload() -> None:
    event = local.function_url_event(
        "post",
        "/v1/do/x/Y?a=1&a=2&b=",
        [("Content-Type", "application/json"), ("X-Twice", "1"), ("x-twice", "2"), ("Cookie", "s=1; t=2")],
        b'{"k": "v"}',
    )
    assert event["version"] == "2.0"
    assert event["rawPath"] == "/v1/do/x/Y"
    assert event["rawQueryString"] == "a=1&a=2&b="
    assert event["queryStringParameters"] == {"a": "1,2", "b": ""}
    assert event["headers"] == {"content-type": "application/json", "x-twice": "1,2"}
    assert event["cookies"] == ["s=1", "t=2"]
    assert event["requestContext"]["http"]["method"] == "POST"
    assert (event["body"], event["isBase64Encoded"]) == ('{"k": "v"}', False)
    binary = local.function_url_event("POST", "/", [("Content-Type", "image/png")], b"\x89PNG\xff")
    assert binary["isBase64Encoded"] is True
    assert "body" not in local.function_url_event("GET", "/", [], b"")


def test_answers_read_like_a_function_url_reads_them() -> None:
    status, headers, body = local.http_answer(
        {
            "statusCode": 201,
            "headers": {"X-A": "1"},
            "cookies": ["a=1", "b=2"],
            "body": "aGk=",
            "isBase64Encoded": True,
        }
    )
    assert (status, body) == (201, b"hi")
    assert headers == [("X-A", "1"), ("Set-Cookie", "a=1"), ("Set-Cookie", "b=2")]
    # Anything without a statusCode is sent as a JSON document.
    assert local.http_answer({"just": "data"}) == (
        200,
        [("Content-Type", "application/json")],
        b'{"just": "data"}',
    )


def test_context_counts_down_and_never_below_zero() -> None:
    context = local.LocalContext(timeout_seconds=5)
    assert 0 < context.get_remaining_time_in_millis() <= 5000
    assert context.invoked_function_arn.endswith(":function:spiff-connector-proxy")
    assert context.aws_request_id != local.LocalContext().aws_request_id
    assert local.LocalContext(timeout_seconds=0).get_remaining_time_in_millis() == 0


def test_load_handler_is_the_lambda_entry_point() -> None:
    assert local.load_handler() is lambda_function.lambda_handler


# --- the command line ---------------------------------------------------------------------


def run_module(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CONNECTOR_PROXY_", "HTTP_CONNECTOR_"))}
    return subprocess.run(
        [sys.executable, "-m", "spiff_lambda_proxy", *args],
        cwd=PROJECT,
        input=stdin,
        env=env,
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


def test_serve_command_listens_and_answers() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "spiff_lambda_proxy", "serve", "--port", "0", "--timeout", "10"],
        cwd=PROJECT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        banner = _read_line_within(process, 30)
        assert banner.startswith("Serving the connector proxy on http://127.0.0.1:"), banner
        url = banner.split()[-1]
        assert request(url, "GET", "/v1/liveness").json == {"ok": True}
        assert request(url, "GET", "/v1/commands").status == 200
    finally:
        process.terminate()
        process.communicate(timeout=30)


def _read_line_within(process: subprocess.Popen[str], seconds: float) -> str:
    """The first line the process prints, failing (not hanging) if none comes in time."""
    lines: list[str] = []
    reader = threading.Thread(
        target=lambda: lines.append(process.stdout.readline() if process.stdout else "")
    )
    reader.daemon = True
    reader.start()
    reader.join(timeout=seconds)
    assert lines, "the server printed nothing"
    return lines[0].strip()


def test_serve_reports_a_port_in_use() -> None:
    with local.make_server("127.0.0.1", 0, handler=lambda event, context: {}) as taken:
        port = taken.server_address[1]
        done = run_module("serve", "--port", str(port))
    assert done.returncode == 1
    assert f"Cannot listen on 127.0.0.1:{port}" in done.stderr
