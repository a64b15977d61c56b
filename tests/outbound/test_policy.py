"""The destination policy on its own: what an address really reaches, for addresses no test can reach.

Nothing here opens a socket; the connecting side is tested behind the tripwire
(tests/connectors/http/test_guard*.py, tests/outbound/test_exchange.py).
"""

from __future__ import annotations

import ipaddress

import pytest

from spiff_outbound.destinations import (
    HostList,
    InvalidDestination,
    Policy,
    carried_ipv4,
    host_problem,
    url_destination,
)


def ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    return ipaddress.ip_address(text)


def policy(allowed: str = "", denied: str = "", runtime: str | None = None) -> Policy:
    settings = {
        "HTTP_CONNECTOR_ALLOWED_HOSTS": allowed,
        "HTTP_CONNECTOR_DENIED_HOSTS": denied,
        "AWS_LAMBDA_RUNTIME_API": runtime,
    }
    return Policy.from_settings(settings.get)


@pytest.mark.parametrize(
    ("address", "carried"),
    [
        ("::ffff:1.2.3.4", [("1.2.3.4", "IPv4-mapped")]),
        ("::ffff:0:102:304", [("1.2.3.4", "IPv4-translated")]),
        ("::1.2.3.4", [("1.2.3.4", "IPv4-compatible")]),
        ("64:ff9b::1.2.3.4", [("1.2.3.4", "NAT64")]),
        ("2002:102:304::", [("1.2.3.4", "6to4")]),
        ("2600::5efe:102:304", [("1.2.3.4", "ISATAP")]),
        ("2600::200:5efe:102:304", [("1.2.3.4", "ISATAP")]),
        ("2001:0:a00:1::fefd:fcfb", [("1.2.3.4", "Teredo"), ("10.0.0.1", "Teredo server")]),
        ("::", []),
        ("::1", []),
        ("2600::1", []),
        ("1.2.3.4", []),
    ],
)
def test_the_ipv4_addresses_an_ipv6_address_carries(address: str, carried: list[tuple[str, str]]) -> None:
    assert [(str(v4), how) for v4, how in carried_ipv4(ip(address))] == carried


def test_local_use_nat64_is_judged_at_every_prefix_length() -> None:
    placements = {str(v4) for v4, _ in carried_ipv4(ip("64:ff9b:1:a9fe:a9:fe00::"))}
    assert "169.254.169.254" in placements  # the /48 placement
    assert policy().refusal("x", ip("64:ff9b:1:a9fe:a9:fe00::"), 80) is not None
    assert policy().refusal("x", ip("64:ff9b:1:0:a9:fea9:fe00:0"), 80) is not None  # /64


@pytest.mark.parametrize(
    "address",
    ["64:ff9b::808:808", "64:ff9b:1::808:808", "2002:808:808::1", "2001:0:808:808::1", "2600:1f18::1"],
)
def test_public_addresses_behind_translators_stay_open(address: str) -> None:
    assert policy().refusal("api.example", ip(address), 443) is None


def test_an_allowed_range_is_judged_by_the_ipv4_inside() -> None:
    opened = policy(allowed="169.254.169.254")
    assert opened.refusal("x", ip("64:ff9b::a9fe:a9fe"), 80) is None
    assert opened.refusal("x", ip("64:ff9b::a9fe:a9fd"), 80) is not None
    # Allowing the translator's prefix does not open what its addresses carry.
    prefix = policy(allowed="64:ff9b::/96, 2002::/16")
    assert "169.254.169.254 is a link-local" in str(prefix.refusal("x", ip("64:ff9b::a9fe:a9fe"), 80))
    assert "127.0.0.1 is a loopback" in str(prefix.refusal("x", ip("2002:7f00:1::"), 80))


def test_a_denied_ipv6_prefix_closes_its_addresses_too() -> None:
    closed = policy(denied="64:ff9b::/96")
    assert (
        closed.refusal("x", ip("64:ff9b::808:808"), 80)
        == "64:ff9b::808:808 is listed in HTTP_CONNECTOR_DENIED_HOSTS"
    )


