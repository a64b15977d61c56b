"""Starting a command in the background: answer 202 now, run it in another invocation of this function.

A command runs in the background when SpiffArena sent a callback URL and either
the deployment lists it in `CONNECTOR_PROXY_ASYNC_COMMANDS` or the BPMN author
passed `spiff__proxy_background` (commands with their own `execute_async` keep
using it, see `runner.run`). The request has been fully validated by then, and
the callback URL checked (`callback_url`); the work is handed to an asynchronous
invocation of this same function (`worker` runs it and PUTs the result to the
callback URL). When that hand-over fails the caller hears why at once instead
of a 202 that never completes.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from ..budget import LambdaContext
from ..envelope import v2_envelope
from ..errors import BackgroundStartFailed, BadRequest, PayloadTooLarge, ProxyError
from ..messages import Response
from ..runner import TASK_DATA_KEY, Invocation, has_execute_async
from ..settings import Settings, outbound_policy
from . import event as run_event
from .settings import BackgroundSettings, signing_secret

# The reserved argument a BPMN author sets to run one service task in the background.
# `spiff__` keys never reach a command; "proxy" keeps it apart from SpiffArena's own keys.
BACKGROUND_KEY = "spiff__proxy_background"
# Lambda's limit for an asynchronous invocation's payload (1 MB since 2025; it was 256 KB).
ASYNC_PAYLOAD_LIMIT = 1024 * 1024

_TRUE = frozenset({"true", "yes", "on", "1"})
_FALSE = frozenset({"false", "no", "off", "0", "", "none", "null"})

logger = logging.getLogger(__name__)

# Takes (function ARN, event payload, command id) and makes the event run; raises a ProxyError if not.
HandOver = Callable[[str, bytes, str], None]
_hand_over: HandOver | None = None


def hand_over_with(hand_over: HandOver | None) -> None:
    """Run events go to `hand_over` instead of Lambda's Invoke API (`make serve`); None restores it."""
    global _hand_over
    _hand_over = hand_over


def wanted(invocation: Invocation) -> bool:
    """Whether this invocation should run in the background rather than answer with its result."""
    settings = BackgroundSettings.current()
    requested = _requested(invocation.reserved.get(BACKGROUND_KEY))
    if not invocation.callback_url or has_execute_async(invocation.target):
        return False
    if requested is not None:
        return requested  # the diagram's explicit choice wins over the deployment's list
    import fnmatch  # here, not at cold start: most requests never get this far

    return any(fnmatch.fnmatchcase(invocation.target.id, pattern) for pattern in settings.async_commands)


def start(
    invocation: Invocation,
    lambda_context: LambdaContext | None,
    proxy_settings: Settings,
    request_id: str = "",
) -> Response:
    """Hand the command to an asynchronous invocation of this function and answer 202."""
    from . import callback_url as callback_rules  # resolves names; only background runs need it

    settings = BackgroundSettings.current()
    target = invocation.target
    url = invocation.callback_url or ""
    callback_rules.check(url, settings, proxy_settings, outbound_policy())
    function_arn = lambda_context.invoked_function_arn if lambda_context is not None else None
    if not isinstance(function_arn, str) or not function_arn.startswith("arn:"):
        raise BackgroundStartFailed(
            f"{target.id} is set to run in the background, which needs AWS Lambda (it invokes its own "
            "function) or `make serve`; this process has neither."
        )
    if not settings.callback_api_key:
        logger.warning(
            "SPIFFARENA_CALLBACK_API_KEY is not set: SpiffArena will refuse the callback of %s", target.id
        )
    from . import keeper  # here, not at cold start: only background runs keep results

    keeper.current(settings)  # a half-configured results table is answered now; none is warned of once
    import uuid

    run = run_event.Run(
        run_id=str(uuid.uuid4()),
        command_id=target.id,
        params=invocation.params,
        task_data=invocation.task_data,
        callback_url=url,
        issued_at=int(time.time()),
        process_instance_id=_label(invocation.reserved.get("spiff__process_instance_id")),
        spiff_task_id=_label(invocation.reserved.get("spiff__task_id")),
    )
    try:
        payload = run_event.encode(run, signing_secret(proxy_settings))
    except (TypeError, ValueError) as error:
        raise BadRequest(
            f"{target.id}: the parameters or {TASK_DATA_KEY} cannot be handed to a background run: {error}.",
            error_code="invalid_parameters",
        ) from None
    if len(payload) > ASYNC_PAYLOAD_LIMIT:
        raise PayloadTooLarge(
            f"{target.id} cannot run in the background: its parameters and task data come to "
            f"{len(payload)} bytes, and Lambda hands at most {ASYNC_PAYLOAD_LIMIT} to an asynchronous "
            "invocation. Pass less task data, or run it synchronously (leave out spiff__proxy_background "
            "or remove it from CONNECTOR_PROXY_ASYNC_COMMANDS).",
            error_code="task_payload_too_large",
        )
    (_hand_over or _invoke_self)(function_arn, payload, target.id)
    logger.info(
        "background run %s started for %s (process instance %s, task %s, request %s)",
        run.run_id,
        target.id,
        run.process_instance_id,
        run.spiff_task_id,
        request_id or "-",
    )
    return Response.json(202, accepted_envelope(run))


