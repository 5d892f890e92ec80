"""Who asked what: the API's threads and the person behind each, for the approval rules.

An approver may not approve an order they proposed. The graph's orders carry the thread
they came from (``Attribution.thread_id``); this registry maps a thread to the API user
whose instruction is its latest (a thread waiting on an approval takes no new instruction,
so that user is the proposer of every order it waits on).
"""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict

from taorui.server._sqlite import SqliteStore

__all__ = ["REGISTRY_FILE", "ThreadRecord", "ThreadRegistry"]

#: The registry database, under ``Settings.state_dir``.
REGISTRY_FILE = "console_threads.sqlite"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS threads (
    thread_id TEXT PRIMARY KEY,
    asked_by TEXT NOT NULL,
    instruction TEXT NOT NULL,
    updated TEXT NOT NULL
);
"""


class ThreadRecord(BaseModel):
    """A thread started or continued through the API."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    thread_id: str
    asked_by: str
    instruction: str
    updated: datetime


class ThreadRegistry(SqliteStore):
    """Thread -> the API user of its latest instruction (SQLite or Postgres, safe across threads)."""

    SCHEMA = _SCHEMA

    def record(self, thread_id: str, asked_by: str, instruction: str) -> None:
        """``asked_by`` gives the thread its latest instruction."""
        with self._lock, self._connect() as conn:
            conn.execute("INSERT INTO threads VALUES (?, ?, ?, ?) ON CONFLICT (thread_id) DO UPDATE SET"
                         " asked_by = excluded.asked_by, instruction = excluded.instruction, updated = excluded.updated",
                         (thread_id, asked_by, instruction[:2000], datetime.now(UTC).isoformat()))

    def get(self, thread_id: str | None) -> ThreadRecord | None:
        """The thread's record, or None for a thread not asked through the API."""
        if not thread_id:
            return None
        with self._connect() as conn:
            row = conn.execute("SELECT * FROM threads WHERE thread_id = ?", (thread_id,)).fetchone()
        return _record(row) if row else None

    def recent(self, limit: int = 200) -> list[ThreadRecord]:
        """The most recently asked threads, newest first."""
        with self._connect() as conn:
            rows = conn.execute("SELECT * FROM threads ORDER BY updated DESC LIMIT ?", (limit,)).fetchall()
        return [_record(r) for r in rows]


def _record(row: tuple[str, str, str, str]) -> ThreadRecord:
    return ThreadRecord(thread_id=row[0], asked_by=row[1], instruction=row[2], updated=datetime.fromisoformat(row[3]))
