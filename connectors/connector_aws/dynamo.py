"""DynamoDB values: JSON in (floats become Decimal, never strings), JSON out, keys and page tokens.

Uses boto3's TypeSerializer/TypeDeserializer with the low-level client (no
resource layer: cheaper to create, and the wire format makes page tokens easy).
"""

from __future__ import annotations

import json
import math
from typing import Any, NamedTuple

from .errors import InvalidArgument
from .jsonsafe import jsonable
from .lru import LruCache


def to_dynamo(argument: str, value: Any) -> Any:
    """A JSON value ready for TypeSerializer: floats as exact Decimals, everything checked."""
    from decimal import Decimal

    if isinstance(value, float):
        if not math.isfinite(value):
            raise InvalidArgument(argument, f"holds {value}, which DynamoDB cannot store.")
        return Decimal(repr(value))  # repr: 0.1 stays 0.1, not 0.1000000000000000055...
    if value is None or isinstance(value, (str, bool, int, Decimal, bytes)):
        return value
    if isinstance(value, dict):
        return {str(key): to_dynamo(argument, item) for key, item in value.items()}
    if isinstance(value, list):
        return [to_dynamo(argument, item) for item in value]
    raise InvalidArgument(argument, f"holds a {type(value).__name__}, which is not a JSON value.")


def serialize(argument: str, item: dict[str, Any]) -> dict[str, Any]:
    """A JSON object as DynamoDB attribute values (the wire format)."""
    return {name: serialize_value(argument, value) for name, value in item.items()}


def serialize_value(argument: str, value: Any) -> Any:
    """One JSON value as a DynamoDB attribute value."""
    from decimal import DecimalException

    from boto3.dynamodb.types import TypeSerializer

    try:
        return TypeSerializer().serialize(to_dynamo(argument, value))
    except DecimalException:
        raise InvalidArgument(
            argument, "holds a number DynamoDB cannot store exactly (38 digits at most)."
        ) from None
    except (TypeError, ValueError) as error:
        raise InvalidArgument(argument, f"cannot be stored in DynamoDB: {error}") from None


def deserialize(item: dict[str, Any] | None) -> dict[str, Any] | None:
    """DynamoDB attribute values as a plain JSON object (numbers as int/float)."""
    if item is None:
        return None
    from boto3.dynamodb.types import TypeDeserializer

    deserializer = TypeDeserializer()
    return {name: jsonable(deserializer.deserialize(value)) for name, value in item.items()}


class KeyPart(NamedTuple):
    name: str
    type: str  # "S", "N" or "B"


class KeySchema(NamedTuple):
    partition: KeyPart
    sort: KeyPart | None


_SchemaKey = tuple[str, str, str, "str | None"]
# Table and index names are the caller's: the key schemas of the ones used last.
_schemas: LruCache[_SchemaKey, KeySchema] = LruCache(64)


def _schema_key(client: Any, table_name: str, index_name: str | None) -> _SchemaKey:
    return (str(client.meta.region_name), str(client.meta.endpoint_url), table_name, index_name)


def key_schema(client: Any, table_name: str, index_name: str | None = None) -> KeySchema:
    """The table's (or index's) key attribute names and types, from DescribeTable; cached while warm."""
    cache_key = _schema_key(client, table_name, index_name)
    cached = _schemas.get(cache_key)
    if cached is not None:
        return cached
    table = client.describe_table(TableName=table_name)["Table"]
    schema = table["KeySchema"]
    if index_name is not None:
        indexes = table.get("GlobalSecondaryIndexes", []) + table.get("LocalSecondaryIndexes", [])
        matching = [index for index in indexes if index["IndexName"] == index_name]
        if not matching:
            names = ", ".join(index["IndexName"] for index in indexes) or "none"
            raise InvalidArgument("index_name", f"names no index of table {table_name} (it has: {names}).")
        schema = matching[0]["KeySchema"]
    types = {
        attribute["AttributeName"]: attribute["AttributeType"] for attribute in table["AttributeDefinitions"]
    }
    parts = {part["KeyType"]: KeyPart(part["AttributeName"], types[part["AttributeName"]]) for part in schema}
    return _schemas.put(cache_key, KeySchema(parts["HASH"], parts.get("RANGE")))


def forget_schema(client: Any, table_name: str) -> None:
    """Drop a cached schema (the table may have been deleted and created again)."""
    table = _schema_key(client, table_name, None)[:3]
    _schemas.discard(lambda key: key[:3] == table)


def clear_schemas() -> None:
    _schemas.clear()


def key_value(argument: str, value: Any, part: KeyPart) -> Any:
    """A key value in the attribute's type: form fields send "1982" for a number key."""
    from decimal import Decimal, InvalidOperation

    if isinstance(value, bool) or value is None or isinstance(value, (dict, list)):
        raise InvalidArgument(
            argument, f"must be a {_TYPE_NAMES[part.type]} for key attribute '{part.name}'."
        )
    if part.type == "N":
        if isinstance(value, str):
            try:
                number = Decimal(value.strip())
            except InvalidOperation:
                raise InvalidArgument(
                    argument, f"must be a number for key attribute '{part.name}', not {value!r}."
                ) from None
            if not number.is_finite():
                raise InvalidArgument(argument, f"must be a finite number, not {value!r}.")
            return number
        return to_dynamo(argument, value)
    if part.type == "B":
        from .s3_content import decode_base64

        return decode_base64(argument, str(value))
    if isinstance(value, float):
        return repr(value)
    return str(value)


_TYPE_NAMES = {"S": "string", "N": "number", "B": "base64 string"}


def encode_token(last_evaluated_key: dict[str, Any] | None) -> str | None:
    """An opaque page token for a LastEvaluatedKey in wire format (keys are S, N or B)."""
    if not last_evaluated_key:
        return None
    import base64

    plain = {}
    for name, typed in last_evaluated_key.items():
        ((kind, value),) = typed.items()
        plain[name] = [kind, base64.b64encode(value).decode() if kind == "B" else value]
    return base64.urlsafe_b64encode(json.dumps(plain, separators=(",", ":")).encode()).decode()


def decode_token(argument: str, token: str | None) -> dict[str, Any] | None:
    if token is None:
        return None
    import base64
    import binascii

    problem = "is not a next_token this command returned."
    try:
        plain = json.loads(base64.urlsafe_b64decode(token.encode() + b"=" * (-len(token) % 4)))
    except (binascii.Error, ValueError):
        raise InvalidArgument(argument, problem) from None
    if not isinstance(plain, dict):
        raise InvalidArgument(argument, problem)
    key = {}
    for name, pair in plain.items():
        if not (
            isinstance(pair, list) and len(pair) == 2 and pair[0] in _TYPE_NAMES and isinstance(pair[1], str)
        ):
            raise InvalidArgument(argument, problem)
        kind, value = pair
        key[name] = {kind: base64.b64decode(value) if kind == "B" else value}
    return key
