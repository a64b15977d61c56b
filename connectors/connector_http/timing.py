"""Time: how much the command has left, and how long to wait before a retry."""

from __future__ import annotations

import random
import time
from email.utils import parsedate_to_datetime

# An attempt is not started with less time than this left: it could only time out.
MIN_ATTEMPT_SECONDS = 0.05
# Without a deadline (local runs), a Retry-After longer than this is not waited for.
MAX_WAIT_WITHOUT_DEADLINE = 60.0
MAX_BACKOFF_SECONDS = 10.0


class Clock:
    """The command's deadline (epoch seconds, from the proxy), or none."""

    def __init__(self, deadline: float | None) -> None:
        self.deadline = deadline

    def left(self) -> float | None:
        return None if self.deadline is None else self.deadline - time.time()

    def expired(self) -> bool:
        left = self.left()
        return left is not None and left < MIN_ATTEMPT_SECONDS

    def can_wait(self, seconds: float) -> bool:
        """Whether waiting `seconds` still leaves time for another attempt."""
        left = self.left()
        if left is None:
            return seconds <= MAX_WAIT_WITHOUT_DEADLINE
        return seconds + MIN_ATTEMPT_SECONDS < left


def backoff(attempt: int, base: float) -> float:
    """Seconds before retry number `attempt` (1 = the first retry): exponential, jittered."""
    delay = min(base * 2.0 ** (attempt - 1), MAX_BACKOFF_SECONDS)
    # Jitter spreads retries from parallel process instances hitting the same upstream.
    return delay * random.uniform(0.5, 1.0)  # noqa: S311 - not for security


def retry_after_seconds(value: str | None, now: float | None = None) -> float | None:
    """A Retry-After header (seconds or an HTTP date) as seconds from now; None if absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        return None
    return max(when.timestamp() - (time.time() if now is None else now), 0.0)
