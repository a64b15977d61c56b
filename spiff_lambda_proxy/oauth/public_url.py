"""Our own callback URL, as the browser reaches it: the `redirect_uri` the provider sends the code to.

Computed from the event: the scheme from `X-Forwarded-Proto` (every Lambda front
door sends it; without it the request came from `make serve`, a plain-http
server on this machine, named by the Host header), the domain the front door
reports, and whatever the router strips before routing (an API Gateway stage,
`CONNECTOR_PROXY_BASE_PATH`). `CONNECTOR_PROXY_PUBLIC_URL` overrides it all.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from ..messages import Request
from ..router import route_path
from ..settings import Settings
from .pages import FlowError
from .settings import PUBLIC_URL

_HOST = re.compile(r"([a-z0-9.-]+|\[[0-9a-f:.]+\])(:[0-9]{1,5})?")


def callback_url(request: Request, settings: Settings, public_url: str | None, auth_id: str) -> str:
    plugin, _, auth = auth_id.partition("/")
    return f"{base_url(request, settings, public_url)}/v1/auth/{plugin}/{auth}/callback"


def base_url(request: Request, settings: Settings, public_url: str | None) -> str:
    """The URL the proxy's routes hang from, without a trailing slash."""
    if public_url:
        return _configured(public_url)
    forwarded = request.headers.get("X-Forwarded-Proto")
    if forwarded is None:
        scheme, host = "http", request.headers.get("Host") or request.domain
    else:
        # The front door's own report of the domain wins over a header the client wrote.
        scheme = "http" if forwarded.split(",")[0].strip().lower() == "http" else "https"
        host = request.domain or request.headers.get("Host", "")
    host = host.strip().lower()
    if not _HOST.fullmatch(host):
        raise FlowError(
            500,
            "configuration_error",
            f"The proxy cannot tell its own public address from this request; set {PUBLIC_URL} to the "
            "URL SpiffArena calls it by.",
        )
    return f"{scheme}://{host}{_stripped_prefix(request, settings)}"


def _stripped_prefix(request: Request, settings: Settings) -> str:
    """The part of the client's path in front of the route: a stage or a custom-domain base path."""
    routed = route_path(request.path, request.stage, settings.base_path)
    client = "/" + request.client_path.strip("/")
    if routed != "/" and client.endswith(routed):
        return client[: len(client) - len(routed)]
    return ""


def _configured(public_url: str) -> str:
    try:
        parts = urlsplit(public_url)
        valid = parts.scheme in ("http", "https") and bool(parts.hostname) and parts.port != 0
    except ValueError:
        valid = False
    if not valid or parts.query or parts.fragment or "@" in parts.netloc:
        raise FlowError(
            500,
            "configuration_error",
            f"{PUBLIC_URL} must be the proxy's URL, like https://proxy.example.com or "
            "https://api.example.com/connectors (no query, no user name).",
        )
    return public_url.rstrip("/")
