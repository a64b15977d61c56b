"""Delivering a background task's result: `PUT <spiff__callback_url>`, retried while time allows.

The standard library's urllib is enough for one PUT per task: there is no
connection to keep warm across tasks, nothing to import at cold start, and it
does not follow redirects for PUT, so the API key never travels to a host the
callback URL did not name.
"""

from __future__ import annotations

import http.client
import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import NamedTuple
from urllib.parse import urlsplit

from ..errors import BadRequest, ConfigurationError
from ..settings import Settings
from .settings import BackgroundSettings

API_KEY_HEADER = "SpiffWorkflow-Api-Key"
# Worth another try: the answer may differ next time.
_TRANSIENT_STATUSES = frozenset({408, 425, 429})
_MAX_BACKOFF_SECONDS = 30.0
# An attempt with less time than this cannot expect an answer.
_MIN_ATTEMPT_SECONDS = 0.5
_ERROR_EXCERPT = 300


class Delivery(NamedTuple):
    delivered: bool
    status: int | None
    attempts: int
    # Why the last attempt failed (status and SpiffArena's error code, or the exception's name).
    detail: str


class Policy(NamedTuple):
    attempt_timeout: float
    max_attempts: int
    backoff: float


def deliver(
    url: str,
    body: bytes,
    *,
    api_key: str | None,
    deadline: float,
    policy: Policy,
    clock: Callable[[], float] = time.time,
    sleep: Callable[[float], None] = time.sleep,
) -> Delivery:
    """PUT `body` to `url` until it is accepted, the attempts run out or `deadline` (epoch s) nears."""
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    if api_key:
        headers[API_KEY_HEADER] = api_key
    attempts = 0
    status: int | None = None
    detail = "no time left to try"
    while attempts < policy.max_attempts:
        time_left = deadline - clock()
        if time_left < _MIN_ATTEMPT_SECONDS:
            break
        attempts += 1
        status, detail, retry_after = _put(url, body, headers, min(policy.attempt_timeout, time_left))
        if status is not None and 200 <= status < 300:
            return Delivery(True, status, attempts, detail)
        if not _transient(status):
            break
        wait = retry_after if retry_after is not None else policy.backoff * 2 ** (attempts - 1)
        wait = min(wait, _MAX_BACKOFF_SECONDS)
        if attempts >= policy.max_attempts or clock() + wait + _MIN_ATTEMPT_SECONDS > deadline:
            break
        sleep(wait)
    return Delivery(False, status, attempts, detail)


def loggable(url: str) -> str:
    """The URL without credentials or query string, safe for a log line."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return f"{parts.scheme}://{host}{parts.path}"


def _transient(status: int | None) -> bool:
    return status is None or status >= 500 or status in _TRANSIENT_STATUSES


def _put(
    url: str, body: bytes, headers: dict[str, str], timeout: float
) -> tuple[int | None, str, float | None]:
    """One attempt: (status or None when no answer came, detail, Retry-After seconds)."""
    # The scheme was checked to be http(s) before the task started (background.check_callback_url).
    request = urllib.request.Request(url, data=body, headers=headers, method="PUT")  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            response.read(_ERROR_EXCERPT)
            return response.status, f"HTTP {response.status}", None
    except urllib.error.HTTPError as error:
        try:
            answer = error.read(4096)
        except OSError:
            answer = b""
        finally:
            error.close()
        return (
            error.code,
            _describe_refusal(error.code, answer),
            _retry_after(error.headers.get("Retry-After")),
        )
    except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError) as error:
        reason = getattr(error, "reason", None)
        name = type(reason if isinstance(reason, BaseException) else error).__name__
        return None, name, None


def _describe_refusal(status: int, answer: bytes) -> str:
    """Status plus SpiffArena's error code when it sent one (it never echoes the API key)."""
    detail = f"HTTP {status}"
    if 300 <= status < 400:
        return detail + " (a redirect; set the callback URL SpiffArena sends to its final address)"
    try:
        payload = json.loads(answer)
    except ValueError:
        return detail
    nested = payload.get("error") if isinstance(payload, dict) else None
    for source in (payload, nested):
        code = source.get("error_code") if isinstance(source, dict) else None
        if isinstance(code, str):
            return f"{detail} {code[:_ERROR_EXCERPT]}"
    return detail


def _retry_after(value: str | None) -> float | None:
    try:
        seconds = float(value) if value is not None else None
    except ValueError:
        return None  # an HTTP date: fall back to our own backoff
    return seconds if seconds is not None and seconds >= 0 else None


def check_callback_url(url: str, settings: BackgroundSettings, proxy_settings: Settings) -> None:
    """Refuse callback URLs the result (and the SpiffArena API key) must not be sent to."""
    origin = _origin(url)
    if origin is None:
        raise BadRequest("spiff__callback_url must be an http(s) URL.", error_code="invalid_callback_url")
    if settings.callback_origins:
        if origin not in {_origin(allowed) for allowed in settings.callback_origins}:
            raise BadRequest(
                f"Callbacks may go to {', '.join(settings.callback_origins)} only "
                f"(SPIFFARENA_CALLBACK_ORIGINS), not to {origin}.",
                error_code="callback_url_not_allowed",
            )
        return
    if settings.callback_api_key and not proxy_settings.authenticates_callers:
        # Anyone who can reach the proxy could otherwise have the key sent to their own server.
        raise ConfigurationError(
            "Background runs send SPIFFARENA_CALLBACK_API_KEY to the callback URL in the request, and "
            "this proxy does not authenticate its callers. Set SPIFFARENA_CALLBACK_ORIGINS to SpiffArena's "
            "backend origin (e.g. https://spiff.example.com), or set CONNECTOR_PROXY_API_KEY."
        )


def _origin(url: str) -> str | None:
    """scheme://host[:port] with the default port left out, or None for what is not an http(s) URL."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    default_port = 443 if parts.scheme == "https" else 80
    return f"{parts.scheme}://{parts.hostname}" + (f":{port}" if port and port != default_port else "")
