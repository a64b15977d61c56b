"""Kept results on AWS: a DynamoDB table holds them, delayed SQS messages wake the function for each attempt.

Why both: SQS alone hides a message while it waits (delayed or in flight), so
nobody could list the waiting results, redeliver one now or drop one; a table
can. The queue stays what it is good at, a timer that invokes the function (an
event source mapping with `ReportBatchItemFailures`). Its messages carry only a
run id and a wake-up token, never a result, so nothing in the queue is secret.

The table (encrypted at rest, as every DynamoDB table is; with a KMS key of
your own if the template is given one) holds one item per result. The body is
compressed; one that is still too large for an item (400 KB) is split over
further items `<run id>#1`, `#2`, ... written before the item that names them.
DynamoDB's time to live deletes items after `keep_until`.

Wake-ups: whoever schedules an attempt sends the message first and then writes
its token into the item, so a token the item names always has a message on the
way; a message whose token the item no longer names is an old one and is
dropped. So a crash anywhere leaves at worst an extra message, never a result
without one.
"""

from __future__ import annotations

import json
import math
import time
import uuid
import zlib
from typing import Any

from .. import aws
from .keeper import Claim, KeeperError
from .stored import WAITING, StoredResult

# What the store's clients wait for: a result's keeping must not eat the delivery's time.
STORE_TIMEOUTS = aws.Timeouts(connect=3.0, read=10.0, attempts=4)
# An item may hold 400 KB; the body gets what the other attributes leave.
_CHUNK_BYTES = 350 * 1024
# BatchWriteItem takes 25 requests, BatchGetItem 100 keys.
_WRITE_BATCH, _READ_BATCH = 25, 100
# An SQS message waits at most 15 minutes before it is delivered.
_MAX_DELAY_SECONDS = 900
_NUMBERS = ("created_at", "attempts", "rounds", "next_at", "lease_until", "keep_until", "parts")
_TEXTS = ("command_id", "callback_url", "state", "last_outcome", "last_answer", "wake_token")
_LABELS = ("process_instance_id", "spiff_task_id")


