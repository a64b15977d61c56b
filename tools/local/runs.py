"""Background runs on this machine: what Lambda's asynchronous invocation does, played by a thread.

The proxy hands a run over as the same signed event it would send to Lambda's
Invoke API (`background.start.hand_over_with`); here that event goes to a
thread that calls the handler with it and a context of the same timeout, so the
same worker code runs the command and calls SpiffArena back. Nothing reaches
AWS, whatever credentials the environment holds. As on Lambda, the run starts
only once the 202 that announced it has been sent: a callback arriving before
SpiffArena saw the 202 would find its task not waiting yet.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
from collections.abc import Callable, Iterator
from typing import Any

from .context import LocalContext

Handler = Callable[[Any, Any], Any]

logger = logging.getLogger("tools.local")


class LocalRuns:
    def __init__(self, handler: Handler, timeout_seconds: float) -> None:
        self._handler = handler
        self._timeout = timeout_seconds
        self._request = threading.local()
        self._threads: set[threading.Thread] = set()
        self._lock = threading.Lock()

    def hand_over(self, function_arn: str, payload: bytes, command_id: str) -> None:
        """`background.start`'s hand-over: the run starts after the current answer, or now."""
        event = json.loads(payload)
        pending: list[Any] | None = getattr(self._request, "pending", None)
        if pending is None:
            self._launch(event, command_id)
        else:
            pending.append((event, command_id))

    @contextlib.contextmanager
    def after_answer(self) -> Iterator[None]:
        """Runs handed over inside this block start when it ends: once the answer has gone out."""
        self._request.pending = []
        try:
            yield
        finally:
            pending, self._request.pending = self._request.pending, None
            for event, command_id in pending:
                self._launch(event, command_id)

    def active(self) -> int:
        with self._lock:
            return len(self._threads)

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for the runs under way (at most `timeout` seconds); True when none is left."""
        with self._lock:
            threads = list(self._threads)
        for thread in threads:
            thread.join(timeout)
        return self.active() == 0

    def _launch(self, event: Any, command_id: str) -> None:
        thread = threading.Thread(
            target=self._run, args=(event, command_id), name=f"background run of {command_id}", daemon=True
        )
        with self._lock:
            self._threads.add(thread)
        thread.start()

    def _run(self, event: Any, command_id: str) -> None:
        try:
            self._handler(event, LocalContext(self._timeout))
        except Exception as error:
            # The worker logged why. On Lambda the invocation fails and its event goes to the
            # on-failure destination; here this line is all there is.
            logger.error("the background run of %s failed (%s)", command_id, type(error).__name__)
        finally:
            with self._lock:
                self._threads.discard(threading.current_thread())
