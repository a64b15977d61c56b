"""Lists kept in S3 (`CONNECTOR_PROXY_TYPEAHEAD_S3`), against moto's server: read on first use, kept for
the TTL, asked again with the ETag, and every failure a JSON error with a fitting status."""

from __future__ import annotations

import json
from typing import Any

import pytest
from support.lambda_events import Answer, invoke
from support.moto_endpoint import AwsTestBed, free_port

from spiff_lambda_proxy.errors import ConfigurationError
from spiff_lambda_proxy.typeahead import s3 as s3_lists
from spiff_lambda_proxy.typeahead.settings import S3Location, TypeaheadSettings

BUCKET = "team-lists"
KEY = "s3-lists-key-77"
CUSTOMERS = "name,id\nAcme,1\nBeta,2\n"


@pytest.fixture
def bucket(aws: AwsTestBed, monkeypatch: pytest.MonkeyPatch) -> Any:
    client = aws.client("s3")
    client.create_bucket(Bucket=BUCKET)
    monkeypatch.setenv(
        "CONNECTOR_PROXY_TYPEAHEAD_S3",
        f"customers=s3://{BUCKET}/lists/customers.csv, projects=s3://{BUCKET}/projects.json",
    )
    return client


def lookup(category: str, prefix: str = "", **options: Any) -> Answer:
    return invoke("function-url", "GET", f"/v1/typeahead/{category}", query={"prefix": prefix}, **options)


def put(client: Any, key: str, body: str | bytes) -> None:
    client.put_object(Bucket=BUCKET, Key=key, Body=body.encode() if isinstance(body, str) else body)


def error(answer: Answer) -> tuple[int, str, str]:
    return answer.status, answer.json["error"]["error_code"], answer.json["error"]["message"]


def test_a_list_is_read_on_first_use_and_kept_for_the_ttl(bucket: Any) -> None:
    put(bucket, "lists/customers.csv", CUSTOMERS)
    assert lookup("customers", "a").json == [{"name": "Acme", "id": "1"}]
    put(bucket, "lists/customers.csv", "name,id\nAlpha,9\n")
    # The default TTL (300 s) has not passed: the copy read first answers.
    assert lookup("customers", "a").json == [{"name": "Acme", "id": "1"}]


