"""The connector's settings (`HTTP_CONNECTOR_*`), read at call time.

They come from the proxy's `config` mapping when it has them, else from the
environment, so the connector behaves the same in the Lambda proxy (whose config
is the environment) and in the Flask reference proxy (whose config is not).
`SETTINGS` is the documented list: docs/http.md is checked against it.
"""

from __future__ import annotations

import functools
import math
import os
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple, TypeVar

from spiff_outbound.destinations import POLICY_SETTINGS, InvalidHostList, Policy

from .errors import configuration_error

DEADLINE_KEY = "CONNECTOR_PROXY_DEADLINE"

# Lambda returns at most 6 MiB; keep room for the status line, headers and the
# proxy's own wrapping around the envelope.
DEFAULT_MAX_RESPONSE_BYTES = 6 * 1024 * 1024 - 256 * 1024


# The shape tools/configuration_doc reads from every connector's SETTINGS; each connector
# writes its own, since connectors must not import the proxy (whose table has the same shape).
class Setting(NamedTuple):
    name: str
    default: str
    help: str


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "HTTP_CONNECTOR_ALLOWED_HOSTS",
        "(unset)",
        "Comma-separated destinations opened on purpose although the default guard refuses them: "
        "host names, `*.example.com` wildcards, IP addresses and CIDR ranges; `*` opens everything "
        "except the Lambda Runtime API and unspecified addresses (`0.0.0.0`, `::`), which nothing opens.",
    ),
    Setting(
        "HTTP_CONNECTOR_DENIED_HOSTS",
        "(unset)",
        "Comma-separated destinations always refused, in the same syntax; wins over the allowed list. "
        "Use it to close private ranges (e.g. `10.0.0.0/8`), which are allowed by default.",
    ),
    Setting(
        "HTTP_CONNECTOR_MAX_RESPONSE_BYTES",
        str(DEFAULT_MAX_RESPONSE_BYTES),
        "Largest answer returned, in bytes: the upstream body is not read past it, and the result "
        "envelope, measured as Lambda carries it (JSON inside JSON), must fit in it; otherwise "
        "`ResponseTooLarge`. The default fits a Function URL's or API Gateway's 6 MB; behind an "
        "Application Load Balancer (1 MB) the proxy refuses larger answers itself.",
    ),
    Setting(
        "HTTP_CONNECTOR_CONNECT_TIMEOUT",
        "10",
        "Seconds to wait for a TCP/TLS connection, further bounded by the time the proxy has left.",
    ),
    Setting(
        "HTTP_CONNECTOR_READ_TIMEOUT",
        "60",
        "Seconds to wait for the upstream between bytes, further bounded by the time the proxy has left.",
    ),
    Setting(
        "HTTP_CONNECTOR_CA_BUNDLE",
        "(unset: the bundled public CAs)",
        "Path to a PEM file of CA certificates to verify HTTPS upstreams with instead of the public "
        "ones, for internal services with a private CA. (`REQUESTS_CA_BUNDLE` is not read.)",
    ),
    Setting(
        "HTTP_CONNECTOR_RETRY_BACKOFF",
        "1",
        "Seconds before the first retry when `attempts` > 1; doubled for each further retry "
        "(at most 10 s), with jitter. A `Retry-After` header from the upstream wins.",
    ),
)

_DEFAULTS = {setting.name: setting.default for setting in SETTINGS}


class HttpSettings(NamedTuple):
    policy: Policy
    max_response_bytes: int
    connect_timeout: float
    read_timeout: float
    retry_backoff: float
    ca_bundle: str | None = None

    @classmethod
    def from_config(cls, config: Any) -> HttpSettings:
        """The settings `config` (else the environment) gives, parsed once per distinct set of values:
        read on every call, since a host may change its config, but not parsed again for each."""
        return _parsed(tuple(read_setting(config, name) for name in _READ))


# Everything HttpSettings is made of: its own settings and the destination policy's.
_READ = (*(setting.name for setting in SETTINGS), *POLICY_SETTINGS)


# The sets of values used last (a host may keep several); a set that does not parse is not kept.
@functools.lru_cache(maxsize=16)
def _parsed(raw: tuple[str | None, ...]) -> HttpSettings:
    return _parse(dict(zip(_READ, raw, strict=True)))


def _parse(values: Mapping[str, str | None]) -> HttpSettings:
    try:
        policy = Policy.from_settings(values.get)
    except InvalidHostList as error:
        raise configuration_error(str(error)) from None
    return HttpSettings(
        policy=policy,
        max_response_bytes=_number(values, "HTTP_CONNECTOR_MAX_RESPONSE_BYTES", int, minimum=1),
        connect_timeout=_number(values, "HTTP_CONNECTOR_CONNECT_TIMEOUT", float, minimum=0.001),
        read_timeout=_number(values, "HTTP_CONNECTOR_READ_TIMEOUT", float, minimum=0.001),
        retry_backoff=_number(values, "HTTP_CONNECTOR_RETRY_BACKOFF", float, minimum=0.0),
        ca_bundle=_ca_bundle(values),
    )


def read_setting(config: Any, name: str) -> str | None:
    value = config.get(name) if isinstance(config, Mapping) else None
    if value is None:
        value = os.environ.get(name)
    return None if value is None else str(value)


def deadline_from(config: Any) -> float | None:
    """Epoch seconds by which the command must have answered, if the proxy set one."""
    value = config.get(DEADLINE_KEY) if isinstance(config, Mapping) else None
    if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    return None


Number = TypeVar("Number", int, float)


def _number(
    values: Mapping[str, str | None], name: str, kind: Callable[[str], Number], *, minimum: Number
) -> Number:
    raw = (values.get(name) or "").strip() or _DEFAULTS[name]
    try:
        value = kind(raw)
    except ValueError:
        value = None
    if value is None or not math.isfinite(value) or value < minimum:
        unit = "a whole number" if kind is int else "a number"
        raise configuration_error(f"{name} must be {unit} of at least {minimum}, not {raw!r}.")
    return value


def _ca_bundle(values: Mapping[str, str | None]) -> str | None:
    path = (values.get("HTTP_CONNECTOR_CA_BUNDLE") or "").strip()
    if not path:
        return None
    if not os.path.isfile(path):
        raise configuration_error(f"HTTP_CONNECTOR_CA_BUNDLE names {path!r}, which is not a file.")
    return path
