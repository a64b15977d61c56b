"""Errors the proxy answers on purpose, each with its HTTP status and error code.

Route code raises these; `handler` turns any of them into the error envelope
in one place, so no route builds an error response inline.
"""

from __future__ import annotations


class ProxyError(Exception):
    status = 500
    error_code = "proxy_error"

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        error_code: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status
        if error_code is not None:
            self.error_code = error_code
        self.headers = headers or {}


class BadRequest(ProxyError):
    status = 400
    error_code = "bad_request"


class Unauthorized(ProxyError):
    status = 401
    error_code = "unauthorized"


class NotFound(ProxyError):
    status = 404
    error_code = "not_found"


class CommandNotFound(NotFound):
    error_code = "command_not_found"


class MethodNotAllowed(ProxyError):
    status = 405
    error_code = "method_not_allowed"


class PayloadTooLarge(ProxyError):
    status = 413
    error_code = "payload_too_large"


class InvalidResult(ProxyError):
    """A command returned something that is neither a v1 nor a v2 result."""

    status = 500
    error_code = "invalid_command_result"


class CommandFailed(ProxyError):
    """A command raised; the error code is the exception's class name."""

    status = 500


class ConfigurationError(ProxyError):
    """The deployment is misconfigured; the message says how to fix it."""

    status = 500
    error_code = "configuration_error"


class UnrecognisedEvent(ProxyError):
    """The Lambda was invoked with something that is not an HTTP event."""

    status = 400
    error_code = "unrecognised_event"


class ApiKeyUnavailable(ConfigurationError):
    """AWS could not be asked for the API key right now (network, throttling): worth trying again."""

    status = 503
    error_code = "api_key_unavailable"


class BackgroundStartFailed(ProxyError):
    """The command was valid but could not be handed to a background invocation."""

    status = 500
    error_code = "background_start_failed"
