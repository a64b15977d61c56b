"""template.yaml's logging, metrics, dashboard, alarm and tracing, as CloudFormation would deploy them."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from support.cfn_template import PSEUDO, Stack, template_source
from support.paths import PROJECT_ROOT

from spiff_lambda_proxy.metrics import NAMESPACE_SETTING

TOPIC_ARN = f"arn:aws:sns:{PSEUDO['AWS::Region']}:{PSEUDO['AWS::AccountId']}:proxy-alarms"
FUNCTION = "<ProxyFunction>"


def test_logs_are_json_at_the_chosen_levels_in_the_stacks_log_group() -> None:
    config = Stack().function["LoggingConfig"]
    assert config == {
        "LogFormat": "JSON",
        "ApplicationLogLevel": "INFO",
        "SystemLogLevel": "INFO",
        "LogGroup": "<ProxyLogGroup>",
    }
    quiet = Stack(LogLevel="WARN", SystemLogLevel="WARN").function["LoggingConfig"]
    assert (quiet["ApplicationLogLevel"], quiet["SystemLogLevel"]) == ("WARN", "WARN")


def test_tracing_is_off_unless_asked_for_and_then_may_write_traces() -> None:
    assert "TracingConfig" not in Stack().function
    role = Stack().resources["ProxyFunctionRole"]["Properties"]
    assert not any("XRay" in arn for arn in role["ManagedPolicyArns"])
    traced = Stack(Tracing="Active")
    assert traced.function["TracingConfig"] == {"Mode": "Active"}
    arns = traced.resources["ProxyFunctionRole"]["Properties"]["ManagedPolicyArns"]
    assert any(arn.endswith(":policy/AWSXrayWriteOnlyAccess") for arn in arns)


def test_metrics_are_on_by_default_and_an_empty_namespace_turns_them_off() -> None:
    assert Stack().environment[NAMESPACE_SETTING] == "SpiffConnectorProxy"
    off = Stack(MetricsNamespace="", Dashboard="false")
    assert off.rules_hold()
    assert NAMESPACE_SETTING not in off.environment
    assert "ProxyDashboard" not in off.resources and "ErrorRateAlarm" not in off.resources


@pytest.mark.parametrize(
    "choice", [{"Dashboard": "true"}, {"Dashboard": "false", "AlarmTopicArn": TOPIC_ARN}]
)
def test_the_dashboard_and_the_alarm_need_the_metrics(choice: dict[str, str]) -> None:
    assert Stack(MetricsNamespace="", **choice).broken_rules() == ["MetricsForAlarmAndDashboard"]


def test_the_namespace_parameter_allows_only_what_cloudwatch_accepts() -> None:
    pattern = template_source()["Parameters"]["MetricsNamespace"]["AllowedPattern"]
    for good in ("", "SpiffConnectorProxy", "team/spiff.proxy#1:a-b_c"):
        assert re.fullmatch(pattern, good), good
    for bad in ("AWS/Lambda", "with space", "x" * 256, "é"):
        assert not re.fullmatch(pattern, bad), bad


def dashboard(stack: Stack) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(stack.resources["ProxyDashboard"]["Properties"]["DashboardBody"])
    return body


def test_the_dashboard_shows_commands_errors_by_command_p95_and_the_failed_commands() -> None:
    stack = Stack()
    widgets = dashboard(stack)["widgets"]
    titles = [widget["properties"]["title"] for widget in widgets]
    assert titles == [
        "Commands run and failed",
        "Failed commands, by command",
        "Duration p95 (ms), by command",
        "Latest failed commands",
    ]
    totals, by_command, duration, failed = (widget["properties"] for widget in widgets)
    assert totals["metrics"] == [
        ["SpiffConnectorProxy", "Invocations", "FunctionName", FUNCTION],
        ["SpiffConnectorProxy", "Errors", "FunctionName", FUNCTION],
    ]
    search = by_command["metrics"][0][0]["expression"]
    assert search == (
        'SEARCH(\'{SpiffConnectorProxy,Command,FunctionName} MetricName="Errors" '
        f"FunctionName=\"{FUNCTION}\"', 'Sum', 300)"
    )
    assert 'MetricName="Duration"' in duration["metrics"][0][0]["expression"]
    assert duration["metrics"][0][0]["expression"].endswith("'p95', 300)")
    assert failed["query"].startswith("SOURCE '<ProxyLogGroup>' | fields @timestamp, command, error_code")
    assert "filter ispresent(error_code)" in failed["query"]
    assert {widget["properties"]["region"] for widget in widgets} == {PSEUDO["AWS::Region"]}
    assert "DashboardUrl" in stack.outputs
    assert "DashboardUrl" not in Stack(Dashboard="false").outputs


def test_the_documented_logs_insights_query_is_the_dashboards() -> None:
    query = template_source()["Resources"]["ProxyDashboard"]["Properties"]["DashboardBody"]["Fn::Sub"][1][
        "FailedCommands"
    ]
    troubleshooting = (PROJECT_ROOT / "docs" / "troubleshooting.md").read_text()
    assert " ".join(query.split()) in " ".join(troubleshooting.split())


def test_no_alarm_without_a_topic_and_with_one_an_alarm_on_the_error_rate() -> None:
    assert "ErrorRateAlarm" not in Stack().resources
    alarm = Stack(AlarmTopicArn=TOPIC_ARN, ErrorRateAlarmPercent="5").resources["ErrorRateAlarm"][
        "Properties"
    ]
    assert alarm["AlarmActions"] == alarm["OKActions"] == [TOPIC_ARN]
    assert (alarm["ComparisonOperator"], alarm["Threshold"]) == ("GreaterThanThreshold", "5")
    assert alarm["TreatMissingData"] == "notBreaching"  # no commands is no failure
    metrics = {query["Id"]: query for query in alarm["Metrics"]}
    assert metrics["error_rate"]["Expression"] == "100 * errors / invocations"
    assert [query["Id"] for query in alarm["Metrics"] if query["ReturnData"]] == ["error_rate"]
    for name, metric in (("errors", "Errors"), ("invocations", "Invocations")):
        stat = metrics[name]["MetricStat"]
        assert stat["Metric"] == {
            "Namespace": "SpiffConnectorProxy",
            "MetricName": metric,
            "Dimensions": [{"Name": "FunctionName", "Value": FUNCTION}],
        }
        assert (stat["Stat"], stat["Period"]) == ("Sum", 300)


def test_undelivered_and_expired_results_each_have_an_alarm() -> None:
    assert "ExpiredResultsAlarm" not in Stack().resources  # no background runs
    assert (
        "ExpiredResultsAlarm"
        not in Stack(BackgroundTasks="true", MetricsNamespace="", Dashboard="false").resources
    )
    topic = f"arn:aws:sns:{PSEUDO['AWS::Region']}:{PSEUDO['AWS::AccountId']}:ops"
    for choice, actions in (({}, None), ({"AlarmTopicArn": topic}, [topic])):
        stack = Stack(BackgroundTasks="true", **choice)
        for name, metric in (("UndeliveredResultsAlarm", "Undelivered"), ("ExpiredResultsAlarm", "Expired")):
            alarm = stack.resources[name]["Properties"]
            assert (alarm["MetricName"], alarm["Namespace"], alarm["Statistic"]) == (
                metric,
                "SpiffConnectorProxy",
                "Sum",
            )
            # The function alone: the proxy writes these by FunctionName as well as by Outcome.
            assert alarm["Dimensions"] == [{"Name": "FunctionName", "Value": "<ProxyFunction>"}]
            assert (alarm["ComparisonOperator"], alarm["Threshold"]) == ("GreaterThanThreshold", 0)
            assert alarm.get("AlarmActions") == actions
