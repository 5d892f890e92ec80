"""The append-only, hash-chained audit log of every proposal, decision, approval and fill.

Each row stores ``hash = sha256(prev_hash, seq, time, kind, payload)`` where ``prev_hash``
is the previous row's hash (64 zeros for the first row), and a one-row ``audit_head`` table
holds the last sequence number and hash, written in the same transaction. So:

- an edited row no longer matches its hash;
- a deleted row leaves a gap in ``seq`` (or, at the tail, disagrees with the head);
- swapped or reordered rows break the chain at the first one out of place.

:meth:`AuditLog.verify` walks the chain and names the first bad row. Triggers refuse
UPDATE and DELETE so the log cannot be changed by mistake; someone who drops them on
purpose is caught by ``verify``. Each append is its own transaction (WAL, ``synchronous=FULL``:
a killed process loses no row it has written). Inside a group commit (``Gate.propose`` and
the other gate operations) appends commit without their own fsync and the operation ends
with one fsync and one anchor move for all its rows, before it returns (:meth:`AuditLog.sync`).

Dry-run ``check`` rows are *buffered* (:meth:`AuditLog.buffer`): kept in memory and written
together, in one transaction without an fsync, when 256 are waiting, 100 ms after the first
of them, before any other row (so the chain keeps the order things happened in), before any
read of this log in this process, and at close and interpreter exit. A process killed with
SIGKILL loses the check rows of its last 100 ms at most - never a proposal, decision,
approval, submission or fill row, which are not buffered. A check moves no money and
changes no state; the price of its row was most of the cost of a check.

The chain is pinned from outside the database (``guardrails/_anchor.py``): every row also
carries ``mac = HMAC(key, hash)`` with a key kept in the anchor folder, and an anchor file
there records the log's id and its newest row. So truncating the tail, emptying or replacing
the file, or re-chaining edited rows is found by :meth:`AuditLog.verify` even by someone
who also rewrote the head table.
"""

from __future__ import annotations

import atexit
import hashlib
import hmac
import json
import logging
import math
import os
import secrets
import sqlite3
import threading
import weakref
from collections.abc import Iterator, Mapping
from datetime import datetime
from enum import StrEnum
from json.encoder import encode_basestring as _encode_key
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from guardrails._anchor import AnchorRecord, AuditAnchor, flush_anchors, row_mac
from guardrails._db import defer_sync, open_database
from guardrails.reference import Clock, system_clock

logger = logging.getLogger(__name__)

__all__ = ["GENESIS_HASH", "AuditKind", "AuditLog", "AuditRecord", "VerifyReport", "canonical_json", "default_anchor_dir"]

#: ``prev_hash`` of the first row.
GENESIS_HASH = "0" * 64

_SCHEMA = """
CREATE TABLE IF NOT EXISTS audit (
    seq INTEGER PRIMARY KEY,
    time TEXT NOT NULL,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL,
    mac TEXT
);
CREATE TABLE IF NOT EXISTS audit_head (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    seq INTEGER NOT NULL,
    hash TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS audit_meta (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    log_id TEXT NOT NULL
);
CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
"""

#: The same refusal on Postgres (a table owner who drops them is caught by the hash chain).
_PG_TRIGGERS = (
    "CREATE OR REPLACE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS "
    "$$ BEGIN RAISE EXCEPTION 'the audit log is append-only'; END $$",
    "CREATE OR REPLACE TRIGGER audit_no_update BEFORE UPDATE OR DELETE ON audit "
    "FOR EACH ROW EXECUTE FUNCTION audit_append_only()",
)


class AuditKind(StrEnum):
    """What a row records."""

    PROPOSAL = "proposal"
    DECISION = "decision"
    CHECK = "check"
    DECISION_REFUSED = "decision_refused"
    APPROVAL_REQUESTED = "approval_requested"
    APPROVAL_GRANTED = "approval_granted"
    APPROVAL_REJECTED = "approval_rejected"
    SUBMISSION = "submission"
    SUBMISSION_FAILED = "submission_failed"
    FILL = "fill"
    CANCEL = "cancel"
    ACCOUNT_RESET = "account_reset"
    STATE_CHANGE = "state_change"


