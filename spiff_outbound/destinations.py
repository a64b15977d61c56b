"""Which destinations outbound requests may reach: the guard against reaching the proxy's own insides.

A URL the proxy calls is data a caller controls. Left open, it could read the
cloud metadata service (credentials), the Lambda Runtime API (other
invocations' events) or anything listening on loopback. The guard is decided
per resolved address at connect time (see `transport`), so a host name or
redirect pointing at those addresses is refused as well.
"""

from __future__ import annotations

import fnmatch
import ipaddress
import re
from collections.abc import Callable
from typing import NamedTuple

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# Refused unless explicitly allowed; everything else (public and private ranges) is open.
_REFUSED_BY_DEFAULT: tuple[tuple[IPNetwork, str], ...] = tuple(
    (ipaddress.ip_network(network), reason)
    for network, reason in (
        ("127.0.0.0/8", "a loopback address"),
        ("::1/128", "a loopback address"),
        ("169.254.0.0/16", "a link-local address (where cloud metadata services answer)"),
        ("fe80::/10", "a link-local address"),
        ("fd00:ec2::254/128", "the EC2 instance metadata service"),
        ("0.0.0.0/8", "an unspecified address (reaches this machine)"),
        ("::/128", "an unspecified address (reaches this machine)"),
    )
)
# The deployment's settings (documented with the http connector's, docs/http.md).
ALLOWED_HOSTS = "HTTP_CONNECTOR_ALLOWED_HOSTS"
DENIED_HOSTS = "HTTP_CONNECTOR_DENIED_HOSTS"
RUNTIME_API = "AWS_LAMBDA_RUNTIME_API"
_NAME_PATTERN = re.compile(r"^[a-z0-9*_.-]+$")


class InvalidHostList(ValueError):
    """A host list setting that cannot be read; the message names the setting and the entry."""


def normalise_host(host: str) -> str:
    return host.strip().strip("[]").rstrip(".").lower()


def as_address(text: str) -> IPAddress | None:
    try:
        address = ipaddress.ip_address(normalise_host(text).split("%", 1)[0])
    except ValueError:
        return None
    return canonical(address)


def canonical(address: IPAddress) -> IPAddress:
    # ::ffff:169.254.169.254 reaches the same place as 169.254.169.254.
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


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
                network = ipaddress.ip_network(entry.strip("[]"), strict=False)
            except ValueError:
                name = normalise_host(entry)
                if not _NAME_PATTERN.match(name):
                    raise InvalidHostList(
                        f"{setting}: {entry!r} is neither a host name (wildcards like *.example.com "
                        "allowed), an IP address nor a CIDR range. Ports are not part of the syntax."
                    ) from None
                names.append(name)
            else:
                networks.append(network)
        return cls(tuple(names), tuple(networks))

    def matches(self, host: str, address: IPAddress | None = None) -> bool:
        host = normalise_host(host)
        if any(fnmatch.fnmatchcase(host, pattern) for pattern in self.names):
            return True
        return address is not None and any(
            address.version == network.version and address in network for network in self.networks
        )


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
        if self.denied.matches(host, as_address(host)):
            return f"{normalise_host(host)} is listed in {DENIED_HOSTS}"
        return None

    def refusal(self, host: str, address: IPAddress, port: int) -> str | None:
        """Why connecting to `address` (resolved from `host`) on `port` is refused, or None."""
        address = canonical(address)
        if self._is_runtime_api(host, address, port):
            # Never opened by the allowed list: it hands out other invocations' events.
            return f"{address} port {port} is the Lambda Runtime API"
        if self.denied.matches(host, address):
            return f"{address} is listed in {DENIED_HOSTS}"
        if self.allowed.matches(host, address):
            return None
        for network, reason in _REFUSED_BY_DEFAULT:
            if address.version == network.version and address in network:
                return f"{address} is {reason}"
        return None

    def _is_runtime_api(self, host: str, address: IPAddress, port: int) -> bool:
        if self.runtime_api is None or port != self.runtime_api[1]:
            return False
        runtime_host = self.runtime_api[0]
        return runtime_host in (normalise_host(host), str(address)) or as_address(runtime_host) == address
