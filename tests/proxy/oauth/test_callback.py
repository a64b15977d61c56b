"""The callback trusts only what the proxy signed, and tells SpiffArena (or the person) what went wrong."""

from __future__ import annotations

import json
import logging
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from support.lambda_events import Answer
from support.oauth_flow import SPIFFARENA, LambdaBrowser, provider_hop, sign_in, spiffarena_callback
from support.oauth_provider import CLIENT_SECRET, FakeProvider, TokenReply

from spiff_lambda_proxy.oauth import signing

from .conftest import STATE_SECRET


def started(browser: LambdaBrowser, auth: str = "OAuth") -> str:
    """Start a sign-in and let the provider send the browser back: the callback URL it was given."""
    start = browser.get(
        f"{browser.base}/v1/auth/oauthdemo/{auth}?{urlencode({'redirect_url': spiffarena_callback(auth)})}"
    )
    assert start.status == 302, start
    return provider_hop(start.headers["location"])


def with_query(url: str, **changes: str | None) -> str:
    parts = urlsplit(url)
    query = {name: values[0] for name, values in parse_qs(parts.query).items()}
    for name, value in changes.items():
        if value is None:
            query.pop(name, None)
        else:
            query[name] = value
    return parts._replace(query=urlencode(query)).geturl()


def state_of(url: str) -> str:
    return parse_qs(urlsplit(url).query)["state"][0]


def error_at_spiffarena(answer: Answer) -> tuple[str, str]:
    location = answer.headers["location"]
    assert location.startswith(spiffarena_callback() + "&error="), location
    query = parse_qs(urlsplit(location).query)
    assert "response" not in query  # SpiffArena must store nothing
    return query["error"][0], query["error_description"][0]


# --- states and cookies that are not ours, or not for this sign-in: a page, nothing exchanged ------


def test_a_tampered_state_is_refused(deployment: FakeProvider) -> None:
    browser = LambdaBrowser("function-url")
    callback = started(browser)
    body, signature = state_of(callback).split(".")
    forged = signing._b64(signing._unb64(body).replace(b"oauthdemo/OAuth", b"oauthdemo/OAutH"))
    flipped = signature[:5] + ("B" if signature[5] == "A" else "A") + signature[6:]
    for state in (f"{forged}.{signature}", f"{body}.{flipped}", f"{body}.{signature}=", body, "", "x" * 9000):
        answer = browser.get(with_query(callback, state=state))
        assert answer.status == 400, state
        assert answer.headers["content-type"].startswith("text/plain")
        assert "location" not in answer.headers
    assert deployment.token_requests == []


def test_an_expired_state_is_refused(deployment: FakeProvider) -> None:
    browser = LambdaBrowser("function-url")
    callback = started(browser)
    claims = json.loads(signing._unb64(state_of(callback).split(".")[0]))
    claims["e"] = claims["e"] - signing.LIFETIME_SECONDS - 1
    expired = signing.seal({k: v for k, v in claims.items() if k != "v"}, STATE_SECRET, "state")
    answer = browser.get(with_query(callback, state=expired))
    assert answer.status == 400
    assert "expired" in answer.text and "invalid_state" in answer.text
    assert deployment.token_requests == []


def test_a_state_signed_with_another_secret_or_for_another_purpose_is_refused(
    deployment: FakeProvider,
) -> None:
    browser = LambdaBrowser("function-url")
    callback = started(browser)
    claims = json.loads(signing._unb64(state_of(callback).split(".")[0]))
    claims.pop("v")
    for secret, purpose in ((STATE_SECRET + "x", "state"), (STATE_SECRET, "browser")):
        answer = browser.get(with_query(callback, state=signing.seal(claims, secret, purpose)))
        assert answer.status == 400
        assert "signature does not match" in answer.text
    assert deployment.token_requests == []


def test_a_state_for_another_auth_is_refused(deployment: FakeProvider) -> None:
    browser = LambdaBrowser("function-url")
    callback = started(browser, "Legacy")
    foreign = callback.replace("/oauthdemo/Legacy/callback", "/oauthdemo/OAuth/callback")
    answer = browser.get(foreign)
    assert answer.status == 400
    assert "another sign-in than oauthdemo/OAuth" in answer.text
    assert deployment.token_requests == []


def test_someone_elses_callback_url_does_not_sign_this_browser_in(deployment: FakeProvider) -> None:
    attacker, victim = LambdaBrowser("function-url"), LambdaBrowser("function-url")
    callback = started(attacker)
    answer = victim.get(callback)  # a link the attacker sent: the victim has no cookie for it
    assert answer.status == 400
    assert "missing_sign_in_cookie" in answer.text
    # ... nor does a cookie of the victim's own sign-in make it fit.
    started(victim)
    assert victim.get(callback).status == 400
    assert deployment.token_requests == []


def test_an_altered_cookie_is_refused(deployment: FakeProvider) -> None:
    browser = LambdaBrowser("rest-api")
    callback = started(browser)
    ((name, value),) = browser.cookies.items()
    browser.cookies[name] = value.replace(".", "x.", 1)
    answer = browser.get(callback)
    assert answer.status == 400
    assert "invalid_sign_in_cookie" in answer.text
    assert deployment.token_requests == []


@pytest.mark.parametrize("code", ["access_denied", "temporarily_unavailable", "login_required"])
def test_without_a_state_the_page_also_names_the_code_oauth_defines(
    code: str, deployment: FakeProvider
) -> None:
    browser = LambdaBrowser("function-url")
    answer = browser.get(f"{browser.base}/v1/auth/oauthdemo/OAuth/callback?error={code}")
    assert answer.status == 400
    assert "missing_state" in answer.text and f"The provider also said: {code}." in answer.text


