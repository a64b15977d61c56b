"""What a deployment must set up, which auths can sign in, and the routes' place among the others."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from support.lambda_events import Answer, invoke, lambda_context
from support.moto_endpoint import AwsTestBed
from support.oauth_flow import FRONT_DOORS, FrontDoor, LambdaBrowser, sign_in, spiffarena_callback
from support.oauth_provider import FakeProvider

import lambda_function
from spiff_lambda_proxy import secret_store
from spiff_lambda_proxy.auth import API_KEY_HEADER
from spiff_lambda_proxy.registry import Registry


def start(browser: LambdaBrowser, auth: str = "OAuth", plugin: str = "oauthdemo") -> Answer:
    query = urlencode({"redirect_url": spiffarena_callback(auth)})
    return browser.get(f"{browser.base}/v1/auth/{plugin}/{auth}?{query}")


def refused(answer: Answer, status: int, *words: str) -> str:
    assert answer.status == status, answer
    text = answer.text
    assert answer.headers["content-type"] == "text/plain; charset=utf-8"
    assert "location" not in answer.headers
    assert "Traceback" not in text
    for word in words:
        assert word in text
    return text


@pytest.fixture
def fresh_store() -> Iterator[None]:
    secret_store.forget()
    yield
    secret_store.forget()


# --- the signing secret --------------------------------------------------------------------------


def test_without_a_secret_or_an_api_key_sign_in_is_refused(
    deployment: FakeProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CONNECTOR_PROXY_AUTH_STATE_SECRET")
    refused(
        start(LambdaBrowser("function-url")),
        500,
        "CONNECTOR_PROXY_AUTH_STATE_SECRET",
        "CONNECTOR_PROXY_API_KEY",
    )
    monkeypatch.setenv("CONNECTOR_PROXY_API_KEY", "  ")
    refused(start(LambdaBrowser("function-url")), 500, "CONNECTOR_PROXY_AUTH_STATE_SECRET")
    assert deployment.authorize_requests == []


def test_the_api_key_signs_when_there_is_no_dedicated_secret_and_the_routes_need_no_key(
    deployment: FakeProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CONNECTOR_PROXY_AUTH_STATE_SECRET")
    monkeypatch.setenv("CONNECTOR_PROXY_API_KEY", "the-api-key-91d3")
    flow = sign_in(LambdaBrowser("function-url"))  # a browser never sends the API key header
    assert "response" in flow.back_at_spiffarena
    state = parse_qs(urlsplit(flow.callback_url).query)["state"][0]
    assert "the-api-key-91d3" not in state
    # Every other route still wants the key.
    for path in ("/v1/commands", "/v1/auths", "/v1/diagnostics"):
        assert invoke("function-url", "GET", path).status == 401
        assert invoke("function-url", "GET", path, headers={API_KEY_HEADER: "the-api-key-91d3"}).status == 200


def test_an_api_key_read_from_secrets_manager_signs_too(
    deployment: FakeProvider, aws: AwsTestBed, fresh_store: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CONNECTOR_PROXY_AUTH_STATE_SECRET")
    arn = aws.client("secretsmanager").create_secret(Name="proxy-key", SecretString="stored-key-5e2a")["ARN"]
    monkeypatch.setenv("CONNECTOR_PROXY_API_KEY_SECRET", arn)
    browser = LambdaBrowser("function-url")
    callback = sign_in(browser).callback_url
    assert "stored-key-5e2a" not in callback
    # Signed with the stored key: a different key does not accept the state.
    other = aws.client("secretsmanager").create_secret(Name="other-key", SecretString="another-key")["ARN"]
    secret_store.forget()
    monkeypatch.setenv("CONNECTOR_PROXY_API_KEY_SECRET", other)
    refused(LambdaBrowser("function-url").get(callback), 400, "signature does not match")


# --- auths that cannot sign in -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("auth", "status", "words"),
    [
        ("OAuthOne", 501, ("OAuth 1", "oauth1_not_supported")),
        ("NeedsArguments", 500, ("without arguments",)),
        ("MissingSetting", 500, ("'OAUTHDEMO_SETTING_NOBODY_SET'", "not set on the function")),
        ("PlainHttp", 500, ("https://", "HTTP_CONNECTOR_ALLOWED_HOSTS", "http://provider.example")),
        ("NotADict", 500, ("returned list",)),
        ("NoSuchAuth", 404, ("auth_not_found", "/v1/auths")),
    ],
)
def test_an_auth_that_cannot_sign_in_gets_a_page_saying_why(
    auth: str, status: int, words: tuple[str, ...], deployment: FakeProvider
) -> None:
    refused(start(LambdaBrowser("function-url"), auth), status, *words)


def test_an_unknown_plugin_is_404(deployment: FakeProvider) -> None:
    answer = start(LambdaBrowser("http-api"), "OAuth", plugin="nosuchplugin")
    refused(answer, 404, "auth_not_found")
    assert "nosuchplugin" not in answer.text  # the link's words stay off the proxy's pages


def test_a_start_without_redirect_url_or_with_two_is_a_400(deployment: FakeProvider) -> None:
    browser = LambdaBrowser("function-url")
    refused(browser.get(f"{browser.base}/v1/auth/oauthdemo/OAuth"), 400, "redirect_url is required")
    twice = urlencode([("redirect_url", spiffarena_callback()), ("redirect_url", "https://evil.example/")])
    refused(browser.get(f"{browser.base}/v1/auth/oauthdemo/OAuth?{twice}"), 400, "more than once")


# --- our callback URL, whatever the front door ------------------------------------------------------


def redirect_uri(answer: Answer) -> str:
    return parse_qs(urlsplit(answer.headers["location"]).query)["redirect_uri"][0]


def test_the_public_url_setting_names_the_callback(
    deployment: FakeProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CONNECTOR_PROXY_PUBLIC_URL", "https://proxy.example.com/connectors/")
    answer = start(LambdaBrowser("function-url"))
    assert redirect_uri(answer) == "https://proxy.example.com/connectors/v1/auth/oauthdemo/OAuth/callback"
    monkeypatch.setenv("CONNECTOR_PROXY_PUBLIC_URL", "proxy.example.com")
    refused(start(LambdaBrowser("function-url")), 500, "CONNECTOR_PROXY_PUBLIC_URL")


@pytest.mark.parametrize("source", ["http-api", "rest-api"])
def test_a_custom_domain_with_a_base_path(
    source: str, deployment: FakeProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Custom domains put the mapping's base path in the path and no stage in the URL.
    monkeypatch.setenv("CONNECTOR_PROXY_BASE_PATH", "/connectors")
    flow = sign_in(LambdaBrowser(source, FrontDoor("api.example.com", "prod", "/connectors")))
    assert redirect_uri(flow.start) == "https://api.example.com/connectors/v1/auth/oauthdemo/OAuth/callback"
    assert "response" in flow.back_at_spiffarena


def test_without_a_usable_host_the_page_says_to_set_the_public_url(
    deployment: FakeProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CONNECTOR_PROXY_HOST_NAMES", "under_score.example")
    browser = LambdaBrowser("alb", FrontDoor("under_score.example", None, ""))
    refused(start(browser), 500, "CONNECTOR_PROXY_PUBLIC_URL")


# --- never from a Host header the client wrote ---------------------------------------------------


def with_host(browser: LambdaBrowser, host: str) -> Answer:
    """A sign-in's start whose Host header says `host`, whatever the front door reached."""
    url = f"{browser.base}/v1/auth/oauthdemo/OAuth?{urlencode({'redirect_url': spiffarena_callback()})}"
    event = browser.event_for(url)
    headers = event.get("multiValueHeaders") or event["headers"]
    for name in [name for name in headers if name.lower() == "host"]:
        del headers[name]
    headers["host"] = [host] if "multiValueHeaders" in event else host
    return browser.receive(lambda_function.lambda_handler(event, lambda_context()))


