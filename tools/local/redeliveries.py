"""`make serve`'s part of "nothing lost": a thread that delivers kept results when they are due.

On AWS the results queue wakes the function for each attempt; here this thread
looks in the results file (`results_file`) once a second, or sooner when a
result was kept, and hands every due result to the same `redeliver` the queue's
wake-ups call, a few at a time. Results kept by an earlier `make serve` (or one
stopped by Ctrl-C mid-delivery, once its lease ends) are delivered too.
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from spiff_lambda_proxy.background import keeper, redelivery

from .results_file import FileKeeper

logger = logging.getLogger("tools.local")

# How often the file is looked at when nothing woke the thread sooner.
POLL_SECONDS = 1.0
# Attempts under way at once; each may wait for its whole timeout.
PARALLEL_ATTEMPTS = 4


class LocalRedeliveries:
    def __init__(self, results: FileKeeper) -> None:
        self.results = results
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="redelivery of kept results", daemon=True)
        self._pool = ThreadPoolExecutor(max_workers=PARALLEL_ATTEMPTS, thread_name_prefix="redelivery")
        self._under_way: set[str] = set()
        self._lock = threading.Lock()

    def start(self) -> None:
        forgotten = self.results.forget_old(time.time())
        if forgotten:
            logger.info(
                "deleted %d kept result(s) past their retention from %s", forgotten, self.results.where
            )
        self._thread.start()

    def stop(self, wait: bool = True) -> None:
        """Stop looking; with `wait`, let the attempts under way finish (a reload's old server)."""
        self._stop.set()
        self.results.changed.set()
        self._pool.shutdown(wait=wait, cancel_futures=True)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                for run_id in self.results.due(time.time()):
                    self._start(run_id)
                next_due = self.results.next_due()
            except keeper.KeeperError as error:
                logger.error("kept results: %s", error)
                next_due = None
            wait = POLL_SECONDS if next_due is None else min(max(next_due - time.time(), 0.05), POLL_SECONDS)
            self.results.changed.wait(wait)
            self.results.changed.clear()

    def _start(self, run_id: str) -> None:
        with self._lock:
            if run_id in self._under_way or self._stop.is_set():
                return
            self._under_way.add(run_id)
        try:
            self._pool.submit(self._redeliver, run_id)
        except RuntimeError:  # shutting down
            with self._lock:
                self._under_way.discard(run_id)

    def _redeliver(self, run_id: str) -> None:
        try:
            redelivery.redeliver(self.results, run_id)
        except keeper.KeeperError as error:
            logger.error("kept result %s: %s", run_id, error)
        except Exception:
            logger.exception("kept result %s: redelivery failed unexpectedly", run_id)
        finally:
            with self._lock:
                self._under_way.discard(run_id)
