"""The proxy's own AWS clients (Lambda for background runs, Secrets Manager / SSM for the API key).

Imported only where the proxy calls AWS, never at cold start.

One cache for the execution environment, dropped by SnapStart's hooks, and the
AWS error codes the proxy tells apart. boto3 is in the Lambda runtime, not
vendored, and imported on first use only: most proxies never call AWS
themselves. (Connector packages keep their own clients: they must not import
the proxy.)
"""

from __future__ import annotations

import os
import threading
from typing import Any, NamedTuple

DENIED = frozenset({"AccessDeniedException", "AccessDenied", "UnrecognizedClientException"})
THROTTLED = frozenset({"TooManyRequestsException", "ThrottlingException", "Throttling", "ThrottledException"})
NOT_FOUND = frozenset({"ResourceNotFoundException", "ParameterNotFound", "ParameterVersionNotFound"})


class Timeouts(NamedTuple):
    """How long one client waits, and how often it tries (botocore's standard retry mode)."""

    connect: float
    read: float
    attempts: int


# Starting a background run: one attempt and three retries, an asynchronous invocation is cheap to ask again.
LAMBDA_TIMEOUTS = Timeouts(connect=3.0, read=10.0, attempts=4)
# Reading the API key while a request waits: answer quickly, one retry.
SECRET_TIMEOUTS = Timeouts(connect=2.0, read=3.0, attempts=2)

_clients: dict[tuple[str, str | None, Timeouts], Any] = {}
_lock = threading.Lock()


def client(service: str, region: str | None, timeouts: Timeouts) -> Any:
    """A client for `service` in `region` (None: the function's own), created once and reused while warm."""
    key = (service, region, timeouts)
    with _lock:
        found = _clients.get(key)
        if found is None:
            found = _clients[key] = _new_client(service, region, timeouts)
        return found


def forget() -> None:
    """Drop every cached client and its connections (SnapStart restore; tests)."""
    with _lock:
        _clients.clear()


def error_code(error: Any) -> str:
    """The AWS error code of a botocore ClientError."""
    return str(error.response.get("Error", {}).get("Code", "")) or "ClientError"


def _new_client(service: str, region: str | None, timeouts: Timeouts) -> Any:
    import boto3.session
    from botocore.config import Config

    from spiff_outbound import wire_logs

    # botocore logs whole response bodies (a secret's value among them) and signed headers at
    # DEBUG, which Lambda's log-level controls can turn on for every logger.
    wire_logs.quiet()
    config = Config(
        connect_timeout=timeouts.connect,
        read_timeout=timeouts.read,
        retries={"mode": "standard", "total_max_attempts": timeouts.attempts},
    )
    # A session of its own resolves credentials now, not from what the default one cached.
    return boto3.session.Session().client(
        service, region_name=region or os.environ.get("AWS_REGION") or None, config=config
    )
