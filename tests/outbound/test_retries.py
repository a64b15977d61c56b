"""The one retry policy the http connector and the background callback ask."""

from __future__ import annotations

from email.utils import formatdate

import pytest

from spiff_outbound.retries import RetryPolicy, retry_after_seconds, retryable_status


@pytest.mark.parametrize(
    ("status", "retried"),
    [
        (500, True),
        (503, True),
        (599, True),
        (408, True),
        (425, True),
        (429, True),
        (400, False),
        (404, False),
        (409, False),
        (200, False),
        (302, False),
    ],
)
def test_only_answers_that_may_differ_next_time_are_retried(status: int, retried: bool) -> None:
    assert retryable_status(status) is retried


def test_backoff_doubles_up_to_its_cap_without_jitter() -> None:
    policy = RetryPolicy(attempts=6, backoff=1.0, max_backoff=5.0, jitter=False)
    assert [policy.wait(retry) for retry in range(1, 6)] == [1.0, 2.0, 4.0, 5.0, 5.0]


def test_jitter_waits_between_half_and_all_of_the_backoff() -> None:
    policy = RetryPolicy(attempts=3, backoff=2.0, max_backoff=10.0)
    waits = {policy.wait(2) for _ in range(200)}
    assert all(2.0 <= wait <= 4.0 for wait in waits) and len(waits) > 1


def test_the_servers_retry_after_wins_in_seconds_or_as_a_date() -> None:
    policy = RetryPolicy(attempts=3, backoff=1.0, max_backoff=2.0)
    assert policy.wait(1, "7") == 7.0  # above the cap: the server asked for it
    now = 1_800_000_000.0
    assert retry_after_seconds(formatdate(now + 30, usegmt=True), now=now) == pytest.approx(30.0)
    assert retry_after_seconds(formatdate(now - 30, usegmt=True), now=now) == 0.0


@pytest.mark.parametrize("header", [None, "", "soon", "-3", "1.5", "Mon, 99 Foo 2026 99:99:99 GMT"])
def test_an_unreadable_retry_after_falls_back_to_the_backoff(header: str | None) -> None:
    assert retry_after_seconds(header) is None
    assert RetryPolicy(attempts=2, backoff=1.0, max_backoff=1.0, jitter=False).wait(1, header) == 1.0
