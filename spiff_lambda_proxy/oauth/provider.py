"""An auth class's `app_description(config)` read as an OAuth 2 client.

The keys are those of Flask-OAuthlib's remote apps, which the reference host
feeds the description to: `client_id`, `client_secret`, `authorization_url`,
`access_token_url`, `scope` (the contrib client), or older connectors'
`consumer_key`, `consumer_secret`, `base_url`, `authorize_url` and
`request_token_params` / `access_token_params`. A description that asks for
something this proxy does not do is refused with a page saying what.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, NamedTuple
from urllib.parse import urljoin, urlsplit

from spiff_outbound.destinations import ALLOWED_HOSTS, Policy, as_address

from ..flask_context import command_context
from ..registry import Target
from ..runner import ConnectorConfig
from .pages import FlowError

logger = logging.getLogger(__name__)

BASIC = "client_secret_basic"
POST = "client_secret_post"
# Parameters the flow sets itself; a description cannot override them.
_AUTHORIZE_RESERVED = frozenset({"response_type", "client_id", "redirect_uri", "state", "scope"})
_TOKEN_RESERVED = frozenset({"grant_type", "code", "redirect_uri", "client_id", "client_secret"})


class OAuthClient(NamedTuple):
    auth_id: str
    client_id: str
    client_secret: str
    authorization_url: str
    token_url: str
    scope: str | None
    authorize_params: tuple[tuple[str, str], ...]
    token_params: tuple[tuple[str, str], ...]
    # How the client authenticates at the token endpoint: HTTP Basic (the default) or the form body.
    auth_method: str


def describe(target: Target, policy: Policy) -> OAuthClient:
    """The OAuth 2 client `target` (an auth class) describes; raises FlowError when it cannot be used."""
    description = _app_description(target)
    version = str(description.get("version", "2")).strip()
    if version == "1" or description.get("request_token_url"):
        raise FlowError(
            501,
            "oauth1_not_supported",
            f"{target.id} describes an OAuth 1 client; this proxy signs in with OAuth 2 only.",
        )
    if version not in ("2", "2.0"):
        raise FlowError(
            501, "oauth_version_not_supported", f"{target.id} asks for OAuth version {version!r}."
        )
    method = str(description.get("access_token_method") or "POST").upper()
    if method != "POST":
        raise FlowError(
            501,
            "token_method_not_supported",
            f"{target.id} asks for the token with {method}; only POST is done.",
        )
    auth_method = str(description.get("token_endpoint_auth_method") or BASIC)
    if auth_method not in (BASIC, POST):
        raise _misdescribed(
            target, f"token_endpoint_auth_method must be {BASIC} or {POST}, not {auth_method!r}"
        )
    base_url = _text(target, description, "base_url", required=False)
    authorize_url = _text(target, description, "authorization_url", "authorize_url")
    token_url = _text(target, description, "access_token_url")
    authorize_extra = _params(target, description, "request_token_params")
    return OAuthClient(
        auth_id=target.id,
        client_id=_text(target, description, "client_id", "consumer_key"),
        client_secret=_text(target, description, "client_secret", "consumer_secret", required=False),
        authorization_url=_provider_url(
            target, urljoin(base_url, authorize_url), "authorization URL", policy
        ),
        token_url=_provider_url(target, urljoin(base_url, token_url), "access_token_url", policy),
        scope=_scope(target, description.get("scope") or dict(authorize_extra).get("scope")),
        authorize_params=tuple((k, v) for k, v in authorize_extra if k not in _AUTHORIZE_RESERVED),
        token_params=tuple(
            (k, v) for k, v in _params(target, description, "access_token_params") if k not in _TOKEN_RESERVED
        ),
        auth_method=auth_method,
    )


def _app_description(target: Target) -> Mapping[str, Any]:
    try:
        auth = target.cls()
    except TypeError as error:
        raise _misdescribed(target, f"its class cannot be created without arguments ({error})") from None
    except Exception as error:
        raise _raised(target, "__init__", error) from None
    describe_app = getattr(auth, "app_description", None)
    if not callable(describe_app):
        raise _misdescribed(target, "it has no app_description(config) method")
    try:
        # The same mapping commands get (the function's environment), and for a Flask-era
        # connector the same Flask application context.
        config = ConnectorConfig()
        with command_context(target.cls, config):
            description = describe_app(config)
    except Exception as error:
        raise _raised(target, "app_description", error) from None
    if not isinstance(description, Mapping):
        raise _misdescribed(target, f"app_description returned {type(description).__name__}, not a dict")
    return description


def _raised(target: Target, where: str, error: Exception) -> FlowError:
    # The traceback is for the operator; the page (no API key needed) says only what kind of failure.
    logger.exception("auth %s: %s raised %s", target.id, where, type(error).__name__)
    detail = type(error).__name__
    if isinstance(error, KeyError) and error.args and isinstance(error.args[0], str):
        detail = f"it reads the setting {error.args[0]!r}, which is not set on the function"
    return FlowError(500, "auth_failed", f"{target.id} could not describe its OAuth client: {detail}.")


def _misdescribed(target: Target, problem: str) -> FlowError:
    return FlowError(500, "auth_misdescribed", f"{target.id} cannot be used to sign in: {problem}.")


def _text(target: Target, description: Mapping[str, Any], *names: str, required: bool = True) -> str:
    for name in names:
        value = description.get(name)
        if value is None or value == "":
            continue
        if not isinstance(value, str):
            raise _misdescribed(target, f"its {name} must be text")
        return value.strip()
    if required:
        raise _misdescribed(target, f"app_description gives no {' or '.join(names)}")
    return ""


def _params(target: Target, description: Mapping[str, Any], name: str) -> tuple[tuple[str, str], ...]:
    params = description.get(name) or {}
    if not isinstance(params, Mapping):
        raise _misdescribed(target, f"its {name} must be a dict")
    pairs = []
    for key, value in params.items():
        if isinstance(value, (list, tuple)) and key == "scope":
            value = " ".join(map(str, value))
        if not isinstance(key, str) or not isinstance(value, (str, int, float)) or isinstance(value, bool):
            raise _misdescribed(target, f"its {name} must map names to text")
        pairs.append((key, str(value)))
    return tuple(pairs)


def _scope(target: Target, scope: Any) -> str | None:
    if scope is None or scope == "":
        return None
    if isinstance(scope, str):
        return scope
    if isinstance(scope, (list, tuple)) and all(isinstance(item, str) for item in scope):
        return " ".join(scope)
    raise _misdescribed(target, "its scope must be text or a list of text")


def _provider_url(target: Target, url: str, what: str, policy: Policy) -> str:
    """https, or http to a host the deployment allows explicitly (a provider on this machine)."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
    except ValueError:
        raise _misdescribed(target, f"its {what} is not a URL") from None
    if parts.scheme == "https" and host:
        return url
    if parts.scheme == "http" and host and policy.allowed.matches(host, as_address(host)):
        return url
    shown = f"{parts.scheme}://{host}" if parts.scheme and host else "a relative URL"
    raise _misdescribed(
        target,
        f"its {what} must be an https:// URL (http:// only to a host listed in {ALLOWED_HOSTS}), not {shown}",
    )
