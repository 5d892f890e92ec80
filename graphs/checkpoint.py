"""The SQLite checkpointer under ``state_dir``: every thread resumable, also after a kill.

The serializer is the strict one (only plain data, LangChain messages and LangGraph's own
types are revived), which the graph's state is designed for. SQLite runs in WAL mode with
full sync, so a checkpoint that was written survives a killed process.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer
from langgraph.checkpoint.sqlite import SqliteSaver

__all__ = ["CHECKPOINT_FILE", "open_checkpointer", "open_sqlite_checkpointer"]

#: File name of the checkpoint database inside the state folder.
CHECKPOINT_FILE = "graph_checkpoints.sqlite"


def open_checkpointer(state_dir: Path) -> SqliteSaver:
    """A checkpointer on ``state_dir/graph_checkpoints.sqlite`` (created on first use)."""
    return open_sqlite_checkpointer(state_dir / CHECKPOINT_FILE)


def open_sqlite_checkpointer(path: Path) -> SqliteSaver:
    """A checkpointer on the SQLite file ``path`` (created on first use; WAL, full sync)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(str(path), check_same_thread=False, timeout=30)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    saver = SqliteSaver(conn, serde=JsonPlusSerializer(allowed_msgpack_modules=None))
    saver.setup()
    return saver
