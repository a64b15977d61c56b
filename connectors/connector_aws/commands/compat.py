"""The commands of the public connector-aws package, for BPMN diagrams that already use them.

Same names, arguments and success results (v1: a JSON text in `response`),
so existing diagrams read the same values. What changed, on purpose:
credentials come from the function's role (not from config keys), floats are
stored as numbers rather than strings, numeric attributes no longer break the
answer, and failures answer a v2 error envelope with AWS's error code (which a
boundary event can catch) instead of a crash.
"""

from __future__ import annotations

import json
from typing import Any

from ..arguments import mapping, text
from ..base import AwsCommand
from ..clients import Aws
from ..dynamo import deserialize, forget_schema, key_schema, serialize
from ..s3_content import parse_data_url
from .dynamodb import key_condition

JSON = "application/json"


def _v1(result: dict[str, Any]) -> dict[str, Any]:
    return {"response": json.dumps(result), "mimetype": JSON}


def _items_result(answer: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = {
        "Items": [deserialize(item) for item in answer.get("Items", [])],
        "Count": answer.get("Count", 0),
        "ScannedCount": answer.get("ScannedCount", 0),
    }
    if answer.get("LastEvaluatedKey"):
        result["LastEvaluatedKey"] = deserialize(answer["LastEvaluatedKey"])
    return result


class AddDynamoItem(AwsCommand):
    """Add (or replace) an item in a DynamoDB table."""

    service = "DynamoDB"

    def __init__(self, table_name: str, item_data: dict[str, Any]) -> None:
        self.table_name = table_name
        self.item_data = item_data

    def run(self, aws: Aws) -> dict[str, Any]:
        table_name = text("table_name", self.table_name)
        item = serialize("item_data", mapping("item_data", self.item_data) or {})
        answer = aws.client("dynamodb").put_item(TableName=table_name, Item=item)
        answer.pop("ResponseMetadata", None)
        return _v1(answer)


class QueryDynamoTable(AwsCommand):
    """Items with this partition key value (and this sort key value, when given)."""

    service = "DynamoDB"

    def __init__(self, table_name: str, partition_key: str, sort_key: str | None = None) -> None:
        self.table_name = table_name
        self.partition_key = partition_key
        self.sort_key = sort_key

    def run(self, aws: Aws) -> dict[str, Any]:
        table_name = text("table_name", self.table_name)
        client = aws.client("dynamodb")
        schema = key_schema(client, table_name)
        sort_value = self.sort_key if self.sort_key else None
        condition = key_condition(schema.partition, self.partition_key, schema.sort, sort_value, None)
        try:
            answer = aws.client("dynamodb").query(TableName=table_name, **condition)
        except Exception:
            forget_schema(client, table_name)  # the table may have been created anew with other keys
            raise
        return _v1(_items_result(answer))


class ScanDynamoTable(AwsCommand):
    """Every item of a table (one DynamoDB page, up to 1 MB)."""

    service = "DynamoDB"

    def __init__(self, table_name: str) -> None:
        self.table_name = table_name

    def run(self, aws: Aws) -> dict[str, Any]:
        table_name = text("table_name", self.table_name)
        return _v1(_items_result(aws.client("dynamodb").scan(TableName=table_name)))


class UploadFileData(AwsCommand):
    """Store a SpiffArena file (a data URL) in s3://bucket/object_name."""

    service = "S3"

    def __init__(self, file_data: str, bucket: str, object_name: str) -> None:
        self.file_data = file_data
        self.bucket = bucket
        self.object_name = object_name

    def run(self, aws: Aws) -> dict[str, Any]:
        data, mime, _name = parse_data_url("file_data", text("file_data", self.file_data))
        bucket, key = text("bucket", self.bucket), text("object_name", self.object_name)
        aws.client("s3").put_object(
            Bucket=bucket, Key=key, Body=data, ContentType=mime or "application/octet-stream"
        )
        return {"response": json.dumps({"result": "success"}), "status": 200, "mimetype": JSON}
