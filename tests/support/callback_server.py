"""A real HTTP server on 127.0.0.1 standing in for SpiffArena's callback route."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, NamedTuple


class Received(NamedTuple):
    method: str
    path: str
    headers: dict[str, str]  # names lowercased
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)


class CallbackServer:
    """Records every request; answers them with `statuses` in turn, then 200."""

    def __init__(self, statuses: list[int] | None = None, headers: dict[str, str] | None = None) -> None:
        self.statuses = list(statuses or [])
        self.extra_headers = headers or {}
        self.received: list[Received] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)

    @property
    def origin(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def url(self, path: str = "/v1.0/tasks/7/0b8a2c1e-2f6d-4f1c-9d59-5b0d6f1e7a10/callback") -> str:
        return self.origin + path

    def puts(self) -> list[Received]:
        return [item for item in self.received if item.method == "PUT"]

    def _next_status(self) -> int:
        with self._lock:
            return self.statuses.pop(0) if self.statuses else 200

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass  # keep test output clean

            def _record_and_answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                headers = {name.lower(): value for name, value in self.headers.items()}
                with server._lock:
                    server.received.append(Received(self.command, self.path, headers, body))
                status = server._next_status() if self.command == "PUT" else 405
                answer: dict[str, Any]
                if status < 300:
                    answer = {"ok": True}
                else:
                    answer = {"error_code": f"test_status_{status}", "message": "scripted failure"}
                payload = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                for name, value in server.extra_headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)

            do_PUT = do_POST = do_GET = _record_and_answer

        return Handler

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


@contextmanager
def running(
    statuses: list[int] | None = None, headers: dict[str, str] | None = None
) -> Iterator[CallbackServer]:
    server = CallbackServer(statuses, headers)
    server.start()
    try:
        yield server
    finally:
        server.stop()
