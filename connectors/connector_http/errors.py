"""Why a request produced no upstream answer to hand back, as SpiffArena reads it.

Each failure carries the `error_code` a BPMN error boundary event can catch and
the `http_status` put in `command_response` (SpiffArena treats >= 300 as failed).
"""

from __future__ import annotations

INVALID_ARGUMENT = "InvalidArgument"
CONFIGURATION_ERROR = "ConfigurationError"
DESTINATION_NOT_ALLOWED = "DestinationNotAllowed"
TIMEOUT = "Timeout"
CONNECTION_ERROR = "ConnectionError"
SSL_ERROR = "SSLError"
TOO_MANY_REDIRECTS = "TooManyRedirects"
INVALID_REDIRECT = "InvalidRedirect"
RESPONSE_TOO_LARGE = "ResponseTooLarge"
CONTENT_DECODING_ERROR = "ContentDecodingError"
# The names connector-http has always used (exception class names), kept so that
# diagrams catching them still do.
INVALID_JSON = "JSONDecodeError"
INVALID_XML = "ExpatError"


class HttpFailure(Exception):
    def __init__(
        self, error_code: str, message: str, *, http_status: int = 500, retryable: bool = False
    ) -> None:
        super().__init__(message)
        self.error_code = error_code
        self.message = message
        self.http_status = http_status
        # Worth another attempt when the caller asked for several (connection trouble).
        self.retryable = retryable


def invalid_argument(name: str, problem: str) -> HttpFailure:
    return HttpFailure(INVALID_ARGUMENT, f"Argument {name!r} {problem}", http_status=400)


def configuration_error(message: str) -> HttpFailure:
    return HttpFailure(CONFIGURATION_ERROR, message, http_status=500)
