"""No open redirect: `redirect_url` is judged by the origin a browser would go to, never by prefix."""

from __future__ import annotations

import pytest
from support.oauth_flow import SPIFFARENA, LambdaBrowser, spiffarena_callback
from support.oauth_provider import FakeProvider

from spiff_lambda_proxy.oauth.pages import FlowError
from spiff_lambda_proxy.oauth.redirects import (
    Origin,
    check_redirect_url,
    origin_of,
    parse_origins,
    with_params,
)

ALLOWED = parse_origins(
    ["https://spiff.example.com", "http://localhost:7000", "https://[2001:db8::1]"], "TEST"
)


@pytest.mark.parametrize(
    "url",
    [
        "https://spiff.example.com/v1.0/authentication_callback/x/y?token=t",
        "https://spiff.example.com",
        "HTTPS://SPIFF.Example.COM/v1.0/cb",  # scheme and host are case-insensitive
        "https://spiff.example.com:443/cb",  # the default port, spelled out
        "https://spiff.example.com:0443/cb",  # ... with a leading zero, which browsers read as 443
        "https://spiff.example.com:/cb",  # an empty port is the default one
        "https://spiff.example.com/cb#@evil.example",  # a fragment is not the authority
        "https://spiff.example.com/cb?next=https://evil.example/",  # neither is the query
        "http://localhost:7000/cb",
        "https://[2001:db8:0::1]/cb",  # IPv6 spelled another way
    ],
)
def test_urls_leading_to_spiffarena_are_accepted(url: str) -> None:
    assert check_redirect_url(url, ALLOWED, "TEST") == url


@pytest.mark.parametrize(
    "url",
    [
        "https://spiff.example.com@evil.example/",  # userinfo: the host is evil.example
        "https://evil.example@spiff.example.com/",  # userinfo, even when the host is right
        "https://spiff.example.com:pw@evil.example/",
        "https://spiff.example.com.evil.example/",  # a prefix is not the origin
        "https://spiff.example.comevil.example/",
        "https://evil.example/spiff.example.com",
        "https://evil.example/?https://spiff.example.com",
        "//evil.example/cb",  # scheme-relative
        "///evil.example/cb",
        "/v1.0/authentication_callback",  # relative
        "https:/evil.example/cb",  # one slash: browsers repair it, so it is not ours to judge
        "https:evil.example",
        "https://spiff.example.com\\@evil.example/",  # browsers read \\ as /, parsers differ
        "https:\\\\evil.example\\cb",
        "https://spiff.example.com\t@evil.example/",  # tabs and newlines vanish in browsers
        "https://spiff.exam\nple.com/",
        "https://spiff.example.com\r\nSet-Cookie: x=1",
        " https://spiff.example.com/",
        "https://spiff.example.com /",
        "https://spiff.example.com\x00.evil.example/",
        "https://spiff.example.com\x7f/",
        "https://spiff.ex\u0430mple.com/",  # a Cyrillic a
        "https://ｓｐｉｆｆ.example.com/",  # fullwidth letters: browsers map them to ASCII
        "https://spiß.example.com/",  # IDNA 2003 and browsers disagree about ß
        "https://xn--spiff-9ua.example.com/",  # punycode of another name
        "https://%73piff.example.com/",  # percent-encoded host
        "https://spiff.example.com./",  # a trailing dot is another origin to a browser
        "https://spiff.example.com:8443/",  # another port
        "https://spiff.example.com:99999/",
        "https://spiff.example.com:-1/",
        "https://spiff.example.com:+443/",
        "http://spiff.example.com/",  # another scheme
        "javascript:alert(document.domain)//https://spiff.example.com",
        "data:text/html,<script>alert(1)</script>",
        "ftp://spiff.example.com/",
        "https://[2001:db8::2]/",
        "https://[spiff.example.com]/",
        "https://localhost:7000/",  # https is not http
        "http://127.0.0.1:7000/",  # the same machine under another name is another origin
        "https://spiff.example.com/" + "a" * 2100,  # longer than any URL SpiffArena sends
        "",
    ],
)
def test_everything_else_is_refused(url: str) -> None:
    with pytest.raises(FlowError) as refused:
        check_redirect_url(url, ALLOWED, "TEST")
    assert refused.value.status == 400
    assert refused.value.code == "redirect_url_not_allowed"


