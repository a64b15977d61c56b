"""The API key read from Secrets Manager or SSM at run time (CONNECTOR_PROXY_API_KEY_SECRET), against moto."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from collections.abc import Iterator

import pytest
from support.lambda_events import invoke
from support.moto_endpoint import REGION, AwsTestBed, free_port
from support.paths import PROJECT_ROOT

from spiff_lambda_proxy import aws as proxy_aws
from spiff_lambda_proxy import secret_store
from spiff_lambda_proxy.auth import API_KEY_HEADER
from spiff_lambda_proxy.background import callback_url
from spiff_lambda_proxy.background.settings import BackgroundSettings, signing_secret
from spiff_lambda_proxy.errors import ConfigurationError
from spiff_lambda_proxy.settings import Settings
from spiff_outbound.destinations import Policy

KEY = "k3y-from-the-store-8c1f0e"
ROOT = PROJECT_ROOT


@pytest.fixture(autouse=True)
def fresh_store() -> Iterator[None]:
    secret_store.forget()
    yield
    secret_store.forget()


def commands_status(key: str | None, source: str = "function-url") -> int:
    headers = {API_KEY_HEADER: key} if key is not None else {}
    return invoke(source, "GET", "/v1/commands", headers=headers).status


def create_secret(aws: AwsTestBed, value: str, name: str = "spiff/proxy-api-key") -> str:
    arn: str = aws.client("secretsmanager").create_secret(Name=name, SecretString=value)["ARN"]
    return arn


def test_a_secrets_manager_arn_protects_the_routes(aws: AwsTestBed, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONNECTOR_PROXY_API_KEY_SECRET", create_secret(aws, KEY))
    assert commands_status(KEY) == 200
    assert commands_status(KEY, source="rest-api") == 200
    assert commands_status("wrong") == 401
    assert commands_status(None) == 401
    # Liveness stays open, as with a key in the environment.
    assert invoke("function-url", "GET", "/liveness").status == 200


def test_a_secret_name_and_a_json_secret_work(aws: AwsTestBed, monkeypatch: pytest.MonkeyPatch) -> None:
    create_secret(aws, json.dumps({"api_key": f"  {KEY}\n", "note": "console key/value form"}), "by-name")
    monkeypatch.setenv("CONNECTOR_PROXY_API_KEY_SECRET", "by-name")
    assert commands_status(KEY) == 200
    assert commands_status(json.dumps({"api_key": KEY})) == 401


def test_an_ssm_securestring_by_name_and_by_arn(aws: AwsTestBed, monkeypatch: pytest.MonkeyPatch) -> None:
    ssm = aws.client("ssm")
    ssm.put_parameter(Name="/spiff/proxy/api-key", Value=KEY, Type="SecureString")
    arn = ssm.get_parameter(Name="/spiff/proxy/api-key")["Parameter"]["ARN"]
    for reference in ("/spiff/proxy/api-key", arn):
        secret_store.forget()
        monkeypatch.setenv("CONNECTOR_PROXY_API_KEY_SECRET", reference)
        assert commands_status(KEY) == 200, reference
        assert commands_status(KEY + "x") == 401, reference


def test_a_rotated_key_takes_effect_after_the_ttl(aws: AwsTestBed, monkeypatch: pytest.MonkeyPatch) -> None:
    arn = create_secret(aws, KEY)
    monkeypatch.setenv("CONNECTOR_PROXY_API_KEY_SECRET", arn)
    assert commands_status(KEY) == 200
    aws.client("secretsmanager").put_secret_value(SecretId=arn, SecretString="rotated-key")
    # Within the TTL (300 s by default) the key read earlier still counts: no AWS call per request.
    assert commands_status(KEY) == 200
    assert commands_status("rotated-key") == 401
    later = secret_store._clock() + 301
    monkeypatch.setattr(secret_store, "_clock", lambda: later)
    assert commands_status("rotated-key") == 200
    assert commands_status(KEY) == 401


def test_the_last_key_is_kept_while_aws_cannot_be_reached(
    aws: AwsTestBed, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CONNECTOR_PROXY_API_KEY_SECRET", create_secret(aws, KEY))
    monkeypatch.setenv("CONNECTOR_PROXY_API_KEY_SECRET_TTL_SECONDS", "0")
    assert commands_status(KEY) == 200
    # The key read above is due again (TTL 0); new clients will find nothing listening.
    proxy_aws.forget()
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{free_port()}")
    assert commands_status(KEY) == 200
    assert commands_status("wrong") == 401


def test_unreachable_store_without_an_earlier_key_is_503(
    aws: AwsTestBed, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CONNECTOR_PROXY_API_KEY_SECRET", create_secret(aws, KEY))
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{free_port()}")
    answer = invoke("function-url", "GET", "/v1/commands", headers={API_KEY_HEADER: KEY})
    assert answer.status == 503
    assert answer.json["error"]["error_code"] == "api_key_unavailable"
    assert "could not be read" in answer.json["error"]["message"]


@pytest.mark.parametrize(
    ("reference", "expected"),
    [
        (f"arn:aws:secretsmanager:{REGION}:123456789012:secret:missing-AbCdEf", "does not exist"),
        ("/no/such/parameter", "does not exist"),
        ("arn:aws:s3:::bucket/key", "must be the ARN of a Secrets Manager secret"),
    ],
)
def test_configuration_errors_say_what_to_fix(
    aws: AwsTestBed, monkeypatch: pytest.MonkeyPatch, reference: str, expected: str
) -> None:
    monkeypatch.setenv("CONNECTOR_PROXY_API_KEY_SECRET", reference)
    answer = invoke("function-url", "GET", "/v1/do/http/GetRequestV2", headers={API_KEY_HEADER: KEY})
    assert answer.status == 500
    assert answer.json["error"]["error_code"] == "configuration_error"
    assert expected in answer.json["error"]["message"]


@pytest.mark.parametrize("value", ["", "   \n", json.dumps({"key": KEY})])
def test_an_empty_or_unusable_secret_is_a_configuration_error(
    aws: AwsTestBed, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    if value:
        arn = create_secret(aws, value)
    else:  # Secrets Manager refuses empty values; SSM parameters cannot be empty either
        arn = create_secret(aws, "placeholder")
        aws.client("secretsmanager").put_secret_value(SecretId=arn, SecretString=" ")
    monkeypatch.setenv("CONNECTOR_PROXY_API_KEY_SECRET", arn)
    answer = invoke("function-url", "GET", "/v1/commands", headers={API_KEY_HEADER: KEY})
    assert answer.status == 500
    assert answer.json["error"]["error_code"] == "configuration_error"


def test_both_settings_at_once_are_refused(aws: AwsTestBed, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONNECTOR_PROXY_API_KEY_SECRET", create_secret(aws, KEY))
    monkeypatch.setenv("CONNECTOR_PROXY_API_KEY", KEY)
    answer = invoke("function-url", "GET", "/v1/commands", headers={API_KEY_HEADER: KEY})
    assert answer.status == 500
    message = answer.json["error"]["message"]
    assert "Both CONNECTOR_PROXY_API_KEY and CONNECTOR_PROXY_API_KEY_SECRET" in message


def test_the_key_never_reaches_logs_or_answers(
    aws: AwsTestBed, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("CONNECTOR_PROXY_API_KEY_SECRET", create_secret(aws, KEY))
    caplog.set_level(logging.DEBUG)
    answers = [
        invoke("function-url", "GET", "/v1/commands", headers={API_KEY_HEADER: header})
        for header in (KEY, "wrong", KEY[:-1])
    ]
    assert [answer.status for answer in answers] == [200, 401, 401]
    assert all(KEY not in answer.text for answer in answers)
    assert KEY not in caplog.text
    assert "API key read from the Secrets Manager secret" in caplog.text


def test_a_stored_key_signs_run_events_but_does_not_stand_in_for_the_callback_origins(
    aws: AwsTestBed,
) -> None:
    stored = Settings.from_environ({"CONNECTOR_PROXY_API_KEY_SECRET": create_secret(aws, KEY)})
    open_proxy = Settings.from_environ({})
    assert signing_secret(stored, {}) == KEY
    assert signing_secret(stored, {"CONNECTOR_PROXY_TASK_SECRET": "own-secret"}) == "own-secret"
    # SpiffArena's key goes only where SPIFFARENA_CALLBACK_ORIGINS says, however callers authenticate.
    url = "https://spiff.example.com/v1.0/tasks/1/2/callback"
    key_only = BackgroundSettings.from_environ({"SPIFFARENA_CALLBACK_API_KEY": "callback-key"})
    with_origins = BackgroundSettings.from_environ(
        {
            "SPIFFARENA_CALLBACK_API_KEY": "callback-key",
            "SPIFFARENA_CALLBACK_ORIGINS": "https://spiff.example.com",
        }
    )
    for proxy_settings in (stored, open_proxy):
        with pytest.raises(ConfigurationError, match="SPIFFARENA_CALLBACK_ORIGINS"):
            callback_url.check(url, key_only, proxy_settings, Policy(), resolve=False)
        callback_url.check(url, with_origins, proxy_settings, Policy(), resolve=False)


def test_boto3_stays_unloaded_without_the_setting() -> None:
    code = (
        "import sys, json\n"
        "sys.path[:0] = ['tests']\n"
        "import lambda_function\n"
        "from support.lambda_events import invoke\n"
        "assert invoke('function-url', 'GET', '/v1/commands').status == 200\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in ('boto3', 'botocore'))))\n"
    )
    env = {"PATH": "/usr/bin:/bin"}
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == []
