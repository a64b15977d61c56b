"""Browsers calling the proxy: CORS for the origins `CONNECTOR_PROXY_CORS_ORIGINS` allows, and no
command run for any other web page.

SpiffArena's backend never sends `Origin` or `Sec-Fetch-Site`; a browser does. A page may send a
"simple" request (a `text/plain` POST, a form, an image's GET) to any address without asking first,
so `check_command_caller` refuses `/v1/do` to a browser's request unless its origin is allowed:
defence in depth on Lambda (behind an internal load balancer a developer's browser can reach it), and
the rule `make serve` applies to every route besides (`tools/local/browser_guard.py`).
"""

from __future__ import annotations

from collections.abc import Iterable

from .auth import API_KEY_HEADER
from .errors import ProxyError
from .messages import Request, Response

_ALLOWED_HEADERS = f"Content-Type, {API_KEY_HEADER}"
_PREFLIGHT_MAX_AGE = "600"


# What a browser says of where a request comes from (Fetch Metadata); anything but these is a page
# of another site, or of this machine's other servers.
_OWN_ACTIONS = ("none", "same-origin")


def allowed_origin(request: Request, origins: tuple[str, ...]) -> str | None:
    """The value for Access-Control-Allow-Origin, or None when this origin is not allowed."""
    origin = request.headers.get("Origin")
    if not origin or not is_allowed(origin, origins):
        return None
    return "*" if "*" in origins else origin


def is_allowed(origin: str, origins: tuple[str, ...]) -> bool:
    """Whether a browser's `Origin` is one `CONNECTOR_PROXY_CORS_ORIGINS` allows (`*`: any)."""
    return "*" in origins or origin in origins


def check_command_caller(request: Request, origins: tuple[str, ...]) -> None:
    """Raise when a web page of an origin nobody allowed asks to run a command."""
    origin = request.headers.get("Origin")
    if origin is not None:
        if is_allowed(origin, origins):
            return
        refused = "a web page whose origin CONNECTOR_PROXY_CORS_ORIGINS does not list"
    elif request.headers.get("Sec-Fetch-Site", "none").strip().lower() not in _OWN_ACTIONS:
        refused = "a web page of another site"
    else:
        return  # not a browser (SpiffArena's backend, curl), or the user's own navigation
    raise ProxyError(
        f"Commands are not run for {refused}: SpiffArena's backend sends no Origin. To call the proxy "
        "from a browser, list the page's origin in CONNECTOR_PROXY_CORS_ORIGINS.",
        status=403,
        error_code="browser_origin_not_allowed",
    )


def is_preflight(request: Request) -> bool:
    return request.method == "OPTIONS" and "Access-Control-Request-Method" in request.headers


def preflight(request: Request, origins: tuple[str, ...], methods: Iterable[str]) -> Response:
    origin = allowed_origin(request, origins)
    if origin is None:
        raise ProxyError(
            "This origin may not call the proxy from a browser (see CONNECTOR_PROXY_CORS_ORIGINS).",
            status=403,
            error_code="cors_origin_not_allowed",
        )
    response = Response(204)
    response.headers.set("Access-Control-Allow-Methods", ", ".join(sorted(methods)))
    requested = request.headers.get("Access-Control-Request-Headers")
    response.headers.set("Access-Control-Allow-Headers", requested or _ALLOWED_HEADERS)
    response.headers.set("Access-Control-Max-Age", _PREFLIGHT_MAX_AGE)
    add_cors_headers(response, origin)
    return response


def add_cors_headers(response: Response, origin: str) -> None:
    response.headers.set("Access-Control-Allow-Origin", origin)
    if origin != "*":
        response.headers.set("Vary", "Origin")
