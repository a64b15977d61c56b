"""Settings of background runs (their documentation is in `..settings.SETTINGS`, with the others)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import NamedTuple

from ..settings import _number_setting, env_list


class BackgroundSettings(NamedTuple):
    """Settings of long-running tasks (background runs and their callbacks)."""

    async_commands: tuple[str, ...]
    # Signs the internal task event; falls back to the proxy's API key.
    task_secret: str | None
    callback_api_key: str | None
    callback_origins: tuple[str, ...]
    task_max_age: float
    callback_timeout: float
    callback_attempts: int
    callback_backoff: float
    callback_reserve: float

    @classmethod
    def from_environ(
        cls, environ: Mapping[str, str] | None = None, *, api_key: str | None = None
    ) -> BackgroundSettings:
        """`api_key`: the proxy's API key when it was read from elsewhere (a secret store)."""
        env = os.environ if environ is None else environ
        secret = (
            env.get("CONNECTOR_PROXY_TASK_SECRET", "").strip()
            or api_key
            or env.get("CONNECTOR_PROXY_API_KEY", "")
        )
        return cls(
            async_commands=env_list(env.get("CONNECTOR_PROXY_ASYNC_COMMANDS")),
            task_secret=secret.strip() or None,
            callback_api_key=env.get("SPIFFARENA_CALLBACK_API_KEY", "").strip() or None,
            callback_origins=tuple(
                origin.rstrip("/").lower() for origin in env_list(env.get("SPIFFARENA_CALLBACK_ORIGINS"))
            ),
            task_max_age=_number_setting(env, "CONNECTOR_PROXY_TASK_MAX_AGE_SECONDS", 3600.0),
            callback_timeout=_number_setting(env, "CONNECTOR_PROXY_CALLBACK_TIMEOUT_SECONDS", 30.0),
            callback_attempts=max(1, int(_number_setting(env, "CONNECTOR_PROXY_CALLBACK_ATTEMPTS", 6))),
            callback_backoff=_number_setting(env, "CONNECTOR_PROXY_CALLBACK_BACKOFF_SECONDS", 1.0),
            callback_reserve=_number_setting(env, "CONNECTOR_PROXY_CALLBACK_RESERVE_SECONDS", 40.0),
        )
