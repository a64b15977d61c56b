"""The proxy's own settings, read from the function's environment variables.

`SETTINGS` is the one list of them and the one place their defaults are written:
`docs/configuration.md` is generated from it and checked against it, so a
setting cannot exist without being documented. Each group of settings is read
once per execution environment (`current()`): a Lambda function's environment
does not change between invocations (changing it starts new environments).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

if TYPE_CHECKING:
    from spiff_outbound.destinations import Policy

# Lambda's limit for a synchronous request or response payload.
LAMBDA_PAYLOAD_LIMIT = 6 * 1024 * 1024


class Setting(NamedTuple):
    name: str
    # What an unset variable means, as the docs show it: a value ("300"), or "(unset: ...)".
    default: str
    help: str

    @property
    def value(self) -> str | None:
        """The default value readers use; None when unset means "not configured"."""
        return None if self.default.startswith("(") else self.default


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "CONNECTOR_PROXY_API_KEY",
        "(unset)",
        "When set, `/v1/commands`, `/v1/auths`, `/v1/diagnostics` and `/v1/do/...` require the header "
        "`Spiff-Connector-Proxy-Api-Key` with this value (SpiffArena sends it when "
        "`SPIFFWORKFLOW_BACKEND_CONNECTOR_PROXY_API_KEY` is set); so do a team's own typeahead lists "
        "(`CONNECTOR_PROXY_TYPEAHEAD_PUBLIC`). Set but empty is a "
        "configuration error: protected routes answer 500 until it is fixed. Plain text in the function's "
        "configuration: fine for a trial; in production use `CONNECTOR_PROXY_API_KEY_SECRET`.",
    ),
    Setting(
        "CONNECTOR_PROXY_API_KEY_SECRET",
        "(unset)",
        "Where the API key is stored instead: the ARN of a Secrets Manager secret, the ARN of an SSM "
        "parameter (SecureString), an SSM parameter name starting with `/`, or a Secrets Manager secret "
        "name. Read at run time with the function's role (`secretsmanager:GetSecretValue` or "
        "`ssm:GetParameter`), never logged. The value is the key as plain text, or a JSON object with an "
        "`api_key` field. Set either this or `CONNECTOR_PROXY_API_KEY`, not both.",
    ),
    Setting(
        "CONNECTOR_PROXY_API_KEY_SECRET_TTL_SECONDS",
        "300",
        "How long the key read from `CONNECTOR_PROXY_API_KEY_SECRET` is reused before it is read again, "
        "so a rotated key takes effect within this time. If AWS cannot be reached the last key read is "
        "kept.",
    ),
    Setting(
        "CONNECTOR_PROXY_CORS_ORIGINS",
        "(unset: no CORS)",
        "Comma-separated origins allowed to call the proxy from a browser (`https://app.example.com`), or "
        "`*`. Preflight `OPTIONS` requests are answered and CORS headers added for these origins only, "
        "and a browser's request to run a command (`Origin`, or `Sec-Fetch-Site` naming another site) "
        "from any other page is refused with 403 `browser_origin_not_allowed`; `make serve` refuses "
        "every other state-changing request and preflight from them too. SpiffArena's backend sends no "
        "`Origin`: leave it unset unless a page of your own calls the proxy.",
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
        "CONNECTOR_PROXY_SYNC_TIMEOUT_SECONDS",
        "40",
        "Longest a synchronous command may run, in seconds: SpiffArena stops waiting for an answer "
        "after about 45 s (cold start and network included), so work past that is wasted. "
        "Commands get the smallest of this, the function's remaining time and API Gateway's 29 s "
        "(less a second to answer). "
        "`0` removes this limit. Background runs are not affected.",
    ),
    Setting(
        "CONNECTOR_PROXY_LOG_LEVEL",
        "(unset: `AWS_LAMBDA_LOG_LEVEL`, else INFO)",
        "Level of the proxy's own log records (`DEBUG`, `INFO`, `WARNING`, `ERROR`; Lambda's `TRACE`, "
        "`WARN`, `FATAL` work too). When set it wins; unset (or not a level), the proxy follows "
        "`AWS_LAMBDA_LOG_LEVEL`, which Lambda sets from the function's application log level "
        "(template.yaml's `LogLevel`); without either, INFO. Lambda still drops what is below its own "
        "application log level.",
    ),
    Setting(
        "CONNECTOR_PROXY_METRICS_NAMESPACE",
        "(unset: no metrics)",
        "CloudWatch namespace of the per-command metrics (`Invocations`, `Errors`, `Duration`), written "
        "as embedded metric format lines to standard output, so CloudWatch Logs turns them into metrics "
        "(docs/deploy.md). template.yaml sets `SpiffConnectorProxy`; unset or empty turns them off.",
    ),
    # Typeahead lists for SpiffArena's forms (docs/typeahead.md).
    Setting(
        "CONNECTOR_PROXY_TYPEAHEAD_PUBLIC",
        "(unset: the built-in countries, states and cities)",
        "Comma-separated typeahead categories (`/v1/typeahead/<category>`) answered without the API key, "
        "or `none`. Every other category needs the key when one is set (`CONNECTOR_PROXY_API_KEY` or "
        "`CONNECTOR_PROXY_API_KEY_SECRET`), as the `Spiff-Connector-Proxy-Api-Key` header or as the "
        "password of HTTP Basic credentials (`https://spiff:<key>@<host>`, how SpiffArena can send it). "
        "Unset, the built-in lists are public and a team's own lists private.",
    ),
    Setting(
        "CONNECTOR_PROXY_TYPEAHEAD_S3",
        "(unset: none)",
        "Typeahead categories read from S3 instead of the archive, as comma-separated "
        "`<category>=s3://<bucket>/<key>` (the key ends in `.json` or `.csv`, the formats of the "
        "`typeahead/` folder). Read with the function's role (`s3:GetObject`) on first use, kept for "
        "`CONNECTOR_PROXY_TYPEAHEAD_S3_TTL_SECONDS`; they win over bundled lists of the same name.",
    ),
    Setting(
        "CONNECTOR_PROXY_TYPEAHEAD_S3_TTL_SECONDS",
        "300",
        "How long a typeahead list read from S3 is used before S3 is asked again (a conditional GET: an "
        "unchanged object is not downloaded again). If S3 cannot be read then, the last good copy is "
        "kept and the problem logged. `0` asks on every request.",
    ),
    Setting(
        "CONNECTOR_PROXY_TYPEAHEAD_S3_MAX_BYTES",
        str(4 * 1024 * 1024),
        "Largest typeahead list read from S3, in bytes; a larger object is refused with a 502 naming it. "
        "Reading a list takes up to 13 times its size in memory for a moment (docs/typeahead.md): raise "
        "the function's memory with this.",
    ),
    # OAuth sign-in through the proxy (docs/spiffarena.md, "Signing in to a provider").
    Setting(
        "CONNECTOR_PROXY_AUTH_REDIRECT_ORIGINS",
        "(unset: `SPIFFARENA_CALLBACK_ORIGINS`)",
        "Comma-separated origins (`https://spiff.example.com`: SpiffArena's backend) that OAuth sign-ins "
        "(`/v1/auth/...`) may send the browser back to with the token. Scheme, host and port are "
        "compared, nothing else; an internationalised host is written in its `xn--` form. Unset, "
        "`SPIFFARENA_CALLBACK_ORIGINS` serves; with neither, sign-ins are refused, so the proxy never "
        "redirects a browser to a site of someone else's choosing.",
    ),
    Setting(
        "CONNECTOR_PROXY_AUTH_STATE_SECRET",
        "(unset: derived from the API key)",
        "Secret that signs (HMAC-SHA256) the `state` and the cookie of an OAuth sign-in, so the callback "
        "can trust what the start put there. Unset, a key derived from the API key "
        "(`CONNECTOR_PROXY_API_KEY`, or the one read from `CONNECTOR_PROXY_API_KEY_SECRET`) signs them; "
        "with no key at all, sign-ins are refused. Changing it fails sign-ins in progress (they last "
        "10 minutes at most).",
    ),
    Setting(
        "CONNECTOR_PROXY_PUBLIC_URL",
        "(unset: from the request)",
        "The proxy's public base URL, the one SpiffArena's `SPIFFWORKFLOW_BACKEND_CONNECTOR_PROXY_URL` "
        "names (e.g. `https://proxy.example.com/connectors`). OAuth sign-ins give the provider "
        "`<this>/v1/auth/<plugin>/<auth>/callback` as their `redirect_uri`. Unset, it is computed from "
        "the request: the domain the front door reports (Function URLs, API Gateway), with its stage and "
        "base path; never from a `Host` header the client wrote, so behind a load balancer, which "
        "reports none, a sign-in needs this or `CONNECTOR_PROXY_HOST_NAMES`. Set it behind CloudFront or "
        "another proxy that changes the host or the path.",
    ),
    Setting(
        "CONNECTOR_PROXY_HOST_NAMES",
        "(unset: none)",
        "Comma-separated host names clients reach the proxy by where only the client's `Host` header "
        "says so (`proxy.example.com`; compared without the port, any case). Behind an Application Load "
        "Balancer, a sign-in builds its `redirect_uri` from a `Host` among these (others are refused with "
        "421), so no client can have the provider send the code elsewhere. `make serve` answers a `Host` "
        "among these too, besides loopback names, IP addresses, `host.docker.internal` and the address "
        "it listens on, and refuses any other (a web page reaching it through DNS rebinding).",
    ),
    # Background runs of long-running service tasks (docs/long-running.md).
    Setting(
        "CONNECTOR_PROXY_ASYNC_COMMANDS",
        "(unset: none)",
        "Comma-separated command ids that run in the background when SpiffArena sends a callback URL: "
        "the proxy answers 202 at once and later PUTs the result to `spiff__callback_url`. "
        "Shell-style wildcards are allowed (`aws/*`, `*`). "
        "Needs `lambda:InvokeFunction` on the function itself (`make serve` runs them itself).",
    ),
    Setting(
        "CONNECTOR_PROXY_TASK_SECRET",
        "(unset: the proxy's API key is used)",
        "Secret that signs (HMAC-SHA256) the event a background run is handed over in; events with "
        "a missing or wrong signature are refused. Unset, the API key (`CONNECTOR_PROXY_API_KEY`, or the "
        "one read from `CONNECTOR_PROXY_API_KEY_SECRET`) signs them; with no key at all, events are not "
        "signed and only IAM guards direct invocation.",
    ),
    Setting(
        "SPIFFARENA_CALLBACK_API_KEY",
        "(unset)",
        "API key of a SpiffArena service account, sent as the `SpiffWorkflow-Api-Key` header with every "
        "callback. SpiffArena's callback route requires it. Needs `SPIFFARENA_CALLBACK_ORIGINS`: "
        "without it, background runs answer 500 `configuration_error` saying so.",
    ),
    Setting(
        "SPIFFARENA_CALLBACK_ORIGINS",
        "(unset)",
        "Comma-separated origins (`https://spiff.example.com`: the scheme, host and port of SpiffArena's "
        "`SPIFFWORKFLOW_BACKEND_URL`) callbacks may go to; others are refused with 400 "
        "`callback_url_not_allowed`. Required while `SPIFFARENA_CALLBACK_API_KEY` is set (background runs "
        "answer 500 `configuration_error` until it is), so nobody, not even a caller holding the proxy's "
        "API key, can have SpiffArena's key sent to a URL of its choosing. Callbacks also obey the http "
        "connector's destination rules (`HTTP_CONNECTOR_ALLOWED_HOSTS`, `HTTP_CONNECTOR_DENIED_HOSTS`): a "
        "SpiffArena on loopback needs its host allowed there.",
    ),
    Setting(
        "CONNECTOR_PROXY_TASK_MAX_AGE_SECONDS",
        "3600",
        "A background run's event older than this is not run (its callback gets the error "
        "`background_task_expired` instead): "
        "stops replays and work nobody waits for any more.",
    ),
    Setting(
        "CONNECTOR_PROXY_CALLBACK_TIMEOUT_SECONDS",
        "30",
        "How long one callback attempt waits for SpiffArena's answer.",
    ),
    Setting(
        "CONNECTOR_PROXY_CALLBACK_ATTEMPTS",
        "6",
        "Callback attempts in all; connection errors, timeouts, 408, 425, 429 and 5xx answers are "
        "retried, every other answer is final.",
    ),
    Setting(
        "CONNECTOR_PROXY_CALLBACK_BACKOFF_SECONDS",
        "1",
        "Wait before the first callback retry; it doubles with each further retry (at most 30 s), with "
        "jitter. A `Retry-After` answer from SpiffArena wins.",
    ),
    Setting(
        "CONNECTOR_PROXY_CALLBACK_SHAPE",
        "synchronous",
        "What a background run's callback carries. `synchronous`: SpiffArena stores exactly what it "
        "stores for a synchronous answer (the whole `command_response` with `operator_identifier` for "
        "a v2 result) and raises the same error codes. `raw`: the result's v2 envelope, of which "
        "SpiffArena stores `command_response.body` only (the shape before this setting existed).",
    ),
    Setting(
        "CONNECTOR_PROXY_CALLBACK_RESERVE_SECONDS",
        "40",
        "Time kept back from a background command's deadline for delivering its result "
        "(at most half the time the function has left).",
    ),
    # Keeping undelivered results and delivering them later (docs/long-running.md, "Nothing lost").
    Setting(
        "CONNECTOR_PROXY_RESULTS_TABLE",
        "(unset: undelivered results are not kept)",
        "DynamoDB table (name or ARN) where background results wait until SpiffArena takes them: every "
        "result is written there before its first delivery and removed once SpiffArena answers, so a "
        "result whose SpiffArena is down is delivered later instead of lost. Needs "
        "`CONNECTOR_PROXY_RESULTS_QUEUE_URL` too. template.yaml creates both; `make serve` keeps results "
        "in a local file instead.",
    ),
    Setting(
        "CONNECTOR_PROXY_RESULTS_QUEUE_URL",
        "(unset)",
        "URL of the SQS queue whose delayed messages wake the function for each later delivery attempt "
        "(an event source mapping on the function, with `ReportBatchItemFailures`). The messages carry "
        "a run id only, never a result.",
    ),
    Setting(
        "CONNECTOR_PROXY_REDELIVERY_BACKOFF_SECONDS",
        "30",
        "Wait before the first later delivery attempt of a kept result; it doubles with each further "
        "attempt up to `CONNECTOR_PROXY_REDELIVERY_MAX_BACKOFF_SECONDS`, with jitter.",
    ),
    Setting(
        "CONNECTOR_PROXY_REDELIVERY_MAX_BACKOFF_SECONDS",
        "300",
        "Longest wait between two later delivery attempts (at most 900: an SQS message's longest delay). "
        "A `Retry-After` from SpiffArena is honoured up to this.",
    ),
    Setting(
        "CONNECTOR_PROXY_RESULT_MAX_AGE_SECONDS",
        "86400",
        "How long a kept result is retried, counted from when its command finished (at most 1209600, "
        "14 days). After that it is expired: no longer retried, counted in the `Expired` metric, and kept "
        "for `CONNECTOR_PROXY_RESULT_RETENTION_SECONDS` for an operator (`make results`).",
    ),
    Setting(
        "CONNECTOR_PROXY_RESULT_RETENTION_SECONDS",
        "1209600",
        "How long a result that is no longer retried (expired, or held because SpiffArena refused its key "
        "or URL) is kept for an operator before it is deleted. It may hold task data: keep it short if "
        "that matters more than a late redelivery.",
    ),
)


def env_list(value: str | None) -> tuple[str, ...]:
    """Comma-separated setting -> tuple of stripped, non-empty items."""
    return tuple(item.strip() for item in (value or "").split(",") if item.strip())


_DEFAULTS = {setting.name: setting.value for setting in SETTINGS}
SettingsGroup = TypeVar("SettingsGroup")
_read: dict[type, Any] = {}


def read_once(group: type[SettingsGroup], read: Callable[[], SettingsGroup]) -> SettingsGroup:
    """A group of settings as `read()` gives it, read on first use and kept for the process.

    A setting that cannot be read is not kept: every request says what is wrong until it is fixed.
    """
    found = _read.get(group)
    if not isinstance(found, group):
        found = _read[group] = read()
    return found


def forget() -> None:
    """Read every group again on next use (tests, which change the environment between cases)."""
    _read.clear()


def text(env: Mapping[str, str], name: str) -> str | None:
    """A setting's stripped text, else its default from `SETTINGS`; None when unset means none."""
    return env.get(name, "").strip() or _DEFAULTS[name]


