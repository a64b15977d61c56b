"""Deadlines for outbound requests: the sockets of one run are shut when its time is up.

A socket timeout bounds each wait, not their sum: a server sending one byte
just before each timeout could keep a read going for ever. A `CallGuard`
records every socket a run blocks on, and the one watchdog thread shuts them
at the run's deadline, which wakes the blocked read.
"""

from __future__ import annotations

import contextlib
import contextvars
import socket
import threading
import time
from types import TracebackType

from .destinations import Policy


class CallGuard:
    """What connections opened or used during one command run must respect."""

    def __init__(self, policy: Policy, deadline: float | None) -> None:
        self.policy = policy
        self.deadline = deadline
        self.fired = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._armed = False
        self._token: contextvars.Token[CallGuard | None] | None = None

    def watch(self, sock: socket.socket | None) -> None:
        # Sockets, not connections: a response that ends when the connection closes
        # keeps reading from a socket its connection has already let go of.
        if sock is None:
            return
        with self._lock:
            if not any(known is sock for known in self._sockets):
                self._sockets.append(sock)

    def _expire(self) -> None:
        with self._lock:
            self.fired = True
            sockets = list(self._sockets)
        for sock in sockets:
            # The plain socket's shutdown, also for TLS: it wakes a blocked read
            # without touching the TLS state the reading thread is using.
            with contextlib.suppress(OSError):  # already closed
                socket.socket.shutdown(sock, socket.SHUT_RDWR)

    def __enter__(self) -> CallGuard:
        self._token = current_guard_var.set(self)
        if self.deadline is not None:
            _watchdog.arm(self, self.deadline)
            self._armed = True
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        if self._armed:
            _watchdog.disarm(self)
        if self._token is not None:
            current_guard_var.reset(self._token)


class _Watchdog:
    """Fires each armed guard at its deadline, from one thread for the whole process.

    A `threading.Timer` per command run started and stopped a thread on every call:
    about 130 µs of each warm http call. This thread starts on first use and sleeps
    until the earliest deadline armed.
    """

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._armed: dict[int, tuple[float, CallGuard]] = {}
        self._thread: threading.Thread | None = None

    def arm(self, guard: CallGuard, deadline: float) -> None:
        with self._condition:
            self._armed[id(guard)] = (deadline, guard)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="outbound-deadlines", daemon=True)
                self._thread.start()
            self._condition.notify()  # it may be asleep until a later deadline

    def disarm(self, guard: CallGuard) -> None:
        with self._condition:
            self._armed.pop(id(guard), None)

    def _run(self) -> None:
        with self._condition:
            while True:
                now = time.time()
                due = [guard for deadline, guard in self._armed.values() if deadline <= now]
                for guard in due:
                    del self._armed[id(guard)]
                if due:
                    self._condition.release()  # shutting sockets must not block arming
                    try:
                        for guard in due:
                            guard._expire()
                    finally:
                        self._condition.acquire()
                    continue
                earliest = min((deadline for deadline, _ in self._armed.values()), default=None)
                self._condition.wait(None if earliest is None else earliest - now)


_watchdog = _Watchdog()

current_guard_var: contextvars.ContextVar[CallGuard | None] = contextvars.ContextVar(
    "outbound_call_guard", default=None
)


def current_guard() -> CallGuard | None:
    """The guard of the run in progress in this context, if any."""
    return current_guard_var.get()


def watch(sock: socket.socket | None) -> None:
    guard = current_guard_var.get()
    if guard is not None:
        guard.watch(sock)
