"""Connector packages the tests install next to the project's own ones."""

from __future__ import annotations

# A well-behaved connector with a command of every result kind the proxy shapes.
CONNECTOR_SAMPLE = {
    "connector_sample/__init__.py": "",
    "connector_sample/helpers.py": """
        class NotACommand:
            '''Outside the commands subpackage: never listed.'''
    """,
    "connector_sample/commands/__init__.py": "",
    "connector_sample/commands/echo.py": """
        from connector_sample.helpers import NotACommand  # imported, so not a command


        def v2(body, status=200, error=None, logs=()):
            return {
                "command_response": {"body": body, "mimetype": "application/json", "http_status": status},
                "command_response_version": 2,
                "error": error,
                "spiff__logs": list(logs),
            }


        class Echo:
            def __init__(self, message: str, times: int = 1):
                self.message = message
                self.times = times

            def execute(self, config, task_data):
                return v2({"echo": self.message * self.times, "task_data": task_data})


        class ReadConfig:
            def __init__(self, name: str):
                self.name = name

            def execute(self, config, task_data):
                return v2({"value": config[self.name], "has_missing": "SURELY_NOT_SET_ANYWHERE" in config})


        class ReadDeadline:
            def execute(self, config, task_data):
                return v2({"deadline": config.get("CONNECTOR_PROXY_DEADLINE")})


        class Explode:
            def execute(self, config, task_data):
                raise RuntimeError("the upstream said no")


        class ReturnsNonsense:
            def execute(self, config, task_data):
                return ["not", "a", "result"]


        class ReturnsUnencodable:
            def execute(self, config, task_data):
                return v2({"thing": object()})


        class LegacyText:
            def __init__(self, text: str, status: int = 200):
                self.text = text
                self.status = status

            def execute(self, config, task_data):
                return {"response": self.text, "status": self.status, "mimetype": "text/plain"}


        class LegacyDict:
            def execute(self, config, task_data):
                return {"response": {"ok": True}, "status": 201, "mimetype": "application/json"}


        class OptionalWithoutDefault:
            def __init__(self, maybe: str | None):
                self.maybe = maybe

            def execute(self, config, task_data):
                return v2({"maybe": self.maybe})


        class TakesKwargs:
            def __init__(self, known: str = "", **kwargs):
                self.kwargs = kwargs

            def execute(self, config, task_data):
                return v2({"extra": sorted(self.kwargs)})


        class LongRunning:
            def __init__(self, job: str):
                self.job = job

            def execute(self, config, task_data):
                return v2({"ran": "sync"})

            def execute_async(self, config, task_data, callback_url=None):
                return v2({"started": self.job, "callback_url": callback_url}, status=202)
    """,
    "connector_sample/auths/__init__.py": "",
    "connector_sample/auths/oauth.py": """
        class SampleOAuth:
            def __init__(self, client_id: str, scope: str | None = None):
                pass
    """,
}

# Installed with pip (a real distribution), to show pip-installed packages are found.
CONNECTOR_PIPPED_PROJECT = {
    "pyproject.toml": """
        [build-system]
        requires = ["setuptools"]
        build-backend = "setuptools.build_meta"

        [project]
        name = "connector-pipped"
        version = "1.0.0"

        [tool.setuptools]
        packages = ["connector_pipped", "connector_pipped.commands"]
    """,
    "connector_pipped/__init__.py": "",
    "connector_pipped/commands/__init__.py": "",
    "connector_pipped/commands/hello.py": """
        class SayHello:
            def __init__(self, name: str):
                self.name = name

            def execute(self, config, task_data):
                return {
                    "command_response": {"body": {"hello": self.name}, "mimetype": "application/json",
                                         "http_status": 200},
                    "command_response_version": 2,
                    "error": None,
                    "spiff__logs": [],
                }
    """,
}

# Broken in two ways: a whole package that cannot import, and one bad module.
CONNECTOR_BROKEN = {
    "connector_broken/__init__.py": "import a_dependency_nobody_installed\n",
    "connector_broken/commands/__init__.py": "",
    "connector_broken/commands/thing.py": "class Thing:\n    pass\n",
    "connector_halfbroken/__init__.py": "",
    "connector_halfbroken/commands/__init__.py": "",
    "connector_halfbroken/commands/good.py": """
        class Good:
            def execute(self, config, task_data):
                return {"response": "fine", "status": 200, "mimetype": "text/plain"}
    """,
    "connector_halfbroken/commands/bad.py": "raise ValueError('bad module at import')\n",
}

# Every kind of answer SpiffArena reads differently: v2 bodies, statuses and errors; v1 JSON and text.
CONNECTOR_SHAPES = {
    "connector_shapes/__init__.py": "",
    "connector_shapes/commands/__init__.py": "",
    "connector_shapes/commands/shapes.py": """
        from typing import Any


        class V2:
            def __init__(self, body: Any = None, status: int = 200, error_code: str = "",
                         headers: Any = None):
                self.body, self.status, self.code, self.headers = body, status, error_code, headers

            def execute(self, config, task_data):
                command_response = {"body": self.body, "mimetype": "application/json",
                                    "http_status": self.status}
                if self.headers is not None:
                    command_response["headers"] = self.headers
                error = {"error_code": self.code, "message": "it went wrong"} if self.code else None
                return {
                    "command_response": command_response,
                    "command_response_version": 2,
                    "error": error,
                    "spiff__logs": ["shaped"],
                }


        class V1:
            def __init__(self, response: Any = "", status: int = 200, mimetype: str = "application/json"):
                self.response, self.status, self.mimetype = response, status, mimetype

            def execute(self, config, task_data):
                return {"response": self.response, "status": self.status, "mimetype": self.mimetype}


        class Raises:
            def execute(self, config, task_data):
                raise LookupError("no such thing")
    """,
}

# Leaves a mark when it runs, so a refused event can be shown not to have run it (Touch), or how often
# a command ran (Count: one line per run in `path`).
CONNECTOR_PROBE = {
    "connector_probe/__init__.py": "",
    "connector_probe/commands/__init__.py": "",
    "connector_probe/commands/probe.py": """
        import os
        from pathlib import Path


        class Touch:
            def __init__(self, path: str, secret_value: str = ""):
                self.path = path

            def execute(self, config, task_data):
                Path(self.path).write_text("ran")
                return {
                    "command_response": {"body": {"touched": True}, "mimetype": "application/json",
                                         "http_status": 200},
                    "command_response_version": 2,
                    "error": None,
                    "spiff__logs": [],
                }


        class Count:
            def __init__(self, path: str, size: int = 0):
                self.path = path
                self.size = size

            def execute(self, config, task_data):
                with open(self.path, "a") as runs:
                    runs.write("ran\\n")
                body = {"runs": Path(self.path).read_text().count("ran"), "task_data": task_data}
                if self.size:
                    body["filler"] = [os.urandom(16).hex() for _ in range(self.size)]
                return {
                    "command_response": {"body": body, "mimetype": "application/json", "http_status": 200},
                    "command_response_version": 2,
                    "error": None,
                    "spiff__logs": [],
                }
    """,
}
