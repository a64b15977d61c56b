"""A connector with auths, and a browser signing in through `lambda_handler` as each front door delivers it.

`LambdaBrowser(source)` turns URLs into the events that front door would send
(its domain, stage, `X-Forwarded-Proto`, cookies where that format keeps them),
keeps the cookies the answers set, and `sign_in` walks the whole flow:
proxy start -> fake provider (real HTTP) -> proxy callback -> SpiffArena's URL.
"""

from __future__ import annotations

import json
from typing import Any, NamedTuple
from urllib.parse import parse_qs, urlencode, urlsplit

import requests

from .lambda_events import Answer, check_answer_shape, lambda_context, make_event
from .oauth_provider import CLIENT_ID, CLIENT_SECRET

SPIFFARENA = "https://spiff.example.com"
USER_TOKEN = "spiff-user-jwt.eyJzdWIiOiJhbGljZSJ9.c2ln"


def spiffarena_callback(auth: str = "OAuth", origin: str = SPIFFARENA) -> str:
    """The redirect_url SpiffArena sends: its authentication callback, with the user's token."""
    return f"{origin}/v1.0/authentication_callback/oauthdemo/{auth}?token={USER_TOKEN}"


# Shaped like the public Xero connector (a plain class, settings read from config), plus
# an older connector's spelling and descriptions the proxy must refuse.
CONNECTOR_OAUTHDEMO = {
    "connector_oauthdemo/__init__.py": "",
    "connector_oauthdemo/auths/__init__.py": "",
    "connector_oauthdemo/auths/oauth.py": """
        class OAuth:
            def __init__(self):
                pass

            def app_description(self, config):
                provider = config["OAUTHDEMO_PROVIDER_URL"]
                return {
                    "name": "demo",
                    "version": "2",
                    "client_id": config["OAUTHDEMO_CLIENT_ID"],
                    "client_secret": config["OAUTHDEMO_CLIENT_SECRET"],
                    "endpoint_url": provider + "/api/",
                    "authorization_url": provider + "/authorize",
                    "access_token_url": provider + "/token",
                    "refresh_token_url": provider + "/token",
                    "scope": "offline_access accounting.read",
                }
    """,
    "connector_oauthdemo/auths/legacy.py": """
        class Legacy:
            def app_description(self, config):
                return {
                    "name": "legacy",
                    "base_url": config["OAUTHDEMO_PROVIDER_URL"] + "/",
                    "consumer_key": config["OAUTHDEMO_CLIENT_ID"],
                    "consumer_secret": config["OAUTHDEMO_CLIENT_SECRET"],
                    "authorize_url": "authorize?prompt=consent",
                    "access_token_url": "token",
                    "request_token_params": {"scope": ["read", "write"], "access_type": "offline"},
                    "token_endpoint_auth_method": "client_secret_post",
                }
    """,
    "connector_oauthdemo/auths/refused.py": """
        class OAuthOne:
            def app_description(self, config):
                return {"name": "old", "version": "1", "consumer_key": "k", "consumer_secret": "s",
                        "request_token_url": "https://old.example/request",
                        "authorize_url": "https://old.example/authorize",
                        "access_token_url": "https://old.example/token"}


        class NeedsArguments:
            def __init__(self, tenant):
                self.tenant = tenant


        class MissingSetting:
            def app_description(self, config):
                return {"client_id": config["OAUTHDEMO_SETTING_NOBODY_SET"]}


        class PlainHttp:
            def app_description(self, config):
                return {"client_id": "c", "client_secret": "s",
                        "authorization_url": "http://provider.example/authorize",
                        "access_token_url": "http://provider.example/token"}


        class NotADict:
            def app_description(self, config):
                return ["authorization_url"]
    """,
}


def provider_settings(provider_origin: str) -> dict[str, str]:
    """The environment the demo connector reads, and that lets the proxy reach the fake provider."""
    return {
        "OAUTHDEMO_PROVIDER_URL": provider_origin,
        "OAUTHDEMO_CLIENT_ID": CLIENT_ID,
        "OAUTHDEMO_CLIENT_SECRET": CLIENT_SECRET,
        "HTTP_CONNECTOR_ALLOWED_HOSTS": "127.0.0.1",
    }


class FrontDoor(NamedTuple):
    domain: str
    stage: str | None = None
    # A custom domain's mapping: in the URL and in the event's path alike.
    base_path: str = ""

    @property
    def prefix(self) -> str:
        """What the browser's URL carries in front of the proxy's own paths."""
        # Only the API's own domain puts the stage in the URL; a custom domain's mapping names it.
        in_url = self.stage and ".execute-api." in self.domain
        return self.base_path + (f"/{self.stage}" if in_url else "")


