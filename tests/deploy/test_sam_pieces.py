"""The pieces `make deploy` and `sam build` are made of: samconfig.toml, the template copy, the stack's
outputs turned into next steps (read with the real `sam list stack-outputs` from moto), the build
target's unpacking and the stand-in a build-less `sam deploy` ships."""

from __future__ import annotations

import json
import sys
import zipfile
from pathlib import Path

import pytest
from support.cfn_template import TEMPLATE, Stack
from support.moto_endpoint import MotoServer
from support.sam_cli import TOOLS_BIN, SamAccount, tools_missing

from tools.deploy.plan import Plan
from tools.deploy.run import show_next_steps
from tools.lambda_zip import BuildError
from tools.lambda_zip.target import Runtime
from tools.sam import config as samconfig
from tools.sam import outputs
from tools.sam.artifacts import unpack
from tools.sam.template import TemplateError, no_echo_parameters, without_parameters


def test_the_first_run_config_is_what_sam_reads(tmp_path: Path) -> None:
    path = tmp_path / "samconfig.toml"
    assert samconfig.ensure(path, "my-proxy") is True
    assert samconfig.ensure(path, "other") is False  # never overwritten
    assert samconfig.setting(path, "stack_name") == "my-proxy"
    assert samconfig.setting(path, "capabilities") == "CAPABILITY_IAM"
    assert samconfig.setting(path, "region") is None
    if sys.version_info >= (3, 11):
        import tomllib

        parsed = tomllib.loads(path.read_text())
        assert parsed["default"]["deploy"]["parameters"] == {
            "stack_name": "my-proxy",
            "resolve_s3": True,
            "s3_prefix": "my-proxy",
            "capabilities": "CAPABILITY_IAM",
            "confirm_changeset": False,
        }


def test_settings_as_a_guided_run_saves_them(tmp_path: Path) -> None:
    path = tmp_path / "samconfig.toml"
    path.write_text(
        'version = 0.1\n\n[default.deploy.parameters]\nstack_name = "chosen"\n'
        'parameter_overrides = "GenerateApiKey=\\"true\\" S3Bucket=\\"a\\""\n\n'
        '[default.global.parameters]\nregion = "eu-west-1"\n'
    )
    assert samconfig.setting(path, "stack_name") == "chosen"
    assert samconfig.setting(path, "region") == "eu-west-1"  # from the global section
    assert samconfig.setting(tmp_path / "missing.toml", "stack_name") is None


def test_leaving_out_a_parameter_that_has_no_empty_default_is_refused() -> None:
    text = TEMPLATE.read_text()
    assert no_echo_parameters(text) == ["ApiKey", "SpiffArenaCallbackApiKey"]
    with pytest.raises(TemplateError, match="Timeout has no empty default"):
        without_parameters(text, ["Timeout"])


def test_next_steps_name_both_spiffarena_settings_and_never_the_key() -> None:
    steps = outputs.next_steps(Stack().outputs, "spiff-proxy-stack")
    text = "\n".join(steps.lines)
    assert (
        "SPIFFWORKFLOW_BACKEND_CONNECTOR_PROXY_URL=https://abcdefghij.lambda-url.eu-west-1.on.aws\n" in text
    )
    assert (
        "SPIFFWORKFLOW_BACKEND_CONNECTOR_PROXY_API_KEY=<the generated key, printed by: aws secretsmanager"
        in text
    )
    assert (
        "SPIFFWORKFLOW_BACKEND_CONNECTOR_PROXY_TYPEAHEAD_URL="
        "https://spiff:<the same key>@abcdefghij.lambda-url.eu-west-1.on.aws   (typeahead fields" in text
    )
    assert "Dashboard:" in text and "sam logs --stack-name spiff-proxy-stack --tail" in text
    assert steps.warnings == []
    with pytest.raises(outputs.OutputsError, match="no SpiffArenaConnectorProxyUrl"):
        outputs.next_steps({"FunctionUrl": "x"}, "other-stack")
    with pytest.raises(outputs.OutputsError):
        outputs.parse("Error: not json")


@pytest.mark.slow
@pytest.mark.skipif(tools_missing() is not None, reason=str(tools_missing()))
@pytest.mark.parametrize(
    ("parameters", "warned"),
    [({}, False), ({"GenerateApiKey": "false", "AllowPublicUrlWithoutApiKey": "true"}, True)],
)
def test_after_a_deploy_the_real_stack_outputs_become_next_steps(
    parameters: dict[str, str],
    warned: bool,
    moto_server: MotoServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    account = SamAccount(moto_server, tmp_path)
    account.prepare()
    # The outputs CloudFormation would give a stack of template.yaml with these parameters.
    values = Stack(**parameters).outputs
    template = {
        "Resources": {"Placeholder": {"Type": "AWS::SNS::Topic"}},
        "Outputs": {name: {"Value": value} for name, value in values.items()},
    }
    account.client("cloudformation").create_stack(StackName="deployed", TemplateBody=json.dumps(template))
    env = account.environment()
    env["PATH"] = f"{TOOLS_BIN}:{env['PATH']}"
    plan = Plan(Runtime("3.13", "x86_64"), tmp_path / "unused.zip", [], stack="deployed")
    show_next_steps(plan, env, config=tmp_path / "samconfig.toml")
    shown = capsys.readouterr()
    assert "+ sam list stack-outputs --stack-name deployed --output json" in shown.out
    assert "SPIFFWORKFLOW_BACKEND_CONNECTOR_PROXY_URL=https://" in shown.out
    assert ("SPIFFWORKFLOW_BACKEND_CONNECTOR_PROXY_API_KEY=" in shown.out) is not warned
    assert ("make deploy: WARNING: The function URL is public and no API key is set" in shown.err) is warned


def test_the_build_target_unpacks_the_archive_and_clears_only_its_own_earlier_build(tmp_path: Path) -> None:
    archive = tmp_path / "proxy.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("lambda_function.py", "handler")
        zipped.writestr("pkg/__pycache__/mod.cpython-313.pyc", b"\x00bytecode")
    artifacts = tmp_path / "artifacts"
    assert unpack(archive, artifacts) == 2
    (artifacts / "stale.py").write_text("from an earlier build")
    unpack(archive, artifacts)
    assert sorted(str(p.relative_to(artifacts)) for p in artifacts.rglob("*") if p.is_file()) == [
        "lambda_function.py",
        "pkg/__pycache__/mod.cpython-313.pyc",
    ]
    foreign = tmp_path / "somewhere"
    foreign.mkdir()
    (foreign / "precious.txt").write_text("keep me")
    with pytest.raises(BuildError, match="not an earlier build"):
        unpack(archive, foreign)
    assert (foreign / "precious.txt").exists()


def test_the_build_target_needs_sams_artifacts_dir() -> None:
    from tools.sam import artifacts

    assert artifacts.main(["--artifacts-dir", " "]) == 2


def test_the_stand_in_answers_that_it_was_not_built() -> None:
    from tools.sam.unbuilt import lambda_function

    answer = lambda_function.lambda_handler({"rawPath": "/v1/commands"}, None)
    assert answer["statusCode"] == 503
    body = json.loads(str(answer["body"]))
    assert body["error"]["error_code"] == "not_built"
    assert "make deploy" in body["error"]["message"]
