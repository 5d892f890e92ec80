"""The gate: the one path from an agent's order proposal to the broker.

API (what the agent graph and the CLI call)::

    gate = Gate(policy, broker, reference, state_dir, clock=..., wall_clock=...)

    gate.propose(order, attribution) -> GateOutcome
        order: an Order, or a raw dict / JSON text (malformed input is a rejection with
        reasons, never an exception). Runs mark-to-market (loss limits may change the
        trading state), the pre-trade checks, and then:
          allow           -> submitted to the broker with the order's idempotency key;
                             outcome.order_state / outcome.fills say what the broker did
          needs_approval  -> a durable approval request; outcome.approval_id names it.
                             Nothing reached the broker. The graph raises its interrupt
                             here and, once a person decided, calls execute_approved.
          reject          -> outcome.reasons say why (code + message); nothing was sent.
        Proposing again with the same key while its request is open returns that same
        request (a replayed graph step creates no second request); a key already sent is
        rejected as duplicate_key with the broker's state of the first order attached.

    gate.propose_many(orders, attribution) -> list[GateOutcome]
        A basket (a rebalance's orders): each decided in turn exactly as separate proposals
        would be, under one hold of the lock and one durable point. Concurrent ``propose``
        calls are combined the same way (group commit; see ``propose``).

    gate.decide(approval_id, approve, by, reason) -> ApprovalDecisionReport   (a person)
        Applies the decision if the request is still open to it and says what happened
        when it is not (another person decided first, it expired, it was sent). A rejection
        of an approved request not yet sent is a veto. Every attempt is audited.
    gate.approve(...) / gate.reject(...) -> ApprovalRequest
        The same, raising InvalidArgumentError when the decision could not be applied
        (NotFoundError for an unknown id) - for the CLI's `approve` / `reject`.

    gate.settle_approval(approval_id, approve, by, reason) -> ApprovalSettlement
        A person's answer to an approval interrupt, as one serialised step: decide, and for
        an approval execute the order once. A decision that loses a race sends nothing of
        its own and the settlement says what actually happened.

    gate.execute_approved(approval_id) -> GateOutcome
        Re-checks the approved order against the state and limits *now* (approval rules
        excepted: a person already approved), then submits it with its idempotency key.
        Calling it again (or after a crash) never submits twice: it returns the broker's
        state of the one submission. A rejected/expired/pending request gives a reject
        outcome (not_approved / expired_request) with nothing sent.

    gate.fill_at_reference(key) -> FillReport   a simulated broker fills an open order at the
                                                reference price known at the market clock
    gate.settle(asof) -> list[Fill]             a simulated broker fills from bars up to asof
    gate.sync() -> list[Fill]                   audit fills a broker reported by itself
    gate.reset_account(by, cash)                a person empties the paper account (fills audited first)
    gate.recover() -> list[str]                 settle what a killed process left in flight
    gate.verify() -> AuditVerification          the chain, its anchor, and the ledger, approvals,
                                                broker orders and fills cross-checked against the log

    gate.check(order, attribution) -> CheckResult        dry run: no state change, no order
    gate.cancel(key, attribution) -> OrderState          always allowed (reduces risk)
    gate.mark_to_market() -> list[StateChange]           loss limits + fill audit; the
                                                         trading cycle calls it after fills
    gate.status() -> RiskStatus, gate.account() -> AccountView, gate.approvals(...)
    gate.halt(reason, by), gate.resume(reason, by)       people only (the CLI); agents'
                                                         tools expose neither

Every proposal, decision, approval, submission, fill, cancel and state change is appended
to the hash-chained audit log when it happens (``state_dir/audit.sqlite``) with the order, the policy hash,
the market-clock time (``as_of``) and the attribution (agent, thread, instruction,
approver). Trading state, the gate's order ledger and approval requests live in
``state_dir/guardrails.sqlite``. The broker is held privately: nothing the gate returns
contains it, and agents get only the gate's tools (``tools.order_tools``).

Two clocks are injected: ``clock`` is market time (reference prices, staleness, rate
windows, trading days, the time stamped on every order; a replay clock in a backtest-style
cycle), ``wall_clock`` is a person's time (approval expiry, audit row times). A time on the
order itself is never trusted: the gate stamps its own.

Crash safety: a submission is written to the ledger (``sending``) and its request marked
``submitting`` before the broker is called, and settled afterwards. Whatever a killed
process leaves in flight is settled at the start of the next gate operation (in any
process) from the broker's idempotency keys: an order that reached the broker is recorded
and audited as sent (unless the log already holds that attempt's row: it is committed
before the ledger is settled), one that did not is recorded as not sent and its approval
can be executed again. Fills are audited when the gate makes them and, after a crash, by the same
recovery. So nothing is sent twice, nothing is claimed sent that was not, and every
submission and fill ends up in the log.
"""

from __future__ import annotations

import logging
import math
import os
import threading
from collections import deque
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from guardrails._crosscheck import AuditVerification, cross_check
from guardrails._db import group_commit, open_lock, read_scope
from guardrails.approvals import ApprovalStore, not_open_message
from guardrails.audit import AuditKind, AuditLog
from guardrails.checks import Book, CheckInputs, evaluate, loss_breaches, parse_order
from guardrails.models import (
    ApprovalDecisionReport,
    ApprovalRequest,
    ApprovalSettlement,
    ApprovalStatus,
    CheckResult,
    Decision,
    FillReport,
    GateOutcome,
    PriceQuote,
    Reason,
    ReasonCode,
    RiskStatus,
    StateChange,
    TradingState,
)
from guardrails.policy import Policy
from guardrails.reference import Clock, ReferenceData, as_utc, system_clock
from guardrails.state import Marks, Submission, SubmissionStatus, TradingStateStore, severity
from taorui_engines.brokers.models import (
    Attribution,
    Broker,
    Fill,
    Order,
    OrderState,
    OrderStatus,
    Position,
    SimulatedBroker,
)
from taorui_engines.errors import (
    DuplicateOrderKeyError,
    InvalidArgumentError,
    TaoruiError,
    UnavailableError,
    UnknownSymbolError,
)

__all__ = ["AUDIT_FILE", "STATE_FILE", "AccountView", "AuditVerification", "Gate"]

logger = logging.getLogger(__name__)

#: File names under the state folder.
STATE_FILE = "guardrails.sqlite"
AUDIT_FILE = "audit.sqlite"
_LOCK_FILE = "guardrails.lock"
_GATE = "guardrails"
#: Statuses of a request whose order reached the broker or is on its way.
_SENT = (ApprovalStatus.SUBMITTING, ApprovalStatus.EXECUTED)