def test_origins_compare_scheme_host_and_port_with_default_ports_made_explicit() -> None:
    assert origin_of("https://Spiff.Example.com/x") == Origin("https", "spiff.example.com", 443)
    assert origin_of("http://spiff.example.com:80") == Origin("http", "spiff.example.com", 80)
    assert str(Origin("https", "spiff.example.com", 8443)) == "https://spiff.example.com:8443"
    assert str(Origin("https", "2001:db8::1", 443)) == "https://[2001:db8::1]"


def test_a_setting_that_lists_no_origin_is_a_configuration_error() -> None:
    with pytest.raises(FlowError) as refused:
        parse_origins(["https://spiff.example.com", "*"], "CONNECTOR_PROXY_AUTH_REDIRECT_ORIGINS")
    assert refused.value.status == 500
    assert "CONNECTOR_PROXY_AUTH_REDIRECT_ORIGINS lists '*'" in refused.value.message


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://s.example/cb", "https://s.example/cb?response=%7B%22a%22%3A%201%7D%26x%3D%3F"),
        (
            "https://s.example/cb?token=t",
            "https://s.example/cb?token=t&response=%7B%22a%22%3A%201%7D%26x%3D%3F",
        ),
        ("https://s.example/cb?", "https://s.example/cb?response=%7B%22a%22%3A%201%7D%26x%3D%3F"),
        (
            "https://s.example/cb?token=t#top",
            "https://s.example/cb?token=t&response=%7B%22a%22%3A%201%7D%26x%3D%3F#top",
        ),
    ],
)
def test_parameters_are_appended_percent_encoded_before_any_fragment(url: str, expected: str) -> None:
    assert with_params(url, [("response", '{"a": 1}&x=?')]) == expected


# --- through lambda_handler: refused with 400 before any redirect ------------------------------


@pytest.mark.parametrize(
    "redirect_url",
    [
        "https://spiff.example.com@evil.example/v1.0/authentication_callback/oauthdemo/OAuth",
        "https://evil.example/v1.0/authentication_callback/oauthdemo/OAuth",
        "//evil.example/",
        "https://spiff.example.com\\@evil.example/",
    ],
)
def test_a_disallowed_redirect_url_gets_a_400_page_and_no_redirect(
    redirect_url: str, deployment: FakeProvider
) -> None:
    from urllib.parse import quote

    browser = LambdaBrowser("function-url")
    answer = browser.get(
        f"{browser.base}/v1/auth/oauthdemo/OAuth?redirect_url={quote(redirect_url, safe='')}"
    )
    assert answer.status == 400
    assert answer.headers["content-type"].startswith("text/plain")
    assert "redirect_url_not_allowed" in answer.text
    assert "location" not in answer.headers and browser.set_cookie_headers == []
    assert deployment.authorize_requests == []


def test_without_any_allowed_origin_sign_in_is_refused_saying_what_to_set(
    deployment: FakeProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CONNECTOR_PROXY_AUTH_REDIRECT_ORIGINS")
    browser = LambdaBrowser("function-url")
    answer = browser.get(f"{browser.base}/v1/auth/oauthdemo/OAuth?redirect_url={spiffarena_callback()}")
    assert answer.status == 500
    assert "CONNECTOR_PROXY_AUTH_REDIRECT_ORIGINS" in answer.text
    assert "location" not in answer.headers


def test_spiffarenas_callback_origins_serve_when_no_auth_origins_are_set(
    deployment: FakeProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    from urllib.parse import quote

    monkeypatch.delenv("CONNECTOR_PROXY_AUTH_REDIRECT_ORIGINS")
    monkeypatch.setenv("SPIFFARENA_CALLBACK_ORIGINS", f"https://other.example, {SPIFFARENA}/")
    browser = LambdaBrowser("function-url")
    answer = browser.get(
        f"{browser.base}/v1/auth/oauthdemo/OAuth?redirect_url={quote(spiffarena_callback())}"
    )
    assert answer.status == 302
    refused = browser.get(f"{browser.base}/v1/auth/oauthdemo/OAuth?redirect_url=https://evil.example/")
    assert refused.status == 400
    assert "SPIFFARENA_CALLBACK_ORIGINS" in refused.text


def test_a_redirect_url_too_long_for_the_sign_in_cookie_is_refused(deployment: FakeProvider) -> None:
    from urllib.parse import quote

    # Within the length limit, but JSON escapes each quote: the signed cookie would pass 4 KB.
    redirect_url = f"{SPIFFARENA}/cb?x=" + '"' * 1900
    browser = LambdaBrowser("function-url")
    answer = browser.get(f"{browser.base}/v1/auth/oauthdemo/OAuth?redirect_url={quote(redirect_url)}")
    assert answer.status == 400 and "too long" in answer.text
    assert browser.set_cookie_headers == []
