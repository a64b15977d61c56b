"""The Lambda handler on this machine: an HTTP server that speaks Function URL, and one-shot invokes.

`serve` turns each HTTP request into the event a Lambda Function URL sends
(payload format 2.0), calls `lambda_function.lambda_handler` with a context
like Lambda's, and turns the answer back into HTTP, so a local SpiffArena can
use it as its connector proxy. `invoke` does the same for one event read from
a file, like `sam local invoke` without Docker.
"""

from __future__ import annotations

import base64
import json
import logging
import sys
import time
import uuid
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from .settings import LAMBDA_PAYLOAD_LIMIT

DEFAULT_HOST = "127.0.0.1"
# The reference spiffworkflow-proxy's port, so SpiffArena's usual setting works unchanged.
DEFAULT_PORT = 7004
DEFAULT_TIMEOUT_SECONDS = 30.0
FUNCTION_NAME = "spiff-connector-proxy"
# The event adapter tells Function URLs from HTTP APIs by this part of the domain name.
LOCAL_DOMAIN = "localhost.lambda-url.local"
PROJECT_ROOT = Path(__file__).resolve().parent.parent

Handler = Callable[[Any, Any], Any]

logger = logging.getLogger(__name__)

# Bodies a Function URL passes as text; anything else arrives base64-encoded.
_TEXT_TYPES = ("text/", "application/json", "application/xml", "application/x-www-form-urlencoded")


class LocalContext:
    """What Lambda passes as `context`, for a function with `timeout_seconds` to run."""

    def __init__(self, timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS) -> None:
        self.aws_request_id = str(uuid.uuid4())
        self.function_name = FUNCTION_NAME
        self.function_version = "$LATEST"
        self.invoked_function_arn = f"arn:aws:lambda:local:000000000000:function:{FUNCTION_NAME}"
        self.memory_limit_in_mb = 512
        self.log_group_name = f"/aws/lambda/{FUNCTION_NAME}"
        self.log_stream_name = "local"
        self._deadline = time.monotonic() + timeout_seconds

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def load_handler() -> Handler:
    """`lambda_function.lambda_handler`, from the project root whatever the working directory."""
    try:
        import lambda_function
    except ModuleNotFoundError as error:
        if error.name != "lambda_function":
            raise
        sys.path.insert(0, str(PROJECT_ROOT))
        import lambda_function
    handler: Handler = lambda_function.lambda_handler
    return handler


def function_url_event(
    method: str,
    target: str,
    headers: list[tuple[str, str]],
    body: bytes,
    *,
    source_ip: str = "127.0.0.1",
) -> dict[str, Any]:
    """The payload 2.0 event a Function URL sends for this request."""
    path, _, raw_query = target.partition("?")
    joined: dict[str, str] = {}
    cookies: list[str] = []
    for name, value in headers:
        name = name.lower()
        if name == "cookie":
            # Payload 2.0 carries cookies in their own list, not as a header.
            cookies += [c.strip() for c in value.split(";") if c.strip()]
            continue
        joined[name] = f"{joined[name]},{value}" if name in joined else value
    request_id = str(uuid.uuid4())
    now = time.time()
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path or "/",
        "rawQueryString": raw_query,
        "headers": joined,
        "requestContext": {
            "accountId": "anonymous",
            "apiId": "localhost",
            "domainName": LOCAL_DOMAIN,
            "domainPrefix": "localhost",
            "http": {
                "method": method.upper(),
                "path": path or "/",
                "protocol": "HTTP/1.1",
                "sourceIp": source_ip,
                "userAgent": joined.get("user-agent", ""),
            },
            "requestId": request_id,
            "routeKey": "$default",
            "stage": "$default",
            "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "timeEpoch": int(now * 1000),
        },
        "isBase64Encoded": False,
    }
    if cookies:
        event["cookies"] = cookies
    if raw_query:
        query: dict[str, str] = {}
        for name, value in parse_qsl(raw_query, keep_blank_values=True):
            query[name] = f"{query[name]},{value}" if name in query else value
        event["queryStringParameters"] = query
    if body:
        if _is_text(joined.get("content-type", ""), body):
            event["body"] = body.decode()
        else:
            event["body"] = base64.b64encode(body).decode("ascii")
            event["isBase64Encoded"] = True
    return event


