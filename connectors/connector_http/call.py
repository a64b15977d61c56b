"""Running one http command: arguments in, a v2 envelope or v1 result out; never raises.

SpiffArena can only act on an answer it can read, so every way this can go
wrong (bad arguments, refused destination, slow upstream, a bug here) ends in
an envelope whose `error_code` a BPMN error boundary event can catch.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from . import errors
from .arguments import HttpRequest, build_request, secrets_in
from .bodies import answer_size, decode_text, parse_body
from .errors import HttpFailure
from .redaction import CallLog
from .settings import HttpSettings, deadline_from

if TYPE_CHECKING:
    from .fetch import Fetched  # a real import would load requests at discovery

MIMETYPE = "application/json"

# Bodies are decoded here (bodies.decode_text: declared charset, else UTF-8), never by
# requests' charset guessing, so this connector needs neither chardet nor
# charset_normalizer, and a deployment may leave them out. requests warns at import
# when it finds neither; said here, before the first use imports it.
warnings.filterwarnings("ignore", message="Unable to find acceptable character detection dependency")


def perform(method: str, arguments: Mapping[str, Any], config: Any, *, version: int) -> dict[str, Any]:
    log = CallLog()
    try:
        log.secrets = secrets_in(arguments)  # first: every later message is scrubbed of them
        settings = HttpSettings.from_config(config)
        request = build_request(method, arguments, log.secrets)

        from .fetch import fetch  # loads requests: first use only, never at discovery

        fetched = fetch(request, settings, deadline_from(config), log)
        if version == 1:
            text = decode_text(fetched.content, fetched.content_type)
            _check_size(text, settings.max_response_bytes)
            return _v1_result(fetched.status, text)
        result = _v2_result(request, fetched, log)
        _check_size(result, settings.max_response_bytes)
        return result
    except HttpFailure as failure:
        return _failed(failure, log, version)
    except Exception as error:  # a bug here must still give SpiffArena an answer
        unexpected = HttpFailure(type(error).__name__, f"The http connector failed unexpectedly: {error}")
        return _failed(unexpected, log, version)


def _v2_result(request: HttpRequest, fetched: Fetched, log: CallLog) -> dict[str, Any]:
    bodiless = request.method == "HEAD" or fetched.status in (204, 304)
    parsed = parse_body(fetched.content, fetched.content_type, bodiless=bodiless)
    error = None
    if fetched.status >= 400:
        error = _error(
            f"HttpError{fetched.status}",
            f"The upstream answered {fetched.status} {fetched.reason}".rstrip() + ".",
        )
    elif parsed.problem is not None:
        error = _error(*parsed.problem)
    if error is not None:
        log.add(f"error: {error['error_code']}")
    command_response: dict[str, Any] = {
        "body": parsed.body,
        "mimetype": MIMETYPE,
        "http_status": fetched.status,
    }
    if request.include_response_headers:
        command_response["headers"] = fetched.headers
    return _envelope(command_response, error, log)


def _v1_result(status: int, text: str) -> dict[str, Any]:
    # connector-http's v1 shape: the proxy answers with the upstream's status and text.
    return {"response": text, "status": status, "mimetype": MIMETYPE}


def _check_size(payload: dict[str, Any] | str, limit: int) -> None:
    size = answer_size(payload)
    if size > limit:
        raise HttpFailure(
            errors.RESPONSE_TOO_LARGE,
            f"The answer would be about {size} bytes once encoded; this connector returns at most {limit} "
            "(HTTP_CONNECTOR_MAX_RESPONSE_BYTES).",
        )


def _failed(failure: HttpFailure, log: CallLog, version: int) -> dict[str, Any]:
    message = log.secrets.scrub(failure.message)
    if version == 1:
        return {
            "response": {"error": _error(failure.error_code, message)},
            "status": failure.http_status,
            "mimetype": MIMETYPE,
        }
    log.add(f"failed: {failure.error_code}: {message}")
    command_response = {"body": {}, "mimetype": MIMETYPE, "http_status": failure.http_status}
    return _envelope(command_response, _error(failure.error_code, message), log)


def _error(code: str, message: str) -> dict[str, str]:
    return {"error_code": code, "message": message}


def _envelope(command_response: dict[str, Any], error: dict[str, str] | None, log: CallLog) -> dict[str, Any]:
    return {
        "command_response": command_response,
        "command_response_version": 2,
        "error": error,
        "spiff__logs": list(log.lines),
    }
