"""The HTTP plumbing: one shared `requests.Session` whose connections check where they go.

Imported on first use only: it loads requests and urllib3.

- The session lives as long as the process, so warm invocations reuse its
  keep-alive connections (no new TCP/TLS handshake per call).
- Every new connection resolves the host once, checks each address against the
  destination policy and connects to an address it checked; resolving again at
  connect time would let a DNS answer change in between (DNS rebinding).
- A `CallGuard` watches the sockets used during one command run and shuts
  them at the deadline, so a server trickling bytes cannot keep a read
  going past it (socket timeouts bound each wait, not their sum).
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import socket
import threading
import time
from http.cookiejar import DefaultCookiePolicy
from types import TracebackType
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NameResolutionError, NewConnectionError
from urllib3.response import HTTPResponse
from urllib3.util.connection import allowed_gai_family, create_connection

from .destinations import Policy, as_address, normalise_host

# urllib3 logs each request line, query string included, at DEBUG: a Lambda whose
# log level is turned up would print tokens passed in URLs. Quiet it unless someone
# configured that logger on purpose.
_urllib3_logger = logging.getLogger("urllib3")
if _urllib3_logger.level == logging.NOTSET:
    _urllib3_logger.setLevel(logging.WARNING)


# Callers that speak for someone else (the http connector) send their own.
USER_AGENT = "spiff-connector-proxy"


class DestinationRefused(Exception):
    """The policy refuses this destination; raised before any packet is sent to it."""

    def __init__(self, host: str, reason: str) -> None:
        super().__init__(reason)
        self.host = host
        self.reason = reason


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
        self._token = _current_guard.set(self)
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
            _current_guard.reset(self._token)


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

_current_guard: contextvars.ContextVar[CallGuard | None] = contextvars.ContextVar(
    "outbound_call_guard", default=None
)


def _watch(sock: socket.socket | None) -> None:
    guard = _current_guard.get()
    if guard is not None:
        guard.watch(sock)


def _open_checked_socket(connection: HTTPConnection) -> socket.socket:
    guard = _current_guard.get()
    # Outside a command run nothing was configured: the default policy, never none.
    policy = guard.policy if guard is not None else Policy()
    host = normalise_host(connection.host)
    port = connection.port
    refusal = policy.refusal_by_name(host)
    if refusal:
        raise DestinationRefused(host, refusal)
    try:
        found = socket.getaddrinfo(host, port, allowed_gai_family(), socket.SOCK_STREAM)
    except socket.gaierror as error:
        raise NameResolutionError(host, connection, error) from error
    checked: list[str] = []
    refusals: list[str] = []
    for *_, sockaddr in found:
        ip = str(sockaddr[0])
        address = as_address(ip)
        reason = policy.refusal(host, address, port) if address is not None else f"{ip} is not an IP address"
        if reason:
            refusals.append(reason)
        elif ip not in checked:
            checked.append(ip)
    if not checked:
        raise DestinationRefused(host, refusals[0] if refusals else f"{host} resolves to no address")

    last_error: OSError | None = None
    for ip in checked:
        try:
            return create_connection(
                (ip, port),
                connection.timeout,
                source_address=connection.source_address,
                socket_options=connection.socket_options,
            )
        except TimeoutError as error:
            raise ConnectTimeoutError(
                connection, f"Connection to {host} timed out. (connect timeout={connection.timeout})"
            ) from error
        except OSError as error:
            last_error = error
    raise NewConnectionError(
        connection, f"Failed to establish a new connection: {last_error}"
    ) from last_error


class _GuardedHTTPConnection(HTTPConnection):
    # Each step registers the socket it is about to block on. (A TLS handshake is
    # bounded by the connect timeout only: its plain socket is detached by then.)
    def _new_conn(self) -> socket.socket:
        sock = _open_checked_socket(self)
        _watch(sock)
        return sock

    def request(self, *args: Any, **kwargs: Any) -> None:
        _watch(self.sock)  # a kept-alive or TLS connection is already open here
        super().request(*args, **kwargs)

    def getresponse(self) -> HTTPResponse:  # type: ignore[override]  # as urllib3 declares it
        _watch(self.sock)
        return super().getresponse()


class _GuardedHTTPSConnection(_GuardedHTTPConnection, HTTPSConnection):
    pass


class _GuardedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _GuardedHTTPConnection


class _GuardedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _GuardedHTTPSConnection


class _GuardedAdapter(HTTPAdapter):
    def init_poolmanager(
        self, connections: int, maxsize: int, block: bool = False, **pool_kwargs: Any
    ) -> None:
        super().init_poolmanager(connections, maxsize, block, **pool_kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _GuardedHTTPPool, "https": _GuardedHTTPSPool}


_session: requests.Session | None = None
_session_policy: Policy | None = None
_session_lock = threading.Lock()


def session_for(policy: Policy) -> requests.Session:
    """The shared session; a new one when the policy changed, so no pooled
    connection checked under a more permissive policy is reused."""
    global _session, _session_policy
    with _session_lock:
        if _session is None or _session_policy != policy:
            if _session is not None:
                _session.close()
            _session, _session_policy = _new_session(), policy
        return _session


def close_session() -> None:
    global _session, _session_policy
    with _session_lock:
        if _session is not None:
            _session.close()
        _session, _session_policy = None, None


def _new_session() -> requests.Session:
    session = requests.Session()
    # Proxy and netrc settings from the environment would route around the guard
    # (the proxy, not us, would pick the address) or add credentials nobody asked for.
    session.trust_env = False
    # The session outlives one process instance: a cookie set for one must not be
    # sent on behalf of another.
    session.cookies.set_policy(DefaultCookiePolicy(allowed_domains=[]))
    session.headers["User-Agent"] = USER_AGENT
    adapter = _GuardedAdapter(pool_connections=8, pool_maxsize=4)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session
