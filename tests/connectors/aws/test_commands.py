"""connector_aws as a whole: what /v1/commands says, cold-start cost, configuration, time and arguments."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from connector_aws.clients import MIN_BUDGET_SECONDS, time_profile
from support.lambda_events import invoke, lambda_context
from support.moto_endpoint import AwsTestBed, free_port
from support.paths import PROJECT_ROOT

ROOT = PROJECT_ROOT


def _params(*specs: tuple[str, str, bool]) -> list[dict[str, Any]]:
    return [{"id": name, "type": kind, "required": required} for name, kind, required in specs]


REGION = ("region", "str", False)
AWS_COMMANDS: list[dict[str, Any]] = [
    # The public connector-aws package's commands, described as it describes them.
    {
        "id": "aws/AddDynamoItem",
        "parameters": _params(("table_name", "str", True), ("item_data", "any", True)),
    },
    {
        "id": "aws/QueryDynamoTable",
        "parameters": _params(
            ("table_name", "str", True), ("partition_key", "str", True), ("sort_key", "str", False)
        ),
    },
    {"id": "aws/ScanDynamoTable", "parameters": _params(("table_name", "str", True))},
    {
        "id": "aws/UploadFileData",
        "parameters": _params(
            ("file_data", "str", True), ("bucket", "str", True), ("object_name", "str", True)
        ),
    },
    {
        "id": "aws/DynamoDeleteItem",
        "parameters": _params(("table_name", "str", True), ("key", "any", True), REGION),
    },
    {
        "id": "aws/DynamoGetItem",
        "parameters": _params(
            ("table_name", "str", True), ("key", "any", True), ("consistent_read", "bool", False), REGION
        ),
    },
    {
        "id": "aws/DynamoPutItem",
        "parameters": _params(("table_name", "str", True), ("item", "any", True), REGION),
    },
    {
        "id": "aws/DynamoQuery",
        "parameters": _params(
            ("table_name", "str", True),
            ("partition_key", "any", True),
            ("sort_key", "any", False),
            ("sort_key_operator", "str", False),
            ("index_name", "str", False),
            ("limit", "int", False),
            ("next_token", "str", False),
            ("descending", "bool", False),
            REGION,
        ),
    },
    {
        "id": "aws/DynamoScan",
        "parameters": _params(
            ("table_name", "str", True), ("limit", "int", False), ("next_token", "str", False), REGION
        ),
    },
    {
        "id": "aws/S3DeleteObject",
        "parameters": _params(("bucket", "str", True), ("key", "str", True), REGION),
    },
    {
        "id": "aws/S3GetObject",
        "parameters": _params(
            ("bucket", "str", True),
            ("key", "str", True),
            ("encoding", "str", False),
            ("max_bytes", "int", False),
            REGION,
        ),
    },
    {
        "id": "aws/S3ListObjects",
        "parameters": _params(
            ("bucket", "str", True),
            ("prefix", "str", False),
            ("delimiter", "str", False),
            ("max_keys", "int", False),
            ("continuation_token", "str", False),
            REGION,
        ),
    },
    {
        "id": "aws/S3PresignUrl",
        "parameters": _params(
            ("bucket", "str", True),
            ("key", "str", True),
            ("method", "str", False),
            ("expires_in", "int", False),
            ("content_type", "str", False),
            REGION,
        ),
    },
    {
        "id": "aws/S3PutObject",
        "parameters": _params(
            ("bucket", "str", True),
            ("key", "str", True),
            ("content", "any", True),
            ("content_type", "str", False),
            ("encoding", "str", False),
            REGION,
        ),
    },
    {
        "id": "aws/SnsPublish",
        "parameters": _params(
            ("topic_arn", "str", True),
            ("message", "any", True),
            ("subject", "str", False),
            ("message_attributes", "any", False),
            ("message_group_id", "str", False),
            ("message_deduplication_id", "str", False),
            REGION,
        ),
    },
    {
        "id": "aws/SqsSendMessage",
        "parameters": _params(
            ("queue", "str", True),
            ("message", "any", True),
            ("message_group_id", "str", False),
            ("message_deduplication_id", "str", False),
            ("delay_seconds", "int", False),
            ("message_attributes", "any", False),
            REGION,
        ),
    },
]


def test_commands_are_described_exactly() -> None:
    answer = invoke("function-url", "GET", "/v1/commands")
    assert answer.status == 200
    assert [item for item in answer.json if item["id"].startswith("aws/")] == AWS_COMMANDS


def test_docs_show_every_command_with_its_arguments() -> None:
    docs = (ROOT / "docs" / "aws.md").read_text()
    for command in AWS_COMMANDS:
        name = command["id"].removeprefix("aws/")
        arguments = [p["id"] + ("" if p["required"] else "?") for p in command["parameters"]]
        heading = f"### `{name}({', '.join(arguments)})`"
        rows = [line for line in docs.splitlines() if line.startswith(f"| `{name}` |")]
        in_table = len(rows) == 1 and all(f"`{p['id']}`" in rows[0] for p in command["parameters"])
        assert heading in docs or in_table, f"docs/aws.md does not describe {name} as {heading}"
    assert json.loads(docs.split("```json", 1)[1].split("```", 1)[0])["Version"] == "2012-10-17"


def test_listing_commands_does_not_import_boto3() -> None:
    script = (
        "import json, sys, lambda_function\n"
        "from spiff_lambda_proxy.registry import registry\n"
        "ids = [c['id'] for c in json.loads(registry().commands_json)]\n"
        "heavy = ('boto3', 'botocore', 'decimal', 'mimetypes')\n"
        "print(json.dumps({'aws': sum(i.startswith('aws/') for i in ids),\n"
        "  'loaded': sorted(m for m in heavy if m in sys.modules)}))\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60, check=True
    )
    assert json.loads(run.stdout) == {"aws": len(AWS_COMMANDS), "loaded": []}


def test_missing_region_is_a_configuration_error(aws: AwsTestBed) -> None:
    aws.monkeypatch.delenv("AWS_REGION")
    status, code, message = aws.error("DynamoScan", table_name="anything")
    assert (status, code) == (500, "AwsConfigurationError")
    assert "AWS_REGION" in message and "region" in message


def test_region_argument_overrides_aws_region(aws: AwsTestBed) -> None:
    _create_table(aws.client("dynamodb", region="eu-west-1"), "regional")
    assert aws.body("DynamoScan", table_name="regional", region="eu-west-1")["items"] == []
    # AWS_REGION (us-east-1) has no such table.
    assert aws.error("DynamoScan", table_name="regional")[:2] == (400, "ResourceNotFoundException")
    aws.monkeypatch.delenv("AWS_REGION")
    assert aws.body("DynamoScan", table_name="regional", region="eu-west-1")["count"] == 0


def test_invalid_region_names_the_argument(aws: AwsTestBed) -> None:
    status, code, message = aws.error("DynamoScan", table_name="t", region="not a region!")
    assert (status, code) == (400, "InvalidArgument")
    assert "'region'" in message


def test_missing_credentials_is_a_configuration_error(aws: AwsTestBed) -> None:
    aws.monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    aws.monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    for command, params in [
        ("DynamoScan", {"table_name": "t"}),
        ("S3PresignUrl", {"bucket": "bucket", "key": "k"}),  # signs locally, still needs credentials
    ]:
        status, code, message = aws.error(command, **params)
        assert (status, code) == (500, "AwsConfigurationError")
        assert "credentials" in message and "AWS_ACCESS_KEY_ID" in message


def test_clients_follow_environment_changes(aws: AwsTestBed) -> None:
    """A warm function reuses clients, but never one built for another endpoint or credentials."""
    _create_table(aws.client("dynamodb"), "movies")
    assert aws.body("DynamoScan", table_name="movies")["count"] == 0
    aws.monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{free_port()}")
    status, code, message = aws.error("DynamoScan", table_name="movies")
    assert (status, code) == (502, "AwsConnectionError")
    assert "DynamoDB" in message
    aws.monkeypatch.setenv("AWS_ENDPOINT_URL", aws.url)
    assert aws.body("DynamoScan", table_name="movies")["count"] == 0


@pytest.fixture
def silent_endpoint() -> Iterator[str]:
    """An endpoint that accepts connections and never answers."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(8)
        yield f"http://127.0.0.1:{server.getsockname()[1]}"


