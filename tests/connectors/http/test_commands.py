"""connector_http through `lambda_handler`, against a real HTTP server on 127.0.0.1: what is listed,
how answers are parsed, how requests are built, and bad arguments.

Every test runs behind the socket tripwire (nothing leaves this machine) with
loopback opened through HTTP_CONNECTOR_ALLOWED_HOSTS, as a deployment would
open an internal host. The destination guard itself is tested in test_guard*.py.
"""

from __future__ import annotations

import base64
import json
import re
import subprocess
import sys
from typing import Any

import pytest
from support.http_connector import JSON, echoed, envelope_of, failed, masked, ok, run
from support.lambda_events import SOURCES, invoke
from support.paths import PROJECT_ROOT
from support.upstream import Reply, Upstream

pytestmark = pytest.mark.usefixtures("loopback_opened")


ROOT = PROJECT_ROOT


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


def test_docs_list_every_command_and_setting() -> None:
    from connector_http.settings import SETTINGS

    page = (ROOT / "docs" / "http.md").read_text()
    for setting in SETTINGS:
        assert f"`{setting.name}`" in page
    for command in EXPECTED_COMMANDS:
        assert f"`{command.split('/')[1]}`" in page
