"""A scripted HTTP server on 127.0.0.1: the upstream the http connector calls in tests.

`upstream.script(path, reply, ...)` decides what the next requests to `path`
get (the last reply repeats); `/echo` answers a JSON description of the request.
The server records every request it got and counts the TCP connections it
accepted, so tests can prove keep-alive reuse. Every wait is bounded, and
`close()` releases hanging handlers and drops open connections.
"""

from __future__ import annotations

import contextlib
import json
import socket
import ssl
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any, NamedTuple

# Longest any handler waits for anything; tests end long before.
_MAX_WAIT_SECONDS = 10.0


class Seen(NamedTuple):
    """A request as the upstream received it."""

    method: str
    path: str
    query: str
    headers: dict[str, str]  # names lowercased
    body: bytes


class Reply:
    """One scripted answer. `kind` says how it misbehaves, if it does."""

    def __init__(
        self,
        status: int = 200,
        body: bytes = b"",
        content_type: str | None = None,
        headers: dict[str, str] | None = None,
        kind: str = "normal",
        size: int = 0,
    ) -> None:
        self.status = status
        self.body = body
        self.headers = dict(headers or {})
        if content_type is not None:
            self.headers["Content-Type"] = content_type
        self.kind = kind
        self.size = size

    @classmethod
    def json(
        cls, payload: Any, status: int = 200, content_type: str = "application/json", **options: Any
    ) -> Reply:
        return cls(status, json.dumps(payload).encode(), content_type, **options)

    @classmethod
    def text(
        cls, text: str, status: int = 200, content_type: str = "text/plain; charset=utf-8", **options: Any
    ) -> Reply:
        return cls(status, text.encode(), content_type, **options)

    @classmethod
    def redirect(cls, location: str, status: int = 302) -> Reply:
        return cls(status, b"", "text/plain", {"Location": location})

    @classmethod
    def hang(cls) -> Reply:
        """Read the request, then answer nothing until the test ends."""
        return cls(kind="hang")

    @classmethod
    def close(cls) -> Reply:
        """Close the connection without answering."""
        return cls(kind="close")

    @classmethod
    def trickle(cls, size: int, declared: bool = True) -> Reply:
        """Send `size` bytes, one every 0.1 s; with `declared=False` the body has no
        length and ends when the connection closes."""
        return cls(200, b"", "text/plain", kind="trickle" if declared else "trickle-unsized", size=size)

    @classmethod
    def stream(cls, size: int, content_type: str = "text/plain") -> Reply:
        """`size` bytes, chunked, with no Content-Length: only reading tells how big it is."""
        return cls(200, b"", content_type, kind="stream", size=size)


