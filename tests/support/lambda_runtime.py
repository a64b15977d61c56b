"""The logging set-up of the real Lambda Python runtime client (awslambdaric), to capture what Lambda gets.

`runtime_logging(log_format, level)` does what the runtime's bootstrap does before it imports the
handler (`_setup_logging`: a handler on the root logger with Lambda's JSON or text formatter and its
request-id filter), writing to the same framed telemetry sink Lambda reads, here a file; it yields a
`Captured` whose `frames()` decodes that file the way Lambda's log agent does. What the code prints
to standard output is not framed: in Lambda it reaches CloudWatch line by line, as the EMF metrics
do; tests read it with capsys.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple

REQUEST_ID = "8f5e0bd2-6a4c-4f0e-9a7d-1a2b3c4d5e6f"
# Frame types of the telemetry protocol: 0xA55A00XY, X the level, Y 2 for JSON and 3 for text. Text
# records carry no level (TEXT) unless AWS_LAMBDA_LOG_LEVEL is set.
JSON_INFO, JSON_ERROR = 0xA55A000E, 0xA55A0016
TEXT, TEXT_INFO = 0xA55A0003, 0xA55A000F


class Frame(NamedTuple):
    frame_type: int
    message: str


class Captured:
    def __init__(self, path: Path) -> None:
        self.path = path

    def frames(self) -> list[Frame]:
        data = self.path.read_bytes()
        frames, offset = [], 0
        while offset < len(data):
            frame_type = int.from_bytes(data[offset : offset + 4], "big")
            length = int.from_bytes(data[offset + 4 : offset + 8], "big")
            start = offset + 16  # type, length, then an 8-byte timestamp
            frames.append(Frame(frame_type, data[start : start + length].decode()))
            offset = start + length
        return frames


@contextmanager
def runtime_logging(log_format: str, level: str = "") -> Iterator[Captured]:
    """Logging as awslambdaric sets it up for AWS_LAMBDA_LOG_FORMAT / AWS_LAMBDA_LOG_LEVEL."""
    from awslambdaric import bootstrap
    from awslambdaric.lambda_runtime_log_utils import LogFormat

    root = logging.getLogger()
    saved = (list(root.handlers), root.level, logging.Formatter.converter, bootstrap._GLOBAL_AWS_REQUEST_ID)
    descriptor, name = tempfile.mkstemp(prefix="lambda-telemetry-")
    sink = bootstrap.FramedTelemetryLogSink(descriptor)
    sink.__enter__()
    try:
        bootstrap._setup_logging(LogFormat.from_str(log_format), level, sink)
        bootstrap._GLOBAL_AWS_REQUEST_ID = REQUEST_ID  # what the runtime sets for each invocation
        yield Captured(Path(name))
    finally:
        handlers, root_level, converter, request_id = saved
        root.handlers[:] = handlers
        root.setLevel(root_level)
        logging.Formatter.converter = converter
        bootstrap._GLOBAL_AWS_REQUEST_ID = request_id
        sink.__exit__(None, None, None)
        os.unlink(name)