@pytest.mark.parametrize(
    "said",
    [
        "restore.access.at.evil.example",  # looks like a code, is a message
        "access_denied\n",  # a defined code, and more: matched whole
        "access_denied\nCall +1 555 0100",
        "ACCESS_DENIED",
        "access_denied.evil.example",
        "Your account is locked. Call +1 555 0100",
    ],
)
def test_any_other_error_is_only_an_error(said: str, deployment: FakeProvider) -> None:
    browser = LambdaBrowser("function-url")
    answer = browser.get(f"{browser.base}/v1/auth/oauthdemo/OAuth/callback?{urlencode({'error': said})}")
    assert answer.status == 400 and "missing_state" in answer.text
    assert "The provider also reported an error." in answer.text
    for word in ("evil", "555", "locked", "ACCESS", "access_denied"):
        assert word not in answer.text


def test_the_path_s_words_are_not_repeated_on_the_page(deployment: FakeProvider) -> None:
    browser = LambdaBrowser("function-url")
    for path in ("restore.access.at.evil.example/now", "oauthdemo/Call-555-0100-now"):
        for step in ("", "/callback"):
            answer = browser.get(f"{browser.base}/v1/auth/{path}{step}?redirect_url={SPIFFARENA}/x")
            assert answer.status == 404 and "auth_not_found" in answer.text
            assert "evil" not in answer.text and "555" not in answer.text


def test_a_head_request_does_not_spend_the_code(deployment: FakeProvider) -> None:
    browser = LambdaBrowser("function-url")
    callback = started(browser)
    assert browser.get(callback, method="HEAD").status == 405
    assert deployment.token_requests == []
    assert "response" in parse_qs(urlsplit(browser.get(callback).headers["location"]).query)


# --- the provider says no, or answers nonsense: SpiffArena is told, and stores nothing ----------


def test_a_refusal_at_the_provider_goes_back_to_spiffarena_as_an_error(deployment: FakeProvider) -> None:
    deployment.deny = True
    flow = sign_in(LambdaBrowser("http-api"))
    assert error_at_spiffarena(flow.end) == ("access_denied", "The user said no.")
    assert deployment.token_requests == []


def test_wrong_client_credentials_come_back_as_the_providers_error(
    deployment: FakeProvider, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("OAUTHDEMO_CLIENT_SECRET", "not-the-secret-3b1d")
    flow = sign_in(LambdaBrowser("alb"))
    assert error_at_spiffarena(flow.end) == ("invalid_client", "Client authentication failed.")
    assert "sign-in to oauthdemo/OAuth failed: invalid_client" in caplog.text
    assert "not-the-secret-3b1d" not in caplog.text and CLIENT_SECRET not in caplog.text


@pytest.mark.parametrize(
    ("reply", "error"),
    [
        (TokenReply(200, b"<html>maintenance</html>", "text/html"), "invalid_token_response"),
        (TokenReply(200, b'["access_token"]'), "invalid_token_response"),
        (TokenReply(200, b'{"token_type": "Bearer"}'), "invalid_token_response"),
        (TokenReply(502, b"Bad Gateway", "text/plain"), "token_request_failed"),
        (TokenReply(302, b"", "text/plain"), "token_request_failed"),
        (
            TokenReply(400, b'{"error": "invalid_grant", "error_description": "bad\\r\\ncode"}'),
            "invalid_grant",
        ),
        (TokenReply(200, b"x" * 70_000, "text/plain"), "invalid_token_response"),
    ],
)
def test_a_failed_exchange_goes_back_to_spiffarena_as_an_error(
    reply: TokenReply, error: str, deployment: FakeProvider
) -> None:
    deployment.token_reply = reply
    flow = sign_in(LambdaBrowser("function-url"))
    code, description = error_at_spiffarena(flow.end)
    assert code == error
    assert description and "\r" not in description and "\n" not in description


def test_a_form_encoded_token_answer_is_read_like_json(deployment: FakeProvider) -> None:
    deployment.token_reply = TokenReply(
        200,
        b"access_token=gho_abc&scope=repo%2Cgist&token_type=bearer&expires_in=3600",
        "application/x-www-form-urlencoded",
    )
    token = sign_in(LambdaBrowser("function-url")).token
    assert token["access_token"] == "gho_abc" and token["token_type"] == "bearer"
    assert token["expires_in"] == 3600 and "expires_at" in token


def test_a_slow_token_endpoint_is_given_up_on_before_the_function_runs_out(deployment: FakeProvider) -> None:
    deployment.token_reply = TokenReply(200, b'{"access_token": "late"}', delay=4)
    browser = LambdaBrowser("function-url")
    browser.remaining_ms = 2_500
    flow = sign_in(browser)
    assert error_at_spiffarena(flow.end)[0] == "temporarily_unavailable"


def test_a_token_endpoint_the_destination_rules_refuse_is_not_called(
    deployment: FakeProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    browser = LambdaBrowser("function-url")
    callback = started(browser)
    monkeypatch.setenv("HTTP_CONNECTOR_DENIED_HOSTS", "127.0.0.1")
    code, description = error_at_spiffarena(browser.get(callback))
    assert code == "token_request_refused" and "HTTP_CONNECTOR_DENIED_HOSTS" in description
    assert deployment.token_requests == []


def test_a_redirect_url_no_longer_allowed_at_the_callback_is_not_used(
    deployment: FakeProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    browser = LambdaBrowser("function-url")
    callback = started(browser)
    monkeypatch.setenv("CONNECTOR_PROXY_AUTH_REDIRECT_ORIGINS", "https://new-spiff.example.com")
    answer = browser.get(callback)
    assert answer.status == 400 and "redirect_url_not_allowed" in answer.text
    assert SPIFFARENA not in answer.headers.get("location", "")
    assert deployment.token_requests == []
