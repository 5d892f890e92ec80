"""The graph's checkpointer: every thread resumable, also after a kill.

SQLite under ``state_dir`` by default (WAL, full sync: a checkpoint that was written survives a
killed process). With ``TAORUI_DATABASE_URL`` set, LangGraph's official Postgres checkpointer
in the schema standing for that file (``taorui_engines/sqlstore.py``), over a small pool that
checks each connection before lending it: a restarted server costs the call in flight, not the
process. The serializer is the strict one either way (only plain data, LangChain messages and
LangGraph's own types are revived), which the graph's state is designed for.
"""

from __future__ import annotations

import sqlite3
import weakref
from pathlib import Path

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer
from langgraph.checkpoint.sqlite import SqliteSaver

from taorui_engines import sqlstore
from taorui_engines.errors import UnavailableError

__all__ = ["CHECKPOINT_FILE", "open_checkpointer", "open_postgres_checkpointer", "open_sqlite_checkpointer"]

#: File name of the checkpoint database inside the state folder.
CHECKPOINT_FILE = "graph_checkpoints.sqlite"


def _serde() -> JsonPlusSerializer:
    return JsonPlusSerializer(allowed_msgpack_modules=None)


def open_checkpointer(state_dir: Path) -> BaseCheckpointSaver[str]:
    """A checkpointer for ``state_dir/graph_checkpoints.sqlite`` (or its Postgres schema)."""
    return open_sqlite_checkpointer(state_dir / CHECKPOINT_FILE)


def open_sqlite_checkpointer(path: Path) -> BaseCheckpointSaver[str]:
    """A checkpointer on the SQLite file ``path`` (created on first use; WAL, full sync), or
    on the Postgres schema standing for it when ``TAORUI_DATABASE_URL`` is set."""
    url = sqlstore.database_url()
    if url is not None:
        return open_postgres_checkpointer(url, path)
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(str(path), check_same_thread=False, timeout=30)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    saver = SqliteSaver(conn, serde=_serde())
    saver.setup()
    return saver


def open_postgres_checkpointer(url: str, path: Path) -> BaseCheckpointSaver[str]:
    """LangGraph's ``PostgresSaver`` in the schema standing for ``path`` (tables made once;
    concurrent first opens are serialised by a session advisory lock - not a transaction's:
    the saver's ``CREATE INDEX CONCURRENTLY`` waits for every open transaction to end)."""
    try:
        from langgraph.checkpoint.postgres import PostgresSaver
        from psycopg.rows import dict_row
        from psycopg_pool import ConnectionPool
    except ImportError as exc:
        raise UnavailableError(f"{sqlstore.DATABASE_ENV} is set but LangGraph's Postgres checkpointer is not "
                               "installed: pip install 'taorui[postgres]' (or unset it for SQLite files)") from exc

    schema = sqlstore.namespace(path)
    bootstrap = sqlstore.PgLock(url, f"checkpoint-setup:{schema}")
    creator = sqlstore.PgConnection(url, schema, "graph checkpoints")
    creator.execute("SELECT 1")  # the first statement creates the schema
    creator.close()
    try:
        with bootstrap.held():
            pool = ConnectionPool(
                url, min_size=1, max_size=4, open=True, check=ConnectionPool.check_connection, max_idle=60.0,
                kwargs={"autocommit": True, "prepare_threshold": 0, "row_factory": dict_row,
                        "options": f"-c search_path={schema}"})
            saver = PostgresSaver(pool, serde=_serde())  # type: ignore[arg-type]  # rows are dicts (kwargs)
            # the pool's worker threads keep it alive: close it when the saver goes
            weakref.finalize(saver, pool.close)
            saver.setup()
    finally:
        bootstrap.close()
    return saver
