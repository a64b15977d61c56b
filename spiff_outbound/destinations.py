"""Which destinations outbound requests may reach: the guard against reaching the proxy's own insides.

A URL the proxy calls is data a caller controls. Left open, it could read the
cloud metadata service (credentials), the Lambda Runtime API (other
invocations' events) or anything listening on loopback. The guard is decided
per resolved address at connect time (see `transport`), so a host name or
redirect pointing at those addresses is refused as well.

An address is judged by where a connection to it really goes: an unspecified
address (`0.0.0.0`, `::`) reaches this machine, and an IPv6 address that
carries an IPv4 one (mapped, compatible, NAT64, 6to4, Teredo, ISATAP) ends up
at that IPv4 address, so each of those is judged as well.
"""

from __future__ import annotations

import fnmatch
import ipaddress
import re
import socket
from collections.abc import Callable
from typing import NamedTuple
from urllib.parse import urlsplit

from .addresses import IPAddress, as_address, canonical, carried_ipv4, host_problem, normalise_host

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

__all__ = [
    "ALLOWED_HOSTS",
    "DENIED_HOSTS",
    "RUNTIME_API",
    "DestinationRefused",
    "HostList",
    "IPAddress",
    "IPNetwork",
    "InvalidDestination",
    "InvalidHostList",
    "OutboundError",
    "Policy",
    "as_address",
    "canonical",
    "carried_ipv4",
    "check_url",
    "checked_addresses",
    "host_problem",
    "normalise_host",
    "url_destination",
]

_UNSPECIFIED_REASON = "an unspecified address (a connection to it reaches this machine itself)"
# Never reachable, whatever the lists say: on Linux a connect to them lands on loopback.
_UNSPECIFIED: tuple[IPNetwork, ...] = (ipaddress.ip_network("0.0.0.0/8"), ipaddress.ip_network("::/128"))
# Refused unless explicitly allowed; everything else (public and private ranges) is open.
_REFUSED_BY_DEFAULT: tuple[tuple[IPNetwork, str], ...] = tuple(
    (ipaddress.ip_network(network), reason)
    for network, reason in (
        ("127.0.0.0/8", "a loopback address"),
        ("::1/128", "a loopback address"),
        ("169.254.0.0/16", "a link-local address (where cloud metadata services answer)"),
        ("fe80::/10", "a link-local address"),
        ("fd00:ec2::254/128", "the EC2 instance metadata service"),
    )
)
# The deployment's settings (documented with the http connector's, docs/http.md).
ALLOWED_HOSTS = "HTTP_CONNECTOR_ALLOWED_HOSTS"
DENIED_HOSTS = "HTTP_CONNECTOR_DENIED_HOSTS"
RUNTIME_API = "AWS_LAMBDA_RUNTIME_API"
# Every setting `Policy.from_settings` reads.
POLICY_SETTINGS = (ALLOWED_HOSTS, DENIED_HOSTS, RUNTIME_API)
_NAME_PATTERN = re.compile(r"[a-z0-9*_.-]+")


class OutboundError(Exception):
    """An outbound request that could not be made; messages never quote the URL."""


class DestinationRefused(OutboundError):
    """The policy refuses this destination; raised before any packet is sent to it."""

    def __init__(self, host: str, reason: str) -> None:
        super().__init__(reason)
        self.host = host
        self.reason = reason


class InvalidDestination(OutboundError, ValueError):
    """A URL or host name nothing can be sent to; the message never quotes the URL."""


class InvalidHostList(ValueError):
    """A host list setting that cannot be read; the message names the setting and the entry."""


