"""How big an answer is as Lambda counts it, and the error that replaces one too big to deliver.

The Lambda runtime serialises the handler's whole answer object with `json.dumps`:
a JSON body, already text in the `body` string, is escaped a second time (every
quote and backslash doubled), a binary body travels as base64 (4/3 of its size),
and before the python3.12 runtime every non-ASCII character becomes a `\\uXXXX`
escape. Over the front door's limit the platform answers with an error
SpiffArena cannot read, so the proxy measures first and says what to do.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Any

from .envelope import error_envelope
from .messages import Response

RESPONSE_TOO_LARGE = "ResponseTooLarge"
_RUNTIME_PREFIX = "AWS_Lambda_python"
_FRONT_DOORS = {
    "function-url": "a Lambda Function URL",
    "http-api": "an API Gateway HTTP API",
    "rest-api": "an API Gateway REST API",
    "alb": "an Application Load Balancer",
}


# JSON escaping turns one character of a string into at most twelve bytes (an astral one becomes
# two `\uXXXX`); the rest of an answer (status, headers, cookies) stays well under the frame.
_WORST_ESCAPING = 12
_ANSWER_FRAME = 64 * 1024


def serialised_size(answer: Mapping[str, Any], limit: int | None = None) -> int:
    """Bytes of `answer` exactly as the Lambda runtime sends them.

    With `limit`, an answer whose body could not reach it however it is escaped is not
    serialised (most answers: a few kilobytes), and 0 is returned.
    """
    body = answer.get("body")
    if limit is not None and isinstance(body, str) and len(body) * _WORST_ESCAPING + _ANSWER_FRAME <= limit:
        return 0
    text = json.dumps(answer, ensure_ascii=_runtime_escapes_non_ascii())
    return len(text.encode("utf-8", "surrogatepass"))


def _runtime_escapes_non_ascii() -> bool:
    # The runtime interface client writes UTF-8 from python3.12 on and \uXXXX before it;
    # outside Lambda, count the larger.
    runtime = os.environ.get("AWS_EXECUTION_ENV", "")
    if not runtime.startswith(_RUNTIME_PREFIX):
        return True
    try:
        version = tuple(int(part) for part in runtime[len(_RUNTIME_PREFIX) :].split(".")[:2])
    except ValueError:
        return True
    return version < (3, 12)


def too_large(response: Response, size: int, limit: int, source: str) -> Response:
    """The error answered instead of `response`, which would be `size` bytes of `limit`."""
    door = _FRONT_DOORS.get(source, "this front door")
    message = (
        f"The answer would be {size} bytes as Lambda sends it (a JSON body is escaped again inside "
        f"the answer, a binary one grows by a third as base64); {door} delivers at most {limit}. "
        "Ask the command for less (a smaller page or object, fewer fields), or store large results "
        "in S3 and pass a link (aws/S3PresignUrl)."
    )
    if source == "alb":
        message += (
            " An Application Load Balancer accepts at most 1 MB from a Lambda function; a Function "
            "URL or API Gateway accepts 6 MB."
        )
    replacement = Response.json(500, error_envelope(RESPONSE_TOO_LARGE, message))
    for name in response.headers:
        if name.lower().startswith("access-control-"):  # a browser must still be able to read it
            replacement.headers.set(name, response.headers[name])
    return replacement
