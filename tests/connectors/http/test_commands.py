"""connector_http through `lambda_handler`, against a real HTTP server on 127.0.0.1.

Every test runs behind the socket tripwire (nothing leaves this machine) with
loopback opened through HTTP_CONNECTOR_ALLOWED_HOSTS, as a deployment would
open an internal host. The destination guard itself is tested in
test_connector_http_guard.py.
"""

from __future__ import annotations

import base64
import json
import logging
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support.lambda_events import SOURCES, Answer, invoke, lambda_context
from support.paths import PROJECT_ROOT
from support.tripwire import Tripwire
from support.upstream import Reply, Upstream, make_certificate

from tools.local.context import LocalContext

ROOT = PROJECT_ROOT
JSON = "application/json"


@pytest.fixture(autouse=True)
def tripwire(monkeypatch: pytest.MonkeyPatch) -> Iterator[Tripwire]:
    wire = Tripwire()
    wire.install(monkeypatch)
    yield wire
    assert wire.violations == []


@pytest.fixture(autouse=True)
def http_settings(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("HTTP_CONNECTOR_ALLOWED_HOSTS", "127.0.0.1")
    monkeypatch.setenv("HTTP_CONNECTOR_RETRY_BACKOFF", "0.01")
    yield
    transport = sys.modules.get("spiff_outbound.transport")
    if transport is not None:
        transport.close_session()  # the next test starts without pooled connections


@pytest.fixture
def upstream() -> Iterator[Upstream]:
    with Upstream() as server:
        yield server


def run(
    command: str, *, context: LocalContext | None = None, source: str = "function-url", **arguments: Any
) -> Answer:
    return invoke(source, "POST", f"/v1/do/http/{command}", body=arguments, context=context)


def envelope_of(answer: Answer) -> tuple[dict[str, Any], list[str]]:
    """The v2 envelope without its logs, and the logs."""
    assert answer.status == 200, answer
    assert answer.headers["content-type"] == JSON
    envelope = answer.json
    logs = envelope.pop("spiff__logs")
    assert logs and all(isinstance(line, str) for line in logs)
    return envelope, logs


def ok(body: Any, status: int = 200, **response: Any) -> dict[str, Any]:
    return {
        "command_response": {"body": body, "mimetype": JSON, "http_status": status, **response},
        "command_response_version": 2,
        "error": None,
    }


def failed(code: str, status: int, body: Any = None, message: str = "...") -> dict[str, Any]:
    return {
        "command_response": {"body": {} if body is None else body, "mimetype": JSON, "http_status": status},
        "command_response_version": 2,
        "error": {"error_code": code, "message": message},
    }


def masked(envelope: dict[str, Any]) -> dict[str, Any]:
    """The envelope with its error message replaced by "...", for messages checked on their own."""
    if envelope.get("error"):
        envelope = {**envelope, "error": {**envelope["error"], "message": "..."}}
    return envelope


def echoed(answer: Answer) -> dict[str, Any]:
    envelope, _ = envelope_of(answer)
    assert envelope["error"] is None, envelope
    body: dict[str, Any] = envelope["command_response"]["body"]
    return body


# --- discovery -------------------------------------------------------------------------------------------

OPTIONAL = {"required": False}


def params(*described: tuple[str, str]) -> list[dict[str, Any]]:
    first = [{"id": "url", "type": "str", "required": True}]
    return first + [{"id": name, "type": kind, **OPTIONAL} for name, kind in described]


AUTH = (("basic_auth_username", "str"), ("basic_auth_password", "str"))
EXPECTED_COMMANDS = {
    "http/GetRequest": params(("headers", "any"), ("params", "any"), *AUTH),
    "http/PostRequest": params(("headers", "any"), *AUTH, ("data", "any")),
    "http/GetRequestV2": params(
        ("headers", "any"),
        ("params", "any"),
        *AUTH,
        ("attempts", "int"),
        ("include_response_headers", "bool"),
    ),
    "http/HeadRequestV2": params(
        ("headers", "any"),
        ("params", "any"),
        *AUTH,
        ("attempts", "int"),
        ("include_response_headers", "bool"),
    ),
    **{
        f"http/{name}": params(
            ("headers", "any"),
            ("data", "any"),
            *AUTH,
            ("body_format", "str"),
            ("include_response_headers", "bool"),
        )
        for name in ("PostRequestV2", "PutRequestV2", "PatchRequestV2")
    },
    "http/DeleteRequestV2": params(
        ("headers", "any"),
        ("params", "any"),
        ("data", "any"),
        *AUTH,
        ("body_format", "str"),
        ("include_response_headers", "bool"),
    ),
}


def test_commands_lists_the_http_commands_with_their_arguments() -> None:
    answer = invoke("function-url", "GET", "/v1/commands")
    assert answer.status == 200
    described = {item["id"]: item["parameters"] for item in answer.json if item["id"].startswith("http/")}
    assert described == EXPECTED_COMMANDS


def test_discovery_does_not_import_requests_or_xmltodict() -> None:
    script = (
        "import sys, lambda_function\n"
        "from spiff_lambda_proxy.registry import registry\n"
        "assert registry().command('http', 'GetRequestV2') is not None\n"
        "print(sorted(m for m in ('requests', 'urllib3', 'xmltodict') if m in sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.strip() == "[]"


# --- answers: parsing, statuses, headers -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("content_type", "raw", "body"),
    [
        ("application/json", b'{"hello": ["world", 1, null]}', {"hello": ["world", 1, None]}),
        ("application/json; charset=utf-8", '{"name": "Zoë"}'.encode(), {"name": "Zoë"}),
        ("application/problem+json", b'{"title": "x"}', {"title": "x"}),
        ("application/json", b"[1, 2]", [1, 2]),
        (
            "application/xml",
            b"<order id='7'><item>tea</item></order>",
            {"order": {"@id": "7", "item": "tea"}},
        ),
        ("text/xml; charset=utf-8", b"<a><b>1</b><b>2</b></a>", {"a": {"b": ["1", "2"]}}),
        ("text/plain; charset=utf-8", b"plain words", {"raw_response": "plain words"}),
        ("text/html", b"<p>hi</p>", {"raw_response": "<p>hi</p>"}),
        ("text/plain; charset=iso-8859-1", "café".encode("latin-1"), {"raw_response": "café"}),
        ("application/atom+xml", b"<feed/>", {"raw_response": "<feed/>"}),
    ],
)
def test_bodies_are_parsed_by_content_type(
    upstream: Upstream, content_type: str, raw: bytes, body: Any
) -> None:
    url = upstream.script("/thing", Reply(200, raw, content_type))
    envelope, logs = envelope_of(run("GetRequestV2", url=url))
    assert envelope == ok(body)
    assert logs[0].endswith(f"GET {url}")
    assert re.search(rf"-> 200 OK \({re.escape(content_type)}, {len(raw)} bytes\) in \d+ ms$", logs[1])


def test_a_body_that_is_not_the_json_it_claims_is_an_error_keeping_the_text(upstream: Upstream) -> None:
    url = upstream.script("/bad", Reply(200, b"{not json", JSON))
    envelope, _ = envelope_of(run("GetRequestV2", url=url))
    assert masked(envelope) == failed("JSONDecodeError", 200, {"raw_response": "{not json"})
    assert envelope["error"]["message"].startswith(
        "The upstream said application/json but its body is not JSON"
    )


def test_json_nan_is_not_json(upstream: Upstream) -> None:
    url = upstream.script("/nan", Reply(200, b'{"x": NaN}', JSON))
    envelope, _ = envelope_of(run("GetRequestV2", url=url))
    assert masked(envelope) == failed("JSONDecodeError", 200, {"raw_response": '{"x": NaN}'})


def test_a_body_that_is_not_the_xml_it_claims_is_an_error_keeping_the_text(upstream: Upstream) -> None:
    url = upstream.script("/bad", Reply(200, b"<open>", "application/xml"))
    envelope, _ = envelope_of(run("GetRequestV2", url=url))
    assert masked(envelope) == failed("ExpatError", 200, {"raw_response": "<open>"})


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        (Reply(200, b"", JSON), ok({})),
        (Reply(201, b"", "application/xml"), ok({}, 201)),
        (Reply(200, b"", "text/plain"), ok({"raw_response": ""})),
        (Reply(204), ok({}, 204)),
        (Reply(200, b""), ok({})),
    ],
)
def test_empty_bodies(upstream: Upstream, reply: Reply, expected: dict[str, Any]) -> None:
    envelope, _ = envelope_of(run("GetRequestV2", url=upstream.script("/empty", reply)))
    assert envelope == expected


