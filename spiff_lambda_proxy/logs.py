"""The proxy's record of each request: one log record, and its metrics, nothing secret in either.

The facts of a request become known in different places: the router knows the route, the runner
the command and what the command answered (its `error_code`, also inside an HTTP 200, and the
upstream's `http_status`). Each is noted in the request's `RequestFacts` where it becomes known,
never read back out of the answer's body; the handler calls `log_request` once at the end.

With Lambda's JSON log format (`AWS_LAMBDA_LOG_FORMAT=JSON`) the runtime's formatter turns the
record's attributes into fields of one JSON object (`route`, `command`, `status`, `error_code`, ...,
next to its own `requestId`); in the text format the message carries the same facts on one line.
Never headers, bodies, parameters or keys. Whatever a caller or an upstream put in a value shows
escaped, on one line, in every format (`log_escaping`, installed from here).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from typing import Any

from . import log_escaping, metrics
from .messages import Request, Response

logger = logging.getLogger("spiff_lambda_proxy")
# Lambda's runtime has set up its handlers before the function's code is imported.
log_escaping.install()

# Lambda runs one request at a time per process; `make serve` answers requests on threads.
_current = threading.local()
# The fields the text line starts with, before the others as name=value.
_HEAD = ("method", "path", "status")
# Longest error code kept: codes come from connectors and upstreams, and need not be short.
_MAX_CODE = 100


class RequestFacts:
    """What one request did, noted where each fact becomes known."""

    __slots__ = ("category", "command_id", "error_code", "records", "route", "upstream_status")

    def __init__(self) -> None:
        self.route: str | None = None
        self.command_id: str | None = None
        self.error_code: str | None = None
        self.upstream_status: int | None = None
        # A typeahead lookup's category and how many records it answered (never its prefix).
        self.category: str | None = None
        self.records: int | None = None

    def note_typeahead(self, category: str, records: int) -> None:
        self.category = _clean(category, _MAX_CODE)
        self.records = records

    def note_error(self, error_code: object) -> None:
        self.error_code = _clean(str(error_code or "error"), _MAX_CODE)

    def note_result(self, result: Any) -> None:
        """A command's result: a v2 envelope's error code and `command_response.http_status`."""
        if not isinstance(result, Mapping):
            return
        error = result.get("error")
        if error:
            self.note_error(error.get("error_code") if isinstance(error, Mapping) else None)
        command_response = result.get("command_response")
        if isinstance(command_response, Mapping):
            status = command_response.get("http_status")
            if isinstance(status, int) and not isinstance(status, bool):
                self.upstream_status = status


def begin() -> RequestFacts:
    """Start noting the facts of a new request (the handler calls this first)."""
    facts = RequestFacts()
    _current.facts = facts
    return facts


def facts() -> RequestFacts:
    """The facts of the request being answered; outside one (background runs), a throwaway."""
    current: RequestFacts | None = getattr(_current, "facts", None)
    return current if current is not None else RequestFacts()


def set_level(level_name: str) -> None:
    """Apply a level chosen by `settings.log_level` (an unknown name means INFO)."""
    level = logging.getLevelName(level_name)
    level = level if isinstance(level, int) else logging.INFO
    if logger.level != level:  # setLevel clears every logger's cache: not on each request
        logger.setLevel(level)


def log_request(
    request: Request | None, response: Response, duration_ms: float, lambda_request_id: str
) -> None:
    """The request's one record (and its metrics): what was asked, what it did, how it ended."""
    noted = facts()
    _current.facts = None
    status = response.status
    error_code = noted.error_code
    if error_code is None and status >= 400:
        error_code = f"HttpError{status}"  # an answer the proxy forwarded as is (a v1 result)
    fields: dict[str, Any] = {
        "method": request.method if request else None,
        "path": _clean(request.path, 300) if request else None,
        "route": noted.route,
        "command": noted.command_id,
        "status": status,
        "error_code": error_code,
        "upstream_status": noted.upstream_status,
        "category": noted.category,
        "records": noted.records,
        "duration_ms": round(duration_ms, 2),
        "source": request.source if request else None,
        "aws_request_id": lambda_request_id,
    }
    level = logging.ERROR if status >= 500 else logging.INFO
    if logger.isEnabledFor(level):
        # "POST /v1/do/http/GetRequestV2 -> 200 command=... error_code=... duration_ms=..."
        facts_shown = " ".join(
            f"{name}={value}" for name, value in fields.items() if value is not None and name not in _HEAD
        )
        head = (fields["method"] or "-", fields["path"] or "-", status)
        logger.log(level, "%s %s -> %d %s", *head, facts_shown, extra=fields)
    metrics.record_request(fields)


def _clean(text: str, limit: int) -> str:
    """One field of the text line, of bounded length: no space can start a forged `name=value`
    (control characters are escaped with the whole record, by `log_escaping`)."""
    if not text.isprintable() or " " in text:
        import unicodedata  # only for text that needs it

        text = "".join("_" if unicodedata.category(char) == "Zs" else char for char in text)
    return text[:limit]
