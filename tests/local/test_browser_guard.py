"""`make serve` against web pages, over real HTTP with the headers a browser sends.

A page in the developer's browser can send "simple" requests to the local server without asking
(a `text/plain` POST, a form, an image's GET), and a DNS-rebinding page reaches it under its own
host name. Each such request must be refused with a JSON answer before anything runs: the upstream
the command would have called must get nothing. SpiffArena's backend (no Origin; Host localhost,
127.0.0.1 or host.docker.internal), curl and the OAuth callback's navigation keep working.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from typing import Any

import pytest
from support.local_server import Reply as Answer
from support.local_server import request, serving
from support.upstream import Reply, Upstream

from spiff_lambda_proxy.messages import Headers
from spiff_lambda_proxy.settings import Settings
from tools.local import browser_guard
from tools.local import server as local

COMMAND = "/v1/do/http/GetRequestV2"


@pytest.fixture
def upstream(monkeypatch: pytest.MonkeyPatch) -> Iterator[Upstream]:
    """What the command would call: a request reaching it means the command ran."""
    monkeypatch.setenv("HTTP_CONNECTOR_ALLOWED_HOSTS", "127.0.0.1")
    server = Upstream()
    server.script("/hit", Reply.json({"hit": True}))
    yield server
    server.close()


@pytest.fixture
def served(upstream: Upstream) -> Iterator[str]:
    yield from serving(local.make_server("127.0.0.1", 0, timeout_seconds=30))


def port_of(url: str) -> int:
    return int(url.rsplit(":", 1)[1])


def command_body(upstream: Upstream) -> bytes:
    return json.dumps({"url": upstream.url("/hit")}).encode()


def assert_refused(answer: Answer, status: int, error_code: str) -> None:
    assert answer.status == status, answer
    assert answer.headers["Content-Type"] == "application/json"
    assert answer.json["error"]["error_code"] == error_code
    assert "Access-Control-Allow-Origin" not in answer.headers
    assert "Traceback" not in answer.text


# --- what must keep working ---------------------------------------------------------------------


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "host.docker.internal", "LOCALHOST.", None])
@pytest.mark.parametrize("content_type", ["application/json", "application/x-www-form-urlencoded"])
def test_spiffarenas_backend_and_curl_run_commands(
    host: str | None, content_type: str, served: str, upstream: Upstream
) -> None:
    # SpiffArena's backend sends JSON and no Origin; `curl -d` sends the form type.
    headers = {"Content-Type": content_type}
    if host is not None:
        headers["Host"] = f"{host}:{port_of(served)}"
    answer = request(served, "POST", COMMAND, command_body(upstream), headers)
    assert answer.status == 200, answer
    assert answer.json["command_response"]["body"] == {"hit": True}
    assert upstream.paths() == ["/hit"]


def test_a_request_without_host_is_answered_as_the_servers_own_address(served: str) -> None:
    with socket.create_connection(("127.0.0.1", port_of(served)), timeout=10) as sock:
        sock.sendall(b"GET /v1/liveness HTTP/1.0\r\n\r\n")
        answer = sock.makefile("rb").read()
    assert answer.startswith(b"HTTP/1.1 200 ")


def test_reading_needs_no_allowed_origin(served: str) -> None:
    # A page may ask; the browser shows it nothing without CORS headers.
    answer = request(served, "GET", "/v1/commands", headers={"Origin": "http://localhost:3000"})
    assert answer.status == 200 and "Access-Control-Allow-Origin" not in answer.headers


def test_the_oauth_callback_arrives_as_a_navigation_from_the_provider(served: str) -> None:
    navigation = {"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "document"}
    answer = request(served, "GET", "/v1/auth/demo/OAuth/callback?code=c&state=s", headers=navigation)
    # The sign-in's own answer (no such auth here), not the guard's.
    assert answer.status == 404 and "auth_not_found" in answer.text


def test_a_listed_origin_may_call_from_a_browser(
    served: str, upstream: Upstream, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CONNECTOR_PROXY_CORS_ORIGINS", "http://localhost:3000")
    page = {"Origin": "http://localhost:3000", "Sec-Fetch-Site": "same-site"}
    preflight = request(served, "OPTIONS", COMMAND, headers={**page, "Access-Control-Request-Method": "POST"})
    assert preflight.status == 204
    assert preflight.headers["Access-Control-Allow-Origin"] == "http://localhost:3000"
    answer = request(served, "POST", COMMAND, command_body(upstream), {**page, "Content-Type": "text/plain"})
    assert answer.status == 200 and answer.headers["Access-Control-Allow-Origin"] == "http://localhost:3000"
    assert upstream.paths() == ["/hit"]


def test_a_listed_host_name_is_answered(
    served: str, upstream: Upstream, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CONNECTOR_PROXY_HOST_NAMES", "proxy.test")
    headers = {"Host": f"Proxy.Test:{port_of(served)}", "Content-Type": "application/json"}
    assert request(served, "POST", COMMAND, command_body(upstream), headers).status == 200


# --- what a web page sends: refused, nothing run ------------------------------------------------


@pytest.mark.parametrize(
    "host",
    ["evil.example", "rebind.attacker.example:7004", "localhost.evil.example", "127.0.0.1.nip.io", "x:y"],
)
@pytest.mark.parametrize(("method", "path"), [("POST", COMMAND), ("GET", "/v1/commands"), ("GET", "/")])
def test_a_host_that_is_not_this_machine_is_refused(
    host: str, method: str, path: str, served: str, upstream: Upstream
) -> None:
    # A DNS-rebinding page: the browser sends its own host name, and its requests are same-origin.
    body = command_body(upstream) if method == "POST" else None
    answer = request(served, method, path, body, {"Host": host, "Content-Type": "text/plain"})
    assert_refused(answer, 421, "misdirected_request")
    assert upstream.requests == []


@pytest.mark.parametrize(
    "headers",
    [
        # fetch(url, {method: "POST", mode: "no-cors", body: "..."}) from another port of localhost
        {"Origin": "http://localhost:8080", "Sec-Fetch-Site": "same-site", "Content-Type": "text/plain"},
        # an auto-submitted <form enctype="text/plain" method="post"> on another site
        {"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site", "Content-Type": "text/plain"},
        # the same from a sandboxed frame or a file:// page
        {"Origin": "null", "Content-Type": "application/x-www-form-urlencoded"},
        # a browser that sends Fetch Metadata but (unusually) no Origin
        {"Sec-Fetch-Site": "cross-site", "Content-Type": "text/plain"},
        # the same origin as the server's: still not a listed one
        {"Origin": "http://127.0.0.1", "Content-Type": "application/json"},
    ],
    ids=["no-cors-fetch", "text-plain-form", "null-origin", "fetch-metadata-only", "own-host"],
)
def test_a_web_page_cannot_run_a_command(headers: dict[str, str], served: str, upstream: Upstream) -> None:
    answer = request(served, "POST", COMMAND, command_body(upstream), headers)
    assert_refused(answer, 403, "browser_origin_not_allowed")
    assert upstream.requests == []


@pytest.mark.parametrize(
    "headers",
    [
        {"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "no-cors", "Sec-Fetch-Dest": "image"},  # <img src>
        {"Sec-Fetch-Site": "same-site", "Sec-Fetch-Mode": "navigate"},  # a link from another local app
        {"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"},  # fetch(url, {mode: "cors"})
    ],
    ids=["image", "link", "cors-fetch"],
)
def test_a_web_page_cannot_run_a_command_with_get_either(
    headers: dict[str, str], served: str, upstream: Upstream
) -> None:
    answer = request(served, "GET", f"{COMMAND}?url={upstream.url('/hit')}", headers=headers)
    assert_refused(answer, 403, "browser_origin_not_allowed")
    assert upstream.requests == []


@pytest.mark.parametrize("cors", ["", "http://localhost:3000"])
def test_no_preflight_is_granted_to_a_page_nobody_listed(
    cors: str, served: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if cors:
        monkeypatch.setenv("CONNECTOR_PROXY_CORS_ORIGINS", cors)
    headers = {
        "Origin": "https://evil.example",
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type",
    }
    assert_refused(request(served, "OPTIONS", COMMAND, headers=headers), 403, "browser_origin_not_allowed")


def test_other_methods_from_a_page_are_refused_too(served: str) -> None:
    for method in ("PUT", "DELETE", "PATCH"):
        headers = {"Origin": "https://evil.example"}
        assert_refused(
            request(served, method, "/v1/commands", headers=headers), 403, "browser_origin_not_allowed"
        )


def test_the_refusals_are_logged_for_the_developer(served: str, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level("WARNING", logger="tools.local"):
        request(served, "POST", COMMAND, b"{}", {"Origin": "https://evil.example"})
    assert "refused POST /v1/do/http/GetRequestV2 (Host 127.0.0.1" in caplog.text
    assert "Origin https://evil.example): browser_origin_not_allowed" in caplog.text


# --- the rule for the address it listens on -------------------------------------------------------


@pytest.mark.parametrize(
    ("listening_on", "host", "allowed"),
    [
        ("mybox.lan", "mybox.lan:7004", True),
        ("mybox.lan", "MYBOX.LAN.", True),
        ("mybox.lan", "other.lan:7004", False),
        ("0.0.0.0", "192.168.1.20:7004", True),
        ("::", "[fe80::1]:7004", True),
        ("127.0.0.1", "app.localhost:7004", True),
        ("127.0.0.1", "localhost.example", False),
    ],
)
def test_a_host_names_this_machine_when(listening_on: str, host: str, allowed: bool) -> None:
    settings: Any = Settings.from_environ({})
    refusal = browser_guard.refusal("GET", Headers([("Host", host)]), listening_on, settings)
    assert (refusal is None) is allowed


def test_make_serve_warns_when_every_origin_is_allowed(monkeypatch: pytest.MonkeyPatch) -> None:
    from spiff_lambda_proxy.registry import registry
    from tools.local import banner

    monkeypatch.setenv("CONNECTOR_PROXY_CORS_ORIGINS", "*")
    lines = banner.banner("http://127.0.0.1:7004", "127.0.0.1", registry(), 30, reload=False)
    warning = "CONNECTOR_PROXY_CORS_ORIGINS=* lets any web page you open run commands"
    assert any(warning in line for line in lines)


def test_a_second_host_header_is_refused(served: str, upstream: Upstream) -> None:
    port = port_of(served)
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(
            f"GET /v1/liveness HTTP/1.1\r\nHost: localhost:{port}\r\nHost: evil.example\r\n\r\n".encode()
        )
        answer = sock.makefile("rb").read()
    assert answer.startswith(b"HTTP/1.1 421 ") and b"misdirected_request" in answer
