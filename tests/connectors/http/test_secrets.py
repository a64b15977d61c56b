"""Secrets are never echoed, on any path (validation included), and stay with their origin on redirects.

Behind the socket tripwire, against a loopback upstream. Every case puts a
secret into the arguments where a careless message would quote it, and looks
for it in the answer and in every log record (captured at DEBUG).
"""

from __future__ import annotations

import logging
import string
from typing import Any

import pytest
from connector_http.redaction import CREDENTIAL_HEADERS
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.http_connector import envelope_of, failed, masked
from support.http_connector import run as run_command
from support.lambda_events import Answer, invoke
from support.upstream import Reply, Upstream

SECRET = "S3cr3tZq"
pytestmark = pytest.mark.usefixtures("loopback_opened")


def run(command: str, arguments: dict[str, Any]) -> Answer:
    return invoke("function-url", "POST", f"/v1/do/http/{command}", body=arguments)


def everything_said(answer: Answer, caplog: pytest.LogCaptureFixture) -> str:
    return answer.text + "\n" + "\n".join(record.getMessage() for record in caplog.records)


LEAKY_ARGUMENTS = [
    {"url": f"http://ada:{SECRET}@a..b/x"},
    {"url": "http://ada:pw1@a..b/x", "secret": "pw1"},  # too short to be scrubbed: must never be quoted
    {"url": f"http://ada:{SECRET}@{'x' * 64}.example/"},
    {"url": f"http://ada:{SECRET}/x@127.0.0.1/"},  # the "port" would be the password
    {"url": f"http://ada:{SECRET}?x@127.0.0.1/"},
    {"url": f"http://ada:{SECRET}#x@127.0.0.1/"},
    {"url": f"http://ada:{SECRET}@127.0.0.1:99999/"},
    {"url": f"http://ada:{SECRET}@[::1/"},
    {"url": f"ftp://ada:{SECRET}@example.com/"},
    {"url": f" http://ada:{SECRET}@exa mple.com/"},
    {"url": f"http://ada:{SECRET}\ud800@127.0.0.1/"},
    {"url": f"http://a..b/?access_token={SECRET}&page=2"},
    {"url": "http://a..b/", "headers": {"Authorization": f"Bearer {SECRET}"}},
    {"url": "http://127.0.0.1/", "headers": {f"Authorization: Bearer {SECRET}": "x"}},
    {"url": "http://127.0.0.1/", "headers": {f"X-Api-Key {SECRET}": "x"}},
    {"url": "http://127.0.0.1/", "headers": {f"X-Api-Key\n{SECRET}": "x"}},
    {"url": "http://127.0.0.1/", "headers": {"X-Api-Key\n": SECRET}},
    {"url": "http://127.0.0.1/", "headers": {"X-Api-Key": f"{SECRET}\r\nX-Injected: 1"}},
    {"url": "http://127.0.0.1/", "headers": {"X-Api-Key": f"{SECRET}☃"}},
    {"url": "http://127.0.0.1/", "headers": {"X-Note": f"{SECRET}☃"}},
    {"url": "http://127.0.0.1/", "params": {"api_key": f"{SECRET}\ud800"}},
    {"url": "http://127.0.0.1/", "basic_auth_username": "ada", "basic_auth_password": f"{SECRET}\ud800"},
]


@pytest.mark.parametrize("arguments", LEAKY_ARGUMENTS)
@pytest.mark.parametrize("command", ["GetRequestV2", "GetRequest"])
def test_no_message_quotes_a_secret_from_the_arguments(
    upstream: Upstream, caplog: pytest.LogCaptureFixture, command: str, arguments: dict[str, Any]
) -> None:
    caplog.set_level(logging.DEBUG)
    arguments = dict(arguments)
    secret = arguments.pop("secret", SECRET)
    answer = run(command, arguments)
    assert answer.json["error"]["error_code"] == "InvalidArgument", answer
    assert secret not in everything_said(answer, caplog)
    assert upstream.requests == []


@pytest.mark.parametrize(
    "location",
    [
        f"http://evil:{SECRET}@127.0.0.1:notaport/",
        f"http://evil:{SECRET}@a..b/",
        f"gopher://evil:{SECRET}@example.com/",
        f"http://evil:S3/{SECRET}@127.0.0.1/",
    ],
)
def test_a_broken_redirect_is_not_quoted_with_its_user_info(
    upstream: Upstream, caplog: pytest.LogCaptureFixture, location: str
) -> None:
    caplog.set_level(logging.DEBUG)
    url = upstream.script("/hop", Reply.redirect(location))
    answer = run("GetRequestV2", {"url": url})
    assert answer.json["error"]["error_code"] == "InvalidRedirect", answer
    assert SECRET not in everything_said(answer, caplog)


# Every name the connector masks as a credential, and a few it recognises by their look.
CREDENTIALS = [*CREDENTIAL_HEADERS, "X-Amz-Security-Token", "X-Session-Id", "X-Custom-Secret", "X-Signature"]