FRONT_DOORS = {
    "function-url": FrontDoor("abcdefghijklmnopqrstuvwxyz012345.lambda-url.us-east-1.on.aws"),
    "http-api": FrontDoor("a1b2c3d4e5.execute-api.us-east-1.amazonaws.com", "dev"),
    "rest-api": FrontDoor("f6g7h8i9j0.execute-api.us-east-1.amazonaws.com", "prod"),
    "alb": FrontDoor("spiff-proxy-123578498.us-east-2.elb.amazonaws.com"),
    "alb-multi": FrontDoor("spiff-proxy-123578498.us-east-2.elb.amazonaws.com"),
}


class LambdaBrowser:
    """Visits proxy URLs through `lambda_handler` as `source` delivers them; keeps cookies."""

    def __init__(self, source: str, door: FrontDoor | None = None) -> None:
        self.source = source
        self.door = door or FRONT_DOORS[source]
        self.cookies: dict[str, str] = {}
        self.set_cookie_headers: list[str] = []
        # What the Lambda context says is left of the function's time.
        self.remaining_ms = 30_000

    @property
    def base(self) -> str:
        return f"https://{self.door.domain}{self.door.prefix}"

    def get(self, url: str, method: str = "GET") -> Answer:
        """Visit `url`: its event through this process's `lambda_handler`."""
        import lambda_function

        return self.receive(
            lambda_function.lambda_handler(self.event_for(url, method), lambda_context(self.remaining_ms))
        )

    def event_for(self, url: str, method: str = "GET") -> dict[str, Any]:
        """The event this front door sends when the browser asks for `url`."""
        assert url.startswith(self.base + "/"), f"{url} is not this proxy ({self.base})"
        parts = urlsplit(url)
        path = self.door.base_path + parts.path[len(self.door.prefix) :]
        headers = {"X-Forwarded-Proto": "https", "Host": self.door.domain}
        cookie_header = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        if cookie_header and self.source in ("rest-api", "alb", "alb-multi"):
            headers["Cookie"] = cookie_header
        query = parse_qs(parts.query, keep_blank_values=True)
        # make_event puts a named stage in an HTTP API's rawPath, as the API's own domain does.
        stage = None if self.source == "http-api" and self.door.base_path else self.door.stage
        event = make_event(self.source, method, path, query=query, headers=headers, stage=stage)
        if "domainName" in event.get("requestContext", {}):
            event["requestContext"]["domainName"] = self.door.domain
        if cookie_header and self.source in ("function-url", "http-api"):
            event["cookies"] = [f"{name}={value}" for name, value in self.cookies.items()]
        return event

    def receive(self, raw: dict[str, Any]) -> Answer:
        """The answer as the browser reads it; its cookies kept for the next visit."""
        check_answer_shape(self.source, raw)
        self._keep(set_cookies(self.source, raw))
        return Answer(self.source, raw)

    def _keep(self, headers: list[str]) -> None:
        for header in headers:
            self.set_cookie_headers.append(header)
            pair, *attributes = (part.strip() for part in header.split(";"))
            name, _, value = pair.partition("=")
            if "Max-Age=0" in attributes:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value


def set_cookies(source: str, raw: dict[str, Any]) -> list[str]:
    if source in ("function-url", "http-api"):
        return list(raw.get("cookies") or [])
    if source == "alb":
        value = (raw.get("headers") or {}).get("Set-Cookie")
        return [value] if value else []
    return list((raw.get("multiValueHeaders") or {}).get("Set-Cookie") or [])


def provider_hop(url: str) -> str:
    """The browser at the provider (real HTTP): where it is sent next."""
    with requests.Session() as session:
        session.trust_env = False
        answer = session.get(url, allow_redirects=False, timeout=10)
    assert answer.status_code == 302, (answer.status_code, answer.text)
    return answer.headers["Location"]


class Flow(NamedTuple):
    start: Answer
    callback_url: str
    end: Answer

    @property
    def back_at_spiffarena(self) -> dict[str, list[str]]:
        """The query SpiffArena's callback receives."""
        assert self.end.status == 302, self.end
        return parse_qs(urlsplit(self.end.headers["location"]).query)

    @property
    def token(self) -> dict[str, Any]:
        stored: dict[str, Any] = json.loads(self.back_at_spiffarena["response"][0])
        return stored


def sign_in(
    browser: LambdaBrowser, auth: str = "OAuth", redirect_url: str | None = None, plugin: str = "oauthdemo"
) -> Flow:
    query = urlencode({"redirect_url": redirect_url or spiffarena_callback(auth)})
    start = browser.get(f"{browser.base}/v1/auth/{plugin}/{auth}?{query}")
    assert start.status == 302, start
    callback_url = provider_hop(start.headers["location"])
    return Flow(start, callback_url, browser.get(callback_url))
