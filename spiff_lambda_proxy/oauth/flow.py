"""The two auth routes, in the order the browser meets them.

Start: check where SpiffArena wants the browser back, sign what the callback
will need, send the browser to the provider. Callback: trust only what we
signed, exchange the code, send the browser back with the token answer (or the
error). `redirect_url` travels in an HttpOnly cookie rather than in the state,
because it carries the SpiffArena user's token and the state is shown to the
provider; the cookie also ties the callback to the browser that started the
sign-in, so nobody can push their own sign-in into someone else's browser.
"""

from __future__ import annotations

import json
import logging
import secrets
from typing import Any
from urllib.parse import urlsplit

from spiff_outbound.destinations import Policy

from ..budget import deadline
from ..errors import ConfigurationError
from ..messages import Request, Response
from ..registry import Target
from ..router import Call
from ..settings import outbound_policy
from . import signing
from .pages import FlowError, SignInFailed, error_page, redirect
from .provider import OAuthClient, describe
from .public_url import callback_url
from .redirects import check_redirect_url, with_params
from .settings import AuthSettings

logger = logging.getLogger(__name__)

_COOKIE_PREFIX = "spiff_oauth_"
# What every browser keeps of one cookie, attributes included.
_MAX_COOKIE_LENGTH = 4096
_STATE = "state"
_BROWSER = "browser"
# The codes an authorization response's `error` may hold (RFC 6749 section 4.1.2.1, OpenID Connect
# Core 1.0 section 3.1.2.6), matched whole: the only words of the URL the proxy's pages repeat.
_AUTHORIZATION_ERRORS = frozenset(
    {
        "invalid_request",
        "unauthorized_client",
        "access_denied",
        "unsupported_response_type",
        "invalid_scope",
        "server_error",
        "temporarily_unavailable",
        "interaction_required",
        "login_required",
        "account_selection_required",
        "consent_required",
        "invalid_request_uri",
        "invalid_request_object",
        "request_not_supported",
        "request_uri_not_supported",
        "registration_not_supported",
    }
)


def start(request: Request, call: Call) -> Response:
    try:
        target = _auth(call)
        auth_settings = AuthSettings.current()
        redirect_url = _query(request, "redirect_url")
        if redirect_url is None:
            raise FlowError(
                400, "missing_redirect_url", "redirect_url is required: start the sign-in from SpiffArena."
            )
        redirect_url = check_redirect_url(
            redirect_url, auth_settings.allowed_origins(), auth_settings.origins_setting
        )
        secret = signing.signing_secret(call.settings, auth_settings)
        client = describe(target, _policy())
        redirect_uri = callback_url(request, call.settings, auth_settings.public_url, target.id)
    except FlowError as error:
        return _refused(call, "start", error)
    nonce = secrets.token_urlsafe(16)
    claims = {"a": target.id, "e": signing.expiry(), "n": nonce}
    state = signing.seal(claims, secret, _STATE)
    browser = signing.seal({**claims, "r": redirect_url, "u": redirect_uri}, secret, _BROWSER)
    cookie = _cookie(nonce, browser, redirect_uri, max_age=signing.LIFETIME_SECONDS)
    if len(cookie) > _MAX_COOKIE_LENGTH:
        # A browser would drop it silently, and the callback would fail for no visible reason.
        return _refused(
            call, "start", FlowError(400, "redirect_url_not_allowed", "redirect_url is too long.")
        )
    logger.info("sign-in to %s: browser sent to %s", target.id, _origin(client.authorization_url))
    return redirect(_authorization_request(client, redirect_uri, state), cookies=(cookie,))


def callback(request: Request, call: Call) -> Response:
    if request.method == "HEAD":
        # A prefetch must not spend the one-time code.
        refusal = error_page(FlowError(405, "method_not_allowed", "The sign-in callback is opened with GET."))
        refusal.headers.set("Allow", "GET")
        return refusal
    cleared: tuple[str, ...] = ()
    try:
        target = _auth(call)
        auth_settings = AuthSettings.current()
        secret = signing.signing_secret(call.settings, auth_settings)
        nonce = _checked_state(request, target, secret)
        browser = _browser_claims(request, target, secret, nonce)
        cleared = (_cookie(nonce, "", browser["u"], max_age=0),)
        redirect_url = check_redirect_url(
            browser["r"], auth_settings.allowed_origins(), auth_settings.origins_setting
        )
    except FlowError as error:
        # A code OAuth defines, or no words at all: anything else from the URL would let anyone put
        # text of their choosing on a page of this domain.
        said = _query(request, "error", strict=False)
        if said in _AUTHORIZATION_ERRORS:
            error.message += f" The provider also said: {said}."
        elif said:
            error.message += " The provider also reported an error."
        return _refused(call, "callback", error, cleared)
    try:
        token = _token(request, call, target, browser["u"])
    except FlowError as problem:  # e.g. the auth's description: SpiffArena can still be told
        return _failed(target, redirect_url, SignInFailed(problem.code, problem.message), cleared)
    except SignInFailed as failure:
        return _failed(target, redirect_url, failure, cleared)
    logger.info("sign-in to %s: token handed to SpiffArena", target.id)
    answer = json.dumps(token, separators=(",", ":"), ensure_ascii=True)
    return redirect(with_params(redirect_url, [("response", answer)]), cleared)