class AuditRecord(BaseModel):
    """One row of the log."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    seq: int = Field(description="1, 2, 3, ... without gaps.")
    time: datetime = Field(description="Wall-clock time the row was written (UTC).")
    kind: AuditKind
    payload: dict[str, Any]
    prev_hash: str
    hash: str
    mac: str | None = Field(default=None, description="HMAC of hash with the key kept apart (None on legacy rows).")


class VerifyReport(BaseModel):
    """Result of walking the chain (``taorui audit verify --json``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    ok: bool
    records: int = Field(description="Rows present in the log.")
    first_bad: int | None = Field(description="seq of the first row that fails (or is missing).")
    problem: str | None = Field(default=None, description="What is wrong at first_bad.")
    anchored_seq: int | None = Field(default=None, description="Newest row recorded by the anchor outside the log.")


#: Nesting kept in a payload; deeper hostile structures are cut (and say so) rather than
#: overflowing the stack of the writer that must record them.
MAX_DEPTH = 12


#: Dry-run rows kept in memory before they are written in one transaction, and how long the
#: first of them may wait (see the module docstring).
BUFFER_ROWS = 256
BUFFER_SECONDS = 0.1


def _plain(value: Any, depth: int = 0) -> Any:
    """JSON-ready data; non-finite floats, unknown objects and over-deep nesting become
    strings, never errors."""
    if depth > MAX_DEPTH:
        return f"<cut: nested deeper than {MAX_DEPTH} levels>"
    kind = type(value)  # exact-type fast paths first: a check row is mostly str, float and dict
    if kind is str:
        return value[:10_000]
    if kind is int or kind is bool or value is None:
        return value
    if kind is float:
        return value if math.isfinite(value) else repr(value)
    if kind is dict:
        items = value.items() if len(value) <= 200 else list(value.items())[:200]
        if depth >= MAX_DEPTH:  # its values are past the cut
            return {str(k)[:200]: _plain(v, depth + 1) for k, v in items}
        out = {}
        for k, v in items:  # scalars inline: a row is mostly flat dicts of short strings
            name = k if type(k) is str and len(k) <= 200 else str(k)[:200]
            vkind = type(v)
            if vkind is str:
                out[name] = v if len(v) <= 10_000 else v[:10_000]
            elif v is None or vkind is int or vkind is bool:
                out[name] = v
            else:
                out[name] = _plain(v, depth + 1)
        return out
    if kind is tuple or kind is list:
        return [_plain(v, depth + 1) for v in (value if len(value) <= 200 else value[:200])]
    if kind is datetime:
        return value.isoformat()
    if issubclass(kind, StrEnum):  # decision, state, reason codes: their text, as a str would be
        return value[:10_000]
    return _plain_slow(value, depth)


#: Plain forms of frozen models serialised lately, by (id, depth), with the model itself (so
#: an id reused by a new object never matches): a proposal's order and attribution appear in
#: its proposal, decision and submission rows, and a frozen model cannot change in between.
_MODEL_MEMO: dict[tuple[int, int], tuple[BaseModel, Any]] = {}
_MODEL_MEMO_SIZE = 64


def _json_ready(value: Any, depth: int) -> bool:
    """True when ``_plain(value, depth)`` would return ``value`` unchanged (conservatively: False
    sends it through ``_plain``): JSON data with short strings and keys, finite floats, small
    containers, nested above the cut. A model's JSON dump almost always is; checking costs a
    fraction of rebuilding it."""
    kind = type(value)
    if kind is str:
        return len(value) <= 10_000
    if kind is int or kind is bool or value is None:
        return True
    if kind is float:
        return math.isfinite(value)
    if depth >= MAX_DEPTH:
        return False
    if kind is dict:
        if len(value) > 200:
            return False
        for k, v in value.items():
            if type(k) is not str or len(k) > 200:
                return False
            vkind = type(v)
            if vkind is str:
                if len(v) > 10_000:
                    return False
            elif not (v is None or vkind is int or vkind is bool) and not _json_ready(v, depth + 1):
                return False
        return True
    if kind is list:
        return len(value) <= 200 and all(_json_ready(v, depth + 1) for v in value)
    return False


def _dumped(value: BaseModel, depth: int) -> Any:
    dump = value.model_dump(mode="json")
    return dump if _json_ready(dump, depth) else _plain(dump, depth)


def _plain_model(value: BaseModel, depth: int) -> Any:
    if not type(value).model_config.get("frozen"):
        return _dumped(value, depth)
    key = (id(value), depth)
    hit = _MODEL_MEMO.get(key)
    if hit is not None and hit[0] is value:
        return hit[1]
    plain = _dumped(value, depth)
    if len(_MODEL_MEMO) >= _MODEL_MEMO_SIZE:
        _MODEL_MEMO.clear()
    _MODEL_MEMO[key] = (value, plain)
    return plain


def _plain_slow(value: Any, depth: int) -> Any:
    if depth > MAX_DEPTH:
        return f"<cut: nested deeper than {MAX_DEPTH} levels>"
    if isinstance(value, BaseModel):
        return _plain_model(value, depth)
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)
    if isinstance(value, Mapping):
        return {str(k)[:200]: _plain(v, depth + 1) for k, v in list(value.items())[:200]}
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(v, depth + 1) for v in list(value)[:200]]
    if isinstance(value, str):
        return value[:10_000]
    if value is None or isinstance(value, int | float | bool):
        return value
    if isinstance(value, datetime):
        return value.isoformat()
    return repr(value)[:2000]


