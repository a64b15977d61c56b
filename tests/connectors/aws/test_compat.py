"""The public connector-aws package's commands keep their arguments and answers under aws/."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from support.moto_endpoint import AwsTestBed

# The file data the public package's own test uploads (a SpiffArena file field value).
FILE_DATA = "data:application/pdf;name=Harmeet_13435%20(1).pdf;base64,JVBERi0xLjQKJZOMi54gUmVwb3J0TFiIEdlb="


@pytest.fixture
def movies_table(aws: AwsTestBed) -> Any:
    client = aws.client("dynamodb")
    client.create_table(
        TableName="Movies",
        KeySchema=[
            {"AttributeName": "year", "KeyType": "HASH"},
            {"AttributeName": "title", "KeyType": "RANGE"},
        ],
        AttributeDefinitions=[
            {"AttributeName": "year", "AttributeType": "N"},
            {"AttributeName": "title", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    return client


def add_sample_records(aws: AwsTestBed) -> None:
    for item in ({"year": 1982, "title": "Blade Runner"}, {"year": 1964, "title": "Dr. Strange Love"}):
        answer = aws.do("AddDynamoItem", table_name="Movies", item_data=item)
        assert (answer.status, answer.text) == (200, "{}")


def test_add_dynamo_item_answers_like_the_public_package(aws: AwsTestBed, movies_table: Any) -> None:
    answer = aws.do(
        "AddDynamoItem", table_name="Movies", item_data={"year": 1982, "title": "Blade Runner", "x": 1.5}
    )
    assert answer.status == 200
    assert answer.headers["content-type"].startswith("application/json")
    assert answer.text == "{}"
    raw = movies_table.get_item(
        TableName="Movies", Key={"year": {"N": "1982"}, "title": {"S": "Blade Runner"}}
    )
    assert raw["Item"]["x"] == {"N": "1.5"}


def test_query_dynamo_table(aws: AwsTestBed, movies_table: Any) -> None:
    empty = aws.do("QueryDynamoTable", table_name="Movies", partition_key=1982)
    assert empty.json == {"Items": [], "Count": 0, "ScannedCount": 0}
    add_sample_records(aws)
    for partition_key in (1982, "1982"):
        answer = aws.do("QueryDynamoTable", table_name="Movies", partition_key=partition_key)
        assert answer.status == 200
        assert answer.json["Items"] == [{"year": 1982, "title": "Blade Runner"}]
        assert answer.json["Count"] == 1
    with_sort = aws.do(
        "QueryDynamoTable", table_name="Movies", partition_key=1964, sort_key="Dr. Strange Love"
    )
    assert with_sort.json["Items"] == [{"year": 1964, "title": "Dr. Strange Love"}]
    assert (
        aws.do("QueryDynamoTable", table_name="Movies", partition_key=1964, sort_key="Nope").json["Count"]
        == 0
    )


def test_scan_dynamo_table(aws: AwsTestBed, movies_table: Any) -> None:
    add_sample_records(aws)
    answer = aws.do("ScanDynamoTable", table_name="Movies")
    assert answer.status == 200
    result = answer.json
    assert sorted(result["Items"], key=lambda item: item["year"]) == [
        {"year": 1964, "title": "Dr. Strange Love"},
        {"year": 1982, "title": "Blade Runner"},
    ]
    assert (result["Count"], result["ScannedCount"]) == (2, 2)


def test_upload_file_data(aws: AwsTestBed) -> None:
    s3 = aws.client("s3")
    s3.create_bucket(Bucket="my-test-bucket")
    answer = aws.do("UploadFileData", file_data=FILE_DATA, bucket="my-test-bucket", object_name="file.txt")
    assert answer.status == 200
    assert answer.json == {"result": "success"}
    stored = s3.get_object(Bucket="my-test-bucket", Key="file.txt")
    assert stored["ContentType"] == "application/pdf"
    assert stored["Body"].read() == base64.b64decode(FILE_DATA.rsplit(",", 1)[1])


@pytest.mark.parametrize(
    ("command", "params", "status", "code"),
    [
        ("AddDynamoItem", {"table_name": "Nope", "item_data": {"pk": 1}}, 400, "ResourceNotFoundException"),
        ("QueryDynamoTable", {"table_name": "Nope", "partition_key": "1"}, 400, "ResourceNotFoundException"),
        ("ScanDynamoTable", {"table_name": "Nope"}, 400, "ResourceNotFoundException"),
        (
            "UploadFileData",
            {"file_data": FILE_DATA, "bucket": "no-bucket", "object_name": "f"},
            404,
            "NoSuchBucket",
        ),
    ],
)
def test_failures_are_catchable_error_envelopes(
    aws: AwsTestBed, command: str, params: dict[str, Any], status: int, code: str
) -> None:
    assert aws.error(command, **params)[:2] == (status, code)


def test_numeric_attributes_do_not_break_the_answer(aws: AwsTestBed, movies_table: Any) -> None:
    aws.do("AddDynamoItem", table_name="Movies", item_data={"year": 2001, "title": "Space", "rating": 8.3})
    answer = aws.do("ScanDynamoTable", table_name="Movies")
    assert json.loads(answer.text)["Items"] == [{"year": 2001, "title": "Space", "rating": 8.3}]
