"""The proxy's log lines: one per request, nothing secret in any of them."""

from __future__ import annotations

import logging
from typing import Any

from .messages import Request, Response

logger = logging.getLogger("spiff_lambda_proxy")


def set_level(level_name: str) -> None:
    level = logging.getLevelName(level_name)
    logger.setLevel(level if isinstance(level, int) else logging.INFO)


def log_request(
    request: Request | None, response: Response, duration_ms: float, lambda_request_id: str
) -> None:
    """Method, path, command, status and duration; never headers, bodies or parameters."""
    method = request.method if request else "-"
    path = request.path if request else "-"
    level = logging.ERROR if response.status >= 500 else logging.INFO
    fields: dict[str, Any] = {
        "method": method,
        "path": path,
        "command": response.command_id or None,
        "status": response.status,
        "duration_ms": round(duration_ms, 2),
        "aws_request_id": lambda_request_id,
        "source": request.source if request else None,
    }
    logger.log(
        level,
        "%s %s%s -> %d in %.1f ms (request %s)",
        method,
        path,
        f" [{response.command_id}]" if response.command_id else "",
        response.status,
        duration_ms,
        lambda_request_id or "-",
        extra={"proxy_request": fields},
    )