#: ``json.dumps(..., sort_keys=True, separators=(",", ":"), ensure_ascii=False)``, built once
#: (``dumps`` with options builds an encoder per call). ``_plain`` output has no cycles.
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, check_circular=False)


def canonical_json(payload: Mapping[str, Any]) -> str:
    """The exact text that is stored and hashed: sorted keys, no spaces, UTF-8.

    A row's payload is a flat dict whose values are mostly frozen models (the order, its
    attribution) that recur in the proposal, decision and submission rows of one proposal:
    each such value's text is kept (:data:`_TEXT_MEMO`) and the dict is joined by hand, the
    same text ``_CANONICAL.encode(_plain(payload))`` gives (JSON is compositional).
    """
    if type(payload) is not dict or len(payload) > 200:
        return _CANONICAL.encode(_plain(payload))
    for key in payload:
        if type(key) is not str or len(key) > 200:
            return _CANONICAL.encode(_plain(payload))
    parts = []
    for key in sorted(payload):
        value = payload[key]
        if isinstance(value, BaseModel) and type(value).model_config.get("frozen"):
            text = _model_text(value)
        else:
            text = _CANONICAL.encode(_plain(value, 1))
        parts.append(f"{_encode_key(key)}:{text}")
    return "{" + ",".join(parts) + "}"


#: Text of frozen models serialised lately as a row's top-level value, by id, with the model
#: (an id reused by a new object never matches); see :data:`_MODEL_MEMO`.
_TEXT_MEMO: dict[int, tuple[BaseModel, str]] = {}


def _model_text(value: BaseModel) -> str:
    hit = _TEXT_MEMO.get(id(value))
    if hit is not None and hit[0] is value:
        return hit[1]
    text = _CANONICAL.encode(_plain_model(value, 1))
    if len(_TEXT_MEMO) >= _MODEL_MEMO_SIZE:
        _TEXT_MEMO.clear()
    _TEXT_MEMO[id(value)] = (value, text)
    return text