def url_destination(url: str) -> tuple[str, int]:
    """(host, port) an http(s) URL connects to; raises InvalidDestination saying what is wrong."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        raise InvalidDestination(
            "is not a valid URL (a port that is not a number from 0 to 65535, unbalanced brackets, "
            "or a password holding '/', '?' or '#' that is not percent-encoded)"
        ) from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise InvalidDestination("must start with http:// or https://")
    host = parts.hostname or ""
    problem = host_problem(host)
    if problem:
        raise InvalidDestination(problem)
    return normalise_host(host), port or (443 if scheme == "https" else 80)


class HostList(NamedTuple):
    """A comma-separated list of host names, `*` wildcards, IP addresses and CIDR ranges."""

    names: tuple[str, ...] = ()
    networks: tuple[IPNetwork, ...] = ()

    @classmethod
    def parse(cls, text: str | None, setting: str) -> HostList:
        names: list[str] = []
        networks: list[IPNetwork] = []
        for entry in (item.strip() for item in (text or "").split(",")):
            if not entry:
                continue
            try:
                network = _network(entry.strip("[]"))
            except ValueError:
                name = normalise_host(entry)
                if not _NAME_PATTERN.fullmatch(name):
                    raise InvalidHostList(
                        f"{setting}: {entry!r} is neither a host name (wildcards like *.example.com "
                        "allowed), an IP address nor a CIDR range. Ports are not part of the syntax."
                    ) from None
                names.append(name)
            else:
                networks.append(network)
        return cls(tuple(names), tuple(networks))

    def matches(self, host: str, address: IPAddress | None = None) -> bool:
        return self.matches_name(host) or (address is not None and self.matches_address(address))

    def matches_name(self, host: str) -> bool:
        host = normalise_host(host)
        return any(fnmatch.fnmatchcase(host, pattern) for pattern in self.names)

    def matches_address(self, address: IPAddress) -> bool:
        return any(address.version == network.version and address in network for network in self.networks)


# IPv4 in the forms the C library also accepts (127.1, 0x7f.0.0.1, 2130706433), with a prefix.
_LOOSE_IPV4 = re.compile(r"((?:0x[0-9a-f]+|[0-9]+)(?:\.(?:0x[0-9a-f]+|[0-9]+)){0,3})(/[0-9]+)?", re.I)


def _network(entry: str) -> IPNetwork:
    """A list entry as the network it means, in the spelling connections are judged in."""
    loose = _LOOSE_IPV4.fullmatch(entry)
    if loose:
        try:
            entry = socket.inet_ntoa(socket.inet_aton(loose.group(1))) + (loose.group(2) or "")
        except OSError:
            raise ValueError(entry) from None
    network = ipaddress.ip_network(entry, strict=False)
    mapped = network.network_address.ipv4_mapped if isinstance(network, ipaddress.IPv6Network) else None
    if mapped is not None and network.prefixlen >= 96:
        # ::ffff:10.0.0.0/104 is 10.0.0.0/8: mapped addresses are judged as IPv4.
        return ipaddress.ip_network(f"{mapped}/{network.prefixlen - 96}")
    return network


class Policy(NamedTuple):
    allowed: HostList = HostList()
    denied: HostList = HostList()
    # (host, port) of the Lambda Runtime API, when running inside Lambda.
    runtime_api: tuple[str, int] | None = None

    @classmethod
    def from_settings(cls, read: Callable[[str], str | None]) -> Policy:
        """The policy the deployment's settings describe; `read(name)` answers a setting or None."""
        return cls(
            allowed=HostList.parse(read(ALLOWED_HOSTS), ALLOWED_HOSTS),
            denied=HostList.parse(read(DENIED_HOSTS), DENIED_HOSTS),
            runtime_api=cls.parse_runtime_api(read(RUNTIME_API)),
        )

    @staticmethod
    def parse_runtime_api(value: str | None) -> tuple[str, int] | None:
        host, _, port = (value or "").strip().rpartition(":")
        if not host or not port.isdigit():
            return None
        return normalise_host(host), int(port)

    def refusal_by_name(self, host: str) -> str | None:
        """Why `host` is refused before even resolving it, or None."""
        address = as_address(host)
        if address is not None:
            # A literal address is its own resolution: judged in full, port aside.
            return self._address_refusal(host, address, port=None)
        if self.denied.matches_name(host):
            return f"{normalise_host(host)} is listed in {DENIED_HOSTS}"
        return None

    def refusal(self, host: str, address: IPAddress, port: int) -> str | None:
        """Why connecting to `address` (resolved from `host`) on `port` is refused, or None."""
        return self._address_refusal(host, canonical(address), port)

    def _address_refusal(self, host: str, address: IPAddress, port: int | None) -> str | None:
        # The address itself first, then every IPv4 address it carries: (target, how it is reached).
        targets = [(address, "")]
        targets += [(ipv4, f"{address} carries {ipv4} ({how}): ") for ipv4, how in carried_ipv4(address)]
        for target, via in targets:
            if port is not None and self._is_runtime_api(host, target, port):
                # Never opened by the allowed list: it hands out other invocations' events.
                return f"{via}{target} port {port} is the Lambda Runtime API"
        if any(address.version == network.version and address in network for network in _UNSPECIFIED):
            # Only the address itself: an unspecified IPv4 address inside NAT64, 6to4 or Teredo
            # goes to a translator elsewhere, which drops it, and zero bits are common there.
            return f"{address} is {_UNSPECIFIED_REASON}"
        if self.denied.matches_name(host):
            return f"{normalise_host(host)} is listed in {DENIED_HOSTS}"
        for target, via in targets:
            if self.denied.matches_address(target):
                return f"{via}{target} is listed in {DENIED_HOSTS}"
        if self.allowed.matches_name(host):
            return None
        for target, via in targets:
            if self.allowed.matches_address(target):
                continue
            for network, reason in _REFUSED_BY_DEFAULT:
                if target.version == network.version and target in network:
                    return f"{via}{target} is {reason}"
        return None

    def _is_runtime_api(self, host: str, address: IPAddress, port: int) -> bool:
        if self.runtime_api is None or port != self.runtime_api[1]:
            return False
        runtime_host = self.runtime_api[0]
        if runtime_host in (normalise_host(host), str(address)):
            return True
        runtime_address = as_address(runtime_host)
        if runtime_address is None:
            return False
        # Every loopback address reaches the same machine: a server listening on all of
        # them answers on any, so the Runtime API's port is closed on each.
        return runtime_address == address or (runtime_address.is_loopback and address.is_loopback)


