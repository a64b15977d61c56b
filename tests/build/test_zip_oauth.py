"""A sign-in through the built archive, imported by the target Python as Lambda does.

Start and callback run in two separate execution environments (two processes):
nothing but what the browser carries links them, as on Lambda.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from conftest import write_tree
from support.archive import lambda_like, require
from support.lambda_events import make_event
from support.oauth_flow import (
    CONNECTOR_OAUTHDEMO,
    SPIFFARENA,
    USER_TOKEN,
    LambdaBrowser,
    provider_hop,
    provider_settings,
    spiffarena_callback,
)
from support.oauth_provider import CLIENT_SECRET, FakeProvider

from spiff_lambda_proxy.auth import API_KEY_HEADER
from tools.lambda_zip.target import Interpreter

pytestmark = pytest.mark.slow
KEY = "CONNECTOR_PROXY_API_KEY"


@pytest.fixture
def provider() -> Iterator[FakeProvider]:
    with FakeProvider() as server:
        yield server


def test_a_sign_in_through_the_archive(
    task_root: Path, target_python: Interpreter | None, provider: FakeProvider, tmp_path: Path
) -> None:
    python = require(target_python)
    write_tree(tmp_path / "site", CONNECTOR_OAUTHDEMO)
    env = {
        **provider_settings(provider.origin),
        "CONNECTOR_PROXY_AUTH_REDIRECT_ORIGINS": SPIFFARENA,
        KEY: "archive-test-key-0b7e",  # signs the state: no dedicated secret
    }

    def invoke(event: dict[str, Any]) -> dict[str, Any]:
        return lambda_like(python, task_root, [event], env, paths=(tmp_path / "site",))

    # A cold start that answers /v1/commands never loads the sign-in code.
    cold = invoke(make_event("function-url", "GET", "/v1/auths", headers={API_KEY_HEADER: env[KEY]}))
    assert cold["answers"][0]["statusCode"] == 200
    assert not [f for f in cold["files"] if "/oauth/" in f]

    browser = LambdaBrowser("function-url")
    start_url = f"{browser.base}/v1/auth/oauthdemo/OAuth?{urlencode({'redirect_url': spiffarena_callback()})}"
    started = invoke(browser.event_for(start_url))
    start = browser.receive(started["answers"][0])
    assert start.status == 302, start
    assert any(f.startswith(str(task_root / "spiff_lambda_proxy" / "oauth")) for f in started["files"])

    callback_url = provider_hop(start.headers["location"])
    finished = invoke(browser.event_for(callback_url))
    end = browser.receive(finished["answers"][0])
    assert end.status == 302, end
    query = parse_qs(urlsplit(end.headers["location"]).query)
    assert query["token"] == [USER_TOKEN]
    assert query["response"][0].count(provider.issued_tokens[0]["access_token"]) == 1
    # requests came from the archive; nothing secret on the function's output.
    assert any(f.startswith(str(task_root / "requests")) for f in finished["files"])
    for output in (started["stderr"], finished["stderr"]):
        assert CLIENT_SECRET not in output and provider.issued_tokens[0]["access_token"] not in output