@pytest.mark.parametrize("allowed", ["*", "0.0.0.0/0, ::/0", "0.0.0.0", "::"])
@pytest.mark.parametrize("address", ["0.0.0.0", "0.1.2.3", "::", "::ffff:0.0.0.0"])
def test_unspecified_addresses_are_never_opened(allowed: str, address: str) -> None:
    reason = policy(allowed=allowed).refusal("x", ip(address), 80)
    assert reason is not None and reason.endswith(
        "an unspecified address (a connection to it reaches this machine itself)"
    )
    assert policy(allowed=allowed).refusal_by_name(address) == reason


@pytest.mark.parametrize("address", ["127.0.0.1", "127.9.9.9", "::1", "::ffff:127.0.0.1", "64:ff9b::7f00:1"])
def test_the_runtime_api_port_is_never_opened_on_loopback(address: str) -> None:
    opened = policy(allowed="*, 127.0.0.0/8, ::1", runtime="127.0.0.1:9001")
    assert "port 9001 is the Lambda Runtime API" in str(opened.refusal("localhost", ip(address), 9001))
    assert opened.refusal("localhost", ip(address), 9002) is None


def test_the_runtime_api_is_matched_by_name_and_address() -> None:
    remote = policy(allowed="*", runtime="169.254.100.1:9001")
    assert remote.refusal("x", ip("169.254.100.1"), 9001) is not None
    assert remote.refusal("x", ip("127.0.0.1"), 9001) is None  # loopback is not where it listens


@pytest.mark.parametrize(
    ("host", "problem"),
    [
        ("a..b", "empty label"),
        (".example.com", "empty label"),
        ("x" * 64 + ".com", "longer than 63"),
        ("a." * 127 + "com", "longer than 253"),
        ("exa mple.com", "cannot contain"),
        ("exa%41mple.com", "cannot contain"),
        ("☃.net", "not a valid internationalised"),
        ("", "has no host name"),
    ],
)
def test_host_names_that_cannot_exist(host: str, problem: str) -> None:
    assert problem in str(host_problem(host))


@pytest.mark.parametrize(
    "host",
    ["example.com", "EXAMPLE.com.", "bücher.de", "_srv.example", "x" * 63 + ".com", "0x7f.1", "::1", "[::1]"],
)
def test_host_names_that_can(host: str) -> None:
    assert host_problem(host) is None


@pytest.mark.parametrize(
    "url",
    [
        "http://user:pa/ss-Secret1@example.com/",
        "http://user:pa?ss-Secret1@example.com/",
        "http://user:pass-Secret1@example.com:99999/",
        "http://user:pass-Secret1@[::1/",
        "ftp://user:pass-Secret1@example.com/",
        "http://user:pass-Secret1@a..b/",
    ],
)
def test_url_problems_never_quote_the_url(url: str) -> None:
    with pytest.raises(InvalidDestination) as raised:
        url_destination(url)
    assert "Secret1" not in str(raised.value) and "ss-" not in str(raised.value)


def test_url_destinations() -> None:
    assert url_destination("https://Example.COM./x") == ("example.com", 443)
    assert url_destination("http://[::1]:8080/") == ("::1", 8080)
    assert url_destination(" http://0x7f.1/ ") == ("0x7f.1", 80)


def test_host_lists_match_names_and_addresses_apart() -> None:
    hosts = HostList.parse("*.corp.example, 10.0.0.0/8", "HTTP_CONNECTOR_DENIED_HOSTS")
    assert hosts.matches_name("db.corp.example") and not hosts.matches_name("10.1.1.1")
    assert hosts.matches_address(ip("10.1.1.1")) and not hosts.matches_address(ip("::ffff:10.1.1.1"))


@pytest.mark.parametrize(
    "entry", ["127.1", "0x7f.0.0.1", "2130706433", "::ffff:127.0.0.1", "::ffff:127.0.0.0/104"]
)
def test_list_entries_in_any_spelling_mean_the_address_connections_are_judged_by(entry: str) -> None:
    closed = policy(allowed="*", denied=entry)
    for address in ("127.0.0.1", "::ffff:127.0.0.1", "64:ff9b::7f00:1"):
        assert "is listed in HTTP_CONNECTOR_DENIED_HOSTS" in str(closed.refusal("x", ip(address), 80)), (
            address
        )
