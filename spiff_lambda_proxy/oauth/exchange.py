"""The code for a token (RFC 6749 section 4.1.3), at the provider's token endpoint.

Imported by the callback only: it loads requests.

Through spiff_outbound's guarded transport, so the deployment's destination
rules apply as to the http connector, bounded by a deadline. The answer is
shaped as the reference host's requests-oauthlib hands it over (scope as a
list, `expires_at` added), since that is what SpiffArena stores and connectors
read back.
"""

from __future__ import annotations

import contextlib
import json
import time
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from spiff_outbound import exchange
from spiff_outbound.destinations import ALLOWED_HOSTS, Policy

from .pages import SignInFailed
from .provider import BASIC, OAuthClient

# A sign-in is a person waiting in a browser: give up long before API Gateway does.
TIMEOUT_SECONDS = 15.0
# Token answers are a few kilobytes; anything much larger is not one.
_MAX_ANSWER_BYTES = 64 * 1024


def exchange_code(
    client: OAuthClient, code: str, redirect_uri: str, policy: Policy, deadline: float | None
) -> dict[str, Any]:
    form = [("grant_type", "authorization_code"), ("code", code), ("redirect_uri", redirect_uri)]
    auth: tuple[str, str] | None = None
    if client.auth_method == BASIC and client.client_secret:
        auth = (client.client_id, client.client_secret)
    else:  # the form body (client_secret_post), or a public client, which names itself only
        form.append(("client_id", client.client_id))
        if client.client_secret:
            form.append(("client_secret", client.client_secret))
    form += client.token_params
    status, content_type, body = _post(client.token_url, form, auth, policy, deadline)
    return token_from(status, content_type, body)


def _post(
    url: str,
    form: list[tuple[str, str]],
    auth: tuple[str, str] | None,
    policy: Policy,
    deadline: float | None,
) -> tuple[int, str, bytes]:
    where = _origin(url)
    deadline = time.time() + TIMEOUT_SECONDS if deadline is None else deadline
    if deadline - time.time() <= 0.1:
        raise SignInFailed("temporarily_unavailable", "No time was left to ask the provider for the token.")
    try:
        answer = exchange.send(
            policy,
            "POST",
            url,
            deadline=deadline,
            headers={"Accept": "application/json", "Content-Type": "application/x-www-form-urlencoded"},
            body=urlencode(form).encode(),
            timeout=TIMEOUT_SECONDS,
            # One byte more than a token answer may have, to tell a longer one.
            max_body_bytes=_MAX_ANSWER_BYTES + 1,
            basic_auth=auth,
        )
    except exchange.DestinationRefused as refused:
        raise SignInFailed(
            "token_request_refused",
            f"The proxy may not reach {where}: {refused.reason} (see {ALLOWED_HOSTS}).",
        ) from None
    except exchange.DeadlineReached:
        raise SignInFailed("temporarily_unavailable", f"{where} did not answer in time.") from None
    except exchange.OutboundError as error:
        raise SignInFailed("token_request_failed", f"{where} could not be reached ({error}).") from None
    if len(answer.body) > _MAX_ANSWER_BYTES:
        raise SignInFailed("invalid_token_response", f"The token answer is over {_MAX_ANSWER_BYTES} bytes.")
    return answer.status, answer.headers.get("content-type", ""), answer.body


def token_from(status: int, content_type: str, body: bytes) -> dict[str, Any]:
    """The token answer as SpiffArena stores it, or SignInFailed with the provider's error."""
    params = _parse(content_type, body)
    if params is not None and params.get("error"):
        raise SignInFailed(
            str(params["error"]),
            str(params.get("error_description") or f"The provider refused the code (HTTP {status})."),
        )
    if 300 <= status < 400:
        raise SignInFailed(
            "token_request_failed", f"The token endpoint redirected (HTTP {status}); set its final URL."
        )
    if not 200 <= status < 300:
        raise SignInFailed("token_request_failed", f"The token endpoint answered HTTP {status}.")
    if params is None:
        raise SignInFailed(
            "invalid_token_response", "The token endpoint's answer is not a JSON object (nor a form)."
        )
    if not isinstance(params.get("access_token"), str) or not params["access_token"]:
        raise SignInFailed("invalid_token_response", "The token endpoint's answer has no access_token.")
    # What oauthlib's parse_token_response makes of it, for the reference host hands that on.
    if isinstance(params.get("scope"), str):
        params["scope"] = params["scope"].split()
    expires_in = params.get("expires_in")
    if expires_in is None:
        params.pop("expires_in", None)
    else:
        # Not a number of seconds: handed on as it came, without expires_at.
        with contextlib.suppress(TypeError, ValueError):
            params["expires_at"] = round(time.time() + int(expires_in))
    return params


def _parse(content_type: str, body: bytes) -> dict[str, Any] | None:
    try:
        parsed = json.loads(body)
    except ValueError:
        parsed = None
    if isinstance(parsed, dict):
        return parsed
    if parsed is not None:
        return None
    # Older providers (GitHub without Accept, Facebook once) answer a form.
    if not content_type.lower().startswith(("application/x-www-form-urlencoded", "text/plain")):
        return None
    try:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=True)
    except (UnicodeDecodeError, ValueError):
        return None
    params: dict[str, Any] = dict(pairs)
    if isinstance(params.get("expires_in"), str) and params["expires_in"].isdigit():
        params["expires_in"] = int(params["expires_in"])
    return params


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}"
