"""A socket-level tripwire: tests behind it cannot send a packet off this machine.

It wraps `socket.socket.connect` (and `connect_ex`) to refuse any destination
that is not loopback, and `socket.getaddrinfo` to refuse DNS lookups of names
that do not resolve locally, recording each attempt so the test fails even if
the code under test swallowed the refusal. `fake_dns` answers chosen names
(with one answer per lookup, the last repeating) without any DNS traffic.
"""

from __future__ import annotations

import errno
import ipaddress
import re
import socket
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

# Forms the C library turns into an address without asking DNS (2130706433, 0x7f.1, ...).
_NUMERIC_HOST = re.compile(r"(0x[0-9a-f]+|[0-9]+)(\.(0x[0-9a-f]+|[0-9]+)){0,3}", re.I)


class Tripwire:
    def __init__(self) -> None:
        self.violations: list[str] = []
        self.fake_dns: dict[str, list[str]] = {}
        self.lookups: Counter[str] = Counter()
        self.connects: list[str] = []

    def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        real_connect = socket.socket.connect
        real_connect_ex = socket.socket.connect_ex
        real_getaddrinfo = socket.getaddrinfo

        def connect(sock: socket.socket, address: Any) -> None:
            self._check(sock, address)
            real_connect(sock, address)

        def connect_ex(sock: socket.socket, address: Any) -> int:
            self._check(sock, address)
            return real_connect_ex(sock, address)

        def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
            name = host.decode() if isinstance(host, bytes) else str(host)
            self.lookups[name] += 1
            if name in self.fake_dns:
                answers = self.fake_dns[name]
                answer = answers.pop(0) if len(answers) > 1 else answers[0]
                return real_getaddrinfo(answer, port, *args, **kwargs)
            if not _resolves_locally(name):
                self.violations.append(f"DNS lookup of {name!r}")
                raise socket.gaierror(socket.EAI_NONAME, f"tripwire: no DNS lookup of {name!r} in tests")
            return real_getaddrinfo(host, port, *args, **kwargs)

        monkeypatch.setattr(socket.socket, "connect", connect)
        monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
        monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)

    def _check(self, sock: socket.socket, address: Any) -> None:
        if sock.family == socket.AF_UNIX:
            return
        host = str(address[0])
        self.connects.append(host)
        try:
            ip = ipaddress.ip_address(host.split("%", 1)[0])
        except ValueError:
            ip = None
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        if ip is None or not ip.is_loopback:
            self.violations.append(f"connect to {address!r}")
            raise ConnectionRefusedError(errno.ECONNREFUSED, f"tripwire: refused connect to {address!r}")


@pytest.fixture
def tripwire(monkeypatch: pytest.MonkeyPatch) -> Iterator[Tripwire]:
    """The tripwire, installed for one test; the test fails if anything tried to get past it."""
    wire = Tripwire()
    wire.install(monkeypatch)
    yield wire
    assert wire.violations == []


def _resolves_locally(name: str) -> bool:
    name = name.strip("[]").rstrip(".").lower()
    if name == "localhost" or _NUMERIC_HOST.fullmatch(name):
        return True
    try:
        ipaddress.ip_address(name.split("%", 1)[0])
    except ValueError:
        return False
    return True
