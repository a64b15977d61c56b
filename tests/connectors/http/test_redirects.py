"""connector_http's redirects, HTTPS verification, connection reuse and cookies, against loopback servers."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.http_connector import echoed, envelope_of, failed, masked, ok, run
from support.tripwire import Tripwire
from support.upstream import Reply, Upstream, make_certificate

pytestmark = pytest.mark.usefixtures("loopback_opened")


# --- redirects -------------------------------------------------------------------------------------------


def test_redirects_are_followed(upstream: Upstream) -> None:
    upstream.script("/new", Reply.json({"moved": True}))
    url = upstream.script("/old", Reply.redirect("/new", 301))
    envelope, logs = envelope_of(run("GetRequestV2", url=url))
    assert envelope == ok({"moved": True})
    assert upstream.paths() == ["/old", "/new"]
    assert any(line.endswith(f"redirected (301) to {upstream.url('/new')}") for line in logs)


@pytest.mark.parametrize(
    ("status", "method", "body"), [(302, "GET", ""), (303, "GET", ""), (307, "POST", '{"a": 1}')]
)
def test_redirect_methods(upstream: Upstream, status: int, method: str, body: str) -> None:
    url = upstream.script("/form", Reply.redirect("/echo", status))
    echo = echoed(run("PostRequestV2", url=url, data={"a": 1}))
    assert (echo["method"], echo["body"]) == (method, body)


def test_a_redirect_loop_ends(upstream: Upstream) -> None:
    url = upstream.script("/loop", Reply.redirect("/loop"))
    envelope, _ = envelope_of(run("GetRequestV2", url=url))
    assert masked(envelope) == failed("TooManyRedirects", 500)
    assert len(upstream.requests) == 11


def test_a_redirect_off_http_is_refused(upstream: Upstream) -> None:
    url = upstream.script("/away", Reply.redirect("file:///etc/passwd"))
    envelope, _ = envelope_of(run("GetRequestV2", url=url))
    assert masked(envelope) == failed("InvalidRedirect", 302)


def test_credentials_stay_with_their_origin(upstream: Upstream) -> None:
    with Upstream() as other:
        upstream.script("/same", Reply.redirect("/echo"))
        upstream.script("/elsewhere", Reply.redirect(other.url("/echo")))
        headers = {"Authorization": "Bearer tok-123456", "X-Keep": "1"}
        same = echoed(run("GetRequestV2", url=upstream.url("/same"), headers=headers))
        assert same["headers"]["authorization"] == "Bearer tok-123456"
        moved = echoed(run("GetRequestV2", url=upstream.url("/elsewhere"), headers=headers))
        assert "authorization" not in moved["headers"]
        assert moved["headers"]["x-keep"] == "1"
        basic = echoed(
            run(
                "GetRequestV2",
                url=upstream.url("/elsewhere"),
                basic_auth_username="u",
                basic_auth_password="pw12",
            )
        )
        assert "authorization" not in basic["headers"]


def test_https_verifies_the_certificate_against_the_host_name(
    tmp_path: Path, tripwire: Tripwire, monkeypatch: pytest.MonkeyPatch
) -> None:
    certificate, key = make_certificate(tmp_path, "localhost")
    with Upstream(tls=(certificate, key)) as secure:
        url = secure.script("/secure", Reply.json({"tls": True}))
        untrusted, _ = envelope_of(run("GetRequestV2", url=url))
        assert masked(untrusted) == failed("SSLError", 500)
        assert "CERTIFICATE_VERIFY_FAILED" in untrusted["error"]["message"]

        monkeypatch.setenv("HTTP_CONNECTOR_CA_BUNDLE", str(certificate))
        assert envelope_of(run("GetRequestV2", url=url))[0] == ok({"tls": True})

        # Connected to the checked address, verified against the name in the URL.
        tripwire.fake_dns["elsewhere.test"] = ["127.0.0.1"]
        wrong_name = url.replace("127.0.0.1", "elsewhere.test")
        mismatch, _ = envelope_of(run("GetRequestV2", url=wrong_name))
        assert masked(mismatch) == failed("SSLError", 500)
        assert "Hostname mismatch" in mismatch["error"]["message"], mismatch


# --- connections and cookies -----------------------------------------------------------------------------


def test_warm_invocations_reuse_one_connection(upstream: Upstream) -> None:
    url = upstream.script("/json", Reply.json({"n": 1}))
    flaky = upstream.script("/flaky", Reply.text("busy", 500), Reply.json({"n": 2}))
    assert envelope_of(run("GetRequestV2", url=url))[0] == ok({"n": 1})
    assert envelope_of(run("GetRequestV2", url=url))[0] == ok({"n": 1})
    assert envelope_of(run("GetRequestV2", url=flaky, attempts=2))[0] == ok({"n": 2})
    assert envelope_of(run("PostRequestV2", url=upstream.url("/echo"), data={}))[0]["error"] is None
    assert len(upstream.requests) == 5
    assert upstream.connections == 1


def test_cookies_are_not_carried_between_calls(upstream: Upstream) -> None:
    url = upstream.script("/login", Reply.json({}, headers={"Set-Cookie": "session=abc123; Path=/"}))
    envelope_of(run("GetRequestV2", url=url))
    assert "cookie" not in echoed(run("GetRequestV2", url=upstream.url("/echo")))["headers"]
