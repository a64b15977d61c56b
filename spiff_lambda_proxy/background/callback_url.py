"""Where a background run's result may be sent: checked before the 202, and again before the run.

The callback URL comes from the request, and the result (with SpiffArena's API
key) goes wherever it points. So it must be an http(s) URL; within
`SPIFFARENA_CALLBACK_ORIGINS` when that is set; never a URL any caller chose
while the key would travel with it; and a destination the deployment's outbound
policy allows (`spiff_outbound`: `HTTP_CONNECTOR_ALLOWED_HOSTS` / `_DENIED_HOSTS`,
never the Lambda Runtime API), the same rules the http connector obeys. Before
the 202 the host is resolved and judged by the addresses it has now; delivery
judges them again when it connects, since a DNS answer may change in between.
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit

from spiff_outbound.destinations import ALLOWED_HOSTS, DENIED_HOSTS, InvalidHostList, Policy, as_address

from ..errors import BadRequest, ConfigurationError
from ..settings import Settings
from .settings import BackgroundSettings

INVALID = "invalid_callback_url"
NOT_ALLOWED = "callback_url_not_allowed"


def outbound_policy() -> Policy:
    """The deployment's destination policy, as the http connector reads it."""
    try:
        return Policy.from_settings(os.environ.get)
    except InvalidHostList as error:
        raise ConfigurationError(str(error)) from None


def check(
    url: str,
    settings: BackgroundSettings,
    proxy_settings: Settings,
    policy: Policy,
    *,
    resolve: bool = True,
) -> None:
    """Raise unless the result (and the SpiffArena API key) may be sent to `url`."""
    origin = _origin(url)
    if origin is None:
        raise BadRequest("spiff__callback_url must be an http(s) URL.", error_code=INVALID)
    if settings.callback_origins:
        if origin not in {_origin(allowed) for allowed in settings.callback_origins}:
            raise BadRequest(
                f"Callbacks may go to {', '.join(settings.callback_origins)} only "
                f"(SPIFFARENA_CALLBACK_ORIGINS), not to {origin}.",
                error_code=NOT_ALLOWED,
            )
    elif settings.callback_api_key and not proxy_settings.authenticates_callers:
        # Anyone who can reach the proxy could otherwise have the key sent to their own server.
        raise ConfigurationError(
            "Background runs send SPIFFARENA_CALLBACK_API_KEY to the callback URL in the request, and "
            "this proxy does not authenticate its callers. Set SPIFFARENA_CALLBACK_ORIGINS to SpiffArena's "
            "backend origin (e.g. https://spiff.example.com), or set CONNECTOR_PROXY_API_KEY."
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
    if any(ord(char) <= 0x20 or ord(char) == 0x7F for char in url):
        return None  # whitespace or control characters: nothing SpiffArena builds
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    default_port = 443 if parts.scheme == "https" else 80
    return f"{parts.scheme}://{parts.hostname}" + (f":{port}" if port and port != default_port else "")
