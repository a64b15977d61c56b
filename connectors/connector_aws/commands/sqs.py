"""SQS: send a message to a queue given by URL or name."""

from __future__ import annotations

from typing import Any

from ..arguments import integer, optional_text, text
from ..base import AwsCommand
from ..clients import Aws
from ..envelopes import success
from ..messaging import forget_queue, message_attributes, message_body, queue_url


class SqsSendMessage(AwsCommand):
    """Send a message (text, or JSON for any other value); FIFO queues need message_group_id."""

    service = "SQS"

    def __init__(
        self,
        queue: str,
        message: Any,
        message_group_id: str | None = None,
        message_deduplication_id: str | None = None,
        delay_seconds: int | None = None,
        message_attributes: dict[str, Any] | None = None,
        region: str | None = None,
    ) -> None:
        self.queue = queue
        self.message = message
        self.message_group_id = message_group_id
        self.message_deduplication_id = message_deduplication_id
        self.delay_seconds = delay_seconds
        self.message_attributes = message_attributes
        self.region = region

    def run(self, aws: Aws) -> dict[str, Any]:
        queue = text("queue", self.queue)
        params: dict[str, Any] = {"MessageBody": message_body("message", self.message)}
        group_id = optional_text("message_group_id", self.message_group_id)
        if group_id:
            params["MessageGroupId"] = group_id
        dedup_id = optional_text("message_deduplication_id", self.message_deduplication_id)
        if dedup_id:
            params["MessageDeduplicationId"] = dedup_id
        delay: Any = self.delay_seconds  # forms send "" for an empty field, whatever the annotation says
        if delay not in (None, ""):
            params["DelaySeconds"] = integer("delay_seconds", delay, 0, 0, 900)
        attributes = message_attributes("message_attributes", self.message_attributes)
        if attributes:
            params["MessageAttributes"] = attributes
        client = aws.client("sqs")
        try:
            url = queue_url(client, queue)
            answer = aws.client("sqs").send_message(QueueUrl=url, **params)
        except Exception:
            forget_queue(queue)
            raise
        return success(
            {
                "queue_url": url,
                "message_id": answer.get("MessageId"),
                "sequence_number": answer.get("SequenceNumber"),
                "md5_of_message_body": answer.get("MD5OfMessageBody"),
            }
        )
