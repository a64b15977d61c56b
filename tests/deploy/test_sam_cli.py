"""`make deploy` and `sam build` with the real SAM CLI, in a fresh copy of the project, against moto.

Each test starts as a new user would: no samconfig.toml. moto cannot run the SAM transform, so the
change set never executes there (support/sam_cli.py says what else is a stand-in): the tests check
that SAM got past its configuration and its prompts to CloudFormation, with parameters that never
describe a public URL without a key, and that the code it uploaded is the zip `make zip` builds.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support.cfn_template import Stack
from support.moto_endpoint import MotoServer
from support.sam_cli import TOOLS_BIN, SamAccount, copy_project, run, tools_missing

from tools.lambda_zip.target import find_python

ARCHIVE = Path("dist/spiff-connector-proxy-py3.13-x86_64.zip")
STACK = "spiff-connector-proxy"
# Every prompt of a guided run, with room to spare; each gets Enter.
ENTER_EVERYWHERE = "\n" * 80

pytestmark = [pytest.mark.slow, pytest.mark.skipif(tools_missing() is not None, reason=str(tools_missing()))]


@pytest.fixture
def account(moto_server: MotoServer, tmp_path: Path) -> SamAccount:
    home = tmp_path / "home"
    home.mkdir()
    sam_account = SamAccount(moto_server, home)
    sam_account.prepare()
    return sam_account


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Path]:
    yield copy_project(tmp_path / "project")


def make_deploy(
    project: Path, account: SamAccount, *variables: str, stdin: str = "", env: dict[str, str] | None = None
) -> Any:
    tools = f"TOOLS_VENV={TOOLS_BIN.parent}"
    command = ["make", "--no-print-directory", "deploy", tools, *variables]
    return run(command, project, env or account.environment(), stdin)


def reached_cloudformation(result: Any) -> None:
    """SAM created the change set; moto then fails to execute it, and make deploy says so."""
    output = result.stdout + result.stderr
    assert "Changeset created successfully" in output, output[-4000:]
    assert result.returncode == 2
    assert "make deploy: sam deploy failed (exit status 1); its messages above say why." in result.stderr


def deployed_parameters(account: SamAccount) -> dict[str, str]:
    (change_set,) = account.change_sets(STACK)[-1:]
    return {item["ParameterKey"]: item["ParameterValue"] for item in change_set["Parameters"]}


def assert_key_protects_the_url(parameters: dict[str, str]) -> None:
    """CloudFormation's own view of these parameters: the rules hold, and a key protects the URL."""
    stack = Stack(**parameters)
    assert stack.rules_hold()
    assert stack.condition("HasSomeApiKey") and not stack.condition("PublicWithoutApiKey")
    assert "GeneratedApiKey" in stack.resources
    assert stack.environment["CONNECTOR_PROXY_API_KEY_SECRET"] == "<GeneratedApiKey>"


def uploaded_code(account: SamAccount) -> bytes:
    template = account.uploaded_templates()[-1]
    assert template["Transform"] == "AWS::Serverless-2016-10-31"
    return account.s3_object(template["Resources"]["ProxyFunction"]["Properties"]["CodeUri"])


def make_zip_bytes(project: Path, account: SamAccount) -> bytes:
    result = run(["make", "--no-print-directory", "zip"], project, account.environment())
    assert result.returncode == 0, result.stderr[-3000:]
    return (project / ARCHIVE).read_bytes()


def test_a_guided_first_run_pressing_enter_everywhere(project: Path, account: SamAccount) -> None:
    result = make_deploy(project, account, "GUIDED=1", stdin=ENTER_EVERYWHERE)
    reached_cloudformation(result)
    # NoEcho parameters: SAM asks for them without a default, and again forever on Enter.
    assert not re.search(r"Parameter (ApiKey|SpiffArenaCallbackApiKey)\b(?!Secret)", result.stdout)
    assert "Parameter ApiKeySecret []" in result.stdout
    assert "has no authentication. Is this okay?" not in result.stdout  # that answer defaults to no
    parameters = deployed_parameters(account)
    assert parameters["GenerateApiKey"] == "true" and parameters["FunctionUrlAuthType"] == "NONE"
    assert "ApiKey" not in parameters and "SpiffArenaCallbackApiKey" not in parameters
    assert_key_protects_the_url(parameters)
    template = account.uploaded_templates()[-1]
    assert not any(spec.get("NoEcho") for spec in template["Parameters"].values())
    # SAM saved the answers where make deploy reads them next time.
    saved = (project / "samconfig.toml").read_text()
    assert 'stack_name = "spiff-connector-proxy"' in saved
    assert 'GenerateApiKey=\\"true\\"' in saved
    assert uploaded_code(account) == make_zip_bytes(project, account)


def test_a_first_run_without_a_terminal_is_not_guided_and_later_runs_reuse_its_config(
    project: Path, account: SamAccount
) -> None:
    first = make_deploy(project, account)
    reached_cloudformation(first)
    assert "make deploy: wrote samconfig.toml" in first.stdout
    assert "Setting default arguments for 'sam deploy'" not in first.stdout  # no prompts
    # Nothing overridden: the template's defaults, which generate the key.
    parameters = deployed_parameters(account)
    assert parameters == {}
    assert_key_protects_the_url(parameters)
    code = uploaded_code(account)

    again = make_deploy(project, account)
    reached_cloudformation(again)
    assert "wrote samconfig.toml" not in again.stdout
    # The same sources give the same zip, so SAM finds it uploaded already.
    assert "File with same data already exists" in again.stdout + again.stderr
    assert len(account.change_sets(STACK)) == 2
    assert uploaded_code(account) == code == make_zip_bytes(project, account)