class AccountView(BaseModel):
    """The account as agents may see it: numbers only, never the broker."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    as_of: datetime
    cash: float
    equity: float = Field(description="Cash plus positions at their last prices.")
    positions: tuple[Position, ...]
    open_orders: tuple[OrderState, ...]


class Gate:
    """Propose -> check -> (approve) -> submit -> fill -> audit. See the module docstring."""

    def __init__(
        self,
        policy: Policy,
        broker: Broker | None,
        reference: ReferenceData,
        state_dir: Path,
        clock: Clock = system_clock,
        wall_clock: Clock = system_clock,
        anchor_dir: Path | None = None,
    ) -> None:
        self._policy = policy
        self.__broker = broker
        self._reference = reference
        self._clock, self._wall = clock, wall_clock
        self._state_dir = Path(state_dir)
        self._state = TradingStateStore(self._state_dir / STATE_FILE)
        self._approvals = ApprovalStore(self._state_dir / STATE_FILE)
        self._audit = AuditLog(self._state_dir / AUDIT_FILE, clock=wall_clock, anchor_dir=anchor_dir)
        self._lock = threading.RLock()
        self._file_lock = open_lock(self._state_dir / _LOCK_FILE)
        self._depth = 0
        self._owner: int | None = None  # the thread inside a gate operation
        self._queue: deque[_Proposal] = deque()  # proposals waiting for a leader (see :meth:`propose`)
        self._queue_lock = threading.Lock()
        self._leading = False  # a caller is deciding the queue (under the queue lock)
        self._pid = os.getpid()
        self._recovered: list[str] = []
        self._allowed: frozenset[str] | None = None
        if broker is not None:  # a new process after a crash: settle what the last one left
            with self._serial():
                self._sync_fills(self._now())

    @property
    def policy(self) -> Policy:
        """The policy in force (fixed for the gate's life; build a new gate to change it)."""
        return self._policy

    @property
    def policy_hash(self) -> str:
        """Version hash of the policy in force."""
        return self.policy.version_hash

    @property
    def audit_log(self) -> AuditLog:
        """The audit log (read it with ``tail``/``verify``; the gate does the appending)."""
        return self._audit

    def _now(self) -> datetime:
        return as_utc(self._clock())

    @contextmanager
    def _serial(self) -> Iterator[None]:
        """One decision at a time across threads and processes (rate and exposure limits).

        Re-entrant within a thread; the outermost entry first settles whatever a killed
        process left in flight, so no decision is taken on a half-finished submission.

        It is also a group commit (``guardrails._db.group_commit``): the operation's writes
        commit without their own fsync, and once the lock is released - before the caller gets
        its answer - each file written is fsynced and the audit anchor moved once. The next
        decision proceeds while this one syncs, and operations finishing together share an
        fsync. A killed process loses nothing committed (it is in the WAL); an answer the
        caller holds is on disk.
        """
        with group_commit(), self._lock:
            if self._depth:
                self._depth += 1
                try:
                    yield
                finally:
                    self._depth -= 1
                return
            with self._file_lock.held(), read_scope():  # no other process writes while it is held
                self._depth, self._owner = 1, threading.get_ident()
                try:
                    self._recover_in_flight()
                    yield
                finally:
                    try:  # what the operation kept for its next write is written before the lock goes
                        self._audit.release()
                        self._state.write_settled()
                    finally:
                        self._depth, self._owner = 0, None

    # proposals ------------------------------------------------------------------------
    def propose(self, order: object, attribution: Attribution | None = None) -> GateOutcome:
        """Check an order and send it, ask for approval, or reject it (see module docs).

        Callers proposing at the same moment are served together (group commit): whichever
        takes the gate's lock first decides every proposal queued by then, one after another
        in arrival order - each sees the ones before it in the ledger, exactly as if they had
        been proposed in turn - under one hold of the cross-process lock, and one durable
        point covers them all before any of their callers gets an answer.
        """
        return self.propose_many([order], attribution)[0]

    def propose_many(self, orders: Sequence[object], attribution: Attribution | None = None) -> list[GateOutcome]:
        """:meth:`propose` each order in turn (a basket: a rebalance's orders), outcomes in order.

        Each order is decided after the one before it was sent (its limits count that one),
        as separate :meth:`propose` calls would be; what the basket shares is the lock, the
        recovery check and the durable point, so it returns once every order's rows are on
        disk. An order that raises (a store that cannot be written) raises here after the
        others were decided; the rest are not rolled back - each is its own decision.
        """
        if self._pid != os.getpid():
            self._forked()
        if self._owner == threading.get_ident():  # inside a gate operation of this thread
            return [self._propose_now(order, attribution) for order in orders]
        tickets = [_Proposal(order, attribution) for order in orders]
        with self._queue_lock:
            self._queue.extend(tickets)
            lead, self._leading = not self._leading, True
        while True:
            if lead:
                self._lead(tickets)
            waiting = next((t for t in tickets if not t.taken), None)
            if waiting is None:
                break
            waiting.wake.wait()  # taken and answered, or handed the lead
            with self._queue_lock:
                lead, waiting.promoted = waiting.promoted, False
                if lead:
                    waiting.wake.clear()
        outcomes = []
        for ticket in tickets:
            ticket.wake.wait()
            if ticket.error is not None:
                raise ticket.error
            assert ticket.outcome is not None
            outcomes.append(ticket.outcome)
        return outcomes

    def _lead(self, own: list[_Proposal]) -> None:
        """Decide queued proposals (``own`` among them) under the lock, hand the lead on, and
        answer them after the durable point.

        Waiting callers sleep on their own event instead of the lock, so the leader is not
        interrupted by each of them waking to find its proposal already taken.
        """
        taken: list[_Proposal] = []
        handed = False
        try:
            with group_commit():  # outermost: its end is the one durable point of the batch
                with self._serial():
                    while True:
                        with self._queue_lock:
                            room = _BATCH_MAX - len(taken)
                            batch = [self._queue.popleft() for _ in range(min(len(self._queue), room))]
                            for ticket in batch:
                                ticket.taken = True
                            if not batch:
                                self._hand_over()
                                handed = True
                                break
                        taken += batch
                        for ticket in batch:
                            try:
                                ticket.outcome = self._propose_now(ticket.order, ticket.attribution)
                            except BaseException as exc:  # its caller raises it; the others go on
                                ticket.error = exc
        except BaseException as exc:  # no answer may claim what the failure left undone
            for ticket in taken:
                if ticket.error is None:
                    ticket.outcome, ticket.error = None, exc
            if not handed:
                with self._queue_lock:  # ours not yet taken are withdrawn: the caller hears the error
                    self._queue = deque(t for t in self._queue if t not in own)
                    self._hand_over()
            if not any(t in taken for t in own):
                raise
        finally:
            for ticket in taken:
                ticket.wake.set()

    def _forked(self) -> None:
        """In a forked child (one thread, none of the parent's others): a leader or a queue the
        parent had in flight at the fork is not this process's, and a lock one of its threads held
        would never be released here."""
        self._pid = os.getpid()
        self._queue, self._leading = deque(), False
        self._queue_lock, self._lock = threading.Lock(), threading.RLock()
        self._depth, self._owner = 0, None

    def _hand_over(self) -> None:
        """Under the queue lock: the next waiting caller leads, or nobody is leading."""
        if self._queue:
            head = self._queue[0]
            head.promoted = True
            head.wake.set()
        else:
            self._leading = False

    def _propose_now(self, order: object, attribution: Attribution | None) -> GateOutcome:
        """One proposal, decided now (the caller holds the gate's lock or takes it here)."""
        with self._serial():
            parsed, attrib = _attributed(order, attribution)
            now = self._now()
            # The proposal row is written with the next row (the decision's), in one transaction; a path
            # that writes none (an error) still records it when the operation lets go of the lock (``_serial``).
            self._audit.hold(AuditKind.PROPOSAL, {"as_of": now, "policy_hash": self.policy_hash,
                                                  "attribution": attrib, "order": parsed or order})
            self._mark(now)
            if parsed is not None:
                replay = self._replayed_request(parsed, now, attrib)
                if replay is not None:
                    return replay
            result = self._evaluate(parsed or order, now)
            self._record(AuditKind.DECISION, now, attrib, order=parsed or order, decision=result.decision,
                         reasons=result.reasons, reference_price=result.reference_price)
            return self._act(result, now, attrib)

    def _act(self, result: CheckResult, now: datetime, attrib: Attribution) -> GateOutcome:
        if result.decision is Decision.ALLOW and result.order is not None:
            return self._submit(result.order, now, approval_id=None, notional=result.notional)
        if result.decision is Decision.NEEDS_APPROVAL and result.order is not None:
            return self._request_approval(result, now, attrib)
        return self._outcome(result.decision, result.reasons, result.order, order_state=self._broker_state(result))

    def _broker_state(self, result: CheckResult) -> OrderState | None:
        """For a duplicate key, what the broker did with the first order of that key."""
        if result.order is None or not any(r.code is ReasonCode.DUPLICATE_KEY for r in result.reasons):
            return None
        return self._order_state(result.order.key)

    def _request_approval(self, result: CheckResult, now: datetime, attrib: Attribution) -> GateOutcome:
        assert result.order is not None
        created = as_utc(self._wall())
        expires = created + timedelta(minutes=self.policy.approvals.expires_after_minutes)
        order = result.order.model_copy(update={"created": None})  # the gate stamps it when it sends it
        request = self._approvals.create(order, result.reasons, self.policy_hash, created, expires)
        self._record(AuditKind.APPROVAL_REQUESTED, now, attrib, order=order, approval_id=request.id,
                     reasons=request.reasons, expires=request.expires)
        return self._outcome(Decision.NEEDS_APPROVAL, request.reasons, request.order, approval_id=request.id)

    def _replayed_request(self, order: Order, now: datetime, attrib: Attribution) -> GateOutcome | None:
        """A proposal repeating an open request (same key, same order) returns that request."""
        request = self._approvals.open_for_key(order.key, as_utc(self._wall()))
        if request is None or not _same_order(request.order, order):
            return None
        self._record(AuditKind.DECISION, now, attrib, order=order, decision=Decision.NEEDS_APPROVAL,
                     reasons=request.reasons, approval_id=request.id, replay=True)
        return self._outcome(Decision.NEEDS_APPROVAL, request.reasons, request.order, approval_id=request.id)

    def check(self, order: object, attribution: Attribution | None = None) -> CheckResult:
        """Dry run: the decision ``propose`` would reach now, without sending or storing anything
        (loss limits are applied to a copy of the state). Audited as a ``check`` row, buffered
        and written in batches (``AuditLog.buffer``): a check moves no money, so its row is
        not worth a transaction of its own; a killed process may lose its last 100 ms of them."""
        with self._serial():
            parsed, attrib = _attributed(order, attribution)
            now = self._now()
            state = self._projected_state(now)
            result = self._evaluate(parsed or order, now, state=state)
            self._audit.buffer(AuditKind.CHECK, {
                "as_of": now, "policy_hash": self.policy_hash, "attribution": attrib, "order": parsed or order,
                "decision": result.decision, "reasons": result.reasons, "trading_state": state})
            return result

    # approvals ------------------------------------------------------------------------
    def approvals(self, status: ApprovalStatus | None = None) -> list[ApprovalRequest]:
        """Approval requests, newest first (``status`` filters; expiry applied)."""
        return self._approvals.list(as_utc(self._wall()), status)

    def approval(self, approval_id: str) -> ApprovalRequest:
        """One request by id."""
        return self._approvals.get(approval_id, as_utc(self._wall()))

    def approve(self, approval_id: str, approver: str, reason: str = "") -> ApprovalRequest:
        """A person approves a pending request (it is re-checked when executed)."""
        return _applied_or_raise(self.decide(approval_id, True, approver, reason))

    def reject(self, approval_id: str, approver: str, reason: str) -> ApprovalRequest:
        """A person rejects a pending request, or vetoes an approved one not yet sent."""
        return _applied_or_raise(self.decide(approval_id, False, approver, reason))

    def decide(self, approval_id: str, approve: bool, by: str, reason: str = "") -> ApprovalDecisionReport:
        """A person's decision, applied if the request is still open to it (see module docs)."""
        if not by.strip():
            raise InvalidArgumentError("say who decides (an approver name)")
        if not approve and not reason.strip():
            raise InvalidArgumentError("a rejection needs a reason (--reason)")
        with self._serial():
            before, applied, after = self._approvals.decide(approval_id, approve, by, reason, as_utc(self._wall()))
            veto = before.decided_by if applied and before.status is ApprovalStatus.APPROVED else None
            report = ApprovalDecisionReport(
                approval_id=approval_id, wanted="approve" if approve else "reject", by=by, applied=applied,
                previous_status=before.status, request=after, veto_of=veto,
                message=_decision_message(approve, by, applied, before, after, veto))
            self._audit_decision(report, reason)
            return report

    def _audit_decision(self, report: ApprovalDecisionReport, reason: str) -> None:
        request = report.request
        attrib = request.order.attribution.model_copy(update={"approver": report.by})
        if report.applied:
            kind = AuditKind.APPROVAL_GRANTED if report.wanted == "approve" else AuditKind.APPROVAL_REJECTED
            self._record(kind, self._now(), attrib, order=request.order, approval_id=request.id, reason=reason,
                         previous_status=report.previous_status, veto_of=report.veto_of)
            return
        self._record(AuditKind.DECISION_REFUSED, self._now(), attrib, order=request.order, approval_id=request.id,
                     wanted=report.wanted, reason=reason, found_status=request.status,
                     decided_by=request.decided_by, message=report.message)

    def settle_approval(self, approval_id: str, approve: bool, by: str, reason: str = "") -> ApprovalSettlement:
        """Decide and, for an approval, execute once - in one serialised step (see module docs)."""
        with self._serial():
            report = self.decide(approval_id, approve, by, reason)
            request = report.request
            if not approve or request.status not in (ApprovalStatus.APPROVED, *_SENT):
                sent = request.status in _SENT
                return ApprovalSettlement(decision=report, outcome=self._sent_outcome(request) if sent else None,
                                          sent=sent, sent_by_this_call=False, message=report.message)
            outcome = self.execute_approved(approval_id)
            final = self.approval(approval_id)
            by_me = outcome.submitted
            sent = final.status in _SENT and outcome.decision is Decision.ALLOW
            return ApprovalSettlement(decision=report, outcome=outcome, sent=sent, sent_by_this_call=by_me,
                                      message=_settlement_message(report, outcome, final, by_me))

    def _sent_outcome(self, request: ApprovalRequest) -> GateOutcome:
        """What the broker holds for a request sent earlier (by another decision or process)."""
        state = self._order_state(request.order.key)
        return self._outcome(Decision.ALLOW, (), _with_approver(request), approval_id=request.id, order_state=state,
                             fills=self._fills_of(request.order.key))

    def execute_approved(self, approval_id: str) -> GateOutcome:
        """Re-check an approved order and submit it once (see module docs)."""
        with self._serial():
            request = self._approvals.get(approval_id, as_utc(self._wall()))
            order = _with_approver(request)
            now = self._now()
            if request.status in (*_SENT, ApprovalStatus.FAILED) or self._was_sent(order.key):
                return self._already_executed(request, order)
            if request.status is not ApprovalStatus.APPROVED:
                return self._not_approved(request, order, now)
            self._mark(now)
            result = self._evaluate(order, now, approved=True, exclude_approval=request.id)
            self._record(AuditKind.DECISION, now, order.attribution, order=order, decision=result.decision,
                         reasons=result.reasons, approval_id=request.id, reference_price=result.reference_price)
            if result.decision is not Decision.ALLOW:
                self._approvals.finish(request.id, ApprovalStatus.FAILED, _reasons_text(result.reasons))
                return self._outcome(Decision.REJECT, result.reasons, order, approval_id=request.id)
            return self._submit(order, now, approval_id=request.id, notional=result.notional)

    def _already_executed(self, request: ApprovalRequest, order: Order) -> GateOutcome:
        state = self._order_state(order.key)
        if state is None:
            reasons = (Reason(code=ReasonCode.NOT_APPROVED,
                              message=f"request {request.id} ended {request.status.value}: {request.result}"),)
            return self._outcome(Decision.REJECT, reasons, order, approval_id=request.id)
        return self._outcome(Decision.ALLOW, (), order, approval_id=request.id, order_state=state,
                             fills=self._fills_of(order.key))

    def _not_approved(self, request: ApprovalRequest, order: Order, now: datetime) -> GateOutcome:
        code = ReasonCode.APPROVAL_EXPIRED if request.status is ApprovalStatus.EXPIRED else ReasonCode.NOT_APPROVED
        by = f" by {request.decided_by}: {request.decision_reason}" if request.decided_by else ""
        reasons = (Reason(code=code, message=f"approval request {request.id} is {request.status.value}{by}; "
                                             "nothing was sent"),)
        self._record(AuditKind.DECISION, now, order.attribution, order=order, decision=Decision.REJECT,
                     reasons=reasons, approval_id=request.id)
        return self._outcome(Decision.REJECT, reasons, order, approval_id=request.id)

    # submission -----------------------------------------------------------------------
    def _submit(self, order: Order, now: datetime, approval_id: str | None, notional: float | None) -> GateOutcome:
        """Ledger (sending) -> request (submitting) -> broker -> audit -> ledger/request settled."""
        broker = self.__broker
        assert broker is not None  # an allowed order had an account, hence a broker
        order = order.model_copy(update={"created": now})  # the gate's market time, never the caller's
        self._state.begin_submission(Submission(key=order.key, symbol=order.symbol, side=order.side.value,
                                                qty=order.qty, time=now.timestamp(), approval_id=approval_id,
                                                notional=notional))
        if approval_id is not None:
            self._approvals.finish(approval_id, ApprovalStatus.SUBMITTING, "sending to the broker")
        try:
            state = broker.submit(order)
        except DuplicateOrderKeyError:
            return self._already_sent(order, approval_id, now)
        except Exception as exc:  # any broker failure: say so, never pretend it was sent
            return self._submit_failed(order, now, approval_id, exc)
        # The log's row is committed before the ledger says how the call ended, so a kill between the
        # two leaves the ledger ``sending`` and recovery finds the row (``_resolve``), never a settled
        # ledger row without its submission. A ``sent`` settled later (no approval) lets the row ride
        # with the operation's next row, or go when it lets go of the lock (before the durable point):
        # in a batch of proposals, with the next proposal's rows, one transaction fewer each. A
        # refusal or an approval's execution settles the ledger at once, so its row is written now.
        later = approval_id is None and state.status is not OrderStatus.REJECTED
        self._record(AuditKind.SUBMISSION, now, order.attribution, hold=later, order=order,
                     approval_id=approval_id, order_state=state)
        self._settle_submission(order.key, approval_id, state, later=True)
        self._sync_fills(now)
        state = self._order_state(order.key) or state
        return self._outcome(Decision.ALLOW, (), order, approval_id=approval_id, order_state=state,
                             fills=self._fills_of(order.key), submitted=True)

    def _settle_submission(self, key: str, approval_id: str | None, state: OrderState, later: bool = False) -> None:
        refused = state.status is OrderStatus.REJECTED
        self._state.end_submission(key, SubmissionStatus.REFUSED if refused else SubmissionStatus.SENT,
                                   later=later and approval_id is None)
        if approval_id is not None:
            status = ApprovalStatus.FAILED if refused else ApprovalStatus.EXECUTED
            result = f"the broker rejected it: {state.reason}" if refused else f"sent: {state.status.value}"
            self._approvals.finish(approval_id, status, result, expected=ApprovalStatus.SUBMITTING)

    def _already_sent(self, order: Order, approval_id: str | None, now: datetime) -> GateOutcome:
        """The broker holds the key already: ours (sent before the ledger knew) or someone else's."""
        held = self._order_state(order.key)
        ours = held is not None and _same_order(held.order, order)
        self._state.end_submission(order.key, SubmissionStatus.SENT)
        if approval_id is not None:
            status, result = ((ApprovalStatus.EXECUTED, "found at the broker") if ours else
                              (ApprovalStatus.FAILED, "the broker holds a different order with this key"))
            self._approvals.finish(approval_id, status, result, expected=ApprovalStatus.SUBMITTING)
        reasons = (Reason(code=ReasonCode.DUPLICATE_KEY,
                          message=f"the broker already holds an order with key {order.key!r}; not sent again"),)
        self._record(AuditKind.SUBMISSION_FAILED, now, order.attribution, order=order, approval_id=approval_id,
                     error=reasons[0].message, order_state=held)
        return self._outcome(Decision.REJECT, reasons, order, approval_id=approval_id, order_state=held)

    def _submit_failed(self, order: Order, now: datetime, approval_id: str | None, exc: Exception) -> GateOutcome:
        message = exc.message if isinstance(exc, TaoruiError) else f"{type(exc).__name__}: {exc}"
        logger.warning("broker refused order %s: %s", order.key, message)
        self._record(AuditKind.SUBMISSION_FAILED, now, order.attribution, order=order, approval_id=approval_id,
                     error=message)
        self._state.end_submission(order.key, SubmissionStatus.REFUSED)
        reasons = (Reason(code=ReasonCode.BROKER_REJECTED, message=f"the broker refused the order: {message}"),)
        if approval_id is not None:
            self._approvals.finish(approval_id, ApprovalStatus.FAILED, f"broker refused: {message}",
                                   expected=ApprovalStatus.SUBMITTING)
        return self._outcome(Decision.REJECT, reasons, order, approval_id=approval_id)

    def cancel(self, key: str, attribution: Attribution | None = None) -> OrderState:
        """Cancel an open order (always allowed: it only lowers risk). Audited."""
        broker = self._require_broker()
        with self._serial():
            state = broker.cancel(key)
            self._record(AuditKind.CANCEL, self._now(), attribution or Attribution(), order_key=key,
                         order_state=state)
            return state

    # recovery -------------------------------------------------------------------------
    def recover(self) -> list[str]:
        """Settle what a killed process left in flight and audit unaudited fills (what was done)."""
        with self._serial():  # the outermost entry already settled submissions in flight
            done = list(self._recovered)
            done += [f"audited fill {f.fill_id} found at the broker" for f in self._sync_fills(self._now())]
            return done

    def _recover_in_flight(self) -> None:
        """Ask the broker whether each ``sending`` submission arrived (its idempotency key)."""
        self._recovered = []
        broker = self.__broker
        in_flight = self._state.in_flight()
        if broker is None or (not in_flight and not self._approvals.in_status(ApprovalStatus.SUBMITTING)):
            return
        for sub in in_flight:
            try:
                arrived = broker.has_key(sub.key)
            except Exception as exc:  # unreadable: leave it in flight (it keeps counting; fail closed)
                logger.warning("recovery could not ask the broker about %s: %s", sub.key, exc)
                continue
            self._recovered.append(self._resolve(sub, arrived))
        for request in self._approvals.in_status(ApprovalStatus.SUBMITTING):  # ledger settled, request not
            self._settle_stuck(request, broker)
        self._sync_fills(self._now())  # a crash mid-submission may also have left fills unaudited

    def _settle_stuck(self, request: ApprovalRequest, broker: Broker) -> None:
        """A request left ``submitting`` after its ledger row was settled: follow the ledger."""
        sub = self._state.submission(request.order.key)
        if sub is not None and sub.status is SubmissionStatus.SENDING:
            return  # the broker could not be asked above; try again next time
        if sub is not None and sub.status is SubmissionStatus.REFUSED:
            status, result = ApprovalStatus.FAILED, "the broker refused it"
        elif sub is not None and sub.status is SubmissionStatus.SENT:
            status, result = ApprovalStatus.EXECUTED, "sent (confirmed after an interruption)"
        else:
            try:
                arrived = broker.has_key(request.order.key)
            except Exception:  # unreadable: leave it submitting (it blocks a second send); retried next time
                return
            status, result = ((ApprovalStatus.EXECUTED, "sent (confirmed after an interruption)") if arrived
                              else (ApprovalStatus.APPROVED, _INTERRUPTED))
        self._approvals.finish(request.id, status, result, expected=ApprovalStatus.SUBMITTING)

    def _resolve(self, sub: Submission, arrived: bool) -> str:
        now = self._now()
        state = self._order_state(sub.key) if arrived else None
        order = state.order if state is not None else None
        attrib = order.attribution if order is not None else Attribution(agent=_GATE)
        if arrived and state is not None:
            if not self._audit.has_submission(sub.key, sub.time):  # a kill after the row, before the ledger
                self._record(AuditKind.SUBMISSION, now, attrib, order=order, approval_id=sub.approval_id,
                             order_state=state, recovered=True)
            self._settle_submission(sub.key, sub.approval_id, state)
            logger.warning("recovered order %s: it reached the broker before the crash", sub.key)
            return f"order {sub.key} reached the broker before an interruption: recorded as sent"
        self._record(AuditKind.SUBMISSION_FAILED, now, attrib, order_key=sub.key, approval_id=sub.approval_id,
                     error="interrupted before it reached the broker; nothing was sent", recovered=True)
        self._state.end_submission(sub.key, SubmissionStatus.NOT_SENT)
        if sub.approval_id is not None:
            self._approvals.finish(sub.approval_id, ApprovalStatus.APPROVED, _INTERRUPTED,
                                   expected=ApprovalStatus.SUBMITTING)
        logger.warning("recovered order %s: it never reached the broker", sub.key)
        return f"order {sub.key} never reached the broker: recorded as not sent"

    # fills ----------------------------------------------------------------------------
    def fill_at_reference(self, key: str) -> FillReport:
        """Fill an open order of a simulated broker at the reference price known now (market clock).

        The paper market of ``taorui ask``: there is no later bar to fill at, so the last close
        the checks used is the price; the rule is stated in the report. Idempotent: a filled
        order is not filled again. Each fill is audited as it happens.
        """
        with self._serial():
            now = self._now()
            self._sync_fills(now)
            state = self._order_state(key)
            if state is None:
                return FillReport(order_key=key, status=None, fill_rule="none", problem="the order is not at the broker")
            quote, rule = self._fill_quote(state.order.symbol, now)
            before = {f.fill_id for f in self._fills_of(key)}
            problem = self._try_fill(state, quote, now)
            after = self._order_state(key)
            fills = self._fills_of(key)
            new = tuple(f for f in fills if f.fill_id not in before)
            return FillReport(order_key=key, status=after.status.value if after else None, fills=fills,
                              new_fills=new, fill_rule=rule, problem=problem)

    def _fill_quote(self, symbol: str, now: datetime) -> tuple[PriceQuote | None, str]:
        try:
            quote = self._reference.last_price(symbol, now)
        except Exception as exc:  # no price, no fill: say why
            return None, f"no fill: the price source failed ({_describe(exc)})"
        rule = f"paper fill at the last close known at {now:%Y-%m-%d %H:%M} UTC"
        return quote, rule + (f" ({quote.source})" if quote is not None else "")

    def _try_fill(self, state: OrderState, quote: PriceQuote | None, now: datetime) -> str | None:
        """Fill what is open at ``quote``; the reason nothing was filled, or None."""
        if state.status not in (OrderStatus.ACCEPTED, OrderStatus.PARTIALLY_FILLED):
            return None if state.status is OrderStatus.FILLED else f"the order is {state.status.value}"
        if quote is None:
            return f"no reference price for {state.order.symbol}"
        broker = self.__broker
        if not isinstance(broker, SimulatedBroker):
            return "the broker fills orders itself; its fills are audited when the gate syncs"
        try:
            fill = broker.fill_at(state.order.key, quote.price, now)
        except TaoruiError as exc:
            return exc.message
        self._audit_fill(fill, now)
        return None

    def settle(self, asof: datetime | None = None) -> list[Fill]:
        """A simulated broker fills open orders on its bars up to ``asof`` (default: now); each
        fill is audited as it happens. Returns the new fills."""
        broker = self._require_broker()
        if not isinstance(broker, SimulatedBroker):
            raise InvalidArgumentError(f"{type(broker).__name__} fills orders itself; use sync() to audit its fills")
        with self._serial():
            now = self._now()
            self._sync_fills(now)
            fills = broker.settle(asof or now)
            for fill in fills:
                self._audit_fill(fill, now)
            self._mark(now)
            return fills

    def sync(self) -> list[Fill]:
        """Audit fills the broker made by itself (a live broker); returns those newly audited."""
        with self._serial():
            return self._sync_fills(self._now())

    def _audit_fill(self, fill: Fill, now: datetime) -> None:
        if self._state.unseen_fills([fill.fill_id]):
            self._record(AuditKind.FILL, now, Attribution(agent=_GATE), fill=fill)
            self._state.mark_fill_seen(fill.fill_id)

    def _sync_fills(self, now: datetime) -> list[Fill]:
        """Audit broker fills not yet in the log (at least once: audit, then mark seen)."""
        broker = self.__broker
        if broker is None:
            return []
        try:
            fills = broker.fills()
        except Exception as exc:  # reading fills must not block a decision; it is retried next time
            logger.warning("could not read fills from the broker: %s", exc)
            return []
        by_id = {f.fill_id: f for f in fills}
        audited = []
        for fill_id in self._state.unseen_fills(list(by_id)):
            self._record(AuditKind.FILL, now, Attribution(agent=_GATE), fill=by_id[fill_id], synced=True)
            self._state.mark_fill_seen(fill_id)
            audited.append(by_id[fill_id])
        return audited

    def reset_account(self, by: str, initial_cash: float | None = None) -> None:
        """A person empties the simulated account; its fills are audited first, the reset after."""
        broker = self._require_broker()
        if not by.strip():
            raise InvalidArgumentError("say who resets the account (a person's name)")
        if not isinstance(broker, SimulatedBroker):
            raise InvalidArgumentError(f"{type(broker).__name__} is not a simulated account; it cannot be reset")
        with self._serial():
            now = self._now()
            self._sync_fills(now)
            before = {"cash": broker.cash(), "positions": broker.positions(), "fills": len(broker.fills()),
                      "open_orders": len(broker.orders(open_only=True))}
            broker.reset(initial_cash)
            self._record(AuditKind.ACCOUNT_RESET, now, Attribution(agent="person", approver=by), before=before,
                         cash=broker.cash())

    # marks and state ------------------------------------------------------------------
    def mark_to_market(self) -> list[StateChange]:
        """Mark equity (high-water mark, day start), apply loss limits, audit new fills."""
        with self._serial():
            return self._mark(self._now())

    def _mark(self, now: datetime) -> list[StateChange]:
        self._sync_fills(now)
        equity = self._equity()
        if equity is None:
            return []
        # A broken equity (NaN, <= 0) halts without being stored as a mark.
        breaches = loss_breaches(Marks(last_equity=equity), self.policy)
        if not breaches:
            breaches = loss_breaches(self._state.mark(equity, now), self.policy)
        return [c for state, why in breaches if (c := self._escalate(state, why, _GATE, now)) is not None]

    def _projected_state(self, now: datetime) -> TradingState:
        """The state a mark-to-market would leave, computed without writing anything."""
        state, equity, marks = self._state.current().state, self._equity(), self._state.marks()
        if equity is None:
            return state
        same_day = marks.day == now.date().isoformat() and marks.day_start_equity is not None
        hwm = max(marks.high_water_mark or equity, equity) if math.isfinite(equity) else marks.high_water_mark
        projected = Marks(high_water_mark=hwm, day=now.date().isoformat(), last_equity=equity,
                          day_start_equity=marks.day_start_equity if same_day else equity)
        for breach, _ in loss_breaches(projected, self.policy):
            state = breach if severity(breach) > severity(state) else state
        return state

    def _escalate(self, state: TradingState, reason: str, by: str, now: datetime) -> StateChange | None:
        change = self._state.escalate(state, reason, by, now)
        if change is not None:
            logger.warning("trading state %s -> %s: %s", change.previous.value, change.state.value, reason)
            self._record(AuditKind.STATE_CHANGE, now, Attribution(agent=by), change=change)
        return change

    def halt(self, reason: str, by: str) -> StateChange | None:
        """The kill switch: HALTED until a person resumes. None if already halted."""
        if not reason.strip() or not by.strip():
            raise InvalidArgumentError("halting needs a reason and who halts")
        with self._serial():
            return self._escalate(TradingState.HALTED, reason, by, self._now())

    def resume(self, reason: str, by: str) -> StateChange:
        """A person puts trading back to ACTIVE and re-bases the loss marks at today's equity
        (otherwise the same breach would fire again at once)."""
        if not by.strip():
            raise InvalidArgumentError("say who resumes trading (a person's name)")
        with self._serial():
            current = self._state.current()
            if current.state is TradingState.ACTIVE:
                raise InvalidArgumentError("trading is already ACTIVE; there is nothing to resume")
            now = self._now()
            change = self._state.resume(reason or "resumed", by, now, self._equity())
            self._record(AuditKind.STATE_CHANGE, now, Attribution(agent="person", approver=by), change=change)
            return change

    # verification ---------------------------------------------------------------------
    def verify(self) -> AuditVerification:
        """The audit chain and its anchor, and the ledger, approvals and broker cross-checked
        against the log: a submission, fill or decision missing from the log is named."""
        with self._lock:
            chain = self._audit.verify()
            broker = self.__broker
            orders, fills, problem = None, None, None
            if broker is not None:
                try:
                    orders, fills = broker.orders(), broker.fills()
                except Exception as exc:  # report, do not crash: the chain check still stands
                    problem = f"the broker could not be read: {_describe(exc)}"
            return cross_check(chain, self._audit.records(), self._state.all_submissions(), self._approvals.all(),
                               orders, fills, broker_problem=problem,
                               has_key=(lambda k: _safe_has_key(broker, k)) if broker is not None else None)

    # reads ----------------------------------------------------------------------------
    def status(self) -> RiskStatus:
        """Trading state, equity marks, order counts (read-only)."""
        now, record, marks = self._now(), self._state.current(), self._state.marks()
        equity, cash, error = self._account_numbers()
        hwm = max(marks.high_water_mark or 0.0, equity or 0.0) or None
        sent = self._state.submissions_since(now.replace(hour=0, minute=0, second=0, microsecond=0))
        start = marks.day_start_equity if marks.day == now.date().isoformat() else equity
        return RiskStatus(
            state=record.state, state_reason=record.reason, state_changed_by=record.changed_by,
            state_changed_at=record.changed_at, policy_hash=self.policy_hash, as_of=now, equity=equity, cash=cash,
            high_water_mark=hwm, drawdown_pct=_pct_below(hwm, equity), day_start_equity=start,
            daily_loss_pct=_pct_below(start, equity),
            orders_last_minute=sum(1 for s in sent if s.time > now.timestamp() - 60), orders_today=len(sent),
            pending_approvals=len(self._approvals.list(as_utc(self._wall()), ApprovalStatus.PENDING)),
            account_error=error,
        )

    def account(self) -> AccountView:
        """Cash, equity, positions and open orders (for read tools; no broker handle)."""
        broker = self._require_broker()
        return AccountView(as_of=self._now(), cash=broker.cash(), equity=broker.value(),
                           positions=tuple(broker.positions()), open_orders=tuple(broker.orders(open_only=True)))

    def fills(self, since: datetime | None = None) -> list[Fill]:
        """Every fill at the broker (oldest first), for readers that hold no broker handle."""
        return self._require_broker().fills(since)

    def order_state(self, key: str) -> OrderState | None:
        """The broker's state of the order with idempotency ``key``; None if it was never sent."""
        return self._order_state(key)

    def _require_broker(self) -> Broker:
        if self.__broker is None:
            raise UnavailableError("no broker is configured: trading is disabled")
        return self.__broker

    def _account_numbers(self) -> tuple[float | None, float | None, str | None]:
        if self.__broker is None:
            return None, None, "no broker is configured"
        try:
            return self.__broker.value(), self.__broker.cash(), None
        except Exception as exc:  # status must report a broken account, not crash
            return None, None, f"{type(exc).__name__}: {exc}"

    def _equity(self) -> float | None:
        return self._account_numbers()[0]

    def _was_sent(self, key: str) -> bool:
        broker = self.__broker
        return self._state.has_key(key) or (broker is not None and _safe_has_key(broker, key))

    def _order_state(self, key: str) -> OrderState | None:
        broker = self.__broker
        if broker is None:
            return None
        try:
            lookup = getattr(broker, "order", None)  # by key where the broker can (the paper broker)
            if callable(lookup):
                found = lookup(key)
                return found if isinstance(found, OrderState) else None
            return next((s for s in broker.orders() if s.order.key == key), None)
        except Exception:  # informational only (an unknown key included)
            return None

    def _fills_of(self, key: str) -> tuple[Fill, ...]:
        broker = self.__broker
        try:
            return tuple(f for f in broker.fills() if f.order_key == key) if broker is not None else ()
        except Exception:  # informational only
            return ()

    # inputs ---------------------------------------------------------------------------
    def _evaluate(
        self, order: object, now: datetime, approved: bool = False, exclude_approval: str | None = None,
        state: TradingState | None = None,
    ) -> CheckResult:
        if not isinstance(order, Order):  # malformed: rejected before any input is looked at
            blank = CheckInputs(now=now, state=TradingState.HALTED, allowed=frozenset(), quote=None)
            return evaluate(order, blank, self.policy)
        inputs = self._gather(order, now, exclude_approval, state)
        return evaluate(order, inputs, self.policy, approved=approved)

    def _gather(
        self, order: Order, now: datetime, exclude_approval: str | None, state: TradingState | None,
    ) -> CheckInputs:
        quote, quote_problem = self._quote(order.symbol, now)
        book, book_problem = self._book(order, now, quote.price if quote else None)
        window = max(60.0, self.policy.orders.duplicate_window_s)
        since = min(now.replace(hour=0, minute=0, second=0, microsecond=0), now - timedelta(seconds=window))
        held = frozenset(s for s, q in (book.positions.items() if book else ()) if abs(q) > 0)
        times, recent = self._state.recent_since(since)
        return CheckInputs(
            now=now, state=state or self._state.current().state, allowed=self._allowed_symbols(),
            quote=quote, quote_problem=quote_problem, book=book, book_problem=book_problem,
            recent=recent, recent_times=times, key_seen=self._key_seen(order.key, exclude_approval),
            known_symbols=self._state.symbols_sent() | held,
        )

    def _quote(self, symbol: str, now: datetime) -> tuple[PriceQuote | None, Reason | None]:
        try:
            return self._reference.last_price(symbol, now), None
        except UnknownSymbolError as exc:
            return None, Reason(code=ReasonCode.UNKNOWN_INSTRUMENT, message=exc.message)
        except Exception as exc:  # a failing price source is a missing price: fail closed
            logger.warning("price source failed for %s: %s", symbol, exc)
            return None, Reason(code=ReasonCode.NO_REFERENCE_PRICE,
                                message=f"the price source failed for {symbol}: {_describe(exc)}")

    def _book(self, order: Order, now: datetime, price: float | None) -> tuple[Book | None, str | None]:
        broker = self.__broker
        if broker is None:
            return None, "no broker is configured"
        try:
            positions = {p.symbol: p for p in broker.positions()}
            open_orders = tuple(broker.orders(open_only=True))
            cash, equity = broker.cash(), broker.value()
        except Exception as exc:  # an unreadable account is no account: fail closed
            return None, f"the broker could not be read: {_describe(exc)}"
        symbols = set(positions) | {s.order.symbol for s in open_orders}
        marks = {s: self._mark_price(positions.get(s), s, now) for s in symbols}
        if price is not None:
            marks[order.symbol] = price
        return Book(cash=cash, equity=equity, positions={s: p.qty for s, p in positions.items()},
                    open_orders=open_orders, marks=marks), None

    def _mark_price(self, position: Position | None, symbol: str, now: datetime) -> float | None:
        if position is not None and position.last_price is not None:
            return position.last_price
        try:
            quote = self._reference.last_price(symbol, now)
        except Exception:  # unpriced: the exposure check fails closed on it
            return None
        return quote.price if quote is not None else None

    def _key_seen(self, key: str, exclude_approval: str | None) -> str | None:
        if self._state.has_key(key):
            return "the gate already sent an order with this key"
        broker = self.__broker
        if broker is not None and _safe_has_key(broker, key):
            return "the broker already holds an order with this key"
        request = self._approvals.open_for_key(key, as_utc(self._wall()))
        if request is not None and request.id != exclude_approval:
            return f"approval request {request.id} ({request.status.value}) holds a different order with this key"
        return None

    def _allowed_symbols(self) -> frozenset[str]:
        if self._allowed is None:
            rules, members = self.policy.instruments, set()
            for universe in rules.allowed_universes:
                try:
                    members |= set(self._reference.universe_members(universe))
                except TaoruiError as exc:  # fail closed: its members stay not allowed
                    logger.warning("policy universe %s unavailable: %s", universe, exc.message)
            self._allowed = frozenset({s.upper() for s in rules.allowed_symbols} | members)
        return self._allowed

    # outcome and audit ----------------------------------------------------------------
    def _outcome(
        self, decision: Decision, reasons: tuple[Reason, ...] | list[Reason], order: Order | None,
        approval_id: str | None = None, order_state: OrderState | None = None, fills: tuple[Fill, ...] = (),
        submitted: bool = False,
    ) -> GateOutcome:
        return GateOutcome(decision=decision, reasons=tuple(reasons), policy_hash=self.policy_hash,
                           trading_state=self._state.current().state, order=order, approval_id=approval_id,
                           order_state=order_state, fills=fills, submitted=submitted)

    def _record(self, kind: AuditKind, now: datetime, attribution: Attribution, hold: bool = False,
                **payload: Any) -> None:
        row = {"as_of": now, "policy_hash": self.policy_hash, "attribution": attribution, **payload}
        if hold:  # with this thread's next row, or at the end of the operation (``_serial``)
            self._audit.hold(kind, row)
        else:
            self._audit.write(kind, row)

    def close(self) -> None:
        """Write the buffered check rows and close the state files and the lock."""
        self._audit.close()
        self._state.close()
        self._approvals.close()
        self._file_lock.close()


#: Proposals one leader decides before it lets the durable point answer them (bounds the
#: wait of the first caller of a long queue).
_BATCH_MAX = 64


class _Proposal:
    """One queued :meth:`Gate.propose` call: its order, and its outcome once answered."""

    __slots__ = ("attribution", "error", "order", "outcome", "promoted", "taken", "wake")

    def __init__(self, order: object, attribution: Attribution | None) -> None:
        self.order, self.attribution = order, attribution
        self.taken = False  # a leader took it (under the queue lock)
        self.promoted = False  # its caller is to lead next (under the queue lock)
        self.outcome: GateOutcome | None = None
        self.error: BaseException | None = None
        self.wake = threading.Event()  # answered (after the durable point that covers it), or promoted


def _attributed(order: object, attribution: Attribution | None) -> tuple[Order | None, Attribution]:
    """The parsed order carrying ``attribution`` (when given) and that attribution."""
    parsed, _ = parse_order(order)
    if parsed is None:
        return None, attribution or Attribution()
    if attribution is not None:
        parsed = parsed.model_copy(update={"attribution": attribution})
    return parsed, parsed.attribution


def _with_approver(request: ApprovalRequest) -> Order:
    attrib = request.order.attribution.model_copy(update={"approver": request.decided_by})
    return request.order.model_copy(update={"attribution": attrib})


def _same_order(a: Order, b: Order) -> bool:
    skip = {"attribution", "created"}
    return a.model_dump(exclude=skip) == b.model_dump(exclude=skip)


def _safe_has_key(broker: Broker, key: str) -> bool:
    try:
        return broker.has_key(key)
    except Exception:  # unknown counts as seen: never risk a double send
        return True


def _pct_below(reference: float | None, value: float | None) -> float | None:
    if not reference or value is None:
        return None
    return max(0.0, (reference - value) / reference * 100)


_INTERRUPTED = "interrupted before it reached the broker; not sent (executing it again re-checks it first)"


def _applied_or_raise(report: ApprovalDecisionReport) -> ApprovalRequest:
    if not report.applied:
        raise InvalidArgumentError(report.message)
    return report.request


def _decision_message(approve: bool, by: str, applied: bool, before: ApprovalRequest, after: ApprovalRequest,
                      veto: str | None) -> str:
    """One sentence saying what a person's decision did."""
    rid = after.id
    if applied and veto:
        return f"{rid} rejected by {by}, overriding {veto}'s approval before anything was sent; nothing was sent"
    if applied:
        return f"{rid} {'approved' if approve else 'rejected'} by {by}"
    if approve and after.status is ApprovalStatus.APPROVED:
        return f"{rid} was already approved by {after.decided_by}; no second approval was recorded"
    if after.status in _SENT:
        return (f"{rid} was already approved by {after.decided_by} and sent to the broker; "
                f"{by}'s {'approval' if approve else 'rejection'} came too late to change it")
    return not_open_message(after).replace("only pending requests can be decided",
                                           f"{by}'s {'approval' if approve else 'rejection'} was not applied")


def _settlement_message(report: ApprovalDecisionReport, outcome: GateOutcome, final: ApprovalRequest,
                        by_me: bool) -> str:
    who = final.decided_by or report.by
    if outcome.decision is Decision.ALLOW:
        how = "sent by this decision" if by_me else "already sent earlier; not sent again"
        return f"{final.id} approved by {who}; {how}"
    return f"{final.id} approved by {who}, but not sent: {_reasons_text(outcome.reasons)}"


def _reasons_text(reasons: tuple[Reason, ...]) -> str:
    return "; ".join(f"{r.code.value}: {r.message}" for r in reasons)


def _describe(exc: Exception) -> str:
    return exc.message if isinstance(exc, TaoruiError) else f"{type(exc).__name__}: {exc}"