def test_a_cross_origin_redirect_drops_every_credential_header(upstream: Upstream) -> None:
    headers = {name: f"{SECRET}-{index}" for index, name in enumerate(CREDENTIALS)}
    headers |= {"X-Keep": "kept", "Accept": "application/json"}
    with Upstream() as other:
        upstream.script("/same", Reply.redirect("/echo"))
        upstream.script("/away", Reply.redirect(other.url("/echo")))
        same = run("GetRequestV2", {"url": upstream.url("/same"), "headers": headers}).json
        moved = run("GetRequestV2", {"url": upstream.url("/away"), "headers": headers}).json
    received_same = same["command_response"]["body"]["headers"]
    received_moved = moved["command_response"]["body"]["headers"]
    for name in CREDENTIALS:
        assert received_same[name.lower()].startswith(SECRET)  # the same origin gets them all
        assert name.lower() not in received_moved, name
    assert (received_moved["x-keep"], received_moved["accept"]) == ("kept", "application/json")
    assert SECRET not in str(same["spiff__logs"]) + str(moved["spiff__logs"])


@pytest.mark.parametrize("name", CREDENTIALS)
def test_one_list_masks_and_strips(upstream: Upstream, caplog: pytest.LogCaptureFixture, name: str) -> None:
    # What the redirect drops is what the logs mask: a value quoted by any message is scrubbed.
    url = upstream.script("/echo-secret", Reply.text(f"the server says {SECRET}-v", status=500))
    answer = run("GetRequestV2", {"url": url, "headers": {name: f"{SECRET}-v"}})
    assert (
        f"{SECRET}-v" in answer.json["command_response"]["body"]["raw_response"]
    )  # the upstream's body is data
    assert f"{SECRET}-v" not in str(answer.json["spiff__logs"]) + str(answer.json["error"])


MARK = "¤"  # no message of ours holds it: if one shows up, a secret leaked
tricky_secret = st.text(
    alphabet=string.ascii_letters + string.digits + "/?#@:[]%!$&'()*+,;= ", max_size=12
).map(lambda middle: f"{MARK}{middle}{MARK}")
broken_host = st.sampled_from(["a..b", "127.0.0.1:99999", "127.0.0.1:port", "[::1", "x" * 64 + ".test", ".x"])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(secret=tricky_secret, host=broken_host, where=st.sampled_from(["password", "user", "query", "header"]))
def test_a_secret_of_any_shape_in_a_broken_url_is_never_echoed(
    monkeypatch: pytest.MonkeyPatch, secret: str, host: str, where: str
) -> None:
    monkeypatch.setenv("HTTP_CONNECTOR_DENIED_HOSTS", "*")  # whatever parses, nothing is sent
    url = {
        "password": f"http://ada:{secret}@{host}/p",
        "user": f"http://{secret}@{host}/p",
        "query": f"http://{host}/p?token={secret}",
        "header": f"http://{host}/p",
    }[where]
    headers = {"Authorization": f"Bearer {secret}"} if where == "header" else {}
    for command in ("GetRequestV2", "PostRequest"):
        answer = run(command, {"url": url, "headers": headers})
        assert MARK not in answer.text, (url, answer.text)


def test_logs_say_what_happened_and_never_a_secret(
    upstream: Upstream, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    secrets = [
        "Bearer-tok-0123456789",
        "hunter2-pw",
        "url-pass-77",
        "qs-key-99",
        "param-token-55",
        "cookie-val-66",
    ]
    upstream.script("/fail", Reply.text("down", 500), Reply.close())
    url = f"http://someone:url-pass-77@127.0.0.1:{upstream.port}/fail?api_key=qs-key-99&page=2"
    answer = run_command(
        "GetRequestV2",
        url=url,
        params={"access_token": "param-token-55", "q": "tea"},
        headers={"Authorization": "Bearer Bearer-tok-0123456789", "Cookie": "sid=cookie-val-66"},
        basic_auth_username="ada",
        basic_auth_password="hunter2-pw",
        attempts=2,
    )
    envelope, logs = envelope_of(answer)
    assert masked(envelope) == failed("ConnectionError", 500)
    seen_by_upstream = upstream.requests[0]
    assert seen_by_upstream.query == "api_key=qs-key-99&page=2&access_token=param-token-55&q=tea"
    safe = f"http://***@127.0.0.1:{upstream.port}/fail?api_key=***&page=2&access_token=***&q=tea"
    assert [line.split("] ", 1)[1] for line in logs if line.split("] ", 1)[1].startswith("GET")] == [
        f"GET {safe} (attempt 1 of 2)",
        f"GET {safe} (attempt 2 of 2)",
    ]
    assert any("-> 500 Internal Server Error" in line for line in logs)
    everything = answer.text + "\n".join(record.getMessage() for record in caplog.records)
    for secret in secrets:
        assert secret not in everything
