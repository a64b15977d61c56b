"""The destination guard: loopback, link-local, metadata and the Lambda Runtime API are refused.

Every test here runs behind the socket tripwire, so even a broken guard cannot
send a packet off this machine: targets are loopback or link-local only, and a
connect anywhere else (or a DNS lookup) is refused and fails the test.
Names resolve through /etc/hosts (`localhost`) or the tripwire's fake DNS.
"""

from __future__ import annotations

import ipaddress
import re
import sys
from typing import Any

import pytest
from support.http_connector import get
from support.tripwire import Tripwire
from support.upstream import Reply, Upstream

from spiff_outbound.destinations import HostList, Policy


def refused(envelope: dict[str, Any]) -> str:
    """The refusal message, after checking the envelope is exactly a refusal."""
    error = envelope["error"]
    assert envelope["command_response"] == {"body": {}, "mimetype": "application/json", "http_status": 403}
    assert error["error_code"] == "DestinationNotAllowed"
    message: str = error["message"]
    assert message.endswith("Add it to HTTP_CONNECTOR_ALLOWED_HOSTS if this connector should reach it.")
    return message


def test_loopback_is_refused_by_default(upstream: Upstream) -> None:
    message = refused(get(upstream.url("/echo")))
    assert message.startswith(f"Refused {upstream.base_url}: 127.0.0.1 is a loopback address.")
    assert upstream.connections == 0


def test_a_name_resolving_to_loopback_is_refused(upstream: Upstream) -> None:
    message = refused(get(f"http://localhost:{upstream.port}/echo"))
    assert message.startswith(f"Refused http://localhost:{upstream.port}: 127.0.0.1 is a loopback address.")
    assert upstream.connections == 0


def test_a_redirect_to_the_metadata_service_is_refused(
    upstream: Upstream, tripwire: Tripwire, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTP_CONNECTOR_ALLOWED_HOSTS", "127.0.0.1")
    url = upstream.script("/innocent", Reply.redirect("http://169.254.169.254/latest/meta-data/iam/"))
    envelope = get(url)
    message = refused(envelope)
    assert message.startswith(
        "Refused the redirect to http://169.254.169.254:80: 169.254.169.254 is a link-local"
    )
    assert upstream.paths() == ["/innocent"]
    assert "169.254.169.254" not in tripwire.connects


@pytest.mark.parametrize(
    "allowed", ["127.0.0.1", "localhost", "LOCALHOST.", "127.0.0.0/8", "*", "*host", "example.org, 127.0.0.1"]
)
def test_the_allow_list_opens_a_destination(
    upstream: Upstream, monkeypatch: pytest.MonkeyPatch, allowed: str
) -> None:
    monkeypatch.setenv("HTTP_CONNECTOR_ALLOWED_HOSTS", allowed)
    url = upstream.script("/hello", Reply.json({"hi": 1}))
    envelope = get(url.replace("127.0.0.1", "localhost"))
    assert envelope["error"] is None, envelope
    assert envelope["command_response"]["body"] == {"hi": 1}


@pytest.mark.parametrize("denied", ["localhost", "127.0.0.0/8", "127.0.0.1", "*"])
def test_the_deny_list_wins(upstream: Upstream, monkeypatch: pytest.MonkeyPatch, denied: str) -> None:
    monkeypatch.setenv("HTTP_CONNECTOR_ALLOWED_HOSTS", "localhost, 127.0.0.1")
    monkeypatch.setenv("HTTP_CONNECTOR_DENIED_HOSTS", denied)
    message = refused(get(f"http://localhost:{upstream.port}/"))
    assert "is listed in HTTP_CONNECTOR_DENIED_HOSTS" in message
    assert upstream.connections == 0


def test_the_lambda_runtime_api_stays_refused_when_loopback_is_open(
    upstream: Upstream, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTP_CONNECTOR_ALLOWED_HOSTS", "*")
    monkeypatch.setenv("AWS_LAMBDA_RUNTIME_API", f"127.0.0.1:{upstream.port}")
    for host in ("127.0.0.1", "localhost"):
        message = refused(get(f"http://{host}:{upstream.port}/2018-06-01/runtime/invocation/next"))
        assert f"127.0.0.1 port {upstream.port} is the Lambda Runtime API" in message
    assert upstream.connections == 0
    with Upstream() as other:  # another port on loopback is opened by "*"
        assert get(other.url("/echo"))["error"] is None


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://169.254.169.254/latest/meta-data/", "169.254.169.254 is a link-local address"),
        ("http://169.254.170.2/v2/credentials/x", "169.254.170.2 is a link-local address"),
        ("http://[fd00:ec2::254]/latest/meta-data/", "fd00:ec2::254 is the EC2 instance metadata service"),
        ("http://[fe80::1]/", "fe80::1 is a link-local address"),
        ("http://[::1]:{port}/", "::1 is a loopback address"),
        ("http://[::ffff:127.0.0.1]:{port}/", "127.0.0.1 is a loopback address"),
        ("http://0.0.0.0:{port}/", "0.0.0.0 is an unspecified address"),
        ("http://2130706433:{port}/", "127.0.0.1 is a loopback address"),
        ("http://0x7f.1:{port}/", "127.0.0.1 is a loopback address"),
        ("http://127.1:{port}/", "127.0.0.1 is a loopback address"),
    ],
)
def test_every_spelling_of_an_internal_address_is_refused(
    upstream: Upstream, tripwire: Tripwire, url: str, reason: str
) -> None:
    message = refused(get(url.format(port=upstream.port)))
    assert reason in message
    assert upstream.connections == 0
    assert tripwire.connects == []


