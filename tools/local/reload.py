"""`make serve` reloading: a supervisor that restarts the server when code or connectors change.

The supervisor owns the listening socket and hands it to each server process it
starts, so the port stays open across restarts (connections wait in the backlog
instead of being refused). On a change it starts a new server at once and asks
the old one to stop (SIGTERM): the old one stops accepting, finishes the requests
and background runs it started, then exits. Ctrl-C stops everything.

Watched: `lambda_function.py`, `spiff_lambda_proxy/`, `spiff_outbound/`,
`connectors/`, `tools/local/`, the typeahead lists of `typeahead/`, and every
`connector_*` package on `sys.path` (pip-installed ones too, and new ones
appearing), checked every half second by modification time and size: no
dependency, and nothing to configure.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from .server import PROJECT_ROOT

POLL_SECONDS = 0.5
# How long Ctrl-C (or the end of a test) waits for server processes before killing them.
_STOP_SECONDS = 5.0
# The team's typeahead lists too: a server start reads them again.
_CODE_DIRS = ("spiff_lambda_proxy", "spiff_outbound", "connectors", "tools/local", "typeahead")
# Code and the data files connectors read (and typeahead lists); not editors' swap and backup files.
_WATCHED_SUFFIXES = (".py", ".json", ".csv", ".yaml", ".yml", ".toml", ".txt", ".cfg", ".ini", ".pem")

Snapshot = dict[str, tuple[int, int]]


def snapshot(also_watched: tuple[Path, ...] = ()) -> Snapshot:
    """(modification time, size) of every watched file, by path (and of the folders `also_watched`)."""
    files: Snapshot = {}
    for path in (*_watched_files(), *(file for folder in also_watched for file in _tree(folder))):
        try:
            stat = path.stat()
        except OSError:
            continue  # removed while looking
        files[str(path)] = (stat.st_mtime_ns, stat.st_size)
    return files


def first_change(before: Snapshot, after: Snapshot) -> str | None:
    """A file that changed, appeared or went away, relative to the project when it is in it."""
    for path in sorted(before.keys() | after.keys()):
        if before.get(path) != after.get(path):
            try:
                return str(Path(path).relative_to(PROJECT_ROOT))
            except ValueError:
                return path
    return None


def _watched_files() -> Iterator[Path]:
    yield PROJECT_ROOT / "lambda_function.py"
    for name in _CODE_DIRS:
        yield from _tree(PROJECT_ROOT / name)
    for entry in dict.fromkeys(sys.path):
        directory = Path(entry or ".")
        try:
            names = [child for child in directory.iterdir() if child.name.startswith("connector_")]
        except OSError:
            continue  # a zip file, or a path that does not exist
        for child in names:
            yield from _tree(child) if child.is_dir() else (child,)


def _tree(root: Path) -> Iterator[Path]:
    try:
        entries = list(os.scandir(root))
    except OSError:
        return
    for entry in entries:
        if entry.name.startswith(".") or entry.name == "__pycache__":
            continue
        if entry.is_dir(follow_symlinks=False):
            yield from _tree(Path(entry.path))
        elif entry.name.endswith(_WATCHED_SUFFIXES):
            yield Path(entry.path)


def supervise(server_args: list[str], listener: socket.socket, also_watched: tuple[Path, ...] = ()) -> int:
    """Run `python -m tools.local serve <server_args>` on `listener`, restarting it on changes."""
    signal.signal(signal.SIGTERM, _stop_signal)
    before = snapshot(also_watched)
    current = _spawn(server_args, listener, None)
    retiring: list[subprocess.Popen[bytes]] = []
    announced_exit = False
    try:
        while True:
            time.sleep(POLL_SECONDS)
            retiring = [process for process in retiring if process.poll() is None]
            after = snapshot(also_watched)
            changed = first_change(before, after)
            if changed is not None:
                before = after
                print(f"Reloading: {changed} changed.", flush=True)
                if current.poll() is None:
                    current.terminate()  # finishes what it started; new connections go to the new one
                    retiring.append(current)
                current = _spawn(server_args, listener, changed)
                announced_exit = False
            elif current.poll() is not None and not announced_exit:
                print(
                    f"The server stopped (exit status {current.returncode}); it starts again when a file "
                    "changes. Ctrl-C quits.",
                    flush=True,
                )
                announced_exit = True
    except KeyboardInterrupt:
        return 0
    finally:
        _stop_all([current, *retiring])
        listener.close()


def _spawn(server_args: list[str], listener: socket.socket, changed: str | None) -> subprocess.Popen[bytes]:
    fd = listener.fileno()
    args = [
        sys.executable,
        "-m",
        "tools.local",
        "serve",
        *server_args,
        "--reload",
        "0",
        "--listen-fd",
        str(fd),
    ]
    if changed is not None:
        args += ["--reloaded-after", changed]
    return subprocess.Popen(args, cwd=PROJECT_ROOT, pass_fds=(fd,))


def _stop_all(processes: list[subprocess.Popen[bytes]]) -> None:
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)  # quit now, not the graceful reload stop
    deadline = time.monotonic() + _STOP_SECONDS
    for process in processes:
        try:
            process.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _stop_signal(signum: int, frame: object) -> None:
    raise KeyboardInterrupt
