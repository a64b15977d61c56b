"""The API key check SpiffArena's `SPIFFWORKFLOW_BACKEND_CONNECTOR_PROXY_API_KEY` speaks."""

from __future__ import annotations

from .errors import ConfigurationError, Unauthorized
from .messages import Request
from .settings import Settings

API_KEY_HEADER = "Spiff-Connector-Proxy-Api-Key"


def expected_api_key(settings: Settings) -> str | None:
    """The key callers must send: from the environment, or read from a secret store; None: open."""
    if settings.api_key_secret is None:
        return settings.api_key
    if settings.api_key is not None:
        raise ConfigurationError(
            "Both CONNECTOR_PROXY_API_KEY and CONNECTOR_PROXY_API_KEY_SECRET are set; keep only one "
            "(the secret, in production)."
        )
    from . import secret_store  # only deployments that keep the key in AWS pay for boto3

    return secret_store.api_key(settings.api_key_secret, settings.api_key_secret_ttl)


def check_api_key(request: Request, expected: str | None) -> None:
    """Raise unless the request carries the configured key (no key configured: open)."""
    if expected is None:
        return
    if not expected.strip():
        # A Lambda cannot refuse to start, so every protected request says what is wrong.
        raise ConfigurationError(
            "CONNECTOR_PROXY_API_KEY is set but empty. Set it to the key SpiffArena sends "
            "(SPIFFWORKFLOW_BACKEND_CONNECTOR_PROXY_API_KEY), or remove the variable to run "
            "without an API key."
        )
    provided = request.headers.get(API_KEY_HEADER)
    if provided is None:
        raise Unauthorized(f"This proxy requires the {API_KEY_HEADER} header.")
    import hmac  # here, not at import: it loads OpenSSL, which a keyless proxy never needs

    # Constant time, so the key cannot be guessed byte by byte from response times.
    # surrogatepass: a header holding a lone surrogate is a wrong key, not a crash.
    if not hmac.compare_digest(_bytes(provided), _bytes(expected)):
        raise Unauthorized(f"The {API_KEY_HEADER} header does not match this proxy's API key.")


def _bytes(key: str) -> bytes:
    return key.encode("utf-8", "surrogatepass")
