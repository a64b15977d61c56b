"""Running a background run in its own invocation and reporting its result to SpiffArena.

`start` hands a command over in a signed event; this module checks the event,
runs the command once with the original arguments and task data, and turns
whatever came of it into the callback body (`result`). That body is kept
(`keeper`) before the first attempt, PUT to the callback URL (`callback`), and
what SpiffArena answered decides what becomes of it (`keeping`): removed once
taken, or kept for a later delivery (`redelivery`), or held for an operator.

Unlike HTTP requests, a run whose result SpiffArena never got and that could
not be kept ends in an exception: Lambda then counts the asynchronous invocation
as failed, which is what sends the event to an on-failure destination.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import Any

from spiff_outbound.retries import RetryPolicy

from .. import logs, metrics, runner
from ..budget import LambdaContext, run_deadlines
from ..errors import CommandNotFound, ConfigurationError, ProxyError
from ..registry import registry
from ..settings import Settings, outbound_policy
from . import callback, callback_url, keeper, keeping, result
from . import event as run_event
from .settings import BackgroundSettings, signing_secret
from .stored import HELD, StoredResult

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
        made = result.failure_body(
            ProxyError(
                f"{the_run.command_id} was not run: its background run waited {expired_after:.0f} s to "
                f"start, more than CONNECTOR_PROXY_TASK_MAX_AGE_SECONDS ({settings.task_max_age:.0f}).",
                status=504,
                error_code="background_task_expired",
            )
        )
    else:
        made = outcome(the_run, deadlines.command, settings)
    stored = StoredResult(
        run_id=the_run.run_id,
        command_id=the_run.command_id,
        callback_url=the_run.callback_url,
        body=made.body,
        created_at=time.time(),
        process_instance_id=the_run.process_instance_id,
        spiff_task_id=the_run.spiff_task_id,
    )
    the_keeper, stored = _keep_first(stored, settings, deadlines.delivery)
    delivery = callback.deliver(
        stored,
        api_key=settings.callback_api_key,
        deadline=deadlines.delivery - (keeping.RECORDING_SECONDS if the_keeper is not None else 0.0),
        retries=RetryPolicy(
            settings.callback_attempts, settings.callback_backoff, callback.MAX_BACKOFF_SECONDS
        ),
        attempt_timeout=settings.callback_timeout,
        policy=policy,
    )
    kept = _settle(the_keeper, stored, delivery, settings)
    kept_where = keeping.kept_says(kept, the_keeper.where, time.time()) if kept and the_keeper else None
    return _report(the_run, made.error_code, delivery, where, started, kept, kept_where)


def _keep_first(
    stored: StoredResult, settings: BackgroundSettings, delivery_deadline: float
) -> tuple[keeper.Keeper | None, StoredResult]:
    """Keep the result before its first attempt, leased to this invocation until its delivery ends:
    should the function die before SpiffArena answers, a later attempt still sends it."""
    try:
        the_keeper = keeper.current(settings)
    except ConfigurationError as error:
        logger.error("background result %s cannot be kept: %s", stored.run_id, error.message)
        return None, stored
    if the_keeper is None:
        return None, stored
    lease_end = delivery_deadline + keeping.RECORDING_SECONDS
    ahead = stored._replace(
        next_at=lease_end,
        lease_until=lease_end,
        keep_until=stored.created_at + settings.result_max_age + settings.result_retention,
    )
    try:
        return the_keeper, the_keeper.keep(ahead)
    except keeper.KeeperError as error:
        logger.error(
            "background result %s (%s) could not be kept in %s, so it is lost if this delivery fails: %s",
            stored.run_id,
            stored.command_id,
            the_keeper.where,
            error,
        )
        return None, stored


def _settle(
    the_keeper: keeper.Keeper | None,
    stored: StoredResult,
    delivery: callback.Delivery,
    settings: BackgroundSettings,
) -> StoredResult | None:
    """What the keeper holds after the first delivery: None when SpiffArena answered or nothing keeps it."""
    if the_keeper is None:
        return None
    try:
        return keeping.settle(the_keeper, stored, delivery, settings, first=True)
    except keeper.KeeperError as error:
        # It is still in the keeper as written before the attempt: its wake-up will try it again.
        logger.error("background result %s: recording its delivery failed: %s", stored.run_id, error)
        return stored if not delivery.delivered and delivery.outcome != callback.NOT_WAITING else None


def outcome(
    the_run: run_event.Run, deadline: float | None, settings: BackgroundSettings
) -> result.CallbackBody:
    """Run the command; whatever happens, the callback body that reports it."""
    plugin, _, name = the_run.command_id.partition("/")
    target = registry().command(plugin, name)
    try:
        if target is None:
            raise CommandNotFound(f"No command {the_run.command_id} here any more.")
        # Bound again: the deployment may have changed since the request was validated.
        invocation = runner.bind(target, the_run.params)._replace(task_data=the_run.task_data)
        returned = runner.run(invocation, deadline).result
        return result.callback_body(the_run.command_id, returned, settings.callback_shape)
    except ProxyError as error:
        return result.failure_body(error)
    except Exception as error:  # a bug of ours; SpiffArena must still hear of it
        logger.exception("background run %s failed unexpectedly", the_run.run_id)
        return result.failure_body(
            ProxyError("The proxy failed unexpectedly; see its log.", error_code=type(error).__name__)
        )


def _report(
    the_run: run_event.Run,
    error_code: str | None,
    delivery: callback.Delivery,
    where: str,
    started: float,
    kept: StoredResult | None,
    kept_where: str | None,
) -> dict[str, Any]:
    """One log line with the outcome (counted by its `outcome` field); raises when the result is lost."""
    fields = {
        "run_id": the_run.run_id,
        "command": the_run.command_id,
        "outcome": delivery.outcome,
        "error_code": error_code,
        "callback_status": delivery.status,
        "attempts": delivery.attempts,
        "duration_ms": round((time.time() - started) * 1000, 1),
        "kept": kept.state if kept is not None else None,
    }
    ran = f"failed with {error_code}" if error_code else "succeeded"
    message = (
        f"background run {the_run.run_id} ({the_run.command_id}) {ran}; {_SAYS[delivery.outcome]} "
        f"[{delivery.outcome}] at {where}: {delivery.detail}, {delivery.attempts} attempt(s)"
    )
    level = _LEVELS.get(delivery.outcome, logging.ERROR)
    waits = kept is not None and kept.state != HELD
    if kept is not None:
        message += f"; {kept_where}"
        level = logging.WARNING if waits else logging.ERROR
    logger.log(level, "%s (%s)", message, _labels(the_run), extra={"background_run": fields})
    metrics.record_background_run(
        fields, delivered=delivery.delivered or delivery.outcome == callback.NOT_WAITING or waits
    )
    if level == logging.ERROR and kept is None:
        raise RunFailed(message)
    return {"ok": True, **fields}


def _labels(the_run: run_event.Run) -> str:
    return f"process instance {the_run.process_instance_id}, task {the_run.spiff_task_id}"
