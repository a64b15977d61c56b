"""The whole sign-in, as a browser goes through it, from every Lambda front door."""

from __future__ import annotations

import base64
import logging
import time
from urllib.parse import parse_qs, urlsplit

import pytest
from support.lambda_events import SOURCES
from support.oauth_flow import USER_TOKEN, LambdaBrowser, sign_in, spiffarena_callback
from support.oauth_provider import CLIENT_ID, CLIENT_SECRET, FakeProvider


@pytest.mark.parametrize("source", SOURCES)
def test_a_user_signs_in_and_spiffarena_gets_the_token(
    source: str, deployment: FakeProvider, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("CONNECTOR_PROXY_LOG_LEVEL", "DEBUG")
    browser = LambdaBrowser(source)
    flow = sign_in(browser)

    # The provider was asked for a code, with our callback (stage included) as redirect_uri.
    callback = f"{browser.base}/v1/auth/oauthdemo/OAuth/callback"
    asked = {name: values[0] for name, values in deployment.authorize_requests[0].items()}
    assert asked["redirect_uri"] == callback
    assert (asked["response_type"], asked["client_id"]) == ("code", CLIENT_ID)
    assert asked["scope"] == "offline_access accounting.read"
    assert flow.callback_url.startswith(callback + "?")
    # The code was exchanged with HTTP Basic client credentials and the same redirect_uri.
    headers, form = deployment.token_requests[0]
    assert (
        headers["authorization"]
        == "Basic " + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
    )
    assert form["grant_type"] == "authorization_code"
    assert form["redirect_uri"] == callback
    assert "client_secret" not in form

    # SpiffArena gets its own URL back, user token intact, with the token answer.
    location = flow.end.headers["location"]
    assert location.startswith(spiffarena_callback() + "&response=")
    assert flow.back_at_spiffarena["token"] == [USER_TOKEN]
    issued = deployment.issued_tokens[0]
    token = flow.token
    assert token["access_token"] == issued["access_token"]
    assert token["refresh_token"] == issued["refresh_token"]
    # Shaped as the reference host's requests-oauthlib hands it over.
    assert token["scope"] == ["offline_access", "accounting.read"]
    assert abs(token["expires_at"] - (time.time() + 1800)) < 60

    # Nothing secret in the log: no token, code, client secret, state or SpiffArena user token.
    logged = caplog.text
    code = parse_qs(urlsplit(flow.callback_url).query)["code"][0]
    state = parse_qs(urlsplit(flow.callback_url).query)["state"][0]
    for secret in (issued["access_token"], issued["refresh_token"], code, CLIENT_SECRET, state, USER_TOKEN):
        assert secret not in logged
    assert "sign-in to oauthdemo/OAuth: token handed to SpiffArena" in logged


@pytest.mark.parametrize("source", ["function-url", "rest-api"])
def test_the_browser_carries_a_short_lived_httponly_cookie_and_loses_it_at_the_end(
    source: str, deployment: FakeProvider
) -> None:
    browser = LambdaBrowser(source)
    flow = sign_in(browser)
    set_cookie, cleared = browser.set_cookie_headers
    attributes = [part.strip() for part in set_cookie.split(";")]
    assert attributes[0].startswith("spiff_oauth_")
    prefix = browser.door.prefix
    assert f"Path={prefix}/v1/auth/oauthdemo/OAuth/callback" in attributes
    assert {"Max-Age=600", "HttpOnly", "SameSite=Lax", "Secure"} <= set(attributes)
    assert "Max-Age=0" in cleared and cleared.split("=")[0] == attributes[0].split("=")[0]
    assert browser.cookies == {}
    # The state the provider saw holds neither SpiffArena's URL nor the user's token.
    state = parse_qs(urlsplit(flow.callback_url).query)["state"][0]
    payload = base64.urlsafe_b64decode(state.split(".")[0] + "==").decode()
    assert USER_TOKEN not in payload and "spiff.example.com" not in payload
    assert flow.end.headers["cache-control"] == "no-store"
    assert flow.end.headers["referrer-policy"] == "no-referrer"


def test_an_older_connectors_description_signs_in_with_credentials_in_the_body(
    deployment: FakeProvider,
) -> None:
    deployment.client_auth = "post"
    flow = sign_in(LambdaBrowser("function-url"), auth="Legacy")
    asked = {name: values for name, values in deployment.authorize_requests[0].items()}
    # base_url joined, the authorize URL's own query kept, request_token_params sent.
    assert asked["prompt"] == ["consent"] and asked["access_type"] == ["offline"]
    assert asked["scope"] == ["read write"]
    headers, form = deployment.token_requests[0]
    assert "authorization" not in headers
    assert (form["client_id"], form["client_secret"]) == (CLIENT_ID, CLIENT_SECRET)
    assert flow.token["access_token"] == deployment.issued_tokens[0]["access_token"]


def test_each_code_is_exchanged_once(deployment: FakeProvider) -> None:
    browser = LambdaBrowser("http-api")
    flow = sign_in(browser)
    assert "response" in flow.back_at_spiffarena
    # The same callback again (the cookie is gone): refused before the provider is asked.
    again = browser.get(flow.callback_url)
    assert again.status == 400
    assert "missing_sign_in_cookie" in again.text
    assert len(deployment.token_requests) == 1
