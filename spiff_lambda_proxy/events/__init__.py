"""Event adapters: recognise a Lambda event's front door and speak its format.

Each source is one class with `infer(event)`, `request()` and `answer(response)` (the two
Protocols below say exactly what); adding a front door means adding one module and one
entry in `SOURCES`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from ..messages import Request, Response
from .alb import AlbEvent
from .http_api import HttpApiEvent
from .rest_api import RestApiEvent


class EventSource(Protocol):
    """One event, read as a neutral request, and the answer written back in its format."""

    # Shown in the logs; tells front doors that share a payload format apart.
    name: str
    # Largest answer, as the Lambda runtime serialises it, this front door delivers.
    payload_limit: int

    def request(self) -> Request: ...

    def answer(self, response: Response) -> dict[str, Any]: ...


class EventSourceClass(Protocol):
    """A front door's adapter class: it recognises its events and wraps one."""

    def infer(self, event: Mapping[str, Any]) -> bool: ...

    def __call__(self, event: Mapping[str, Any]) -> EventSource: ...


# Order matters: ALB events also carry `httpMethod`, so they are tried before REST.
SOURCES: tuple[EventSourceClass, ...] = (HttpApiEvent, AlbEvent, RestApiEvent)


def adapt(event: Any) -> EventSource | None:
    """The adapter for this event, or None when it is not an HTTP event we know."""
    if not isinstance(event, Mapping):
        return None
    for source in SOURCES:
        if source.infer(event):
            return source(event)
    return None