def test_an_error_status_sets_http_error_with_the_body_kept(upstream: Upstream) -> None:
    url = upstream.script("/missing", Reply.text("no such thing", 404))
    envelope, logs = envelope_of(run("GetRequestV2", url=url))
    assert envelope == failed(
        "HttpError404", 404, {"raw_response": "no such thing"}, "The upstream answered 404 Not Found."
    )
    assert logs[-1].endswith("error: HttpError404")


def test_an_error_status_with_a_json_body(upstream: Upstream) -> None:
    url = upstream.script("/broken", Reply.json({"detail": "db down"}, 503))
    envelope, _ = envelope_of(run("PostRequestV2", url=url, data={"a": 1}))
    assert envelope == failed(
        "HttpError503", 503, {"detail": "db down"}, "The upstream answered 503 Service Unavailable."
    )


def test_head_gives_an_empty_body_and_the_headers_when_asked(upstream: Upstream) -> None:
    url = upstream.script("/doc", Reply.json({"big": "x" * 100}, headers={"ETag": '"v7"', "X-Count": "3"}))
    envelope, _ = envelope_of(run("HeadRequestV2", url=url, include_response_headers=True))
    headers = envelope["command_response"].pop("headers")
    assert envelope == ok({})
    assert headers["etag"] == '"v7"'
    assert headers["x-count"] == "3"
    assert headers["content-type"] == JSON
    assert headers["content-length"] == str(len(json.dumps({"big": "x" * 100})))
    assert upstream.requests[0].method == "HEAD"


