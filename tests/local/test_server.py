"""`make serve`'s server over real HTTP: each request as a Function URL event, the answer back."""

from __future__ import annotations

import http.client
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from support.local_server import request, serving
from support.sample_connectors import CONNECTOR_SAMPLE

import lambda_function
from spiff_lambda_proxy.registry import Registry
from tools.local import server as local
from tools.local.context import LocalContext
from tools.local.function_url import function_url_event, http_answer


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
    event = function_url_event(
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
    binary = function_url_event("POST", "/", [("Content-Type", "image/png")], b"\x89PNG\xff")
    assert binary["isBase64Encoded"] is True
    assert "body" not in function_url_event("GET", "/", [], b"")


def test_answers_read_like_a_function_url_reads_them() -> None:
    status, headers, body = http_answer(
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
    assert http_answer({"just": "data"}) == (
        200,
        [("Content-Type", "application/json")],
        b'{"just": "data"}',
    )


def test_context_counts_down_and_never_below_zero() -> None:
    context = LocalContext(timeout_seconds=5)
    assert 0 < context.get_remaining_time_in_millis() <= 5000
    assert context.invoked_function_arn.endswith(":function:spiff-connector-proxy")
    assert context.aws_request_id != LocalContext().aws_request_id
    assert LocalContext(timeout_seconds=0).get_remaining_time_in_millis() == 0


def test_load_handler_is_the_lambda_entry_point() -> None:
    assert local.load_handler() is lambda_function.lambda_handler


def test_a_burst_of_connections_waits_in_the_backlog_instead_of_being_reset(sample: Registry) -> None:
    server = local.make_server("127.0.0.1", 0, timeout_seconds=30)
    waiting: list[socket.socket] = []
    try:
        # Nothing accepts yet, so every connection must fit in the listen backlog (the standard
        # library's is 5: the 7th connect would hang, then fail).
        for _ in range(100):
            waiting.append(socket.create_connection(("127.0.0.1", server.server_port), timeout=2))
        for _ in serving(server):
            for sock in waiting:
                sock.sendall(b"GET /v1/liveness HTTP/1.1\r\nHost: localhost\r\n\r\n")
            answers = [sock.makefile("rb").read() for sock in waiting]
    finally:
        for sock in waiting:
            sock.close()
    assert all(answer.startswith(b"HTTP/1.1 200 ") and answer.endswith(b'{"ok":true}') for answer in answers)


def test_a_burst_of_100_concurrent_requests_is_answered_without_a_reset(served: str) -> None:
    start = threading.Barrier(100)
    statuses: list[int] = []
    errors: list[str] = []

    def one() -> None:
        start.wait(10)
        try:
            statuses.append(request(served, "GET", "/v1/liveness").status)
        except OSError as error:
            errors.append(repr(error))

    clients = [threading.Thread(target=one) for _ in range(100)]
    for client in clients:
        client.start()
    for client in clients:
        client.join(30)
    assert errors == []
    assert statuses == [200] * 100
