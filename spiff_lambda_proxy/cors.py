"""CORS for browsers calling the proxy, when `CONNECTOR_PROXY_CORS_ORIGINS` allows them."""

from __future__ import annotations

from collections.abc import Iterable

from .auth import API_KEY_HEADER
from .errors import ProxyError
from .messages import Request, Response

_ALLOWED_HEADERS = f"Content-Type, {API_KEY_HEADER}"
_PREFLIGHT_MAX_AGE = "600"


def allowed_origin(request: Request, origins: tuple[str, ...]) -> str | None:
    """The value for Access-Control-Allow-Origin, or None when this origin is not allowed."""
    origin = request.headers.get("Origin")
    if not origins or not origin:
        return None
    if "*" in origins:
        return "*"
    return origin if origin in origins else None


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
