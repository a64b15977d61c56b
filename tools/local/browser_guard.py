"""`make serve` against web pages: what the developer's browser may not make it do.

Any page the developer opens can send requests to `http://127.0.0.1:7004` without asking first (a
`text/plain` POST, an auto-submitted form, an image), and a page whose host name is made to resolve
to 127.0.0.1 (DNS rebinding) even reads the answers. SpiffArena's backend and curl send neither
`Origin` nor `Sec-Fetch-Site`, and name the server by an address of this machine, so before the
handler runs, every request is refused that

- names a host that is not this machine's (`Host`, given once): anything but a loopback name (`localhost`,
  `*.localhost`), an IP address, `host.docker.internal`, the address the server listens on, or a
  name in `CONNECTOR_PROXY_HOST_NAMES` (421);
- changes state (any method but GET, HEAD and OPTIONS) from a page whose `Origin` is not in
  `CONNECTOR_PROXY_CORS_ORIGINS`, or says `Sec-Fetch-Site: cross-site` without an allowed origin
  (403);
- asks for a preflight for an origin that list does not name (403): none is granted by default.

GET navigations stay open (the OAuth callback arrives as one, from the provider's page); the proxy
itself refuses to run a command for a browser request whatever its method (`cors.check_command_caller`).
"""

from __future__ import annotations

import ipaddress
import logging
from typing import NamedTuple

from spiff_lambda_proxy import cors, host_names
from spiff_lambda_proxy.messages import Headers
from spiff_lambda_proxy.settings import Settings

# Methods a browser may send anywhere without changing anything (OPTIONS is judged as a preflight).
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Names that always mean this machine, or the machine a container runs on (Docker Desktop).
_LOCAL_NAMES = frozenset({"localhost", "host.docker.internal"})

logger = logging.getLogger("tools.local")


class Refusal(NamedTuple):
    status: int
    error_code: str
    message: str


def refusal(method: str, headers: Headers, listening_on: str, settings: Settings) -> Refusal | None:
    """Why `make serve` must not answer this request, or None when it may."""
    hosts = headers.get_all("Host")
    if len(hosts) > 1 or (hosts and not _names_this_machine(hosts[0], listening_on, settings.host_names)):
        return Refusal(
            421,
            "misdirected_request",
            "make serve answers requests for this machine only (localhost, an IP address, "
            "host.docker.internal, the address it listens on); list other names it is reached by in "
            "CONNECTOR_PROXY_HOST_NAMES.",
        )
    origin = headers.get("Origin")
    allowed = origin is not None and cors.is_allowed(origin, settings.cors_origins)
    if method == "OPTIONS" and "Access-Control-Request-Method" in headers and not allowed:
        return _from_a_page("A preflight", origin)
    cross_site = headers.get("Sec-Fetch-Site", "").strip().lower() == "cross-site"
    if method not in _SAFE_METHODS and not allowed and (origin is not None or cross_site):
        return _from_a_page(f"A {method} request", origin)
    return None


def _from_a_page(what: str, origin: str | None) -> Refusal:
    sent_by = f"the page at {origin}" if origin else "a page of another site"
    return Refusal(
        403,
        "browser_origin_not_allowed",
        f"{what} from {sent_by} is refused: make serve runs nothing a web page asks for. To call it "
        "from a page of your own, list its origin in CONNECTOR_PROXY_CORS_ORIGINS.",
    )


def _names_this_machine(host: str, listening_on: str, listed: frozenset[str]) -> bool:
    name = host_names.name_of(host)
    if name is None:
        return False
    if name in _LOCAL_NAMES or name.endswith(".localhost") or name in listed:
        return True
    if name == host_names.name_of(listening_on):
        return True
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True  # an address: no DNS answer, so no rebinding, put it there
