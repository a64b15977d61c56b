"""The event a background run is handed over in, from the answering invocation to the working one.

The function invokes itself asynchronously with this event. Its top-level key
is one no HTTP front door can produce (they deliver a request body only inside
an HTTP event), so the handler tells it apart before any event adapter looks
at it. Direct invocation is guarded by IAM; when a secret is configured the
run is also signed (HMAC-SHA256 over its canonical JSON), and the working
invocation refuses anything unsigned, altered or stale.

The wire names (`spiff_connector_proxy_task`, `task_id`) are older than the
feature's name and stay: an event queued before a deploy still runs after it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from typing import Any, NamedTuple

EVENT_KEY = "spiff_connector_proxy_task"
SIGNATURE_KEY = "signature"
VERSION = 1
_SIGNATURE_PREFIX = "hmac-sha256="
# The two invocations run on the same clock; allow a little drift between hosts.
_CLOCK_SKEW_SECONDS = 300.0


class Run(NamedTuple):
    run_id: str
    command_id: str
    params: dict[str, Any]
    task_data: dict[str, Any]
    callback_url: str
    issued_at: int
    # Not secret, for log lines only: which SpiffArena task this is.
    process_instance_id: Any = None
    spiff_task_id: Any = None

    def as_dict(self) -> dict[str, Any]:
        fields = self._asdict()
        return {"version": VERSION, "task_id": fields.pop("run_id"), **fields}


class Refused(Exception):
    """The event must not run: not ours, unsigned, altered or malformed."""

    def __init__(self, error_code: str, message: str) -> None:
        super().__init__(message)
        self.error_code = error_code
        self.message = message


class Expired(Exception):
    """Authentic, but issued too long ago to be run now."""

    def __init__(self, run: Run, age: float) -> None:
        super().__init__(f"issued {age:.0f} s ago")
        self.run = run
        self.age = age


def is_run_event(event: Any) -> bool:
    return isinstance(event, Mapping) and EVENT_KEY in event


def is_queue_event(event: Any) -> bool:
    """An SQS event source mapping's batch: wake-ups for kept results (`redelivery`)."""
    if not isinstance(event, Mapping):
        return False
    records = event.get("Records")
    return (
        isinstance(records, list)
        and bool(records)
        and isinstance(records[0], Mapping)
        and records[0].get("eventSource") == "aws:sqs"
    )


def encode(run: Run, secret: str | None) -> bytes:
    """The invocation payload for `run`, signed when there is a secret."""
    body = run.as_dict()
    event: dict[str, Any] = {EVENT_KEY: body}
    if secret:
        event[SIGNATURE_KEY] = _sign(body, secret)
    return json.dumps(event, separators=(",", ":"), ensure_ascii=True, allow_nan=False).encode()


def open_event(event: Mapping[str, Any], secret: str | None, max_age: float) -> Run:
    """The run in `event` once its signature and age check out; raises Refused or Expired."""
    body = event.get(EVENT_KEY)
    if not isinstance(body, dict):
        raise Refused("malformed_run_event", f"{EVENT_KEY} must be an object.")
    if secret:
        signature = event.get(SIGNATURE_KEY)
        if not isinstance(signature, str) or not signature:
            raise Refused("unsigned_run_event", "The run event carries no signature.")
        try:
            expected = _sign(body, secret)
        except (TypeError, ValueError):
            raise Refused("malformed_run_event", "The run event cannot be encoded as JSON.") from None
        import hmac

        # Constant time, so a signature cannot be found byte by byte.
        if not hmac.compare_digest(signature.encode(), expected.encode()):
            raise Refused("bad_run_signature", "The run event's signature does not match.")
    run = _parse(body)
    age = time.time() - run.issued_at
    if age < -_CLOCK_SKEW_SECONDS:
        raise Refused("malformed_run_event", "The run event was issued in the future.")
    if age > max_age:
        raise Expired(run, age)
    return run


def _sign(body: Mapping[str, Any], secret: str) -> str:
    # Here, not at import: hashlib loads OpenSSL (milliseconds of every cold start), and
    # only background runs sign anything.
    import hashlib
    import hmac

    digest = hmac.new(secret.encode(), _canonical(body), hashlib.sha256).hexdigest()
    return _SIGNATURE_PREFIX + digest


def _canonical(body: Mapping[str, Any]) -> bytes:
    # Sorted keys and ASCII escapes: the same object always gives the same bytes.
    return json.dumps(
        body, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False
    ).encode()


def _parse(body: Mapping[str, Any]) -> Run:
    if body.get("version") != VERSION:
        raise Refused("malformed_run_event", f"Unknown run event version {body.get('version')!r}.")
    expected_types: dict[str, type | tuple[type, ...]] = {
        "task_id": str,
        "command_id": str,
        "params": dict,
        "task_data": dict,
        "callback_url": str,
        "issued_at": int,
    }
    for name, kind in expected_types.items():
        value = body.get(name)
        if not isinstance(value, kind) or isinstance(value, bool):
            raise Refused("malformed_run_event", f"The run event's {name} is missing or of the wrong type.")
    if "/" not in body["command_id"]:
        raise Refused("malformed_run_event", "The run event's command_id is not <plugin>/<command>.")
    return Run(
        run_id=body["task_id"],
        command_id=body["command_id"],
        params=body["params"],
        task_data=body["task_data"],
        callback_url=body["callback_url"],
        issued_at=body["issued_at"],
        process_instance_id=body.get("process_instance_id"),
        spiff_task_id=body.get("spiff_task_id"),
    )
