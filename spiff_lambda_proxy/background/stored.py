"""A background run's result as it is kept until SpiffArena takes it: the one value every attempt sends.

The command ran once; what it gave became the callback body (`result`), and
from then on only that body travels: the first delivery, each later one, an
operator's redelivery. The command never runs again. Beside the body, a kept
result carries what the listing shows and what the schedule needs, and nothing
of the body ever leaves through those fields (they go into logs and listings).
"""

from __future__ import annotations

from typing import Any, NamedTuple

# Waiting for its next attempt, retried on the schedule.
WAITING = "waiting"
# SpiffArena refused it for a reason that will not pass by itself (its key, the URL): an operator acts.
HELD = "held"
# Past its maximum age: no longer retried, kept for an operator until the retention ends.
EXPIRED = "expired"
STATES = (WAITING, HELD, EXPIRED)


class StoredResult(NamedTuple):
    run_id: str
    command_id: str
    callback_url: str
    # The callback body, exactly the bytes every attempt sends.
    body: bytes
    # When the command's result was made; the maximum age counts from here.
    created_at: float
    # SpiffArena's ids of the task, for listings and log lines (not secret).
    process_instance_id: str | int | None = None
    spiff_task_id: str | int | None = None
    state: str = WAITING
    # PUT attempts in all, and rounds of them (the first delivery is one round, each wake-up another).
    attempts: int = 0
    rounds: int = 0
    # The outcome of the last attempt (callback.UNREACHABLE, ...) and what SpiffArena answered:
    # status and error code, or why there was no answer. Never the body.
    last_outcome: str | None = None
    last_answer: str | None = None
    # Epoch seconds of the next attempt; nobody else attempts before `lease_until`.
    next_at: float = 0.0
    lease_until: float = 0.0
    # Which wake-up the schedule waits for: a wake-up carrying another token is an old one.
    wake_token: str = ""
    # When the engine may delete it: the end of its retries plus the retention.
    keep_until: float = 0.0

    def age(self, now: float) -> float:
        return max(now - self.created_at, 0.0)

    def listing(self, now: float) -> dict[str, Any]:
        """What an operator sees of it: everything but the body and the callback URL's query."""
        from .callback_url import loggable

        return {
            "run_id": self.run_id,
            "command": self.command_id,
            "process_instance": self.process_instance_id,
            "task": self.spiff_task_id,
            "state": self.state,
            "age_seconds": round(self.age(now)),
            "attempts": self.attempts,
            "last_outcome": self.last_outcome,
            "last_answer": self.last_answer,
            "next_attempt_in_seconds": round(self.next_at - now) if self.state == WAITING else None,
            "callback": loggable(self.callback_url),
        }
