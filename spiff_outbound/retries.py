"""When an outbound request is worth another attempt, and how long to wait first: one policy.

The http connector (its `attempts` argument) and the background callback both
retry with the same rules: answers that may differ next time are retried, and a
server's `Retry-After` (seconds, or an HTTP date) wins over our own backoff.
Each caller still decides whether its deadline leaves time to wait.
"""

from __future__ import annotations

import random
import time
from email.utils import parsedate_to_datetime
from typing import NamedTuple

# Besides every 5xx: Request Timeout, Too Early, Too Many Requests.
RETRYABLE_STATUSES = frozenset({408, 425, 429})


class RetryPolicy(NamedTuple):
    attempts: int
    # Seconds before the first retry; doubled for each further one, up to `max_backoff`.
    backoff: float
    max_backoff: float
    # Spread retries of many callers hitting the same server (wait between half and all of it).
    jitter: bool = True

    def wait(self, retry: int, retry_after: str | None = None) -> float:
        """Seconds before retry number `retry` (1 = the first retry)."""
        told = retry_after_seconds(retry_after)
        if told is not None:
            return told
        delay = min(self.backoff * 2.0 ** (retry - 1), self.max_backoff)
        return delay * random.uniform(0.5, 1.0) if self.jitter else delay  # noqa: S311 - not for security


def retryable_status(status: int) -> bool:
    """Whether an answer with this status may differ next time."""
    return status >= 500 or status in RETRYABLE_STATUSES


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