def _row_hash(prev_hash: str, seq: int, time: str, kind: str, payload: str) -> str:
    text = "\n".join([prev_hash, str(seq), time, kind, payload])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class AuditLog:
    """Append-only hash-chained log in one SQLite file, anchored in ``anchor_dir``.

    ``anchor_dir`` holds the MAC key and the anchor (default: ``audit_anchor`` beside the
    state folder, i.e. ``$TAORUI_HOME/audit_anchor``); see ``guardrails/_anchor.py``.
    """

    def __init__(self, path: Path, clock: Clock = system_clock, anchor_dir: Path | None = None) -> None:
        self._db = open_database(path, _SCHEMA, _PG_TRIGGERS)
        self.covers = (self._db,)  # :meth:`sync` syncs the file: a group commit need not sync it apart
        self._clock = clock
        self.path = self._db.path
        self._anchor = AuditAnchor(anchor_dir or default_anchor_dir(self.path), self.path)
        self._key = self._anchor.key
        self.log_id = self._open_meta()
        self._pending: list[tuple[AuditKind, str, str]] = []
        self._held = threading.local()  # rows held by each thread (:meth:`hold`)
        self._pending_lock = threading.Lock()
        self._timer: threading.Timer | None = None
        self._unanchored: tuple[int, str] | None = None
        self._closed = False
        _live_logs.setdefault(str(self.path.resolve()), weakref.WeakSet()).add(self)
        self._exit_hook = _exit_flusher(weakref.ref(self))
        atexit.register(self._exit_hook)

    def _open_meta(self) -> str:
        """The log's id (made on first open) and the anchor of a log that has none yet."""
        columns = self._db.columns("audit")
        with self._db.write() as conn:
            if "mac" not in columns:  # a log written before rows carried MACs
                conn.execute("ALTER TABLE audit ADD COLUMN mac TEXT")
            row = conn.execute("SELECT log_id FROM audit_meta WHERE id = 1").fetchone()
            log_id = row[0] if row is not None else f"log-{secrets.token_hex(8)}"
            if row is None:
                conn.execute("INSERT INTO audit_meta VALUES (1, ?)", (log_id,))
            head = conn.execute("SELECT seq, hash FROM audit_head WHERE id = 1").fetchone()
            legacy = conn.execute("SELECT COUNT(*) FROM audit WHERE mac IS NULL").fetchone()[0]
        if self._anchor.read() is None:
            seq, digest = (head[0], head[1]) if head is not None else (0, GENESIS_HASH)
            self._anchor.advance(log_id, seq, digest, legacy_rows=int(legacy))
        return str(log_id)

    @property
    def anchor_path(self) -> Path:
        """The anchor file of this log."""
        return self._anchor.path

    def append(self, kind: AuditKind, payload: Mapping[str, Any], durable: bool = True) -> AuditRecord:
        """Write one row, move the anchor, and return the row.

        ``durable=False`` (dry-run checks) skips the fsync of this commit and the anchor move: the
        row survives a killed process and is synced and anchored by the next durable row; until
        then only a power cut could lose it, and cutting it off the tail would not be seen. Such
        a row records no decision that moved money.

        Inside a group commit (``guardrails._db.group_commit``) a durable row also commits
        without its fsync; the scope's end calls :meth:`sync`, which fsyncs and moves the
        anchor once for every row of the operation before the caller gets its answer.
        """
        seq, time, text, prev, digest, mac = self.write(kind, payload, durable)
        return AuditRecord(seq=seq, time=datetime.fromisoformat(time), kind=kind,
                           payload=json.loads(text), prev_hash=prev, hash=digest, mac=mac)

    def _insert(self, conn: Any, kind: str, time: str, text: str) -> tuple[int, str, str, str]:
        """Chain one row after the head inside the open transaction; (seq, prev, hash, mac)."""
        head = conn.execute("SELECT seq, hash FROM audit_head WHERE id = 1").fetchone()
        seq, prev = (head[0] + 1, head[1]) if head is not None else (1, GENESIS_HASH)
        digest = _row_hash(prev, seq, time, kind, text)
        mac = row_mac(self._key, digest)
        conn.execute("INSERT INTO audit (seq, time, kind, payload, prev_hash, hash, mac) VALUES (?, ?, ?, ?, ?, ?, ?)",
                     (seq, time, kind, text, prev, digest, mac))
        conn.execute("INSERT INTO audit_head VALUES (1, ?, ?) ON CONFLICT (id) DO UPDATE SET seq = excluded.seq,"
                     " hash = excluded.hash", (seq, digest))
        return seq, prev, digest, mac

    def write(self, kind: AuditKind, payload: Mapping[str, Any], durable: bool = True,
              ) -> tuple[int, str, str, str, str, str]:
        """:meth:`append` without building the record it returns (the gate's path: it keeps
        none); ``(seq, time, payload text, prev hash, hash, mac)``."""
        self.flush()  # buffered check rows happened first: they keep their place in the chain
        text = canonical_json(payload)
        time = self._clock().isoformat()
        held = self._take_held()
        try:
            with self._db.write(durable=durable) as conn:  # this thread's held rows came first
                seq, prev, digest, mac = self._insert_rows(conn, [*held, (kind, time, text)])
        except BaseException:
            self._held_rows().extend(held)  # rolled back with the row: still owed
            raise
        if durable:  # a dry-run row is anchored by the next durable row, which covers it in the chain
            self._anchor_row(seq, digest)
        return seq, time, text, prev, digest, mac

    def _anchor_row(self, seq: int, digest: str) -> None:
        """Move the anchor to a durable row: now, or at the group commit's durable point (:meth:`sync`)."""
        if defer_sync(self):
            self._unanchored = (seq, digest)
        else:
            self._anchor.advance(self.log_id, seq, digest)

    def hold(self, kind: AuditKind, payload: Mapping[str, Any]) -> None:
        """Serialise a durable row now and write it with this thread's next row, in the same
        transaction, before it (or at :meth:`release`).

        For a proposal: its row and the decision row commit together - one transaction, not
        two - and both before anything the decision causes. Nothing happens between them
        that moves money, so a process killed in between has decided nothing that needed
        recording; every path out of the operation writes it (``Gate.propose`` releases it
        in ``finally``).
        """
        self._held_rows().append((kind, self._clock().isoformat(), canonical_json(payload)))

    def release(self) -> None:
        """Write this thread's held rows, if any are left (durable, like :meth:`write`)."""
        held = self._take_held()
        if not held:
            return
        self.flush()
        try:
            with self._db.write() as conn:
                seq, _, digest, _ = self._insert_rows(conn, held)
        except BaseException:
            self._held_rows().extend(held)
            raise
        self._anchor_row(seq, digest)

    def _held_rows(self) -> list[tuple[AuditKind, str, str]]:
        rows: list[tuple[AuditKind, str, str]] | None = getattr(self._held, "rows", None)
        if rows is None:
            rows = self._held.rows = []
        return rows

    def _take_held(self) -> list[tuple[AuditKind, str, str]]:
        rows: list[tuple[AuditKind, str, str]] | None = getattr(self._held, "rows", None)
        if not rows:
            return []
        self._held.rows = []
        return rows

    def _insert_rows(self, conn: Any, rows: list[tuple[AuditKind, str, str]]) -> tuple[int, str, str, str]:
        """Chain ``rows`` (at least one) inside the open transaction; (seq, prev, hash, mac) of the last."""
        if not isinstance(conn, sqlite3.Connection):
            for kind, time, text in rows:
                last = self._insert(conn, kind.value, time, text)
            return last
        values = self._insert_batch(conn, rows)
        seq, _, _, _, prev, digest, mac = values[-1]
        return seq, prev, digest, mac

    def _insert_batch(self, conn: sqlite3.Connection, rows: list[tuple[AuditKind, str, str]],
                      ) -> list[tuple[int, str, str, str, str, str, str]]:
        """Chain ``rows`` after the head in one statement batch (the same rows as one
        :meth:`_insert` each: the head is read once and moved once); the rows written."""
        head = conn.execute("SELECT seq, hash FROM audit_head WHERE id = 1").fetchone()
        seq, prev = (head[0], head[1]) if head is not None else (0, GENESIS_HASH)
        values = []
        for kind, time, text in rows:
            seq += 1
            digest = _row_hash(prev, seq, time, kind.value, text)
            values.append((seq, time, kind.value, text, prev, digest, row_mac(self._key, digest)))
            prev = digest
        conn.executemany("INSERT INTO audit (seq, time, kind, payload, prev_hash, hash, mac) VALUES (?, ?, ?, ?, ?, ?, ?)",
                         values)
        if values:
            conn.execute("INSERT INTO audit_head VALUES (1, ?, ?) ON CONFLICT (id) DO UPDATE SET seq = excluded.seq,"
                         " hash = excluded.hash", (seq, prev))
        return values

    def buffer(self, kind: AuditKind, payload: Mapping[str, Any]) -> None:
        """Record a dry-run row later, in a batch (see the module docstring for when).

        The payload is serialised now, so the row says what was true at the call even if
        the caller changes its objects afterwards; only the chaining and the write wait.
        For rows that move no money only: a SIGKILL loses what is still buffered.
        """
        row = (kind, self._clock().isoformat(), canonical_json(payload))
        with self._pending_lock:
            self._pending.append(row)
            full = len(self._pending) >= BUFFER_ROWS
            if not full and self._timer is None:
                self._timer = threading.Timer(BUFFER_SECONDS, self._flush_quietly)
                self._timer.daemon = True
                self._timer.start()
        if full:
            self.flush()

    def flush(self) -> int:
        """Write the buffered dry-run rows in one transaction (no fsync); how many."""
        if not self._pending:
            return 0
        with self._db.write(durable=False) as conn:  # holds the connection's lock: one flusher at a time
            with self._pending_lock:
                rows, self._pending = self._pending, []
                timer, self._timer = self._timer, None
            if rows:
                self._insert_rows(conn, rows)
        if timer is not None:
            timer.cancel()
        return len(rows)

    def _flush_quietly(self) -> None:
        """The timer's and the exit hook's flush: a failure is logged, not raised into a thread."""
        try:
            if not self._closed:
                self.flush()
        except Exception as exc:  # the rows stay buffered; the next append or close tries again
            logger.warning("could not write buffered audit rows to %s: %s", self.path, exc)

    def sync(self) -> None:
        """The durable point of a group commit: fsync the log, then move the anchor once.

        The row to anchor is taken *before* the fsync: a row another thread commits while this
        fsync runs may not be on disk when it returns, and an anchor ahead of the durable log
        would read as a truncated log after a power cut. That row is anchored by its own sync.
        """
        pending, self._unanchored = self._unanchored, None
        try:
            self._db.sync()
        except BaseException:
            if pending is not None and self._unanchored is None:
                self._unanchored = pending  # still owed to the next durable point
            raise
        if pending is not None:
            self._anchor.advance_soon(self.log_id, *pending)

    def count(self) -> int:
        """Rows in the log."""
        _flush_path(self.path)
        return int(self._db.read("SELECT COUNT(*) FROM audit")[0][0])

    def tail(self, n: int = 20, kind: AuditKind | None = None) -> list[AuditRecord]:
        """The last ``n`` rows (optionally of one kind), oldest first."""
        _flush_path(self.path)
        where, params = ("WHERE kind = ?", (kind.value, n)) if kind else ("", (n,))
        rows = self._db.read(f"SELECT * FROM audit {where} ORDER BY seq DESC LIMIT ?", params)
        return [_record(r) for r in reversed(rows)]

    def records(self, after: int = 0, kinds: tuple[AuditKind, ...] = ()) -> list[AuditRecord]:
        """Every row with ``seq > after`` (of ``kinds`` when given), oldest first."""
        _flush_path(self.path)
        if kinds:
            marks = ", ".join("?" * len(kinds))
            rows = self._db.read(f"SELECT * FROM audit WHERE seq > ? AND kind IN ({marks}) ORDER BY seq",
                                 (after, *[k.value for k in kinds]))
        else:
            rows = self._db.read("SELECT * FROM audit WHERE seq > ? ORDER BY seq", (after,))
        return [_record(r) for r in rows]

    def has_submission(self, key: str, at: float) -> bool:
        """Whether the log's last submission row for order ``key`` records the attempt begun at
        market time ``at`` (epoch seconds, the ledger row's ``time``).

        Recovery asks before it records a submission it found at the broker: a process killed
        after the row committed but before the ledger was settled has already recorded it, and
        a second row would read as the order sent twice. Only the newest row counts: a key may
        be attempted again after an attempt that was not sent.
        """
        _flush_path(self.path)
        pattern = "%" + json.dumps(key, ensure_ascii=False).replace("\\", "\\\\").replace(
            "%", "\\%").replace("_", "\\_") + "%"
        rows = self._db.read("SELECT kind, payload FROM audit WHERE kind IN (?, ?) AND payload LIKE ? ESCAPE '\\'"
                             " ORDER BY seq DESC", (AuditKind.SUBMISSION.value, AuditKind.SUBMISSION_FAILED.value,
                                                    pattern))
        for row in rows:
            payload = json.loads(row["payload"])
            if order_key_of(payload) != key:
                continue
            if row["kind"] != AuditKind.SUBMISSION.value:
                return False
            try:
                return abs(datetime.fromisoformat(str(payload.get("as_of"))).timestamp() - at) < 1e-3
            except ValueError:
                return False
        return False

    def verify(self) -> VerifyReport:
        """Walk the chain and check it against its MACs and its anchor; report the first row
        that is edited, forged, missing or out of place."""
        _flush_path(self.path)
        flush_anchors()  # moves of this process's operations still waiting for the writer
        rows = self._db.read("SELECT seq, time, kind, payload, prev_hash, hash, mac FROM audit ORDER BY seq")
        head = self._db.read("SELECT seq, hash FROM audit_head WHERE id = 1")
        anchor = self._anchor.read()
        legacy = anchor.legacy_rows if anchor is not None else 0
        problem = _first_problem(iter(rows), self._key, legacy)
        if problem is None:
            problem = _head_problem(rows, head[0] if head else None)
        if problem is None:
            problem = self._anchor_problem(rows, anchor)
        anchored = anchor.seq if anchor is not None else None
        if problem is None:
            return VerifyReport(ok=True, records=len(rows), first_bad=None, anchored_seq=anchored)
        return VerifyReport(ok=False, records=len(rows), first_bad=problem[0], problem=problem[1],
                            anchored_seq=anchored)

    def _anchor_problem(self, rows: list[Any], anchor: AnchorRecord | None) -> tuple[int, str] | None:
        """A log behind its anchor was truncated; one with another id was replaced."""
        last = rows[-1][0] if rows else 0
        if anchor is None:
            return (1, f"the anchor {self._anchor.path} is missing: the log cannot be checked for truncation")
        if not self._anchor.authentic(anchor):
            return (anchor.seq, f"the anchor {self._anchor.path} was not written with the audit key (forged)")
        if anchor.log_id != self.log_id:
            return (1, f"this log ({self.log_id}, {last} rows) is not the one anchored ({anchor.log_id}, "
                       f"{anchor.seq} rows): the audit log was replaced or emptied")
        if anchor.seq > last:
            return (last + 1, f"rows {last + 1}..{anchor.seq} are missing: the anchor records {anchor.seq} rows "
                              f"and the log ends at {last} (truncated)")
        if anchor.seq > 0 and rows[anchor.seq - 1][5] != anchor.hash:
            return (anchor.seq, f"row {anchor.seq} does not match the anchor's hash (replaced)")
        return None

    def close(self) -> None:
        """Write what is buffered, then close the file (a second call does nothing)."""
        if self._closed:
            return
        try:
            self.flush()
        finally:
            self._closed = True
            atexit.unregister(self._exit_hook)
            self._anchor.close()
            self._db.close()