def test_after_the_ttl_a_changed_list_is_read_again(bucket: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONNECTOR_PROXY_TYPEAHEAD_S3_TTL_SECONDS", "0")
    put(bucket, "projects.json", json.dumps([{"name": "Apollo"}]))
    assert lookup("projects").json == [{"name": "Apollo"}]
    put(bucket, "projects.json", json.dumps([{"name": "Gemini", "year": 1965}]))
    assert lookup("projects").json == [{"name": "Gemini", "year": 1965}]


def test_an_unchanged_list_is_not_downloaded_again(bucket: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONNECTOR_PROXY_TYPEAHEAD_S3_TTL_SECONDS", "0")
    put(bucket, "lists/customers.csv", CUSTOMERS)
    assert len(lookup("customers").json) == 2
    reads: list[dict[str, Any]] = []
    real_refresh = s3_lists.S3List._read_body

    def counting(self: s3_lists.S3List, answer: dict[str, Any]) -> bytes:
        reads.append(answer)
        return real_refresh(self, answer)

    monkeypatch.setattr(s3_lists.S3List, "_read_body", counting)
    assert len(lookup("customers").json) == 2
    assert reads == []  # S3 answered 304 Not Modified to the ETag


def test_lists_from_s3_are_a_teams_and_need_the_key(bucket: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONNECTOR_PROXY_API_KEY", KEY)
    put(bucket, "lists/customers.csv", CUSTOMERS)
    assert lookup("customers", "a").status == 401
    headers = {"Spiff-Connector-Proxy-Api-Key": KEY}
    assert lookup("customers", "b", headers=headers).json == [{"name": "Beta", "id": "2"}]


def test_a_missing_object(bucket: Any) -> None:
    status, code, message = error(lookup("customers", "a"))
    assert (status, code) == (502, "typeahead_list_missing")
    assert f"s3://{BUCKET}/lists/customers.csv" in message and "NoSuchKey" in message


def test_a_missing_bucket(aws: AwsTestBed, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONNECTOR_PROXY_TYPEAHEAD_S3", "customers=s3://no-such-bucket/c.csv")
    assert error(lookup("customers"))[:2] == (502, "typeahead_list_missing")


def test_a_bad_file_names_the_object_and_the_line(bucket: Any) -> None:
    put(bucket, "lists/customers.csv", "name,id\nAcme\n")
    status, code, message = error(lookup("customers"))
    assert (status, code) == (502, "typeahead_list_invalid")
    assert f"s3://{BUCKET}/lists/customers.csv, line 2" in message


def test_a_list_over_the_limit_is_refused_before_it_is_read(
    bucket: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CONNECTOR_PROXY_TYPEAHEAD_S3_MAX_BYTES", "100")
    put(bucket, "lists/customers.csv", "name\n" + "x" * 200 + "\n")
    status, code, message = error(lookup("customers"))
    assert (status, code) == (502, "typeahead_list_too_large")
    assert "CONNECTOR_PROXY_TYPEAHEAD_S3_MAX_BYTES (100 bytes)" in message


def test_the_last_good_copy_answers_when_the_list_breaks(
    bucket: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("CONNECTOR_PROXY_TYPEAHEAD_S3_TTL_SECONDS", "0")
    put(bucket, "lists/customers.csv", CUSTOMERS)
    assert len(lookup("customers").json) == 2
    put(bucket, "lists/customers.csv", "not,a,list\n")
    assert len(lookup("customers").json) == 2
    assert "keeping the copy read earlier" in caplog.text and "must have a column called name" in caplog.text
    bucket.delete_object(Bucket=BUCKET, Key="lists/customers.csv")
    assert len(lookup("customers").json) == 2


def test_s3_out_of_reach_is_a_503(aws: AwsTestBed, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{free_port()}")
    monkeypatch.setenv("CONNECTOR_PROXY_TYPEAHEAD_S3", "customers=s3://b/c.csv")
    status, code, message = error(lookup("customers"))
    assert (status, code) == (503, "typeahead_list_unavailable")
    assert "Try again" in message


@pytest.mark.parametrize(
    ("code", "status", "error_code"),
    [("AccessDenied", 502, "typeahead_list_denied"), ("SlowDown", 503, "typeahead_list_unavailable")],
)
def test_what_s3_refuses_is_said(code: str, status: int, error_code: str) -> None:
    # moto does not check permissions; these are the answers S3 gives, as botocore raises them.
    location = S3Location(BUCKET, "customers.csv", "csv")
    failure = s3_lists.S3List("customers", location, 0, 10)._client_error(code)
    assert (failure.status, failure.error_code) == (status, error_code)
    if code == "AccessDenied":
        assert "s3:GetObject on arn:aws:s3:::team-lists/customers.csv" in failure.message


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("customers", "must be comma-separated <category>=s3://<bucket>/<key>"),
        ("customers=https://b/c.csv", "must be comma-separated"),
        ("customers=s3://bucket", "must be comma-separated"),
        ("a b=s3://b/c.csv", "'a b' cannot be a category name"),
        ("customers=s3://b/c.xlsx", "must end in .json or .csv"),
        ("c=s3://b/c.csv,c=s3://b/d.csv", "names the category c twice"),
    ],
)
def test_a_wrong_setting_says_what_is_wrong(value: str, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        TypeaheadSettings.from_environ({"CONNECTOR_PROXY_TYPEAHEAD_S3": value})


def test_a_wrong_setting_is_a_500_naming_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONNECTOR_PROXY_TYPEAHEAD_S3", "customers=s3://bucket")
    status, code, message = error(lookup("customers"))
    assert (status, code) == (500, "configuration_error") and "CONNECTOR_PROXY_TYPEAHEAD_S3" in message
