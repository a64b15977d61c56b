"""A hostile server's pace: a TCP relay on 127.0.0.1 that hands the answer over one byte at a time.

`DripRelay(target)` forwards what the client sends to `target` (host, port) at
once, and what the target answers one byte every `interval` seconds, so a TLS
handshake or an HTTP answer in front of it takes as long as the test likes,
while each single read returns well within any socket timeout.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from types import TracebackType


class DripRelay:
    def __init__(self, target: tuple[str, int], interval: float = 0.05) -> None:
        self.target = target
        self.interval = interval
        self.stopped = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.05)
        self.port: int = self._listener.getsockname()[1]
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while not self.stopped.is_set():
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            server = socket.create_connection(self.target, timeout=5)
            with self._lock:
                self._sockets += [client, server]
            threading.Thread(target=self._copy, args=(client, server, 0.0), daemon=True).start()
            threading.Thread(target=self._copy, args=(server, client, self.interval), daemon=True).start()

    def _copy(self, source: socket.socket, sink: socket.socket, interval: float) -> None:
        with contextlib.suppress(OSError):
            while not self.stopped.is_set():
                data = source.recv(65536)
                if not data:
                    break
                if not interval:
                    sink.sendall(data)
                    continue
                for byte in data:
                    if self.stopped.wait(interval):
                        return
                    sink.sendall(bytes([byte]))
        with contextlib.suppress(OSError):
            sink.shutdown(socket.SHUT_WR)

    def close(self) -> None:
        self.stopped.set()
        self._listener.close()
        with self._lock:
            sockets = list(self._sockets)
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.close()
        self._thread.join(5)

    def __enter__(self) -> DripRelay:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()
