"""Durable trading state: ACTIVE / REDUCING / HALTED, equity marks, and the gate's ledger.

Breaches only ever *escalate* the state (ACTIVE -> REDUCING -> HALTED); the way back to
ACTIVE is :meth:`TradingStateStore.resume`, which the gate exposes to people (the CLI) and
never to agents. The ledger lists every order the gate sent (for rate limits, duplicate
windows, the approval aggregation window and the "new symbol" rule); times are epoch seconds
of the gate's market clock.

A ledger row is written *before* the broker is called, with status ``sending``, and moved to
``sent`` (the broker took it), ``refused`` (the broker raised or recorded it as rejected) or
``not_sent`` (a crash interrupted the call and the broker never saw the key) afterwards. A
``sending`` row left by a killed process is resolved by the gate's recovery from the
broker's idempotency keys; until then it counts towards every limit (fail closed).

The reads every check repeats (state, marks, rows in flight, the day's counted rows, the
symbols sent) are remembered until the file changes (:meth:`Database.cached`): a check then
costs one ``PRAGMA data_version`` per read instead of a query and a model per row, and a
change by any other connection or process is still seen by the next read.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from guardrails._db import SqlConnection, open_database
from guardrails.models import StateChange, TradingState

__all__ = ["COUNTED", "Marks", "StateRecord", "Submission", "SubmissionStatus", "TradingStateStore", "severity"]

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
    time REAL NOT NULL, approval_id TEXT, status TEXT NOT NULL DEFAULT 'sent', notional REAL
);
CREATE INDEX IF NOT EXISTS submissions_time ON submissions (time);
CREATE TABLE IF NOT EXISTS seen_fills (fill_id TEXT PRIMARY KEY);
"""

class SubmissionStatus(StrEnum):
    """Where a ledger row stands (see the module docstring)."""

    SENDING = "sending"
    SENT = "sent"
    REFUSED = "refused"
    NOT_SENT = "not_sent"


#: Rows that count towards rate limits, duplicate windows and key reuse.
COUNTED = (SubmissionStatus.SENDING.value, SubmissionStatus.SENT.value)
_COUNTED_SQL = "status IN ('sending', 'sent')"

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
    status: SubmissionStatus = SubmissionStatus.SENDING
    notional: float | None = None


def _ts(moment: datetime) -> float:
    return moment.timestamp()


# How a ledger write changes the remembered reads (``Database.keep_cache``): the cached
# values are immutable tuples; each is replaced, never edited in place.
def _unchanged(cache: dict[Hashable, Any]) -> None:
    """A write that changed nothing the cache holds."""


def _both(first: Callable[[dict[Hashable, Any]], None],
          then: Callable[[dict[Hashable, Any]], None]) -> Callable[[dict[Hashable, Any]], None]:
    """One cache patch applying two, in order (a write that settles kept rows and adds one)."""

    def patch(cache: dict[Hashable, Any]) -> None:
        first(cache)
        then(cache)
    return patch


def _since_keys(cache: dict[Hashable, Any]) -> list[tuple[str, float]]:
    """The cached days of counted rows, newest two only: older ones (asked before the market
    clock crossed midnight) are dropped rather than carried, as they grow with every write."""
    keys = sorted((k for k in cache if isinstance(k, tuple) and k[0] == "since"), key=lambda k: k[1])
    for stale in keys[:-2]:
        del cache[stale]
    return keys[-2:]


def _ledger_added(cache: dict[Hashable, Any], row: Submission) -> None:
    """A new ``sending`` row: into every day's counted rows it falls in, in flight, its symbol sent."""
    for key in _since_keys(cache):
        if row.time >= key[1]:
            times, rows = cache[key]
            at = bisect_right(times, row.time)
            cache[key] = ((*times[:at], row.time, *times[at:]), (*rows[:at], row, *rows[at:]))
    flying = cache.get("in_flight")
    if flying is not None:
        at = bisect_right([r.time for r in flying], row.time)
        cache["in_flight"] = (*flying[:at], row, *flying[at:])
    symbols = cache.get("symbols")
    if symbols is not None:
        cache["symbols"] = symbols | {row.symbol}


