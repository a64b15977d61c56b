"""What becomes of a kept result after a round of delivery attempts, the first or a later one.

SpiffArena's answer decides (the outcomes of `callback`): it took the result, or
no longer waits for it (the task was cancelled or completed meanwhile): the
result leaves the store. It refused it for good (its key, the URL, the body):
the result is held for an operator. It could not be reached, or answered 5xx,
408, 425 or 429: the result waits for the next attempt, with exponential backoff
and jitter, until its maximum age; then it expires (kept for an operator until
the retention ends). Every transition is one log line and one EMF line
(`Kept`, `Redelivered`, `Expired`, `Undelivered`), never with the body.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from spiff_outbound.retries import RetryPolicy

from .. import metrics
from . import callback
from .callback_url import loggable
from .keeper import Keeper
from .settings import BackgroundSettings
from .stored import EXPIRED, HELD, WAITING, StoredResult

logger = logging.getLogger(__name__)

# Kept back from a delivery's time for recording its outcome in the keeper (first or later round).
RECORDING_SECONDS = 5.0


def settle(
    keeper: Keeper,
    result: StoredResult,
    delivery: callback.Delivery,
    settings: BackgroundSettings,
    *,
    first: bool,
) -> StoredResult | None:
    """Record a round of attempts in `keeper`: the result as it is kept now, or None once it left."""
    now = time.time()
    result = result._replace(
        attempts=result.attempts + delivery.attempts,
        rounds=result.rounds + 1,
        last_outcome=delivery.outcome,
        last_answer=delivery.detail,
        lease_until=0.0,
    )
    if delivery.outcome in callback.DELIVERED_OUTCOMES or delivery.outcome == callback.NOT_WAITING:
        keeper.remove(result.run_id)
        if not first:
            _transition(result, "Redelivered", logging.INFO, now, keeper)
        return None
    kept_until = now + settings.result_retention
    if delivery.outcome in callback.HELD_OUTCOMES:
        result = result._replace(state=HELD, keep_until=kept_until)
        keeper.save(result)
        _transition(result, "Kept" if first else "Undelivered", logging.ERROR, now, keeper)
        return result
    deadline = result.created_at + settings.result_max_age
    if now >= deadline:
        result = result._replace(state=EXPIRED, keep_until=kept_until)
        keeper.save(result)
        _transition(result, "Expired", logging.ERROR, now, keeper)
        return result
    wait = RetryPolicy(1, settings.redelivery_backoff, settings.redelivery_max_backoff).wait(
        result.rounds, delivery.retry_after
    )
    # However long SpiffArena asks to wait, the result is tried again before it expires.
    next_at = min(now + min(wait, settings.redelivery_max_backoff), deadline)
    result = result._replace(state=WAITING, next_at=next_at, keep_until=deadline + settings.result_retention)
    keeper.reschedule(result)
    if first:
        _transition(result, "Kept", logging.WARNING, now, keeper)
    else:
        logger.info(
            "kept result %s (%s) still not delivered [%s]: %s; attempt %d, next in %.0f s",
            result.run_id,
            result.command_id,
            result.last_outcome,
            result.last_answer,
            result.attempts,
            result.next_at - now,
            extra={"kept_result": _fields(result, now, "Retrying")},
        )
    return result


_SAYS = {
    "Redelivered": "delivered from {where}",
    "Expired": "EXPIRED in {where}: no longer retried; make results lists it",
    "Undelivered": "held in {where} for an operator; make results lists it",
}


def _transition(result: StoredResult, event: str, level: int, now: float, keeper: Keeper) -> None:
    metrics.record_kept_result(event, _fields(result, now, event))
    if event == "Kept":
        return  # the run's own line says so (worker), with what SpiffArena answered
    says = _SAYS[event].format(where=keeper.where)
    logger.log(
        level,
        "background result %s (%s) %s [%s] at %s: %s, %d attempt(s), %.0f s old "
        "(process instance %s, task %s)",
        result.run_id,
        result.command_id,
        says,
        result.last_outcome,
        loggable(result.callback_url),
        result.last_answer,
        result.attempts,
        result.age(now),
        result.process_instance_id,
        result.spiff_task_id,
        extra={"kept_result": _fields(result, now, event)},
    )


def kept_says(result: StoredResult, where: str, now: float) -> str:
    """How a run's line tells where its result waits after the first delivery."""
    if result.state == HELD:
        return f"held in {where} for an operator (make results lists it)"
    return f"kept in {where} for a later delivery, next attempt in {max(result.next_at - now, 0):.0f} s"


def _fields(result: StoredResult, now: float, event: str) -> dict[str, Any]:
    return {
        "event": event,
        "run_id": result.run_id,
        "command": result.command_id,
        "state": result.state,
        "outcome": result.last_outcome,
        "attempts": result.attempts,
        "age_seconds": round(result.age(now)),
    }
