"""At DEBUG, the aws connector's requests leave no payload or credential in the logs.

Lambda's log-level controls can set the root logger to DEBUG; botocore would
then print request parameters, bodies, the signed request (session token
included) and whole responses. These tests start from loggers nobody
configured, as a fresh process has them, and capture everything at DEBUG.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
from support.moto_endpoint import AwsTestBed

from spiff_outbound import wire_logs

SECRETS = {
    "AWS_ACCESS_KEY_ID": "AKIAZQZQZQZQ12345678",
    "AWS_SECRET_ACCESS_KEY": "SecretKey-Zq-0123456789",
    "AWS_SESSION_TOKEN": "SessionToken-Zq-0123456789",
}
PAYLOAD = "payload-Zq-" + "p" * 40


@pytest.fixture
def fresh_loggers() -> Iterator[None]:
    for name in wire_logs.WIRE_LOGGERS:
        logging.getLogger(name).setLevel(logging.NOTSET)
    yield
    wire_logs.quiet()


@pytest.fixture
def debug_everywhere(aws: AwsTestBed, fresh_loggers: None, caplog: pytest.LogCaptureFixture) -> Any:
    caplog.set_level(logging.DEBUG)
    return caplog


def test_s3_and_sqs_at_debug(
    aws: AwsTestBed, debug_everywhere: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    aws.client("s3").create_bucket(Bucket="debug-bucket")
    queue_url = aws.client("sqs").create_queue(QueueName="debug-queue")["QueueUrl"]
    debug_everywhere.clear()
    assert aws.do("S3PutObject", bucket="debug-bucket", key="k.txt", content=PAYLOAD).status == 200
    assert aws.body("S3GetObject", bucket="debug-bucket", key="k.txt")["content"] == PAYLOAD
    assert aws.do("SqsSendMessage", queue=queue_url, message={"body": PAYLOAD}).status == 200
    said = "\n".join(f"{record.name}: {record.getMessage()}" for record in debug_everywhere.records)
    assert "spiff_lambda_proxy" in said  # the capture works: the proxy's own lines are there
    for secret in (PAYLOAD, *SECRETS.values()):
        assert secret not in said, secret


def test_a_logger_configured_on_purpose_is_left_alone(fresh_loggers: None) -> None:
    logging.getLogger("botocore.retries").setLevel(logging.DEBUG)
    logging.getLogger("urllib3").setLevel(logging.INFO)
    try:
        wire_logs.quiet()
        assert logging.getLogger("urllib3").level == logging.INFO
        # The payload printers are quieted by name, whatever their parent says.
        assert logging.getLogger("botocore.endpoint").getEffectiveLevel() == logging.WARNING
        assert logging.getLogger("botocore.retries").level == logging.DEBUG
    finally:
        logging.getLogger("botocore.retries").setLevel(logging.NOTSET)
