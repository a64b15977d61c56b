"""The Lambda context object on this machine, for `make serve`, `invoke` and anything else that needs one.

Standard library only, and importing nothing of the project, so it can be loaded
anywhere, by file path too (`importlib.util.spec_from_file_location`).
"""

from __future__ import annotations

import time
import uuid

FUNCTION_NAME = "spiff-connector-proxy"
DEFAULT_TIMEOUT_SECONDS = 30.0


class LocalContext:
    """What Lambda passes as `context`, for a function with `timeout_seconds` to run."""

    def __init__(self, timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS) -> None:
        self.aws_request_id = str(uuid.uuid4())
        self.function_name = FUNCTION_NAME
        self.function_version = "$LATEST"
        # Region "local": nothing that reads it could reach a real AWS region by mistake.
        self.invoked_function_arn = f"arn:aws:lambda:local:000000000000:function:{FUNCTION_NAME}"
        self.memory_limit_in_mb = 512
        self.log_group_name = f"/aws/lambda/{FUNCTION_NAME}"
        self.log_stream_name = "local"
        self._deadline = time.monotonic() + timeout_seconds

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))
