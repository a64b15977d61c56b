"""Time: how much the command has left (retries and their waits: spiff_outbound.retries)."""

from __future__ import annotations

import time

# An attempt is not started with less time than this left: it could only time out.
MIN_ATTEMPT_SECONDS = 0.05
# Without a deadline (local runs), a Retry-After longer than this is not waited for.
MAX_WAIT_WITHOUT_DEADLINE = 60.0


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
