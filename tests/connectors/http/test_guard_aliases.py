"""Addresses that alias or carry a forbidden one: judged by where the connect really goes.

Every test runs behind the socket tripwire: a connect to anything but loopback
(or a DNS lookup) is refused and fails the test, so even a broken guard sends
nothing off this machine. Each refusal is also proven to happen before any
connect (`tripwire.connects == []`) and allowed destinations are shown to work.
"""

from __future__ import annotations

from typing import Any

import pytest
from support.http_connector import get
from support.tripwire import Tripwire
from support.upstream import Reply, Upstream


def refusal(envelope: dict[str, Any]) -> str:
    assert envelope["error"]["error_code"] == "DestinationNotAllowed", envelope
    assert envelope["command_response"]["http_status"] == 403
    message: str = envelope["error"]["message"]
    return message


# Every way of writing an unspecified address that the C resolver accepts: on Linux a
# connect to any of them lands on this machine's loopback, where the upstream listens.
UNSPECIFIED = [
    "0.0.0.0",
    "0",
    "00",
    "0x0",
    "0.0",
    "0.0.0",
    "000.000.000.000",
    "0x0.0x0.0x0.0x0",
    "[::]",
    "[0:0:0:0:0:0:0:0]",
    "[::0]",
    "[::ffff:0.0.0.0]",
    "[::ffff:0:0]",
    "[0:0:0:0:0:ffff:0.0.0.0]",
]


@pytest.mark.parametrize("host", UNSPECIFIED)
@pytest.mark.parametrize("allowed", ["*", "0.0.0.0, ::", "0.0.0.0/8, ::/0, *"])
def test_unspecified_addresses_are_refused_whatever_is_allowed(
    upstream: Upstream, tripwire: Tripwire, monkeypatch: pytest.MonkeyPatch, host: str, allowed: str
) -> None:
    monkeypatch.setenv("HTTP_CONNECTOR_ALLOWED_HOSTS", allowed)
    message = refusal(get(f"http://{host}:{upstream.port}/echo"))
    assert "is an unspecified address (a connection to it reaches this machine itself)" in message
    assert (upstream.connections, tripwire.connects) == (0, [])


@pytest.mark.parametrize("answer", ["0.0.0.0", "::", "::ffff:0.0.0.0"])
def test_a_name_resolving_to_an_unspecified_address_is_refused(
    upstream: Upstream, tripwire: Tripwire, monkeypatch: pytest.MonkeyPatch, answer: str
) -> None:
    monkeypatch.setenv("HTTP_CONNECTOR_ALLOWED_HOSTS", "*")
    tripwire.fake_dns["anything.test"] = [answer]
    message = refusal(get(f"http://anything.test:{upstream.port}/echo"))
    assert "unspecified address" in message
    assert tripwire.connects == []


RUNTIME_API_ALIASES = [
    "127.0.0.1",
    "localhost",
    "127.0.0.2",
    "127.1",
    "2130706433",
    "0x7f.1",
    "017700000001",
    "[::1]",
    "[::ffff:127.0.0.1]",
    "[::ffff:7f00:1]",
    "[64:ff9b::7f00:1]",
    "[::127.0.0.1]",
]


@pytest.mark.parametrize("host", RUNTIME_API_ALIASES)
def test_the_runtime_api_port_is_closed_on_every_loopback_alias(
    upstream: Upstream, tripwire: Tripwire, monkeypatch: pytest.MonkeyPatch, host: str
) -> None:
    monkeypatch.setenv("HTTP_CONNECTOR_ALLOWED_HOSTS", "*, 127.0.0.0/8, ::1, localhost")
    monkeypatch.setenv("AWS_LAMBDA_RUNTIME_API", f"127.0.0.1:{upstream.port}")
    message = refusal(get(f"http://{host}:{upstream.port}/2018-06-01/runtime/invocation/next"))
    assert f"port {upstream.port} is the Lambda Runtime API" in message
    assert (upstream.connections, tripwire.connects) == (0, [])


