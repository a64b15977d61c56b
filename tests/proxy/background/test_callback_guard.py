"""The callback is an outbound request like any other: destination rules, no proxies, bounded in time.

Behind the socket tripwire (conftest): a connect anywhere but this machine's
loopback fails the test, and names resolve through its fake DNS.
"""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from support.background import SPIFFARENA_HOST, Stubbed
from support.lambda_events import invoke, lambda_context
from support.sample_connectors import CONNECTOR_SAMPLE
from support.tripwire import Tripwire
from support.upstream import Reply, Upstream

import lambda_function
from spiff_lambda_proxy.background import event as run_event
from spiff_lambda_proxy.background.worker import RunFailed
from spiff_lambda_proxy.registry import Registry

SECRET = "signing-secret"
PROXY_KEY = {"Spiff-Connector-Proxy-Api-Key": "proxy-key"}


@pytest.fixture(autouse=True)
def settings(monkeypatch: pytest.MonkeyPatch, extra_connectors: Callable[[dict[str, str]], Registry]) -> None:
    extra_connectors(CONNECTOR_SAMPLE)
    monkeypatch.setenv("CONNECTOR_PROXY_API_KEY", "proxy-key")
    monkeypatch.setenv("CONNECTOR_PROXY_TASK_SECRET", SECRET)
    # No SpiffArena key, so no SPIFFARENA_CALLBACK_ORIGINS needed: the destination rules judge every
    # callback alike (the origins a key requires are test_start's).
    monkeypatch.setenv("CONNECTOR_PROXY_CALLBACK_BACKOFF_SECONDS", "0.01")


@pytest.fixture
def upstream() -> Iterator[Upstream]:
    with Upstream() as server:
        yield server


def start_in_background(url: str) -> Any:
    body = {"message": "hi", "spiff__callback_url": url, "spiff__proxy_background": True}
    return invoke("function-url", "POST", "/v1/do/sample/Echo", body=body, headers=PROXY_KEY)


def event_to(url: str) -> dict[str, Any]:
    the_run = run_event.Run(str(uuid.uuid4()), "sample/Echo", {"message": "hi"}, {}, url, int(time.time()))
    event: dict[str, Any] = json.loads(run_event.encode(the_run, SECRET))
    return event


@pytest.mark.parametrize(
    ("url", "allowed", "reason"),
    [
        ("http://127.0.0.1:7000/cb", "", "127.0.0.1 is a loopback address"),
        ("http://localhost:7000/cb", "", "is a loopback address"),
        ("http://169.254.169.254/latest/meta-data/", "127.0.0.1", "169.254.169.254 is a link-local address"),
        ("http://[::ffff:169.254.169.254]/x", "", "169.254.169.254 is a link-local address"),
        ("http://0.0.0.0:7000/cb", "", "0.0.0.0 is an unspecified address"),
        ("http://metadata.test/x", "", "169.254.169.254 is a link-local address"),
        ("http://127.0.0.1:9001/2018-06-01/runtime/invocation/next", "127.0.0.1", "the Lambda Runtime API"),
        (f"https://{SPIFFARENA_HOST}/cb", "", f"{SPIFFARENA_HOST} is listed in HTTP_CONNECTOR_DENIED_HOSTS"),
    ],
)
def test_forbidden_callback_destinations_are_refused_before_any_202(
    lambda_stub: Stubbed,
    tripwire: Tripwire,
    monkeypatch: pytest.MonkeyPatch,
    url: str,
    allowed: str,
    reason: str,
) -> None:
    monkeypatch.setenv("HTTP_CONNECTOR_ALLOWED_HOSTS", allowed)
    monkeypatch.setenv("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9001")
    monkeypatch.setenv("HTTP_CONNECTOR_DENIED_HOSTS", SPIFFARENA_HOST)
    tripwire.fake_dns["metadata.test"] = ["169.254.169.254"]
    answer = start_in_background(url)
    assert answer.status == 400, answer
    assert answer.json["error"]["error_code"] == "callback_url_not_allowed"
    assert reason in answer.json["error"]["message"]
    assert lambda_stub.calls == [] and tripwire.connects == []