def test_the_checked_address_is_the_one_connected_to(
    upstream: Upstream, tripwire: Tripwire, monkeypatch: pytest.MonkeyPatch
) -> None:
    # DNS rebinding: a name answers an allowed address when checked, an internal one
    # right after. Resolving once and connecting to that answer defeats it.
    monkeypatch.setenv("HTTP_CONNECTOR_ALLOWED_HOSTS", "127.0.0.1")
    tripwire.fake_dns["rebind.test"] = ["127.0.0.1", "169.254.169.254"]
    url = upstream.script("/data", Reply.json({"from": "upstream"}))
    envelope = get(url.replace("127.0.0.1", "rebind.test"))
    assert envelope["error"] is None, envelope
    assert tripwire.lookups["rebind.test"] == 1
    assert upstream.requests[0].headers["host"] == f"rebind.test:{upstream.port}"
    # The next lookup would answer the metadata address: a new connection is refused.
    transport = sys.modules["spiff_outbound.transport"]
    transport.close_session()
    message = refused(get(url.replace("127.0.0.1", "rebind.test")))
    assert "169.254.169.254 is a link-local address" in message
    assert "169.254.169.254" not in tripwire.connects


def test_a_name_answering_an_internal_address_is_refused_without_connecting(
    upstream: Upstream, tripwire: Tripwire
) -> None:
    tripwire.fake_dns["metadata.test"] = ["169.254.169.254"]
    message = refused(get("http://metadata.test/latest/meta-data/"))
    assert message.startswith("Refused http://metadata.test:80: 169.254.169.254 is a link-local address")
    assert tripwire.connects == []


def test_a_changed_policy_does_not_reuse_connections_checked_under_the_old_one(
    upstream: Upstream, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTP_CONNECTOR_ALLOWED_HOSTS", "127.0.0.1")
    url = upstream.script("/x", Reply.json({}))
    assert get(url)["error"] is None
    monkeypatch.delenv("HTTP_CONNECTOR_ALLOWED_HOSTS")
    refused(get(url))
    assert len(upstream.requests) == 1


# The policy on its own, for what the tripwire would not let a test reach.


def ip(text: str) -> Any:
    return ipaddress.ip_address(text)


def test_private_ranges_are_open_by_default_and_can_be_closed() -> None:
    policy = Policy()
    for address in ("10.1.2.3", "172.16.0.9", "192.168.1.1", "100.64.0.1", "8.8.8.8", "2600::1"):
        assert policy.refusal("db.internal", ip(address), 5432) is None
    closed = Policy(denied=HostList.parse("10.0.0.0/8, *.internal", "HTTP_CONNECTOR_DENIED_HOSTS"))
    assert (
        closed.refusal("x.example", ip("10.1.2.3"), 443)
        == "10.1.2.3 is listed in HTTP_CONNECTOR_DENIED_HOSTS"
    )
    assert closed.refusal_by_name("db.internal") == "db.internal is listed in HTTP_CONNECTOR_DENIED_HOSTS"
    assert closed.refusal("db.example", ip("192.168.1.1"), 443) is None


def test_wildcards_match_subdomains_only() -> None:
    allowed = HostList.parse("*.corp.example", "HTTP_CONNECTOR_ALLOWED_HOSTS")
    assert allowed.matches("api.corp.example")
    assert allowed.matches("a.b.corp.example.")
    assert not allowed.matches("corp.example")
    assert not allowed.matches("evilcorp.example")


def documented_private_ranges() -> str:
    """The value docs/http.md gives HTTP_CONNECTOR_DENIED_HOSTS to close the private ranges."""
    from support.paths import PROJECT_ROOT

    text = (PROJECT_ROOT / "docs" / "http.md").read_text()
    section = text.split("**Private ranges stay open by default, on purpose.**", 1)[1]
    found = re.search(r"```sh\nHTTP_CONNECTOR_DENIED_HOSTS=(\S+)\n```", section)
    assert found, "docs/http.md no longer says how to close the private ranges"
    return found.group(1)


@pytest.mark.parametrize(
    "address",
    [
        "10.1.2.3",
        "172.16.5.4",
        "172.31.255.1",
        "192.168.1.1",
        "100.64.0.1",
        "fd12:3456::1",
        "::ffff:10.1.2.3",
    ],
)
def test_private_ranges_are_open_by_default_and_the_documented_line_closes_them(
    address: str, tripwire: Tripwire, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Open: the decision of docs/http.md (judged without connecting: nothing leaves this machine).
    defaults = Policy.from_settings(lambda name: None)
    assert defaults.refusal("internal.test", ipaddress.ip_address(address), 443) is None
    monkeypatch.setenv("HTTP_CONNECTOR_DENIED_HOSTS", documented_private_ranges())
    tripwire.fake_dns["internal.test"] = [address]
    envelope = get("https://internal.test/orders")
    assert envelope["error"]["error_code"] == "DestinationNotAllowed"
    assert "is listed in HTTP_CONNECTOR_DENIED_HOSTS" in envelope["error"]["message"]
    assert tripwire.connects == []
