"""Redirects, followed by the connector itself: where the next request goes, and with what.

Not by requests, so that each hop's destination is judged by the guard and the
caller's credentials are not carried to another origin.
"""

from __future__ import annotations

from typing import NamedTuple
from urllib.parse import urljoin, urlsplit

from spiff_outbound.destinations import InvalidDestination, url_destination

from . import errors
from .errors import HttpFailure
from .redaction import is_credential_header, safe_url

REDIRECT_STATUSES = (301, 302, 303, 307, 308)
# They describe the body, which a redirect that turns the request into a GET leaves behind.
BODY_HEADERS = ("content-type", "content-length", "content-encoding", "transfer-encoding")


class Hop(NamedTuple):
    """One request of a command's chain of redirects."""

    method: str
    url: str
    headers: dict[str, str]
    params: list[tuple[str, str]]
    body: bytes | None
    auth: tuple[bytes, bytes] | None
    redirected: bool = False


def next_hop(hop: Hop, status: int, answered_url: str, location: str) -> Hop:
    """The request to make for a redirect (`status`, `location`) answered to `hop` from `answered_url`."""
    url = urljoin(answered_url, location.strip())
    try:
        url_destination(url)
    except InvalidDestination as problem:
        # Never quoted: a broken URL cannot be shown with its user info masked.
        shown = f": {safe_url(url)}" if urlsplit(url).scheme.lower() not in ("http", "https") else ""
        raise HttpFailure(
            errors.INVALID_REDIRECT,
            f"The upstream redirected ({status}) to a URL that {problem}{shown}.",
            http_status=status,
        ) from None
    method, body, headers = hop.method, hop.body, dict(hop.headers)
    # What clients have always done: 303 (and 301/302 after a POST) fetch the new URL with GET.
    if (status == 303 and method != "HEAD") or (status in (301, 302) and method == "POST"):
        method, body = "GET", None
        headers = {name: value for name, value in headers.items() if name.lower() not in BODY_HEADERS}
    auth = hop.auth
    if not _same_origin(hop.url, url):
        # Every header the logs mask as a credential stays with the origin it was meant for.
        headers = {name: value for name, value in headers.items() if not is_credential_header(name)}
        auth = None
    return Hop(method, url, headers, [], body, auth, redirected=True)


def _same_origin(first: str, second: str) -> bool:
    a, b = urlsplit(first), urlsplit(second)
    if a.hostname != b.hostname:
        return False
    if (a.scheme, a.port) == (b.scheme, b.port):
        return True
    # An upgrade from http to https on the standard ports is the same site (as requests decides).
    return a.scheme == "http" and b.scheme == "https" and a.port in (None, 80) and b.port in (None, 443)
