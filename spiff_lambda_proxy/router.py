"""Matching a request to its route: paths, methods, API key and CORS.

Routes are declared next to their views (`routes.py`) with `@router.route`;
a path that matches no route is 404, a known path with another method 405.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from . import cors, logs
from .auth import check_api_key, expected_api_key
from .budget import LambdaContext
from .errors import MethodNotAllowed, NotFound
from .messages import Request, Response
from .registry import Registry
from .settings import Settings


class Call(NamedTuple):
    """What a view gets besides the request."""

    settings: Settings
    registry: Registry
    lambda_context: LambdaContext | None
    path_params: dict[str, str]


View = Callable[[Request, Call], Response]


class Route(NamedTuple):
    segments: tuple[str, ...]
    methods: frozenset[str]
    view: View
    protected: bool

    def match(self, segments: tuple[str, ...]) -> dict[str, str] | None:
        if len(segments) != len(self.segments):
            return None
        params = {}
        for pattern, segment in zip(self.segments, segments, strict=True):
            if pattern.startswith("{"):
                params[pattern[1:-1]] = _unquote(segment)
            elif pattern != segment:
                return None
        return params


class Router:
    def __init__(self) -> None:
        self.routes: list[Route] = []

    def route(
        self, path: str, methods: tuple[str, ...] = ("GET",), *, protected: bool = False
    ) -> Callable[[View], View]:
        def register(view: View) -> View:
            allowed = set(methods)
            if "GET" in allowed:
                allowed.add("HEAD")
            self.routes.append(Route(_segments(path), frozenset(allowed), view, protected))
            return view

        return register

    def dispatch(
        self, request: Request, settings: Settings, registry: Registry, lambda_context: LambdaContext | None
    ) -> Response:
        path = route_path(request.path, request.stage, settings.base_path)
        segments = _segments(path)
        matches = [(route, params) for route in self.routes if (params := route.match(segments)) is not None]
        if not matches:
            raise NotFound(f"Nothing at {path}. This is a SpiffArena connector proxy: see GET /v1/commands.")
        methods = frozenset().union(*(route.methods for route, _ in matches))
        origins = settings.cors_origins
        if origins and cors.is_preflight(request):
            return cors.preflight(request, origins, methods)
        chosen = next(((r, p) for r, p in matches if request.method in r.methods), None)
        if chosen is None:
            allow = ", ".join(sorted(methods | ({"OPTIONS"} if origins else set())))
            raise MethodNotAllowed(
                f"{request.method} is not allowed on {path}; use {allow}.", headers={"Allow": allow}
            )
        route, params = chosen
        logs.facts().route = "/" + "/".join(route.segments)
        if route.protected:
            check_api_key(request, expected_api_key(settings))
        response = route.view(request, Call(settings, registry, lambda_context, params))
        if request.method == "HEAD":
            response.body = b""
        return response


def route_path(path: str, stage: str, base_path: str) -> str:
    """The path as the proxy's routes see it, without stage or custom-domain base path."""
    path = "/" + path.strip("/")
    if base_path != "/" and (path == base_path or path.startswith(base_path + "/")):
        path = path[len(base_path) :] or "/"
    # An HTTP API with a named stage puts it first in rawPath; REST APIs leave it out.
    # Strip it only when what remains is one of ours, so a stage named like one of
    # our own segments (say "v1") cannot eat a real path.
    if stage and stage != "$default":
        prefix = "/" + stage
        if path == prefix or path.startswith(prefix + "/"):
            rest = path[len(prefix) :] or "/"
            if _is_proxy_path(rest):
                return rest
    return path


def _is_proxy_path(path: str) -> bool:
    return path in ("/", "/liveness") or path.startswith("/v1/")


def _unquote(segment: str) -> str:
    if "%" not in segment:
        return segment  # what unquote answers too; urllib.parse stays off the cold start
    from urllib.parse import unquote

    return unquote(segment)


def _segments(path: str) -> tuple[str, ...]:
    return tuple(segment for segment in path.split("/") if segment)
