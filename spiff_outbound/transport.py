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
- `exchange.send` is one guarded request with a total deadline, for the
  proxy's own calls (callbacks, token endpoints).
"""

from __future__ import annotations

import socket
import threading
from http.cookiejar import DefaultCookiePolicy
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NameResolutionError, NewConnectionError
from urllib3.response import HTTPResponse
from urllib3.util.connection import allowed_gai_family, create_connection

from . import wire_logs
from .deadlines import CallGuard, current_guard, watch
from .destinations import (
    DestinationRefused,
    InvalidDestination,
    OutboundError,
    Policy,
    checked_addresses,
    normalise_host,
)

# Kept importable from here, where callers have always found them.
__all__ = [
    "CallGuard",
    "DestinationRefused",
    "InvalidDestination",
    "OutboundError",
    "close_session",
    "session_for",
]

wire_logs.quiet()


# Callers that speak for someone else (the http connector) send their own.
USER_AGENT = "spiff-connector-proxy"


def _open_checked_socket(connection: HTTPConnection) -> socket.socket:
    guard = current_guard()
    # Outside a command run nothing was configured: the default policy, never none.
    policy = guard.policy if guard is not None else Policy()
    host = normalise_host(connection.host)
    port = connection.port
    try:
        checked = checked_addresses(policy, host, port, allowed_gai_family())
    except socket.gaierror as error:
        raise NameResolutionError(host, connection, error) from error
    except InvalidDestination as problem:
        # A name that cannot exist fails as one that does not resolve: what callers handle.
        unresolvable = socket.gaierror(socket.EAI_NONAME, f"the URL {problem}")
        raise NameResolutionError(host, connection, unresolvable) from None

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
    # Each step registers the socket it is about to block on. (A TLS handshake needs
    # no watching: the ssl module applies the socket timeout, cut to the time left,
    # to the handshake as a whole.)
    def _new_conn(self) -> socket.socket:
        sock = _open_checked_socket(self)
        watch(sock)
        return sock

    def request(self, *args: Any, **kwargs: Any) -> None:
        watch(self.sock)  # a kept-alive or TLS connection is already open here
        super().request(*args, **kwargs)

    def getresponse(self) -> HTTPResponse:  # type: ignore[override]  # as urllib3 declares it
        watch(self.sock)
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
