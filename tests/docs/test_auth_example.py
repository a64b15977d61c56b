"""The auth example of docs/connectors.md signs a user in, as the page says it does."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest
from support.oauth_flow import SPIFFARENA, LambdaBrowser, sign_in
from support.oauth_provider import CLIENT_ID, CLIENT_SECRET, FakeProvider
from support.paths import PROJECT_ROOT

from spiff_lambda_proxy.registry import Registry


def _auth_example() -> str:
    text = (PROJECT_ROOT / "docs" / "connectors.md").read_text()
    block = re.search(r"```python\n(# connector_weather/auths/oauth\.py\n.*?)```", text, re.S)
    assert block, "docs/connectors.md no longer has the OAuth example"
    return block.group(1)


@pytest.fixture
def weather(extra_connectors: Callable[..., Registry]) -> Registry:
    return extra_connectors(
        {
            "connector_weather/__init__.py": "",
            "connector_weather/auths/__init__.py": "",
            "connector_weather/auths/oauth.py": _auth_example(),
        }
    )


@pytest.fixture
def provider() -> Iterator[FakeProvider]:
    with FakeProvider() as server:
        yield server


def test_the_auth_example_signs_in(
    weather: Registry, provider: FakeProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert not weather.failures
    for name, value in {
        "WEATHER_AUTH_URL": provider.origin,
        "WEATHER_CLIENT_ID": CLIENT_ID,
        "WEATHER_CLIENT_SECRET": CLIENT_SECRET,
        "HTTP_CONNECTOR_ALLOWED_HOSTS": "127.0.0.1",
        "CONNECTOR_PROXY_AUTH_REDIRECT_ORIGINS": SPIFFARENA,
        "CONNECTOR_PROXY_AUTH_STATE_SECRET": "docs-example-secret",
    }.items():
        monkeypatch.setenv(name, value)
    browser = LambdaBrowser("function-url")
    back_to = f"{SPIFFARENA}/v1.0/authentication_callback/weather/OAuth?token=t"
    flow = sign_in(browser, redirect_url=back_to, plugin="weather")
    assert provider.authorize_requests[0]["scope"] == ["forecasts.read offline_access"]
    assert flow.token["access_token"] == provider.issued_tokens[0]["access_token"]
    assert flow.start.headers["location"].startswith(f"{provider.origin}/authorize?")
