"""Run `make serve`'s server in a background thread for a test, and stop it afterwards."""

from __future__ import annotations

import threading
from collections.abc import Iterator

from spiff_lambda_proxy import local


def serving(server: local.LocalServer) -> Iterator[str]:
    """Yield the server's URL while it serves; shut it down when the generator closes."""
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.url
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
