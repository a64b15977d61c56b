"""The Lambda context, and every deadline computed from the time it says is left.

Commands learn their deadline from `config["CONNECTOR_PROXY_DEADLINE"]` (seconds
since the epoch, a float), so a connector can bound its own timeouts and retries
and still answer, instead of the Lambda being killed mid-request. Synchronous
commands, background runs and their callbacks, and OAuth exchanges all take their
deadlines from here.
"""

from __future__ import annotations

import time
from typing import NamedTuple, Protocol

DEADLINE_KEY = "CONNECTOR_PROXY_DEADLINE"

# Left for encoding the answer and handing it back to the Lambda runtime.
ANSWER_MARGIN_SECONDS = 1.0
# API Gateway stops waiting for an integration after about 29 s.
FRONT_DOOR_LIMIT_SECONDS = {"http-api": 29.0, "rest-api": 29.0}
# Without a Lambda context nothing bounds a background run; keep its delivery bounded anyway.
UNBOUNDED_DELIVERY_SECONDS = 900.0


class LambdaContext(Protocol):
    """What the proxy reads of the context object Lambda passes to the handler."""

    @property
    def aws_request_id(self) -> str: ...

    @property
    def invoked_function_arn(self) -> str: ...

    def get_remaining_time_in_millis(self) -> int: ...


class RunDeadlines(NamedTuple):
    """A background run's two deadlines (epoch seconds): the command's, then its callback's."""

    command: float | None
    delivery: float


def remaining_seconds(context: LambdaContext | None) -> float | None:
    """Seconds the invocation has left, or None when nothing says (no Lambda context)."""
    remaining_ms = getattr(context, "get_remaining_time_in_millis", None)
    return float(remaining_ms()) / 1000 if callable(remaining_ms) else None


def deadline(context: LambdaContext | None, source: str = "", limit: float = 0.0) -> float | None:
    """Epoch seconds by which a request's work must be done, or None when nothing bounds it.

    `limit` (seconds, 0 for none) is the caller's own patience: SpiffArena's ~45 s.
    """
    now = time.time()
    limits = [limit] if limit > 0 else []
    remaining = remaining_seconds(context)
    if remaining is not None:
        limits.append(remaining)
    if source in FRONT_DOOR_LIMIT_SECONDS:
        limits.append(FRONT_DOOR_LIMIT_SECONDS[source])
    if not limits:
        return None
    return now + max(min(limits) - ANSWER_MARGIN_SECONDS, 0.0)


def run_deadlines(context: LambdaContext | None, callback_reserve: float) -> RunDeadlines:
    """A background run's deadlines: the command gets the function's time minus what delivering
    its result needs (`callback_reserve`, at most half of it); the delivery gets the rest."""
    now = time.time()
    remaining = remaining_seconds(context)
    if remaining is None:
        return RunDeadlines(None, now + UNBOUNDED_DELIVERY_SECONDS)
    reserve = min(callback_reserve, remaining / 2)
    return RunDeadlines(
        command=now + max(remaining - reserve, 0.0),
        delivery=now + max(remaining - ANSWER_MARGIN_SECONDS, 0.0),
    )
