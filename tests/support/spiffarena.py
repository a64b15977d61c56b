"""A stand-in for SpiffArena's backend: what it stores for a service task's answer, sync or by callback.

SpiffArena cannot run here; this follows its backend's documented behaviour
(PROTOCOL.md section 5, from spiffworkflow-backend's service task code):

- `read_answer` is what the backend does with a synchronous answer: parse the
  body as JSON, for a v2 envelope take `command_response` and add
  `operator_identifier`, raise the first of `error.error_code`,
  `ServiceTaskHttpError<status>` and `ServiceTaskOperatorReturnedBadStatusError`,
  else store the value.
- `SpiffArena` is a loopback HTTP server with the callback route
  (`PUT /v1.0/tasks/<instance>/<task guid>/callback`): the `SpiffWorkflow-Api-Key`
  check, the same error check as for an answer with status 200, then only
  `command_response.body` stored (a JSON string with mimetype application/json
  parsed), and the backend's answers: 200, 200 `retry_scheduled`, 400
  `unexpected_workflow_exception`, `not_waiting_for_callback`, `callback_not_found`,
  `process_instance_cannot_be_found`, `invalid_callback_body`, 401.
"""

from __future__ import annotations

import json
import re
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, NamedTuple

KEY_HEADER = "SpiffWorkflow-Api-Key"
INVALID_JSON = "ServiceTaskOperatorReturnedInvalidJsonError"
BAD_STATUS = "ServiceTaskOperatorReturnedBadStatusError"
_CALLBACK_PATH = re.compile(r"/v1\.0/tasks/([^/]+)/([^/]+)/callback")


class Stored(NamedTuple):
    """The value the task's result variable received."""

    value: Any


class Raised(NamedTuple):
    """The error the service task raised (a boundary event with this code would catch it)."""

    error_code: str


Outcome = Stored | Raised


def read_answer(operator_identifier: str, status: int, text: str) -> Outcome | None:
    """What the backend makes of a synchronous answer; None for a 202 (the task waits)."""
    if status == 202:
        return None
    try:
        parsed: Any = json.loads(text or "{}")
    except ValueError:
        parsed = {"error": {"error_code": INVALID_JSON, "message": text}}
    if isinstance(parsed, dict) and "spiff__logs" in parsed and "api_response" in parsed:
        parsed = parsed["api_response"]
        text = json.dumps(parsed)
    if _is_v2(parsed):
        command_response = parsed["command_response"]
        command_response["operator_identifier"] = operator_identifier
        text = json.dumps(command_response)
    raised = _error_check(parsed, status)
    return raised if raised is not None else Stored(json.loads(text or "{}"))


def _is_v2(parsed: Any) -> bool:
    return (
        isinstance(parsed, dict)
        and "command_response_version" in parsed
        and parsed["command_response_version"] > 1
    )


def _error_check(parsed: Any, status: int) -> Raised | None:
    fields = parsed if isinstance(parsed, dict) else {}
    error = fields.get("error")
    if isinstance(error, dict) and "error_code" in error:
        return Raised(error["error_code"])
    command_response = fields.get("command_response")
    if (
        _is_v2(fields)
        and isinstance(command_response, dict)
        and command_response.get("http_status", 0) >= 300
    ):
        return Raised(f"ServiceTaskHttpError{command_response['http_status']}")
    if status >= 300:
        return Raised(BAD_STATUS)
    return None


class Task:
    """A service task of a process instance, waiting for its callback."""

    def __init__(self, instance: int, operator_identifier: str, retries: int, caught: frozenset[str]) -> None:
        self.instance = instance
        self.guid = str(uuid.uuid4())
        self.operator_identifier = operator_identifier
        self.retries = retries  # SpiffArena-side retries the service task still has
        self.caught = caught  # error codes a boundary event on it catches
        self.state = "waiting"
        self.outcome: Outcome | None = None
        self.done = threading.Event()


class Put(NamedTuple):
    path: str
    headers: dict[str, str]  # names lowercased
    body: bytes
    status: int  # what the stand-in answered


