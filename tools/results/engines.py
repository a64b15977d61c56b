"""Which store `make results` reads: make serve's results file, or a deployed stack's table and queue."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from spiff_lambda_proxy.background.keeper import Keeper

# template.yaml's outputs naming the table and the queue.
TABLE_OUTPUT = "ResultsTableName"
QUEUE_OUTPUT = "ResultsQueueUrl"


class EngineError(Exception):
    pass


def open_engine(
    *,
    file: Path | None = None,
    stack: str | None = None,
    table: str | None = None,
    queue: str | None = None,
    region: str | None = None,
) -> Keeper:
    if sum(bool(value) for value in (file, stack, table or queue)) > 1:
        raise EngineError("name one place: a results file (FILE=), a stack (STACK=), or TABLE= with QUEUE=")
    # The AWS CLI's and Lambda's variable too, which boto3 alone does not read.
    region = region or os.environ.get("AWS_REGION") or None
    if stack:
        table, queue = _from_stack(stack, region)
    if table or queue:
        if not (table and queue):
            raise EngineError("TABLE= and QUEUE= go together (CONNECTOR_PROXY_RESULTS_TABLE and _QUEUE_URL)")
        from spiff_lambda_proxy.background.aws_store import AwsKeeper

        _need_boto3()
        return AwsKeeper(table, queue, region=region)
    from tools.local.results_file import DEFAULT_RESULTS_FILE, FileKeeper

    path = file or DEFAULT_RESULTS_FILE
    if not path.exists():
        raise EngineError(
            f"no results file at {path}: make serve has kept no result there yet. For a deployed stack, "
            "give STACK=<its name> (or TABLE= and QUEUE=)."
        )
    return FileKeeper(path)


def _from_stack(stack: str, region: str | None) -> tuple[str, str]:
    _need_boto3()
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError, NoRegionError

    try:
        found: Any = boto3.client("cloudformation", region_name=region).describe_stacks(StackName=stack)
    except ClientError as error:
        raise EngineError(
            f"cannot read stack {stack}: {error.response.get('Error', {}).get('Message')}"
        ) from None
    except NoRegionError:
        raise EngineError(f"which region is stack {stack} in? Give REGION= (or set AWS_REGION)") from None
    except BotoCoreError as error:
        raise EngineError(f"cannot reach CloudFormation for stack {stack}: {error}") from None
    outputs = {item["OutputKey"]: item["OutputValue"] for item in found["Stacks"][0].get("Outputs", [])}
    if TABLE_OUTPUT not in outputs or QUEUE_OUTPUT not in outputs:
        raise EngineError(
            f"stack {stack} keeps no results (no {TABLE_OUTPUT} and {QUEUE_OUTPUT} outputs): deploy this "
            "template.yaml with background runs on (BackgroundTasks=true or AsyncCommands)."
        )
    return outputs[TABLE_OUTPUT], outputs[QUEUE_OUTPUT]


def _need_boto3() -> None:
    try:
        import boto3  # noqa: F401
    except ImportError:
        raise EngineError(
            "a deployed stack needs boto3: run it from the project's .venv (make results)"
        ) from None
