"""aws/S3* commands against moto's S3, through lambda_handler."""

from __future__ import annotations

import base64
import urllib.request
from typing import Any

import pytest
from support.lambda_events import SOURCES
from support.moto_endpoint import AwsTestBed

BUCKET = "spiff-files"
BINARY = bytes(range(256)) * 4  # not UTF-8


@pytest.fixture
def s3(aws: AwsTestBed) -> Any:
    client = aws.client("s3")
    client.create_bucket(Bucket=BUCKET)
    return client


@pytest.mark.parametrize("source", SOURCES)
def test_text_round_trip(aws: AwsTestBed, s3: Any, source: str) -> None:
    put = aws.do("S3PutObject", source=source, bucket=BUCKET, key="notes/hello.txt", content="héllo wörld")
    assert put.status == 200
    assert put.json["command_response"]["body"] == {
        "bucket": BUCKET,
        "key": "notes/hello.txt",
        "size": len("héllo wörld".encode()),
        "content_type": "text/plain; charset=utf-8",
        "etag": put.json["command_response"]["body"]["etag"],
        "version_id": None,
    }
    stored = s3.get_object(Bucket=BUCKET, Key="notes/hello.txt")
    assert stored["Body"].read() == "héllo wörld".encode()

    got = aws.body("S3GetObject", bucket=BUCKET, key="notes/hello.txt")
    assert (got["content"], got["encoding"], got["size"]) == ("héllo wörld", "text", 13)
    assert got["content_type"] == "text/plain; charset=utf-8"
    assert got["etag"] == put.json["command_response"]["body"]["etag"]
    assert got["last_modified"].startswith("20")


def test_base64_upload_and_binary_download(aws: AwsTestBed, s3: Any) -> None:
    body = aws.body(
        "S3PutObject",
        bucket=BUCKET,
        key="blob.bin",
        content=base64.b64encode(BINARY).decode(),
        encoding="base64",
    )
    assert (body["size"], body["content_type"]) == (len(BINARY), "application/octet-stream")
    assert s3.get_object(Bucket=BUCKET, Key="blob.bin")["Body"].read() == BINARY

    got = aws.body("S3GetObject", bucket=BUCKET, key="blob.bin")
    assert got["encoding"] == "base64"
    assert base64.b64decode(got["content"]) == BINARY


def test_text_is_detected_and_encoding_can_be_forced(aws: AwsTestBed, s3: Any) -> None:
    s3.put_object(Bucket=BUCKET, Key="data", Body=b"plain words", ContentType="binary/octet-stream")
    assert aws.body("S3GetObject", bucket=BUCKET, key="data")["encoding"] == "text"
    s3.put_object(Bucket=BUCKET, Key="ctrl", Body=b"\x00\x01\x02", ContentType="application/octet-stream")
    assert aws.body("S3GetObject", bucket=BUCKET, key="ctrl")["encoding"] == "base64"
    forced = aws.body("S3GetObject", bucket=BUCKET, key="data", encoding="base64")
    assert base64.b64decode(forced["content"]) == b"plain words"
    s3.put_object(Bucket=BUCKET, Key="binary", Body=BINARY)
    status, code, message = aws.error("S3GetObject", bucket=BUCKET, key="binary", encoding="text")
    assert (status, code) == (400, "InvalidArgument") and "'encoding'" in message


def test_spiffarena_file_data_url_upload_and_download(aws: AwsTestBed, s3: Any) -> None:
    pdf = b"%PDF-1.4\n%\x93\x8c\x8b\x9e report"
    data_url = f"data:application/pdf;name=Report%20(1).pdf;base64,{base64.b64encode(pdf).decode()}"
    body = aws.body("S3PutObject", bucket=BUCKET, key="reports/r1", content=data_url)
    assert (body["size"], body["content_type"]) == (len(pdf), "application/pdf")
    stored = s3.get_object(Bucket=BUCKET, Key="reports/r1")
    assert (stored["Body"].read(), stored["ContentType"]) == (pdf, "application/pdf")

    got = aws.body("S3GetObject", bucket=BUCKET, key="reports/r1", encoding="data_url")
    assert got["encoding"] == "data_url"
    assert got["content"] == f"data:application/pdf;name=r1;base64,{base64.b64encode(pdf).decode()}"


def test_explicit_content_type_and_json_content(aws: AwsTestBed, s3: Any) -> None:
    aws.body("S3PutObject", bucket=BUCKET, key="page", content="<p>hi</p>", content_type="text/html")
    assert s3.head_object(Bucket=BUCKET, Key="page")["ContentType"] == "text/html"
    body = aws.body("S3PutObject", bucket=BUCKET, key="order.json", content={"id": 7, "total": 9.5})
    assert body["content_type"] == "application/json"
    got = aws.body("S3GetObject", bucket=BUCKET, key="order.json")
    assert (got["content"], got["encoding"]) == ('{"id": 7, "total": 9.5}', "text")