def test_response_headers_only_when_asked(upstream: Upstream) -> None:
    url = upstream.script("/x", Reply.json({"a": 1}, headers={"X-Trace": "abc"}))
    with_headers, _ = envelope_of(run("GetRequestV2", url=url, include_response_headers=True))
    assert with_headers["command_response"]["headers"]["x-trace"] == "abc"
    without, _ = envelope_of(run("GetRequestV2", url=url, include_response_headers=False))
    assert without == ok({"a": 1})


@pytest.mark.parametrize("source", SOURCES)
def test_every_front_door_carries_the_envelope(upstream: Upstream, source: str) -> None:
    url = upstream.script("/json", Reply.json({"ok": True}))
    envelope, _ = envelope_of(run("GetRequestV2", url=url, source=source))
    assert envelope == ok({"ok": True})


# --- requests: query, headers, auth, bodies --------------------------------------------------------------


def test_params_join_the_query_string(upstream: Upstream) -> None:
    params = {"b": "two words", "list": [1, 2], "flag": True, "skipped": None}
    body = echoed(run("GetRequestV2", url=upstream.url("/echo?a=1"), params=params))
    assert body["method"] == "GET"
    assert body["query"] == "a=1&b=two+words&list=1&list=2&flag=true"


def test_headers_and_basic_auth_are_sent(upstream: Upstream) -> None:
    body = echoed(
        run(
            "GetRequestV2",
            url=upstream.url("/echo"),
            headers={"X-Tenant": "acme", "Accept": "application/json"},
            basic_auth_username="ada",
            basic_auth_password="s3cret-pw",
        )
    )
    assert body["headers"]["x-tenant"] == "acme"
    assert body["headers"]["accept"] == "application/json"
    assert body["headers"]["authorization"] == "Basic " + base64.b64encode(b"ada:s3cret-pw").decode()


