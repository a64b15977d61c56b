"""The neutral request and response in the middle of the proxy.

Event adapters turn Lambda events into a `Request` and a `Response` back into
their source's answer format; everything between them knows nothing of Lambda.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from typing import Any


class Headers(Mapping[str, str]):
    """Case-insensitive, possibly multi-valued HTTP headers.

    Lookups answer the last value of a name; `get_all` answers every value.
    Names keep the case they were added with, for the answer's sake.
    """

    __slots__ = ("_items",)

    def __init__(self, items: Iterable[tuple[str, str]] = ()) -> None:
        # lowercased name -> (name as given, [values])
        self._items: dict[str, tuple[str, list[str]]] = {}
        for name, value in items:
            self.add(name, value)

    @classmethod
    def from_maps(cls, single: Mapping[str, Any] | None, multi: Mapping[str, Any] | None = None) -> Headers:
        """Build from an event's `headers` and/or `multiValueHeaders`; multi wins."""
        headers = cls()
        for name, values in (multi or {}).items():
            for value in values or ():
                headers.add(name, str(value))
        for name, value in (single or {}).items():
            if value is not None and name.lower() not in headers._items:
                headers.add(name, str(value))
        return headers

    def add(self, name: str, value: str) -> None:
        entry = self._items.setdefault(name.lower(), (name, []))
        entry[1].append(value)

    def set(self, name: str, value: str) -> None:
        self._items[name.lower()] = (name, [value])

    def get_all(self, name: str) -> list[str]:
        entry = self._items.get(name.lower())
        return list(entry[1]) if entry else []

    def __getitem__(self, name: str) -> str:
        return self._items[name.lower()][1][-1]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._items

    def __iter__(self) -> Iterator[str]:
        return (name for name, _ in self._items.values())

    def __len__(self) -> int:
        return len(self._items)

    def single(self) -> dict[str, str]:
        """One value per name (repeated values joined with commas, as HTTP allows)."""
        return {name: ",".join(values) for name, values in self._items.values()}

    def multi(self) -> dict[str, list[str]]:
        return {name: list(values) for name, values in self._items.values()}

    def __repr__(self) -> str:
        return f"Headers({list(self.single())!r})"


class Request:
    """One HTTP request, whatever front door it came through."""

    __slots__ = (
        "body",
        "client_path",
        "domain",
        "headers",
        "method",
        "path",
        "query",
        "request_id",
        "source",
        "stage",
    )

    def __init__(
        self,
        method: str,
        path: str,
        *,
        query: Mapping[str, list[str]] | None = None,
        headers: Headers | None = None,
        body: bytes = b"",
        source: str = "",
        request_id: str = "",
        stage: str = "",
        domain: str = "",
        client_path: str | None = None,
    ) -> None:
        self.method = method.upper()
        self.path = path
        self.query: Mapping[str, list[str]] = query or {}
        self.headers = headers if headers is not None else Headers()
        self.body = body
        self.source = source
        self.request_id = request_id
        # API Gateway stage name, when the front door has one (it may prefix the path).
        self.stage = stage
        # Where the client sent it, for URLs that must lead back here (OAuth callbacks):
        # the domain the front door reports (not a client header), and the path as the
        # client wrote it (a REST API's `path` leaves out the stage that its URL carries).
        self.domain = domain
        self.client_path = path if client_path is None else client_path


class Response:
    """One HTTP answer; `body` is bytes so adapters decide how to carry it."""

    __slots__ = ("body", "headers", "status")

    def __init__(
        self,
        status: int,
        body: bytes = b"",
        *,
        content_type: str | None = None,
        headers: Headers | None = None,
    ) -> None:
        self.status = status
        self.body = body
        self.headers = headers if headers is not None else Headers()
        if content_type is not None:
            self.headers.set("Content-Type", content_type)

    @classmethod
    def json(cls, status: int, payload: Any, **kwargs: Any) -> Response:
        return cls(status, dump_json(payload), content_type="application/json", **kwargs)

    @classmethod
    def text(cls, status: int, text: str) -> Response:
        return cls(status, text.encode(), content_type="text/plain; charset=utf-8")

    @property
    def content_type(self) -> str:
        return self.headers.get("Content-Type", "")


def dump_json(payload: Any) -> bytes:
    """Compact UTF-8 JSON; raises TypeError/ValueError for what JSON cannot carry.

    A lone surrogate (from a `\\ud800` escape in a request, echoed in a message) has no
    UTF-8 form: it is written as that same JSON escape instead of failing the answer.
    """
    return json.dumps(
        payload, separators=(",", ":"), ensure_ascii=False, allow_nan=False, default=_json_default
    ).encode("utf-8", "backslashreplace")


def _json_default(value: Any) -> Any:
    # Connectors commonly hand back datetimes, Decimals (DynamoDB) and sets; JSON has
    # an obvious spelling for each. Anything else is a bug in the command.
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    type_name = type(value).__name__
    if type_name == "Decimal":
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(f"Object of type {type_name} is not JSON serializable")