def test_an_endpoint_that_does_not_answer_times_out_before_the_deadline(
    aws: AwsTestBed, silent_endpoint: str
) -> None:
    aws.monkeypatch.setenv("AWS_ENDPOINT_URL", silent_endpoint)
    # 3 s left in the Lambda: the proxy's deadline is 2 s away; botocore must give up before it.
    answer = aws.do("DynamoScan", context=lambda_context(remaining_ms=3000), table_name="movies")
    assert answer.status == 200
    assert answer.json["error"]["error_code"] == "Timeout"
    assert answer.json["command_response"]["http_status"] == 504


def test_no_time_left_answers_timeout_without_calling_aws(aws: AwsTestBed, silent_endpoint: str) -> None:
    aws.monkeypatch.setenv("AWS_ENDPOINT_URL", silent_endpoint)
    answer = aws.do("DynamoScan", context=lambda_context(remaining_ms=1100), table_name="movies")
    assert answer.json["error"]["error_code"] == "Timeout"
    assert "No time was left" in answer.json["error"]["message"]


@pytest.mark.parametrize("budget", [MIN_BUDGET_SECONDS, 0.9, 1.5, 3.9, 7.5, 14, 27.7, 29, 899, 5000])
def test_time_profile_fits_its_budget(budget: float) -> None:
    profile = time_profile(budget)
    backoff = {1: 0, 2: 1, 3: 3}[profile.max_attempts]  # botocore's longest sleeps between attempts
    worst_case = profile.max_attempts * (profile.connect_timeout + profile.read_timeout) + backoff
    assert worst_case <= max(budget, MIN_BUDGET_SECONDS) + 0.01
    assert profile.connect_timeout > 0 and profile.read_timeout > 0


