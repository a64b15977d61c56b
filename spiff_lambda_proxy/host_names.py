"""Which name a `Host` header gives, and whether it is one the proxy is reached by.

A client writes its `Host` header itself, so nothing may trust one unless it is listed in
`CONNECTOR_PROXY_HOST_NAMES` (`Settings.host_names`) or otherwise known to name this proxy: sign-ins
behind a load balancer (`oauth/public_url.py`) and `make serve` (`tools/local/browser_guard.py`).
"""

from __future__ import annotations


def split(host: str) -> tuple[str, str] | None:
    """The host name and port of a `Host` header (`Proxy.Example.com.:8443` -> `proxy.example.com`,
    `8443`; `[::1]` -> `::1`, ``), the name lowercased and without a trailing dot; None when the
    header is not `name[:port]`."""
    host = host.strip().lower()
    if host.startswith("["):
        name, bracket, port = host[1:].partition("]")
        if not bracket or (port and not port.startswith(":")):
            return None
        port = port[1:]
    else:
        name, _, port = host.rpartition(":") if ":" in host else (host, "", "")
        if ":" in name:
            return None  # an IPv6 address must be in brackets
    name = name.rstrip(".")
    if not name or (port and not (port.isascii() and port.isdigit())):
        return None
    return name, port


def name_of(host: str) -> str | None:
    """The host name a `Host` header gives (see `split`), or None."""
    parts = split(host)
    return parts[0] if parts else None


def is_listed(host: str, listed: frozenset[str]) -> bool:
    """Whether the `Host` header names one of `listed` (`CONNECTOR_PROXY_HOST_NAMES`), whatever its port."""
    name = name_of(host)
    return name is not None and name in listed