def accepted_envelope(run: run_event.Run) -> dict[str, Any]:
    message = f"{run.command_id} runs in the background; its result will be sent to the callback URL."
    return v2_envelope(
        {"accepted": True, "run_id": run.run_id, "message": message},
        http_status=202,
        logs=[f"background run {run.run_id} started for {run.command_id}"],
    )


def _label(value: Any) -> str | int | None:
    """SpiffArena's ids of the task, for log lines: short scalars only, whatever the caller sent."""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        return None
    return value[:100] if isinstance(value, str) else value


def _requested(value: Any) -> bool | None:
    """The reserved argument as a yes/no, None when absent; anything unclear is a bad request."""
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return value != 0
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise BadRequest(
        f"{BACKGROUND_KEY} must be true or false, not {value!r}.", error_code="invalid_parameters"
    )


def _invoke_self(function_arn: str, payload: bytes, command_id: str) -> None:
    from .. import aws  # background runs only: off the cold start

    try:
        from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError
    except ImportError:
        raise BackgroundStartFailed(
            "Background runs need boto3, which the AWS Lambda Python runtime provides; it is not "
            "installed here."
        ) from None
    # arn:aws:lambda:<region>:<account>:function:<name>[:<qualifier>]
    region = function_arn.split(":")[3]
    function_name = function_arn.split(":")[6] if function_arn.count(":") >= 6 else function_arn
    try:
        answer = aws.client("lambda", region, aws.LAMBDA_TIMEOUTS).invoke(
            FunctionName=function_arn, InvocationType="Event", Payload=payload
        )
    except ClientError as error:
        raise _invoke_error(error, function_name, command_id) from None
    except NoCredentialsError:
        raise BackgroundStartFailed(
            f"{command_id} could not start in the background: no AWS credentials to invoke {function_name}."
        ) from None
    except BotoCoreError as error:
        logger.error("self-invocation for %s failed: %s", command_id, type(error).__name__)
        raise BackgroundStartFailed(
            f"{command_id} could not start in the background: Lambda could not be reached "
            f"({type(error).__name__}). Try again.",
            status=503,
        ) from None
    status = answer.get("StatusCode")
    if status != 202:
        raise BackgroundStartFailed(
            f"{command_id} could not start in the background: Lambda answered the asynchronous invocation "
            f"with status {status}, not 202."
        )


def _invoke_error(error: Any, function_name: str, command_id: str) -> ProxyError:
    from .. import aws

    code = aws.error_code(error)
    # AWS's own message names roles and accounts: the operator's log gets it, the caller does not.
    logger.error("self-invocation for %s failed: %s: %s", command_id, code, error)
    if code in aws.DENIED:
        return BackgroundStartFailed(
            f"{command_id} could not start in the background: this function may not invoke itself. "
            f"Grant its execution role lambda:InvokeFunction on the function {function_name} "
            "(see docs/long-running.md).",
            error_code="self_invoke_denied",
        )
    if code in aws.THROTTLED:
        return BackgroundStartFailed(
            f"{command_id} could not start in the background: Lambda throttled the invocation of "
            f"{function_name} ({code}). Try again later, or raise the function's concurrency.",
            status=503,
            error_code="self_invoke_throttled",
        )
    if code == "RequestEntityTooLargeException":
        return PayloadTooLarge(
            f"{command_id} cannot run in the background: Lambda refused its parameters and task data "
            "as too large for an asynchronous invocation. Pass less task data, or run it synchronously.",
            error_code="task_payload_too_large",
        )
    return BackgroundStartFailed(
        f"{command_id} could not start in the background: invoking {function_name} failed with {code}.",
        error_code="self_invoke_failed",
    )