def test_an_allowed_destination_starts(lambda_stub: Stubbed, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTP_CONNECTOR_ALLOWED_HOSTS", "127.0.0.1")
    lambda_stub.expect_invoke(2)
    assert start_in_background("http://127.0.0.1:7000/v1.0/tasks/1/x/callback").status == 202
    assert start_in_background(f"https://{SPIFFARENA_HOST}/v1.0/tasks/1/x/callback").status == 202


def test_a_host_that_does_not_resolve_is_refused_before_any_202(
    lambda_stub: Stubbed, monkeypatch: pytest.MonkeyPatch
) -> None:
    behind_the_tripwire = socket.getaddrinfo

    def no_such_name(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host == "nowhere.invalid":
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return behind_the_tripwire(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", no_such_name)
    answer = start_in_background("https://nowhere.invalid/v1.0/tasks/1/x/callback")
    assert (answer.status, answer.json["error"]["error_code"]) == (400, "invalid_callback_url")
    assert "nowhere.invalid does not resolve" in answer.json["error"]["message"]
    assert lambda_stub.calls == []


def test_dns_that_changes_after_the_start_is_judged_again_at_delivery(
    lambda_stub: Stubbed, tripwire: Tripwire, monkeypatch: pytest.MonkeyPatch, upstream: Upstream
) -> None:
    monkeypatch.setenv("HTTP_CONNECTOR_ALLOWED_HOSTS", "127.0.0.1")
    tripwire.fake_dns["rebind.test"] = ["127.0.0.1", "169.254.169.254"]
    lambda_stub.expect_invoke()
    url = f"http://rebind.test:{upstream.port}/v1.0/tasks/1/x/callback"
    assert start_in_background(url).status == 202
    with pytest.raises(RunFailed, match=r"\[destination_refused\].*169.254.169.254 is a link-local address"):
        lambda_function.lambda_handler(lambda_stub.payload(), lambda_context())
    assert upstream.requests == [] and "169.254.169.254" not in tripwire.connects


def test_proxy_settings_in_the_environment_are_never_used(
    monkeypatch: pytest.MonkeyPatch, upstream: Upstream, loopback_callbacks: None
) -> None:
    with Upstream() as proxy:
        for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
            monkeypatch.setenv(name, proxy.base_url)
        monkeypatch.delenv("NO_PROXY", raising=False)
        monkeypatch.delenv("no_proxy", raising=False)
        url = upstream.script("/v1.0/tasks/1/x/callback", Reply.json({"ok": True}))
        result = lambda_function.lambda_handler(event_to(url), lambda_context())
    assert result["outcome"] == "delivered"
    assert proxy.requests == [] and proxy.connections == 0
    assert [seen.method for seen in upstream.requests] == ["PUT"]


def test_a_redirect_is_not_followed_not_even_to_the_metadata_service(
    upstream: Upstream, tripwire: Tripwire, loopback_callbacks: None
) -> None:
    url = upstream.script("/cb", Reply.redirect("http://169.254.169.254/latest/meta-data/", 307))
    with pytest.raises(RunFailed, match=r"\[refused\].*HTTP 307.*not followed"):
        lambda_function.lambda_handler(event_to(url), lambda_context())
    assert len(upstream.requests) == 1 and "169.254.169.254" not in tripwire.connects


@pytest.mark.parametrize("reply", [Reply.hang(), Reply.trickle(1000, declared=False)])
def test_a_server_that_never_finishes_cannot_hold_the_worker_past_its_time(
    upstream: Upstream, loopback_callbacks: None, reply: Reply
) -> None:
    url = upstream.script("/cb", reply)
    started = time.monotonic()
    # 2.5 s left: 1 s is kept to answer, so delivery has 1.5 s, whatever the per-attempt timeout (30 s).
    with pytest.raises(RunFailed, match=r"\[unreachable\]"):
        lambda_function.lambda_handler(event_to(url), lambda_context(remaining_ms=2_500))
    assert time.monotonic() - started < 2.5


def test_a_status_line_dripped_a_byte_at_a_time_is_cut_at_the_deadline(loopback_callbacks: None) -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        stop = threading.Event()

        def drip() -> None:
            while not stop.is_set():
                try:
                    connection, _ = listener.accept()
                except OSError:
                    return
                with connection:
                    connection.recv(65536)
                    for byte in b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n":
                        if stop.wait(0.25):
                            return
                        try:
                            connection.sendall(bytes([byte]))
                        except OSError:
                            break

        threading.Thread(target=drip, daemon=True).start()
        url = f"http://127.0.0.1:{listener.getsockname()[1]}/cb"
        started = time.monotonic()
        try:
            with pytest.raises(RunFailed, match=r"\[unreachable\]"):
                lambda_function.lambda_handler(event_to(url), lambda_context(remaining_ms=2_500))
        finally:
            stop.set()
        assert time.monotonic() - started < 2.5


def test_a_huge_answer_is_not_read(upstream: Upstream, loopback_callbacks: None) -> None:
    url = upstream.script("/cb", Reply.stream(200 * 1024 * 1024, "application/json"))
    result = lambda_function.lambda_handler(event_to(url), lambda_context())
    assert (result["outcome"], result["callback_status"]) == ("delivered", 200)


def test_credentials_and_query_of_the_url_never_reach_messages_or_logs(
    caplog: pytest.LogCaptureFixture, lambda_stub: Stubbed, monkeypatch: pytest.MonkeyPatch
) -> None:
    caplog.set_level(logging.DEBUG)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://admin:pa55word@127.0.0.1:{port}/v1.0/tasks/1/x/callback?token=s3cret-token"
    refused = start_in_background(url)  # loopback is not allowed yet
    assert refused.status == 400
    monkeypatch.setenv("HTTP_CONNECTOR_ALLOWED_HOSTS", "127.0.0.1")
    with pytest.raises(RunFailed) as failure:  # nothing listens on that port
        lambda_function.lambda_handler(event_to(url), lambda_context())
    assert "ConnectionRefusedError" in str(failure.value)
    for secret in ("pa55word", "s3cret-token", "admin"):
        assert secret not in refused.text and secret not in str(failure.value) and secret not in caplog.text
