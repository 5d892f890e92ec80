"""One small SQLite file per console store (tokens, thread owners), opened per call.

A connection per call keeps the stores safe across the server's threads and a second process
(the CLI adding a token while the server runs); WAL lets readers go on while one writes.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

__all__ = ["SqliteStore", "connect", "create"]


@contextmanager
def connect(path: Path) -> Iterator[sqlite3.Connection]:
    """An autocommit connection to ``path`` in WAL mode, closed on exit."""
    conn = sqlite3.connect(path, timeout=30, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        yield conn
    finally:
        conn.close()


def create(path: Path, schema: str) -> None:
    """Make ``path``'s folder and run ``schema`` (idempotent DDL) on it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with connect(path) as conn:
        conn.executescript(schema)


class SqliteStore:
    """Base of a console store: its file, created with ``SCHEMA``, and a lock for writers."""

    SCHEMA = ""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        create(self.path, self.SCHEMA)

    def _connect(self) -> AbstractContextManager[sqlite3.Connection]:
        return connect(self.path)