def test_basic_auth_needs_both_halves(upstream: Upstream) -> None:
    answer = run("GetRequestV2", url=upstream.url("/echo"), basic_auth_username="ada")
    _, logs = envelope_of(answer)
    assert "authorization" not in echoed(answer)["headers"]
    assert any("basic auth not sent: basic_auth_password is missing" in line for line in logs)


def test_data_is_sent_as_json_by_default(upstream: Upstream) -> None:
    body = echoed(run("PostRequestV2", url=upstream.url("/echo"), data={"name": "Zoë", "n": [1, 2]}))
    assert body["method"] == "POST"
    assert body["headers"]["content-type"] == JSON
    assert json.loads(body["body"]) == {"name": "Zoë", "n": [1, 2]}


def test_a_content_type_set_by_the_caller_is_kept_in_any_case(upstream: Upstream) -> None:
    answer = run(
        "PostRequestV2",
        url=upstream.url("/echo"),
        headers={"content-TYPE": "application/vnd.x+json"},
        data=[1],
    )
    body = echoed(answer)
    assert body["headers"]["content-type"] == "application/vnd.x+json"
    assert body["body"] == "[1]"
    assert len([seen for seen in upstream.requests[0].headers if seen == "content-type"]) == 1


@pytest.mark.parametrize(
    ("body_format", "data", "content_type", "sent"),
    [
        ("json", {"a": 1}, JSON, '{"a": 1}'),
        (
            "form",
            {"a": "x y", "b": [1, 2], "c": False},
            "application/x-www-form-urlencoded",
            "a=x+y&b=1&b=2&c=false",
        ),
        ("raw", "<xml>as is</xml>", "text/plain; charset=utf-8", "<xml>as is</xml>"),
        ("FORM", {"a": 1}, "application/x-www-form-urlencoded", "a=1"),
    ],
)
def test_body_formats(upstream: Upstream, body_format: str, data: Any, content_type: str, sent: str) -> None:
    body = echoed(run("PutRequestV2", url=upstream.url("/echo"), data=data, body_format=body_format))
    assert (body["method"], body["headers"]["content-type"], body["body"]) == ("PUT", content_type, sent)


def test_body_format_none_sends_no_body(upstream: Upstream) -> None:
    answer = run("PatchRequestV2", url=upstream.url("/echo"), data={"a": 1}, body_format="none")
    body = echoed(answer)
    assert (body["method"], body["body"]) == ("PATCH", "")
    assert "content-type" not in body["headers"]
    assert any("data not sent" in line for line in envelope_of(answer)[1])


def test_no_data_no_body(upstream: Upstream) -> None:
    body = echoed(run("PostRequestV2", url=upstream.url("/echo")))
    assert body["body"] == ""
    assert "content-type" not in body["headers"]


def test_delete_with_params_and_data(upstream: Upstream) -> None:
    body = echoed(run("DeleteRequestV2", url=upstream.url("/echo"), params={"id": 7}, data={"why": "gone"}))
    assert (body["method"], body["query"], json.loads(body["body"])) == ("DELETE", "id=7", {"why": "gone"})


# --- bad arguments ---------------------------------------------------------------------------------------

BAD_ARGUMENTS = [
    ("GetRequestV2", {"url": 5}, "url"),
    ("GetRequestV2", {"url": "ftp://example.com/file"}, "url"),
    ("GetRequestV2", {"url": "just words"}, "url"),
    ("GetRequestV2", {"url": "http://"}, "url"),
    ("GetRequestV2", {"url": "http://127.0.0.1:99999/"}, "url"),
    ("GetRequestV2", {"url": "http://127.0.0.1/a b"}, "url"),
    ("GetRequestV2", {"headers": ["X-A: 1"]}, "headers"),
    ("GetRequestV2", {"headers": {"X-Count": 1}}, "headers"),
    ("GetRequestV2", {"headers": {"X-A": "1\r\nX-Injected: yes"}}, "headers"),
    ("GetRequestV2", {"headers": {"Bad Name": "1"}}, "headers"),
    ("GetRequestV2", {"params": "a=1"}, "params"),
    ("GetRequestV2", {"params": {"a": {"nested": 1}}}, "params"),
    ("GetRequestV2", {"attempts": 0}, "attempts"),
    ("GetRequestV2", {"attempts": 11}, "attempts"),
    ("GetRequestV2", {"attempts": "3"}, "attempts"),
    ("GetRequestV2", {"attempts": True}, "attempts"),
    ("GetRequestV2", {"basic_auth_username": 5}, "basic_auth_username"),
    ("GetRequestV2", {"include_response_headers": "yes"}, "include_response_headers"),
    ("PostRequestV2", {"body_format": "xml", "data": {}}, "body_format"),
    ("PostRequestV2", {"body_format": 1}, "body_format"),
    ("PostRequestV2", {"body_format": "form", "data": [1, 2]}, "data"),
    ("PostRequestV2", {"body_format": "form", "data": {"a": {"b": 1}}}, "data"),
    ("PostRequestV2", {"body_format": "raw", "data": {"a": 1}}, "data"),
    ("DeleteRequestV2", {"params": [1]}, "params"),
]


