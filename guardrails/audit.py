"""The append-only, hash-chained audit log of every proposal, decision, approval and fill.

Each row stores ``hash = sha256(prev_hash, seq, time, kind, payload)`` where ``prev_hash``
is the previous row's hash (64 zeros for the first row), and a one-row ``audit_head`` table
holds the last sequence number and hash, written in the same transaction. So:

- an edited row no longer matches its hash;
- a deleted row leaves a gap in ``seq`` (or, at the tail, disagrees with the head);
- swapped or reordered rows break the chain at the first one out of place.

:meth:`AuditLog.verify` walks the chain and names the first bad row. Triggers refuse
UPDATE and DELETE so the log cannot be changed by mistake; someone who drops them on
purpose is caught by ``verify``. Each append is its own durable transaction (WAL,
``synchronous=FULL``): a killed process loses no row it has written.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterator, Mapping
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from guardrails._db import Database
from guardrails.reference import Clock, system_clock

__all__ = ["GENESIS_HASH", "AuditKind", "AuditLog", "AuditRecord", "VerifyReport", "canonical_json"]

#: ``prev_hash`` of the first row.
GENESIS_HASH = "0" * 64

_SCHEMA = """
CREATE TABLE IF NOT EXISTS audit (
    seq INTEGER PRIMARY KEY,
    time TEXT NOT NULL,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS audit_head (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    seq INTEGER NOT NULL,
    hash TEXT NOT NULL
);
CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
"""


class AuditKind(StrEnum):
    """What a row records."""

    PROPOSAL = "proposal"
    DECISION = "decision"
    CHECK = "check"
    APPROVAL_REQUESTED = "approval_requested"
    APPROVAL_GRANTED = "approval_granted"
    APPROVAL_REJECTED = "approval_rejected"
    SUBMISSION = "submission"
    SUBMISSION_FAILED = "submission_failed"
    FILL = "fill"
    CANCEL = "cancel"
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


class VerifyReport(BaseModel):
    """Result of walking the chain (``taorui audit verify --json``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    ok: bool
    records: int = Field(description="Rows present in the log.")
    first_bad: int | None = Field(description="seq of the first row that fails (or is missing).")
    problem: str | None = Field(default=None, description="What is wrong at first_bad.")


def _plain(value: Any) -> Any:
    """JSON-ready data; non-finite floats and unknown objects become strings, never errors."""
    if isinstance(value, BaseModel):
        return _plain(value.model_dump(mode="json"))
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, datetime):
        return value.isoformat()
    return repr(value)[:2000]


def canonical_json(payload: Mapping[str, Any]) -> str:
    """The exact text that is stored and hashed: sorted keys, no spaces, UTF-8."""
    return json.dumps(_plain(payload), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _row_hash(prev_hash: str, seq: int, time: str, kind: str, payload: str) -> str:
    text = "\n".join([prev_hash, str(seq), time, kind, payload])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class AuditLog:
    """Append-only hash-chained log in one SQLite file."""

    def __init__(self, path: Path, clock: Clock = system_clock) -> None:
        self._db = Database(path, _SCHEMA)
        self._clock = clock
        self.path = self._db.path

    def append(self, kind: AuditKind, payload: Mapping[str, Any]) -> AuditRecord:
        """Write one row (durably) and return it."""
        text = canonical_json(payload)
        time = self._clock().isoformat()
        with self._db.write() as conn:
            head = conn.execute("SELECT seq, hash FROM audit_head WHERE id = 1").fetchone()
            seq, prev = (head[0] + 1, head[1]) if head is not None else (1, GENESIS_HASH)
            digest = _row_hash(prev, seq, time, kind.value, text)
            conn.execute("INSERT INTO audit VALUES (?, ?, ?, ?, ?, ?)", (seq, time, kind.value, text, prev, digest))
            conn.execute("INSERT OR REPLACE INTO audit_head VALUES (1, ?, ?)", (seq, digest))
        return AuditRecord(seq=seq, time=datetime.fromisoformat(time), kind=kind,
                           payload=json.loads(text), prev_hash=prev, hash=digest)

    def count(self) -> int:
        """Rows in the log."""
        return int(self._db.read("SELECT COUNT(*) FROM audit")[0][0])

    def tail(self, n: int = 20, kind: AuditKind | None = None) -> list[AuditRecord]:
        """The last ``n`` rows (optionally of one kind), oldest first."""
        where, params = ("WHERE kind = ?", (kind.value, n)) if kind else ("", (n,))
        rows = self._db.read(f"SELECT * FROM audit {where} ORDER BY seq DESC LIMIT ?", params)
        return [_record(r) for r in reversed(rows)]

    def records(self, after: int = 0) -> list[AuditRecord]:
        """Every row with ``seq > after``, oldest first."""
        return [_record(r) for r in self._db.read("SELECT * FROM audit WHERE seq > ? ORDER BY seq", (after,))]

    def verify(self) -> VerifyReport:
        """Walk the chain; report the first row that is edited, missing or out of place."""
        rows = self._db.read("SELECT seq, time, kind, payload, prev_hash, hash FROM audit ORDER BY seq")
        head = self._db.read("SELECT seq, hash FROM audit_head WHERE id = 1")
        problem = _first_problem(iter(rows))
        if problem is None:
            problem = _head_problem(rows, head[0] if head else None)
        if problem is None:
            return VerifyReport(ok=True, records=len(rows), first_bad=None)
        return VerifyReport(ok=False, records=len(rows), first_bad=problem[0], problem=problem[1])

    def close(self) -> None:
        """Close the file."""
        self._db.close()


def _record(row: Any) -> AuditRecord:
    return AuditRecord(seq=row["seq"], time=datetime.fromisoformat(row["time"]), kind=AuditKind(row["kind"]),
                       payload=json.loads(row["payload"]), prev_hash=row["prev_hash"], hash=row["hash"])


def _first_problem(rows: Iterator[Any]) -> tuple[int, str] | None:
    """(seq, what) of the first broken link, walking from the genesis row."""
    expected_seq, prev = 1, GENESIS_HASH
    for seq, time, kind, payload, prev_hash, digest in rows:
        if seq != expected_seq:
            return expected_seq, f"row {expected_seq} is missing (next row present is {seq})"
        if prev_hash != prev:
            return seq, f"row {seq} does not follow row {seq - 1} (chain link broken: moved or replaced)"
        if _row_hash(prev_hash, seq, time, kind, payload) != digest:
            return seq, f"row {seq} was edited (its content no longer matches its hash)"
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
