"""The role is the boundary of the aws commands (docs/aws.md, "the role decides"): with the policy that
page gives, scoped to one bucket, every S3 command reaches that bucket and no other, and the proxy
needs no bucket list of its own. (Presigned links are checked by AWS when used; moto cannot check
those, so they are not tested here.)

Against a moto server of its own that checks IAM as AWS does (INITIAL_NO_AUTH_ACTION_COUNT): the
bucket, the user and its policy are made before checking starts, the commands then run with the
user's keys.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator
from typing import Any

import boto3
import connector_aws
import pytest
from botocore.exceptions import ClientError
from support.moto_endpoint import AwsTestBed, MotoServer, point_environment_at
from support.paths import PROJECT_ROOT

ACCOUNT = "123456789012"  # moto's
# Requests moto answers without checking; setting up takes fewer, and the rest are used up below.
_UNCHECKED = 40


def documented_policy() -> dict[str, Any]:
    text = (PROJECT_ROOT / "docs" / "aws.md").read_text()
    section = text.split("## One policy for every command", 1)[1]
    block = re.search(r"```json\n(.*?)```", section, re.S)
    assert block, "docs/aws.md no longer shows the ready policy"
    filled = block.group(1).replace("REGION", "us-east-1").replace("ACCOUNT", ACCOUNT)
    policy: dict[str, Any] = json.loads(filled)
    return policy


@pytest.fixture(scope="module")
def proxy_user() -> Iterator[tuple[MotoServer, dict[str, str]]]:
    """A moto that checks IAM, my-bucket and other-bucket in it, and the keys of a user holding the
    documented policy: all made before the checking starts."""
    server = MotoServer({"INITIAL_NO_AUTH_ACTION_COUNT": str(_UNCHECKED)})
    try:
        server.wait_until_ready()
        admin = {"endpoint_url": server.url, "region_name": "us-east-1"}
        admin |= {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
        s3, iam = boto3.client("s3", **admin), boto3.client("iam", **admin)
        for bucket in ("my-bucket", "other-bucket"):
            s3.create_bucket(Bucket=bucket)
            s3.put_object(Bucket=bucket, Key="hello.txt", Body=b"hello")
        iam.create_user(UserName="proxy")
        policy = json.dumps(documented_policy())
        iam.put_user_policy(UserName="proxy", PolicyName="docs", PolicyDocument=policy)
        key = iam.create_access_key(UserName="proxy")["AccessKey"]
        for _ in range(_UNCHECKED):  # use up the unchecked requests: from here on IAM decides
            try:
                s3.list_buckets()
            except ClientError:
                break
        else:
            pytest.fail(f"moto still does not check IAM after {_UNCHECKED} requests")
        yield (
            server,
            {"AWS_ACCESS_KEY_ID": key["AccessKeyId"], "AWS_SECRET_ACCESS_KEY": key["SecretAccessKey"]},
        )
    finally:
        server.stop()


@pytest.fixture
def role(proxy_user: tuple[MotoServer, dict[str, str]], monkeypatch: pytest.MonkeyPatch) -> AwsTestBed:
    """The proxy runs with that user's keys, as it runs with its execution role on Lambda."""
    server, keys = proxy_user
    point_environment_at(monkeypatch, server.url)
    for name, value in keys.items():
        monkeypatch.setenv(name, value)
    connector_aws.clear_caches()
    return AwsTestBed(server, monkeypatch)


def test_the_documented_policy_reaches_its_bucket_and_no_other(role: AwsTestBed) -> None:
    assert role.body("S3PutObject", bucket="my-bucket", key="a.txt", content="hi")["size"] == 2
    assert role.body("S3GetObject", bucket="my-bucket", key="hello.txt")["content"] == "hello"
    listed = [item["key"] for item in role.body("S3ListObjects", bucket="my-bucket")["objects"]]
    assert {"a.txt", "hello.txt"} <= set(listed)
    for command, params in [
        ("S3PutObject", {"key": "a.txt", "content": "hi"}),
        ("S3GetObject", {"key": "hello.txt"}),
        ("S3ListObjects", {}),
        ("S3DeleteObject", {"key": "hello.txt"}),
    ]:
        status, code, _ = role.error(command, bucket="other-bucket", **params)
        assert (status, code) == (403, "AccessDenied"), command
    # The public connector-aws's command, through the same role.
    data_url = "data:text/plain;name=x.txt;base64," + base64.b64encode(b"x").decode()
    answer = role.do("UploadFileData", file_data=data_url, bucket="other-bucket", object_name="x.txt")
    assert answer.json["error"]["error_code"] == "AccessDenied"
