"""connector_http's size limit against what Lambda can deliver: within the limit means deliverable.

Upstream bodies near HTTP_CONNECTOR_MAX_RESPONSE_BYTES, of the kinds that grow
when encoded (quotes, backslashes, control characters, non-ASCII): every
answer the connector accepts must fit Lambda's 6 MiB as the runtime
serialises the whole answer (json.dumps), and every other is the connector's
own ResponseTooLarge, not a platform error. Behind the socket tripwire.
"""

from __future__ import annotations

import json

import pytest
from connector_http.settings import DEFAULT_MAX_RESPONSE_BYTES
from support.http_connector import envelope_of, failed, masked, ok, run
from support.lambda_events import Answer, invoke
from support.upstream import Reply, Upstream

LAMBDA_LIMIT = 6 * 1024 * 1024
pytestmark = pytest.mark.usefixtures("loopback_opened")


def get(url: str, source: str = "function-url", command: str = "GetRequestV2") -> Answer:
    return invoke(source, "POST", f"/v1/do/http/{command}", body={"url": url})


def runtime_size(answer: Answer) -> int:
    return len(json.dumps(answer.raw).encode())


# (piece, bytes one piece takes in the answer: in a v2 envelope, JSON inside JSON; as v1 text).
GROWING = [("x", 1, 1), ('"', 4, 2), ("\\", 4, 2), ("\x01", 7, 6), ("é", 6, 6), ("😀", 12, 12)]


@pytest.mark.parametrize(("piece", "v2", "v1"), GROWING)
@pytest.mark.parametrize("command", ["GetRequestV2", "GetRequest"])
def test_what_the_connector_accepts_lambda_can_deliver(
    upstream: Upstream, piece: str, v2: int, v1: int, command: str
) -> None:
    carried = v2 if command == "GetRequestV2" else v1
    # Just under and just over what the connector's limit lets through, for this kind of text.
    fitting = DEFAULT_MAX_RESPONSE_BYTES // carried
    for count, accepted in ((fitting - 2048 // carried, True), (fitting + 1024, False)):
        body = piece * count
        url = upstream.script("/body", Reply.text(body))
        answer = get(url, command=command)
        if not accepted:
            assert answer.json["error"]["error_code"] == "ResponseTooLarge", str(answer)[:300]
            continue
        assert answer.status == 200, str(answer)[:300]
        assert runtime_size(answer) <= LAMBDA_LIMIT
        if command == "GetRequest":
            assert answer.text == body
        else:
            assert answer.json["command_response"]["body"] == {"raw_response": body}


def test_json_of_three_megabytes_full_of_quotes_is_refused_by_the_connector(upstream: Upstream) -> None:
    document = json.dumps([{"k": "v"}] * 300_000)  # 3 MB, a third of it quotes
    url = upstream.script("/doc", Reply.text(document, content_type="text/plain"))
    answer = get(url)
    assert answer.status == 200
    assert answer.json["error"]["error_code"] == "ResponseTooLarge"
    assert answer.json["error"]["message"].startswith("The answer would be about ")


def test_behind_an_alb_the_proxy_refuses_what_the_load_balancer_would(upstream: Upstream) -> None:
    url = upstream.script("/two-mb", Reply.text("y" * 2_000_000))
    answer = get(url, source="alb")
    assert answer.status == 500
    assert answer.json["error"]["error_code"] == "ResponseTooLarge"
    assert "An Application Load Balancer accepts at most 1 MB" in answer.json["error"]["message"]
    small = get(upstream.script("/small", Reply.text("y" * 900_000)), source="alb")
    assert small.status == 200 and runtime_size(small) <= 1_000_000


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
