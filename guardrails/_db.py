"""SQLite plumbing shared by the guardrail stores: durable by default, one write = one commit.

Every store opens its file in WAL mode with ``synchronous=FULL`` and commits each write in
its own ``BEGIN IMMEDIATE`` transaction, so a process killed at any instant loses nothing it
reported as written (a write may opt out of the fsync, see :meth:`Database.write`), and two processes (the graph and a person's ``taorui approve``) never
interleave inside one write. SQLite errors become our error types.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from taorui_engines.errors import InternalError, UnavailableError
from taorui_engines.locks import file_lock

__all__ = ["Database", "file_lock"]

logger = logging.getLogger(__name__)


class Database:
    """One SQLite connection with a lock, durable pragmas and error translation."""

    def __init__(self, path: Path, schema: str) -> None:
        self.path = Path(path)
        self._lock = threading.RLock()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._conn = sqlite3.connect(self.path, isolation_level=None, timeout=30.0,
                                         check_same_thread=False)
            self._conn.row_factory = sqlite3.Row
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=FULL")
            self._conn.execute("PRAGMA busy_timeout=30000")
            with self.write() as conn:
                _run_script(conn, schema)
        except (sqlite3.Error, OSError) as exc:
            raise UnavailableError(f"cannot open guardrail store {self.path}: {exc}") from exc

    @contextmanager
    def write(self, durable: bool = True) -> Iterator[sqlite3.Connection]:
        """One atomic write transaction (rolled back on any error).

        ``durable=False`` commits without an fsync (``synchronous=NORMAL`` for this commit):
        the row survives the process being killed (it is in the WAL, written through the OS),
        but not a power cut before the next durable commit, which syncs it along. For records
        that move no money, such as a dry-run check, where an fsync per row would be most of
        the cost.
        """
        with self._lock, _translated(self.path):
            if not durable:
                self._conn.execute("PRAGMA synchronous=NORMAL")
            try:
                self._conn.execute("BEGIN IMMEDIATE")
                try:
                    yield self._conn
                except BaseException:
                    self._conn.execute("ROLLBACK")
                    raise
                self._conn.execute("COMMIT")
            finally:
                if not durable:
                    self._conn.execute("PRAGMA synchronous=FULL")

    def read(self, sql: str, params: tuple[object, ...] = ()) -> list[sqlite3.Row]:
        """Run one query and return its rows."""
        with self._lock, _translated(self.path):
            return list(self._conn.execute(sql, params).fetchall())

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._conn.close()


def _run_script(conn: sqlite3.Connection, schema: str) -> None:
    """Run ``;``-separated DDL inside the open transaction (executescript would commit)."""
    for statement in _statements(schema):
        conn.execute(statement)


def _statements(schema: str) -> list[str]:
    """Split DDL on ``;`` outside trigger bodies (``BEGIN ... END;``)."""
    out, buf = [], ""
    for part in schema.split(";"):
        buf = f"{buf};{part}" if buf else part
        if sqlite3.complete_statement(buf + ";"):
            if buf.strip():
                out.append(buf.strip())
            buf = ""
    return out


@contextmanager
def _translated(path: Path) -> Iterator[None]:
    try:
        yield
    except sqlite3.OperationalError as exc:
        if "locked" in str(exc) or "busy" in str(exc):
            raise UnavailableError(f"guardrail store {path} is busy: {exc}; try again") from exc
        raise InternalError(f"guardrail store {path}: {exc}") from exc
    except sqlite3.DatabaseError as exc:
        raise InternalError(f"guardrail store {path} is damaged or not a database: {exc}") from exc
