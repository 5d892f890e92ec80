"""Storage of the paper broker: schema, connections and transactions (SQLite, or Postgres).

One file per account (or, with ``TAORUI_DATABASE_URL``, one Postgres schema standing for it,
see ``taorui_engines/sqlstore.py``; there a transaction holds the account's advisory lock
as ``BEGIN IMMEDIATE`` holds the file's). WAL journal (readers, such as ``taorui broker status``, do not block
the trading cycle), ``synchronous=FULL`` (a committed fill survives a power cut), and one
``BEGIN IMMEDIATE`` transaction per state change, so a process killed at any point leaves
either the state before a change or the state after it, never half of one.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from taorui_engines import sqlstore
from taorui_engines.errors import UnavailableError
from taorui_engines.sqlstore import PgConnection, SqlConnection

__all__ = ["SCHEMA_VERSION", "connect", "transaction"]

SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS seen_keys (
    key        TEXT PRIMARY KEY,
    first_seen TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS orders (
    seq            INTEGER PRIMARY KEY AUTOINCREMENT,
    key            TEXT NOT NULL UNIQUE,
    order_json     TEXT NOT NULL,
    submitted      TEXT NOT NULL,
    status         TEXT NOT NULL,
    filled_qty     REAL NOT NULL DEFAULT 0,
    avg_fill_price REAL,
    reason         TEXT,
    updated        TEXT NOT NULL,
    last_bar       TEXT
);
CREATE TABLE IF NOT EXISTS fills (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    fill_id    TEXT NOT NULL UNIQUE,
    order_key  TEXT NOT NULL,
    symbol     TEXT NOT NULL,
    side       TEXT NOT NULL,
    qty        REAL NOT NULL,
    price      REAL NOT NULL,
    commission REAL NOT NULL,
    time       TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS positions (
    symbol     TEXT PRIMARY KEY,
    qty        REAL NOT NULL,
    avg_price  REAL NOT NULL,
    last_price REAL,
    last_time  TEXT
);
"""


@contextmanager
def connect(path: Path) -> Iterator[Any]:
    """A connection in autocommit mode (transactions are explicit): a short-lived SQLite one,
    or this thread's Postgres one."""
    url = sqlstore.database_url()
    if url is not None:
        yield sqlstore.thread_connection(url, path, f"paper broker {path.name}")
        return
    try:
        conn = sqlite3.connect(path, timeout=30.0, isolation_level=None)
    except sqlite3.Error as exc:
        raise UnavailableError(f"cannot open the paper broker database {path}: {exc}") from exc
    try:
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA synchronous=FULL")
        yield conn
    finally:
        conn.close()


@contextmanager
def transaction(conn: SqlConnection) -> Iterator[Any]:
    """``BEGIN IMMEDIATE`` ... ``COMMIT``; any exception rolls everything back."""
    if isinstance(conn, PgConnection):
        with conn.transaction() as pg:
            yield pg
        return
    assert isinstance(conn, sqlite3.Connection)
    try:
        conn.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as exc:  # another writer held the lock past the timeout
        raise UnavailableError(f"the paper broker database is busy: {exc}") from exc
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def create_schema(conn: SqlConnection) -> None:
    """Create the tables if missing and switch the file to WAL (persistent per file)."""
    if isinstance(conn, PgConnection):
        conn.run_ddl(sqlstore.pg_ddl(_SCHEMA))
        return
    assert isinstance(conn, sqlite3.Connection)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.executescript(_SCHEMA)
