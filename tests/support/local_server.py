"""`make serve`'s server in tests: in a thread (`serving`) or as the real command (`Served`), and a client."""

from __future__ import annotations

import http.client
import json
import os
import queue
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, NamedTuple

from support.paths import PROJECT_ROOT
from tools.local.server import LocalServer


def serving(server: LocalServer) -> Iterator[str]:
    """Yield the server's URL while it serves; shut it down when the generator closes."""
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server.url
    finally:
        server.shutdown()
        server.server_close()
        server.finish()
        thread.join(timeout=10)


class Reply(NamedTuple):
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode()


def request(
    base_url: str,
    method: str,
    path: str,
    body: bytes | dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> Reply:
    host, port = base_url.removeprefix("http://").rsplit(":", 1)
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    headers = dict(headers or {})
    if isinstance(body, dict):
        body = json.dumps(body).encode()
        headers.setdefault("Content-Type", "application/json")
    try:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        return Reply(response.status, response.headers, response.read())
    finally:
        connection.close()


def local_env(extra: Mapping[str, str] | None = None, python_path: Path | None = None) -> dict[str, str]:
    """The environment of a `make serve` under test: no proxy settings of the developer's shell."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("CONNECTOR_PROXY_", "HTTP_CONNECTOR_", "SPIFFARENA_", "AWS_", "MAKE"))
    }
    env["PYTHONUNBUFFERED"] = "1"
    # Results it keeps go to a folder of this test's own, never to the checkout's .serve/.
    env["RESULTS_FILE"] = str(Path(tempfile.mkdtemp(prefix="serve-results-")) / "results.sqlite3")
    if python_path is not None:
        env["PYTHONPATH"] = os.pathsep.join([str(python_path), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env.update(extra or {})
    return env


class Served:
    """`command` (make serve, or python -m tools.local serve) running, its output read line by line."""

    def __init__(self, command: list[str], env: Mapping[str, str]) -> None:
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        self.process = subprocess.Popen(
            command,
            cwd=PROJECT_ROOT,
            env=dict(env),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,  # make and its children stop together
        )
        threading.Thread(target=self._read, daemon=True).start()

    @classmethod
    def module(cls, *args: str, env: Mapping[str, str]) -> Served:
        """`python -m tools.local serve`; without the built-in typeahead lists unless `args` ask for them
        (packing them is the typeahead tests' business, into folders of their own)."""
        if "--typeahead-builtins" not in args:
            args = ("--typeahead-builtins", "0", *args)
        return cls([sys.executable, "-m", "tools.local", "serve", "--port", "0", *args], env)

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line.rstrip("\n"))

    def wait_for(self, text: str, seconds: float = 30) -> str:
        """The next output line containing `text`; fails (not hangs) when none comes in time."""
        deadline = time.monotonic() + seconds
        while True:
            try:
                line = self.lines.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(
                    f"no line with {text!r} in {seconds} s; output so far: {self.seen}"
                ) from None
            self.seen.append(line)
            if text in line:
                return line

    def url(self) -> str:
        return self.wait_for("Serving the connector proxy on ").split()[-1]

    def stop(self) -> str:
        """Stop it like Ctrl-C does; everything it printed."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGINT)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(5)
        while not self.lines.empty():
            self.seen.append(self.lines.get())
        return "\n".join(self.seen)
