"""The sign-in through `make serve`'s server, with a real HTTP client that follows each redirect itself."""

from __future__ import annotations

import json
from collections.abc import Iterator
from http.cookiejar import Cookie
from typing import cast
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
from support.callback_server import CallbackServer, running
from support.local_server import serving
from support.oauth_flow import USER_TOKEN, provider_settings
from support.oauth_provider import FakeProvider

from spiff_lambda_proxy.registry import Registry
from tools.local.server import make_server

from .conftest import STATE_SECRET


@pytest.fixture
def spiffarena() -> Iterator[CallbackServer]:
    """Stands in for SpiffArena's backend: records where the browser lands."""
    with running() as server:
        yield server


@pytest.fixture
def served(
    demo: Registry, provider: FakeProvider, spiffarena: CallbackServer, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    for name, value in provider_settings(provider.origin).items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("CONNECTOR_PROXY_AUTH_REDIRECT_ORIGINS", spiffarena.origin)
    monkeypatch.setenv("CONNECTOR_PROXY_AUTH_STATE_SECRET", STATE_SECRET)
    yield from serving(make_server("127.0.0.1", 0, timeout_seconds=30))


@pytest.fixture
def browser() -> Iterator[requests.Session]:
    with requests.Session() as session:
        session.trust_env = False
        # What a browser says of each hop: a top-level navigation from another site's page
        # (SpiffArena's, the provider's), which make serve must let through.
        session.headers.update(
            {"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "document"}
        )
        yield session


def hop(browser: requests.Session, url: str) -> str:
    answer = browser.get(url, allow_redirects=False, timeout=10)
    assert answer.status_code == 302, (answer.status_code, answer.text)
    return str(answer.headers["Location"])


def test_a_user_signs_in_through_the_local_server(
    served: str, provider: FakeProvider, spiffarena: CallbackServer, browser: requests.Session
) -> None:
    redirect_url = f"{spiffarena.origin}/v1.0/authentication_callback/oauthdemo/OAuth?token={USER_TOKEN}"
    to_provider = hop(
        browser, f"{served}/v1/auth/oauthdemo/OAuth?{urlencode({'redirect_url': redirect_url})}"
    )
    assert to_provider.startswith(f"{provider.origin}/authorize?")
    # Without X-Forwarded-Proto the proxy knows it is the local server: its own http:// URL.
    callback = f"{served}/v1/auth/oauthdemo/OAuth/callback"
    assert parse_qs(urlsplit(to_provider).query)["redirect_uri"] == [callback]
    # The sign-in cookie: not Secure on plain http, or the browser would never send it back.
    (cookie,) = cast(list[Cookie], list(browser.cookies))
    assert cookie.name.startswith("spiff_oauth_") and not cookie.secure
    assert cookie.path == "/v1/auth/oauthdemo/OAuth/callback"

    back_here = hop(browser, to_provider)
    assert back_here.startswith(callback + "?")
    to_spiffarena = hop(browser, back_here)
    assert to_spiffarena.startswith(redirect_url + "&response=")
    assert list(browser.cookies) == []  # spent

    browser.get(to_spiffarena, allow_redirects=False, timeout=10)
    (arrived,) = spiffarena.received
    query = parse_qs(urlsplit(arrived.path).query)
    assert query["token"] == [USER_TOKEN]
    assert json.loads(query["response"][0])["access_token"] == provider.issued_tokens[0]["access_token"]


def test_a_disallowed_redirect_url_is_a_400_page(served: str, browser: requests.Session) -> None:
    answer = browser.get(
        f"{served}/v1/auth/oauthdemo/OAuth",
        params={"redirect_url": "http://127.0.0.1:1@evil.example/"},
        allow_redirects=False,
        timeout=10,
    )
    assert answer.status_code == 400
    assert answer.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert "Location" not in answer.headers and not browser.cookies
