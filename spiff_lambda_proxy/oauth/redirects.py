"""Where the browser may be sent back to: `redirect_url` judged by its parsed origin, never by prefix.

A browser and a URL parser can disagree about where a URL leads (`\\`,
userinfo, tabs, a fullwidth or dotless letter in the host). So a URL is
accepted only in a spelling on which they cannot disagree: printable ASCII,
an `http(s)` scheme, a host of letters, digits, dots and hyphens (or an IP
literal), no userinfo. Its (scheme, host, port) must then equal one of the
allowed origins, default ports made explicit.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from typing import NamedTuple
from urllib.parse import quote, urlsplit

from .pages import FlowError

# Longer than any URL SpiffArena sends, short enough to fit in a cookie once signed.
MAX_REDIRECT_URL_LENGTH = 2048
_DEFAULT_PORTS = {"http": 80, "https": 443}
_HOST_NAME = re.compile(
    r"(?=.{1,253}\Z)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*"
)


class Origin(NamedTuple):
    scheme: str
    host: str
    port: int

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        default = _DEFAULT_PORTS[self.scheme] == self.port
        return f"{self.scheme}://{host}" + ("" if default else f":{self.port}")


class NotAnOrigin(ValueError):
    """The text is not an http(s) URL in a spelling every browser reads the same way."""


def origin_of(url: str) -> Origin:
    """The origin `url` leads to; raises NotAnOrigin (saying why) when that is not certain."""
    if not url.isascii() or not url.isprintable() or " " in url:
        raise NotAnOrigin("it must be printable ASCII, without spaces or control characters")
    if "\\" in url:
        raise NotAnOrigin("it must not contain backslashes (browsers read them as slashes)")
    try:
        parts = urlsplit(url)
    except ValueError:  # e.g. brackets around something that is not an IPv6 address
        raise NotAnOrigin("it is not a valid URL") from None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        raise NotAnOrigin("it must be an absolute http:// or https:// URL")
    authority = parts.netloc
    if not authority or not url[len(parts.scheme) :].startswith("://"):
        raise NotAnOrigin("it must be an absolute http:// or https:// URL")
    if "@" in authority:
        raise NotAnOrigin("it must not carry a user name or password")
    host, port = _host_and_port(authority)
    return Origin(scheme, host, port if port is not None else _DEFAULT_PORTS[scheme])


def _host_and_port(authority: str) -> tuple[str, int | None]:
    if authority.startswith("["):
        literal, _, rest = authority[1:].partition("]")
        try:
            host = str(ipaddress.IPv6Address(literal))
        except ValueError:
            raise NotAnOrigin("its host is not a valid IPv6 address") from None
        if rest and not rest.startswith(":"):
            raise NotAnOrigin("its host is not a valid IPv6 address")
        port_text = rest[1:] if rest else None
    else:
        host, colon, port_text_or_empty = authority.partition(":")
        port_text = port_text_or_empty if colon else None
        host = host.lower()
        if not _HOST_NAME.fullmatch(host):
            raise NotAnOrigin("its host must be letters, digits, dots and hyphens (xn-- for other scripts)")
    if port_text is None or port_text == "":
        return host, None
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise NotAnOrigin("its port must be a number from 1 to 65535")
    return host, int(port_text)


def parse_origins(entries: Iterable[str], setting: str) -> tuple[Origin, ...]:
    """The origins a setting lists (paths, if any, are not part of an origin and are ignored)."""
    origins = []
    for entry in entries:
        try:
            origins.append(origin_of(entry))
        except NotAnOrigin as error:
            raise FlowError(
                500,
                "configuration_error",
                f"{setting} lists {entry!r}, which is not an origin like https://spiff.example.com: {error}.",
            ) from None
    return tuple(origins)


def check_redirect_url(url: str, allowed: tuple[Origin, ...], setting: str) -> str:
    """`url` when the browser may be sent there, else a FlowError (400) saying why."""
    if len(url) > MAX_REDIRECT_URL_LENGTH:
        raise FlowError(
            400, "redirect_url_not_allowed", f"redirect_url is longer than {MAX_REDIRECT_URL_LENGTH}."
        )
    try:
        origin = origin_of(url)
    except NotAnOrigin as error:
        raise FlowError(400, "redirect_url_not_allowed", f"redirect_url is refused: {error}.") from None
    if origin not in allowed:
        listed = ", ".join(str(o) for o in allowed)
        raise FlowError(
            400,
            "redirect_url_not_allowed",
            f"redirect_url leads to {origin}, which is not SpiffArena's ({setting} allows {listed}).",
        )
    return url


def with_params(url: str, params: Iterable[tuple[str, str]]) -> str:
    """`url` with `params` appended to its query (before any fragment), every value percent-encoded."""
    base, hash_sign, fragment = url.partition("#")
    encoded = "&".join(f"{quote(name, safe='')}={quote(value, safe='')}" for name, value in params)
    if not encoded:
        return url
    # After the query there is, `&`; none after a URL ending in `?` or `&`; else start one.
    separator = ("" if base.endswith(("?", "&")) else "&") if "?" in base else "?"
    return f"{base}{separator}{encoded}{hash_sign}{fragment}"
