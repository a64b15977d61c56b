"""Turning what boto3 hands back into plain JSON values.

DynamoDB numbers arrive as Decimal (-> int when whole, else float), binary
attributes and blobs as bytes (-> base64 text), sets as sets (-> sorted lists),
timestamps as datetimes (-> ISO 8601 text).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from decimal import Decimal


def jsonable(value: Any) -> Any:
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    from decimal import Decimal  # not at import: listing commands must not load it

    if isinstance(value, Decimal):
        return number(value)
    if isinstance(value, dict):
        return {str(key): jsonable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(item) for item in value]
    if isinstance(value, (set, frozenset)):
        items = [jsonable(item) for item in value]
        try:
            return sorted(items)
        except TypeError:
            return items
    if isinstance(value, (bytes, bytearray)):
        return _base64(bytes(value))
    if callable(getattr(value, "isoformat", None)):  # datetime, date (datetime stays unimported)
        return value.isoformat()
    inner = getattr(value, "value", None)  # boto3.dynamodb.types.Binary
    if isinstance(inner, (bytes, bytearray)):
        return _base64(bytes(inner))
    return str(value)


def number(value: Decimal) -> int | float:
    if value == value.to_integral_value():
        return int(value)
    return float(value)


def _base64(data: bytes) -> str:
    import base64

    return base64.b64encode(data).decode("ascii")
