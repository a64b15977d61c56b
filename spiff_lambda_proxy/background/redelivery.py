"""Delivering a kept result later: one function of one stored result, and the SQS batch around it.

`redeliver` takes one result by its run id: it leases the result (so no one else
sends it meanwhile), checks that it may still go where it goes (the settings may
have changed: `SPIFFARENA_CALLBACK_ORIGINS` and the destination rules are
applied again, and the address is judged again when delivery connects), makes
one attempt with exactly the body the command's run produced, and records what
SpiffArena answered (`keeping`). The command never runs again.

On AWS the function is woken by its results queue: `handle_batch` answers an
SQS event with `batchItemFailures`, so SQS retries only the messages whose
handling failed. Under `make serve` a thread of the server calls `redeliver`
for every result that is due (tools/local).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from .. import logs
from ..budget import ANSWER_MARGIN_SECONDS, LambdaContext, remaining_seconds
from ..errors import ConfigurationError, ProxyError
from ..settings import Settings, outbound_policy
from . import callback, callback_url, keeper, keeping
from .settings import BackgroundSettings
from .stored import StoredResult

logger = logging.getLogger(__name__)

# Time a delivery may take beyond its attempt before another deliverer may lease the result.
LEASE_MARGIN_SECONDS = 10.0
SKIPPED = "skipped"
# Without a Lambda context (make serve), one attempt's own timeout bounds it.
_NO_DEADLINE = float("inf")
# Less time than this left in the invocation: the wake-up comes again rather than an attempt in a hurry.
_MIN_ATTEMPT_SECONDS = 1.0


def redeliver(
    the_keeper: keeper.Keeper, run_id: str, wake_token: str | None = None, deadline: float = _NO_DEADLINE
) -> str:
    """One attempt at delivering the kept result `run_id`, if it is due: the outcome, or SKIPPED."""
    proxy_settings = Settings.current()
    settings = BackgroundSettings.current()
    now = time.time()
    attempt_timeout = min(settings.callback_timeout, max(deadline - now - keeping.RECORDING_SECONDS, 0.0))
    if attempt_timeout < _MIN_ATTEMPT_SECONDS:
        if wake_token is not None:
            the_keeper.snooze(run_id, wake_token, now + LEASE_MARGIN_SECONDS)
        return SKIPPED
    claim = the_keeper.claim(run_id, wake_token, now, now + attempt_timeout + LEASE_MARGIN_SECONDS)
    if claim.result is None:
        if claim.retry_at is not None and wake_token is not None:
            the_keeper.snooze(run_id, wake_token, claim.retry_at)
        return SKIPPED
    stored = claim.result
    delivery = _deliver(stored, settings, proxy_settings, now + attempt_timeout)
    keeping.settle(the_keeper, stored, delivery, settings, first=False)
    return delivery.outcome


def _deliver(
    stored: StoredResult, settings: BackgroundSettings, proxy_settings: Settings, deadline: float
) -> callback.Delivery:
    try:
        policy = outbound_policy()
        callback_url.check(stored.callback_url, settings, proxy_settings, policy, resolve=False)
    except ProxyError as error:
        # Held for an operator: what the settings say now does not let it go there.
        return callback.Delivery(callback.DESTINATION_REFUSED, None, 0, error.message)
    return callback.deliver(
        stored,
        api_key=settings.callback_api_key,
        deadline=deadline,
        retries=callback.single_attempt(),
        attempt_timeout=settings.callback_timeout,
        policy=policy,
    )


def handle_batch(event: Mapping[str, Any], lambda_context: LambdaContext | None) -> dict[str, Any]:
    """A batch of wake-ups from the results queue: each handled on its own, failures reported by id."""
    records = [record for record in event.get("Records") or () if isinstance(record, Mapping)]
    failures: list[dict[str, str]] = []
    try:
        proxy_settings = Settings.current()
        logs.set_level(proxy_settings.log_level)
        the_keeper = keeper.current(BackgroundSettings.current())
    except ConfigurationError as error:
        logger.error("kept results cannot be delivered, the configuration is invalid: %s", error.message)
        the_keeper = None
    if the_keeper is None:
        logger.error("a wake-up for kept results came, but no results table is configured; retried later")
        return {"batchItemFailures": [{"itemIdentifier": str(r.get("messageId", ""))} for r in records]}
    remaining = remaining_seconds(lambda_context)
    deadline = time.time() + remaining - ANSWER_MARGIN_SECONDS if remaining is not None else _NO_DEADLINE
    # At once, not one after the other: each attempt may take its whole timeout.
    with ThreadPoolExecutor(max_workers=max(len(records), 1)) as pool:
        handled = list(pool.map(lambda record: _handle_record(the_keeper, record, deadline), records))
    for record, ok in zip(records, handled, strict=True):
        if not ok:
            failures.append({"itemIdentifier": str(record.get("messageId", ""))})
    return {"batchItemFailures": failures}


def _handle_record(the_keeper: keeper.Keeper, record: Mapping[str, Any], deadline: float) -> bool:
    """One wake-up; False when SQS should bring it back (something failed on the way)."""
    from .aws_store import wake_up

    body = record.get("body")
    wake = wake_up(body) if isinstance(body, str) else None
    if wake is None:
        # Not ours: nothing to deliver, and retrying it would not change that.
        logger.error(
            "dropped a message of the results queue that is not a wake-up (message %s)",
            record.get("messageId"),
        )
        return True
    run_id, token = wake
    try:
        redeliver(the_keeper, run_id, token, deadline)
    except keeper.KeeperError as error:
        logger.error("kept result %s: %s; its wake-up comes back later", run_id, error)
        return False
    except Exception:
        logger.exception(
            "kept result %s: redelivery failed unexpectedly; its wake-up comes back later", run_id
        )
        return False
    return True
