"""The trading cycle's typed events and the persisted, in-process bus that carries them.

Every event has a deterministic id (portfolio, day, kind and the thing it is about), and the
store inserts an id once: a cycle step that is replayed after a crash publishes the same
events again and nobody sees them twice. Events are written to SQLite (WAL, full sync)
*before* subscribers hear of them, so a subscriber that was down catches up from its cursor
(:meth:`EventBus.catch_up`); delivery is at least once, and subscribers are idempotent by id.

The CLI prints them as they come, the journal materialises them into tables, and a web
console can follow the same stream.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

__all__ = [
    "ApprovalRequested",
    "CycleFinished",
    "DataUpdated",
    "EventBus",
    "OrderCancelled",
    "OrderDecided",
    "OrderFilled",
    "OrdersProposed",
    "ReasonItem",
    "RiskStateChanged",
    "SignalProduced",
    "TradingEvent",
]

logger = logging.getLogger(__name__)


class _Event(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=3, max_length=256)
    portfolio: str
    day: date = Field(description="The trading day of the cycle that emitted it.")
    time: datetime = Field(default_factory=lambda: datetime.now(UTC), description="Wall time of the emission.")


class ReasonItem(BaseModel):
    """A reason as the gate gave it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    code: str
    message: str


class DataUpdated(_Event):
    """The cycle's data step: the newest bar it may read, and the fills it settled at today's open."""

    type: Literal["data_updated"] = "data_updated"
    data_through: date
    fills_settled: int = 0
    market: str


class SignalProduced(_Event):
    """The strategy's scores for the day (the best 20 shown) and what it read."""

    type: Literal["signal_produced"] = "signal_produced"
    source: str
    n_scored: int
    top: list[tuple[str, float]]
    data_through: date
    target_weights: dict[str, float] | None = None
    explanations: dict[str, list[tuple[str, float, float | None, float | None]]] = Field(
        default_factory=dict, description="Per selected name: (feature, contribution, value, universe percentile of the value), "
                         "largest first.")


class OrdersProposed(_Event):
    """The target portfolio and the orders that move the holdings to it."""

    type: Literal["orders_proposed"] = "orders_proposed"
    mode: str
    targets: list[dict[str, object]]
    orders: list[dict[str, object]]
    notes: list[str] = Field(default_factory=list)
    deferred_buy_value: float = 0.0


class OrderDecided(_Event):
    """What became of one order: the gate's decision, a person's, or 'proposed only'."""

    type: Literal["order_decided"] = "order_decided"
    key: str
    symbol: str
    side: Literal["buy", "sell"]
    qty: float
    price: float
    decision: Literal["sent", "rejected", "needs_approval", "approved", "rejected_by_person", "expired",
                      "proposed_only"]
    reasons: list[ReasonItem] = Field(default_factory=list)
    by: str = "gate"
    approval_id: str | None = None


class ApprovalRequested(_Event):
    """A person must decide before the order goes (the mode or the gate asked)."""

    type: Literal["approval_requested"] = "approval_requested"
    approval_kind: Literal["gate", "person"]
    approval_id: str
    key: str
    symbol: str
    side: Literal["buy", "sell"]
    qty: float
    reasons: list[ReasonItem]
    expires: datetime | None = None


class OrderFilled(_Event):
    """A fill, as the gate audited it."""

    type: Literal["order_filled"] = "order_filled"
    fill_id: str
    key: str
    symbol: str
    side: Literal["buy", "sell"]
    qty: float
    price: float
    commission: float
    fill_time: datetime


class OrderCancelled(_Event):
    """An order's unfilled rest cancelled at the next cycle (a daily order lives one session)."""

    type: Literal["order_cancelled"] = "order_cancelled"
    key: str
    symbol: str
    unfilled: float
    reason: str


class RiskStateChanged(_Event):
    """The gate's trading state moved (active / reducing / halted)."""

    type: Literal["risk_state_changed"] = "risk_state_changed"
    before: str
    after: str
    reason: str


class CycleFinished(_Event):
    """The account after the day's cycle, marked at the day's closes."""

    type: Literal["cycle_finished"] = "cycle_finished"
    mode: str
    cash: float
    value: float
    positions: dict[str, tuple[float, float]] = Field(description="symbol -> (qty, close of the day)")
    data_through: date
    sent: int
    blocked: int
    pending: int
    status: Literal["done", "waiting_for_approval"]


TradingEvent = Annotated[
    DataUpdated | SignalProduced | OrdersProposed | OrderDecided | ApprovalRequested | OrderFilled
    | OrderCancelled | RiskStateChanged | CycleFinished,
    Field(discriminator="type"),
]
_ADAPTER: TypeAdapter[TradingEvent] = TypeAdapter(TradingEvent)

