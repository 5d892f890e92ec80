"""Durable approval requests: created by the gate, decided by a person, executed once.

Life cycle::

    pending --approve--> approved --execute--> submitting --broker took it--> executed
       |                   |                      |  \\--broker refused / re-check failed--> failed
       |                   |                      \\--crash before it reached the broker--> approved
       |  \\--reject---> rejected <--reject (veto, before anything was sent)
       \\--(expires passes)--> expired        (cannot be approved any more)

Every transition is a conditional UPDATE inside one durable transaction, so two people (or
a person and the graph) racing on one request cannot both win, and a killed process loses
no request it created. A rejection of an approved request that has not been sent is a
veto: a second person saying no before anything reaches the broker stops the order.
``submitting`` is written before the broker is called; a crash leaves it there and the
gate's recovery settles it from the broker's idempotency keys (sent -> executed, never
arrived -> approved again, to be re-checked and executed once). Times are wall-clock UTC:
expiry measures a person's reaction time.
"""

from __future__ import annotations

import builtins
import json
import secrets
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from guardrails._db import open_database
from guardrails.models import ApprovalRequest, ApprovalStatus, Reason
from taorui_engines.brokers.models import Order
from taorui_engines.errors import NotFoundError

__all__ = ["ApprovalStore", "new_approval_id", "not_open_message"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS approvals (
    id TEXT PRIMARY KEY,
    order_key TEXT NOT NULL,
    order_json TEXT NOT NULL,
    reasons_json TEXT NOT NULL,
    policy_hash TEXT NOT NULL,
    created REAL NOT NULL,
    expires REAL NOT NULL,
    status TEXT NOT NULL,
    decided_by TEXT,
    decided_at REAL,
    decision_reason TEXT,
    result TEXT
);
CREATE INDEX IF NOT EXISTS approvals_key ON approvals (order_key);
CREATE INDEX IF NOT EXISTS approvals_status ON approvals (status);
"""

_OPEN = (ApprovalStatus.PENDING.value, ApprovalStatus.APPROVED.value, ApprovalStatus.SUBMITTING.value)


def new_approval_id() -> str:
    """A short random request id such as ``apr-3f9c0a1b2c3d``."""
    return f"apr-{secrets.token_hex(6)}"


def _dt(value: float | None) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(value, UTC)


def _request(row: Any, now: datetime) -> ApprovalRequest:
    status = ApprovalStatus(row["status"])
    if status is ApprovalStatus.PENDING and now.timestamp() > row["expires"]:
        status = ApprovalStatus.EXPIRED
    return ApprovalRequest(
        id=row["id"], order=Order.model_validate_json(row["order_json"]),
        reasons=tuple(Reason.model_validate(r) for r in json.loads(row["reasons_json"])),
        policy_hash=row["policy_hash"], created=datetime.fromtimestamp(row["created"], UTC),
        expires=datetime.fromtimestamp(row["expires"], UTC),
        status=status, decided_by=row["decided_by"], decided_at=_dt(row["decided_at"]),
        decision_reason=row["decision_reason"], result=row["result"],
    )


class ApprovalStore:
    """Approval requests in one SQLite file."""

    def __init__(self, path: Path) -> None:
        self._db = open_database(path, _SCHEMA)
        self._closed = False

    def create(
        self, order: Order, reasons: Sequence[Reason], policy_hash: str, created: datetime, expires: datetime,
    ) -> ApprovalRequest:
        """Store a new pending request (durably) and return it."""
        request_id = new_approval_id()
        reasons_json = json.dumps([r.model_dump(mode="json") for r in reasons])
        with self._db.write() as conn:
            conn.execute(
                "INSERT INTO approvals (id, order_key, order_json, reasons_json, policy_hash, created, expires,"
                " status) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (request_id, order.key, order.model_dump_json(), reasons_json, policy_hash,
                 created.timestamp(), expires.timestamp(), ApprovalStatus.PENDING.value),
            )
        return self.get(request_id, created)

    def get(self, request_id: str, now: datetime) -> ApprovalRequest:
        """One request (status EXPIRED if pending past its expiry); NotFoundError if none."""
        rows = self._db.read("SELECT * FROM approvals WHERE id = ?", (request_id,))
        if not rows:
            raise NotFoundError(f"no approval request {request_id!r} (`taorui approvals list` shows them)")
        return _request(rows[0], now)

    def list(self, now: datetime, status: ApprovalStatus | None = None, limit: int = 200) -> list[ApprovalRequest]:
        """Requests, newest first, optionally of one status (expiry applied)."""
        rows = self._db.read("SELECT * FROM approvals ORDER BY created DESC LIMIT ?", (limit,))
        out = [_request(r, now) for r in rows]
        return [r for r in out if status is None or r.status is status]

    def open_for_key(self, order_key: str, now: datetime) -> ApprovalRequest | None:
        """The pending, approved or submitting request for this key, if any (expired ones excluded).

        Every check and proposal asks, almost always for a key no request holds: the keys of
        open requests (a handful) are remembered until the file changes, and only a key among
        them is looked up.
        """
        if order_key not in self._db.cached("open_keys", self._open_keys):
            return None
        rows = self._db.read(
            "SELECT * FROM approvals WHERE order_key = ? AND status IN (?, ?, ?) ORDER BY created DESC",
            (order_key, *_OPEN),
        )
        open_ = [r for r in (_request(row, now) for row in rows) if r.status is not ApprovalStatus.EXPIRED]
        return open_[0] if open_ else None

    def _open_keys(self) -> frozenset[str]:
        rows = self._db.read("SELECT DISTINCT order_key FROM approvals WHERE status IN (?, ?, ?)", _OPEN)
        return frozenset(r[0] for r in rows)

    def decide(
        self, request_id: str, approve: bool, by: str, reason: str, now: datetime,
    ) -> tuple[ApprovalRequest, bool, ApprovalRequest]:
        """Apply a person's decision if the request is still open to it.

        Returns ``(request before, applied, request after)``. An approval applies to a
        pending, unexpired request; a rejection also to an approved one that was not sent
        yet (a veto). Anything else leaves the request unchanged (``applied`` False).
        """
        before = self.get(request_id, now)
        status = ApprovalStatus.APPROVED if approve else ApprovalStatus.REJECTED
        with self._db.write() as conn:
            changed = conn.execute(
                "UPDATE approvals SET status = ?, decided_by = ?, decided_at = ?, decision_reason = ?"
                " WHERE id = ? AND ((status = ? AND expires >= ?) OR (? = 1 AND status = ?))",
                (status.value, by, now.timestamp(), reason, request_id, ApprovalStatus.PENDING.value,
                 now.timestamp(), 0 if approve else 1, ApprovalStatus.APPROVED.value),
            ).rowcount
        return before, changed == 1, self.get(request_id, now)

    def in_status(self, status: ApprovalStatus) -> builtins.list[ApprovalRequest]:
        """Every request stored with ``status`` (no expiry applied), oldest first.

        Remembered until the file changes: recovery asks for ``submitting`` before every gate
        operation, and the answer is almost always none.
        """
        return list(self._db.cached(("in_status", status.value), lambda: self._in_status(status)))

    def _in_status(self, status: ApprovalStatus) -> tuple[ApprovalRequest, ...]:
        rows = self._db.read("SELECT * FROM approvals WHERE status = ? ORDER BY created", (status.value,))
        return tuple(_request(r, datetime.fromtimestamp(0, UTC)) for r in rows)

    def all(self) -> builtins.list[ApprovalRequest]:
        """Every request as stored (for the audit cross-check), oldest first."""
        rows = self._db.read("SELECT * FROM approvals ORDER BY created")
        return [_request(r, datetime.fromtimestamp(0, UTC)) for r in rows]

    def finish(
        self, request_id: str, status: ApprovalStatus, result: str,
        expected: ApprovalStatus = ApprovalStatus.APPROVED,
    ) -> bool:
        """``expected`` -> ``status`` (approved -> executed/failed); False if another caller moved it first."""
        with self._db.write() as conn:
            changed = conn.execute(
                "UPDATE approvals SET status = ?, result = ? WHERE id = ? AND status = ?",
                (status.value, result, request_id, expected.value),
            ).rowcount
        return changed == 1

    def close(self) -> None:
        """Close the file (once: the connection may be shared with the trading state)."""
        if not self._closed:
            self._closed = True
            self._db.close()


def not_open_message(request: ApprovalRequest) -> str:
    """Why a decision on ``request`` could not be applied."""
    if request.status is ApprovalStatus.EXPIRED:
        return (f"approval request {request.id} expired at {request.expires:%Y-%m-%d %H:%M:%S} UTC; "
                "it can no longer be approved (the agent must propose the order again)")
    who = f" by {request.decided_by}" if request.decided_by else ""
    return f"approval request {request.id} is already {request.status.value}{who}; only pending requests can be decided"