@pytest.mark.parametrize(("command", "arguments", "named"), BAD_ARGUMENTS)
def test_bad_arguments_answer_invalid_argument(
    upstream: Upstream, command: str, arguments: dict[str, Any], named: str
) -> None:
    arguments = {"url": upstream.url("/echo"), **arguments}
    envelope, logs = envelope_of(run(command, **arguments))
    assert masked(envelope) == failed("InvalidArgument", 400)
    assert envelope["error"]["message"].startswith(f"Argument {named!r} ")
    assert logs[-1].split("] ", 1)[1] == f"failed: InvalidArgument: {envelope['error']['message']}"
    assert upstream.requests == []


def test_a_missing_url_is_the_proxys_binding_error() -> None:
    answer = run("GetRequestV2", headers={})
    assert answer.status == 400
    assert answer.json["error"]["error_code"] == "invalid_parameters"


# --- retries ---------------------------------------------------------------------------------------------


def test_retries_on_5xx_until_success(upstream: Upstream) -> None:
    url = upstream.script("/flaky", Reply.text("busy", 500), Reply.text("busy", 502), Reply.json({"done": 1}))
    envelope, logs = envelope_of(run("GetRequestV2", url=url, attempts=5))
    assert envelope == ok({"done": 1})
    assert upstream.paths() == ["/flaky"] * 3
    assert [line.split("] ", 1)[1] for line in logs if "attempt" in line] == [
        f"GET {url} (attempt {n} of 5)" for n in (1, 2, 3)
    ]
    assert sum("retrying in" in line and "after HTTP 50" in line for line in logs) == 2


def test_gives_up_after_the_attempts(upstream: Upstream) -> None:
    url = upstream.script("/down", Reply.text("down", 500))
    envelope, _ = envelope_of(run("GetRequestV2", url=url, attempts=2))
    assert masked(envelope) == failed("HttpError500", 500, {"raw_response": "down"})
    assert len(upstream.requests) == 2


def test_one_attempt_by_default(upstream: Upstream) -> None:
    url = upstream.script("/down", Reply.text("down", 500))
    envelope_of(run("HeadRequestV2", url=url))
    assert len(upstream.requests) == 1


def test_client_errors_are_not_retried(upstream: Upstream) -> None:
    url = upstream.script("/nope", Reply.text("nope", 404))
    envelope_of(run("GetRequestV2", url=url, attempts=3))
    assert len(upstream.requests) == 1


def test_writes_are_not_retried(upstream: Upstream) -> None:
    url = upstream.script("/busy", Reply.text("busy", 503), Reply.json({}))
    envelope, _ = envelope_of(run("PostRequestV2", url=url, data={"charge": 100}))
    assert envelope["error"]["error_code"] == "HttpError503"
    assert len(upstream.requests) == 1


def test_429_waits_for_retry_after(upstream: Upstream) -> None:
    url = upstream.script(
        "/limited", Reply.text("slow down", 429, headers={"Retry-After": "1"}), Reply.json([])
    )
    envelope, logs = envelope_of(run("GetRequestV2", url=url, attempts=2))
    assert envelope == ok([])
    assert len(upstream.requests) == 2
    assert any("retrying in 1.00 s after HTTP 429 with Retry-After 1 s" in line for line in logs)


