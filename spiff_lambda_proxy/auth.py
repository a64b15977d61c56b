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


def check_api_key(request: Request, expected: str | None, *, basic_password: bool = False) -> None:
    """Raise unless the request carries the configured key (no key configured: open).

    With `basic_password`, the key may also come as the password of HTTP Basic credentials:
    SpiffArena's typeahead requests send no header, but requests sends the `user:key@` of a URL so.
    """
    if expected is None:
        return
    problem = _key_problem(request, expected, basic_password)
    if problem is not None:
        headers = (
            {"WWW-Authenticate": 'Basic realm="connector proxy", charset="UTF-8"'} if basic_password else None
        )
        raise Unauthorized(problem, headers=headers)


def has_api_key(request: Request, expected: str | None, *, basic_password: bool = False) -> bool:
    """Whether `check_api_key` would let the request through."""
    return expected is None or _key_problem(request, expected, basic_password) is None


def _key_problem(request: Request, expected: str, basic_password: bool) -> str | None:
    """What is wrong with the key the request carries, or None when it is the right one."""
    if not expected.strip():
        # A Lambda cannot refuse to start, so every protected request says what is wrong.
        raise ConfigurationError(
            "CONNECTOR_PROXY_API_KEY is set but empty. Set it to the key SpiffArena sends "
            "(SPIFFWORKFLOW_BACKEND_CONNECTOR_PROXY_API_KEY), or remove the variable to run "
            "without an API key."
        )
    provided = request.headers.get(API_KEY_HEADER)
    if provided is not None:
        if _matches(_bytes(provided), expected):
            return None
        return f"The {API_KEY_HEADER} header does not match this proxy's API key."
    if not basic_password:
        return f"This proxy requires the {API_KEY_HEADER} header."
    password = _basic_password(request.headers.get("Authorization", ""))
    if password is None:
        return (
            f"This list requires this proxy's API key: send the {API_KEY_HEADER} header, or the key as the "
            "HTTP Basic password (a URL like https://spiff:<key>@<host>)."
        )
    if _matches(password, expected) or _matches(password, expected, "latin-1"):
        return None
    return "The HTTP Basic password does not match this proxy's API key."


def _matches(provided: bytes, expected: str, encoding: str = "utf-8") -> bool:
    import hmac  # here, not at import: it loads OpenSSL, which a keyless proxy never needs

    try:
        wanted = expected.encode(encoding, "surrogatepass")
    except UnicodeEncodeError:
        return False  # a key that has no latin-1 form: requests cannot have sent it so
    # Constant time, so the key cannot be guessed byte by byte from response times.
    return hmac.compare_digest(provided, wanted)


def _basic_password(authorization: str) -> bytes | None:
    """The password of `Authorization: Basic <base64 of user:password>`, as bytes; None without one.

    requests encodes the credentials of a URL as latin-1 after percent-decoding them; other clients
    use UTF-8. Both spellings of the key are accepted."""
    scheme, _, credentials = authorization.strip().partition(" ")
    if scheme.lower() != "basic" or not credentials.strip():
        return None
    import base64
    import binascii

    try:
        decoded = base64.b64decode(credentials.strip(), validate=True)
    except (binascii.Error, ValueError):
        return None
    _user, colon, password = decoded.partition(b":")
    return password if colon else None


def _bytes(key: str) -> bytes:
    # surrogatepass: a header holding a lone surrogate is a wrong key, not a crash.
    return key.encode("utf-8", "surrogatepass")
