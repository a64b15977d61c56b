"""The base of the http commands: keeps the arguments, runs them on `execute`.

Kept free of imports: discovery imports every command module at cold start, and
all the work (requests included) is loaded by `execute` on first use.
"""

from __future__ import annotations

from typing import Any


class HttpCommand:
    method = "GET"
    # 2: the v2 envelope; 1: connector-http's older {"response", "status", "mimetype"}.
    result_version = 2

    def __init__(self, **arguments: Any) -> None:
        self.arguments = arguments

    def execute(self, config: Any, task_data: Any) -> dict[str, Any]:
        from .call import perform

        return perform(self.method, self.arguments, config, version=self.result_version)
