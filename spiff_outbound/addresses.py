"""What a URL's host really is: a valid host name, or an IP address and where it leads.

An IPv6 address may carry an IPv4 address that the packets end up at (mapped,
compatible, NAT64, 6to4, Teredo, ISATAP); `carried_ipv4` finds each, so the
destination policy can judge them too.
"""

from __future__ import annotations

import ipaddress
import re

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# IPv6 prefixes whose addresses carry an IPv4 address in known bits (RFC 6052, 3056, 4380, 5214).
_NAT64_WELL_KNOWN = ipaddress.ip_network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")
# Where RFC 6052 puts the IPv4 address for each prefix length inside the local-use /48:
# (first bit, bits) pieces, skipping bits 64-71 (the "u" octet). The translator's prefix
# length is not visible from outside, so every placement is judged.
_NAT64_PLACEMENTS = (
    ((48, 16), (72, 16)),
    ((56, 8), (72, 24)),
    ((72, 32),),
    ((96, 32),),
)

_HOST_LABEL = re.compile(r"[a-z0-9_-]{1,63}", re.I)
_MAX_HOST_LENGTH = 253


def normalise_host(host: str) -> str:
    return host.strip().strip("[]").rstrip(".").lower()


def as_address(text: str) -> IPAddress | None:
    try:
        address = ipaddress.ip_address(normalise_host(text).split("%", 1)[0])
    except ValueError:
        return None
    return canonical(address)


def canonical(address: IPAddress) -> IPAddress:
    # ::ffff:169.254.169.254 is 169.254.169.254 on the wire.
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def carried_ipv4(address: IPAddress) -> tuple[tuple[ipaddress.IPv4Address, str], ...]:
    """The IPv4 addresses a connection to `address` may end up at, each with the mechanism's name."""
    if not isinstance(address, ipaddress.IPv6Address):
        return ()
    value = int(address)
    found: list[tuple[ipaddress.IPv4Address, str]] = []
    high = value >> 32
    low = ipaddress.IPv4Address(value & 0xFFFFFFFF)
    if address.ipv4_mapped is not None:
        found.append((address.ipv4_mapped, "IPv4-mapped"))
    elif high == 0xFFFF0000:
        found.append((low, "IPv4-translated"))
    elif high == 0 and value > 1:  # :: and ::1 are themselves, not IPv4-compatible
        found.append((low, "IPv4-compatible"))
    if address in _NAT64_WELL_KNOWN:
        found.append((low, "NAT64"))
    elif address in _NAT64_LOCAL:
        for placement in _NAT64_PLACEMENTS:
            bits = 0
            for first, count in placement:
                bits = (bits << count) | ((value >> (128 - first - count)) & ((1 << count) - 1))
            found.append((ipaddress.IPv4Address(bits), "NAT64"))
    if address.sixtofour is not None:
        found.append((address.sixtofour, "6to4"))
    if address.teredo is not None:
        server, client = address.teredo
        found += [(client, "Teredo"), (server, "Teredo server")]
    if (high & 0xFCFFFFFF) == 0x00005EFE:  # interface identifier [02]00:5efe:a.b.c.d
        found.append((low, "ISATAP"))
    unique: list[tuple[ipaddress.IPv4Address, str]] = []
    for carried, how in found:
        if all(carried != known for known, _ in unique):
            unique.append((carried, how))
    return tuple(unique)


def host_problem(host: str) -> str | None:
    """Why `host` (as a URL gives it) cannot be a destination, or None; the text never repeats it."""
    name = host.strip().strip("[]").rstrip(".")
    if not name:
        return "has no host name"
    if as_address(name) is not None:
        return None
    if not name.isascii():
        import idna  # requests' own IDNA encoder; only for internationalised names

        try:
            name = idna.encode(name, uts46=True).decode("ascii")
        except (idna.IDNAError, UnicodeError, ValueError):
            return "has a host name that is not a valid internationalised domain name"
    if len(name) > _MAX_HOST_LENGTH:
        return f"has a host name longer than {_MAX_HOST_LENGTH} characters"
    for label in name.split("."):
        if not label:
            return "has a host name with an empty label (two dots in a row, or a leading dot)"
        if len(label) > 63:
            return "has a host name with a label longer than 63 characters"
        if not _HOST_LABEL.fullmatch(label):
            return "has a host name with characters a host name cannot contain"
    return None
