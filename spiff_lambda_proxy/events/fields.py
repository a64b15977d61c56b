"""Reading an event's fields by their type: a field of the wrong type is a 400 that names it.

A front door sends the shapes AWS documents, but whoever may invoke the function
can send any JSON; a list where an object belongs must be answered, never crash.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import BadRequest

_SHOWN_KEY = 60


class EventFields:
    """One object of the event; `where` is its path (`requestContext.http`), for messages."""

    __slots__ = ("_data", "_where")

    def __init__(self, data: Mapping[str, Any], where: str = "") -> None:
        self._data = data
        self._where = where

    def text(self, name: str, default: str = "") -> str:
        value = self._data.get(name)
        if value is None:
            return default
        if not isinstance(value, str):
            raise self._wrong(name, "a string", value)
        return value

    def flag(self, name: str) -> bool:
        value = self._data.get(name)
        if value is None:
            return False
        if not isinstance(value, bool):
            raise self._wrong(name, "true or false", value)
        return value

    def section(self, name: str) -> EventFields:
        """The object at `name` (empty when absent or null)."""
        value = self._data.get(name)
        if value is None:
            value = {}
        elif not isinstance(value, Mapping):
            raise self._wrong(name, "an object", value)
        return EventFields(value, self._path(name))

    def strings(self, name: str) -> dict[str, str]:
        """An object of strings (`headers`, `queryStringParameters`); null values are left out."""
        section = self.section(name)
        found: dict[str, str] = {}
        for key, value in section._data.items():
            if value is None:
                continue
            if not isinstance(key, str) or not isinstance(value, str):
                raise section._wrong(str(key), "a string", value)
            found[key] = value
        return found

    def string_lists(self, name: str) -> dict[str, list[str]]:
        """An object of lists of strings (`multiValueHeaders`, ...); null values are left out."""
        section = self.section(name)
        found: dict[str, list[str]] = {}
        for key, values in section._data.items():
            if values is None:
                continue
            found[str(key)] = section.string_list(str(key))
        return found

    def string_list(self, name: str) -> list[str]:
        value = self._data.get(name)
        if value is None:
            return []
        if not isinstance(value, list):
            raise self._wrong(name, "a list of strings", value)
        for index, item in enumerate(value):
            if not isinstance(item, str):
                raise self._wrong(f"{name}[{index}]", "a string", item)
        return value

    def _path(self, name: str) -> str:
        shown = name if len(name) <= _SHOWN_KEY else name[:_SHOWN_KEY] + "..."
        return f"{self._where}.{shown}" if self._where else shown

    def _wrong(self, name: str, expected: str, value: Any) -> BadRequest:
        return BadRequest(
            f"The event's {self._path(name)} must be {expected}, not {_kind(value)}; "
            "this is not an event a Lambda front door sends.",
            error_code="invalid_event",
        )


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, Mapping):
        return "an object"
    return f"a {type(value).__name__}"
