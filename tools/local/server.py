"""`make serve`: an HTTP server on this machine that hands every request to the Lambda handler.

Each request becomes the event a Lambda Function URL sends (`function_url`), the
handler gets a context like Lambda's, and its answer goes back as HTTP, so a
local SpiffArena can use it as its connector proxy. Background runs the handler
starts are run here too (`runs`), never through AWS, and their results wait in a
file of this machine until SpiffArena takes them (`results_file`, `redeliveries`).
What a web page in the developer's browser sends is refused before the handler
sees it (`browser_guard`).
"""

from __future__ import annotations

import logging
import socket
import sys
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any

from spiff_lambda_proxy.background import keeper
from spiff_lambda_proxy.background import start as background_start
from spiff_lambda_proxy.envelope import error_envelope
from spiff_lambda_proxy.errors import ConfigurationError
from spiff_lambda_proxy.messages import Headers, dump_json
from spiff_lambda_proxy.settings import LAMBDA_PAYLOAD_LIMIT, Settings

from . import browser_guard
from .context import DEFAULT_TIMEOUT_SECONDS, LocalContext
from .function_url import function_url_event, http_answer
from .runs import LocalRuns

if TYPE_CHECKING:
    from .redeliveries import LocalRedeliveries
    from .results_file import FileKeeper

DEFAULT_HOST = "127.0.0.1"
# The reference spiffworkflow-proxy's port, so SpiffArena's usual setting works unchanged.
DEFAULT_PORT = 7004
# The listen backlog: a burst of connections waits for a thread instead of being reset
# (the standard library's default is 5; the kernel caps it at net.core.somaxconn).
LISTEN_BACKLOG = 1024
# A connection that sends nothing for this long is closed, so it cannot hold a thread (or a reload).
IDLE_SECONDS = 60.0
PROJECT_ROOT = Path(__file__).resolve().parents[2]

Handler = Callable[[Any, Any], Any]

logger = logging.getLogger("tools.local")


def load_handler() -> Handler:
    """`lambda_function.lambda_handler`, from the project root whatever the working directory."""
    if str(PROJECT_ROOT) not in sys.path:
        sys.path.insert(0, str(PROJECT_ROOT))
    import lambda_function

    handler: Handler = lambda_function.lambda_handler
    return handler


def listen(host: str, port: int) -> socket.socket:
    """A listening socket on (host, port); port 0 picks a free one. Raises OSError as bind does."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(LISTEN_BACKLOG)
    except OSError:
        sock.close()
        raise
    return sock


class LocalServer(ThreadingHTTPServer):
    daemon_threads = True  # Ctrl-C quits at once; a reload waits for them (`wait_idle`)

    def __init__(
        self,
        listener: socket.socket,
        handler: Handler,
        timeout_seconds: float,
        host: str | None = None,
        results: FileKeeper | None = None,
    ) -> None:
        super().__init__(listener.getsockname()[:2], _FunctionUrlRequestHandler, bind_and_activate=False)
        self.socket.close()
        self.socket = listener
        self.server_address = listener.getsockname()
        self.server_name, self.server_port = str(self.server_address[0]), int(self.server_address[1])
        # What HOST= said (a name, perhaps), which requests may name besides this machine's addresses.
        self.listening_on = host or self.server_name
        self.lambda_handler = handler
        self.timeout_seconds = timeout_seconds
        self.runs = LocalRuns(handler, timeout_seconds)
        self._in_flight = 0
        self._idle = threading.Condition()
        background_start.hand_over_with(self.runs.hand_over)
        # Without a results file (some tests), undelivered results are not kept, as on a bare Lambda.
        self.results = results
        self.redeliveries: LocalRedeliveries | None = None
        if results is not None:
            from .redeliveries import LocalRedeliveries

            keeper.install(results)
            self.redeliveries = LocalRedeliveries(results)
            self.redeliveries.start()

    @property
    def url(self) -> str:
        return f"http://{self.authority}"

    @property
    def authority(self) -> str:
        """host:port, as a Host header names this server."""
        host, port = str(self.server_address[0]), self.server_address[1]
        return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"

    def server_close(self) -> None:
        background_start.hand_over_with(None)
        if self.redeliveries is not None:
            self.redeliveries.stop(wait=False)
        super().server_close()

    def finish(self) -> None:
        """After `server_close`: let the requests, background runs and redeliveries under way end
        (they still keep what SpiffArena does not take), then stop keeping."""
        self.wait_idle()
        self.runs.wait()
        if self.redeliveries is not None:
            self.redeliveries.stop(wait=True)
            keeper.install(None)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._idle:
            self._in_flight += 1
        super().process_request(request, client_address)

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            with self._idle:
                self._in_flight -= 1
                self._idle.notify_all()

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Wait until no request is being answered; True if none is."""
        with self._idle:
            return self._idle.wait_for(lambda: self._in_flight == 0, timeout)


