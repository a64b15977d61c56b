"""DynamoDB commands: put, get, query, scan and delete items, as plain JSON.

Numbers go in as JSON numbers (floats are stored as exact Decimals, never as
strings) and come back as JSON numbers. Query and scan answer one page; pass
`next_token` back to get the next one.
"""

from __future__ import annotations

from typing import Any

from ..arguments import choice, flag, integer, mapping, optional_text, text
from ..base import AwsCommand
from ..clients import Aws
from ..dynamo import (
    KeyPart,
    decode_token,
    deserialize,
    encode_token,
    forget_schema,
    key_schema,
    key_value,
    serialize,
    serialize_value,
)
from ..envelopes import success
from ..errors import InvalidArgument

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
SORT_KEY_OPERATORS = {
    "=": "=",
    "eq": "=",
    "<": "<",
    "lt": "<",
    "<=": "<=",
    "le": "<=",
    ">": ">",
    "gt": ">",
    ">=": ">=",
    "ge": ">=",
    "begins_with": "begins_with",
    "between": "between",
}


def _page(table_name: str, answer: dict[str, Any]) -> dict[str, Any]:
    return {
        "table_name": table_name,
        "items": [deserialize(item) for item in answer.get("Items", [])],
        "count": answer.get("Count", 0),
        "scanned_count": answer.get("ScannedCount", 0),
        "next_token": encode_token(answer.get("LastEvaluatedKey")),
    }


class DynamoPutItem(AwsCommand):
    """Write an item (a JSON object holding at least the table's key attributes), replacing any old one."""

    service = "DynamoDB"

    def __init__(self, table_name: str, item: dict[str, Any], region: str | None = None) -> None:
        self.table_name = table_name
        self.item = item
        self.region = region

    def run(self, aws: Aws) -> dict[str, Any]:
        table_name = text("table_name", self.table_name)
        item = serialize("item", mapping("item", self.item) or {})
        aws.client("dynamodb").put_item(TableName=table_name, Item=item)
        return success({"table_name": table_name, "item": deserialize(item)})


class DynamoGetItem(AwsCommand):
    """Read the item with this key (a JSON object of the key attributes); found: false if none."""

    service = "DynamoDB"

    def __init__(
        self,
        table_name: str,
        key: dict[str, Any],
        consistent_read: bool | None = None,
        region: str | None = None,
    ) -> None:
        self.table_name = table_name
        self.key = key
        self.consistent_read = consistent_read
        self.region = region

    def run(self, aws: Aws) -> dict[str, Any]:
        table_name = text("table_name", self.table_name)
        key = serialize("key", mapping("key", self.key) or {})
        answer = aws.client("dynamodb").get_item(
            TableName=table_name,
            Key=key,
            ConsistentRead=flag("consistent_read", self.consistent_read),
        )
        item = deserialize(answer.get("Item"))
        return success(
            {"table_name": table_name, "key": deserialize(key), "found": item is not None, "item": item}
        )


class DynamoQuery(AwsCommand):
    """Items with this partition key value, optionally narrowed by a condition on the sort key.

    sort_key_operator: = (default), <, <=, >, >=, begins_with, or between (then
    sort_key is a [low, high] pair). Key names and types come from the table.
    """

    service = "DynamoDB"
    too_large_advice = "Ask for fewer items (limit) and page through them with next_token."

    def __init__(
        self,
        table_name: str,
        partition_key: Any,
        sort_key: Any = None,
        sort_key_operator: str | None = None,
        index_name: str | None = None,
        limit: int | None = None,
        next_token: str | None = None,
        descending: bool | None = None,
        region: str | None = None,
    ) -> None:
        self.table_name = table_name
        self.partition_key = partition_key
        self.sort_key = sort_key
        self.sort_key_operator = sort_key_operator
        self.index_name = index_name
        self.limit = limit
        self.next_token = next_token
        self.descending = descending
        self.region = region

    def run(self, aws: Aws) -> dict[str, Any]:
        table_name = text("table_name", self.table_name)
        index_name = optional_text("index_name", self.index_name)
        operator = choice("sort_key_operator", self.sort_key_operator, SORT_KEY_OPERATORS)
        params: dict[str, Any] = {
            "TableName": table_name,
            "Limit": integer("limit", self.limit, DEFAULT_LIMIT, 1, MAX_LIMIT),
            "ScanIndexForward": not flag("descending", self.descending),
        }
        start = decode_token("next_token", optional_text("next_token", self.next_token))
        if start:
            params["ExclusiveStartKey"] = start
        if index_name:
            params["IndexName"] = index_name
        client = aws.client("dynamodb")
        schema = key_schema(client, table_name, index_name)
        params.update(
            key_condition(schema.partition, self.partition_key, schema.sort, self.sort_key, operator)
        )
        try:
            answer = aws.client("dynamodb").query(**params)
        except Exception:
            forget_schema(client, table_name)  # the table may have been created anew with other keys
            raise
        return success(_page(table_name, answer))


