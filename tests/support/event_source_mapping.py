"""A stand-in for Lambda's SQS event source mapping, polling a queue of moto's server.

The real mapping cannot run here (it is part of the Lambda service). This one does
what AWS documents it to do, for a mapping with `FunctionResponseTypes:
[ReportBatchItemFailures]`: it receives up to `batch_size` messages (long polling,
all system attributes), hands them to the function as one SQS event of the
documented shape (`Records` of `messageId`, `receiptHandle`, `body`, `attributes`,
`messageAttributes`, `md5OfBody`, `eventSource` "aws:sqs", `eventSourceARN`,
`awsRegion`), and then deletes every message the answer does not name in
`batchItemFailures`. An answer that raises, or whose failures name an id that is
empty or not in the batch, fails the whole batch: nothing is deleted, and the
messages come back when their visibility timeout ends.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

Function = Callable[[dict[str, Any], Any], Any]


class Batch(NamedTuple):
    event: dict[str, Any]
    answer: Any
    deleted: list[str]  # message ids


class EventSourceMapping:
    def __init__(self, sqs: Any, queue_url: str, function: Function, batch_size: int = 10) -> None:
        self.sqs = sqs
        self.queue_url = queue_url
        self.function = function
        self.batch_size = batch_size
        attributes = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]
        self.queue_arn = attributes["QueueArn"]
        self.region = self.queue_arn.split(":")[3]
        self.batches: list[Batch] = []

    def poll(self, wait_seconds: int = 1, context: Any = None) -> Batch | None:
        """One receive; when it brings messages, one invocation. None when the queue had nothing."""
        received = self.sqs.receive_message(
            QueueUrl=self.queue_url,
            MaxNumberOfMessages=self.batch_size,
            WaitTimeSeconds=wait_seconds,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        ).get("Messages", [])
        if not received:
            return None
        event = {"Records": [self._record(message) for message in received]}
        try:
            answer = self.function(event, context)
        except Exception as error:
            answer = error
        deleted = self._settle(received, answer)
        batch = Batch(event, answer, deleted)
        self.batches.append(batch)
        return batch

    def _record(self, message: dict[str, Any]) -> dict[str, Any]:
        return {
            "messageId": message["MessageId"],
            "receiptHandle": message["ReceiptHandle"],
            "body": message["Body"],
            "attributes": dict(message.get("Attributes", {})),
            "messageAttributes": {
                name: {
                    "stringValue": value.get("StringValue"),
                    "stringListValues": [],
                    "binaryListValues": [],
                    "dataType": value.get("DataType"),
                }
                for name, value in message.get("MessageAttributes", {}).items()
            },
            "md5OfBody": message["MD5OfBody"],
            "eventSource": "aws:sqs",
            "eventSourceARN": self.queue_arn,
            "awsRegion": self.region,
        }

    def _settle(self, received: list[dict[str, Any]], answer: Any) -> list[str]:
        ids = [message["MessageId"] for message in received]
        if isinstance(answer, Exception) or not isinstance(answer, dict):
            return []
        failures = answer.get("batchItemFailures") or []
        failed = {
            str(item.get("itemIdentifier") or "") if isinstance(item, dict) else "" for item in failures
        }
        if not failed <= set(ids):
            return []  # an answer the mapping cannot read fails the whole batch
        deleted = []
        for message in received:
            if message["MessageId"] not in failed:
                self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])
                deleted.append(message["MessageId"])
        return deleted
