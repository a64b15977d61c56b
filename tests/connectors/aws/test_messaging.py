"""aws/SqsSendMessage and aws/SnsPublish against moto, through lambda_handler."""

from __future__ import annotations

import json
from typing import Any

from support.moto_endpoint import AwsTestBed


def receive(sqs: Any, url: str) -> list[dict[str, Any]]:
    answer = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"])
    return list(answer.get("Messages", []))


def test_send_by_name_and_by_url(aws: AwsTestBed) -> None:
    sqs = aws.client("sqs")
    url = sqs.create_queue(QueueName="orders")["QueueUrl"]
    body = aws.body(
        "SqsSendMessage",
        queue="orders",
        message={"order": 7, "total": 9.5},
        message_attributes={"kind": "new", "priority": 2},
    )
    assert body["queue_url"] == url and body["message_id"]
    aws.body("SqsSendMessage", queue=url, message="plain text", delay_seconds=0)

    messages = receive(sqs, url)
    assert [json.loads(messages[0]["Body"]), messages[1]["Body"]] == [
        {"order": 7, "total": 9.5},
        "plain text",
    ]
    assert messages[0]["MessageId"] == body["message_id"]
    assert messages[0]["MessageAttributes"] == {
        "kind": {"DataType": "String", "StringValue": "new"},
        "priority": {"DataType": "Number", "StringValue": "2"},
    }


def test_fifo_queue_takes_group_and_deduplication_ids(aws: AwsTestBed) -> None:
    sqs = aws.client("sqs")
    url = sqs.create_queue(QueueName="steps.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
    body = aws.body(
        "SqsSendMessage",
        queue="steps.fifo",
        message="step 1",
        message_group_id="case-42",
        message_deduplication_id="case-42-step-1",
    )
    assert body["sequence_number"]
    # The same deduplication id again is accepted and dropped by SQS.
    aws.body(
        "SqsSendMessage",
        queue="steps.fifo",
        message="step 1",
        message_group_id="case-42",
        message_deduplication_id="case-42-step-1",
    )
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"])["Messages"]
    assert len(messages) == 1
    assert messages[0]["Attributes"]["MessageGroupId"] == "case-42"
    status, code, _ = aws.error("SqsSendMessage", queue="steps.fifo", message="no group")
    assert status == 400 and code


def test_missing_queue(aws: AwsTestBed) -> None:
    status, code, message = aws.error("SqsSendMessage", queue="no-such-queue", message="hello")
    assert (status, code) == (400, "AWS.SimpleQueueService.NonExistentQueue")
    assert "does not exist" in message


def test_publish_reaches_a_subscribed_queue(aws: AwsTestBed) -> None:
    sns, sqs = aws.client("sns"), aws.client("sqs")
    topic = sns.create_topic(Name="case-events")["TopicArn"]
    url = sqs.create_queue(QueueName="case-events-copy")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)

    body = aws.body(
        "SnsPublish",
        topic_arn=topic,
        message={"case": 42, "state": "approved"},
        subject="Case approved",
        message_attributes={"state": "approved"},
    )
    assert body["topic_arn"] == topic and body["message_id"]

    (delivered,) = receive(sqs, url)
    envelope = json.loads(delivered["Body"])
    assert envelope["MessageId"] == body["message_id"]
    assert json.loads(envelope["Message"]) == {"case": 42, "state": "approved"}
    assert envelope["Subject"] == "Case approved"
    assert envelope["MessageAttributes"]["state"]["Value"] == "approved"


def test_missing_topic(aws: AwsTestBed) -> None:
    topic = "arn:aws:sns:us-east-1:123456789012:no-such-topic"
    status, code, _ = aws.error("SnsPublish", topic_arn=topic, message="hello")
    assert (status, code) == (404, "NotFound")