#: Open logs of this process by file: a read through one instance first writes what any
#: other instance on the same file still buffers (a reader never misses a check row).
_live_logs: dict[str, weakref.WeakSet[AuditLog]] = {}


def _flush_path(path: Path) -> None:
    for log in list(_live_logs.get(str(Path(path).resolve()), ())):
        if not log._closed:
            log.flush()


def _forget_buffers_in_child() -> None:
    """A forked child must not write its parent's buffered rows a second time: they are the
    parent's to write. It starts with empty buffers and fresh locks (no timer thread followed it)."""
    for logs in _live_logs.values():
        for log in list(logs):
            log._pending, log._timer, log._pending_lock = [], None, threading.Lock()


os.register_at_fork(after_in_child=_forget_buffers_in_child)


def _exit_flusher(ref: weakref.ref[AuditLog]) -> Any:
    """An exit hook that flushes the log if it still exists (it does not keep it alive)."""
    def flush_at_exit() -> None:
        log = ref()
        if log is not None:
            log._flush_quietly()
    return flush_at_exit


def default_anchor_dir(log_path: Path) -> Path:
    """``audit_anchor`` beside the folder holding the log (``$TAORUI_HOME/audit_anchor``)."""
    return Path(log_path).resolve().parent.parent / "audit_anchor"


