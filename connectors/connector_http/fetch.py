"""One command's HTTP exchange: attempts, redirects, timeouts and the body size limit.

Imported on first use only (it loads requests). `fetch` returns the final
upstream answer, whatever its status, or raises HttpFailure when there is none
to return (refused destination, timeout, connection trouble, too large, ...).
"""

from __future__ import annotations

import http.client
import time
from typing import NamedTuple

import requests
import urllib3

from spiff_outbound import transport
from spiff_outbound.causes import chain, root_cause
from spiff_outbound.destinations import InvalidDestination
from spiff_outbound.retries import RetryPolicy, retry_after_seconds, retryable_status

from . import __version__, errors
from .arguments import HttpRequest
from .errors import HttpFailure
from .redaction import CallLog, origin, safe_url
from .redirects import REDIRECT_STATUSES, Hop, next_hop
from .settings import HttpSettings
from .timing import Clock

MAX_REDIRECTS = 10
# A retry waits at most this long unless the upstream's Retry-After asks for more.
MAX_BACKOFF_SECONDS = 10.0
USER_AGENT = f"spiff-connector-http/{__version__}"
_BODILESS_STATUSES = (204, 304)
_CHUNK_BYTES = 64 * 1024


class Fetched(NamedTuple):
    status: int
    reason: str
    headers: dict[str, str]
    content: bytes
    url: str

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")


def fetch(request: HttpRequest, settings: HttpSettings, deadline: float | None, log: CallLog) -> Fetched:
    clock = Clock(deadline)
    session = transport.session_for(settings.policy)
    for note in request.notes:
        log.add(note)
    retries = RetryPolicy(request.attempts, settings.retry_backoff, MAX_BACKOFF_SECONDS)
    with transport.CallGuard(settings.policy, deadline) as guard:
        attempt = 1
        while True:
            label = f" (attempt {attempt} of {request.attempts})" if request.attempts > 1 else ""
            outcome: Fetched | HttpFailure
            try:
                outcome = _follow_redirects(session, request, settings, clock, guard, log, label)
            except HttpFailure as failure:
                outcome = failure
            if attempt >= request.attempts:
                break
            retry = _retry_delay(outcome, attempt, retries)
            if retry is None:
                break
            delay, why = retry
            if isinstance(outcome, HttpFailure):
                why = f"{why} ({outcome.message})"
            if not clock.can_wait(delay):
                log.add(f"not retrying after {why}: waiting {delay:.1f} s would pass the deadline")
                break
            log.add(f"retrying in {delay:.2f} s after {why}")
            time.sleep(delay)
            attempt += 1
    if isinstance(outcome, HttpFailure):
        raise outcome
    return outcome


def _retry_delay(
    outcome: Fetched | HttpFailure, attempt: int, retries: RetryPolicy
) -> tuple[float, str] | None:
    """(seconds to wait, why) when `outcome` is worth another attempt, else None."""
    if isinstance(outcome, HttpFailure):
        return (retries.wait(attempt), outcome.error_code) if outcome.retryable else None
    if not retryable_status(outcome.status):
        return None
    header = outcome.headers.get("retry-after")
    told = retry_after_seconds(header)
    why = f"HTTP {outcome.status}" + (f" with Retry-After {told:g} s" if told is not None else "")
    return retries.wait(attempt, header), why


def _follow_redirects(
    session: requests.Session,
    request: HttpRequest,
    settings: HttpSettings,
    clock: Clock,
    guard: transport.CallGuard,
    log: CallLog,
    label: str,
) -> Fetched:
    """Redirects are followed here, not by requests, so each hop's destination is checked
    and credentials are not carried to another origin."""
    hop = Hop(request.method, request.url, dict(request.headers), request.params, request.body, request.auth)
    for _ in range(MAX_REDIRECTS + 1):
        fetched = _exchange(session, hop, settings, clock, guard, log, label)
        location = fetched.headers.get("location")
        if fetched.status not in REDIRECT_STATUSES or not location:
            return fetched
        hop = next_hop(hop, fetched.status, fetched.url, location)
        log.add(f"redirected ({fetched.status}) to {safe_url(hop.url)}")
    raise HttpFailure(
        errors.TOO_MANY_REDIRECTS, f"Gave up after {MAX_REDIRECTS} redirects, last to {safe_url(hop.url)}."
    )