class Upstream:
    """`tls=(certificate file, key file)` serves HTTPS instead of HTTP."""

    def __init__(self, tls: tuple[Path, Path] | None = None) -> None:
        self.requests: list[Seen] = []
        self.connections = 0
        self.released = threading.Event()
        self._scripts: dict[str, list[Reply]] = {}
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.upstream = self
        self.port: int = self._server.server_address[1]
        self.base_url = f"http://127.0.0.1:{self.port}"
        if tls is not None:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*tls)
            # The handshake happens in the handler thread, so a client refusing the
            # certificate cannot stall the accepting thread.
            self._server.socket = context.wrap_socket(
                self._server.socket, server_side=True, do_handshake_on_connect=False
            )
            self.base_url = f"https://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.01})
        self._thread.daemon = True
        self._thread.start()

    def url(self, path: str = "/") -> str:
        return self.base_url + path

    def script(self, path: str, *replies: Reply) -> str:
        """Answer the next requests to `path` with `replies`, the last one repeating; returns its URL."""
        with self._lock:
            self._scripts[path] = list(replies)
        return self.url(path)

    def paths(self) -> list[str]:
        return [seen.path for seen in self.requests]

    def close(self) -> None:
        self.released.set()
        self._server.shutdown()
        with self._lock:
            sockets = list(self._sockets)
        for sock in sockets:
            # A kept-alive connection must not outlive its test: a later server on
            # the same port would otherwise be answered by this one's handler.
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        self._server.server_close()
        self._thread.join(_MAX_WAIT_SECONDS)

    def __enter__(self) -> Upstream:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()

    # Called from handler threads.
    def _accepted(self, sock: socket.socket) -> None:
        with self._lock:
            self.connections += 1
            self._sockets.append(sock)

    def _next_reply(self, seen: Seen) -> Reply:
        with self._lock:
            self.requests.append(seen)
            replies = self._scripts.get(seen.path)
            if replies:
                return replies.pop(0) if len(replies) > 1 else replies[0]
        if seen.path == "/echo":
            return Reply.json(
                {
                    "method": seen.method,
                    "query": seen.query,
                    "headers": seen.headers,
                    "body": seen.body.decode("utf-8", "replace"),
                }
            )
        return Reply.text(f"nothing scripted for {seen.path}", 404)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    upstream: Upstream

    def verify_request(self, request: Any, client_address: Any) -> bool:
        self.upstream._accepted(request)
        return True

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client hanging up mid-answer is what several tests do on purpose


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, so connection reuse can be counted
    timeout = _MAX_WAIT_SECONDS  # an idle kept-alive connection ends by itself
    # Headers and body go out in two writes; without this the body waits for the
    # client's delayed ACK (40 ms on Linux) on every kept-alive request.
    disable_nagle_algorithm = True
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        path, _, query = self.path.partition("?")
        headers = {name.lower(): value for name, value in self.headers.items()}
        upstream = self.server.upstream
        reply = upstream._next_reply(Seen(self.command, path, query, headers, body))
        try:
            _SENDERS[reply.kind](self, reply, upstream)
        except OSError:
            self.close_connection = True  # the client went away: expected for huge bodies

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _serve


def _send_normal(handler: _Handler, reply: Reply, upstream: Upstream) -> None:
    handler.send_response(reply.status)
    for name, value in reply.headers.items():
        handler.send_header(name, value)
    if reply.status not in (204, 304):
        handler.send_header("Content-Length", str(len(reply.body)))
    handler.end_headers()
    if handler.command != "HEAD" and reply.status not in (204, 304):
        handler.wfile.write(reply.body)


def _send_hang(handler: _Handler, reply: Reply, upstream: Upstream) -> None:
    upstream.released.wait(_MAX_WAIT_SECONDS)
    handler.close_connection = True


def _send_close(handler: _Handler, reply: Reply, upstream: Upstream) -> None:
    handler.close_connection = True


def _send_trickle(handler: _Handler, reply: Reply, upstream: Upstream) -> None:
    handler.send_response(200)
    handler.send_header("Content-Type", "text/plain")
    if reply.kind == "trickle":
        handler.send_header("Content-Length", str(reply.size))
    else:
        handler.send_header("Connection", "close")
    handler.end_headers()
    for _ in range(reply.size):
        if upstream.released.wait(0.1):
            break
        handler.wfile.write(b"x")
    handler.close_connection = True


def _send_stream(handler: _Handler, reply: Reply, upstream: Upstream) -> None:
    handler.send_response(200)
    for name, value in reply.headers.items():
        handler.send_header(name, value)
    handler.send_header("Transfer-Encoding", "chunked")
    handler.end_headers()
    chunk = b"y" * 65536
    sent = 0
    deadline = time.monotonic() + _MAX_WAIT_SECONDS
    while sent < reply.size and time.monotonic() < deadline and not upstream.released.is_set():
        part = chunk[: reply.size - sent]
        handler.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
        sent += len(part)
    handler.wfile.write(b"0\r\n\r\n")


_SENDERS: dict[str, Callable[[_Handler, Reply, Upstream], None]] = {
    "normal": _send_normal,
    "hang": _send_hang,
    "close": _send_close,
    "trickle": _send_trickle,
    "trickle-unsized": _send_trickle,
    "stream": _send_stream,
}


def make_certificate(directory: Path, name: str = "localhost") -> tuple[Path, Path]:
    """A self-signed certificate for `name` and 127.0.0.1, valid for a day: (certificate, key) files.

    The certificate file doubles as the CA bundle that trusts it.
    """
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName(name), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    certificate_file, key_file = directory / f"{name}.pem", directory / f"{name}.key"
    certificate_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return certificate_file, key_file