@pytest.mark.parametrize(
    ("command", "params", "argument"),
    [
        ("S3GetObject", {"bucket": 5, "key": "k"}, "bucket"),
        ("S3GetObject", {"bucket": "b", "key": ""}, "key"),
        ("S3GetObject", {"bucket": "b", "key": "k", "max_bytes": 0}, "max_bytes"),
        ("S3GetObject", {"bucket": "b", "key": "k", "max_bytes": "lots"}, "max_bytes"),
        ("S3GetObject", {"bucket": "b", "key": "k", "encoding": "rot13"}, "encoding"),
        ("S3PutObject", {"bucket": "b", "key": "k", "content": 42}, "content"),
        ("S3PutObject", {"bucket": "b", "key": "k", "content": "%%%", "encoding": "base64"}, "content"),
        ("S3ListObjects", {"bucket": "b", "max_keys": 1001}, "max_keys"),
        ("S3PresignUrl", {"bucket": "b", "key": "k", "method": "DELETE"}, "method"),
        ("S3PresignUrl", {"bucket": "b", "key": "k", "expires_in": 604801}, "expires_in"),
        ("DynamoPutItem", {"table_name": "t", "item": []}, "item"),
        ("DynamoPutItem", {"table_name": "t", "item": {}}, "item"),
        ("DynamoGetItem", {"table_name": "t", "key": "pk"}, "key"),
        (
            "DynamoGetItem",
            {"table_name": "t", "key": {"pk": 1}, "consistent_read": "maybe"},
            "consistent_read",
        ),
        ("DynamoScan", {"table_name": "t", "limit": -1}, "limit"),
        ("DynamoScan", {"table_name": "t", "next_token": "not a token"}, "next_token"),
        (
            "DynamoQuery",
            {"table_name": "t", "partition_key": "p", "sort_key_operator": "~"},
            "sort_key_operator",
        ),
        ("SqsSendMessage", {"queue": "q", "message": ""}, "message"),
        ("SqsSendMessage", {"queue": "q", "message": "m", "delay_seconds": 901}, "delay_seconds"),
        (
            "SqsSendMessage",
            {"queue": "q", "message": "m", "message_attributes": {"a": [1]}},
            "message_attributes",
        ),
        ("SnsPublish", {"topic_arn": "", "message": "m"}, "topic_arn"),
        ("UploadFileData", {"file_data": "plain text", "bucket": "b", "object_name": "o"}, "file_data"),
        ("AddDynamoItem", {"table_name": "t", "item_data": "not an object"}, "item_data"),
    ],
)
def test_bad_arguments_answer_400_naming_the_argument(
    aws: AwsTestBed, command: str, params: dict[str, Any], argument: str
) -> None:
    status, code, message = aws.error(command, **params)
    assert (status, code) == (400, "InvalidArgument")
    assert f"'{argument}'" in message


def test_a_float_json_cannot_carry_is_refused(aws: AwsTestBed) -> None:
    # Python's json (and so the proxy) reads NaN; DynamoDB cannot store it.
    answer = invoke(
        "function-url", "POST", "/v1/do/aws/DynamoPutItem", body='{"table_name": "t", "item": {"pk": NaN}}'
    )
    assert answer.json["error"]["error_code"] == "InvalidArgument"
    assert "'item'" in answer.json["error"]["message"]


def _create_table(client: Any, name: str) -> None:
    client.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