def order_key_of(payload: dict[str, Any]) -> str | None:
    """The order key a row is about: its order's, or the ``order_key`` a row without the order names."""
    order = payload.get("order")
    key = order.get("key") if isinstance(order, dict) else None
    return str(key) if key else (str(payload["order_key"]) if payload.get("order_key") else None)


def _record(row: Any) -> AuditRecord:
    return AuditRecord(seq=row["seq"], time=datetime.fromisoformat(row["time"]), kind=AuditKind(row["kind"]),
                       payload=json.loads(row["payload"]), prev_hash=row["prev_hash"], hash=row["hash"],
                       mac=row["mac"])


def _first_problem(rows: Iterator[Any], key: bytes, legacy_rows: int) -> tuple[int, str] | None:
    """(seq, what) of the first broken link or bad MAC, walking from the genesis row."""
    expected_seq, prev = 1, GENESIS_HASH
    for seq, time, kind, payload, prev_hash, digest, mac in rows:
        if seq != expected_seq:
            return expected_seq, f"row {expected_seq} is missing (next row present is {seq})"
        if prev_hash != prev:
            return seq, f"row {seq} does not follow row {seq - 1} (chain link broken: moved or replaced)"
        if _row_hash(prev_hash, seq, time, kind, payload) != digest:
            return seq, f"row {seq} was edited (its content no longer matches its hash)"
        if seq > legacy_rows and (mac is None or not hmac.compare_digest(mac, row_mac(key, digest))):
            return seq, f"row {seq} has no valid MAC: it was forged or re-chained without the audit key"
        expected_seq, prev = seq + 1, digest
    return None


def _head_problem(rows: list[Any], head: Any | None) -> tuple[int, str] | None:
    """Rows deleted at the tail are only visible against the head written with each append."""
    last_seq, last_hash = (rows[-1][0], rows[-1][5]) if rows else (0, GENESIS_HASH)
    if head is None:
        return (1, "the log head is missing although rows exist") if rows else None
    if head[0] > last_seq:
        return last_seq + 1, f"rows after {last_seq} are missing (the head records {head[0]} rows)"
    if head[0] < last_seq:
        return head[0] + 1, f"row {head[0] + 1} was added outside the log (the head ends at {head[0]})"
    if head[1] != last_hash:
        return last_seq, f"row {last_seq} does not match the head's hash (replaced)"
    return None
