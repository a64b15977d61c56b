"""Running one command (PROTOCOL.md section 4): arguments in, the command's result out.

`prepare` does everything that can fail because of the request (unknown
command, bad body, parameters that do not bind) so that those failures are
answered before any work starts; `run` builds the command and executes it, and
the caller (a route, the background worker) shapes what it returned.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator, Mapping
from typing import Any, NamedTuple

from . import logs
from .budget import DEADLINE_KEY
from .envelope import v2_envelope
from .errors import BadRequest, CommandFailed, CommandNotFound, ProxyError
from .flask_context import command_context
from .messages import Request
from .registry import Registry, Target

RESERVED_PREFIX = "spiff__"
TASK_DATA_KEY = "spiff__task_data"
CALLBACK_URL_KEY = "spiff__callback_url"
# Deeper JSON is refused: encoding it again (for a connector, the answer or a background
# task) would exhaust Python's recursion limit, and no task's data nests this far.
MAX_JSON_DEPTH = 200

logger = logging.getLogger(__name__)


class Invocation(NamedTuple):
    """A command ready to run: its class, bound arguments and the task's context."""

    target: Target
    params: dict[str, Any]
    task_data: Any
    callback_url: str | None
    # The reserved keys as sent, for work that continues elsewhere (background runs).
    reserved: dict[str, Any]


def prepare(registry: Registry, plugin: str, command: str, request: Request) -> Invocation:
    target = registry.command(plugin, command)
    if target is None:
        failure = registry.load_failure(plugin, command)
        if failure is not None:
            raise CommandNotFound(
                f"No command {plugin}/{command} here: its connector module {failure.module} failed to load "
                f"({failure.error_type}). GET /v1/diagnostics and the function's log say why."
            )
        raise CommandNotFound(
            f"No command {plugin}/{command} here. GET /v1/commands lists the commands this proxy offers."
        )
    logs.facts().command_id = target.id
    return bind(target, request_arguments(request))


def request_arguments(request: Request) -> dict[str, Any]:
    """The JSON object in the body; for a bodyless GET, the query string."""
    if not request.body.strip():
        if request.method == "GET":
            return {name: values[-1] for name, values in request.query.items()}
        return {}
    try:
        arguments = json.loads(request.body)
    except (UnicodeDecodeError, ValueError) as error:
        raise BadRequest(f"The request body is not valid JSON: {error}.", error_code="invalid_json") from None
    except RecursionError:
        raise _too_deep() from None
    if _nested_deeper(request.body, arguments, MAX_JSON_DEPTH):
        raise _too_deep()
    if not isinstance(arguments, dict):
        raise BadRequest(
            f"The request body must be a JSON object of parameters, not a JSON {_json_kind(arguments)}.",
            error_code="invalid_json",
        )
    return arguments


def _too_deep() -> BadRequest:
    return BadRequest(
        f"The request body nests arrays and objects more than {MAX_JSON_DEPTH} levels deep.",
        error_code="invalid_json",
    )


def _nested_deeper(body: bytes, value: Any, limit: int) -> bool:
    if body.count(b"[") + body.count(b"{") <= limit:
        return False  # the common case, decided in C: it cannot nest deeper than it has brackets
    pending = [(value, 1)]  # a loop, not recursion: the point is to survive any depth
    while pending:
        item, depth = pending.pop()
        if not isinstance(item, (dict, list)):
            continue
        if depth > limit:
            return True
        children = item.values() if isinstance(item, dict) else item
        pending += [(child, depth + 1) for child in children if isinstance(child, (dict, list))]
    return False


