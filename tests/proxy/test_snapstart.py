"""SnapStart hooks: registered at import through the runtime's snapshot_restore_py, and they leave
nothing behind that restored copies would share (connections, clients, cached keys, random state)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from support.paths import PROJECT_ROOT

from spiff_lambda_proxy import snapstart

ROOT = PROJECT_ROOT

# What the Lambda runtime provides, reduced to recording what gets registered.
FAKE_RUNTIME_MODULE = """
BEFORE = []
AFTER = []

def register_before_snapshot(func, *args, **kwargs):
    BEFORE.append((func, args, kwargs))
    return func

def register_after_restore(func, *args, **kwargs):
    AFTER.append((func, args, kwargs))
    return func
"""

# Runs in a fresh interpreter: import the handler as Lambda's init does, use every cache, then play
# snapshot and restore the way the runtime does (before-snapshot hooks in reverse order of
# registration, after-restore hooks in order) and check what is left.
SCENARIO = """
import json, random, sys, threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path[:0] = [sys.argv[1], "tests"]
import snapshot_restore_py as runtime
import lambda_function
from support.lambda_events import invoke

class Upstream(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_GET(self):
        body = b'{"ok": true}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass

server = ThreadingHTTPServer(("127.0.0.1", 0), Upstream)
threading.Thread(target=server.serve_forever, daemon=True).start()
url = f"http://127.0.0.1:{server.server_address[1]}/thing"

def get():
    answer = invoke("function-url", "POST", "/v1/do/http/GetRequestV2", body={"url": url})
    return answer.status, answer.json["command_response"]["http_status"]

from connector_aws import clients as aws_clients
from spiff_outbound import transport
from spiff_lambda_proxy import aws, secret_store
from spiff_lambda_proxy.background import start as background

report = {
    "before": [f"{f.__module__}.{f.__qualname__}" for f, _, _ in runtime.BEFORE],
    "after": [f"{f.__module__}.{f.__qualname__}" for f, _, _ in runtime.AFTER],
    "first_call": get(),
}
aws_clients.Aws({}, "us-east-1").client("s3")
aws.client("lambda", "us-east-1", aws.LAMBDA_TIMEOUTS)
secret_store._cache["arn:aws:secretsmanager:us-east-1:1:secret:k"] = secret_store._Cached("key", 1e18)
report["filled"] = [
    transport._session is not None, bool(aws_clients._clients), bool(aws._clients),
    bool(secret_store._cache),
]
random_state = random.getstate()

for func, args, kwargs in reversed(runtime.BEFORE):
    func(*args, **kwargs)
report["after_snapshot_hooks"] = [
    transport._session is not None, bool(aws_clients._clients), bool(aws._clients),
    bool(secret_store._cache),
]
for func, args, kwargs in runtime.AFTER:
    func(*args, **kwargs)
report["random_reseeded"] = random.getstate() != random_state
report["after_restore"] = {
    "commands": invoke("function-url", "GET", "/v1/commands").status,
    "http": get(),
    "session_again": transport._session is not None,
}
server.shutdown()
print(json.dumps(report))
"""


# The snapshot is taken right after init: what the hooks load is in every restored copy.
PRELOAD_SCENARIO = """
import json, sys
sys.path[:0] = [sys.argv[1], "tests"]
import snapshot_restore_py as runtime
import lambda_function
report = {"requests_at_init": "requests" in sys.modules}
for func, args, kwargs in reversed(runtime.BEFORE):
    func(*args, **kwargs)
from spiff_outbound import transport
report["requests_in_snapshot"] = "requests" in sys.modules
report["session_in_snapshot"] = transport._session is not None
print(json.dumps(report))
"""


def run_scenario(tmp_path: Path, scenario: str = SCENARIO) -> dict[str, Any]:
    runtime_dir = tmp_path / "runtime"
    runtime_dir.mkdir()
    (runtime_dir / "snapshot_restore_py.py").write_text(textwrap.dedent(FAKE_RUNTIME_MODULE))
    env = {
        "PATH": "/usr/bin:/bin",
        "HTTP_CONNECTOR_ALLOWED_HOSTS": "127.0.0.1",  # the local upstream is on loopback
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    result = subprocess.run(
        [sys.executable, "-c", scenario, str(runtime_dir)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=90,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    report: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return report


def test_hooks_clear_what_restored_copies_must_not_share(tmp_path: Path) -> None:
    report = run_scenario(tmp_path)
    expected = {
        "spiff_lambda_proxy.snapstart.before_snapshot",
        "connector_http._prepare_snapshot",
        "connector_aws.clear_caches",
    }
    assert expected <= set(report["before"])
    assert {"spiff_lambda_proxy.snapstart.after_restore", "connector_http._close_connections"} <= set(
        report["after"]
    )
    assert report["first_call"] == [200, 200]
    assert report["filled"] == [True, True, True, True]
    assert report["after_snapshot_hooks"] == [False, False, False, False]
    assert report["random_reseeded"] is True
    # Nothing broke: the proxy answers and opens a fresh session when a command needs one.
    assert report["after_restore"] == {"commands": 200, "http": [200, 200], "session_again": True}


def test_the_http_stack_is_loaded_into_the_snapshot_without_connections(tmp_path: Path) -> None:
    report = run_scenario(tmp_path, PRELOAD_SCENARIO)
    # Without SnapStart, listing commands never pays for requests; with it, restores do not either.
    assert report == {"requests_at_init": False, "requests_in_snapshot": True, "session_in_snapshot": False}


def test_without_the_runtime_module_nothing_is_registered(monkeypatch: pytest.MonkeyPatch) -> None:
    # The dev venv has snapshot_restore_py (awslambdaric needs it); hide it as a runtime without it would.
    monkeypatch.setitem(sys.modules, "snapshot_restore_py", None)
    assert snapstart.register() is False
