"""Delivering a background run's result: `PUT <spiff__callback_url>`, retried while it may help.

Through `spiff_outbound.transport`, like the http connector: it connects only to
addresses the destination policy allows, judged when it connects (so a DNS
answer that changed since the start is judged again); it never uses proxy
settings from the environment; redirects are not followed (the API key would
travel with them). Each attempt, and the delivery as a whole, ends at a
deadline that shuts the socket, so a server that drips its answer cannot keep
the worker past its time.

SpiffArena's answer is classified (PROTOCOL.md section 5): only answers that may
differ next time (no connection, a timeout, 5xx, 408, 425, 429) are retried.
"""

from __future__ import annotations

import json
import time
from typing import Any, NamedTuple

from spiff_outbound.destinations import Policy
from spiff_outbound.retries import RetryPolicy, retryable_status

from .stored import StoredResult

API_KEY_HEADER = "SpiffWorkflow-Api-Key"

# Outcomes, one per kind of answer; `DELIVERED_OUTCOMES` are the ones SpiffArena took in.
DELIVERED = "delivered"
# SpiffArena processed an error result and put the instance in error (400 unexpected_workflow_exception).
INSTANCE_ERRORED = "delivered_instance_errored"
# The service task has SpiffArena-side retries: SpiffArena will run it again later.
RETRY_SCHEDULED = "retry_scheduled"
# The task is done, cancelled or unknown: nobody waits for this result.
NOT_WAITING = "not_waiting"
BAD_KEY = "bad_key"
BODY_REFUSED = "body_refused"
# Another final answer: a redirect, 404, 405, 413, ...
REFUSED = "refused"
DESTINATION_REFUSED = "destination_refused"
UNREACHABLE = "unreachable"
DELIVERED_OUTCOMES = frozenset({DELIVERED, INSTANCE_ERRORED, RETRY_SCHEDULED})
# Final answers that will not change by themselves: the result waits for an operator.
HELD_OUTCOMES = frozenset({BAD_KEY, BODY_REFUSED, REFUSED, DESTINATION_REFUSED})

_NOT_WAITING_CODES = frozenset(
    {"not_waiting_for_callback", "callback_not_found", "process_instance_cannot_be_found"}
)
# A retry waits at most this long unless SpiffArena's Retry-After asks for more.
MAX_BACKOFF_SECONDS = 30.0
# An attempt with less time than this cannot expect an answer.
_MIN_ATTEMPT_SECONDS = 0.5
# SpiffArena's answer is read this far, enough for its error code; the rest is never read.
_ANSWER_LIMIT = 16 * 1024
_EXCERPT = 200


class Delivery(NamedTuple):
    outcome: str
    status: int | None
    attempts: int
    # What the last answer was: status and SpiffArena's error code, or why there was none.
    detail: str
    # SpiffArena's Retry-After on the last answer, which a later attempt honours.
    retry_after: str | None = None

    @property
    def delivered(self) -> bool:
        return self.outcome in DELIVERED_OUTCOMES


class _Answer(NamedTuple):
    outcome: str | None  # None: worth another attempt
    status: int | None
    detail: str
    retry_after: str | None = None


def single_attempt() -> RetryPolicy:
    """A later delivery's policy: one attempt now; the keeper's schedule is its backoff."""
    return RetryPolicy(1, 0.0, 0.0)


def deliver(
    result: StoredResult,
    *,
    api_key: str | None,
    deadline: float,
    retries: RetryPolicy,
    attempt_timeout: float,
    policy: Policy,
) -> Delivery:
    """PUT a kept result's body to its callback URL until SpiffArena gives a final answer, the attempts
    run out or `deadline` nears: the first delivery and every later one alike."""
    headers = {
        "Content-Type": "application/json",
        "Accept": "application/json",
        "Accept-Encoding": "identity",
    }
    if api_key:
        headers[API_KEY_HEADER] = api_key
    attempts = 0
    last = _Answer(None, None, "no time was left to try")
    while attempts < retries.attempts:
        time_left = deadline - time.time()
        if time_left < _MIN_ATTEMPT_SECONDS:
            break
        attempts += 1
        last = _put(result.callback_url, result.body, headers, policy, min(attempt_timeout, time_left))
        if last.outcome is not None:
            return Delivery(last.outcome, last.status, attempts, last.detail)
        wait = retries.wait(attempts, last.retry_after)
        if attempts >= retries.attempts or time.time() + wait + _MIN_ATTEMPT_SECONDS > deadline:
            break
        time.sleep(wait)
    return Delivery(UNREACHABLE, last.status, attempts, last.detail, last.retry_after)


def _put(url: str, body: bytes, headers: dict[str, str], policy: Policy, timeout: float) -> _Answer:
    """One attempt. Messages name causes only: a URL in them could carry a secret."""
    from spiff_outbound import exchange  # loads requests: the worker's business only

    try:
        answer = exchange.send(
            policy,
            "PUT",
            url,
            deadline=time.time() + timeout,
            headers=headers,
            body=body,
            timeout=timeout,
            max_body_bytes=_ANSWER_LIMIT,
        )
    except exchange.DestinationRefused as refused:
        return _Answer(DESTINATION_REFUSED, None, f"refused to connect: {refused.reason}")
    except exchange.TlsFailed:
        return _Answer(UNREACHABLE, None, "TLS failed; check the callback URL's certificate")
    except exchange.DeadlineReached:
        return _Answer(None, None, f"no complete answer within {timeout:.1f} s")
    except exchange.OutboundError as error:
        return _Answer(None, None, str(error))
    return _classify(answer.status, answer.body, answer.headers.get("retry-after"))


def _classify(status: int, answer: bytes, retry_after: str | None) -> _Answer:
    payload = _json(answer)
    code = _error_code(payload)
    detail = f"HTTP {status}" + (f" {code}" if code else "")
    if 200 <= status < 300:
        if isinstance(payload, dict) and payload.get("status") == "retry_scheduled":
            return _Answer(RETRY_SCHEDULED, status, f"{detail} retry_scheduled")
        return _Answer(DELIVERED, status, detail)
    if 300 <= status < 400:
        return _Answer(REFUSED, status, detail + " (a redirect, not followed: the API key would go along)")
    if status in (401, 403):
        return _Answer(BAD_KEY, status, detail)
    if status == 400 and code == "unexpected_workflow_exception":
        return _Answer(INSTANCE_ERRORED, status, detail)
    if status == 400 and code in _NOT_WAITING_CODES:
        return _Answer(NOT_WAITING, status, detail)
    if status == 400 and code == "invalid_callback_body":
        return _Answer(BODY_REFUSED, status, detail)
    if retryable_status(status):
        return _Answer(None, status, detail, retry_after)
    return _Answer(REFUSED, status, detail)


def _json(answer: bytes) -> Any:
    try:
        return json.loads(answer)
    except (ValueError, RecursionError):
        return None


def _error_code(payload: Any) -> str | None:
    """SpiffArena's error code: `error_code` (its ApiError), `title` or `error.error_code`."""
    if not isinstance(payload, dict):
        return None
    nested = payload.get("error")
    for source, key in ((payload, "error_code"), (payload, "title"), (nested, "error_code")):
        code = source.get(key) if isinstance(source, dict) else None
        if isinstance(code, str) and code:
            return code[:_EXCERPT]
    return None