def _exchange(
    session: requests.Session,
    hop: Hop,
    settings: HttpSettings,
    clock: Clock,
    guard: transport.CallGuard,
    log: CallLog,
    label: str,
) -> Fetched:
    left = clock.left()
    if clock.expired():
        raise HttpFailure(
            errors.TIMEOUT, f"No time was left to call {origin(hop.url)} before the command's deadline."
        )
    connect_timeout = settings.connect_timeout if left is None else min(settings.connect_timeout, left)
    read_timeout = settings.read_timeout if left is None else min(settings.read_timeout, left)
    try:
        prepared = session.prepare_request(
            requests.Request(
                hop.method,
                hop.url,
                headers={"User-Agent": USER_AGENT, **hop.headers},
                params=hop.params,
                data=hop.body,
                auth=hop.auth,
            )
        )
    except (requests.exceptions.InvalidURL, requests.exceptions.InvalidHeader, ValueError) as error:
        # requests' own message quotes the URL or the header value: not repeated.
        raise _unsendable(hop, type(error).__name__) from None
    url = prepared.url or hop.url
    log.add(f"{hop.method} {safe_url(url)}{label}")
    started = time.monotonic()
    try:
        response = session.send(
            prepared,
            stream=True,
            timeout=(connect_timeout, read_timeout),
            allow_redirects=False,
            verify=settings.ca_bundle or True,
        )
        try:
            status = response.status_code
            content = _read_body(response, hop.method, settings.max_response_bytes, clock)
            if guard.fired:
                # A body that ends when the connection closes would look complete.
                raise HttpFailure(
                    errors.TIMEOUT, f"{origin(url)} was still sending when the command's deadline came."
                )
        finally:
            response.close()
    except transport.DestinationRefused as refused:
        where = "the redirect to " if hop.redirected else ""
        raise HttpFailure(
            errors.DESTINATION_NOT_ALLOWED,
            f"Refused {where}{origin(url)}: {refused.reason}. "
            "Add it to HTTP_CONNECTOR_ALLOWED_HOSTS if this connector should reach it.",
            http_status=403,
        ) from None
    except HttpFailure:
        raise
    except (InvalidDestination, UnicodeError) as error:
        raise _unsendable(hop, type(error).__name__) from None
    except (
        requests.RequestException,
        urllib3.exceptions.HTTPError,
        http.client.HTTPException,
        OSError,
    ) as error:
        raise _transport_failure(
            error, url, guard.fired or clock.expired(), time.monotonic() - started
        ) from None
    headers = {name.lower(): value for name, value in response.headers.items()}
    elapsed_ms = (time.monotonic() - started) * 1000
    log.add(
        f"-> {status} {response.reason or ''}".rstrip()
        + f" ({headers.get('content-type', 'no content type')}, {len(content)} bytes) in {elapsed_ms:.0f} ms"
    )
    return Fetched(status, response.reason or "", headers, content, url)


def _unsendable(hop: Hop, cause: str) -> HttpFailure:
    if hop.redirected:
        return HttpFailure(
            errors.INVALID_REDIRECT,
            f"The redirect to {origin(hop.url)} cannot be sent ({cause}).",
            http_status=400,
        )
    return HttpFailure(
        errors.INVALID_ARGUMENT,
        f"The request to {origin(hop.url)} cannot be sent ({cause}).",
        http_status=400,
    )


def _read_body(response: requests.Response, method: str, limit: int, clock: Clock) -> bytes:
    """The whole body, refused as soon as it passes `limit` bytes, so a huge one is never held."""
    if method == "HEAD" or response.status_code in _BODILESS_STATUSES:
        return b""
    declared = response.headers.get("Content-Length", "").strip()
    if declared.isdigit() and int(declared) > limit:
        raise _too_large(f"{int(declared)} bytes", limit)
    content = bytearray()
    for chunk in response.iter_content(_CHUNK_BYTES):
        content += chunk
        if len(content) > limit:
            raise _too_large(f"more than {limit} bytes", limit)
        if clock.expired():
            raise HttpFailure(
                errors.TIMEOUT, "The command's deadline passed while reading the upstream body."
            )
    return bytes(content)


def _too_large(size: str, limit: int) -> HttpFailure:
    return HttpFailure(
        errors.RESPONSE_TOO_LARGE,
        f"The upstream body is {size}; this connector returns at most {limit} "
        "(HTTP_CONNECTOR_MAX_RESPONSE_BYTES).",
    )


def _transport_failure(error: BaseException, url: str, out_of_time: bool, elapsed: float) -> HttpFailure:
    target = origin(url)
    cause = root_cause(error)
    if out_of_time:
        return HttpFailure(
            errors.TIMEOUT, f"{target} did not answer before the command's deadline ({elapsed:.1f} s)."
        )
    if _is_timeout(error):
        return HttpFailure(
            errors.TIMEOUT, f"{target} did not answer in time ({elapsed:.1f} s): {cause}.", retryable=True
        )
    if isinstance(error, requests.exceptions.SSLError):
        return HttpFailure(errors.SSL_ERROR, f"TLS with {target} failed: {cause}.")
    if isinstance(error, requests.exceptions.ContentDecodingError):
        return HttpFailure(
            errors.CONTENT_DECODING_ERROR, f"The body from {target} could not be decoded: {cause}."
        )
    return HttpFailure(
        errors.CONNECTION_ERROR, f"The connection to {target} failed: {cause}.", retryable=True
    )


def _is_timeout(error: BaseException) -> bool:
    timeouts = (TimeoutError, requests.exceptions.Timeout, urllib3.exceptions.TimeoutError)
    return any(
        # urllib3 makes "connection refused" a subclass of its connect timeout, for old callers.
        isinstance(item, timeouts) and not isinstance(item, urllib3.exceptions.NewConnectionError)
        for item in chain(error)
    )