def key_condition(
    partition: KeyPart, partition_value: Any, sort: KeyPart | None, sort_value: Any, operator: str | None
) -> dict[str, Any]:
    """KeyConditionExpression with its names and values, from plain arguments."""
    names = {"#pk": partition.name}
    values = {":pk": _typed("partition_key", partition_value, partition)}
    expression = "#pk = :pk"
    if sort_value is None or sort_value == "":
        if operator is not None:
            raise InvalidArgument("sort_key", f"is needed with sort_key_operator '{operator}'.")
    elif sort is None:
        raise InvalidArgument("sort_key", "was given, but the table (or index) has no sort key.")
    else:
        names["#sk"] = sort.name
        operator = operator or "="
        if operator == "between":
            if not (isinstance(sort_value, list) and len(sort_value) == 2):
                raise InvalidArgument(
                    "sort_key", "must be a [low, high] pair with sort_key_operator 'between'."
                )
            values[":low"] = _typed("sort_key", sort_value[0], sort)
            values[":high"] = _typed("sort_key", sort_value[1], sort)
            expression += " AND #sk BETWEEN :low AND :high"
        else:
            values[":sk"] = _typed("sort_key", sort_value, sort)
            condition = "begins_with(#sk, :sk)" if operator == "begins_with" else f"#sk {operator} :sk"
            expression += f" AND {condition}"
    return {
        "KeyConditionExpression": expression,
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": values,
    }


def _typed(argument: str, value: Any, part: KeyPart) -> Any:
    return serialize_value(argument, key_value(argument, value, part))


class DynamoScan(AwsCommand):
    """One page of the table's items (at most `limit`); pass next_token back for the next page."""

    service = "DynamoDB"
    too_large_advice = "Ask for fewer items (limit) and page through them with next_token."

    def __init__(
        self,
        table_name: str,
        limit: int | None = None,
        next_token: str | None = None,
        region: str | None = None,
    ) -> None:
        self.table_name = table_name
        self.limit = limit
        self.next_token = next_token
        self.region = region

    def run(self, aws: Aws) -> dict[str, Any]:
        table_name = text("table_name", self.table_name)
        params: dict[str, Any] = {
            "TableName": table_name,
            "Limit": integer("limit", self.limit, DEFAULT_LIMIT, 1, MAX_LIMIT),
        }
        start = decode_token("next_token", optional_text("next_token", self.next_token))
        if start:
            params["ExclusiveStartKey"] = start
        return success(_page(table_name, aws.client("dynamodb").scan(**params)))


class DynamoDeleteItem(AwsCommand):
    """Delete the item with this key; answers the deleted item, or deleted false when there was none."""

    service = "DynamoDB"

    def __init__(self, table_name: str, key: dict[str, Any], region: str | None = None) -> None:
        self.table_name = table_name
        self.key = key
        self.region = region

    def run(self, aws: Aws) -> dict[str, Any]:
        table_name = text("table_name", self.table_name)
        key = serialize("key", mapping("key", self.key) or {})
        answer = aws.client("dynamodb").delete_item(TableName=table_name, Key=key, ReturnValues="ALL_OLD")
        old = deserialize(answer.get("Attributes"))
        return success(
            {"table_name": table_name, "key": deserialize(key), "deleted": old is not None, "item": old}
        )
