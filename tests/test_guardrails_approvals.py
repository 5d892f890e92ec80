"""Approval requests through the gate: durable, decided by a person, re-checked, executed once."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from guardrails import ApprovalStatus, AuditKind, Decision, FixedClock, Gate, TradingState, default_policy
from taorui_engines.brokers.models import Attribution
from taorui_engines.errors import InvalidArgumentError, NotFoundError
from tests.test_guardrails_fakes import InMemoryBroker, make_gate, open_policy, order

WHO = Attribution(agent="trader", thread_id="thread-1", instruction_id="instr-1")


@pytest.fixture
def desk(tmp_path: Path) -> tuple[Gate, InMemoryBroker, FixedClock]:
    gate, broker, _, clock = make_gate(tmp_path, policy=open_policy(approvals={"always": True}))
    return gate, broker, clock


def test_a_needs_approval_decision_stores_a_request_and_sends_nothing(desk: tuple[Gate, InMemoryBroker, FixedClock]) -> None:
    gate, broker, _ = desk
    outcome = gate.propose(order(qty=2), WHO)
    assert outcome.decision is Decision.NEEDS_APPROVAL
    assert outcome.approval_id is not None
    assert broker.submitted == []
    request = gate.approval(outcome.approval_id)
    assert request.status is ApprovalStatus.PENDING
    assert request.order.attribution == WHO
    assert [r.code.value for r in request.reasons] == ["approval_always"]
    assert request.expires - request.created == timedelta(minutes=60)


def test_an_approved_order_is_sent_once_with_its_key(desk: tuple[Gate, InMemoryBroker, FixedClock]) -> None:
    gate, broker, _ = desk
    proposed = gate.propose(order(qty=2, key="key-approved-1"), WHO)
    assert proposed.approval_id is not None
    gate.approve(proposed.approval_id, "alice", "looks fine")
    first = gate.execute_approved(proposed.approval_id)
    second = gate.execute_approved(proposed.approval_id)
    assert (first.decision, first.submitted) == (Decision.ALLOW, True)
    assert (second.decision, second.submitted) == (Decision.ALLOW, False)
    assert broker.submitted == ["key-approved-1"]
    assert second.order_state is not None and second.order_state.filled_qty == 2
    assert gate.approval(proposed.approval_id).status is ApprovalStatus.EXECUTED


def test_the_approver_is_carried_into_the_order_and_the_audit_log(desk: tuple[Gate, InMemoryBroker, FixedClock]) -> None:
    gate, _, _ = desk
    proposed = gate.propose(order(qty=2), WHO)
    assert proposed.approval_id is not None
    gate.approve(proposed.approval_id, "alice")
    outcome = gate.execute_approved(proposed.approval_id)
    assert outcome.order is not None and outcome.order.attribution.approver == "alice"
    submission = gate.audit_log.tail(1, AuditKind.SUBMISSION)[0].payload
    assert submission["attribution"] == {"agent": "trader", "thread_id": "thread-1", "instruction_id": "instr-1",
                                         "approver": "alice"}
    assert submission["approval_id"] == proposed.approval_id
    assert submission["policy_hash"] == gate.policy_hash


def test_an_approved_order_is_rechecked_at_submit_time(desk: tuple[Gate, InMemoryBroker, FixedClock]) -> None:
    gate, broker, _ = desk
    proposed = gate.propose(order(qty=2), WHO)
    assert proposed.approval_id is not None
    gate.approve(proposed.approval_id, "alice")
    gate.halt("market closed early", "bob")
    outcome = gate.execute_approved(proposed.approval_id)
    assert outcome.decision is Decision.REJECT
    assert outcome.reason_codes() == ["trading_halted"]
    assert broker.submitted == []
    assert gate.approval(proposed.approval_id).status is ApprovalStatus.FAILED


def test_a_rejected_request_is_never_sent(desk: tuple[Gate, InMemoryBroker, FixedClock]) -> None:
    gate, broker, _ = desk
    proposed = gate.propose(order(qty=2), WHO)
    assert proposed.approval_id is not None
    request = gate.reject(proposed.approval_id, "alice", "too early in the day")
    assert (request.status, request.decided_by, request.decision_reason) == (
        ApprovalStatus.REJECTED, "alice", "too early in the day")
    outcome = gate.execute_approved(proposed.approval_id)
    assert outcome.decision is Decision.REJECT
    assert outcome.reason_codes() == ["not_approved"]
    assert broker.submitted == []


def test_a_rejection_needs_a_reason(desk: tuple[Gate, InMemoryBroker, FixedClock]) -> None:
    gate, _, _ = desk
    proposed = gate.propose(order(qty=2), WHO)
    assert proposed.approval_id is not None
    with pytest.raises(InvalidArgumentError):
        gate.reject(proposed.approval_id, "alice", "  ")
    assert gate.approval(proposed.approval_id).status is ApprovalStatus.PENDING


def test_an_expired_request_cannot_be_approved(desk: tuple[Gate, InMemoryBroker, FixedClock]) -> None:
    gate, broker, clock = desk
    proposed = gate.propose(order(qty=2), WHO)
    assert proposed.approval_id is not None
    clock.advance(timedelta(minutes=61))
    assert gate.approval(proposed.approval_id).status is ApprovalStatus.EXPIRED
    with pytest.raises(InvalidArgumentError, match="expired"):
        gate.approve(proposed.approval_id, "alice")
    outcome = gate.execute_approved(proposed.approval_id)
    assert outcome.reason_codes() == ["expired_request"]
    assert broker.submitted == []


def test_a_request_cannot_be_approved_twice_and_the_second_attempt_is_audited(
        desk: tuple[Gate, InMemoryBroker, FixedClock]) -> None:
    gate, _, _ = desk
    proposed = gate.propose(order(qty=2), WHO)
    assert proposed.approval_id is not None
    gate.approve(proposed.approval_id, "alice")
    with pytest.raises(InvalidArgumentError, match="already approved by alice"):
        gate.approve(proposed.approval_id, "bob")
    kinds = [r.kind for r in gate.audit_log.records()]
    assert kinds.count(AuditKind.APPROVAL_GRANTED) == 1
    refused = gate.audit_log.tail(1, AuditKind.DECISION_REFUSED)[0].payload
    assert (refused["attribution"]["approver"], refused["wanted"], refused["decided_by"]) == ("bob", "approve", "alice")


def test_a_rejected_request_cannot_be_rejected_again(desk: tuple[Gate, InMemoryBroker, FixedClock]) -> None:
    gate, _, _ = desk
    proposed = gate.propose(order(qty=2), WHO)
    assert proposed.approval_id is not None
    gate.reject(proposed.approval_id, "alice", "no")
    with pytest.raises(InvalidArgumentError, match="already rejected by alice"):
        gate.reject(proposed.approval_id, "bob", "no either")


def test_a_rejection_after_an_approval_not_yet_sent_is_a_veto(desk: tuple[Gate, InMemoryBroker, FixedClock]) -> None:
    gate, broker, _ = desk
    proposed = gate.propose(order(qty=2), WHO)
    assert proposed.approval_id is not None
    gate.approve(proposed.approval_id, "alice")
    report = gate.decide(proposed.approval_id, False, "bob", "too big today")
    assert (report.applied, report.veto_of, report.request.status) == (True, "alice", ApprovalStatus.REJECTED)
    assert gate.execute_approved(proposed.approval_id).reason_codes() == ["not_approved"]
    assert broker.submitted == []
    rejected = gate.audit_log.tail(1, AuditKind.APPROVAL_REJECTED)[0].payload
    assert (rejected["attribution"]["approver"], rejected["veto_of"]) == ("bob", "alice")


def test_a_rejection_after_the_order_was_sent_changes_nothing_and_says_so(
        desk: tuple[Gate, InMemoryBroker, FixedClock]) -> None:
    gate, broker, _ = desk
    proposed = gate.propose(order(qty=2), WHO)
    assert proposed.approval_id is not None
    gate.settle_approval(proposed.approval_id, True, "alice")
    late = gate.settle_approval(proposed.approval_id, False, "bob", "no")
    assert (late.decision.applied, late.sent, late.sent_by_this_call) == (False, True, False)
    assert "too late" in late.message and "alice" in late.message
    assert broker.submitted == [proposed.order.key if proposed.order else ""]
    assert gate.audit_log.tail(1, AuditKind.DECISION_REFUSED)[0].payload["wanted"] == "reject"


def test_an_unknown_request_id_is_not_found(desk: tuple[Gate, InMemoryBroker, FixedClock]) -> None:
    gate, _, _ = desk
    with pytest.raises(NotFoundError):
        gate.approve("apr-000000000000", "alice")


def test_proposing_the_same_order_again_returns_the_open_request(desk: tuple[Gate, InMemoryBroker, FixedClock]) -> None:
    gate, _, _ = desk
    first = gate.propose(order(qty=2, key="replayed-key-1"), WHO)
    again = gate.propose(order(qty=2, key="replayed-key-1"), WHO)
    assert again.decision is Decision.NEEDS_APPROVAL
    assert again.approval_id == first.approval_id
    assert len(gate.approvals(ApprovalStatus.PENDING)) == 1


def test_another_order_under_an_open_requests_key_is_rejected(desk: tuple[Gate, InMemoryBroker, FixedClock]) -> None:
    gate, _, _ = desk
    gate.propose(order(qty=2, key="taken-key-01"), WHO)
    other = gate.propose(order(qty=3, key="taken-key-01"), WHO)
    assert other.decision is Decision.REJECT
    assert other.reason_codes() == ["duplicate_key"]


def test_requests_survive_a_new_gate_on_the_same_folder(tmp_path: Path) -> None:
    gate, broker, reference, clock = make_gate(tmp_path, policy=default_policy())
    proposed = gate.propose(order(qty=2), WHO)
    assert proposed.approval_id is not None
    gate.close()
    reopened = Gate(default_policy(), broker, reference, tmp_path / "state", clock=clock, wall_clock=clock)
    assert reopened.approval(proposed.approval_id).status is ApprovalStatus.PENDING
    reopened.approve(proposed.approval_id, "alice")
    assert reopened.execute_approved(proposed.approval_id).submitted


def test_approval_actions_are_audited(desk: tuple[Gate, InMemoryBroker, FixedClock]) -> None:
    gate, _, _ = desk
    a = gate.propose(order(qty=2), WHO)
    b = gate.propose(order(qty=3), WHO)
    assert a.approval_id is not None and b.approval_id is not None
    gate.approve(a.approval_id, "alice", "ok")
    gate.reject(b.approval_id, "bob", "no")
    kinds = [r.kind for r in gate.audit_log.records()]
    assert kinds.count(AuditKind.APPROVAL_REQUESTED) == 2
    assert kinds.count(AuditKind.APPROVAL_GRANTED) == 1
    assert kinds.count(AuditKind.APPROVAL_REJECTED) == 1
    rejected = gate.audit_log.tail(1, AuditKind.APPROVAL_REJECTED)[0].payload
    assert (rejected["attribution"]["approver"], rejected["reason"]) == ("bob", "no")
    assert gate.audit_log.verify().ok


def test_status_counts_pending_requests(desk: tuple[Gate, InMemoryBroker, FixedClock]) -> None:
    gate, _, _ = desk
    gate.propose(order(qty=2), WHO)
    assert gate.status().pending_approvals == 1
    assert gate.status().state is TradingState.ACTIVE
