"""connector_http's v1 commands (connector-http's older answer shape) and its settings."""

from __future__ import annotations

import json

import pytest
from support.http_connector import JSON, envelope_of, failed, masked, run
from support.paths import PROJECT_ROOT
from support.upstream import Reply, Upstream

pytestmark = pytest.mark.usefixtures("loopback_opened")


ROOT = PROJECT_ROOT


# --- v1 commands -----------------------------------------------------------------------------------------


def test_v1_get_answers_with_the_upstream_status_and_text(upstream: Upstream) -> None:
    url = upstream.script("/doc", Reply.json({"a": [1, 2]}))
    answer = run("GetRequest", url=url, params={"x": "1"})
    assert (answer.status, answer.text, answer.headers["content-type"]) == (200, '{"a": [1, 2]}', JSON)
    assert upstream.requests[0].query == "x=1"


def test_v1_get_passes_an_error_status_through(upstream: Upstream) -> None:
    url = upstream.script("/gone", Reply.text("gone", 410))
    answer = run("GetRequest", url=url)
    assert (answer.status, answer.text) == (410, "gone")


def test_v1_post_sends_json(upstream: Upstream) -> None:
    answer = run("PostRequest", url=upstream.url("/echo"), data={"k": "v"}, headers={"X-A": "b"})
    assert answer.status == 200
    echo = json.loads(answer.text)
    assert (echo["method"], echo["body"], echo["headers"]["x-a"]) == ("POST", '{"k": "v"}', "b")


def test_v1_failures_answer_an_error_object(upstream: Upstream) -> None:
    url = upstream.script("/drop", Reply.close())
    answer = run("GetRequest", url=url)
    assert answer.status == 500
    assert answer.json["error"]["error_code"] == "ConnectionError"
    bad = run("PostRequest", url="ftp://nowhere/")
    assert bad.status == 400
    assert bad.json == {
        "error": {
            "error_code": "InvalidArgument",
            "message": "Argument 'url' must start with http:// or https://.",
        }
    }


# --- settings --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("HTTP_CONNECTOR_MAX_RESPONSE_BYTES", "lots"),
        ("HTTP_CONNECTOR_READ_TIMEOUT", "-1"),
        ("HTTP_CONNECTOR_ALLOWED_HOSTS", "127.0.0.1:8080"),
        ("HTTP_CONNECTOR_DENIED_HOSTS", "bad host"),
        ("HTTP_CONNECTOR_CA_BUNDLE", "/nonexistent/ca.pem"),
    ],
)
def test_a_bad_setting_is_a_configuration_error_naming_it(
    upstream: Upstream, monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    envelope, _ = envelope_of(run("GetRequestV2", url=upstream.url("/echo")))
    assert masked(envelope) == failed("ConfigurationError", 500)
    assert envelope["error"]["message"].startswith(name)
    assert upstream.requests == []
