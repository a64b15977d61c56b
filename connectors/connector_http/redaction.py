"""Keeping credentials out of `spiff__logs` and error messages.

Two layers: URLs are logged without user info and with secret-looking query
values masked, and every line is scrubbed of the call's known secret values
(password, sensitive header values, ...) in case one slipped into a message.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

MASK = "***"
# Query parameter and header names whose values are credentials, or may be.
_SECRET_NAME = re.compile(
    r"pass|pwd|secret|token|key|auth|sig|credential|session|cookie|jwt|bearer|code", re.I
)
# Headers that carry credentials: their values are masked in every line, and they are
# not sent on to another origin when a redirect leads there. Any name `is_secret_name`
# matches counts as well (X-Amz-Security-Token, X-Session-Id, ...): one rule for both.
CREDENTIAL_HEADERS = ("authorization", "proxy-authorization", "cookie", "x-api-key", "x-auth-token")
# Shorter values are not scrubbed from free text: masking every "ab" would garble
# messages, and our own lines never print header or password values anyway.
_MIN_SCRUBBED_LENGTH = 4


def is_secret_name(name: str) -> bool:
    return bool(_SECRET_NAME.search(name))


def is_credential_header(name: str) -> bool:
    return name.lower() in CREDENTIAL_HEADERS or is_secret_name(name)


def safe_url(url: str) -> str:
    """`url` fit for a log: no user info, secret-looking query values masked, no fragment."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port
    except ValueError:
        return "(unparsable URL)"
    if ":" in host:
        host = f"[{host}]"
    netloc = host if port is None else f"{host}:{port}"
    if parts.username is not None or parts.password is not None:
        netloc = f"{MASK}@{netloc}"
    query = urlencode(
        [(name, MASK if is_secret_name(name) else value) for name, value in parse_qsl(parts.query, True)],
        safe=MASK,
    )
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))


def origin(url: str) -> str:
    """scheme://host:port of `url`, for messages: nothing that could hold a secret."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port or {"http": 80, "https": 443}.get(parts.scheme.lower())
    except ValueError:
        return "(unparsable URL)"
    if ":" in host:
        host = f"[{host}]"
    return f"{parts.scheme.lower()}://{host}:{port}"


class Secrets:
    """Values that must never be printed: scrubbed from every line we write."""

    def __init__(self, values: Iterable[str] = ()) -> None:
        self._values: set[str] = set()
        self.add(*values)

    def add(self, *values: str | None) -> None:
        for value in values:
            if value and len(value) >= _MIN_SCRUBBED_LENGTH:
                self._values.add(value)
                # "Bearer abc..." also leaks if only the token part is printed.
                _, _, token = value.partition(" ")
                if len(token) >= _MIN_SCRUBBED_LENGTH:
                    self._values.add(token)

    def scrub(self, text: str) -> str:
        # Longest first, so a secret containing another is masked whole.
        for value in sorted(self._values, key=len, reverse=True):
            text = text.replace(value, MASK)
        return text


class CallLog:
    """The `spiff__logs` lines of one command run, each stamped with the time since it began."""

    def __init__(self, secrets: Secrets | None = None) -> None:
        self.secrets = secrets or Secrets()
        self.lines: list[str] = []
        self._started = time.monotonic()

    def add(self, message: str) -> None:
        elapsed = time.monotonic() - self._started
        self.lines.append(f"[{elapsed:.3f}s] {self.secrets.scrub(message)}")
