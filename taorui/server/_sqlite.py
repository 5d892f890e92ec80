"""One small store per console table (tokens, thread owners): a SQLite file opened per call, or
its Postgres schema when ``TAORUI_DATABASE_URL`` is set.

A connection per call keeps the SQLite stores safe across the server's threads and a second
process (the CLI adding a token while the server runs); WAL lets readers go on while one
writes. On Postgres each thread keeps one connection to the schema standing for the file
(``taorui_engines/sqlstore.py``), so consoles on several machines share tokens and threads.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

from taorui_engines import sqlstore

__all__ = ["SqliteStore", "connect", "create"]

@contextmanager
def connect(path: Path) -> Iterator[Any]:
    """An autocommit connection to ``path`` in WAL mode, closed on exit (or this thread's
    connection to the file's Postgres schema)."""
    url = sqlstore.database_url()
    if url is not None:
        yield sqlstore.thread_connection(url, path, f"console store {path.name}")
        return
    conn = sqlite3.connect(path, timeout=30, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        yield conn
    finally:
        conn.close()


def create(path: Path, schema: str) -> None:
    """Make ``path``'s folder (or its schema) and run ``schema`` (idempotent DDL) on it."""
    url = sqlstore.database_url()
    if url is not None:
        with connect(path) as conn:
            conn.run_ddl(sqlstore.pg_ddl(schema))
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with connect(path) as conn:
        conn.executescript(schema)


class SqliteStore:
    """Base of a console store: its file (or schema), created with ``SCHEMA``, and a lock for writers."""

    SCHEMA = ""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        create(self.path, self.SCHEMA)

    def _connect(self) -> AbstractContextManager[Any]:
        return connect(self.path)