def test_a_retry_after_past_the_deadline_is_not_waited_for(upstream: Upstream) -> None:
    url = upstream.script(
        "/limited", Reply.text("later", 429, headers={"Retry-After": "120"}), Reply.json([])
    )
    answer = run("GetRequestV2", url=url, attempts=3, context=lambda_context(remaining_ms=5_000))
    envelope, logs = envelope_of(answer)
    assert masked(envelope) == failed("HttpError429", 429, {"raw_response": "later"})
    assert len(upstream.requests) == 1
    assert any("not retrying after HTTP 429 with Retry-After 120 s" in line for line in logs)


def test_a_dropped_connection_is_retried(upstream: Upstream) -> None:
    url = upstream.script("/drop", Reply.close(), Reply.json({"second": True}))
    envelope, logs = envelope_of(run("GetRequestV2", url=url, attempts=2))
    assert envelope == ok({"second": True})
    assert any("after ConnectionError" in line for line in logs)


def test_a_dropped_connection_is_a_connection_error(upstream: Upstream) -> None:
    url = upstream.script("/drop", Reply.close())
    envelope, _ = envelope_of(run("GetRequestV2", url=url))
    assert masked(envelope) == failed("ConnectionError", 500)
    assert envelope["error"]["message"].startswith(f"The connection to {upstream.base_url} failed: ")
    assert "RemoteDisconnected" in envelope["error"]["message"]


def test_nothing_listening_is_a_connection_error(upstream: Upstream) -> None:
    url = upstream.url("/x")
    upstream.close()
    envelope, _ = envelope_of(run("GetRequestV2", url=url))
    assert masked(envelope) == failed("ConnectionError", 500)
    assert "Connection refused" in envelope["error"]["message"]


# --- time budget -----------------------------------------------------------------------------------------


def test_a_hanging_upstream_is_a_timeout_within_the_deadline(upstream: Upstream) -> None:
    url = upstream.script("/hang", Reply.hang())
    # The proxy keeps 1 s to answer: 0.5 s are left for the command.
    envelope, logs = envelope_of(
        run("GetRequestV2", url=url, attempts=3, context=lambda_context(remaining_ms=1_500))
    )
    assert masked(envelope) == failed("Timeout", 500)
    assert "did not answer before the command's deadline" in envelope["error"]["message"]
    assert len(upstream.requests) == 1  # no retry started past the deadline
    assert logs[-1].split("] ", 1)[1].startswith("failed: Timeout: ")


@pytest.mark.parametrize("declared", [True, False])
def test_a_trickling_upstream_cannot_stretch_the_deadline(upstream: Upstream, declared: bool) -> None:
    # One byte every 0.1 s for 5 s: each socket read is quick, only the deadline watchdog ends it.
    # Without a declared length, the cut-off body must not pass for a complete one.
    url = upstream.script("/trickle", Reply.trickle(50, declared=declared))
    envelope, _ = envelope_of(run("GetRequestV2", url=url, context=lambda_context(remaining_ms=1_500)))
    assert masked(envelope) == failed("Timeout", 500)