class _FunctionUrlRequestHandler(BaseHTTPRequestHandler):
    server: LocalServer
    protocol_version = "HTTP/1.1"
    server_version = "spiff-lambda-proxy-local"
    timeout = IDLE_SECONDS

    def _forward(self) -> None:
        # One request per connection: after a reload, the next request reaches the new code.
        self.close_connection = True
        if self._refused_from_a_web_page():
            return
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            self._send(411, [("Content-Type", "text/plain")], b"Send the request body with a Content-Length.")
            return
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            self._send(400, [("Content-Type", "text/plain")], b"Content-Length is not a number.")
            return
        if length > LAMBDA_PAYLOAD_LIMIT:
            # What a Function URL does before the function ever runs.
            message = f"Request bodies are limited to {LAMBDA_PAYLOAD_LIMIT} bytes."
            self._send(413, [("Content-Type", "text/plain; charset=utf-8")], message.encode())
            return
        body = self.rfile.read(length) if length > 0 else b""
        headers = list(self.headers.items())
        if "Host" not in self.headers:
            headers.append(("Host", self.server.authority))  # as every Function URL event has one
        event = function_url_event(self.command, self.path, headers, body, source_ip=self.client_address[0])
        with self.server.runs.after_answer():
            try:
                answer = self.server.lambda_handler(event, LocalContext(self.server.timeout_seconds))
                status, headers, payload = http_answer(answer)
            except Exception:
                # Lambda reports a crashed invocation to the caller as a bare 502.
                logger.exception("the handler raised; a Function URL would answer 502")
                status, headers, payload = 502, [("Content-Type", "application/json")], b'{"Message":null}'
            self._send(status, headers, payload)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _forward

    def _refused_from_a_web_page(self) -> bool:
        """Answer (and log) a request `browser_guard` refuses, before reading its body or running anything."""
        try:
            settings = Settings.current()
        except ConfigurationError:
            return False  # the handler answers the same request with what to fix
        headers = Headers(self.headers.items())
        refusal = browser_guard.refusal(self.command, headers, self.server.listening_on, settings)
        if refusal is None:
            return False
        logger.warning(
            "refused %s %s (Host %s, Origin %s): %s",
            self.command,
            self.path.partition("?")[0],
            headers.get("Host", "-"),
            headers.get("Origin", "-"),
            refusal.error_code,
        )
        payload = dump_json(error_envelope(refusal.error_code, refusal.message))
        self._send(refusal.status, [("Content-Type", "application/json")], payload)
        return True

    def __getattr__(self, name: str) -> Callable[[], None]:
        # Any other method (TRACE, QUERY, ...) reaches the handler too, which answers 405 with the
        # methods the path allows, instead of http.server's bare 501.
        if name.startswith("do_"):
            return self._forward
        raise AttributeError(name)

    def _send(self, status: int, headers: list[tuple[str, str]], payload: bytes) -> None:
        self.send_response(status)
        for name, value in headers:
            if name.lower() not in ("content-length", "transfer-encoding", "connection"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)
        self.wfile.flush()

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the proxy logs one line per request itself


def make_server(
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS,
    handler: Handler | None = None,
    listener: socket.socket | None = None,
    results: FileKeeper | None = None,
) -> LocalServer:
    """A server ready for `serve_forever`, on `listener` or a new socket on (host, port)."""
    return LocalServer(
        listener or listen(host, port), handler or load_handler(), timeout_seconds, host, results
    )


def invoke(
    event: Any,
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS,
    handler: Handler | None = None,
    results: FileKeeper | None = None,
) -> Any:
    """Call the handler once with `event`, as Lambda would; a background run it starts runs to its end
    (its result kept in `results` when SpiffArena does not take it: the next `make serve` delivers it)."""
    handler = handler or load_handler()
    runs = LocalRuns(handler, timeout_seconds)
    background_start.hand_over_with(runs.hand_over)
    keeper.install(results)
    try:
        with runs.after_answer():
            answer = handler(event, LocalContext(timeout_seconds))
        runs.wait()
    finally:
        background_start.hand_over_with(None)
        keeper.install(None)
    return answer
