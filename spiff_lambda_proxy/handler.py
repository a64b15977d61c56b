"""The Lambda entry point's work: event -> request -> route -> response -> event answer.

Whatever happens inside, the function answers: every failure becomes the error
envelope with a fitting status, because an unhandled exception reaches
SpiffArena as a bodyless 502 it cannot read.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import Any

from . import answer_size, cors, log_escaping, logs
from .background import event as run_event
from .budget import LambdaContext
from .envelope import error_envelope, error_response
from .errors import PayloadTooLarge, ProxyError, UnrecognisedEvent
from .events import adapt
from .messages import Request, Response, dump_json
from .registry import registry
from .routes import router
from .settings import Settings

logger = logging.getLogger(__name__)


def handle(event: Any, context: LambdaContext | None) -> dict[str, Any]:
    started = time.perf_counter()
    lambda_request_id = context.aws_request_id if context is not None else ""
    log_escaping.install()  # also on handlers set up after the import (make serve's, a test's)
    if run_event.is_run_event(event):
        # A background run this function handed to itself, not an HTTP request. It is the one
        # path that may raise: a result SpiffArena never got must count as a failed invocation.
        from .background import worker

        return worker.run(event, context)
    if run_event.is_queue_event(event):
        # Wake-ups from the results queue: deliver kept results now due; answers which failed.
        from .background import redelivery

        return redelivery.handle_batch(event, context)
    source = adapt(event)
    if source is None:
        return _unrecognised_event(event, lambda_request_id)

    request: Request | None = None
    settings: Settings | None = None
    facts = logs.begin()  # the router and the runner note what the log record says
    try:
        settings = Settings.current()
        logs.set_level(settings.log_level)
        request = source.request()
        if len(request.body) > settings.max_body_bytes:
            raise PayloadTooLarge(
                f"The request body is {len(request.body)} bytes; this proxy accepts at most "
                f"{settings.max_body_bytes} (CONNECTOR_PROXY_MAX_BODY_BYTES)."
            )
        response = router.dispatch(request, settings, registry(), context)
    except ProxyError as error:
        response = error_response(error)
        facts.note_error(error.error_code)
    except Exception as error:
        logger.exception("unexpected error while answering the request")
        response = Response.json(
            500, error_envelope(type(error).__name__, "The proxy failed unexpectedly; see its log.")
        )
        facts.note_error(type(error).__name__)

    if request is not None and settings is not None and settings.cors_origins:
        origin = cors.allowed_origin(request, settings.cors_origins)
        if origin is not None and "Access-Control-Allow-Origin" not in response.headers:
            cors.add_cors_headers(response, origin)
    answer = source.answer(response)
    # Measured as the runtime will serialise it: over the front door's limit the
    # platform would answer with an error SpiffArena cannot read.
    size = answer_size.serialised_size(answer, source.payload_limit)
    if size > source.payload_limit:
        response = answer_size.too_large(response, size, source.payload_limit, source.name)
        facts.note_error(answer_size.RESPONSE_TOO_LARGE)
        answer = source.answer(response)
    logs.log_request(request, response, (time.perf_counter() - started) * 1000, lambda_request_id)
    return answer


def _unrecognised_event(event: Any, lambda_request_id: str) -> dict[str, Any]:
    keys = ", ".join(sorted(map(str, event))) if isinstance(event, Mapping) else type(event).__name__
    message = (
        "This function answers HTTP requests from a Lambda Function URL, API Gateway or an "
        f"Application Load Balancer; it was invoked with something else ({keys or 'an empty event'}). "
        "To try it from the Lambda console, use the 'apigateway-http-api-proxy' test event "
        "with rawPath set to /v1/commands."
    )
    logger.warning("unrecognised event (keys: %s), request %s", keys or "none", lambda_request_id or "-")
    body = dump_json(error_envelope(UnrecognisedEvent.error_code, message))
    return {
        "statusCode": UnrecognisedEvent.status,
        "headers": {"Content-Type": "application/json"},
        "body": body.decode(),
        "isBase64Encoded": False,
    }