@pytest.mark.parametrize("source", ["alb", "alb-multi"])
def test_behind_a_load_balancer_a_foreign_host_gets_no_sign_in(source: str, deployment: FakeProvider) -> None:
    answer = with_host(LambdaBrowser(source), "evil.example")
    refused(answer, 421, "misdirected_request")
    assert "location" not in answer.headers and "evil" not in answer.text


def test_behind_a_load_balancer_a_sign_in_needs_the_public_url_or_the_host_names(
    deployment: FakeProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CONNECTOR_PROXY_HOST_NAMES")
    for host in (FRONT_DOORS["alb"].domain, "evil.example"):
        answer = with_host(LambdaBrowser("alb"), host)
        refused(answer, 500, "configuration_error")
        assert "CONNECTOR_PROXY_PUBLIC_URL" in answer.text and "CONNECTOR_PROXY_HOST_NAMES" in answer.text
    monkeypatch.setenv("CONNECTOR_PROXY_PUBLIC_URL", "https://proxy.example.com")
    answer = with_host(LambdaBrowser("alb"), "evil.example")
    assert redirect_uri(answer) == "https://proxy.example.com/v1/auth/oauthdemo/OAuth/callback"


def test_a_listed_host_is_compared_by_name_whatever_its_case_port_or_trailing_dot(
    deployment: FakeProvider,
) -> None:
    listed = FRONT_DOORS["alb"].domain
    for host, expected in ((listed.upper() + ".", listed), (f"{listed}:8443", f"{listed}:8443")):
        answer = with_host(LambdaBrowser("alb"), host)
        assert redirect_uri(answer) == f"https://{expected}/v1/auth/oauthdemo/OAuth/callback"
    refused(with_host(LambdaBrowser("alb"), f"{listed}.evil.example"), 421, "misdirected_request")


@pytest.mark.parametrize("source", ["function-url", "http-api", "rest-api"])
def test_front_doors_that_report_their_domain_ignore_the_host_header(
    source: str, deployment: FakeProvider
) -> None:
    answer = with_host(LambdaBrowser(source), "evil.example")
    assert urlsplit(redirect_uri(answer)).hostname == FRONT_DOORS[source].domain


# --- nothing of this loads before a sign-in -----------------------------------------------------


def test_the_flow_loads_on_the_first_sign_in_only() -> None:
    import subprocess
    import sys

    from support.lambda_events import make_event
    from support.paths import PROJECT_ROOT

    script = (
        "import json, sys; import lambda_function\n"
        "from support.lambda_events import lambda_context\n"
        "answer = lambda_function.lambda_handler(json.loads(sys.argv[1]), lambda_context())\n"
        "loaded = sorted(m for m in sys.modules if m.startswith('spiff_lambda_proxy.oauth'))\n"
        "print(json.dumps([answer['statusCode'], loaded, 'requests' in sys.modules]))\n"
    )
    for event, expect_loaded in (
        (make_event("function-url", "GET", "/v1/commands"), False),
        (make_event("function-url", "GET", "/v1/auth/nosuch/Auth", query={"redirect_url": "x"}), True),
    ):
        done = subprocess.run(
            [sys.executable, "-c", script, json.dumps(event)],
            cwd=PROJECT_ROOT,
            env={"PATH": "/usr/bin:/bin", "PYTHONPATH": f"{PROJECT_ROOT}:{PROJECT_ROOT / 'tests'}"},
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        status, loaded, with_requests = json.loads(done.stdout.strip().splitlines()[-1])
        assert bool(loaded) is expect_loaded, (status, loaded)
        assert not with_requests  # only a callback with a code to exchange needs it


def test_an_auth_written_for_the_flask_host_reads_current_app_config(
    deployment: FakeProvider, extra_connectors: Callable[[dict[str, str]], Registry]
) -> None:
    extra_connectors(
        {
            "connector_flaskauth/__init__.py": "",
            "connector_flaskauth/auths/__init__.py": "",
            "connector_flaskauth/auths/oauth.py": """
                from flask import current_app

                class OAuth:
                    def app_description(self, config):
                        provider = current_app.config["OAUTHDEMO_PROVIDER_URL"]
                        return {
                            "name": "flask-era",
                            "client_id": current_app.config["OAUTHDEMO_CLIENT_ID"],
                            "client_secret": current_app.config["OAUTHDEMO_CLIENT_SECRET"],
                            "authorization_url": provider + "/authorize",
                            "access_token_url": provider + "/token",
                        }
            """,
        }
    )
    flow = sign_in(LambdaBrowser("function-url"), plugin="flaskauth")
    assert json.loads(flow.back_at_spiffarena["response"][0])["access_token"]
