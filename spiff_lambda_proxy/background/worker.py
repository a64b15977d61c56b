"""Running a background run in its own invocation and reporting its result to SpiffArena.

`start` hands a command over in a signed event; this module checks the event,
runs the command with the original arguments and task data, shapes whatever
came of it for SpiffArena's callback route (`result`), PUTs that to the
callback URL (`callback`) and reports the outcome.

Unlike HTTP requests, a run whose result SpiffArena never got ends in an
exception: Lambda then counts the asynchronous invocation as failed, which is
what sends the event to an on-failure destination or dead-letter queue.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import Any

from spiff_outbound.retries import RetryPolicy

from .. import logs, metrics, runner
from ..budget import LambdaContext, run_deadlines
from ..errors import CommandNotFound, ConfigurationError, InvalidResult, ProxyError
from ..messages import dump_json
from ..registry import registry
from ..settings import Settings, outbound_policy
from . import callback, callback_url, result
from . import event as run_event
from .settings import BackgroundSettings, signing_secret

logger = logging.getLogger(__name__)

_LEVELS = {
    callback.DELIVERED: logging.INFO,
    callback.RETRY_SCHEDULED: logging.INFO,
    callback.INSTANCE_ERRORED: logging.WARNING,
    callback.NOT_WAITING: logging.WARNING,
}
_SAYS = {
    callback.DELIVERED: "result delivered",
    callback.RETRY_SCHEDULED: "result delivered; SpiffArena scheduled a retry of the service task",
    callback.INSTANCE_ERRORED: "result delivered; SpiffArena put the process instance in error",
    callback.NOT_WAITING: "result not taken: SpiffArena no longer waits for it (done, cancelled or unknown)",
    callback.BAD_KEY: "result NOT delivered: SpiffArena refused SPIFFARENA_CALLBACK_API_KEY",
    callback.BODY_REFUSED: "result NOT delivered: SpiffArena refused the callback body",
    callback.REFUSED: "result NOT delivered: the callback URL refused it",
    callback.DESTINATION_REFUSED: "result NOT delivered: the callback's destination is not allowed",
    callback.UNREACHABLE: "result NOT delivered: SpiffArena could not be reached",
}


class RunFailed(Exception):
    """SpiffArena never got the run's result; Lambda passes the event on to its failure destination."""


def run(event: Mapping[str, Any], lambda_context: LambdaContext | None) -> dict[str, Any]:
    started = time.time()
    try:
        proxy_settings = Settings.current()
        settings = BackgroundSettings.current()
        secret = signing_secret(proxy_settings)
        policy = outbound_policy()
    except ConfigurationError as error:
        logger.error("background run not run, the configuration is invalid: %s", error.message)
        raise RunFailed(f"background run not run: {error.message}") from None
    logs.set_level(proxy_settings.log_level)

    expired_after: float | None = None
    try:
        the_run = run_event.open_event(event, secret, settings.task_max_age)
    except run_event.Expired as expired:
        the_run, expired_after = expired.run, expired.age
    except run_event.Refused as refusal:
        # Nothing from the event itself: it may be forged, and its values may be secret.
        logger.error(
            "refused a background run event, nothing run or delivered: %s (%s)",
            refusal.message,
            refusal.error_code,
        )
        return {"ok": False, "error": {"error_code": refusal.error_code, "message": refusal.message}}

    where = callback_url.loggable(the_run.callback_url)
    try:
        # Settings may have changed since the start; DNS is judged again when delivery connects.
        callback_url.check(the_run.callback_url, settings, proxy_settings, policy, resolve=False)
    except ProxyError as error:
        message = f"background run {the_run.run_id} ({the_run.command_id}) not run: {error.message}"
        logger.error("%s (%s)", message, _labels(the_run))
        raise RunFailed(message) from None

    deadlines = run_deadlines(lambda_context, settings.callback_reserve)
    if expired_after is not None:
        envelope = result.failure(
            ProxyError(
                f"{the_run.command_id} was not run: its background run waited {expired_after:.0f} s to "
                f"start, more than CONNECTOR_PROXY_TASK_MAX_AGE_SECONDS ({settings.task_max_age:.0f}).",
                status=504,
                error_code="background_task_expired",
            )
        )
    else:
        envelope = outcome(the_run, deadlines.command, settings)
    delivery = callback.deliver(
        the_run.callback_url,
        _encode(the_run.command_id, envelope),
        api_key=settings.callback_api_key,
        deadline=deadlines.delivery,
        retries=RetryPolicy(
            settings.callback_attempts, settings.callback_backoff, callback.MAX_BACKOFF_SECONDS
        ),
        attempt_timeout=settings.callback_timeout,
        policy=policy,
    )
    return _report(the_run, envelope, delivery, where, started)


def outcome(the_run: run_event.Run, deadline: float | None, settings: BackgroundSettings) -> dict[str, Any]:
    """Run the command; whatever happens, the callback body that reports it."""
    plugin, _, name = the_run.command_id.partition("/")
    target = registry().command(plugin, name)
    try:
        if target is None:
            raise CommandNotFound(f"No command {the_run.command_id} here any more.")
        # Bound again: the deployment may have changed since the request was validated.
        invocation = runner.bind(target, the_run.params)._replace(task_data=the_run.task_data)
        returned = runner.run(invocation, deadline).result
        return result.callback_envelope(the_run.command_id, returned, settings.callback_shape)
    except ProxyError as error:
        return result.failure(error)
    except Exception as error:  # a bug of ours; SpiffArena must still hear of it
        logger.exception("background run %s failed unexpectedly", the_run.run_id)
        return result.failure(
            ProxyError("The proxy failed unexpectedly; see its log.", error_code=type(error).__name__)
        )


def _report(
    the_run: run_event.Run,
    envelope: Mapping[str, Any],
    delivery: callback.Delivery,
    where: str,
    started: float,
) -> dict[str, Any]:
    """One log line with the outcome (counted by its `outcome` field); raises when SpiffArena never got it."""
    reported = envelope.get("error")
    error_code = reported.get("error_code") if isinstance(reported, Mapping) else None
    fields = {
        "run_id": the_run.run_id,
        "command": the_run.command_id,
        "outcome": delivery.outcome,
        "error_code": error_code,
        "callback_status": delivery.status,
        "attempts": delivery.attempts,
        "duration_ms": round((time.time() - started) * 1000, 1),
    }
    ran = f"failed with {error_code}" if error_code else "succeeded"
    message = (
        f"background run {the_run.run_id} ({the_run.command_id}) {ran}; {_SAYS[delivery.outcome]} "
        f"[{delivery.outcome}] at {where}: {delivery.detail}, {delivery.attempts} attempt(s)"
    )
    level = _LEVELS.get(delivery.outcome, logging.ERROR)
    logger.log(level, "%s (%s)", message, _labels(the_run), extra={"background_run": fields})
    metrics.record_background_run(fields, delivered=level != logging.ERROR)
    if level == logging.ERROR:
        raise RunFailed(message)
    return {"ok": True, **fields}


def _labels(the_run: run_event.Run) -> str:
    return f"process instance {the_run.process_instance_id}, task {the_run.spiff_task_id}"


def _encode(command_id: str, envelope: dict[str, Any]) -> bytes:
    try:
        return dump_json(envelope)
    except (TypeError, ValueError) as error:
        message = f"{command_id} returned a result that cannot be sent as JSON: {error}"
        return dump_json(result.failure(InvalidResult(message)))