def checked_addresses(policy: Policy, host: str, port: int, family: int = socket.AF_UNSPEC) -> list[str]:
    """The addresses `host` resolves to that `policy` lets a connection reach on `port`, in the
    resolver's order and without repeats; the caller connects to these and no others.

    Raises InvalidDestination (not a host name), DestinationRefused (refused by name, or every
    address refused) or socket.gaierror (it does not resolve). Nothing is sent to the host.
    """
    problem = host_problem(host)
    if problem:
        raise InvalidDestination(problem)
    host = normalise_host(host)
    refusal = policy.refusal_by_name(host)
    if refusal:
        raise DestinationRefused(host, refusal)
    try:
        found = socket.getaddrinfo(host, port, family, socket.SOCK_STREAM)
    except UnicodeError:  # the C library's IDNA step; host_problem should have caught it
        raise InvalidDestination("has a host name that cannot be looked up") from None
    checked: list[str] = []
    refusals: list[str] = []
    for *_, sockaddr in found:
        ip = str(sockaddr[0])
        address = as_address(ip)
        reason = policy.refusal(host, address, port) if address is not None else f"{ip} is not an IP address"
        if reason:
            refusals.append(reason)
        elif ip not in checked:
            checked.append(ip)
    if not checked:
        raise DestinationRefused(host, refusals[0] if refusals else f"{host} resolves to no address")
    return checked


def check_url(policy: Policy, url: str) -> None:
    """Raise unless some address of `url`'s host may be reached (InvalidDestination,
    DestinationRefused, socket.gaierror): the check to make before promising to call `url` later.
    It resolves the name; nothing is sent."""
    host, port = url_destination(url)
    checked_addresses(policy, host, port)
