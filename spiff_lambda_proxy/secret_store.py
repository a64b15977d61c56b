"""The proxy's API key from AWS Secrets Manager or SSM Parameter Store, fetched at run time.

Lambda environment variables cannot refer to an SSM SecureString, and a
Secrets Manager reference in a template is resolved at deploy time into plain
text that anyone allowed to read the function's configuration sees. So
`CONNECTOR_PROXY_API_KEY_SECRET` names where the key lives, and the proxy reads
it with the function's role on first use, keeps it for a while (a rotated key
takes effect within `CONNECTOR_PROXY_API_KEY_SECRET_TTL_SECONDS`) and never logs
it. boto3 is imported only here, so a proxy without the setting never loads it.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from typing import Any, NamedTuple

from . import aws
from .errors import ApiKeyUnavailable, ConfigurationError

SETTING = "CONNECTOR_PROXY_API_KEY_SECRET"
# A JSON secret (the console's key/value form) holds the key in this field.
JSON_FIELD = "api_key"
# After a failed refresh the last good key is used this long before AWS is asked again,
# so an outage does not add a failing AWS call to every request.
RETRY_AFTER_FAILURE_SECONDS = 30.0

logger = logging.getLogger(__name__)


class SecretRef(NamedTuple):
    service: str  # "secretsmanager" or "ssm"
    identifier: str  # what the API takes: an ARN, a secret name or a parameter name
    region: str | None  # from the ARN; None: the function's own region

    @property
    def label(self) -> str:
        kind = "Secrets Manager secret" if self.service == "secretsmanager" else "SSM parameter"
        return f"{kind} {self.identifier}"

    @property
    def read_permission(self) -> str:
        if self.service == "secretsmanager":
            return "secretsmanager:GetSecretValue"
        return "ssm:GetParameter (and kms:Decrypt on a customer-managed key)"


def parse_reference(reference: str) -> SecretRef:
    """Where the key lives: a Secrets Manager or SSM ARN, an SSM name starting with /, else a secret name."""
    text = reference.strip()
    if text.startswith("arn:"):
        parts = text.split(":", 5)
        service = parts[2] if len(parts) == 6 else ""
        resource = parts[5] if len(parts) == 6 else ""
        if service == "secretsmanager" and resource.startswith("secret:") and parts[3]:
            return SecretRef(service, text, parts[3])
        if service == "ssm" and resource.startswith("parameter/") and parts[3]:
            return SecretRef(service, text, parts[3])
        raise ConfigurationError(
            f"{SETTING} must be the ARN of a Secrets Manager secret (arn:aws:secretsmanager:...:secret:...) "
            f"or of an SSM parameter (arn:aws:ssm:...:parameter/...), not {text!r}."
        )
    if not text:
        raise ConfigurationError(f"{SETTING} is set but empty; remove it or name the secret.")
    if text.startswith("/"):
        return SecretRef("ssm", text, None)
    return SecretRef("secretsmanager", text, None)


class _Cached(NamedTuple):
    key: str
    # _clock() value after which the key is read again
    refresh_at: float


_clock = time.monotonic  # a module attribute, so tests can move time on
_cache: dict[str, _Cached] = {}
_lock = threading.Lock()


def api_key(reference: str, ttl_seconds: float) -> str:
    """The API key stored at `reference`, from the cache while it is fresh."""
    ref = parse_reference(reference)
    with _lock:
        cached = _cache.get(ref.identifier)
        now = _clock()
        if cached is not None and now < cached.refresh_at:
            return cached.key
        try:
            key = _fetch(ref)
        except ApiKeyUnavailable as error:
            if cached is None:
                raise
            # Rotation can wait; refusing every request because AWS hiccuped cannot.
            logger.warning("keeping the API key read earlier: %s", error.message)
            _cache[ref.identifier] = cached._replace(refresh_at=now + RETRY_AFTER_FAILURE_SECONDS)
            return cached.key
        _cache[ref.identifier] = _Cached(key, now + max(ttl_seconds, 0.0))
        return key


def forget() -> None:
    """Drop cached keys and clients: the next request reads the key again (tests; SnapStart restore)."""
    with _lock:
        _cache.clear()


def _fetch(ref: SecretRef) -> str:
    try:
        from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError, NoRegionError
    except ImportError:
        raise ConfigurationError(
            f"{SETTING} needs boto3, which the AWS Lambda Python runtime provides; it is not installed here."
        ) from None
    try:
        client = aws.client(ref.service, ref.region, aws.SECRET_TIMEOUTS)
        if ref.service == "secretsmanager":
            answer = client.get_secret_value(SecretId=ref.identifier)
            value = answer.get("SecretString")
            if value is None:
                raise ConfigurationError(f"The {ref.label} holds binary data; store the API key as text.")
        else:
            answer = client.get_parameter(Name=ref.identifier, WithDecryption=True)
            value = answer["Parameter"]["Value"]
    except ClientError as error:
        raise _client_error(ref, error) from None
    except (NoCredentialsError, NoRegionError) as error:
        raise ConfigurationError(
            f"The API key in the {ref.label} cannot be read: {error}. On Lambda the function's role and "
            "region are used; elsewhere set AWS credentials and AWS_REGION."
        ) from None
    except BotoCoreError as error:
        raise ApiKeyUnavailable(
            f"The API key in the {ref.label} could not be read: AWS did not answer ({type(error).__name__})."
        ) from None
    logger.info("API key read from the %s", ref.label)
    return _key_from(ref, str(value))


def _key_from(ref: SecretRef, value: str) -> str:
    text = value.strip()
    if text.startswith("{"):
        # The console's "key/value" secrets are JSON objects; the key is one of the fields.
        try:
            fields = json.loads(text)
        except ValueError:
            fields = None
        if isinstance(fields, dict):
            field = fields.get(JSON_FIELD)
            if not isinstance(field, str):
                raise ConfigurationError(
                    f"The {ref.label} is a JSON object without a text field {JSON_FIELD!r}; store the API "
                    f"key as plain text, or as {{{JSON_FIELD!r}: <key>}}."
                )
            text = field.strip()
    if not text:
        raise ConfigurationError(f"The {ref.label} is empty; store the API key SpiffArena sends in it.")
    return text


def _client_error(ref: SecretRef, error: Any) -> ConfigurationError:
    code = aws.error_code(error)
    # AWS's message names roles and accounts: the operator's log gets it, callers only the code.
    logger.error("reading the API key from the %s failed: %s: %s", ref.label, code, error)
    if code in aws.THROTTLED:
        return ApiKeyUnavailable(f"Reading the API key from the {ref.label} was throttled ({code}).")
    if code in aws.NOT_FOUND:
        return ConfigurationError(f"The {ref.label} ({SETTING}) does not exist, or not in this region.")
    if code in aws.DENIED:
        return ConfigurationError(
            f"The function may not read the {ref.label}: "
            f"grant its execution role {ref.read_permission} on it."
        )
    return ConfigurationError(f"The API key in the {ref.label} cannot be read: AWS answered {code}.")
