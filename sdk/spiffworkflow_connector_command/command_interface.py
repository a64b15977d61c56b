"""`ConnectorCommand` and the shapes of what commands return (PROTOCOL.md section 10).

A connector proxy builds a command from the service task's parameters
(`Command(**params)`) and calls `execute(config, task_data)`; the result is a
`ConnectorProxyResponseDict` (version 2) or, from older connectors, a
`CommandResultDictV1`. Optional keys are declared in `total=False` subclasses,
which every supported Python understands without typing-extensions.
"""

from __future__ import annotations

import abc
from typing import Any, TypedDict


class CommandErrorDict(TypedDict):
    """Why a command failed: SpiffArena fails the task with this code and message."""

    error_code: str
    message: str


class _CommandResponseRequired(TypedDict):
    body: Any
    mimetype: str


class CommandResponseDict(_CommandResponseRequired, total=False):
    """What the service task's result variable gets."""

    http_status: int


class _ConnectorProxyResponseRequired(TypedDict):
    command_response: CommandResponseDict
    error: CommandErrorDict | None
    command_response_version: int


class ConnectorProxyResponseDict(_ConnectorProxyResponseRequired, total=False):
    """A version 2 result: the proxy answers it whole, with HTTP 200."""

    # Lines SpiffArena writes to its own log.
    spiff__logs: list[str] | None


class CommandResultDictV1(TypedDict):
    """A version 1 result: the proxy answers `response` with HTTP `status` and `mimetype`."""

    response: Any
    status: int
    mimetype: str


class ConnectorCommand(abc.ABC):
    """A command of a connector: built from the task's parameters, then executed."""

    @abc.abstractmethod
    def execute(
        self, config: Any, task_data: dict[str, Any]
    ) -> ConnectorProxyResponseDict | CommandResultDictV1:
        """Do the work; `config` is the proxy's settings by key, `task_data` the task's data."""
        raise NotImplementedError("method must be implemented on subclass: execute")

    def app_description(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        """What an auth command tells the proxy about the app it signs in to; only auths
        implement it."""
        raise NotImplementedError("method must be implemented on subclass: app_description")