def test_missing_bucket_and_key(aws: AwsTestBed, s3: Any) -> None:
    assert aws.error("S3PutObject", bucket="no-such-bucket", key="k", content="x")[:2] == (
        404,
        "NoSuchBucket",
    )
    assert aws.error("S3GetObject", bucket="no-such-bucket", key="k")[:2] == (404, "NoSuchBucket")
    status, code, message = aws.error("S3GetObject", bucket=BUCKET, key="missing.txt")
    assert (status, code) == (404, "NoSuchKey")
    assert message.startswith("GetObject: ")
    answer = aws.do("S3GetObject", bucket=BUCKET, key="missing.txt")
    assert answer.json["command_response"]["body"]["aws_request_id"]


def test_size_cap_refuses_large_objects_before_reading_them(aws: AwsTestBed, s3: Any) -> None:
    s3.put_object(Bucket=BUCKET, Key="big", Body=b"x" * 2000)
    answer = aws.do("S3GetObject", bucket=BUCKET, key="big", max_bytes=1000)
    result = answer.json
    assert result["error"]["error_code"] == "ObjectTooLarge"
    assert result["command_response"]["http_status"] == 413
    assert result["command_response"]["body"] == {
        "bucket": BUCKET,
        "key": "big",
        "size": 2000,
        "max_bytes": 1000,
    }
    assert "S3PresignUrl" in result["error"]["message"]
    assert aws.body("S3GetObject", bucket=BUCKET, key="big", max_bytes=2000)["size"] == 2000
    # The cap cannot be raised past what a Lambda answer carries.
    assert (
        aws.error("S3GetObject", bucket=BUCKET, key="big", max_bytes=5 * 1024 * 1024)[1] == "InvalidArgument"
    )


def test_default_size_cap_keeps_the_answer_under_the_lambda_limit(aws: AwsTestBed, s3: Any) -> None:
    s3.put_object(Bucket=BUCKET, Key="huge", Body=b"\xff" * (3 * 1024 * 1024 + 1))
    assert aws.error("S3GetObject", bucket=BUCKET, key="huge")[:2] == (413, "ObjectTooLarge")
    s3.put_object(Bucket=BUCKET, Key="largest", Body=b"\xff" * (4 * 1024 * 1024))
    got = aws.body("S3GetObject", bucket=BUCKET, key="largest", max_bytes=4 * 1024 * 1024)
    assert got["encoding"] == "base64" and got["size"] == 4 * 1024 * 1024


def test_list_pages_prefixes_and_folders(aws: AwsTestBed, s3: Any) -> None:
    for name in ["in/a.txt", "in/b.txt", "in/c.txt", "in/sub/d.txt", "out/e.txt"]:
        s3.put_object(Bucket=BUCKET, Key=name, Body=b"12345")
    first = aws.body("S3ListObjects", bucket=BUCKET, prefix="in/", max_keys=3)
    assert [item["key"] for item in first["objects"]] == ["in/a.txt", "in/b.txt", "in/c.txt"]
    assert first["objects"][0]["size"] == 5
    assert first["is_truncated"] is True and first["next_continuation_token"]
    rest = aws.body(
        "S3ListObjects", bucket=BUCKET, prefix="in/", continuation_token=first["next_continuation_token"]
    )
    assert [item["key"] for item in rest["objects"]] == ["in/sub/d.txt"]
    assert rest["is_truncated"] is False and rest["next_continuation_token"] is None

    folders = aws.body("S3ListObjects", bucket=BUCKET, prefix="in/", delimiter="/")
    assert folders["common_prefixes"] == ["in/sub/"]
    assert len(folders["objects"]) == 3
    assert aws.body("S3ListObjects", bucket=BUCKET)["key_count"] == 5
    assert aws.error("S3ListObjects", bucket="no-such-bucket")[:2] == (404, "NoSuchBucket")


def test_delete(aws: AwsTestBed, s3: Any) -> None:
    s3.put_object(Bucket=BUCKET, Key="old.txt", Body=b"x")
    body = aws.body("S3DeleteObject", bucket=BUCKET, key="old.txt")
    assert body["deleted"] is True
    assert s3.list_objects_v2(Bucket=BUCKET).get("KeyCount") == 0
    assert aws.error("S3DeleteObject", bucket="no-such-bucket", key="old.txt")[:2] == (404, "NoSuchBucket")


def test_presigned_get_and_put_urls_work(aws: AwsTestBed, s3: Any) -> None:
    s3.put_object(Bucket=BUCKET, Key="shared.txt", Body=b"for your eyes")
    get = aws.body("S3PresignUrl", bucket=BUCKET, key="shared.txt", expires_in=60)
    assert (get["method"], get["expires_in"], get["headers"]) == ("GET", 60, {})
    assert "X-Amz-Signature=" in get["url"] and "X-Amz-Expires=60" in get["url"]
    with urllib.request.urlopen(get["url"], timeout=10) as response:
        assert response.read() == b"for your eyes"

    put = aws.body("S3PresignUrl", bucket=BUCKET, key="upload.csv", method="put", content_type="text/csv")
    assert put["headers"] == {"Content-Type": "text/csv"}
    request = urllib.request.Request(put["url"], data=b"a,b\n1,2\n", method="PUT", headers=put["headers"])
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200
    stored = s3.get_object(Bucket=BUCKET, Key="upload.csv")
    assert (stored["Body"].read(), stored["ContentType"]) == (b"a,b\n1,2\n", "text/csv")
