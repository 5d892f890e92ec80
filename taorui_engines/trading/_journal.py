"""The trade journal: the event stream materialised into tables a person (and a report) reads.

It is a durable subscriber of the bus, so it is exactly what the events say and can be
rebuilt from them (``Journal.rebuild``). Every write is keyed by the event's subject
(fill id, order key, day), so an event delivered twice changes nothing.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from taorui_engines.trading._events import (
    CycleFinished,
    EventBus,
    OrderCancelled,
    OrderDecided,
    OrderFilled,
    RiskStateChanged,
    SignalProduced,
    TradingEvent,
)

__all__ = ["DayRecord", "DecisionRecord", "FillRecord", "Journal", "SignalRecord"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS fills (fill_id TEXT PRIMARY KEY, day TEXT, key TEXT, symbol TEXT, side TEXT,
    qty REAL, price REAL, commission REAL, fill_time TEXT);
CREATE TABLE IF NOT EXISTS decisions (key TEXT PRIMARY KEY, day TEXT, symbol TEXT, side TEXT, qty REAL,
    price REAL, decision TEXT, reasons TEXT, by TEXT, approval_id TEXT);
CREATE TABLE IF NOT EXISTS days (day TEXT PRIMARY KEY, cash REAL, value REAL, positions TEXT,
    data_through TEXT, mode TEXT, status TEXT, sent INTEGER, blocked INTEGER, pending INTEGER);
CREATE TABLE IF NOT EXISTS signals (day TEXT PRIMARY KEY, source TEXT, n_scored INTEGER, top TEXT,
    explanations TEXT, data_through TEXT, weights TEXT);
CREATE TABLE IF NOT EXISTS cancels (key TEXT PRIMARY KEY, day TEXT, symbol TEXT, unfilled REAL, reason TEXT);
CREATE TABLE IF NOT EXISTS risk (id TEXT PRIMARY KEY, day TEXT, before TEXT, after TEXT, reason TEXT);
"""


