"""Checking command arguments as they arrive from JSON (or from a modeller's form field).

Each helper returns the clean value or raises InvalidArgument naming the
argument, so a bad parameter answers 400 instead of a stack trace.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from .errors import InvalidArgument

_TRUE = ("true", "yes", "1", "on")
# Every AWS region's name: a partition's prefix (us, eu, cn, us-gov, us-isob, eusc-de, ...), a
# direction or place, a number. Checked before a client is made: each region's client costs memory.
_REGION = re.compile(r"[a-z]{2,4}(-[a-z]+){1,3}-[0-9]{1,2}")
_FALSE = ("false", "no", "0", "off", "")


def text(name: str, value: Any) -> str:
    """A required, non-empty string."""
    if not isinstance(value, str):
        raise InvalidArgument(name, f"must be a string, not {_kind(value)}.")
    if not value.strip():
        raise InvalidArgument(name, "must not be empty.")
    return value


def optional_text(name: str, value: Any) -> str | None:
    if value is None or value == "":
        return None
    return text(name, value)


def region(name: str, value: Any) -> str | None:
    """An AWS region's name (`us-east-1`, `eu-central-2`, `us-gov-west-1`), or None for the default."""
    given = optional_text(name, value)
    if given is not None and not _REGION.fullmatch(given):
        shown = given if len(given) <= 40 and given.isprintable() else f"{given[:40]!r}..."
        raise InvalidArgument(name, f"must be an AWS region such as us-east-1 or eu-central-2, not {shown}.")
    return given


def integer(name: str, value: Any, default: int, low: int, high: int) -> int:
    """A whole number within [low, high]; numeric strings (form fields) are accepted."""
    if value is None or value == "":
        return default
    number: Any = value
    if isinstance(value, str):
        try:
            number = int(value.strip())
        except ValueError:
            raise InvalidArgument(name, f"must be a whole number, not {value!r}.") from None
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    if isinstance(number, bool) or not isinstance(number, int):
        raise InvalidArgument(name, f"must be a whole number, not {_kind(value)}.")
    if not low <= number <= high:
        raise InvalidArgument(name, f"must be between {low} and {high}, not {number}.")
    return number


def flag(name: str, value: Any, default: bool = False) -> bool:
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _TRUE + _FALSE:
        return value.strip().lower() in _TRUE
    raise InvalidArgument(name, f"must be true or false, not {value!r}.")


def choice(name: str, value: Any, options: Mapping[str, str], default: str | None = None) -> str | None:
    """One of `options` (accepted spelling -> canonical value), case-insensitive."""
    if value is None or value == "":
        return default
    if isinstance(value, str) and value.strip().lower() in options:
        return options[value.strip().lower()]
    accepted = ", ".join(sorted(set(options.values())))
    raise InvalidArgument(name, f"must be one of {accepted}, not {value!r}.")


def mapping(name: str, value: Any, required: bool = True) -> dict[str, Any] | None:
    """A JSON object with string keys (required: also non-empty)."""
    if value is None and not required:
        return None
    if not isinstance(value, dict) or not all(isinstance(key, str) for key in value):
        raise InvalidArgument(name, f"must be a JSON object, not {_kind(value)}.")
    if required and not value:
        raise InvalidArgument(name, "must not be an empty object.")
    return value


def _kind(value: Any) -> str:
    names = {dict: "an object", list: "an array", str: "a string", bool: "a boolean", type(None): "null"}
    return names.get(type(value), "a number" if isinstance(value, (int, float)) else type(value).__name__)
