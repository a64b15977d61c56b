"""Where background results wait until SpiffArena takes them: one interface, two engines.

A `Keeper` stores kept results and wakes whoever delivers them when the next
attempt is due. On AWS that is a DynamoDB table and an SQS queue whose delayed
messages invoke the function (`aws_store`); under `make serve`, a SQLite file
and a thread of the server (`tools/local/results_file.py`). Everything else
(when to try, what SpiffArena's answers mean, logs and metrics) is the same for
both and lives in `keeping` and `redelivery`.

Every result is kept *before* its first delivery (leased to the invocation that
delivers it), so neither a crash nor a timeout between the command and
SpiffArena's answer can lose it; it is removed once SpiffArena has answered.
"""

from __future__ import annotations

import logging
import threading
from typing import NamedTuple, Protocol

from ..errors import ConfigurationError
from .settings import BackgroundSettings
from .stored import StoredResult

logger = logging.getLogger(__name__)


class Claim(NamedTuple):
    """What asking for a kept result gave: the result, leased to the caller, or when to ask again.

    Neither means there is nothing to do: delivered, dropped, held or expired, or the wake-up
    was an old one (the schedule has moved on).
    """

    result: StoredResult | None = None
    retry_at: float | None = None


class KeeperError(Exception):
    """The engine could not be reached or refused the operation; the message names the cause only."""


class Keeper(Protocol):
    @property
    def where(self) -> str:
        """The engine and its resource, for log lines and the listing (no secrets)."""

    def keep(self, result: StoredResult) -> StoredResult:
        """Store a new result, leased until `result.lease_until`, and arrange a wake-up at
        `result.next_at`; the result as stored (with its wake-up's token)."""

    def claim(self, run_id: str, wake_token: str | None, now: float, lease_until: float) -> Claim:
        """Lease a waiting, due result to the caller until `lease_until`. `wake_token` is the
        wake-up's (None: whatever woke us, an operator or a poll)."""

    def save(self, result: StoredResult) -> None:
        """Record an attempt (state, attempts, last answer) and release the lease; no wake-up."""

    def reschedule(self, result: StoredResult) -> None:
        """Save the result and arrange a new wake-up at `result.next_at`, replacing the old one."""

    def snooze(self, run_id: str, wake_token: str, at: float) -> None:
        """The same wake-up again at `at` (it came while the result was leased or not yet due)."""

    def remove(self, run_id: str) -> None:
        """Forget a result (delivered, not wanted any more, or dropped by an operator)."""

    def results(self) -> list[StoredResult]:
        """Every kept result, for the listing; bodies may be left out (empty)."""

    def redeliver_now(self, run_id: str, now: float) -> bool:
        """An operator's request: make the result waiting and due now, and wake the deliverer.
        False when there is no such result."""


_installed: Keeper | None = None
_from_settings: dict[tuple[str, str], Keeper] = {}
_warned = threading.Event()


def install(keeper: Keeper | None) -> None:
    """Keep results in `keeper` instead of the engine the settings name (`make serve`); None restores."""
    global _installed
    _installed = keeper


def current(settings: BackgroundSettings) -> Keeper | None:
    """The keeper of this process; None, with a WARNING once per cold start, when there is none."""
    if _installed is not None:
        return _installed
    table, queue = settings.results_table, settings.results_queue_url
    if table and queue:
        found = _from_settings.get((table, queue))
        if found is None:
            from .aws_store import AwsKeeper  # background runs only, never the cold path

            found = _from_settings[(table, queue)] = AwsKeeper(table, queue)
        return found
    if table or queue:
        raise ConfigurationError(
            "Undelivered results are kept only with both CONNECTOR_PROXY_RESULTS_TABLE and "
            "CONNECTOR_PROXY_RESULTS_QUEUE_URL set; one of them is missing."
        )
    if not _warned.is_set():
        _warned.set()
        logger.warning(
            "undelivered background results are NOT kept: CONNECTOR_PROXY_RESULTS_TABLE and "
            "CONNECTOR_PROXY_RESULTS_QUEUE_URL are not set, so a result SpiffArena cannot take within "
            "the callback attempts is lost (docs/long-running.md, 'Nothing lost', adds them)"
        )
    return None


def forget() -> None:
    """Drop the engines' clients (SnapStart restore, tests)."""
    _from_settings.clear()
    _warned.clear()