class _Row(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FillRecord(_Row):
    """One fill as journalled."""

    fill_id: str
    day: date
    key: str
    symbol: str
    side: str
    qty: float
    price: float
    commission: float
    fill_time: str


class DecisionRecord(_Row):
    """The latest decision on one order."""

    key: str
    day: date
    symbol: str
    side: str
    qty: float
    price: float
    decision: str
    reasons: list[dict[str, str]]
    by: str
    approval_id: str | None


class DayRecord(_Row):
    """The account at one day's close, after its cycle."""

    day: date
    cash: float
    value: float
    positions: dict[str, tuple[float, float]]
    data_through: date
    mode: str
    status: str
    sent: int
    blocked: int
    pending: int


class SignalRecord(_Row):
    """One day's signal as journalled."""

    day: date
    source: str
    n_scored: int
    top: list[tuple[str, float]]
    explanations: dict[str, list[tuple[str, float, float | None, float | None]]]
    data_through: date
    weights: dict[str, float] | None


class Journal:
    """Tables over the events of one portfolio (``journal.sqlite`` beside the event store)."""

    SUBSCRIBER = "journal"

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as conn:
            conn.executescript(_SCHEMA)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        conn = sqlite3.connect(str(self.path), timeout=30)
        conn.row_factory = sqlite3.Row
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")  # rebuilt from the events if ever lost
            with conn:
                yield conn
        finally:
            conn.close()

    def attach(self, bus: EventBus) -> None:
        """Follow ``bus`` durably (catching up on anything missed first)."""
        bus.subscribe(self.apply, durable_name=self.SUBSCRIBER)

    def rebuild(self, bus: EventBus) -> None:
        """Empty the tables and replay every stored event into them."""
        with self._connect() as conn:
            for table in ("fills", "decisions", "days", "signals", "cancels", "risk"):
                conn.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed table names
        for event in bus.events():
            self.apply(event)

    def apply(self, event: TradingEvent) -> None:  # noqa: C901 - one branch per event type
        """Write what ``event`` says (idempotent)."""
        with self._connect() as conn:
            day = event.day.isoformat()
            if isinstance(event, OrderFilled):
                conn.execute("INSERT OR REPLACE INTO fills VALUES (?,?,?,?,?,?,?,?,?)",
                             (event.fill_id, day, event.key, event.symbol, event.side, event.qty, event.price,
                              event.commission, event.fill_time.isoformat()))
            elif isinstance(event, OrderDecided):
                conn.execute("INSERT OR REPLACE INTO decisions VALUES (?,?,?,?,?,?,?,?,?,?)",
                             (event.key, day, event.symbol, event.side, event.qty, event.price, event.decision,
                              json.dumps([r.model_dump() for r in event.reasons], ensure_ascii=False), event.by,
                              event.approval_id))
            elif isinstance(event, CycleFinished):
                conn.execute("INSERT OR REPLACE INTO days VALUES (?,?,?,?,?,?,?,?,?,?)",
                             (day, event.cash, event.value, json.dumps(event.positions), event.data_through.isoformat(),
                              event.mode, event.status, event.sent, event.blocked, event.pending))
            elif isinstance(event, SignalProduced):
                conn.execute("INSERT OR REPLACE INTO signals VALUES (?,?,?,?,?,?,?)",
                             (day, event.source, event.n_scored, json.dumps(event.top),
                              json.dumps(event.explanations, ensure_ascii=False), event.data_through.isoformat(),
                              json.dumps(event.target_weights) if event.target_weights is not None else None))
            elif isinstance(event, OrderCancelled):
                conn.execute("INSERT OR REPLACE INTO cancels VALUES (?,?,?,?,?)",
                             (event.key, day, event.symbol, event.unfilled, event.reason))
            elif isinstance(event, RiskStateChanged):
                conn.execute("INSERT OR REPLACE INTO risk VALUES (?,?,?,?,?)",
                             (event.id, day, event.before, event.after, event.reason))

    # reads ------------------------------------------------------------------------------
    def fills(self) -> list[FillRecord]:
        """Every fill, in time order."""
        with self._connect() as conn:
            rows = conn.execute("SELECT * FROM fills ORDER BY fill_time, fill_id").fetchall()
        return [FillRecord.model_validate(dict(r)) for r in rows]

    def decisions(self, day: date | None = None) -> list[DecisionRecord]:
        """The latest decision per order (of one day, or all), by day then key."""
        sql = "SELECT * FROM decisions"
        args: tuple[str, ...] = ()
        if day is not None:
            sql, args = sql + " WHERE day = ?", (day.isoformat(),)
        with self._connect() as conn:
            rows = conn.execute(sql + " ORDER BY day, key", args).fetchall()
        return [DecisionRecord.model_validate({**dict(r), "reasons": json.loads(r["reasons"])}) for r in rows]

    def days(self) -> list[DayRecord]:
        """The account after each finished cycle, oldest first."""
        with self._connect() as conn:
            rows = conn.execute("SELECT * FROM days ORDER BY day").fetchall()
        return [DayRecord.model_validate({**dict(r), "positions": json.loads(r["positions"])}) for r in rows]

    def signal(self, day: date) -> SignalRecord | None:
        """The signal of one day."""
        with self._connect() as conn:
            row = conn.execute("SELECT * FROM signals WHERE day = ?", (day.isoformat(),)).fetchone()
        if row is None:
            return None
        return SignalRecord.model_validate({**dict(row), "top": json.loads(row["top"]),
                                            "explanations": json.loads(row["explanations"]),
                                            "weights": json.loads(row["weights"]) if row["weights"] else None})

    def signal_days(self) -> list[date]:
        """Days with a signal."""
        with self._connect() as conn:
            return [date.fromisoformat(r[0]) for r in conn.execute("SELECT day FROM signals ORDER BY day")]

    def cancels(self) -> list[dict[str, object]]:
        """Unfilled rests cancelled."""
        with self._connect() as conn:
            return [dict(r) for r in conn.execute("SELECT * FROM cancels ORDER BY day, key")]

    def risk_changes(self) -> list[dict[str, object]]:
        """Trading-state changes."""
        with self._connect() as conn:
            return [dict(r) for r in conn.execute("SELECT * FROM risk ORDER BY day, id")]
