"""Expected failures of aws commands, and the translation of botocore's exceptions into them.

Every failure a modeller can act on becomes a v2 error envelope whose
`error_code` a BPMN error boundary event can catch (for AWS errors: AWS's own
code, e.g. `NoSuchKey`, `ResourceNotFoundException`).
"""

from __future__ import annotations

from typing import Any

from .envelopes import failure

INVALID_ARGUMENT = "InvalidArgument"
CONFIGURATION_ERROR = "AwsConfigurationError"
TIMEOUT = "Timeout"
CONNECTION_ERROR = "AwsConnectionError"


class CommandError(Exception):
    """A failure answered as an error envelope with this code, message and HTTP status."""

    def __init__(self, error_code: str, message: str, status: int, body: dict[str, Any] | None = None):
        super().__init__(message)
        self.error_code = error_code
        self.message = message
        self.status = status
        self.body = body or {}

    def envelope(self) -> dict[str, Any]:
        return failure(self.error_code, self.message, self.status, self.body)


class InvalidArgument(CommandError):
    def __init__(self, argument: str, problem: str) -> None:
        super().__init__(INVALID_ARGUMENT, f"Argument '{argument}' {problem}", 400)
        self.argument = argument


class ConfigurationError(CommandError):
    def __init__(self, message: str) -> None:
        super().__init__(CONFIGURATION_ERROR, message, 500)


class Timeout(CommandError):
    def __init__(self, message: str) -> None:
        super().__init__(TIMEOUT, message, 504)


MISSING_CREDENTIALS = (
    "No AWS credentials were found. On Lambda they come from the function's execution role; "
    "elsewhere set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or AWS_PROFILE)."
)
MISSING_REGION = (
    "No AWS region is set: set the AWS_REGION environment variable (Lambda sets it) "
    "or pass the command's 'region' argument."
)


def translate(error: Exception, service: str = "") -> CommandError | None:
    """The CommandError for a botocore exception, or None when it is not one we expect."""
    import botocore.exceptions as bx

    what = f"AWS {service}" if service else "AWS"
    if isinstance(error, bx.ClientError):
        return _client_error(error)
    if isinstance(error, (bx.NoCredentialsError, bx.PartialCredentialsError, bx.CredentialRetrievalError)):
        return ConfigurationError(f"{MISSING_CREDENTIALS} ({error})")
    if isinstance(error, bx.NoRegionError):
        return ConfigurationError(MISSING_REGION)
    if isinstance(error, bx.InvalidRegionError):
        return InvalidArgument("region", f"is not a valid AWS region name: {error}")
    if isinstance(error, bx.ParamValidationError):
        return CommandError(INVALID_ARGUMENT, f"{what} refused the request before sending it: {error}", 400)
    if isinstance(error, (bx.ConnectTimeoutError, bx.ReadTimeoutError)):
        return Timeout(f"{what} did not answer in time (the time left for this task): {error}")
    if isinstance(error, (bx.ConnectionError, bx.HTTPClientError, bx.IncompleteReadError)):
        return CommandError(CONNECTION_ERROR, f"Could not reach {what}: {error}", 502)
    return None


def _client_error(error: Any) -> CommandError:
    response: dict[str, Any] = getattr(error, "response", None) or {}
    details = response.get("Error") or {}
    metadata = response.get("ResponseMetadata") or {}
    code = str(details.get("Code") or "AwsError")
    status = metadata.get("HTTPStatusCode")
    if not isinstance(status, int) or status < 400:
        status = 500
    operation = getattr(error, "operation_name", "") or "request"
    message = str(details.get("Message") or code)
    body = {"aws_request_id": metadata["RequestId"]} if metadata.get("RequestId") else {}
    return CommandError(code, f"{operation}: {message}", status, body)
