"""exchange.send: one guarded request with a total deadline, against real and hostile loopback servers.

Behind the socket tripwire: nothing but loopback can be reached, and every
refusal is shown to happen before any connect.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.drip import DripRelay
from support.tripwire import Tripwire
from support.upstream import Reply, Upstream, make_certificate

from spiff_outbound import exchange, transport
from spiff_outbound.destinations import DestinationRefused, InvalidDestination, Policy, check_url

OPEN = Policy.from_settings({"HTTP_CONNECTOR_ALLOWED_HOSTS": "127.0.0.1, localhost"}.get)


@pytest.fixture
def upstream(tripwire: Tripwire) -> Iterator[Upstream]:
    with Upstream() as server:
        yield server
    transport.close_session()


def soon(seconds: float) -> float:
    return time.time() + seconds


def test_one_request_and_its_answer(upstream: Upstream) -> None:
    answer = exchange.send(
        OPEN, "PUT", upstream.url("/echo"), deadline=soon(5), headers={"X-Key": "k1"}, body=b'{"a": 1}'
    )
    assert (answer.status, answer.reason, answer.headers["content-type"]) == (200, "OK", "application/json")
    echo = json.loads(answer.body)
    assert (echo["method"], echo["body"], echo["headers"]["x-key"]) == ("PUT", '{"a": 1}', "k1")


def test_redirects_are_answered_not_followed(upstream: Upstream) -> None:
    url = upstream.script("/moved", Reply.redirect(upstream.url("/echo"), status=307))
    answer = exchange.send(OPEN, "PUT", url, deadline=soon(5), body=b"{}")
    assert (answer.status, answer.headers["location"]) == (307, upstream.url("/echo"))
    assert upstream.paths() == ["/moved"]


def test_a_long_body_is_cut_at_the_limit(upstream: Upstream) -> None:
    url = upstream.script("/big", Reply.text("z" * 100_000))
    answer = exchange.send(OPEN, "GET", url, deadline=soon(5), max_body_bytes=1000)
    assert answer.body == b"z" * 1000


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:{port}/",
        "http://[::ffff:127.0.0.1]:{port}/",
        "http://0:{port}/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[64:ff9b::a9fe:a9fe]/latest/meta-data/",
        "http://[fd00:ec2::254]/",
    ],
)
def test_the_default_policy_refuses_before_any_connect(
    upstream: Upstream, tripwire: Tripwire, url: str
) -> None:
    with pytest.raises(DestinationRefused):
        exchange.send(Policy(), "PUT", url.format(port=upstream.port), deadline=soon(5), body=b"{}")
    with pytest.raises(DestinationRefused):
        check_url(Policy(), url.format(port=upstream.port))
    assert (upstream.connections, tripwire.connects) == (0, [])


def test_names_are_judged_by_what_they_resolve_to(upstream: Upstream, tripwire: Tripwire) -> None:
    tripwire.fake_dns["spiff.example.test"] = ["64:ff9b::a9fe:a9fe"]
    with pytest.raises(DestinationRefused, match=r"169\.254\.169\.254 is a link-local address"):
        exchange.send(OPEN, "PUT", "https://spiff.example.test/callback", deadline=soon(5))
    assert tripwire.connects == []
    tripwire.fake_dns["spiff.example.test"] = ["127.0.0.1"]
    check_url(OPEN, f"http://spiff.example.test:{upstream.port}/")  # allowed: no exception


@pytest.mark.parametrize("url", ["http://a..b/", "ftp://example.com/", "http://u:p/w@host/", "http:///x"])
def test_urls_nothing_can_be_sent_to(upstream: Upstream, tripwire: Tripwire, url: str) -> None:
    with pytest.raises(InvalidDestination):
        exchange.send(OPEN, "PUT", url, deadline=soon(5))
    assert set(tripwire.lookups) <= set() and tripwire.connects == []


def test_proxy_settings_in_the_environment_are_not_used(
    upstream: Upstream, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Upstream() as proxy:
        for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy"):
            monkeypatch.setenv(name, proxy.url("/"))
        transport.close_session()
        answer = exchange.send(OPEN, "PUT", upstream.url("/echo"), deadline=soon(5), body=b"{}")
        assert answer.status == 200
        assert proxy.requests == [] and len(upstream.requests) == 1


@pytest.mark.parametrize("reply", [Reply.hang(), Reply.trickle(200), Reply.trickle(200, declared=False)])
def test_a_slow_server_cannot_keep_the_caller_past_its_deadline(upstream: Upstream, reply: Reply) -> None:
    url = upstream.script("/slow", reply)
    started = time.monotonic()
    with pytest.raises(exchange.DeadlineReached):
        exchange.send(OPEN, "PUT", url, deadline=soon(0.6), timeout=30, body=b"{}")
    assert time.monotonic() - started < 1.6


def test_a_dripping_tls_handshake_ends_at_the_deadline(upstream: Upstream, tmp_path: Path) -> None:
    certificate, key = make_certificate(tmp_path, "localhost")
    with Upstream(tls=(certificate, key)) as secure, DripRelay(("127.0.0.1", secure.port), 0.05) as relay:
        url = f"https://localhost:{relay.port}/echo"
        started = time.monotonic()
        with pytest.raises(exchange.DeadlineReached):
            exchange.send(
                OPEN, "PUT", url, deadline=soon(1.0), timeout=30, verify=str(certificate), body=b"{}"
            )
        assert time.monotonic() - started < 2.0
        # The same server at full speed answers: the deadline, not the handshake, ended the first.
        secure.script("/ok", Reply.json({"tls": True}))
        fast = exchange.send(
            OPEN, "GET", f"https://localhost:{secure.port}/ok", deadline=soon(5), verify=str(certificate)
        )
        assert json.loads(fast.body) == {"tls": True}


def test_no_time_left_means_no_request(upstream: Upstream) -> None:
    with pytest.raises(exchange.DeadlineReached):
        exchange.send(OPEN, "PUT", upstream.url("/echo"), deadline=time.time() - 1)
    assert upstream.connections == 0


def test_connection_trouble_names_the_cause_never_the_url(upstream: Upstream) -> None:
    url = upstream.script("/drop", Reply.close())
    with pytest.raises(exchange.OutboundError) as raised:
        exchange.send(OPEN, "PUT", url + "?token=tok-secret-1", deadline=soon(5))
    assert not isinstance(raised.value, exchange.DeadlineReached)
    assert "tok-secret-1" not in str(raised.value) and "/drop" not in str(raised.value)