Subscriber = Callable[[TradingEvent], None]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    type TEXT NOT NULL,
    day TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_day ON events(day);
CREATE TABLE IF NOT EXISTS cursors (name TEXT PRIMARY KEY, seq INTEGER NOT NULL);
"""


class EventBus:
    """Typed events, persisted in ``path`` first, then handed to in-process subscribers."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._subscribers: list[tuple[str | None, Subscriber]] = []
        self._lock = threading.RLock()
        with self._connect() as conn:
            conn.executescript(_SCHEMA)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        conn = sqlite3.connect(str(self.path), timeout=30, isolation_level=None)
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            # NORMAL in WAL mode: a committed event survives a killed process (what the cycle's
            # crash safety needs); only a power cut can lose the newest, and every event is
            # derived again from the gate's fsynced ledger and audit when its step reruns.
            conn.execute("PRAGMA synchronous=NORMAL")
            yield conn
        finally:
            conn.close()

    def subscribe(self, handler: Subscriber, durable_name: str | None = None) -> None:
        """Hear every event published from now on. A ``durable_name`` also catches up first
        on what was published while it was away, and keeps a cursor."""
        with self._lock:
            if durable_name is not None:
                self.catch_up(durable_name, handler)
            self._subscribers.append((durable_name, handler))

    def publish(self, event: TradingEvent) -> bool:
        """Persist ``event`` (once per id) and deliver it; False if it was already there."""
        body = event.model_dump_json()
        with self._lock:
            with self._connect() as conn:
                cur = conn.execute("INSERT OR IGNORE INTO events (id, type, day, body) VALUES (?, ?, ?, ?)",
                                   (event.id, event.type, event.day.isoformat(), body))
                new = cur.rowcount == 1
                seq = cur.lastrowid if new else None
            if not new:
                return False
            for name, handler in list(self._subscribers):
                self._deliver(name, handler, event, seq)
            return True

    def _deliver(self, name: str | None, handler: Subscriber, event: TradingEvent, seq: int | None) -> None:
        try:
            handler(event)
        except Exception:  # a subscriber's failure must not stop trading; a durable one catches up later
            logger.exception("event subscriber %s failed on %s", name or handler, event.id)
            return
        if name is not None and seq is not None:
            self._advance(name, seq)

    def _advance(self, name: str, seq: int) -> None:
        with self._connect() as conn:
            conn.execute("INSERT INTO cursors (name, seq) VALUES (?, ?) "
                         "ON CONFLICT(name) DO UPDATE SET seq = MAX(seq, excluded.seq)", (name, seq))

    def catch_up(self, name: str, handler: Subscriber) -> int:
        """Deliver to ``handler`` every event after ``name``'s cursor; returns how many."""
        with self._connect() as conn:
            row = conn.execute("SELECT seq FROM cursors WHERE name = ?", (name,)).fetchone()
            after = int(row[0]) if row else 0
            rows = conn.execute("SELECT seq, body FROM events WHERE seq > ? ORDER BY seq", (after,)).fetchall()
        for seq, body in rows:
            handler(_ADAPTER.validate_json(body))
            self._advance(name, int(seq))
        return len(rows)

    def events(self, day: date | None = None, types: tuple[str, ...] = ()) -> list[TradingEvent]:
        """Stored events, oldest first (``day`` and ``types`` filter)."""
        sql, args = "SELECT body FROM events", []
        clauses = []
        if day is not None:
            clauses.append("day = ?")
            args.append(day.isoformat())
        if types:
            clauses.append(f"type IN ({','.join('?' * len(types))})")
            args.extend(types)
        if clauses:
            sql += " WHERE " + " AND ".join(clauses)
        with self._connect() as conn:
            rows = conn.execute(sql + " ORDER BY seq", args).fetchall()
        return [_ADAPTER.validate_json(r[0]) for r in rows]

    def count(self) -> int:
        """How many events are stored."""
        with self._connect() as conn:
            return int(conn.execute("SELECT COUNT(*) FROM events").fetchone()[0])

    def has(self, event_id: str) -> bool:
        """True if an event with this id was published."""
        with self._connect() as conn:
            return conn.execute("SELECT 1 FROM events WHERE id = ?", (event_id,)).fetchone() is not None


def event_json(event: TradingEvent) -> str:
    """One line of JSON for a terminal or a stream."""
    return json.dumps(event.model_dump(mode="json"), ensure_ascii=False)