def test_a_read_timeout_is_retried_while_time_is_left(
    upstream: Upstream, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTP_CONNECTOR_READ_TIMEOUT", "0.2")
    url = upstream.script("/hang", Reply.hang())
    envelope, logs = envelope_of(run("GetRequestV2", url=url, attempts=2))
    assert masked(envelope) == failed("Timeout", 500)
    assert "did not answer in time" in envelope["error"]["message"]
    assert len(upstream.requests) == 2
    assert any("after Timeout" in line for line in logs)


def test_no_time_left_means_no_request(upstream: Upstream) -> None:
    envelope, _ = envelope_of(
        run("GetRequestV2", url=upstream.url("/echo"), context=lambda_context(remaining_ms=900))
    )
    assert masked(envelope) == failed("Timeout", 500)
    assert upstream.requests == []


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


# --- size ------------------------------------------------------------------------------------------------


def test_a_declared_huge_body_is_refused_unread(upstream: Upstream) -> None:
    size = 7 * 1024 * 1024
    url = upstream.script("/huge", Reply(200, b"z" * size, "text/plain"))
    envelope, _ = envelope_of(run("GetRequestV2", url=url))
    assert masked(envelope) == failed("ResponseTooLarge", 500)
    assert envelope["error"]["message"].startswith(
        f"The upstream body is {size} bytes; this connector returns at most"
    )


def test_a_streamed_huge_body_is_cut_off(upstream: Upstream) -> None:
    url = upstream.script("/stream", Reply.stream(8 * 1024 * 1024))
    envelope, _ = envelope_of(run("GetRequestV2", url=url))
    assert masked(envelope) == failed("ResponseTooLarge", 500)
    assert envelope["error"]["message"].startswith("The upstream body is more than 6029312 bytes")


def test_a_body_that_grows_when_encoded_is_measured_as_lambda_carries_it(
    upstream: Upstream, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTP_CONNECTOR_MAX_RESPONSE_BYTES", "2000")
    url = upstream.script("/quotes", Reply.text('"' * 1500))  # 1500 bytes, about 6000 once escaped twice
    envelope, _ = envelope_of(run("GetRequestV2", url=url))
    assert masked(envelope) == failed("ResponseTooLarge", 500)
    assert envelope["error"]["message"].startswith("The answer would be about ")
    fits = upstream.script("/fits", Reply.text("x" * 1500))
    envelope, _ = envelope_of(run("GetRequestV2", url=fits))
    assert envelope == ok({"raw_response": "x" * 1500})


def test_a_large_body_under_the_limit_is_returned(upstream: Upstream) -> None:
    text = "abc" * 1_000_000  # 3 MB
    url = upstream.script("/large", Reply.text(text))
    envelope, _ = envelope_of(run("GetRequestV2", url=url))
    assert envelope == ok({"raw_response": text})


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


# --- logs and secrets ------------------------------------------------------------------------------------


def test_logs_say_what_happened_and_never_a_secret(
    upstream: Upstream, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    secrets = [
        "Bearer-tok-0123456789",
        "hunter2-pw",
        "url-pass-77",
        "qs-key-99",
        "param-token-55",
        "cookie-val-66",
    ]
    upstream.script("/fail", Reply.text("down", 500), Reply.close())
    url = f"http://someone:url-pass-77@127.0.0.1:{upstream.port}/fail?api_key=qs-key-99&page=2"
    answer = run(
        "GetRequestV2",
        url=url,
        params={"access_token": "param-token-55", "q": "tea"},
        headers={"Authorization": "Bearer Bearer-tok-0123456789", "Cookie": "sid=cookie-val-66"},
        basic_auth_username="ada",
        basic_auth_password="hunter2-pw",
        attempts=2,
    )
    envelope, logs = envelope_of(answer)
    assert masked(envelope) == failed("ConnectionError", 500)
    seen_by_upstream = upstream.requests[0]
    assert seen_by_upstream.query == "api_key=qs-key-99&page=2&access_token=param-token-55&q=tea"
    safe = f"http://***@127.0.0.1:{upstream.port}/fail?api_key=***&page=2&access_token=***&q=tea"
    assert [line.split("] ", 1)[1] for line in logs if line.split("] ", 1)[1].startswith("GET")] == [
        f"GET {safe} (attempt 1 of 2)",
        f"GET {safe} (attempt 2 of 2)",
    ]
    assert any("-> 500 Internal Server Error" in line for line in logs)
    everything = answer.text + "\n".join(record.getMessage() for record in caplog.records)
    for secret in secrets:
        assert secret not in everything


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


def test_docs_list_every_command_and_setting() -> None:
    from connector_http.settings import SETTINGS

    page = (ROOT / "docs" / "http.md").read_text()
    for setting in SETTINGS:
        assert f"`{setting.name}`" in page
    for command in EXPECTED_COMMANDS:
        assert f"`{command.split('/')[1]}`" in page