def test_other_loopback_ports_stay_open_when_allowed(
    upstream: Upstream, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTP_CONNECTOR_ALLOWED_HOSTS", "*")
    monkeypatch.setenv("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9001")
    url = upstream.script("/ok", Reply.json({"ok": True}))
    for spelling in ("127.0.0.1", "localhost", "[::ffff:127.0.0.1]"):
        envelope = get(url.replace("127.0.0.1", spelling))
        assert envelope["error"] is None, envelope
        assert envelope["command_response"]["body"] == {"ok": True}
    assert len(upstream.requests) == 3


# IPv6 spellings that carry 10.1.2.3 (closed by the deny list below) in their bits.
CARRYING_10_1_2_3 = {
    "IPv4-mapped": "::ffff:10.1.2.3",
    "IPv4-translated": "::ffff:0:a01:203",
    "IPv4-compatible": "::10.1.2.3",
    "NAT64": "64:ff9b::10.1.2.3",
    "NAT64 local-use /96": "64:ff9b:1::a01:203",
    "NAT64 local-use /64": "64:ff9b:1:0:a:102:300:0",
    "NAT64 local-use /48": "64:ff9b:1:a01:2:300::",
    "6to4": "2002:a01:203::1",
    "Teredo": "2001:0:4136:e378:8000:63bf:f5fe:fdfc",
    "Teredo server": "2001:0:a01:203::1",
    "ISATAP": "2600:1f18::5efe:a01:203",
}


@pytest.mark.parametrize("address", CARRYING_10_1_2_3.values(), ids=CARRYING_10_1_2_3.keys())
def test_a_denied_range_is_judged_inside_ipv6_addresses(
    upstream: Upstream, tripwire: Tripwire, monkeypatch: pytest.MonkeyPatch, address: str
) -> None:
    monkeypatch.setenv("HTTP_CONNECTOR_DENIED_HOSTS", "10.0.0.0/8")
    message = refusal(get(f"http://[{address}]/"))
    assert "10.1.2.3 is listed in HTTP_CONNECTOR_DENIED_HOSTS" in message
    assert tripwire.connects == []


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("64:ff9b::169.254.169.254", "169.254.169.254 is a link-local address"),
        ("64:ff9b::a9fe:a9fe", "169.254.169.254 is a link-local address"),
        ("2002:a9fe:a9fe::", "169.254.169.254 is a link-local address"),
        ("::169.254.169.254", "169.254.169.254 is a link-local address"),
        ("::ffff:0:a9fe:a9fe", "169.254.169.254 is a link-local address"),
        ("64:ff9b::127.0.0.1", "127.0.0.1 is a loopback address"),
        ("2002:7f00:1::", "127.0.0.1 is a loopback address"),
    ],
)
def test_metadata_and_loopback_are_refused_inside_ipv6_addresses(
    upstream: Upstream, tripwire: Tripwire, address: str, reason: str
) -> None:
    message = refusal(get(f"http://[{address}]/latest/meta-data/"))
    assert " carries " in message and reason in message
    assert tripwire.connects == []


@pytest.mark.parametrize(
    ("answer", "settings", "reason"),
    [
        ("64:ff9b::a9fe:a9fe", {}, "carries 169.254.169.254 (NAT64): 169.254.169.254 is a link-local"),
        ("64:ff9b::7f00:1", {}, "carries 127.0.0.1 (NAT64): 127.0.0.1 is a loopback address"),
        ("64:ff9b::a00:5", {"HTTP_CONNECTOR_DENIED_HOSTS": "10.0.0.0/8"}, "10.0.0.5 is listed"),
        # Allowing the NAT64 prefix itself does not open what it carries.
        ("64:ff9b::a9fe:a9fe", {"HTTP_CONNECTOR_ALLOWED_HOSTS": "64:ff9b::/96"}, "is a link-local"),
    ],
)
def test_dns64_answers_for_ordinary_names_are_judged_by_the_ipv4_inside(
    upstream: Upstream,
    tripwire: Tripwire,
    monkeypatch: pytest.MonkeyPatch,
    answer: str,
    settings: dict[str, str],
    reason: str,
) -> None:
    for name, value in settings.items():
        monkeypatch.setenv(name, value)
    tripwire.fake_dns["api.example.test"] = [answer]
    message = refusal(get("https://api.example.test/v1/things"))
    assert message.startswith("Refused https://api.example.test:443: ") and reason in message
    assert tripwire.connects == []


