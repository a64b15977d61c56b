"""SNS: publish a message to a topic."""

from __future__ import annotations

from typing import Any

from ..arguments import optional_text, text
from ..base import AwsCommand
from ..clients import Aws
from ..envelopes import success
from ..messaging import message_attributes, message_body


class SnsPublish(AwsCommand):
    """Publish a message (text, or JSON for any other value) to a topic; FIFO topics need message_group_id."""

    service = "SNS"

    def __init__(
        self,
        topic_arn: str,
        message: Any,
        subject: str | None = None,
        message_attributes: dict[str, Any] | None = None,
        message_group_id: str | None = None,
        message_deduplication_id: str | None = None,
        region: str | None = None,
    ) -> None:
        self.topic_arn = topic_arn
        self.message = message
        self.subject = subject
        self.message_attributes = message_attributes
        self.message_group_id = message_group_id
        self.message_deduplication_id = message_deduplication_id
        self.region = region

    def run(self, aws: Aws) -> dict[str, Any]:
        topic_arn = text("topic_arn", self.topic_arn)
        params: dict[str, Any] = {"TopicArn": topic_arn, "Message": message_body("message", self.message)}
        subject = optional_text("subject", self.subject)
        if subject:
            params["Subject"] = subject
        attributes = message_attributes("message_attributes", self.message_attributes)
        if attributes:
            params["MessageAttributes"] = attributes
        group_id = optional_text("message_group_id", self.message_group_id)
        if group_id:
            params["MessageGroupId"] = group_id
        dedup_id = optional_text("message_deduplication_id", self.message_deduplication_id)
        if dedup_id:
            params["MessageDeduplicationId"] = dedup_id
        answer = aws.client("sns").publish(**params)
        return success(
            {
                "topic_arn": topic_arn,
                "message_id": answer.get("MessageId"),
                "sequence_number": answer.get("SequenceNumber"),
            }
        )
