"""``audit verify`` beyond the chain: every record elsewhere must have its row in the log.

A chain that verifies proves the rows present are the rows written. It cannot see a row that
was never written: a submission whose audit write was lost in a crash, a fill made behind
the gate's back, an approval decided by editing the database. So the gate's own records are
checked against the log:

- the ledger: a ``sent`` order has a ``submission`` row and its key is at the broker; a
  ``not_sent`` or ``refused`` one has a ``submission_failed`` (or ``submission``) row; a
  ``sending`` one is still in flight (a process was killed; any gate command settles it);
- approvals: every request has its ``approval_requested`` row, every person's decision its
  ``approval_granted`` / ``approval_rejected`` row, an executed request its submission;
- the broker: every order it holds has a ``submission`` row (the gate is the only sender)
  and every fill a ``fill`` row.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from guardrails.audit import AuditKind, AuditRecord, VerifyReport, order_key_of
from guardrails.models import ApprovalRequest, ApprovalStatus
from guardrails.state import Submission, SubmissionStatus
from taorui_engines.brokers.models import Fill, OrderState

__all__ = ["AuditVerification", "CrossCheckProblem", "cross_check"]


class CrossCheckProblem(BaseModel):
    """One record without its audit row (or an audit row without its record)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: str = Field(description="ledger | approval | broker_order | broker_fill | in_flight | broker")
    ref: str = Field(description="The order key, approval id or fill id concerned.")
    message: str


class AuditVerification(BaseModel):
    """The chain report plus the cross-check (``taorui audit verify --json``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    ok: bool = Field(description="True only if the chain verifies and nothing is missing from it.")
    records: int
    first_bad: int | None
    problem: str | None
    anchored_seq: int | None
    chain_ok: bool
    cross_check: tuple[CrossCheckProblem, ...] = ()
    checked: dict[str, int] = Field(default_factory=dict, description="How many records of each kind were checked.")


class _Index:
    """What the log says happened, by key / id."""

    def __init__(self, records: Iterable[AuditRecord]) -> None:
        self.submitted: set[str] = set()
        self.failed: set[str] = set()
        self.fills: set[str] = set()
        self.requested: set[str] = set()
        self.granted: set[str] = set()
        self.rejected: set[str] = set()
        for record in records:
            self._add(record.kind, record.payload)

    def _add(self, kind: AuditKind, payload: dict[str, Any]) -> None:
        key = order_key_of(payload)
        if kind is AuditKind.SUBMISSION and key:
            self.submitted.add(key)
        elif kind is AuditKind.SUBMISSION_FAILED and key:
            self.failed.add(key)
        elif kind is AuditKind.FILL:
            self.fills.add(str((payload.get("fill") or {}).get("fill_id")))
        elif kind is AuditKind.APPROVAL_REQUESTED:
            self.requested.add(str(payload.get("approval_id")))
        elif kind is AuditKind.APPROVAL_GRANTED:
            self.granted.add(str(payload.get("approval_id")))
        elif kind is AuditKind.APPROVAL_REJECTED:
            self.rejected.add(str(payload.get("approval_id")))


def _ledger(rows: list[Submission], log: _Index, has_key: Callable[[str], bool] | None) -> list[CrossCheckProblem]:
    out = []
    for sub in rows:
        if sub.status is SubmissionStatus.SENDING:
            out.append(CrossCheckProblem(kind="in_flight", ref=sub.key, message=(
                f"order {sub.key} is still being sent: a process was interrupted; any gate command "
                "(e.g. `taorui audit recover`) settles it from the broker")))
        elif sub.status is SubmissionStatus.SENT and sub.key not in log.submitted:
            out.append(CrossCheckProblem(kind="ledger", ref=sub.key,
                                         message=f"the ledger says order {sub.key} was sent but the log has no submission"))
        elif sub.status is SubmissionStatus.SENT and has_key is not None and not has_key(sub.key):
            out.append(CrossCheckProblem(kind="ledger", ref=sub.key,
                                         message=f"order {sub.key} is recorded as sent but the broker never received it"))
        elif sub.status in (SubmissionStatus.NOT_SENT, SubmissionStatus.REFUSED) and not (
                sub.key in log.failed or sub.key in log.submitted):
            out.append(CrossCheckProblem(kind="ledger", ref=sub.key, message=(
                f"order {sub.key} ended {sub.status.value} but the log has no submission or failure row")))
    return out


def _approvals(requests: list[ApprovalRequest], log: _Index) -> list[CrossCheckProblem]:
    out = []
    for r in requests:
        missing = []
        if r.id not in log.requested:
            missing.append("approval_requested")
        if r.status is ApprovalStatus.REJECTED and r.id not in log.rejected:
            missing.append("approval_rejected")
        if r.status in (ApprovalStatus.APPROVED, ApprovalStatus.SUBMITTING, ApprovalStatus.EXECUTED) \
                and r.id not in log.granted:
            missing.append("approval_granted")
        if r.status is ApprovalStatus.EXECUTED and r.order.key not in log.submitted:
            missing.append("submission")
        if missing:
            out.append(CrossCheckProblem(kind="approval", ref=r.id, message=(
                f"approval request {r.id} is {r.status.value} but the log has no {', '.join(missing)} row")))
        if r.status is ApprovalStatus.SUBMITTING:
            out.append(CrossCheckProblem(kind="in_flight", ref=r.id, message=(
                f"approval request {r.id} is being sent: a process was interrupted; any gate command settles it")))
    return out


def _broker(orders: list[OrderState], fills: list[Fill], log: _Index) -> list[CrossCheckProblem]:
    out = [CrossCheckProblem(kind="broker_order", ref=s.order.key, message=(
        f"the broker holds order {s.order.key} ({s.order.side.value} {s.order.qty:g} {s.order.symbol}) "
        "but the log has no submission: it was sent outside the gate or its row was lost"))
        for s in orders if s.order.key not in log.submitted]
    out += [CrossCheckProblem(kind="broker_fill", ref=f.fill_id, message=(
        f"fill {f.fill_id} ({f.side.value} {f.qty:g} {f.symbol} @ {f.price:g}) is at the broker but not in the log"))
        for f in fills if f.fill_id not in log.fills]
    return out


def cross_check(
    chain: VerifyReport, records: list[AuditRecord], ledger: list[Submission], requests: list[ApprovalRequest],
    orders: list[OrderState] | None, fills: list[Fill] | None, broker_problem: str | None = None,
    has_key: Callable[[str], bool] | None = None,
) -> AuditVerification:
    """The chain report with every ledger row, request, broker order and fill checked against the log."""
    log = _Index(records)
    problems = _ledger(ledger, log, has_key) + _approvals(requests, log)
    if broker_problem is not None:
        problems.append(CrossCheckProblem(kind="broker", ref="broker", message=broker_problem))
    problems += _broker(orders or [], fills or [], log)
    checked = {"ledger": len(ledger), "approvals": len(requests), "broker_orders": len(orders or []),
               "broker_fills": len(fills or [])}
    return AuditVerification(ok=chain.ok and not problems, records=chain.records, first_bad=chain.first_bad,
                             problem=chain.problem, anchored_seq=chain.anchored_seq, chain_ok=chain.ok,
                             cross_check=tuple(problems), checked=checked)
