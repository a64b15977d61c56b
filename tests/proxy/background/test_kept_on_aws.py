"""On AWS, a result SpiffArena could not take waits in DynamoDB and is delivered when SpiffArena is back.

Against moto's server (tables and queues answer as AWS's do) with a stand-in for the SQS
event source mapping (support.event_source_mapping, which follows AWS's documented behaviour:
the real one is part of the Lambda service): the background run's invocation goes through
`lambda_handler`, and so does every SQS event of wake-ups. SpiffArena is the stand-in of its
callback route (support.spiffarena), taken down and brought back. Settings are test-sized
(the product's own: attempts, backoff, maximum age), so nothing sleeps through a real backoff.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from support import emf
from support.background import SECRET
from support.event_source_mapping import EventSourceMapping
from support.lambda_events import lambda_context
from support.moto_endpoint import AwsTestBed
from support.sample_connectors import CONNECTOR_PROBE
from support.spiffarena import SpiffArena, Stored, Task

import lambda_function
from spiff_lambda_proxy.background import event as run_event
from spiff_lambda_proxy.background.aws_store import AwsKeeper
from spiff_lambda_proxy.background.stored import EXPIRED, HELD, WAITING, StoredResult
from spiff_lambda_proxy.registry import Registry


@pytest.fixture(autouse=True)
def connectors(extra_connectors: Callable[[dict[str, str]], Registry]) -> Registry:
    return extra_connectors(CONNECTOR_PROBE)


@pytest.fixture(autouse=True)
def quick(spiffarena: SpiffArena, monkeypatch: pytest.MonkeyPatch) -> None:
    """Test-sized attempts, and SQS delays of whole seconds: a wake-up after a second, each time."""
    monkeypatch.setenv("CONNECTOR_PROXY_CALLBACK_ATTEMPTS", "2")
    monkeypatch.setenv("CONNECTOR_PROXY_REDELIVERY_BACKOFF_SECONDS", "1")
    monkeypatch.setenv("CONNECTOR_PROXY_REDELIVERY_MAX_BACKOFF_SECONDS", "1")


class Deployment:
    """What template.yaml creates for kept results, in moto: the table, the queue and its dead letters."""

    def __init__(self, aws: AwsTestBed, monkeypatch: pytest.MonkeyPatch) -> None:
        self.dynamodb = aws.client("dynamodb")
        self.sqs = aws.client("sqs")
        self.table = f"results-{uuid.uuid4().hex[:8]}"
        self.dynamodb.create_table(
            TableName=self.table,
            AttributeDefinitions=[{"AttributeName": "run_id", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "run_id", "KeyType": "HASH"}],
            BillingMode="PAY_PER_REQUEST",
            SSESpecification={"Enabled": True},
        )
        dead = self.sqs.create_queue(QueueName=f"{self.table}-dead")["QueueUrl"]
        dead_arn = self.sqs.get_queue_attributes(QueueUrl=dead, AttributeNames=["QueueArn"])["Attributes"]
        self.dead_letters = dead
        self.queue = self.sqs.create_queue(
            QueueName=f"{self.table}-wakeups",
            Attributes={
                "VisibilityTimeout": "1",
                "SqsManagedSseEnabled": "true",
                "RedrivePolicy": json.dumps(
                    {"deadLetterTargetArn": dead_arn["QueueArn"], "maxReceiveCount": "2"}
                ),
            },
        )["QueueUrl"]
        monkeypatch.setenv("CONNECTOR_PROXY_RESULTS_TABLE", self.table)
        monkeypatch.setenv("CONNECTOR_PROXY_RESULTS_QUEUE_URL", self.queue)
        self.mapping = EventSourceMapping(self.sqs, self.queue, lambda_function.lambda_handler)
        self.keeper = AwsKeeper(self.table, self.queue)

    def kept(self) -> list[StoredResult]:
        return self.keeper.results()

    def wake_until(self, done: Callable[[], bool], seconds: float = 20) -> None:
        """Let the mapping deliver wake-ups until `done()`; fails (not hangs) when it never is."""
        deadline = time.monotonic() + seconds
        while not done():
            assert time.monotonic() < deadline, f"not done within {seconds} s: {self.kept()}"
            self.mapping.poll(wait_seconds=1, context=lambda_context())


@pytest.fixture
def deployment(aws: AwsTestBed, monkeypatch: pytest.MonkeyPatch) -> Deployment:
    return Deployment(aws, monkeypatch)


def run_in_background(spiffarena: SpiffArena, task: Task, params: dict[str, Any]) -> dict[str, Any]:
    the_run = run_event.Run(
        run_id=str(uuid.uuid4()),
        command_id="probe/Count",
        params=params,
        task_data={"order": 42},
        callback_url=spiffarena.callback_url(task),
        issued_at=int(time.time()),
        process_instance_id=task.instance,
        spiff_task_id=task.guid,
    )
    event = json.loads(run_event.encode(the_run, SECRET))
    result: dict[str, Any] = lambda_function.lambda_handler(event, lambda_context())
    return result


def test_a_result_kept_through_an_outage_arrives_once_spiffarena_is_back(
    spiffarena: SpiffArena, deployment: Deployment, tmp_path: Path
) -> None:
    runs = tmp_path / "runs.txt"
    task = spiffarena.service_task("probe/Count")
    spiffarena.go_down()
    answer = run_in_background(spiffarena, task, {"path": str(runs)})
    # The result is safe: the invocation succeeds, so nothing goes to the on-failure destination.
    assert (answer["ok"], answer["outcome"], answer["kept"]) == (True, "unreachable", WAITING)
    [kept] = deployment.kept()
    assert (kept.run_id, kept.state, kept.attempts, kept.rounds) == (answer["run_id"], WAITING, 2, 1)
    assert (kept.process_instance_id, kept.spiff_task_id) == (task.instance, task.guid)
    assert "ConnectionRefusedError" in (kept.last_answer or "")

    # While SpiffArena stays down, each wake-up makes one attempt and schedules the next.
    deployment.wake_until(lambda: deployment.kept()[0].rounds >= 3)
    assert deployment.kept()[0].state == WAITING
    spiffarena.come_back()
    deployment.wake_until(lambda: not deployment.kept())

    outcome = spiffarena.wait(task, timeout=0)
    assert isinstance(outcome, Stored) and outcome.value["body"]["runs"] == 1
    assert runs.read_text().count("ran") == 1  # the command ran once, whatever happened after
    assert [put.status for put in spiffarena.puts] == [200]
    for batch in deployment.mapping.batches:
        assert batch.answer == {"batchItemFailures": []}


def test_a_wake_up_that_comes_early_or_twice_sends_nothing(
    spiffarena: SpiffArena, deployment: Deployment, tmp_path: Path
) -> None:
    task = spiffarena.service_task("probe/Count")
    spiffarena.go_down()
    run_in_background(spiffarena, task, {"path": str(tmp_path / "runs.txt")})
    [kept] = deployment.kept()
    spiffarena.come_back()
    # An old wake-up (a token the result no longer names) and a forged one for an unknown run.
    for body in (
        {"run_id": kept.run_id, "wake_token": "an-old-token"},
        {"run_id": str(uuid.uuid4()), "wake_token": kept.wake_token},
        {"something": "else"},
    ):
        deployment.sqs.send_message(QueueUrl=deployment.queue, MessageBody=json.dumps(body))
    deployment.wake_until(lambda: not deployment.kept())
    assert [put.status for put in spiffarena.puts] == [200]


def test_refused_for_good_it_is_held_for_an_operator_who_redelivers_it(
    spiffarena: SpiffArena,
    deployment: Deployment,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from tools.results.__main__ import main as results_main

    monkeypatch.setenv("CONNECTOR_PROXY_METRICS_NAMESPACE", "SpiffConnectorProxy")
    monkeypatch.setenv("SPIFFARENA_CALLBACK_API_KEY", "a-revoked-key-0001")
    task = spiffarena.service_task("probe/Count")
    answer = run_in_background(spiffarena, task, {"path": str(tmp_path / "runs.txt")})
    assert (answer["outcome"], answer["kept"]) == ("bad_key", HELD)
    kept_line = [doc for doc in emf_lines(capsys) if "Kept" in doc]
    assert [(doc["Kept"], doc["Outcome"]) for doc in kept_line] == [(1, "bad_key")]
    deployment.mapping.poll(wait_seconds=2)
    assert len(spiffarena.puts) == 1  # held: not retried

    args = ["--table", deployment.table, "--queue", deployment.queue]
    assert results_main(args) == 0
    listing = capsys.readouterr().out
    assert answer["run_id"] in listing and "held" in listing and "HTTP 401" in listing
    assert "a-revoked-key" not in listing and '"order"' not in listing

    monkeypatch.setenv("SPIFFARENA_CALLBACK_API_KEY", spiffarena.api_key)
    assert results_main([*args, "redeliver", answer["run_id"]]) == 0
    deployment.wake_until(lambda: not deployment.kept())
    assert isinstance(spiffarena.wait(task, timeout=0), Stored)
    redelivered = [doc for doc in emf_lines(capsys) if doc.get("Redelivered")]
    assert [doc["Outcome"] for doc in redelivered] == ["delivered"]


def test_past_its_maximum_age_it_expires_counted_and_listed(
    spiffarena: SpiffArena,
    deployment: Deployment,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("CONNECTOR_PROXY_METRICS_NAMESPACE", "SpiffConnectorProxy")
    monkeypatch.setenv("CONNECTOR_PROXY_RESULT_MAX_AGE_SECONDS", "2")
    task = spiffarena.service_task("probe/Count")
    spiffarena.go_down()
    run_in_background(spiffarena, task, {"path": str(tmp_path / "runs.txt")})
    deployment.wake_until(lambda: deployment.kept()[0].state == EXPIRED)
    [expired] = deployment.kept()
    assert expired.rounds >= 2 and expired.keep_until > time.time() + 13 * 24 * 3600
    assert [doc["Outcome"] for doc in emf_lines(capsys) if doc.get("Expired")] == ["unreachable"]
    # No longer retried: its wake-ups have stopped.
    spiffarena.come_back()
    assert deployment.mapping.poll(wait_seconds=2) is None
    assert spiffarena.puts == [] or all(put.status != 200 for put in spiffarena.puts)


def test_a_result_too_large_for_one_item_is_kept_in_parts_and_sent_whole(
    spiffarena: SpiffArena, deployment: Deployment, tmp_path: Path
) -> None:
    task = spiffarena.service_task("probe/Count")
    spiffarena.go_down()
    run_in_background(spiffarena, task, {"path": str(tmp_path / "runs.txt"), "size": 40_000})
    items = deployment.dynamodb.scan(TableName=deployment.table)["Items"]
    assert len(items) >= 3  # the result and at least two parts of its body
    # Every part expires with its result, should a crash ever leave one behind.
    assert {item["keep_until"]["N"] for item in items} == {items[0]["keep_until"]["N"]}
    spiffarena.come_back()
    deployment.wake_until(lambda: not deployment.kept())
    outcome = spiffarena.wait(task, timeout=0)
    assert isinstance(outcome, Stored) and len(outcome.value["body"]["filler"]) == 40_000
    assert deployment.dynamodb.scan(TableName=deployment.table)["Items"] == []  # parts removed too


def test_a_wake_up_that_keeps_failing_ends_in_the_dead_letter_queue_and_the_result_stays(
    spiffarena: SpiffArena, deployment: Deployment, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    task = spiffarena.service_task("probe/Count")
    spiffarena.go_down()
    run_in_background(spiffarena, task, {"path": str(tmp_path / "runs.txt")})
    [kept] = deployment.kept()
    # The function loses its access to the table: every wake-up fails, and is reported as failed.
    monkeypatch.setenv("CONNECTOR_PROXY_RESULTS_TABLE", "no-such-table")
    dead: list[dict[str, Any]] = []
    deadline = time.monotonic() + 20
    while not dead:
        assert time.monotonic() < deadline, "the wake-up never reached the dead-letter queue"
        batch = deployment.mapping.poll(wait_seconds=1)
        if batch is not None:
            ids = [record["messageId"] for record in batch.event["Records"]]
            assert batch.answer == {"batchItemFailures": [{"itemIdentifier": one} for one in ids]}
        dead = deployment.sqs.receive_message(QueueUrl=deployment.dead_letters).get("Messages", [])
    assert json.loads(dead[0]["Body"])["run_id"] == kept.run_id
    assert [result.run_id for result in deployment.kept()] == [kept.run_id]  # waiting for an operator


def emf_lines(capsys: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith('{"_aws"')]
    return [emf.check(line) for line in lines]


def test_without_a_results_table_a_lost_result_fails_the_invocation_and_says_so_once(
    spiffarena: SpiffArena, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from spiff_lambda_proxy.background.worker import RunFailed

    spiffarena.go_down()
    for _ in range(2):
        with pytest.raises(RunFailed, match=r"\[unreachable\]"):
            run_in_background(
                spiffarena, spiffarena.service_task("probe/Count"), {"path": str(tmp_path / "r")}
            )
    warnings = [record for record in caplog.records if "are NOT kept" in record.getMessage()]
    assert len(warnings) == 1 and warnings[0].levelname == "WARNING"
    assert "CONNECTOR_PROXY_RESULTS_TABLE" in warnings[0].getMessage()


@pytest.mark.parametrize("missing", ["CONNECTOR_PROXY_RESULTS_TABLE", "CONNECTOR_PROXY_RESULTS_QUEUE_URL"])
def test_half_a_results_engine_is_a_configuration_error_before_the_202(
    monkeypatch: pytest.MonkeyPatch, missing: str, spiffarena: SpiffArena
) -> None:
    from support.lambda_events import invoke

    other = {"CONNECTOR_PROXY_RESULTS_TABLE", "CONNECTOR_PROXY_RESULTS_QUEUE_URL"} - {missing}
    monkeypatch.setenv(other.pop(), "something")
    monkeypatch.setenv("CONNECTOR_PROXY_API_KEY", "proxy-key")
    body = {
        "path": "/dev/null",
        "spiff__callback_url": spiffarena.callback_url(spiffarena.service_task("probe/Count")),
        "spiff__proxy_background": True,
    }
    answer = invoke(
        "function-url",
        "POST",
        "/v1/do/probe/Count",
        body=body,
        headers={"spiff-connector-proxy-api-key": "proxy-key"},
    )
    assert answer.status == 500 and answer.json["error"]["error_code"] == "configuration_error"
    assert (
        missing in answer.json["error"]["message"]
        or "one of them is missing" in answer.json["error"]["message"]
    )


@pytest.mark.parametrize(
    "records",
    [
        [{"eventSource": "aws:sqs"}],
        [{"eventSource": "aws:sqs", "messageId": "m1", "body": None}],
        [{"eventSource": "aws:sqs", "messageId": "m1", "body": "{" * 10_000}],
        [
            {
                "eventSource": "aws:sqs",
                "messageId": "m1",
                "body": json.dumps({"run_id": "x" * 5000, "wake_token": "t"}),
            }
        ],
        [{"eventSource": "aws:sqs", "messageId": "m1", "body": "[]"}, "not a record"],
    ],
)
def test_a_batch_of_nonsense_is_answered_never_raised(deployment: Deployment, records: list[Any]) -> None:
    answer = lambda_function.lambda_handler({"Records": records}, lambda_context())
    assert answer == {"batchItemFailures": []}  # nothing to deliver, and trying again would not change it


def test_make_results_finds_the_table_and_queue_from_the_stacks_outputs(
    spiffarena: SpiffArena,
    deployment: Deployment,
    aws: AwsTestBed,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from tools.results.__main__ import main as results_main

    spiffarena.go_down()
    answer = run_in_background(
        spiffarena, spiffarena.service_task("probe/Count"), {"path": str(tmp_path / "r")}
    )
    # A stack whose outputs name them, as template.yaml's do (moto's CloudFormation stands in).
    template = {
        "Resources": {"Nothing": {"Type": "AWS::SQS::Queue"}},
        "Outputs": {
            "ResultsTableName": {"Value": deployment.table},
            "ResultsQueueUrl": {"Value": deployment.queue},
        },
    }
    aws.client("cloudformation").create_stack(StackName="proxy-stack", TemplateBody=json.dumps(template))
    assert results_main(["--stack", "proxy-stack"]) == 0
    listing = capsys.readouterr().out
    assert answer["run_id"] in listing and "waiting" in listing and "DynamoDB table" in listing
    assert results_main(["--stack", "no-such-stack"]) == 1
    assert "cannot read stack no-such-stack" in capsys.readouterr().err
