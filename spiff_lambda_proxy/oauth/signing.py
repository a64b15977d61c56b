"""Signed, expiring tokens the browser carries between the start and the callback.

`<base64url JSON>.<base64url HMAC-SHA256>`; the key is derived from the
deployment's secret and the token's purpose, so a state can never pass for a
cookie (or a background run's signature) and the API key itself never signs
anything a browser sees.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
from typing import Any

from ..auth import expected_api_key
from ..errors import ProxyError
from ..settings import Settings
from .pages import FlowError
from .settings import STATE_SECRET, AuthSettings

VERSION = 1
# How long a sign-in may take, from the start to the callback.
LIFETIME_SECONDS = 600
# A state or cookie we issued is far shorter; anything longer is not ours.
_MAX_TOKEN_LENGTH = 8192


class BadToken(ValueError):
    """Not a token we signed for this purpose, or no longer valid; the message says which."""


def signing_secret(settings: Settings, auth_settings: AuthSettings) -> str:
    """The deployment's secret for sign-ins: the dedicated one, else the API key."""
    if auth_settings.state_secret:
        return auth_settings.state_secret
    try:
        api_key = expected_api_key(settings)  # from a secret store when configured so
    except ProxyError as error:
        raise FlowError(error.status, error.error_code, error.message) from None
    if api_key and api_key.strip():
        return api_key
    raise FlowError(
        500,
        "configuration_error",
        "Sign-in through this proxy needs a secret to sign its state with: set "
        f"{STATE_SECRET} (e.g. the output of `openssl rand -hex 32`) or give the proxy an API key "
        "(CONNECTOR_PROXY_API_KEY).",
    )


def seal(payload: dict[str, Any], secret: str, purpose: str) -> str:
    body = _b64(json.dumps({"v": VERSION, **payload}, separators=(",", ":"), sort_keys=True).encode())
    return f"{body}.{_b64(_mac(body, secret, purpose))}"


def unseal(token: str, secret: str, purpose: str) -> dict[str, Any]:
    """The payload of a token we sealed for `purpose` that has not expired; raises BadToken."""
    if len(token) > _MAX_TOKEN_LENGTH or token.count(".") != 1:
        raise BadToken("it is not one this proxy issued")
    body, signature = token.split(".")
    # The text, not its decoding: base64 decoders ignore stray bits, and only our own
    # spelling of the signature counts. Constant time, so it cannot be found byte by byte.
    if not hmac.compare_digest(signature.encode(), _b64(_mac(body, secret, purpose)).encode()):
        raise BadToken("its signature does not match (altered, or signed with another secret)")
    try:
        payload = json.loads(_unb64(body))
    except ValueError:
        raise BadToken("it is not one this proxy issued") from None
    if not isinstance(payload, dict) or payload.get("v") != VERSION:
        raise BadToken("it is from another version of this proxy")
    expires = payload.get("e")
    if not isinstance(expires, int) or isinstance(expires, bool):
        raise BadToken("it has no expiry")
    if time.time() >= expires:
        raise BadToken(f"it has expired (a sign-in must be finished within {LIFETIME_SECONDS // 60} minutes)")
    return payload


def expiry() -> int:
    return int(time.time()) + LIFETIME_SECONDS


def _mac(body: str, secret: str, purpose: str) -> bytes:
    key = hmac.new(
        secret.encode(), f"spiff-connector-proxy oauth {purpose}".encode(), hashlib.sha256
    ).digest()
    return hmac.new(key, body.encode(), hashlib.sha256).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    if not text.isascii():
        raise ValueError("not base64url")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise ValueError("not base64url") from None
