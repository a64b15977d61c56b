"""A fake OAuth 2 provider on 127.0.0.1: the authorization server a sign-in goes through in tests.

`GET /authorize` checks the authorization request and redirects the browser
back to its `redirect_uri` with a one-time code and the state (or with
`error=access_denied` when `deny` is set). `POST /token` checks the code, the
client's credentials (HTTP Basic or the form body, as `client_auth` says) and
that `redirect_uri` is the one the code was issued for, then answers a token,
or what `token_reply` scripts. Everything it receives is recorded.
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, NamedTuple
from urllib.parse import parse_qs, parse_qsl, unquote, urlencode, urlsplit

CLIENT_ID = "demo-client"
CLIENT_SECRET = "demo-secret-7Qx2pZ"


class Issued(NamedTuple):
    redirect_uri: str
    scope: str


class TokenReply(NamedTuple):
    """A scripted answer of the token endpoint instead of the token."""

    status: int
    body: bytes
    content_type: str = "application/json"
    delay: float = 0.0


class FakeProvider:
    def __init__(self, client_auth: str = "basic") -> None:
        self.client_auth = client_auth  # "basic" or "post"
        self.deny = False
        self.token_reply: TokenReply | None = None
        self.authorize_requests: list[dict[str, list[str]]] = []
        self.token_requests: list[tuple[dict[str, str], dict[str, str]]] = []
        self.issued_tokens: list[dict[str, Any]] = []
        self.codes: dict[str, Issued] = {}
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)

    @property
    def origin(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> FakeProvider:
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)

    # --- what the endpoints do -------------------------------------------------------

    def authorize(self, query: dict[str, list[str]]) -> tuple[int, dict[str, str], bytes]:
        with self._lock:
            self.authorize_requests.append(query)
        one = {name: values[-1] for name, values in query.items()}
        problems = [
            name
            for name, ok in (
                ("response_type", one.get("response_type") == "code"),
                ("client_id", one.get("client_id") == CLIENT_ID),
                ("redirect_uri", bool(one.get("redirect_uri"))),
                ("state", bool(one.get("state"))),
            )
            if not ok
        ]
        if problems:
            return 400, {"Content-Type": "text/plain"}, f"bad authorization request: {problems}".encode()
        back: dict[str, str] = {"state": one["state"]}
        if self.deny:
            back.update(error="access_denied", error_description="The user said no.")
        else:
            code = "code-" + secrets.token_hex(8)
            with self._lock:
                self.codes[code] = Issued(one["redirect_uri"], one.get("scope", ""))
            back["code"] = code
        redirect_uri = one["redirect_uri"]
        separator = "&" if "?" in redirect_uri else "?"
        return 302, {"Location": f"{redirect_uri}{separator}{urlencode(back)}"}, b""

    def token(self, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, str], bytes]:
        form = dict(parse_qsl(body.decode(), keep_blank_values=True))
        with self._lock:
            self.token_requests.append((headers, form))
        if self.token_reply is not None:
            time.sleep(self.token_reply.delay)
            return (
                self.token_reply.status,
                {"Content-Type": self.token_reply.content_type},
                self.token_reply.body,
            )
        if not self._client_authenticated(headers, form):
            return _json(
                401, {"error": "invalid_client", "error_description": "Client authentication failed."}
            )
        with self._lock:
            issued = self.codes.pop(form.get("code", ""), None)  # one use only
        if form.get("grant_type") != "authorization_code" or issued is None:
            return _json(400, {"error": "invalid_grant", "error_description": "Unknown or used code."})
        if form.get("redirect_uri") != issued.redirect_uri:
            return _json(400, {"error": "invalid_grant", "error_description": "redirect_uri differs."})
        token = {
            "access_token": "at-" + secrets.token_hex(12),
            "refresh_token": "rt-" + secrets.token_hex(12),
            "id_token": "idt-" + secrets.token_hex(12),
            "token_type": "Bearer",
            "expires_in": 1800,
            "scope": issued.scope,
        }
        with self._lock:
            self.issued_tokens.append(token)
        return _json(200, token)

    def _client_authenticated(self, headers: dict[str, str], form: dict[str, str]) -> bool:
        basic = headers.get("authorization", "")
        if self.client_auth == "basic":
            if not basic.startswith("Basic ") or "client_secret" in form:
                return False
            user, _, password = base64.b64decode(basic[6:]).decode().partition(":")
            return (unquote(user), unquote(password)) == (CLIENT_ID, CLIENT_SECRET)
        return not basic and (form.get("client_id"), form.get("client_secret")) == (CLIENT_ID, CLIENT_SECRET)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        provider = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                if parts.path == "/authorize":
                    self._send(*provider.authorize(parse_qs(parts.query, keep_blank_values=True)))
                else:
                    self._send(404, {"Content-Type": "text/plain"}, b"not here")

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                headers = {name.lower(): value for name, value in self.headers.items()}
                if urlsplit(self.path).path == "/token":
                    self._send(*provider.token(headers, body))
                else:
                    self._send(404, {"Content-Type": "text/plain"}, b"not here")

            def _send(self, status: int, headers: dict[str, str], body: bytes) -> None:
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler


def _json(status: int, payload: dict[str, Any]) -> tuple[int, dict[str, str], bytes]:
    return status, {"Content-Type": "application/json"}, json.dumps(payload).encode()
