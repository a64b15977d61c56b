"""aws commands whose own limits allowed answers Lambda could not deliver, against moto's S3.

The answer is measured the way the runtime serialises it (json.dumps of the
whole answer object): a delivered answer fits, a larger one is a clear error.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from support.moto_endpoint import AwsTestBed

LAMBDA_LIMIT = 6 * 1024 * 1024
BUCKET = "big-files"


@pytest.fixture
def s3(aws: AwsTestBed) -> Any:
    client = aws.client("s3")
    client.create_bucket(Bucket=BUCKET)
    return client


def runtime_size(raw: dict[str, Any]) -> int:
    return len(json.dumps(raw).encode())


def test_a_json_object_within_max_bytes_that_would_not_fit_is_refused_clearly(
    aws: AwsTestBed, s3: Any
) -> None:
    document = json.dumps(["a"] * 620_000).encode()  # 3.1 MB, within max_bytes; 6.8 MB once carried
    assert len(document) < 3 * 1024 * 1024
    s3.put_object(Bucket=BUCKET, Key="data.json", Body=document, ContentType="application/json")
    answer = aws.do("S3GetObject", bucket=BUCKET, key="data.json")
    assert answer.status == 200
    result = answer.json
    assert result["error"]["error_code"] == "ResponseTooLarge"
    assert "encoding 'base64'" in result["error"]["message"] and "S3PresignUrl" in result["error"]["message"]
    assert result["command_response"]["http_status"] == 500
    # As base64 (a third larger, never escaped) the same object is delivered whole.
    as_base64 = aws.do("S3GetObject", bucket=BUCKET, key="data.json", encoding="base64")
    assert as_base64.json["error"] is None
    assert base64.b64decode(as_base64.json["command_response"]["body"]["content"]) == document
    assert runtime_size(as_base64.raw) <= LAMBDA_LIMIT


@pytest.mark.parametrize("encoding", ["base64", "data_url"])
def test_the_largest_object_allowed_is_deliverable(aws: AwsTestBed, s3: Any, encoding: str) -> None:
    s3.put_object(Bucket=BUCKET, Key="blob", Body=b"\x00\xff" * (2 * 1024 * 1024))
    answer = aws.do("S3GetObject", bucket=BUCKET, key="blob", max_bytes=4 * 1024 * 1024, encoding=encoding)
    assert answer.json["error"] is None
    assert runtime_size(answer.raw) <= LAMBDA_LIMIT


def test_behind_an_alb_a_large_object_is_the_proxys_clear_refusal(aws: AwsTestBed, s3: Any) -> None:
    s3.put_object(Bucket=BUCKET, Key="two-mb.txt", Body=b"t" * 2_000_000)
    answer = aws.do("S3GetObject", source="alb", bucket=BUCKET, key="two-mb.txt")
    assert answer.status == 500
    assert answer.json["error"]["error_code"] == "ResponseTooLarge"
    assert "Application Load Balancer" in answer.json["error"]["message"]