def _failed(target: Target, redirect_url: str, failure: SignInFailed, cookies: tuple[str, ...]) -> Response:
    logger.warning("sign-in to %s failed: %s", target.id, failure.error)
    params = [("error", failure.error), ("error_description", failure.description)]
    return redirect(with_params(redirect_url, params), cookies)


def _token(request: Request, call: Call, target: Target, redirect_uri: str) -> dict[str, Any]:
    error = _query(request, "error")
    if error:
        raise SignInFailed(error, _query(request, "error_description") or "The provider refused the sign-in.")
    code = _query(request, "code")
    if not code:
        raise SignInFailed("invalid_request", "The provider sent the browser back without a code.")
    from . import exchange  # requests: only now that there is a code to exchange

    policy = _policy()
    client = describe(target, policy)
    budget = deadline(call.lambda_context, request.source, exchange.TIMEOUT_SECONDS)
    return exchange.exchange_code(client, code, redirect_uri, policy, budget)


def _checked_state(request: Request, target: Target, secret: str) -> str:
    """The nonce of a state we issued for this auth and that is still valid."""
    state = _query(request, "state")
    if not state:
        raise FlowError(
            400, "missing_state", "The provider sent the browser back without the sign-in's state."
        )
    try:
        claims = signing.unseal(state, secret, _STATE)
    except signing.BadToken as error:
        raise FlowError(
            400, "invalid_state", f"The sign-in's state is refused: {error}. Start again from SpiffArena."
        ) from None
    if claims.get("a") != target.id:
        raise FlowError(400, "invalid_state", f"The state belongs to another sign-in than {target.id}.")
    nonce = claims.get("n")
    if not isinstance(nonce, str) or not nonce.replace("-", "").replace("_", "").isalnum():
        raise FlowError(400, "invalid_state", "The sign-in's state is refused: it names no sign-in.")
    return nonce


def _browser_claims(request: Request, target: Target, secret: str, nonce: str) -> dict[str, Any]:
    value = _read_cookie(request, _COOKIE_PREFIX + nonce)
    if value is None:
        raise FlowError(
            400,
            "missing_sign_in_cookie",
            "This browser did not bring back the cookie the proxy set when the sign-in started: it was "
            "started in another browser, or cookies are blocked for this site. Start again from SpiffArena.",
        )
    try:
        claims = signing.unseal(value, secret, _BROWSER)
    except signing.BadToken as error:
        raise FlowError(400, "invalid_sign_in_cookie", f"The sign-in's cookie is refused: {error}.") from None
    if claims.get("n") != nonce or claims.get("a") != target.id:
        raise FlowError(400, "invalid_sign_in_cookie", "The sign-in's cookie belongs to another sign-in.")
    if not isinstance(claims.get("r"), str) or not isinstance(claims.get("u"), str):
        raise FlowError(400, "invalid_sign_in_cookie", "The sign-in's cookie is incomplete.")
    return claims


def _authorization_request(client: OAuthClient, redirect_uri: str, state: str) -> str:
    params = [("response_type", "code"), ("client_id", client.client_id), ("redirect_uri", redirect_uri)]
    if client.scope:
        params.append(("scope", client.scope))
    params += [("state", state), *client.authorize_params]
    return with_params(client.authorization_url, params)


def _auth(call: Call) -> Target:
    plugin, name = call.path_params["plugin"], call.path_params["auth"]
    target = call.registry.auth(plugin, name)
    if target is not None:
        return target
    # Not the path's words: they are the link's, and this is a page of the proxy's domain.
    raise FlowError(404, "auth_not_found", "There is no such auth here; GET /v1/auths lists them.")


def _policy() -> Policy:
    try:
        return outbound_policy()
    except ConfigurationError as error:
        raise FlowError(500, "configuration_error", error.message) from None


def _query(request: Request, name: str, *, strict: bool = True) -> str | None:
    values = request.query.get(name) or []
    if len(values) > 1 and strict:
        raise FlowError(400, "bad_request", f"{name} is given more than once.")
    return values[-1] if values else None


def _cookie(nonce: str, value: str, redirect_uri: str, *, max_age: int) -> str:
    parts = urlsplit(redirect_uri)
    attributes = f"Path={parts.path}; Max-Age={max_age}; HttpOnly; SameSite=Lax"
    # Secure wherever the browser would send it back anyway (not make serve's plain http).
    secure = "; Secure" if parts.scheme == "https" else ""
    return f"{_COOKIE_PREFIX}{nonce}={value}; {attributes}{secure}"


def _read_cookie(request: Request, name: str) -> str | None:
    for header in request.headers.get_all("Cookie"):
        for pair in header.split(";"):
            key, _, value = pair.strip().partition("=")
            if key == name:
                return value.strip().strip('"')
    return None


def _refused(call: Call, step: str, error: FlowError, cookies: tuple[str, ...] = ()) -> Response:
    # Path parameters are the caller's text: quoted, so they cannot forge log lines.
    auth_id = repr(f"{call.path_params.get('plugin', '')}/{call.path_params.get('auth', '')}"[:120])
    # A misconfigured deployment is the operator's to fix; refused requests are routine.
    level = logging.WARNING if error.status >= 500 else logging.INFO
    logger.log(level, "sign-in to %s refused at the %s: %s", auth_id, step, error.code)
    return error_page(error, cookies)


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname or ''}"