def _is_text(content_type: str, body: bytes) -> bool:
    content_type = content_type.lower()
    textual = content_type.startswith(_TEXT_TYPES) or content_type.endswith(("+json", "+xml"))
    if not textual and content_type:
        return False
    try:
        body.decode()
    except UnicodeDecodeError:
        return False
    return True


def http_answer(answer: Any) -> tuple[int, list[tuple[str, str]], bytes]:
    """(status, headers, body) for a handler's answer, read the way a Function URL reads it."""
    if not (isinstance(answer, dict) and "statusCode" in answer):
        # A Function URL sends any other answer as a JSON document with status 200.
        return 200, [("Content-Type", "application/json")], json.dumps(answer).encode()
    headers = [(str(name), str(value)) for name, value in (answer.get("headers") or {}).items()]
    headers += [("Set-Cookie", str(cookie)) for cookie in answer.get("cookies") or ()]
    body = answer.get("body") or ""
    raw = base64.b64decode(body) if answer.get("isBase64Encoded") else str(body).encode()
    return int(answer["statusCode"]), headers, raw


def invoke(event: Any, timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS) -> Any:
    """Call the handler once with `event`, as Lambda would."""
    return load_handler()(event, LocalContext(timeout_seconds))


class LocalServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], handler: Handler, timeout_seconds: float) -> None:
        super().__init__(address, _FunctionUrlRequestHandler)
        self.lambda_handler = handler
        self.timeout_seconds = timeout_seconds

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"


class _FunctionUrlRequestHandler(BaseHTTPRequestHandler):
    server: LocalServer
    protocol_version = "HTTP/1.1"
    server_version = "spiff-lambda-proxy-local"

    def _forward(self) -> None:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            self._plain_answer(411, "Send the request body with a Content-Length.")
            return
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            self._plain_answer(400, "Content-Length is not a number.")
            return
        if length > LAMBDA_PAYLOAD_LIMIT:
            # What a Function URL does before the function ever runs.
            self._plain_answer(413, f"Request bodies are limited to {LAMBDA_PAYLOAD_LIMIT} bytes.")
            return
        body = self.rfile.read(length) if length > 0 else b""
        event = function_url_event(
            self.command, self.path, list(self.headers.items()), body, source_ip=self.client_address[0]
        )
        try:
            answer = self.server.lambda_handler(event, LocalContext(self.server.timeout_seconds))
            status, headers, payload = http_answer(answer)
        except Exception:
            # Lambda reports a crashed invocation to the caller as a bare 502.
            logger.exception("the handler raised; a Function URL would answer 502")
            status, headers, payload = 502, [("Content-Type", "application/json")], b'{"Message":null}'
        self._send(status, headers, payload)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _forward

    def __getattr__(self, name: str) -> Callable[[], None]:
        # Any other method (TRACE, QUERY, ...) reaches the handler too, which answers 405 with the
        # methods the path allows, instead of http.server's bare 501.
        if name.startswith("do_"):
            return self._forward
        raise AttributeError(name)

    def _plain_answer(self, status: int, message: str) -> None:
        self.close_connection = True  # the body was not read, so the connection cannot be reused
        self._send(status, [("Content-Type", "text/plain; charset=utf-8")], message.encode())

    def _send(self, status: int, headers: list[tuple[str, str]], payload: bytes) -> None:
        self.send_response(status)
        for name, value in headers:
            if name.lower() not in ("content-length", "transfer-encoding", "connection"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the proxy logs one line per request itself


def make_server(
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS,
    handler: Handler | None = None,
) -> LocalServer:
    """A server bound to (host, port) and ready for `serve_forever`; port 0 picks a free one."""
    return LocalServer((host, port), handler or load_handler(), timeout_seconds)