def _ledger_settled(cache: dict[Hashable, Any], key: str, status: SubmissionStatus) -> None:
    """A row's status moved: it stays counted (``sent``) or leaves the counted rows."""
    counted = status.value in COUNTED
    for ckey in _since_keys(cache):
        times, rows = cache[ckey]
        at = next((i for i in range(len(rows) - 1, -1, -1) if rows[i].key == key), None)
        if at is not None:
            if counted:
                cache[ckey] = (times, (*rows[:at], rows[at].model_copy(update={"status": status}), *rows[at + 1:]))
            else:
                cache[ckey] = ((*times[:at], *times[at + 1:]), (*rows[:at], *rows[at + 1:]))
    flying = cache.get("in_flight")
    if flying is not None:
        if status is SubmissionStatus.SENDING:
            cache.pop("in_flight")  # back in flight (not a move the gate makes): read again
        else:
            cache["in_flight"] = tuple(r for r in flying if r.key != key)
    if not counted:
        cache.pop("symbols", None)  # the symbol may have no counted row left: read again


_DAY_S = 86_400.0

#: Portable upsert (SQLite >= 3.24 and Postgres) of the one marks row.
_UPSERT_MARKS = ("INSERT INTO marks VALUES (1, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET"
                 " high_water_mark = excluded.high_water_mark, day = excluded.day,"
                 " day_start_equity = excluded.day_start_equity, last_equity = excluded.last_equity")


