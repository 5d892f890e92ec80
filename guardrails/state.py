"""Durable trading state: ACTIVE / REDUCING / HALTED, equity marks, and the gate's ledger.

Breaches only ever *escalate* the state (ACTIVE -> REDUCING -> HALTED); the way back to
ACTIVE is :meth:`TradingStateStore.resume`, which the gate exposes to people (the CLI) and
never to agents. The ledger lists every order the gate sent (for rate limits, duplicate
windows and the "new symbol" rule); times are epoch seconds of the gate's market clock.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from guardrails._db import Database
from guardrails.models import StateChange, TradingState

__all__ = ["Marks", "StateRecord", "Submission", "TradingStateStore", "severity"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS trading_state (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    state TEXT NOT NULL, reason TEXT NOT NULL, changed_by TEXT NOT NULL, changed_at REAL
);
CREATE TABLE IF NOT EXISTS marks (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    high_water_mark REAL, day TEXT, day_start_equity REAL, last_equity REAL
);
CREATE TABLE IF NOT EXISTS submissions (
    key TEXT PRIMARY KEY, symbol TEXT NOT NULL, side TEXT NOT NULL, qty REAL NOT NULL,
    time REAL NOT NULL, approval_id TEXT
);
CREATE INDEX IF NOT EXISTS submissions_time ON submissions (time);
CREATE TABLE IF NOT EXISTS seen_fills (fill_id TEXT PRIMARY KEY);
"""

_RANK = {TradingState.ACTIVE: 0, TradingState.REDUCING: 1, TradingState.HALTED: 2}


def severity(state: TradingState) -> int:
    """0 for ACTIVE, 1 for REDUCING, 2 for HALTED."""
    return _RANK[state]


class StateRecord(BaseModel):
    """The trading state now and how it got there."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    state: TradingState
    reason: str
    changed_by: str
    changed_at: datetime | None


class Marks(BaseModel):
    """Equity marks behind the loss limits."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    high_water_mark: float | None = None
    day: str | None = None
    day_start_equity: float | None = None
    last_equity: float | None = None


class Submission(BaseModel):
    """One order the gate sent to the broker."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    key: str
    symbol: str
    side: str
    qty: float
    time: float
    approval_id: str | None = None


def _ts(moment: datetime) -> float:
    return moment.timestamp()


class TradingStateStore:
    """Trading state, marks, ledger and seen fills in one SQLite file."""

    def __init__(self, path: Path) -> None:
        self._db = Database(path, _SCHEMA)

    # state -----------------------------------------------------------------------------
    def current(self) -> StateRecord:
        """The state now (ACTIVE when never set)."""
        rows = self._db.read("SELECT state, reason, changed_by, changed_at FROM trading_state WHERE id = 1")
        if not rows:
            return StateRecord(state=TradingState.ACTIVE, reason="initial state", changed_by="guardrails",
                               changed_at=None)
        at = rows[0]["changed_at"]
        return StateRecord(state=TradingState(rows[0]["state"]), reason=rows[0]["reason"],
                           changed_by=rows[0]["changed_by"],
                           changed_at=None if at is None else datetime.fromtimestamp(at, UTC))

    def escalate(self, state: TradingState, reason: str, by: str, at: datetime) -> StateChange | None:
        """Move to ``state`` if it is more restrictive than now; return the change, if any."""
        with self._db.write() as conn:
            previous = self._state_in(conn)
            if severity(state) <= severity(previous):
                return None
            self._write_state(conn, state, reason, by, at)
        return StateChange(previous=previous, state=state, reason=reason, by=by, time=at)

    def resume(self, reason: str, by: str, at: datetime, equity: float | None) -> StateChange:
        """Back to ACTIVE (a person's act); re-base the marks at ``equity``."""
        with self._db.write() as conn:
            previous = self._state_in(conn)
            self._write_state(conn, TradingState.ACTIVE, reason, by, at)
            conn.execute(
                "INSERT OR REPLACE INTO marks VALUES (1, ?, ?, ?, ?)",
                (equity, at.date().isoformat() if equity is not None else None, equity, equity),
            )
        return StateChange(previous=previous, state=TradingState.ACTIVE, reason=reason, by=by, time=at)

    @staticmethod
    def _state_in(conn: sqlite3.Connection) -> TradingState:
        row = conn.execute("SELECT state FROM trading_state WHERE id = 1").fetchone()
        return TradingState.ACTIVE if row is None else TradingState(row[0])

    @staticmethod
    def _write_state(conn: sqlite3.Connection, state: TradingState, reason: str, by: str, at: datetime) -> None:
        conn.execute(
            "INSERT OR REPLACE INTO trading_state VALUES (1, ?, ?, ?, ?)", (state.value, reason, by, _ts(at))
        )

    # marks -----------------------------------------------------------------------------
    def marks(self) -> Marks:
        """The stored marks."""
        rows = self._db.read("SELECT high_water_mark, day, day_start_equity, last_equity FROM marks WHERE id = 1")
        return Marks(**dict(rows[0])) if rows else Marks()

    def mark(self, equity: float, at: datetime) -> Marks:
        """Record equity: raise the high-water mark, start a new day at its first mark."""
        day = at.date().isoformat()
        with self._db.write() as conn:
            row = conn.execute("SELECT high_water_mark, day, day_start_equity FROM marks WHERE id = 1").fetchone()
            hwm = equity if row is None or row[0] is None else max(row[0], equity)
            start = equity if row is None or row[1] != day or row[2] is None else row[2]
            conn.execute("INSERT OR REPLACE INTO marks VALUES (1, ?, ?, ?, ?)", (hwm, day, start, equity))
        return Marks(high_water_mark=hwm, day=day, day_start_equity=start, last_equity=equity)

    # ledger ----------------------------------------------------------------------------
    def record_submission(self, sub: Submission) -> None:
        """Add an order to the ledger (before it is sent: a crash counts it, fail closed)."""
        with self._db.write() as conn:
            conn.execute(
                "INSERT OR IGNORE INTO submissions VALUES (?, ?, ?, ?, ?, ?)",
                (sub.key, sub.symbol, sub.side, sub.qty, sub.time, sub.approval_id),
            )

    def submissions_since(self, since: datetime) -> list[Submission]:
        """Ledger rows at or after ``since``, oldest first."""
        rows = self._db.read("SELECT * FROM submissions WHERE time >= ? ORDER BY time", (_ts(since),))
        return [Submission(**dict(r)) for r in rows]

    def has_key(self, key: str) -> bool:
        """True if the gate ever sent an order with this key."""
        return bool(self._db.read("SELECT 1 FROM submissions WHERE key = ?", (key,)))

    def symbols_sent(self) -> frozenset[str]:
        """Every symbol the gate ever sent an order for."""
        return frozenset(r[0] for r in self._db.read("SELECT DISTINCT symbol FROM submissions"))

    # fills -----------------------------------------------------------------------------
    def unseen_fills(self, fill_ids: list[str]) -> list[str]:
        """The ids among ``fill_ids`` not yet recorded as audited."""
        seen = {r[0] for r in self._db.read("SELECT fill_id FROM seen_fills")}
        return [f for f in fill_ids if f not in seen]

    def mark_fill_seen(self, fill_id: str) -> bool:
        """Record a fill as audited; False if another writer recorded it first."""
        with self._db.write() as conn:
            return conn.execute("INSERT OR IGNORE INTO seen_fills VALUES (?)", (fill_id,)).rowcount == 1

    def close(self) -> None:
        """Close the file."""
        self._db.close()
