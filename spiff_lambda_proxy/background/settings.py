"""Settings of background runs (their documentation is in `..settings.SETTINGS`, with the others)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import NamedTuple

from ..auth import expected_api_key
from ..errors import ConfigurationError
from ..settings import Settings, env_list, number, read_once, text

# What the callback carries: the value SpiffArena stores for a synchronous answer, or the v2 envelope.
SHAPE_SYNCHRONOUS = "synchronous"  # the default, in SETTINGS
SHAPE_RAW = "raw"
_SHAPES = (SHAPE_SYNCHRONOUS, SHAPE_RAW)
# The engine's limits: an SQS message waits at most 15 minutes, and is kept at most 14 days.
MAX_REDELIVERY_BACKOFF_SECONDS = 900.0
MAX_RESULT_AGE_SECONDS = 14 * 24 * 3600.0


class BackgroundSettings(NamedTuple):
    async_commands: tuple[str, ...]
    callback_api_key: str | None
    callback_origins: tuple[str, ...]
    task_max_age: float
    callback_timeout: float
    callback_attempts: int
    callback_backoff: float
    callback_reserve: float
    callback_shape: str
    # Where undelivered results wait on AWS (both or neither), and their schedule.
    results_table: str | None
    results_queue_url: str | None
    redelivery_backoff: float
    redelivery_max_backoff: float
    result_max_age: float
    result_retention: float

    @classmethod
    def current(cls) -> BackgroundSettings:
        return read_once(cls, cls.from_environ)

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> BackgroundSettings:
        env = os.environ if environ is None else environ
        shape = (text(env, "CONNECTOR_PROXY_CALLBACK_SHAPE") or "").lower()
        if shape not in _SHAPES:
            raise ConfigurationError(
                f"CONNECTOR_PROXY_CALLBACK_SHAPE must be {' or '.join(_SHAPES)}, not {shape!r}."
            )
        return cls(
            async_commands=env_list(env.get("CONNECTOR_PROXY_ASYNC_COMMANDS")),
            callback_api_key=env.get("SPIFFARENA_CALLBACK_API_KEY", "").strip() or None,
            callback_origins=tuple(
                origin.rstrip("/").lower() for origin in env_list(env.get("SPIFFARENA_CALLBACK_ORIGINS"))
            ),
            task_max_age=number(env, "CONNECTOR_PROXY_TASK_MAX_AGE_SECONDS"),
            callback_timeout=number(env, "CONNECTOR_PROXY_CALLBACK_TIMEOUT_SECONDS"),
            callback_attempts=max(1, int(number(env, "CONNECTOR_PROXY_CALLBACK_ATTEMPTS"))),
            callback_backoff=number(env, "CONNECTOR_PROXY_CALLBACK_BACKOFF_SECONDS"),
            callback_reserve=number(env, "CONNECTOR_PROXY_CALLBACK_RESERVE_SECONDS"),
            callback_shape=shape,
            results_table=text(env, "CONNECTOR_PROXY_RESULTS_TABLE"),
            results_queue_url=text(env, "CONNECTOR_PROXY_RESULTS_QUEUE_URL"),
            redelivery_backoff=number(env, "CONNECTOR_PROXY_REDELIVERY_BACKOFF_SECONDS"),
            redelivery_max_backoff=_at_most(
                env, "CONNECTOR_PROXY_REDELIVERY_MAX_BACKOFF_SECONDS", MAX_REDELIVERY_BACKOFF_SECONDS
            ),
            result_max_age=_at_most(env, "CONNECTOR_PROXY_RESULT_MAX_AGE_SECONDS", MAX_RESULT_AGE_SECONDS),
            result_retention=number(env, "CONNECTOR_PROXY_RESULT_RETENTION_SECONDS"),
        )


def _at_most(env: Mapping[str, str], name: str, limit: float) -> float:
    value = number(env, name)
    if value > limit:
        raise ConfigurationError(f"{name} may be at most {limit:.0f}, not {value:g}.")
    return value


def signing_secret(proxy_settings: Settings, environ: Mapping[str, str] | None = None) -> str | None:
    """The secret that signs run events, the one rule for both invocations.

    `CONNECTOR_PROXY_TASK_SECRET`; without it the proxy's API key, wherever it is kept
    (the environment or a secret store); with neither, None: events go unsigned and
    IAM alone guards direct invocation.
    """
    env = os.environ if environ is None else environ
    explicit = env.get("CONNECTOR_PROXY_TASK_SECRET", "").strip()
    if explicit:
        return explicit
    return (expected_api_key(proxy_settings) or "").strip() or None