def bind(target: Target, arguments: Mapping[str, Any]) -> Invocation:
    params = dict(arguments)
    task_data = params.pop(TASK_DATA_KEY, None)
    if task_data is None:
        task_data = {}
    if not isinstance(task_data, dict):
        raise BadRequest(f"{TASK_DATA_KEY} must be a JSON object.", error_code="invalid_parameters")
    callback_url = params.pop(CALLBACK_URL_KEY, None) or None
    if callback_url is not None and not isinstance(callback_url, str):
        raise BadRequest(f"{CALLBACK_URL_KEY} must be a string.", error_code="invalid_parameters")
    reserved = {key: params.pop(key) for key in list(params) if key.startswith(RESERVED_PREFIX)}
    reserved.update({TASK_DATA_KEY: task_data, CALLBACK_URL_KEY: callback_url})

    known = {spec.name for spec in target.parameters}
    unknown = [] if target.takes_any_keyword else sorted(set(params) - known)
    missing = [spec.name for spec in target.parameters if spec.required and spec.name not in params]
    if unknown or missing:
        raise BadRequest(_binding_message(target, missing, unknown), error_code="invalid_parameters")
    for spec in target.parameters:
        # The editor calls these optional (None is allowed), so absent means None.
        if spec.fill_none and spec.name not in params:
            params[spec.name] = None
    return Invocation(target, params, task_data, callback_url, reserved)


class ConnectorConfig(Mapping[str, Any]):
    """The `config` mapping handed to commands: the function's environment.

    Connectors written for the Flask proxy read settings by key
    (`config["AWS_REGION"]`); here those keys are environment variables, read at
    lookup time so a warm function sees what the environment says now. `extra`
    holds what the proxy tells one invocation (its deadline) and wins over the
    environment.
    """

    def __init__(self, extra: Mapping[str, Any] | None = None) -> None:
        self._extra = dict(extra or {})

    def __getitem__(self, key: str) -> Any:
        if key in self._extra:
            return self._extra[key]
        return os.environ[key]

    def __iter__(self) -> Iterator[str]:
        yield from self._extra
        yield from (key for key in os.environ if key not in self._extra)

    def __len__(self) -> int:
        return len(self._extra) + sum(1 for key in os.environ if key not in self._extra)

    def __repr__(self) -> str:
        # The environment holds secrets; never print it whole.
        return f"<ConnectorConfig of {len(self)} environment settings>"


class Outcome(NamedTuple):
    """What running a command gave: its result, and whether it only started long-running work."""

    result: Any
    # `execute_async` started the work; it reports to the callback URL itself (answer 202).
    accepted: bool = False


def run(invocation: Invocation, deadline: float | None = None) -> Outcome:
    """Build the command and execute it; `deadline` (epoch seconds) is passed on in its config.

    A command that raises becomes CommandFailed: the route (or the background worker) shapes
    the outcome into an answer.
    """
    target = invocation.target
    config = ConnectorConfig({DEADLINE_KEY: deadline} if deadline is not None else None)
    try:
        with command_context(target.cls, config):  # Flask's app context for Flask-era connectors
            command = target.cls(**invocation.params)
            if invocation.callback_url and has_execute_async(target):
                started = command.execute_async(
                    config, invocation.task_data, callback_url=invocation.callback_url
                )
                return Outcome(_accepted(started), accepted=True)
            return Outcome(command.execute(config, invocation.task_data))
    except ProxyError:
        raise
    except Exception as error:
        raise _command_failed(target, error) from None


def has_execute_async(target: Target) -> bool:
    """The command starts long-running work itself (PROTOCOL.md section 4, step 3)."""
    return callable(getattr(target.cls, "execute_async", None))


def _command_failed(target: Target, error: Exception) -> CommandFailed:
    # The stack trace is for the operator's log, never for the caller.
    logger.exception("command %s raised %s", target.id, type(error).__name__)
    return CommandFailed(str(error) or type(error).__name__, error_code=type(error).__name__)


def _accepted(result: Any) -> Any:
    """What a long-running command started with; an empty v2 envelope if it said nothing."""
    return v2_envelope({}, http_status=202) if result is None else result


def _binding_message(target: Target, missing: list[str], unknown: list[str]) -> str:
    parts = []
    if missing:
        parts.append(f"missing required parameter(s): {', '.join(missing)}")
    if unknown:
        parts.append(f"unknown parameter(s): {', '.join(unknown)}")
    accepted = ", ".join(spec.name for spec in target.parameters) or "none"
    return f"{target.id}: {'; '.join(parts)}. It accepts: {accepted}."


def _json_kind(value: Any) -> str:
    return {list: "array", str: "string", bool: "boolean", type(None): "null"}.get(type(value), "number")