def number(env: Mapping[str, str], name: str) -> float:
    """A setting of zero or more (seconds, counts), else its default from `SETTINGS`."""
    raw = text(env, name) or ""
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not value >= 0 or value == float("inf"):
        from .errors import ConfigurationError

        raise ConfigurationError(f"{name} must be a number of zero or more, not {raw!r}.")
    return value


def whole_number(env: Mapping[str, str], name: str) -> int:
    """A setting that is a whole number (bytes, attempts), else its default from `SETTINGS`."""
    raw = text(env, name) or ""
    try:
        return int(raw)
    except ValueError:
        from .errors import ConfigurationError

        raise ConfigurationError(f"{name} must be a whole number, not {raw!r}.") from None


class Settings(NamedTuple):
    api_key: str | None
    # Where the API key is stored (secret_store), instead of `api_key` itself.
    api_key_secret: str | None
    api_key_secret_ttl: float
    cors_origins: tuple[str, ...]
    host_names: frozenset[str]
    base_path: str
    max_body_bytes: int
    sync_timeout: float
    log_level: str

    @classmethod
    def current(cls) -> Settings:
        return read_once(cls, cls.from_environ)

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        return cls(
            # As given, not stripped: a key set but empty is a configuration error (auth.py).
            api_key=env.get("CONNECTOR_PROXY_API_KEY"),
            api_key_secret=env.get("CONNECTOR_PROXY_API_KEY_SECRET"),
            api_key_secret_ttl=number(env, "CONNECTOR_PROXY_API_KEY_SECRET_TTL_SECONDS"),
            cors_origins=env_list(env.get("CONNECTOR_PROXY_CORS_ORIGINS")),
            host_names=frozenset(
                name.lower().rstrip(".") for name in env_list(env.get("CONNECTOR_PROXY_HOST_NAMES"))
            ),
            base_path="/" + (text(env, "CONNECTOR_PROXY_BASE_PATH") or "").strip("/"),
            max_body_bytes=whole_number(env, "CONNECTOR_PROXY_MAX_BODY_BYTES"),
            sync_timeout=number(env, "CONNECTOR_PROXY_SYNC_TIMEOUT_SECONDS"),
            log_level=log_level(env),
        )

    @property
    def authenticates_callers(self) -> bool:
        """Whether protected routes require an API key (however it is configured)."""
        return bool((self.api_key or "").strip() or (self.api_key_secret or "").strip())


def outbound_policy() -> Policy:
    """Where the proxy's own outbound requests (callbacks, sign-in token requests) may go: the
    deployment's destination policy, read as the http connector reads it, once."""
    from spiff_outbound.destinations import InvalidHostList, Policy  # not on the cold path

    try:
        return read_once(Policy, lambda: Policy.from_settings(os.environ.get))
    except InvalidHostList as error:
        from .errors import ConfigurationError

        raise ConfigurationError(str(error)) from None


# Lambda's log level names (LoggingConfig) that Python spells otherwise.
_LAMBDA_LEVELS = {"TRACE": "DEBUG", "WARN": "WARNING", "FATAL": "CRITICAL"}
_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


def log_level(env: Mapping[str, str]) -> str:
    """The proxy's log level, the one place that decides it: CONNECTOR_PROXY_LOG_LEVEL when it names a
    level, else AWS_LAMBDA_LOG_LEVEL (Lambda's application log level), else INFO."""
    for name in ("CONNECTOR_PROXY_LOG_LEVEL", "AWS_LAMBDA_LOG_LEVEL"):
        value = env.get(name, "").strip().upper()
        value = _LAMBDA_LEVELS.get(value, value)
        if value in _LEVELS:
            return value
    return "INFO"