class SpiffArena:
    """The backend's callback route on 127.0.0.1. `scripted` answers the next PUTs (status, JSON) instead."""

    def __init__(self, api_key: str = "service-account-key") -> None:
        self.api_key = api_key
        self.tasks: dict[str, Task] = {}
        self.instances: set[int] = set()
        self.puts: list[Put] = []
        self.scripted: list[tuple[int, dict[str, Any]]] = []
        self._lock = threading.Lock()
        self._port = 0
        self._listen()

    def _listen(self) -> None:
        self._server = ThreadingHTTPServer(("127.0.0.1", self._port), _Handler)
        self._port = self._server.server_address[1]
        self._server.daemon_threads = True
        self._server.spiffarena = self  # type: ignore[attr-defined]
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()

    def go_down(self) -> None:
        """An outage (a deploy, a migration): nothing listens, connections are refused."""
        self.close()

    def come_back(self) -> None:
        """Listening again on the same port, with the same tasks waiting."""
        self._listen()

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self._port}"

    def service_task(
        self, operator_identifier: str, retries: int = 0, caught: tuple[str, ...] = (), instance: int = 7
    ) -> Task:
        task = Task(instance, operator_identifier, retries, frozenset(caught))
        with self._lock:
            self.tasks[task.guid] = task
            self.instances.add(instance)
        return task

    def local_settings(self) -> dict[str, str]:
        """What a developer sets for `make serve` next to this SpiffArena."""
        return {
            "SPIFFARENA_CALLBACK_API_KEY": self.api_key,
            "SPIFFARENA_CALLBACK_ORIGINS": self.origin,
            "HTTP_CONNECTOR_ALLOWED_HOSTS": "127.0.0.1",
        }

    def callback_url(self, task: Task) -> str:
        return f"{self.origin}/v1.0/tasks/{task.instance}/{task.guid}/callback"

    def request_body(self, task: Task, params: dict[str, Any], task_data: dict[str, Any]) -> dict[str, Any]:
        """What the backend POSTs to /v1/do/<operator_identifier> for this task."""
        return {
            **params,
            "spiff__process_instance_id": task.instance,
            "spiff__task_id": task.guid,
            "spiff__task_data": task_data,
            "spiff__callback_url": self.callback_url(task),
        }

    def wait(self, task: Task, timeout: float = 30) -> Outcome | None:
        task.done.wait(timeout)
        return task.outcome

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)

    def answer_callback(self, path: str, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, Any]]:
        with self._lock:
            if self.scripted:
                return self.scripted.pop(0)
        if headers.get(KEY_HEADER.lower()) != self.api_key:
            return 401, {"error_code": "not_authenticated", "message": "bad or missing API key"}
        match = _CALLBACK_PATH.fullmatch(path)
        if match is None:
            return 404, {"error_code": "not_found", "message": path}
        instance, guid = match.groups()
        if not instance.isdigit() or int(instance) not in self.instances:
            return 400, {"error_code": "process_instance_cannot_be_found", "message": instance}
        task = self.tasks.get(guid)
        if task is None or task.instance != int(instance):
            return 400, {"error_code": "callback_not_found", "message": guid}
        if task.state != "waiting":
            return 400, {"error_code": "not_waiting_for_callback", "message": "not waiting"}
        try:
            content = json.loads(body) or {}
        except ValueError:
            return 400, {"error_code": "invalid_json", "message": "the body is not JSON"}
        return self._complete(task, content)

    def _complete(self, task: Task, content: Any) -> tuple[int, dict[str, Any]]:
        raised = _error_check(content, 200)
        if raised is not None:
            if task.retries > 0:
                task.retries -= 1
                task.state = "retry_scheduled"
                return 200, {"status": "retry_scheduled", "task_guid": task.guid}
            self._finish(task, raised, "done" if raised.error_code in task.caught else "error")
            if task.state == "error":
                return 400, {"error_code": "unexpected_workflow_exception", "message": raised.error_code}
            return 200, {"ok": True}
        command_response = content.get("command_response") if isinstance(content, dict) else None
        if not isinstance(command_response, dict) or "body" not in command_response:
            return 400, {"error_code": "invalid_callback_body", "message": "no command_response.body"}
        value = command_response["body"]
        if isinstance(value, str) and command_response.get("mimetype") == "application/json":
            with suppress(ValueError):
                value = json.loads(value)
        self._finish(task, Stored(value), "done")
        return 200, {"ok": True}

    def _finish(self, task: Task, outcome: Outcome, state: str) -> None:
        task.outcome, task.state = outcome, state
        task.done.set()


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_PUT(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        headers = {name.lower(): value for name, value in self.headers.items()}
        spiffarena: SpiffArena = self.server.spiffarena  # type: ignore[attr-defined]
        status, answer = spiffarena.answer_callback(self.path, headers, body)
        with spiffarena._lock:
            spiffarena.puts.append(Put(self.path, headers, body, status))
        payload = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


@contextmanager
def running(api_key: str = "service-account-key") -> Iterator[SpiffArena]:
    spiffarena = SpiffArena(api_key)
    try:
        yield spiffarena
    finally:
        spiffarena.close()


# Commands of support.sample_connectors (CONNECTOR_SHAPES, CONNECTOR_SAMPLE), their parameters, and what
# SpiffArena stores for their synchronous answer (None: not pinned down, only compared).
def stored_v2(body: Any, status: int = 200, **extra: Any) -> Stored:
    """What SpiffArena stores for a synchronous v2 answer of shapes/V2."""
    return Stored(
        {
            "body": body,
            "mimetype": "application/json",
            "http_status": status,
            **extra,
            "operator_identifier": "shapes/V2",
        }
    )


SHAPE_CASES: list[tuple[str, dict[str, Any], Outcome | None]] = [
    ("shapes/V2", {"body": {"id": 7}}, stored_v2({"id": 7})),
    ("shapes/V2", {"body": {"id": 7}, "headers": {"ETag": "x"}}, stored_v2({"id": 7}, headers={"ETag": "x"})),
    ("shapes/V2", {"body": '{"id": 7}'}, stored_v2('{"id": 7}')),
    ("shapes/V2", {"body": None}, stored_v2(None)),
    ("shapes/V2", {"body": "42"}, stored_v2("42")),
    ("shapes/V2", {"body": {"id": 7}, "status": 201}, stored_v2({"id": 7}, 201)),
    ("shapes/V2", {"body": {"detail": "gone"}, "status": 404}, Raised("ServiceTaskHttpError404")),
    ("shapes/V2", {"body": {}, "error_code": "UpstreamDown"}, Raised("UpstreamDown")),
    ("shapes/V2", {"body": {}, "error_code": "UpstreamDown", "status": 503}, Raised("UpstreamDown")),
    ("shapes/V1", {"response": {"ok": True}, "status": 201}, Stored({"ok": True})),
    ("shapes/V1", {"response": [1, 2]}, Stored([1, 2])),
    ("shapes/V1", {"response": '"quoted"', "mimetype": "text/plain"}, Stored("quoted")),
    ("shapes/V1", {"response": "42", "mimetype": "text/plain"}, Stored(42)),
    ("shapes/V1", {"response": ""}, Stored({})),
    ("shapes/V1", {"response": "", "status": 204}, Stored({})),
    ("shapes/V1", {"response": {"api_response": {"x": 1}, "spiff__logs": ["l"]}}, Stored({"x": 1})),
    ("shapes/V1", {"response": "plain words", "mimetype": "text/plain"}, Raised(INVALID_JSON)),
    ("shapes/V1", {"response": "gone", "status": 404, "mimetype": "text/plain"}, Raised(INVALID_JSON)),
    ("shapes/V1", {"response": {"detail": "gone"}, "status": 404}, Raised(BAD_STATUS)),
    (
        "shapes/V1",
        {"response": {"error": {"error_code": "Boom", "message": "x"}}, "status": 500},
        Raised("Boom"),
    ),
    ("shapes/Raises", {}, Raised("LookupError")),
    ("sample/ReturnsNonsense", {}, Raised("invalid_command_result")),
    ("sample/ReturnsUnencodable", {}, Raised("invalid_command_result")),
    ("sample/Echo", {"message": "hi", "times": 2}, None),  # checked against the synchronous value only
]
