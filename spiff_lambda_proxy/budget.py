"""How long a command may run: the time left before nobody is listening any more.

Commands learn it from `config["CONNECTOR_PROXY_DEADLINE"]` (seconds since the
epoch, a float), so a connector can bound its own timeouts and retries and
still answer, instead of the Lambda being killed mid-request.
"""

from __future__ import annotations

import time
from typing import Any

DEADLINE_KEY = "CONNECTOR_PROXY_DEADLINE"

# Left for encoding the answer and handing it back to the Lambda runtime.
ANSWER_MARGIN_SECONDS = 1.0
# API Gateway stops waiting for an integration after about 29 s.
FRONT_DOOR_LIMIT_SECONDS = {"http-api": 29.0, "rest-api": 29.0}


def deadline(
    lambda_context: Any, source: str = "", limit: float = 0.0, now: float | None = None
) -> float | None:
    """Epoch seconds by which the command must be done, or None when nothing bounds it.

    `limit` (seconds, 0 for none) is the caller's own patience: SpiffArena's ~45 s.
    """
    now = time.time() if now is None else now
    limits = [limit] if limit > 0 else []
    remaining_ms = getattr(lambda_context, "get_remaining_time_in_millis", None)
    if callable(remaining_ms):
        limits.append(float(remaining_ms()) / 1000)
    if source in FRONT_DOOR_LIMIT_SECONDS:
        limits.append(FRONT_DOOR_LIMIT_SECONDS[source])
    if not limits:
        return None
    return now + max(min(limits) - ANSWER_MARGIN_SECONDS, 0.0)