class TradingStateStore:
    """Trading state, marks, ledger and seen fills in one SQLite file (or its Postgres schema)."""

    def __init__(self, path: Path) -> None:
        self._db = open_database(path, _SCHEMA)
        self._closed = False
        self._settled_later: list[str] = []  # keys whose ``sent`` waits for the next write
        columns = self._db.columns("submissions")
        with self._db.write() as conn:  # ledgers written before rows had a status
            if "status" not in columns:
                conn.execute("ALTER TABLE submissions ADD COLUMN status TEXT NOT NULL DEFAULT 'sent'")
            if "notional" not in columns:
                conn.execute("ALTER TABLE submissions ADD COLUMN notional REAL")

    # state -----------------------------------------------------------------------------
    def current(self) -> StateRecord:
        """The state now (ACTIVE when never set)."""
        return self._db.cached("current", self._current)

    def _current(self) -> StateRecord:
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
                _UPSERT_MARKS,
                (equity, at.date().isoformat() if equity is not None else None, equity, equity),
            )
        return StateChange(previous=previous, state=TradingState.ACTIVE, reason=reason, by=by, time=at)

    @staticmethod
    def _state_in(conn: SqlConnection) -> TradingState:
        row = conn.execute("SELECT state FROM trading_state WHERE id = 1").fetchone()
        return TradingState.ACTIVE if row is None else TradingState(row[0])

    @staticmethod
    def _write_state(conn: SqlConnection, state: TradingState, reason: str, by: str, at: datetime) -> None:
        conn.execute(
            "INSERT INTO trading_state VALUES (1, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET state = excluded.state,"
            " reason = excluded.reason, changed_by = excluded.changed_by, changed_at = excluded.changed_at",
            (state.value, reason, by, _ts(at)),
        )

    # marks -----------------------------------------------------------------------------
    def marks(self) -> Marks:
        """The stored marks."""
        return self._db.cached("marks", self._marks)

    def _marks(self) -> Marks:
        rows = self._db.read("SELECT high_water_mark, day, day_start_equity, last_equity FROM marks WHERE id = 1")
        return Marks(**dict(rows[0])) if rows else Marks()

    def mark(self, equity: float, at: datetime) -> Marks:
        """Record equity: raise the high-water mark, start a new day at its first mark.

        A mark that would store what is stored already (equity unchanged since the last mark
        of the same day - a burst of orders at one market time) writes nothing.
        """
        day = at.date().isoformat()
        known = self.marks()
        if (known.day == day and known.last_equity == equity and known.day_start_equity is not None
                and known.high_water_mark is not None and known.high_water_mark >= equity):
            return known
        with self._db.write() as conn:
            row = conn.execute("SELECT high_water_mark, day, day_start_equity FROM marks WHERE id = 1").fetchone()
            hwm = equity if row is None or row[0] is None else max(row[0], equity)
            start = equity if row is None or row[1] != day or row[2] is None else row[2]
            conn.execute(_UPSERT_MARKS, (hwm, day, start, equity))
            marks = Marks(high_water_mark=hwm, day=day, day_start_equity=start, last_equity=equity)
            self._db.keep_cache(lambda cache: cache.__setitem__("marks", marks))
        return marks

    # ledger ----------------------------------------------------------------------------
    def begin_submission(self, sub: Submission) -> None:
        """Write the row ``sending`` before the broker is called (a crash counts it: fail closed).

        A key whose earlier attempt ended ``not_sent`` or ``refused`` may be attempted again.
        """
        with self._ledger_write() as (conn, settled):
            found = conn.execute("SELECT status FROM submissions WHERE key = ?", (sub.key,)).fetchone()
            if found is not None and found[0] in COUNTED:
                self._db.keep_cache(settled)  # the key is taken: the upsert below changes nothing more
            conn.execute(
                "INSERT INTO submissions (key, symbol, side, qty, time, approval_id, status, notional)"
                " VALUES (?, ?, ?, ?, ?, ?, 'sending', ?) ON CONFLICT(key) DO UPDATE SET"
                " symbol = excluded.symbol, side = excluded.side, qty = excluded.qty, time = excluded.time,"
                " approval_id = excluded.approval_id, status = 'sending', notional = excluded.notional"
                " WHERE submissions.status NOT IN ('sending', 'sent')",
                (sub.key, sub.symbol, sub.side, sub.qty, sub.time, sub.approval_id, sub.notional),
            )
            if found is None:  # a new row: the newest rowid, so it sorts after every row of its time
                row = sub if sub.status is SubmissionStatus.SENDING else sub.model_copy(
                    update={"status": SubmissionStatus.SENDING})
                self._db.keep_cache(_both(settled, lambda cache: _ledger_added(cache, row)))

    def end_submission(self, key: str, status: SubmissionStatus, later: bool = False) -> None:
        """Record how the broker call ended.

        ``later=True`` (only ``sending`` -> ``sent``, by the gate inside one of its operations)
        writes it with the ledger's next write, in the same transaction, or at
        :meth:`write_settled`, which the gate calls before it lets go of its lock. Both
        statuses count alike in every limit, so nothing decided meanwhile can tell them
        apart; a process killed first leaves the row ``sending``, which the next gate
        operation settles from the broker, as after any kill between the broker and the ledger.
        """
        if later and status is SubmissionStatus.SENT:
            self._settled_later.append(key)
            return
        with self._ledger_write() as (conn, settled):
            found = conn.execute("SELECT status FROM submissions WHERE key = ?", (key,)).fetchone()
            conn.execute("UPDATE submissions SET status = ? WHERE key = ?", (status.value, key))
            if found is None:
                self._db.keep_cache(settled)
            elif found[0] == SubmissionStatus.SENDING.value:  # the gate's move: from in flight to settled
                self._db.keep_cache(_both(settled, lambda cache: _ledger_settled(cache, key, status)))

    def write_settled(self) -> None:
        """Write the ``sent`` statuses kept by ``end_submission(..., later=True)`` now."""
        if not self._settled_later:
            return
        with self._ledger_write() as (_, settled):
            self._db.keep_cache(settled)

    @contextmanager
    def _ledger_write(self) -> Iterator[tuple[Any, Callable[[dict[Hashable, Any]], None]]]:
        """A ledger write that carries the kept ``sent`` statuses (and the cache patch for them);
        they count as written once it commits, and stay kept if it rolls back."""
        keys = list(self._settled_later)
        with self._db.write() as conn:
            moved = [key for key in keys
                     if conn.execute("UPDATE submissions SET status = 'sent' WHERE key = ? AND status = 'sending'",
                                     (key,)).rowcount == 1]

            def settled(cache: dict[Hashable, Any]) -> None:
                for key in moved:
                    _ledger_settled(cache, key, SubmissionStatus.SENT)
            yield conn, (settled if moved else _unchanged)
        del self._settled_later[:len(keys)]

    def submission(self, key: str) -> Submission | None:
        """The ledger row of ``key``, if any."""
        self.write_settled()
        rows = self._db.read("SELECT * FROM submissions WHERE key = ?", (key,))
        return Submission(**dict(rows[0])) if rows else None

    def in_flight(self) -> list[Submission]:
        """Rows still ``sending``: a process died between the ledger write and the outcome."""
        self.write_settled()
        return list(self._db.cached("in_flight", self._in_flight))

    def _in_flight(self) -> tuple[Submission, ...]:
        rows = self._db.read("SELECT * FROM submissions WHERE status = 'sending' ORDER BY time")
        return tuple(Submission(**dict(r)) for r in rows)

    def submissions_since(self, since: datetime) -> list[Submission]:
        """Counted ledger rows (sending or sent) at or after ``since``, oldest first.

        Served from the counted rows since the UTC midnight before ``since`` (remembered per
        day until the ledger changes), cut at ``since``: checks ask with a moving ``since``
        that almost always falls on the same day.
        """
        return list(self.recent_since(since)[1])

    def recent_since(self, since: datetime) -> tuple[tuple[float, ...], tuple[Submission, ...]]:
        """:meth:`submissions_since` with the rows' times, both oldest first (what a check bisects)."""
        ts = _ts(since)
        floor = ts - ts % _DAY_S
        times, rows = self._db.cached(("since", floor), lambda: self._counted_since(floor))
        at = bisect_left(times, ts)
        return (times[at:], rows[at:]) if at else (times, rows)

    def _counted_since(self, floor: float) -> tuple[tuple[float, ...], tuple[Submission, ...]]:
        found = self._db.read(f"SELECT * FROM submissions WHERE time >= ? AND {_COUNTED_SQL} ORDER BY time, rowid",
                              (floor,))
        rows = tuple(Submission(**dict(r)) for r in found)
        return tuple(r.time for r in rows), rows

    def all_submissions(self) -> list[Submission]:
        """Every ledger row, oldest first (for the audit cross-check)."""
        return [Submission(**dict(r)) for r in self._db.read("SELECT * FROM submissions ORDER BY time")]

    def has_key(self, key: str) -> bool:
        """True if the gate sent (or is sending) an order with this key."""
        return bool(self._db.read(f"SELECT 1 FROM submissions WHERE key = ? AND {_COUNTED_SQL}", (key,)))

    def symbols_sent(self) -> frozenset[str]:
        """Every symbol the gate ever sent an order for."""
        return self._db.cached("symbols", lambda: frozenset(
            r[0] for r in self._db.read(f"SELECT DISTINCT symbol FROM submissions WHERE {_COUNTED_SQL}")))

    # fills -----------------------------------------------------------------------------
    def seen_fills(self) -> frozenset[str]:
        """Every fill id recorded as audited."""
        return frozenset(r[0] for r in self._db.read("SELECT fill_id FROM seen_fills"))

    def unseen_fills(self, fill_ids: list[str]) -> list[str]:
        """The ids among ``fill_ids`` not yet recorded as audited (asked for those ids only:
        the table grows with every fill of the account's life)."""
        seen: set[str] = set()
        for start in range(0, len(fill_ids), 500):
            chunk = fill_ids[start:start + 500]
            marks = ", ".join("?" * len(chunk))
            seen.update(r[0] for r in self._db.read(f"SELECT fill_id FROM seen_fills WHERE fill_id IN ({marks})",
                                                    tuple(chunk)))
        return [f for f in fill_ids if f not in seen]

    def mark_fill_seen(self, fill_id: str) -> bool:
        """Record a fill as audited; False if another writer recorded it first."""
        with self._db.write() as conn:
            return conn.execute("INSERT INTO seen_fills VALUES (?) ON CONFLICT DO NOTHING", (fill_id,)).rowcount == 1

    def sync(self) -> None:
        """fsync what this file holds so far (the durable point of a group commit)."""
        self._db.sync()

    def close(self) -> None:
        """Close the file (once: the connection may be shared with the approvals)."""
        if not self._closed:
            try:
                self.write_settled()
            finally:
                self._closed = True
                self._db.close()
