"""Settings of background runs (their documentation is in `..settings.SETTINGS`, with the others)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import NamedTuple

from ..auth import expected_api_key
from ..errors import ConfigurationError
from ..settings import Settings, _number_setting, env_list

# What the callback carries: the value SpiffArena stores for a synchronous answer, or the v2 envelope.
SHAPE_SYNCHRONOUS = "synchronous"
SHAPE_RAW = "raw"
_SHAPES = (SHAPE_SYNCHRONOUS, SHAPE_RAW)


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

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> BackgroundSettings:
        env = os.environ if environ is None else environ
        shape = env.get("CONNECTOR_PROXY_CALLBACK_SHAPE", "").strip().lower() or SHAPE_SYNCHRONOUS
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
            task_max_age=_number_setting(env, "CONNECTOR_PROXY_TASK_MAX_AGE_SECONDS", 3600.0),
            callback_timeout=_number_setting(env, "CONNECTOR_PROXY_CALLBACK_TIMEOUT_SECONDS", 30.0),
            callback_attempts=max(1, int(_number_setting(env, "CONNECTOR_PROXY_CALLBACK_ATTEMPTS", 6))),
            callback_backoff=_number_setting(env, "CONNECTOR_PROXY_CALLBACK_BACKOFF_SECONDS", 1.0),
            callback_reserve=_number_setting(env, "CONNECTOR_PROXY_CALLBACK_RESERVE_SECONDS", 40.0),
            callback_shape=shape,
        )


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
