"""boto3 clients for one command run: region, endpoint and a time budget, reused while warm.

- Region: the command's `region` argument, else AWS_REGION (Lambda sets it),
  else AWS_DEFAULT_REGION, else whatever boto3 finds in a profile.
- Endpoint: AWS_ENDPOINT_URL_<SERVICE> or AWS_ENDPOINT_URL (a local endpoint
  such as moto or LocalStack); passed explicitly so older boto3 honours it too.
- Time: `CONNECTOR_PROXY_DEADLINE` (epoch seconds, from the proxy) bounds
  botocore's connect/read timeouts and retries, so a command answers before
  the caller stops listening.

Clients are cached per (service, region, endpoint, time profile) for warm
invocations, the `CLIENTS` used last (a region is the caller's to name, and each
client costs about 0.2 MB); the cache is dropped whenever the AWS_* environment
changes (credentials, profile, endpoints), so nobody gets a client built for
another setting.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from typing import Any, NamedTuple

from .errors import Timeout
from .lru import LruCache

DEADLINE_KEY = "CONNECTOR_PROXY_DEADLINE"
# Kept back from the deadline for turning the answer into an envelope.
SAFETY_SECONDS = 0.25
# Below this there is no point in starting a request.
MIN_BUDGET_SECONDS = 0.5
# Budgets are rounded down to one of these so warm invocations find a cached client.
_BUDGET_STEPS = (0.5, 1.0, 2.0, 4.0, 8.0, 15.0, 28.0, 60.0, 120.0, 300.0, 900.0)


class TimeProfile(NamedTuple):
    connect_timeout: float
    read_timeout: float
    max_attempts: int


# No deadline (a local run): botocore-like defaults, a little less patient.
UNBOUNDED = TimeProfile(connect_timeout=5.0, read_timeout=60.0, max_attempts=3)


def time_profile(budget: float) -> TimeProfile:
    """Timeouts and attempts whose worst case (with retry back-off) fits in `budget` seconds."""
    step = max((s for s in _BUDGET_STEPS if s <= budget), default=_BUDGET_STEPS[0])
    attempts = 3 if step >= 8 else 2 if step >= 4 else 1
    # botocore's standard retry mode sleeps at most 1 s, then 2 s, between attempts.
    backoff = {1: 0.0, 2: 1.0, 3: 3.0}[attempts]
    per_attempt = (step - backoff) / attempts
    connect = min(5.0, per_attempt / 4)
    read = min(60.0, per_attempt - connect)
    return TimeProfile(round(connect, 3), round(read, 3), attempts)


def setting(config: Mapping[str, Any], name: str) -> str | None:
    """A setting from the proxy's config, else the environment (the Flask proxy's config lacks env)."""
    value = config.get(name)
    if value is None or value == "":
        value = os.environ.get(name)
    return str(value) if value not in (None, "") else None


class Aws:
    """What one command run needs to talk to AWS."""

    def __init__(self, config: Mapping[str, Any], region: str | None = None) -> None:
        self.config = config
        self.region = region or setting(config, "AWS_REGION") or setting(config, "AWS_DEFAULT_REGION") or None
        self.deadline = _deadline(config)

    def client(self, service: str) -> Any:
        """A boto3 client for `service`, with timeouts that fit the time left."""
        profile = UNBOUNDED
        if self.deadline is not None:
            budget = self.deadline - time.time() - SAFETY_SECONDS
            if budget < MIN_BUDGET_SECONDS:
                raise Timeout(f"No time was left to call AWS {service} before the caller stops waiting.")
            profile = time_profile(budget)
        endpoint = setting(self.config, f"AWS_ENDPOINT_URL_{service.upper()}") or setting(
            self.config, "AWS_ENDPOINT_URL"
        )
        return _cached_client(service, self.region, endpoint, profile)


def _deadline(config: Mapping[str, Any]) -> float | None:
    raw = config.get(DEADLINE_KEY)
    if raw is None or raw == "":
        return None
    try:
        return float(raw)
    except (TypeError, ValueError):
        return None


# Enough for every service in a couple of regions at the few time profiles a deployment meets.
CLIENTS = 32
_ClientKey = tuple[str, "str | None", "str | None", TimeProfile]
_environment: tuple[tuple[str, str], ...] | None = None
_session: Any = None
_clients: LruCache[_ClientKey, Any] = LruCache(CLIENTS)


def _aws_environment() -> tuple[tuple[str, str], ...]:
    return tuple(sorted((name, value) for name, value in os.environ.items() if name.startswith("AWS_")))


def _cached_client(service: str, region: str | None, endpoint: str | None, profile: TimeProfile) -> Any:
    global _environment, _session
    environment = _aws_environment()
    if environment != _environment:
        # New credentials, profile or endpoints: start again with a fresh session.
        _clients.clear()
        _session = None
        _environment = environment
    key: _ClientKey = (service, region, endpoint, profile)
    client = _clients.get(key)
    if client is None:
        client = _clients.put(key, _new_client(service, region, endpoint, profile))
    return client


def _new_client(service: str, region: str | None, endpoint: str | None, profile: TimeProfile) -> Any:
    global _session
    import boto3.session  # first use only: importing boto3 costs ~100 ms
    from botocore.config import Config

    from spiff_outbound import wire_logs

    # botocore prints request parameters, bodies and signed headers at DEBUG.
    wire_logs.quiet()

    if _session is None:
        _session = boto3.session.Session()
    options: dict[str, Any] = {
        "connect_timeout": profile.connect_timeout,
        "read_timeout": profile.read_timeout,
        "retries": {"mode": "standard", "total_max_attempts": profile.max_attempts},
    }
    if service == "s3":
        options["signature_version"] = "s3v4"  # presigned URLs work in every region, and with SSE-KMS
    return _session.client(service, region_name=region, endpoint_url=endpoint, config=Config(**options))


def clear_clients() -> None:
    """Forget every cached client (tests; a process that changes accounts)."""
    global _environment, _session
    _clients.clear()
    _session = None
    _environment = None