def test_the_named_opt_out_is_the_only_way_to_a_public_url_without_a_key(
    project: Path, account: SamAccount
) -> None:
    opt_out = 'GenerateApiKey="false" AllowPublicUrlWithoutApiKey="true"'
    env = account.environment()
    del env["AWS_DEFAULT_REGION"]  # AWS_REGION alone is enough: make deploy hands it to SAM
    result = make_deploy(project, account, "GUIDED=0", f"PARAMETERS={opt_out}", env=env)
    reached_cloudformation(result)
    parameters = deployed_parameters(account)
    assert parameters == {"GenerateApiKey": "false", "AllowPublicUrlWithoutApiKey": "true"}
    stack = Stack(**parameters)
    assert stack.rules_hold() and "Warning" in stack.outputs  # what make deploy prints afterwards
    assert Stack(GenerateApiKey="false").broken_rules() == ["NoPublicUrlWithoutApiKey"]


def test_background_runs_deploy_the_results_table_its_queue_mapping_and_alarms(
    project: Path, account: SamAccount
) -> None:
    result = make_deploy(project, account, "GUIDED=0", 'PARAMETERS=BackgroundTasks="true"')
    reached_cloudformation(result)
    assert deployed_parameters(account) == {"BackgroundTasks": "true"}
    resources = account.uploaded_templates()[-1]["Resources"]
    expected = {
        "ResultsTable": "AWS::DynamoDB::Table",
        "ResultsWakeups": "AWS::SQS::Queue",
        "ResultsWakeupDeadLetters": "AWS::SQS::Queue",
        "ResultsWakeupMapping": "AWS::Lambda::EventSourceMapping",
        "UndeliveredResultsAlarm": "AWS::CloudWatch::Alarm",
        "ExpiredResultsAlarm": "AWS::CloudWatch::Alarm",
    }
    assert {name: resources[name]["Type"] for name in expected} == expected
    stack = Stack(BackgroundTasks="true")
    assert set(expected) <= set(stack.resources)
    assert {"KeepUndeliveredResults", "WakeUpForRedelivery"} <= set(stack.statements)


def test_sam_validate_with_lint_finds_the_template_valid(project: Path, account: SamAccount) -> None:
    result = run([str(TOOLS_BIN / "sam"), "validate", "--lint"], project, account.environment())
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    assert "template.yaml is a valid SAM Template" in result.stdout + result.stderr


def test_without_credentials_it_stops_saying_why(project: Path, account: SamAccount) -> None:
    env = account.environment()
    del env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"]
    result = make_deploy(project, account, env=env)
    assert result.returncode == 2
    assert "Unable to locate credentials" in result.stdout + result.stderr
    assert "make deploy: sam deploy failed" in result.stderr and "no AWS credentials" in result.stderr
    assert account.change_sets(STACK) == []


def test_sam_build_builds_our_archive_with_its_bytecode(project: Path, account: SamAccount) -> None:
    env = account.environment()
    env["PATH"] = f"{TOOLS_BIN}:{env['PATH']}"
    result = run([str(TOOLS_BIN / "sam"), "build"], project, env)
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]
    assert "unpacked" in result.stderr and "Build Succeeded" in result.stdout  # make's output is on stderr
    built = project / ".aws-sam" / "build" / "ProxyFunction"
    with zipfile.ZipFile(project / ARCHIVE) as archive:
        expected = {entry.filename: archive.read(entry) for entry in archive.infolist() if not entry.is_dir()}
    found = {str(path.relative_to(built)): path.read_bytes() for path in built.rglob("*") if path.is_file()}
    assert found == expected  # the same files, byte for byte; SAM zips them itself
    if find_python("3.13", None) is not None:
        assert "spiff_lambda_proxy/__pycache__/handler.cpython-313.pyc" in found
    assert "CodeUri: ProxyFunction" in (project / ".aws-sam" / "build" / "template.yaml").read_text()


def test_a_sam_deploy_that_skipped_the_build_ships_a_stand_in_not_the_project(
    project: Path, account: SamAccount
) -> None:
    bucket = account.client("s3").list_buckets()["Buckets"][0]["Name"]
    env = account.environment()
    command = ["package", "--template-file", "template.yaml", "--s3-bucket", bucket]
    result = run([str(TOOLS_BIN / "sam"), *command, "--output-template-file", "packaged.yaml"], project, env)
    assert result.returncode == 0, result.stderr[-3000:]
    from cfnlint.decode import decode_str

    packaged, _ = decode_str((project / "packaged.yaml").read_text())
    code = account.s3_object(str(packaged["Resources"]["ProxyFunction"]["Properties"]["CodeUri"]))
    with zipfile.ZipFile(io.BytesIO(code)) as archive:
        assert sorted(archive.namelist()) == ["__init__.py", "lambda_function.py"]