class AwsKeeper:
    def __init__(self, table: str, queue_url: str, region: str | None = None) -> None:
        self.table = table
        self.queue_url = queue_url
        self.region = region or _region_of(table, queue_url)

    @property
    def where(self) -> str:
        return f"DynamoDB table {self.table.rsplit('/', 1)[-1]}"

    def keep(self, result: StoredResult) -> StoredResult:
        result = result._replace(wake_token=_token())
        chunks = _chunks(zlib.compress(result.body, 6))
        try:
            if len(chunks) > 1:
                self._write_chunks(result.run_id, chunks, result.keep_until)
            self._wake(result.run_id, result.wake_token, result.next_at)
            item = _item(
                result, chunks[0] if len(chunks) == 1 else None, len(chunks) if len(chunks) > 1 else 0
            )
            self._dynamodb().put_item(TableName=self.table, Item=item)
        except Exception as error:
            raise _failed("keep", error) from None
        return result

    def claim(self, run_id: str, wake_token: str | None, now: float, lease_until: float) -> Claim:
        condition = "#state = :waiting AND next_at <= :now AND lease_until <= :now"
        values = {":waiting": {"S": WAITING}, ":now": _n(now), ":lease": _n(lease_until)}
        if wake_token is not None:
            condition += " AND wake_token = :token"
            values[":token"] = {"S": wake_token}
        client = self._dynamodb()
        try:
            answer = client.update_item(
                TableName=self.table,
                Key=_key(run_id),
                UpdateExpression="SET lease_until = :lease",
                ConditionExpression=condition,
                ExpressionAttributeNames={"#state": "state"},
                ExpressionAttributeValues=values,
                ReturnValues="ALL_NEW",
            )
        except client.exceptions.ConditionalCheckFailedException:
            return self._why_not(run_id, wake_token)
        except Exception as error:
            raise _failed("claim", error) from None
        return Claim(result=self._with_body(answer["Attributes"]))

    def save(self, result: StoredResult) -> None:
        fields = {
            "state": {"S": result.state},
            "attempts": _n(result.attempts),
            "rounds": _n(result.rounds),
            "next_at": _n(result.next_at),
            "lease_until": _n(result.lease_until),
            "keep_until": _n(result.keep_until),
            "wake_token": {"S": result.wake_token},
        }
        for name in ("last_outcome", "last_answer"):
            value = getattr(result, name)
            if value is not None:
                fields[name] = {"S": value}
        names = {f"#{index}": name for index, name in enumerate(fields)}
        try:
            self._dynamodb().update_item(
                TableName=self.table,
                Key=_key(result.run_id),
                UpdateExpression="SET " + ", ".join(f"#{index} = :{index}" for index in range(len(fields))),
                # Never resurrect a result an operator dropped meanwhile.
                ConditionExpression="attribute_exists(run_id)",
                ExpressionAttributeNames=names,
                ExpressionAttributeValues={f":{index}": value for index, value in enumerate(fields.values())},
            )
        except Exception as error:
            if _is_conditional_failure(error):
                return
            raise _failed("save", error) from None

    def reschedule(self, result: StoredResult) -> None:
        token = _token()
        try:
            self._wake(result.run_id, token, result.next_at)
        except Exception as error:
            raise _failed("schedule", error) from None
        self.save(result._replace(wake_token=token))

    def snooze(self, run_id: str, wake_token: str, at: float) -> None:
        try:
            self._wake(run_id, wake_token, at)
        except Exception as error:
            raise _failed("schedule", error) from None

    def remove(self, run_id: str) -> None:
        client = self._dynamodb()
        try:
            answer = client.delete_item(TableName=self.table, Key=_key(run_id), ReturnValues="ALL_OLD")
            parts = int(answer.get("Attributes", {}).get("parts", {}).get("N", "0"))
            keys = [_key(f"{run_id}#{part}") for part in range(1, parts + 1)]
            for start in range(0, len(keys), _WRITE_BATCH):
                self._batch_write(
                    [{"DeleteRequest": {"Key": key}} for key in keys[start : start + _WRITE_BATCH]]
                )
        except Exception as error:
            raise _failed("remove", error) from None

    def results(self) -> list[StoredResult]:
        found: list[StoredResult] = []
        names = {f"#{index}": name for index, name in enumerate(("run_id", *_NUMBERS, *_TEXTS, *_LABELS))}
        arguments: dict[str, Any] = {
            "TableName": self.table,
            "ProjectionExpression": ", ".join(names),
            "ExpressionAttributeNames": names,
            "FilterExpression": "attribute_exists(#1)",  # created_at: result items, not body parts
            "ConsistentRead": True,
        }
        try:
            while True:
                page = self._dynamodb().scan(**arguments)
                found += [_result(item, b"") for item in page.get("Items", [])]
                if "LastEvaluatedKey" not in page:
                    return found
                arguments["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        except Exception as error:
            raise _failed("list", error) from None

    def redeliver_now(self, run_id: str, now: float) -> bool:
        token = _token()
        try:
            if self._get(run_id) is None:
                return False
            self._wake(run_id, token, now)
        except Exception as error:
            raise _failed("redeliver", error) from None
        fields = {":waiting": {"S": WAITING}, ":now": _n(now), ":zero": _n(0), ":token": {"S": token}}
        client = self._dynamodb()
        try:
            client.update_item(
                TableName=self.table,
                Key=_key(run_id),
                UpdateExpression=(
                    "SET #state = :waiting, next_at = :now, lease_until = :zero, wake_token = :token"
                ),
                ConditionExpression="attribute_exists(run_id)",
                ExpressionAttributeNames={"#state": "state"},
                ExpressionAttributeValues=fields,
            )
        except Exception as error:
            if _is_conditional_failure(error):
                return False
            raise _failed("redeliver", error) from None
        return True

    # The wire below.

    def _why_not(self, run_id: str, wake_token: str | None) -> Claim:
        try:
            item = self._get(run_id)
        except Exception as error:
            raise _failed("claim", error) from None
        if item is None:
            return Claim()
        found = _result(item, b"")
        if found.state != WAITING or (wake_token is not None and found.wake_token != wake_token):
            return Claim()
        return Claim(retry_at=max(found.next_at, found.lease_until))

    def _get(self, run_id: str) -> dict[str, Any] | None:
        answer = self._dynamodb().get_item(TableName=self.table, Key=_key(run_id), ConsistentRead=True)
        item: dict[str, Any] | None = answer.get("Item")
        return item

    def _with_body(self, item: dict[str, Any]) -> StoredResult:
        parts = int(item.get("parts", {}).get("N", "0"))
        if not parts:
            return _result(item, zlib.decompress(item["body"]["B"]))
        keys = [_key(f"{item['run_id']['S']}#{part}") for part in range(1, parts + 1)]
        chunks: dict[str, bytes] = {}
        for start in range(0, len(keys), _READ_BATCH):
            pending: dict[str, Any] = {
                self.table: {"Keys": keys[start : start + _READ_BATCH], "ConsistentRead": True}
            }
            while pending:
                answer = self._dynamodb().batch_get_item(RequestItems=pending)
                for found in answer.get("Responses", {}).get(self.table, []):
                    chunks[found["run_id"]["S"]] = found["chunk"]["B"]
                pending = answer.get("UnprocessedKeys") or {}
        compressed = b"".join(chunks[key["run_id"]["S"]] for key in keys)
        return _result(item, zlib.decompress(compressed))

    def _write_chunks(self, run_id: str, chunks: list[bytes], keep_until: float) -> None:
        # With a time to live of their own: parts a crash left without their result go too.
        requests = [
            {
                "PutRequest": {
                    "Item": {**_key(f"{run_id}#{index}"), "chunk": {"B": chunk}, "keep_until": _n(keep_until)}
                }
            }
            for index, chunk in enumerate(chunks, start=1)
        ]
        for start in range(0, len(requests), _WRITE_BATCH):
            self._batch_write(requests[start : start + _WRITE_BATCH])

    def _batch_write(self, requests: list[dict[str, Any]]) -> None:
        pending: dict[str, Any] = {self.table: requests}
        while pending:
            answer = self._dynamodb().batch_write_item(RequestItems=pending)
            pending = answer.get("UnprocessedItems") or {}

    def _wake(self, run_id: str, wake_token: str, at: float) -> None:
        delay = min(max(math.ceil(at - time.time()), 0), _MAX_DELAY_SECONDS)
        body = json.dumps({"run_id": run_id, "wake_token": wake_token}, separators=(",", ":"))
        self._sqs().send_message(QueueUrl=self.queue_url, MessageBody=body, DelaySeconds=delay)

    def _dynamodb(self) -> Any:
        return aws.client("dynamodb", self.region, STORE_TIMEOUTS)

    def _sqs(self) -> Any:
        return aws.client("sqs", self.region, STORE_TIMEOUTS)


def wake_up(body: str) -> tuple[str, str] | None:
    """(run id, wake-up token) of a queue message's body; None for anything else."""
    try:
        parsed = json.loads(body)
    except (ValueError, RecursionError):
        return None
    if not isinstance(parsed, dict):
        return None
    run_id, token = parsed.get("run_id"), parsed.get("wake_token")
    if not (
        isinstance(run_id, str) and isinstance(token, str) and 0 < len(run_id) <= 100 and len(token) <= 100
    ):
        return None
    return run_id, token


def _region_of(table: str, queue_url: str) -> str | None:
    # arn:aws:dynamodb:<region>:..., https://sqs.<region>.amazonaws.com/...; else the function's own.
    if table.startswith("arn:"):
        return table.split(":")[3] or None
    host = queue_url.split("/")[2] if queue_url.count("/") >= 2 else ""
    parts = host.split(".")
    return parts[1] if len(parts) > 2 and parts[0] == "sqs" else None


def _token() -> str:
    return uuid.uuid4().hex


def _chunks(compressed: bytes) -> list[bytes]:
    return [
        compressed[start : start + _CHUNK_BYTES] for start in range(0, len(compressed), _CHUNK_BYTES)
    ] or [b""]


def _n(value: float) -> dict[str, str]:
    return {"N": repr(round(value, 3)) if isinstance(value, float) else str(value)}


def _key(run_id: str) -> dict[str, Any]:
    return {"run_id": {"S": run_id}}


def _item(result: StoredResult, body: bytes | None, parts: int) -> dict[str, Any]:
    item: dict[str, Any] = _key(result.run_id)
    for name in _NUMBERS:
        if name != "parts":
            item[name] = _n(getattr(result, name))
    for name in _TEXTS:
        value = getattr(result, name)
        if value is not None:
            item[name] = {"S": value}
    for name in _LABELS:
        value = getattr(result, name)
        if isinstance(value, bool) or value is None:
            continue
        item[name] = _n(value) if isinstance(value, int) else {"S": str(value)}
    if body is not None:
        item["body"] = {"B": body}
    else:
        item["parts"] = _n(parts)
    return item


def _result(item: dict[str, Any], body: bytes) -> StoredResult:
    def number(name: str) -> float:
        return float(item[name]["N"]) if name in item else 0.0

    def text(name: str) -> str | None:
        return item[name]["S"] if name in item else None

    labels: dict[str, str | int | None] = {}
    for name in _LABELS:
        value = item.get(name, {})
        labels[name] = int(value["N"]) if "N" in value else value.get("S")
    return StoredResult(
        run_id=item["run_id"]["S"],
        command_id=text("command_id") or "",
        callback_url=text("callback_url") or "",
        body=body,
        created_at=number("created_at"),
        process_instance_id=labels["process_instance_id"],
        spiff_task_id=labels["spiff_task_id"],
        state=text("state") or WAITING,
        attempts=int(number("attempts")),
        rounds=int(number("rounds")),
        last_outcome=text("last_outcome"),
        last_answer=text("last_answer"),
        next_at=number("next_at"),
        lease_until=number("lease_until"),
        wake_token=text("wake_token") or "",
        keep_until=number("keep_until"),
    )


def _is_conditional_failure(error: Exception) -> bool:
    return aws.error_code(error) == "ConditionalCheckFailedException" if hasattr(error, "response") else False


def _failed(operation: str, error: Exception) -> KeeperError:
    # The AWS error code or the exception's class: AWS's messages name accounts and roles.
    cause = aws.error_code(error) if hasattr(error, "response") else type(error).__name__
    return KeeperError(f"could not {operation} the result ({cause})")
