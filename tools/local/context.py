"""The one stand-in for Lambda's context object: `make serve`, `invoke`, the tests, `make bench` and
`make zip`'s smoke test all pass this.

Standard library modules that every Python process has loaded already, and nothing
of the project, so it can be loaded anywhere (by file path too, as the archive's
smoke test and the benchmarks do) without changing what a cold start measures.
"""

from __future__ import annotations

import os
import time

FUNCTION_NAME = "spiff-connector-proxy"
DEFAULT_TIMEOUT_SECONDS = 30.0
# Region "local": nothing that reads it could reach a real AWS region by mistake.
LOCAL_FUNCTION_ARN = f"arn:aws:lambda:local:000000000000:function:{FUNCTION_NAME}"


class LocalContext:
    """What Lambda passes as `context`, for a function with `timeout_seconds` left to run."""

    def __init__(
        self, timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS, *, function_arn: str = LOCAL_FUNCTION_ARN
    ) -> None:
        # A UUID's shape, like Lambda's request ids, without importing uuid.
        digits = os.urandom(16).hex()
        self.aws_request_id = f"{digits[:8]}-{digits[8:12]}-{digits[12:16]}-{digits[16:20]}-{digits[20:]}"
        self.invoked_function_arn = function_arn
        self.function_name = function_arn.rsplit(":", 1)[-1]
        self.function_version = "$LATEST"
        self.memory_limit_in_mb = 512
        self.log_group_name = f"/aws/lambda/{self.function_name}"
        self.log_stream_name = "local"
        self._deadline = time.monotonic() + timeout_seconds

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def loading_source() -> str:
    """Python source that defines `LocalContext` from this file, for a process that cannot import
    the project (the archive's smoke test, the benchmarks): it imports nothing."""
    path = os.path.abspath(__file__)
    return (
        "_context_module = {}\n"
        f"exec(compile(open({path!r}).read(), {path!r}, 'exec'), _context_module)\n"
        "LocalContext = _context_module['LocalContext']\n"
    )
