"""connector_http without a charset detector, as the Lambda archive ships it (zip-exclude.txt).

requests imports chardet or charset_normalizer only to guess encodings, which
this connector never asks it to do. Run in a fresh interpreter where neither
can be imported: bodies still decode (declared charset, else UTF-8 with
replacement) and requests' warning about the missing detector stays quiet.
"""

from __future__ import annotations

import json
import subprocess
import sys

from support.paths import PROJECT_ROOT

PROJECT = PROJECT_ROOT

_SCRIPT = """
import json, sys, threading, warnings
sys.modules["charset_normalizer"] = None  # `import` raises ImportError, as when not installed
sys.modules["chardet"] = None
sys.path[:0] = sys.argv[1:]
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

BODIES = {
    "/latin1": (b"caf\\xe9", "text/plain; charset=iso-8859-1"),
    "/undeclared": ("café".encode(), "text/plain"),
    "/broken": (b"caf\\xe9", "text/plain"),
    "/json": ('{"name": "café"}'.encode(), "application/json"),
}

class Upstream(BaseHTTPRequestHandler):
    def do_GET(self):
        body, content_type = BODIES[self.path]
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass

server = ThreadingHTTPServer(("127.0.0.1", 0), Upstream)
threading.Thread(target=server.serve_forever, daemon=True).start()
base = f"http://127.0.0.1:{server.server_address[1]}"
config = {"HTTP_CONNECTOR_ALLOWED_HOSTS": "127.0.0.1"}
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    from connector_http.call import perform
    bodies = {
        path: perform("GET", {"url": base + path}, config, version=2)["command_response"]["body"]
        for path in BODIES
    }
    v1 = perform("GET", {"url": base + "/latin1"}, config, version=1)
server.shutdown()
server.server_close()
from spiff_outbound import transport
transport.close_session()
import requests.compat
print(json.dumps({
    "bodies": bodies,
    "v1": v1["response"],
    "detector": repr(requests.compat.chardet),
    "warnings": [f"{w.category.__name__}: {w.message}" for w in caught],
}))
"""


def test_bodies_decode_and_nothing_warns_without_a_charset_detector() -> None:
    done = subprocess.run(
        [sys.executable, "-I", "-c", _SCRIPT, str(PROJECT / "connectors"), str(PROJECT)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["detector"] == "None", "requests found a charset detector after all"
    assert result["bodies"] == {
        "/latin1": {"raw_response": "café"},
        "/undeclared": {"raw_response": "café"},
        "/broken": {"raw_response": "caf\ufffd"},
        "/json": {"name": "café"},
    }
    assert result["v1"] == "café"
    assert result["warnings"] == []
    assert "Warning" not in done.stderr
