"""The proxy's own settings, read from the function's environment variables.

`SETTINGS` is the one list of them: `docs/configuration.md` is checked against
it, so a setting cannot exist without being documented.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from typing import Any, NamedTuple

# Lambda's limit for a synchronous request or response payload.
LAMBDA_PAYLOAD_LIMIT = 6 * 1024 * 1024


class Setting(NamedTuple):
    name: str
    default: str
    help: str


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "CONNECTOR_PROXY_API_KEY",
        "(unset)",
        "When set, `/v1/commands`, `/v1/auths`, `/v1/diagnostics` and `/v1/do/...` require the header "
        "`Spiff-Connector-Proxy-Api-Key` with this value (SpiffArena sends it when "
        "`SPIFFWORKFLOW_BACKEND_CONNECTOR_PROXY_API_KEY` is set). Set but empty is a "
        "configuration error: protected routes answer 500 until it is fixed.",
    ),
    Setting(
        "CONNECTOR_PROXY_CORS_ORIGINS",
        "(unset: no CORS)",
        "Comma-separated origins allowed to call the proxy from a browser, or `*`. "
        "Preflight `OPTIONS` requests are answered and CORS headers added for these origins only.",
    ),
    Setting(
        "CONNECTOR_PROXY_BASE_PATH",
        "(unset)",
        "Path prefix to strip before routing, for a custom domain mapped with a base path "
        "(e.g. `/proxy`). API Gateway stage names are stripped without it.",
    ),
    Setting(
        "CONNECTOR_PROXY_MAX_BODY_BYTES",
        str(LAMBDA_PAYLOAD_LIMIT),
        "Largest request body accepted, in bytes (after base64 decoding); larger ones get 413.",
    ),
    Setting(
        "CONNECTOR_PROXY_LOG_LEVEL",
        "INFO",
        "Level of the proxy's own log lines (`DEBUG`, `INFO`, `WARNING`, `ERROR`).",
    ),
)


def env_list(value: str | None) -> tuple[str, ...]:
    """Comma-separated setting -> tuple of stripped, non-empty items."""
    return tuple(item.strip() for item in (value or "").split(",") if item.strip())


class Settings(NamedTuple):
    api_key: str | None
    cors_origins: tuple[str, ...]
    base_path: str
    max_body_bytes: int
    log_level: str

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        return cls(
            api_key=env.get("CONNECTOR_PROXY_API_KEY"),
            cors_origins=env_list(env.get("CONNECTOR_PROXY_CORS_ORIGINS")),
            base_path="/" + env.get("CONNECTOR_PROXY_BASE_PATH", "").strip().strip("/"),
            max_body_bytes=_int_setting(env, "CONNECTOR_PROXY_MAX_BODY_BYTES", LAMBDA_PAYLOAD_LIMIT),
            log_level=env.get("CONNECTOR_PROXY_LOG_LEVEL", "INFO").strip().upper() or "INFO",
        )


def _int_setting(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        from .errors import ConfigurationError

        raise ConfigurationError(f"{name} must be a whole number of bytes, not {raw!r}.") from None


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
