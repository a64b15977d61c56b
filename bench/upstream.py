"""The loopback upstream the benchmarks call: a small JSON answer over keep-alive HTTP/1.1.

It counts the TCP connections it accepts, so a run can show whether the
proxy reused one. It runs in the bench's own process, apart from the
interpreter being measured, so it does not compete with it for the GIL.
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

BODY = b'{"colour":"blue","items":[1,2,3],"ok":true}'
# Status line, headers and body in one write: sent in pieces, Nagle's algorithm and
# delayed ACKs would add 40 ms to every answer on a kept-alive connection.
ANSWER = (
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
    + f"Content-Length: {len(BODY)}\r\n\r\n".encode()
    + BODY
)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as real upstreams do

    def do_GET(self) -> None:
        self.wfile.write(ANSWER)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # one line per request would be the slowest part of the server


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.connections = 0
        self._lock = threading.Lock()

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._lock:
            self.connections += 1
        super().process_request(request, client_address)


class Upstream:
    """`with Upstream() as upstream:` serves on 127.0.0.1 until the block ends."""

    def __init__(self) -> None:
        self._server = _Server()
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/things"

    @property
    def connections(self) -> int:
        """TCP connections accepted so far."""
        return self._server.connections

    def __enter__(self) -> Upstream:
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)
