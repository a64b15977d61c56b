"""Running a background task in its own invocation and reporting the result to SpiffArena.

`background.start` hands a command over in a signed internal event; this
module checks the event, runs the command with the original arguments and task
data, turns whatever came of it into the v2 envelope SpiffArena's callback
route reads (`command_response.body` always present, failures with an
`error_code`), and PUTs that to the callback URL.

Unlike HTTP requests, a task whose result cannot be delivered ends in an
exception: Lambda then counts the asynchronous invocation as failed, which is
what sends the event to an on-failure destination or dead-letter queue.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import Any

from .. import logs, runner
from ..auth import expected_api_key
from ..budget import ANSWER_MARGIN_SECONDS
from ..envelope import as_v2, v2_error_envelope
from ..errors import CommandNotFound, ConfigurationError, InvalidResult, ProxyError
from ..messages import dump_json
from ..registry import registry
from ..settings import Settings
from . import callback
from . import event as task_event
from .settings import BackgroundSettings

logger = logging.getLogger(__name__)

# Without a Lambda context (local runs) nothing bounds the work; keep delivery bounded anyway.
_UNBOUNDED_SECONDS = 900.0


class TaskFailed(Exception):
    """The background task's invocation failed; Lambda passes the event on to its failure destination."""


def run(event: Mapping[str, Any], lambda_context: Any) -> dict[str, Any]:
    started = time.time()
    try:
        proxy_settings = Settings.from_environ()
        # The key that signed the event, when it lives in a secret store rather than the environment.
        stored_key = expected_api_key(proxy_settings) if proxy_settings.api_key_secret is not None else None
        settings = BackgroundSettings.from_environ(api_key=stored_key)
    except ConfigurationError as error:
        logger.error("background task not run, the configuration is invalid: %s", error.message)
        raise TaskFailed(f"background task not run: {error.message}") from None
    logs.set_level(proxy_settings.log_level)

    expired_after: float | None = None
    try:
        try:
            task = task_event.open_event(event, settings.task_secret, settings.task_max_age)
        except task_event.Expired as expired:
            task, expired_after = expired.task, expired.age
        callback.check_callback_url(task.callback_url, settings, proxy_settings)
    except task_event.Refused as refusal:
        return _refused(refusal.error_code, refusal.message)
    except ProxyError as error:
        return _refused(error.error_code, error.message)

    if expired_after is not None:
        envelope = v2_error_envelope(
            "background_task_expired",
            504,
            f"{task.command_id} was not run: its background task waited {expired_after:.0f} s to start, "
            f"more than CONNECTOR_PROXY_TASK_MAX_AGE_SECONDS ({settings.task_max_age:.0f}).",
        )
    else:
        envelope = outcome(task, lambda_context, settings)
    body = _encode(task.command_id, envelope)

    delivery = callback.deliver(
        task.callback_url,
        body,
        api_key=settings.callback_api_key,
        deadline=_delivery_deadline(lambda_context),
        policy=callback.Policy(
            settings.callback_timeout, settings.callback_attempts, settings.callback_backoff
        ),
    )
    reported = envelope.get("error")
    error_code = reported.get("error_code") if isinstance(reported, Mapping) else None
    where = callback.loggable(task.callback_url)
    if not delivery.delivered:
        message = (
            f"background task {task.task_id} ({task.command_id}): the result could not be delivered to "
            f"{where}: {delivery.detail} after {delivery.attempts} attempt(s)"
        )
        logger.error(
            "%s (process instance %s, task %s)", message, task.process_instance_id, task.spiff_task_id
        )
        raise TaskFailed(message)
    logger.info(
        "background task %s (%s) %s; result delivered to %s (HTTP %s, %d attempt(s)) in %.0f ms "
        "(process instance %s, task %s)",
        task.task_id,
        task.command_id,
        f"failed with {error_code}" if error_code else "succeeded",
        where,
        delivery.status,
        delivery.attempts,
        (time.time() - started) * 1000,
        task.process_instance_id,
        task.spiff_task_id,
    )
    return {
        "ok": True,
        "task_id": task.task_id,
        "command": task.command_id,
        "error_code": error_code,
        "callback_status": delivery.status,
        "attempts": delivery.attempts,
    }


def outcome(task: task_event.Task, lambda_context: Any, settings: BackgroundSettings) -> dict[str, Any]:
    """Run the task's command; whatever happens, the v2 envelope that reports it."""
    plugin, _, name = task.command_id.partition("/")
    target = registry().command(plugin, name)
    try:
        if target is None:
            raise CommandNotFound(f"No command {task.command_id} here any more.")
        # Bound again: the deployment may have changed since the request was validated.
        invocation = runner.bind(target, task.params)._replace(task_data=task.task_data)
        result = runner.execute(invocation, _command_deadline(lambda_context, settings))
        return as_v2(task.command_id, result)
    except ProxyError as error:
        return v2_error_envelope(error.error_code, error.status, error.message)
    except Exception as error:  # a bug of ours; SpiffArena must still hear of it
        logger.exception("background task %s failed unexpectedly", task.task_id)
        return v2_error_envelope(type(error).__name__, 500, "The proxy failed unexpectedly; see its log.")


def _encode(command_id: str, envelope: dict[str, Any]) -> bytes:
    try:
        return dump_json(envelope)
    except (TypeError, ValueError) as error:
        message = f"{command_id} returned a result that cannot be sent as JSON: {error}"
        return dump_json(v2_error_envelope(InvalidResult.error_code, InvalidResult.status, message))


def _remaining_seconds(lambda_context: Any) -> float | None:
    remaining_ms = getattr(lambda_context, "get_remaining_time_in_millis", None)
    return float(remaining_ms()) / 1000 if callable(remaining_ms) else None


def _command_deadline(lambda_context: Any, settings: BackgroundSettings) -> float | None:
    """When the command must be done: the function's time minus what delivering the result needs."""
    remaining = _remaining_seconds(lambda_context)
    if remaining is None:
        return None
    reserve = min(settings.callback_reserve, remaining / 2)
    return time.time() + max(remaining - reserve, 0.0)


def _delivery_deadline(lambda_context: Any) -> float:
    remaining = _remaining_seconds(lambda_context)
    if remaining is None:
        return time.time() + _UNBOUNDED_SECONDS
    return time.time() + max(remaining - ANSWER_MARGIN_SECONDS, 0.0)


def _refused(error_code: str, message: str) -> dict[str, Any]:
    # Nothing from the event itself: it may be forged, and its values may be secret.
    logger.error("refused a background task event, nothing run or delivered: %s (%s)", message, error_code)
    return {"ok": False, "error": {"error_code": error_code, "message": message}}
