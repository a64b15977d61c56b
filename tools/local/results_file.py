"""Kept results under `make serve`: a SQLite file readable by its owner only, and the server's own schedule.

The same promise as on AWS (`spiff_lambda_proxy.background.aws_store`): every
background result is written here before its first delivery and removed once
SpiffArena has answered, so it survives Ctrl-C, a reload and a new `make serve`.
The file lives in `.serve/` of the checkout unless RESULTS_FILE= names another;
the folder is made 0700 and the file 0600 (SQLite gives its journal files the
database's mode). Several processes may use it at once (a reload overlaps the
old server and the new one, `make results` reads it): every operation is one
statement in its own connection, and a lease decides who delivers.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

from spiff_lambda_proxy.background.keeper import Claim, KeeperError
from spiff_lambda_proxy.background.stored import WAITING, StoredResult

from .server import PROJECT_ROOT

DEFAULT_RESULTS_FILE = PROJECT_ROOT / ".serve" / "results.sqlite3"
_COLUMNS = StoredResult._fields
_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS results (
    run_id TEXT PRIMARY KEY,
    {", ".join(name for name in _COLUMNS if name != "run_id")}
)
"""
# Built from StoredResult's field names, never from input.
_ALL = ", ".join(_COLUMNS)
_SAVED = [name for name in _COLUMNS if name not in ("run_id", "body")]
_INSERT = f"INSERT OR REPLACE INTO results ({_ALL}) VALUES ({', '.join('?' for _ in _COLUMNS)})"  # noqa: S608
_SELECT = f"SELECT {_ALL} FROM results WHERE run_id = ?"  # noqa: S608
_UPDATE = f"UPDATE results SET {', '.join(f'{name} = ?' for name in _SAVED)} WHERE run_id = ?"  # noqa: S608
# What the listing reads: everything but the body.
_LIST = "SELECT {} FROM results ORDER BY created_at".format(  # noqa: S608
    ", ".join("x'' AS body" if name == "body" else name for name in _COLUMNS)
)


class FileKeeper:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        # Set when a result becomes due sooner than the schedule thought (kept, rescheduled, redelivered).
        self.changed = threading.Event()
        try:
            self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            descriptor = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            os.close(descriptor)
            os.chmod(self.path, 0o600)  # an older file keeps no wider mode than this
            with self._connection() as connection:
                connection.execute("PRAGMA journal_mode=WAL")
                connection.execute(_SCHEMA)
        except (OSError, sqlite3.Error) as error:
            raise KeeperError(f"cannot use {self.path} for kept results: {error}") from None

    @property
    def where(self) -> str:
        try:
            return f"the file {self.path.relative_to(PROJECT_ROOT)}"
        except ValueError:
            return f"the file {self.path}"

    def keep(self, result: StoredResult) -> StoredResult:
        self._run(_INSERT, result)
        self.changed.set()
        return result

    def claim(self, run_id: str, wake_token: str | None, now: float, lease_until: float) -> Claim:
        claimed = self._run(
            "UPDATE results SET lease_until = ? WHERE run_id = ? AND state = ? AND next_at <= ? "
            "AND lease_until <= ?",
            (lease_until, run_id, WAITING, now, now),
        )
        rows = self._rows(_SELECT, (run_id,))
        if not rows:
            return Claim()
        found = StoredResult(*rows[0])
        if claimed:
            return Claim(result=found)
        if found.state != WAITING:
            return Claim()
        return Claim(retry_at=max(found.next_at, found.lease_until))

    def save(self, result: StoredResult) -> None:
        self._run(_UPDATE, (*(getattr(result, name) for name in _SAVED), result.run_id))

    def reschedule(self, result: StoredResult) -> None:
        self.save(result)
        self.changed.set()

    def snooze(self, run_id: str, wake_token: str, at: float) -> None:
        pass  # nothing to wake: the server looks for due results itself

    def remove(self, run_id: str) -> None:
        self._run("DELETE FROM results WHERE run_id = ?", (run_id,))

    def results(self) -> list[StoredResult]:
        rows = self._rows(_LIST)
        return [StoredResult(*row) for row in rows]

    def redeliver_now(self, run_id: str, now: float) -> bool:
        changed = self._run(
            "UPDATE results SET state = ?, next_at = ?, lease_until = 0 WHERE run_id = ?",
            (WAITING, now, run_id),
        )
        self.changed.set()
        return changed > 0

    # What the server's schedule asks (tools/local/redeliveries.py).

    def due(self, now: float, limit: int = 50) -> list[str]:
        rows = self._rows(
            "SELECT run_id FROM results WHERE state = ? AND next_at <= ? AND lease_until <= ? "
            "ORDER BY next_at LIMIT ?",
            (WAITING, now, now, limit),
        )
        return [str(row[0]) for row in rows]

    def next_due(self) -> float | None:
        rows = self._rows("SELECT MIN(MAX(next_at, lease_until)) FROM results WHERE state = ?", (WAITING,))
        value = rows[0][0] if rows else None
        return float(value) if value is not None else None

    def forget_old(self, now: float) -> int:
        """Delete what is past its retention (DynamoDB's time to live does this on AWS)."""
        return self._run("DELETE FROM results WHERE keep_until > 0 AND keep_until < ?", (now,))

    @contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        # Autocommit: each statement is its own transaction, atomic across processes.
        with closing(sqlite3.connect(self.path, timeout=30, isolation_level=None)) as connection:
            yield connection

    def _run(self, statement: str, values: Any = ()) -> int:
        try:
            with self._connection() as connection:
                return connection.execute(statement, tuple(values)).rowcount
        except sqlite3.Error as error:
            raise KeeperError(f"{self.path}: {error}") from None

    def _rows(self, statement: str, values: Any = ()) -> list[tuple[Any, ...]]:
        try:
            with self._connection() as connection:
                return list(connection.execute(statement, tuple(values)).fetchall())
        except sqlite3.Error as error:
            raise KeeperError(f"{self.path}: {error}") from None
