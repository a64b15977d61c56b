"""Where a background run's result may be sent: checked before the 202, and again before the run.

The callback URL comes from the request, and the result (with SpiffArena's API
key) goes wherever it points. So it must be an http(s) URL; within
`SPIFFARENA_CALLBACK_ORIGINS`, which must be set whenever `SPIFFARENA_CALLBACK_API_KEY`
is (even a caller holding the proxy's own API key may not have SpiffArena's sent
elsewhere); and a destination the deployment's outbound policy allows
(`spiff_outbound`: `HTTP_CONNECTOR_ALLOWED_HOSTS` / `_DENIED_HOSTS`, never the
Lambda Runtime API), the same rules the http connector obeys. Before the 202 the
host is resolved and judged by the addresses it has now; delivery judges them
again when it connects, since a DNS answer may change in between.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from spiff_outbound.destinations import ALLOWED_HOSTS, DENIED_HOSTS, Policy, as_address

from ..errors import BadRequest, ConfigurationError
from ..settings import Settings
from .settings import BackgroundSettings

INVALID = "invalid_callback_url"
NOT_ALLOWED = "callback_url_not_allowed"


def check(
    url: str,
    settings: BackgroundSettings,
    proxy_settings: Settings,
    policy: Policy,
    *,
    resolve: bool = True,
) -> None:
    """Raise unless the result (and the SpiffArena API key) may be sent to `url`.

    `proxy_settings` is not consulted any more: the proxy's own API key no longer stands in for
    `SPIFFARENA_CALLBACK_ORIGINS` (whoever holds it could have SpiffArena's key sent anywhere).
    """
    if settings.callback_api_key and not settings.callback_origins:
        raise ConfigurationError(
            "SPIFFARENA_CALLBACK_API_KEY is set, and background runs send it with their result to the "
            "callback URL in the request, so the proxy must know where SpiffArena is: set "
            "SPIFFARENA_CALLBACK_ORIGINS to its backend's origin (the scheme, host and port of "
            "SPIFFWORKFLOW_BACKEND_URL, e.g. https://spiff.example.com)."
        )
    origin = _origin(url)
    if origin is None:
        raise BadRequest("spiff__callback_url must be an http(s) URL.", error_code=INVALID)
    allowed = {_origin(origin) for origin in settings.callback_origins}
    if settings.callback_origins and origin not in allowed:
        raise BadRequest(
            f"Callbacks may go to {', '.join(settings.callback_origins)} only "
            f"(SPIFFARENA_CALLBACK_ORIGINS), not to {origin}.",
            error_code=NOT_ALLOWED,
        )
    parts = urlsplit(url)
    host = parts.hostname or ""
    refusal = policy.refusal_by_name(host)
    if refusal is None and resolve:
        refusal = _refusal_by_address(policy, host, parts.port or (443 if parts.scheme == "https" else 80))
    if refusal is not None:
        raise BadRequest(
            f"Callbacks may not go to {host}: {refusal}. Callbacks obey the http connector's destination "
            f"rules: {ALLOWED_HOSTS} and {DENIED_HOSTS} (see docs/http.md).",
            error_code=NOT_ALLOWED,
        )


def _refusal_by_address(policy: Policy, host: str, port: int) -> str | None:
    """Why every address `host` has is refused, or None when one of them may be reached."""
    import socket  # here, not at cold start: only a background run's start resolves a name

    literal = as_address(host)
    if literal is not None:
        return policy.refusal(host, literal, port)
    try:
        found = socket.getaddrinfo(host, port, 0, socket.SOCK_STREAM)
    except (OSError, UnicodeError) as error:
        raise BadRequest(
            f"The callback URL's host {host} does not resolve ({type(error).__name__}), so its result "
            "could not be delivered.",
            error_code=INVALID,
        ) from None
    reasons = []
    for *_, sockaddr in found:
        address = as_address(str(sockaddr[0]))
        reason = (
            policy.refusal(host, address, port)
            if address is not None
            else f"{sockaddr[0]} is not an IP address"
        )
        if reason is None:
            return None
        reasons.append(reason)
    return reasons[0] if reasons else f"{host} resolves to no address"


def loggable(url: str) -> str:
    """The URL without credentials or query string, safe for a log line or an error message."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return "(an invalid URL)"
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    if port:
        host = f"{host}:{port}"
    return f"{parts.scheme}://{host}{parts.path}"


def _origin(url: str) -> str | None:
    """scheme://host[:port] with the default port left out, or None for what is not an http(s) URL."""
    if " " in url or not url.isprintable():
        return None  # spaces, control or format characters: nothing SpiffArena builds
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    default_port = 443 if parts.scheme == "https" else 80
    return f"{parts.scheme}://{parts.hostname}" + (f":{port}" if port and port != default_port else "")
