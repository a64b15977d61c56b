"""One guarded request with a total deadline: the proxy's own calls (callbacks, token endpoints).

It goes through the shared session of `transport`, so the destination policy
judges every address it connects to, no proxy or netrc from the environment is
used, and nothing (connect, TLS, sending, reading) outlives the deadline.
Redirects are not followed: whoever calls a URL of its own means that URL.
"""

from __future__ import annotations

import http.client
import time
from collections.abc import Mapping
from typing import NamedTuple

import requests
from urllib3.exceptions import HTTPError as urllib3_errors

from .causes import root_cause
from .deadlines import CallGuard
from .destinations import DestinationRefused, OutboundError, Policy, url_destination
from .transport import session_for

__all__ = ["Answer", "DeadlineReached", "DestinationRefused", "OutboundError", "TlsFailed", "send"]


class DeadlineReached(OutboundError, TimeoutError):
    """The deadline came before the exchange was complete."""


class TlsFailed(OutboundError):
    """The TLS handshake failed (certificate, protocol): trying again will not help."""


class Answer(NamedTuple):
    status: int
    reason: str
    headers: dict[str, str]  # names lowercased
    body: bytes  # at most the `max_body_bytes` asked for


def send(
    policy: Policy,
    method: str,
    url: str,
    *,
    deadline: float,
    headers: Mapping[str, str] | None = None,
    body: bytes | None = None,
    timeout: float = 30.0,
    max_body_bytes: int = 64 * 1024,
    verify: bool | str = True,
    basic_auth: tuple[str, str] | None = None,
) -> Answer:
    """One request to `url` under `policy`, answered by the first response (redirects are
    not followed); `deadline` (epoch seconds) bounds all of it, connect, TLS, sending and
    reading, whatever the server does. A body longer than `max_body_bytes` is cut there.

    Raises InvalidDestination, DestinationRefused (nothing sent), DeadlineReached, TlsFailed
    or OutboundError (no answer; the message names the cause, never the URL).
    """
    host, port = url_destination(url)
    left = deadline - time.time()
    if left <= 0:
        raise DeadlineReached(f"no time was left to call {host}:{port}")
    wait = min(timeout, left)
    session = session_for(policy)
    with CallGuard(policy, deadline) as guard:
        try:
            response = session.request(
                method,
                url,
                headers=dict(headers or {}),
                data=body,
                auth=basic_auth,
                timeout=(wait, wait),
                allow_redirects=False,
                stream=True,
                verify=verify,
            )
            try:
                content = bytearray()
                for chunk in response.iter_content(16 * 1024):
                    content += chunk
                    if len(content) >= max_body_bytes:
                        break
            finally:
                response.close()
        except OutboundError:
            raise
        except (requests.RequestException, urllib3_errors, http.client.HTTPException, OSError) as error:
            if guard.fired or time.time() >= deadline:
                raise DeadlineReached(f"{host}:{port} had not answered when the deadline came") from None
            if isinstance(error, requests.exceptions.SSLError):
                raise TlsFailed(f"TLS with {host}:{port} failed: {root_cause(error)}") from None
            raise OutboundError(f"the request to {host}:{port} failed: {root_cause(error)}") from None
        if guard.fired:
            # A body that ends when the connection closes would look complete.
            raise DeadlineReached(f"{host}:{port} was still sending when the deadline came")
    answer_headers = {name.lower(): value for name, value in response.headers.items()}
    return Answer(
        response.status_code, response.reason or "", answer_headers, bytes(content[:max_body_bytes])
    )
