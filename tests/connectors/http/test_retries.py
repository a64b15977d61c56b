"""connector_http's retries and time budget, against real loopback servers that fail, hang and trickle."""

from __future__ import annotations

import pytest
from support.http_connector import envelope_of, failed, masked, ok, run
from support.lambda_events import lambda_context
from support.upstream import Reply, Upstream

pytestmark = pytest.mark.usefixtures("loopback_opened")


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