@pytest.mark.parametrize(
    ("allowed", "target"),
    [
        ("127.0.0.1", "http://[64:ff9b::a9fe:a9fe]/latest/meta-data/"),
        ("127.0.0.1", "http://[::ffff:169.254.169.254]/latest/meta-data/"),
        ("127.0.0.1", "http://[2002:a9fe:a9fe::]/latest/meta-data/"),
        ("*", "http://0:{port}/echo"),
        ("*", "http://[::]:{port}/echo"),
        ("*", "http://[::ffff:0.0.0.0]:{port}/echo"),
    ],
)
def test_a_redirect_to_an_alias_is_refused(
    upstream: Upstream, tripwire: Tripwire, monkeypatch: pytest.MonkeyPatch, allowed: str, target: str
) -> None:
    monkeypatch.setenv("HTTP_CONNECTOR_ALLOWED_HOSTS", allowed)
    url = upstream.script("/hop", Reply.redirect(target.format(port=upstream.port)))
    message = refusal(get(url))
    assert message.startswith("Refused the redirect to "), message
    assert upstream.paths() == ["/hop"]
    assert set(tripwire.connects) == {"127.0.0.1"}


BROKEN_HOSTS = ["a..b", "." + "a" * 10, "x" * 64 + ".example", ("abcdefgh." * 30) + "com", "exa mple.com"]


@pytest.mark.parametrize("host", BROKEN_HOSTS)
def test_host_names_that_cannot_exist_are_invalid_arguments_without_a_lookup(
    upstream: Upstream, tripwire: Tripwire, host: str
) -> None:
    envelope = get(f"http://{host}/path")
    assert envelope["error"]["error_code"] == "InvalidArgument", envelope
    assert envelope["error"]["message"].startswith("Argument 'url' ")
    assert envelope["command_response"]["http_status"] == 400
    assert not tripwire.lookups and not tripwire.connects


@pytest.mark.parametrize("host", ["a..b", "y" * 64 + ".test"])
def test_a_redirect_to_a_host_that_cannot_exist_is_an_invalid_redirect(
    upstream: Upstream, tripwire: Tripwire, monkeypatch: pytest.MonkeyPatch, host: str
) -> None:
    monkeypatch.setenv("HTTP_CONNECTOR_ALLOWED_HOSTS", "127.0.0.1")
    url = upstream.script("/away", Reply.redirect(f"http://{host}/x"))
    envelope = get(url)
    assert envelope["error"]["error_code"] == "InvalidRedirect", envelope
    assert "has a host name" in envelope["error"]["message"]
    assert set(tripwire.lookups) == {"127.0.0.1"}


def test_an_internationalised_name_is_looked_up_as_its_ascii_form(
    upstream: Upstream, tripwire: Tripwire, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTP_CONNECTOR_ALLOWED_HOSTS", "127.0.0.1")
    tripwire.fake_dns["xn--bcher-kva.test"] = ["127.0.0.1"]
    url = upstream.script("/idn", Reply.json({"idn": True}))
    envelope = get(url.replace("127.0.0.1", "bücher.test"))
    assert envelope["error"] is None, envelope
    assert tripwire.lookups["xn--bcher-kva.test"] == 1
