"""template.yaml: valid for cfn-lint and the SAM transform, and what each parameter choice deploys."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from support.cfn_template import ATTRIBUTES, PSEUDO, TEMPLATE, Stack, template_source
from support.paths import PROJECT_ROOT

from spiff_lambda_proxy.settings import SETTINGS
from tools.lambda_zip.target import Runtime
from tools.sam.template import TEMPLATE_DEFAULTS, deploy_copy

ROOT = PROJECT_ROOT
ACCOUNT, REGION = PSEUDO["AWS::AccountId"], PSEUDO["AWS::Region"]
SECRET_ARN = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:spiff/proxy-key-AbCdEf"
QUEUE_ARN = f"arn:aws:sqs:{REGION}:{ACCOUNT}:proxy-failures"


def lint(path: Path, *, errors_only: bool = False) -> list[str]:
    from cfnlint.api import ManualArgs, lint_file

    matches = lint_file(path, ManualArgs(regions=["us-east-1", "eu-west-1", "ap-southeast-2"]))
    return [
        f"{match.rule.id} line {match.linenumber}: {match.message}"
        for match in matches
        if not errors_only or match.rule.id.startswith("E")
    ]


def test_cfn_lint_finds_nothing() -> None:
    assert lint(TEMPLATE) == []


@pytest.mark.parametrize("guided", [False, True])
def test_the_copies_make_deploy_deploys_are_valid_too(guided: bool, tmp_path: Path) -> None:
    runtime = Runtime.parse("3.12", "arm64")
    archive = ROOT / "dist" / runtime.archive_name
    text = deploy_copy(TEMPLATE.read_text(), runtime, archive, guided=guided)
    assert "Runtime: python3.12" in text
    assert "Architectures: [arm64]" in text
    assert f"CodeUri: {archive}" in text
    # SAM's guided prompts ask for NoEcho parameters without a default, again and again on Enter.
    assert ("NoEcho" in text) is not guided
    copy = tmp_path / "template.yaml"
    copy.write_text(text)
    # Left out, the plain-text keys leave conditions that are always false: cfn-lint warns (W8003).
    assert lint(copy, errors_only=guided) == []


def test_the_function_is_what_make_zip_builds_by_default() -> None:
    makefile = (ROOT / "Makefile").read_text()
    python_version = re.search(r"^PYTHON_VERSION = (\S+)$", makefile, re.M)
    arch = re.search(r"^ARCH = (\S+)$", makefile, re.M)
    assert python_version and arch
    runtime = Runtime.parse(python_version.group(1), arch.group(1))
    assert runtime == TEMPLATE_DEFAULTS
    function = Stack().function
    assert function["Runtime"] == runtime.name
    assert function["Architectures"] == [runtime.arch]
    assert function["Handler"] == "lambda_function.lambda_handler"


def test_sam_builds_the_function_with_the_makefile_in_the_project_root() -> None:
    resource = template_source()["Resources"]["ProxyFunction"]
    assert resource["Metadata"] == {"BuildMethod": "makefile", "ContextPath": ".", "WorkingDirectory": "."}
    assert "build-ProxyFunction:" in (ROOT / "Makefile").read_text()
    # What a `sam deploy` that skipped the build would zip: a stand-in, never the whole project.
    code = ROOT / resource["Properties"]["CodeUri"]
    assert sorted(path.name for path in code.iterdir() if path.name != "__pycache__") == [
        "__init__.py",
        "lambda_function.py",
    ]


def test_defaults_deploy_a_public_url_with_a_generated_key_and_nothing_else() -> None:
    stack = Stack()
    assert stack.rules_hold()
    assert stack.environment == {
        "CONNECTOR_PROXY_API_KEY_SECRET": "<GeneratedApiKey>",
        "CONNECTOR_PROXY_METRICS_NAMESPACE": "SpiffConnectorProxy",
    }
    assert set(stack.statements) == {"ReadApiKey"}
    assert stack.resources["GeneratedApiKey"]["Type"] == "AWS::SecretsManager::Secret"
    function = stack.function
    assert function["FunctionName"] == PSEUDO["AWS::StackName"]
    # SpiffArena waits 45 s: a synchronous command must be cut off (and answered) before that.
    assert int(function["Timeout"]) < 45
    assert function["SnapStart"] == {"ApplyOn": "None"}
    url = stack.resources["ProxyFunctionUrl"]
    assert url["Type"] == "AWS::Lambda::Url"
    assert url["Properties"] == {"AuthType": "NONE", "TargetFunctionArn": "<ProxyFunctionAliaslive>"}
    # Since October 2025 a public URL needs both permissions, on what the URL invokes.
    permissions = {
        stack.resources[name]["Properties"]["Action"]: stack.resources[name]["Properties"]
        for name in ("PublicUrlPermission", "PublicUrlInvokePermission")
    }
    assert permissions["lambda:InvokeFunctionUrl"]["FunctionUrlAuthType"] == "NONE"
    assert permissions["lambda:InvokeFunction"]["InvokedViaFunctionUrl"] is True
    assert {p["FunctionName"] for p in permissions.values()} == {"<ProxyFunctionAliaslive>"}
    assert {p["Principal"] for p in permissions.values()} == {"*"}
    logs = stack.resources["ProxyLogGroup"]["Properties"]
    assert logs["LogGroupName"] == f"/aws/lambda/{PSEUDO['AWS::StackName']}"
    assert "Warning" not in stack.outputs


@pytest.mark.parametrize(
    "choice",
    [
        {"GenerateApiKey": "false"},
        {"GenerateApiKey": "false", "AllowPublicUrlWithoutApiKey": "false"},
        {"GenerateApiKey": "false", "ApiKeySecret": "", "ApiKey": ""},
    ],
)
def test_a_public_url_without_a_key_is_refused(choice: dict[str, str]) -> None:
    assert Stack(**choice).broken_rules() == ["NoPublicUrlWithoutApiKey"]


def test_a_callback_key_without_the_origins_it_may_go_to_is_refused_at_deploy_time() -> None:
    assert Stack(SpiffArenaCallbackApiKey="callback-key").broken_rules() == ["CallbackKeyOnlyToSpiffArena"]
    stack = Stack(
        SpiffArenaCallbackApiKey="callback-key", SpiffArenaCallbackOrigins="https://spiff.example.com"
    )
    assert stack.rules_hold()
    assert stack.environment["SPIFFARENA_CALLBACK_ORIGINS"] == "https://spiff.example.com"
    assert Stack(SpiffArenaCallbackOrigins="https://spiff.example.com").rules_hold()  # origins alone: fine


def test_a_public_url_without_a_key_needs_the_named_opt_out_and_says_so() -> None:
    stack = Stack(GenerateApiKey="false", AllowPublicUrlWithoutApiKey="true")
    assert stack.rules_hold()
    assert stack.environment == {"CONNECTOR_PROXY_METRICS_NAMESPACE": "SpiffConnectorProxy"}
    assert "anyone who finds the URL can run every command" in stack.outputs["Warning"]
    assert "SpiffArenaConnectorProxyApiKey" not in stack.outputs
    # Behind IAM auth no key is needed, and nothing warns.
    private = Stack(GenerateApiKey="false", FunctionUrlAuthType="AWS_IAM")
    assert private.rules_hold() and "Warning" not in private.outputs


def test_outputs_give_the_exact_spiffarena_setting() -> None:
    outputs = Stack().outputs
    assert outputs["FunctionUrl"] == ATTRIBUTES[("ProxyFunctionUrl", "FunctionUrl")]
    assert outputs["SpiffArenaConnectorProxyUrl"] == "https://abcdefghij.lambda-url.eu-west-1.on.aws"
    assert "ApiKeySecretArn" not in Stack(ApiKeySecret=SECRET_ARN).outputs
    description = Stack().template["Outputs"]["SpiffArenaConnectorProxyUrl"]["Description"]
    assert "SPIFFWORKFLOW_BACKEND_CONNECTOR_PROXY_URL" in description


def test_iam_auth_leaves_the_url_closed_to_the_public() -> None:
    stack = Stack(FunctionUrlAuthType="AWS_IAM")
    assert stack.resources["ProxyFunctionUrl"]["Properties"]["AuthType"] == "AWS_IAM"
    assert "PublicUrlPermission" not in stack.resources
    assert "PublicUrlInvokePermission" not in stack.resources


def test_an_api_key_secret_is_read_at_run_time_with_a_narrow_permission() -> None:
    stack = Stack(ApiKeySecret=SECRET_ARN)
    assert stack.rules_hold()
    assert "GeneratedApiKey" not in stack.resources  # a key of the user's own wins over generating one
    assert stack.environment["CONNECTOR_PROXY_API_KEY_SECRET"] == SECRET_ARN
    statement = stack.statements["ReadApiKey"]
    assert statement["Resource"] == SECRET_ARN
    assert set(statement["Action"]) == {"secretsmanager:GetSecretValue", "ssm:GetParameter"}
    assert stack.outputs["SpiffArenaConnectorProxyApiKey"] == f"the key stored in {SECRET_ARN}"


def test_a_generated_api_key_lives_in_a_new_secret() -> None:
    stack = Stack(GenerateApiKey="true")
    secret = stack.resources["GeneratedApiKey"]
    assert secret["Type"] == "AWS::SecretsManager::Secret"
    assert secret["Properties"]["GenerateSecretString"]["ExcludePunctuation"] is True
    assert stack.environment["CONNECTOR_PROXY_API_KEY_SECRET"] == "<GeneratedApiKey>"
    assert stack.statements["ReadApiKey"]["Resource"] == "<GeneratedApiKey>"
    assert stack.outputs["ApiKeySecretArn"] == "<GeneratedApiKey>"
    assert "get-secret-value --secret-id <GeneratedApiKey>" in stack.outputs["ReadApiKeyCommand"]
    assert "get-secret-value --secret-id <GeneratedApiKey>" in stack.outputs["SpiffArenaConnectorProxyApiKey"]


def test_a_plain_text_key_for_trials() -> None:
    stack = Stack(ApiKey="trial-key")
    assert stack.environment["CONNECTOR_PROXY_API_KEY"] == "trial-key"
    assert "CONNECTOR_PROXY_API_KEY_SECRET" not in stack.environment
    assert "ReadApiKey" not in stack.statements
    assert "GeneratedApiKey" not in stack.resources
    parameters = Stack().template["Parameters"]
    assert parameters["ApiKey"]["NoEcho"] is True
    assert parameters["SpiffArenaCallbackApiKey"]["NoEcho"] is True


def test_rules_refuse_two_key_sources() -> None:
    assert Stack(ApiKey="k", ApiKeySecret=SECRET_ARN).broken_rules() == ["OneApiKeySource"]


def test_settings_reach_the_environment_and_are_documented_settings() -> None:
    from connector_http.settings import SETTINGS as HTTP_SETTINGS

    stack = Stack(
        CorsOrigins="https://spiff.example.com",
        HttpAllowedHosts="localhost",
        HttpDeniedHosts="10.0.0.0/8",
        AsyncCommands="aws/*",
        SpiffArenaCallbackOrigins="https://spiff.example.com",
        SpiffArenaCallbackApiKey="callback-key",
        ApiKeySecret=SECRET_ARN,
        Timeout="300",
        MemorySize="1024",
    )
    assert stack.environment == {
        "CONNECTOR_PROXY_API_KEY_SECRET": SECRET_ARN,
        "CONNECTOR_PROXY_METRICS_NAMESPACE": "SpiffConnectorProxy",
        "CONNECTOR_PROXY_CORS_ORIGINS": "https://spiff.example.com",
        "HTTP_CONNECTOR_ALLOWED_HOSTS": "localhost",
        "HTTP_CONNECTOR_DENIED_HOSTS": "10.0.0.0/8",
        "CONNECTOR_PROXY_ASYNC_COMMANDS": "aws/*",
        "SPIFFARENA_CALLBACK_ORIGINS": "https://spiff.example.com",
        "SPIFFARENA_CALLBACK_API_KEY": "callback-key",
        "CONNECTOR_PROXY_RESULTS_TABLE": "<ResultsTable>",
        "CONNECTOR_PROXY_RESULTS_QUEUE_URL": "<ResultsWakeups>",
        "CONNECTOR_PROXY_RESULT_MAX_AGE_SECONDS": "86400",
    }
    assert (stack.function["Timeout"], stack.function["MemorySize"]) == ("300", "1024")
    documented = {setting.name for setting in SETTINGS} | {setting.name for setting in HTTP_SETTINGS}
    variables = template_source()["Resources"]["ProxyFunction"]["Properties"]["Environment"]["Variables"]
    assert set(variables) <= documented


def _long_running_statement() -> dict[str, Any]:
    """The statement docs/long-running.md tells users to add, filled in for the test stack."""
    text = (ROOT / "docs" / "long-running.md").read_text()
    block = re.search(
        r'```json\n(\{\n  "Effect": "Allow",\n  "Action": "lambda:InvokeFunction".*?)```', text, re.S
    )
    assert block, "docs/long-running.md no longer shows the self-invoke statement"
    filled = block.group(1).replace("<region>", REGION).replace("<account-id>", ACCOUNT)
    statement: dict[str, Any] = json.loads(filled)
    return statement


@pytest.mark.parametrize(
    ("choice", "name"),
    [
        ({"AsyncCommands": "aws/*"}, PSEUDO["AWS::StackName"]),
        ({"BackgroundTasks": "true", "FunctionName": "proxy"}, "proxy"),
    ],
)
def test_background_tasks_may_invoke_the_function_itself(choice: dict[str, str], name: str) -> None:
    statement = Stack(**choice).statements["InvokeItselfForBackgroundTasks"]
    documented = _long_running_statement()
    assert statement["Action"] == documented["Action"]
    assert statement["Resource"] == [arn.replace("<function-name>", name) for arn in documented["Resource"]]
    assert "InvokeItselfForBackgroundTasks" not in Stack().statements


def test_background_invocations_are_never_retried_and_failures_have_a_destination() -> None:
    config = Stack().resources["BackgroundInvokeConfig"]
    assert config["DependsOn"] == "ProxyFunctionAliaslive"
    properties = config["Properties"]
    assert properties["MaximumRetryAttempts"] == 0
    assert properties["Qualifier"] == "live"
    assert "DestinationConfig" not in properties
    stack = Stack(FailureDestinationArn=QUEUE_ARN)
    properties = stack.resources["BackgroundInvokeConfig"]["Properties"]
    assert properties["DestinationConfig"] == {"OnFailure": {"Destination": QUEUE_ARN}}
    assert stack.statements["ReportFailedBackgroundTasks"]["Resource"] == QUEUE_ARN
    # Events older than the maximum age are dropped by Lambda; the proxy's own limit must fit in it.
    task_max_age = next(s for s in SETTINGS if s.name == "CONNECTOR_PROXY_TASK_MAX_AGE_SECONDS")
    assert properties["MaximumEventAgeInSeconds"] >= int(task_max_age.default)


def test_aws_connector_statements_are_those_of_docs_aws_md() -> None:
    text = (ROOT / "docs" / "aws.md").read_text()
    policy = json.loads(re.search(r'```json\n(\{\n  "Version".*?)```', text, re.S).group(1))  # type: ignore[union-attr]
    stack = Stack(S3Bucket="my-bucket", DynamoDBTable="my-table", SqsQueue="my-queue", SnsTopic="my-topic")
    documented = json.loads(json.dumps(policy).replace("REGION", REGION).replace("ACCOUNT", ACCOUNT))
    for statement in documented["Statement"]:
        deployed = stack.statements[statement["Sid"]]
        assert _as_set(deployed["Action"]) == _as_set(statement["Action"]), statement["Sid"]
        assert _as_set(deployed["Resource"]) == _as_set(statement["Resource"]), statement["Sid"]
    assert set(Stack(S3Bucket="reports-*").statements) == {"ReadApiKey", "S3Objects", "S3List"}
    assert Stack(ExtraPolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess").resources["ProxyFunctionRole"][
        "Properties"
    ]["ManagedPolicyArns"][-1] == ("arn:aws:iam::aws:policy/ReadOnlyAccess")


def _as_set(value: str | list[str]) -> set[str]:
    return {value} if isinstance(value, str) else set(value)


def test_snapstart_applies_to_the_published_versions_the_url_serves() -> None:
    stack = Stack(SnapStart="true")
    assert stack.function["SnapStart"] == {"ApplyOn": "PublishedVersions"}
    alias = stack.resources["ProxyFunctionAliaslive"]["Properties"]
    assert alias["Name"] == "live"
    versions = [r for r in stack.resources.values() if r["Type"] == "AWS::Lambda::Version"]
    assert len(versions) == 1


RESULTS = ("ResultsTable", "ResultsWakeups", "ResultsWakeupDeadLetters", "ResultsWakeupMapping")


def test_background_runs_keep_undelivered_results_in_an_encrypted_table_woken_by_a_queue() -> None:
    assert not set(RESULTS) & set(Stack().resources)  # no background runs, nothing to keep
    stack = Stack(BackgroundTasks="true", Timeout="120")
    table = stack.resources["ResultsTable"]["Properties"]
    assert table["KeySchema"] == [{"AttributeName": "run_id", "KeyType": "HASH"}]
    assert table["BillingMode"] == "PAY_PER_REQUEST"
    assert table["SSESpecification"] == {"SSEEnabled": True}
    # The engine deletes what the proxy says may go (keep_until, epoch seconds).
    assert table["TimeToLiveSpecification"] == {"AttributeName": "keep_until", "Enabled": True}
    queue = stack.resources["ResultsWakeups"]["Properties"]
    dead = stack.resources["ResultsWakeupDeadLetters"]["Properties"]
    assert queue["SqsManagedSseEnabled"] is True and dead["SqsManagedSseEnabled"] is True
    # Lambda refuses a mapping whose queue hides a message for less than the function's timeout.
    assert int(queue["VisibilityTimeout"]) >= int(stack.function["Timeout"]) == 120
    assert queue["RedrivePolicy"]["deadLetterTargetArn"] == "<ResultsWakeupDeadLetters.Arn>"
    mapping = stack.resources["ResultsWakeupMapping"]["Properties"]
    assert mapping["EventSourceArn"] == "<ResultsWakeups.Arn>"
    assert mapping["FunctionName"] == "<ProxyFunctionAliaslive>"
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert stack.environment["CONNECTOR_PROXY_RESULTS_TABLE"] == "<ResultsTable>"
    assert stack.environment["CONNECTOR_PROXY_RESULTS_QUEUE_URL"] == "<ResultsWakeups>"
    assert stack.outputs["ResultsTableName"] == "<ResultsTable>"
    assert stack.outputs["ResultsQueueUrl"] == "<ResultsWakeups>"


def test_the_role_gets_exactly_the_table_and_queue_actions_the_proxy_uses() -> None:
    statements = Stack(AsyncCommands="http/*").statements
    table = statements["KeepUndeliveredResults"]
    assert table["Resource"] == "<ResultsTable.Arn>"
    assert set(table["Action"]) == {
        f"dynamodb:{action}"
        for action in ("GetItem", "PutItem", "UpdateItem", "DeleteItem", "BatchGetItem", "BatchWriteItem")
    }
    queue = statements["WakeUpForRedelivery"]
    assert queue["Resource"] == "<ResultsWakeups.Arn>"
    # Send (the proxy) and what the event source mapping needs to poll and delete, nothing else.
    assert set(queue["Action"]) == {
        "sqs:SendMessage",
        "sqs:ReceiveMessage",
        "sqs:DeleteMessage",
        "sqs:GetQueueAttributes",
    }
    every_action = [action for statement in statements.values() for action in _as_set(statement["Action"])]
    assert not any(action.endswith("*") for action in every_action)
    assert "UseTheResultsKey" not in statements


def test_a_kms_key_of_ones_own_encrypts_the_table_and_the_queues() -> None:
    key = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    stack = Stack(BackgroundTasks="true", ResultsKmsKeyArn=key)
    assert stack.resources["ResultsTable"]["Properties"]["SSESpecification"] == {
        "SSEEnabled": True,
        "SSEType": "KMS",
        "KMSMasterKeyId": key,
    }
    for name in ("ResultsWakeups", "ResultsWakeupDeadLetters"):
        queue = stack.resources[name]["Properties"]
        assert queue["KmsMasterKeyId"] == key and "SqsManagedSseEnabled" not in queue
    assert stack.statements["UseTheResultsKey"] == {
        "Sid": "UseTheResultsKey",
        "Effect": "Allow",
        "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
        "Resource": key,
    }


def test_the_maximum_age_parameter_reaches_the_proxy_within_its_limit() -> None:
    from spiff_lambda_proxy.background.settings import MAX_RESULT_AGE_SECONDS

    parameter = template_source()["Parameters"]["ResultMaxAgeSeconds"]
    assert int(parameter["MaxValue"]) == MAX_RESULT_AGE_SECONDS
    default = next(s for s in SETTINGS if s.name == "CONNECTOR_PROXY_RESULT_MAX_AGE_SECONDS")
    assert str(parameter["Default"]) == default.default
    stack = Stack(BackgroundTasks="true", ResultMaxAgeSeconds="3600")
    assert stack.environment["CONNECTOR_PROXY_RESULT_MAX_AGE_SECONDS"] == "3600"
