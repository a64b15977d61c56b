"""Our own callback URL, as the browser reaches it: the `redirect_uri` the provider sends the code to.

Never from a `Host` header a client wrote, or a sign-in started with `Host: evil.example` would have
the provider send the code there. `CONNECTOR_PROXY_PUBLIC_URL` wins over everything. Otherwise:
the scheme from `X-Forwarded-Proto`; the domain the front door itself reports (Function URLs and
API Gateway put it in the event), with whatever the router strips before routing (an API Gateway
stage, `CONNECTOR_PROXY_BASE_PATH`). A load balancer reports no domain: its `Host` counts only when
`CONNECTOR_PROXY_HOST_NAMES` lists it. A request without `X-Forwarded-Proto`, which every AWS front
door sends, came from `make serve`, which lets a `Host` through only when it names this machine or
one of those names (`tools/local/browser_guard.py`), and supplies its own address when none is sent.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from .. import host_names
from ..messages import Request
from ..router import route_path
from ..settings import Settings
from .pages import FlowError
from .settings import HOST_NAMES, PUBLIC_URL

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
        scheme, host = "http", request.headers.get("Host", "")  # make serve's, checked there
    else:
        scheme = "http" if forwarded.split(",")[0].strip().lower() == "http" else "https"
        host = request.domain or _load_balancer_host(request, settings)
    host = host.strip().lower()
    if not _HOST.fullmatch(host):
        raise FlowError(
            500,
            "configuration_error",
            f"The proxy cannot tell its own public address from this request; set {PUBLIC_URL} to the "
            "URL SpiffArena calls it by.",
        )
    return f"{scheme}://{host}{_stripped_prefix(request, settings)}"


def _load_balancer_host(request: Request, settings: Settings) -> str:
    """The `Host` of a request through a load balancer, when it is one the deployment lists."""
    host = request.headers.get("Host", "")
    if not settings.host_names:
        raise FlowError(
            500,
            "configuration_error",
            "Behind a load balancer the request does not say which address the browser used (its Host "
            f"header is the client's to write). Set {PUBLIC_URL} to the URL SpiffArena calls the proxy by "
            f"(e.g. https://proxy.example.com), or list the host names it is reached by in {HOST_NAMES}.",
        )
    parts = host_names.split(host)
    if parts is None or parts[0] not in settings.host_names:
        raise FlowError(
            421,
            "misdirected_request",
            f"This request's Host is not a name this proxy is reached by ({HOST_NAMES}); start the sign-in "
            "from SpiffArena.",
        )
    name, port = parts  # as listed, whatever case or trailing dot the client wrote
    return f"{name}:{port}" if port else name


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
