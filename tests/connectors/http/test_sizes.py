"""connector_http's size limit against what Lambda can deliver: within the limit means deliverable.

Upstream bodies near HTTP_CONNECTOR_MAX_RESPONSE_BYTES, of the kinds that grow
when encoded (quotes, backslashes, control characters, non-ASCII): every
answer the connector accepts must fit Lambda's 6 MiB as the runtime
serialises the whole answer (json.dumps), and every other is the connector's
own ResponseTooLarge, not a platform error. Behind the socket tripwire.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator

import pytest
from connector_http.settings import DEFAULT_MAX_RESPONSE_BYTES
from support.lambda_events import Answer, invoke
from support.tripwire import Tripwire
from support.upstream import Reply, Upstream

LAMBDA_LIMIT = 6 * 1024 * 1024


@pytest.fixture
def upstream(tripwire: Tripwire, monkeypatch: pytest.MonkeyPatch) -> Iterator[Upstream]:
    monkeypatch.setenv("HTTP_CONNECTOR_ALLOWED_HOSTS", "127.0.0.1")
    with Upstream() as server:
        yield server
    transport = sys.modules.get("spiff_outbound.transport")
    if transport is not None:
        transport.close_session()


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
