"""The approval node: a LangGraph interrupt carrying the orders and the reasons.

Nothing happens before ``interrupt``: on resume LangGraph re-runs this node from its top,
so the node only reads state until the person's decision is in. After it, every step is
replay-safe: the gate's ``decide`` returns the stored outcome for a request that was already
executed, and an order held for the person is proposed with its derived idempotency key, so
a second run finds the first (a duplicate key, or the same open request) and never sends twice.
Approvals expire: a decision after ``expires`` sends nothing.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from langchain_core.messages import HumanMessage
from langgraph.types import interrupt
from pydantic import BaseModel, ConfigDict, Field

from agents.planner import APPROVAL_MESSAGE
from graphs._deps import GraphDeps
from graphs._messages import approval_text
from graphs._tools_node import _context, run_execute
from graphs.state import (
    APPROVALS,
    PENDING,
    ApprovalOutcome,
    ApprovalRecord,
    GateApproval,
    GraphReasonCode,
    GraphState,
    PersonApproval,
    Verdict,
)
from guardrails import ApprovalStatus, Decision, ReasonCode

__all__ = ["ApprovalDecision", "approval_node"]

logger = logging.getLogger(__name__)


class ApprovalDecision(BaseModel):
    """What a person answers to an approval interrupt."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    approve: bool = Field(description="True to approve every order of the request, False to reject them.")
    by: str = Field(min_length=1, max_length=64, description="Who decides.")
    reason: str = Field(default="", max_length=1000, description="Why (required to reject).")


def _expired(now: datetime, expires: datetime) -> bool:
    if expires.tzinfo is None:
        now = now.replace(tzinfo=None)
    return now > expires


def _gate_decision(deps: GraphDeps, approval_id: str, decision: ApprovalDecision) -> ApprovalOutcome:
    if deps.desk is None:
        return ApprovalOutcome.refused(GraphReasonCode.NO_GATE, "no approval desk configured")
    outcome = ApprovalOutcome.settled(deps.desk.decide(approval_id, decision.approve, decision.by, decision.reason))
    # Only an approval moves the paper market; a rejection that came too late fills nothing.
    if decision.approve and outcome.decision is Decision.ALLOW and deps.market is not None and outcome.order_key:
        outcome = outcome.filled(deps.market.execute(outcome.order_key))
    return outcome


def _person_approved(deps: GraphDeps, state: GraphState, agent: str, item: PersonApproval,
                     decision: ApprovalDecision) -> ApprovalOutcome:
    """An order the person asked to see first: now proposed to the gate (which re-checks it)."""
    tool = deps.tools.get("place_order")
    if tool is None:
        return ApprovalOutcome.refused(GraphReasonCode.NO_GATE, "place_order is not available")
    done = run_execute(deps, tool, item.order.model_dump(mode="json", exclude_none=True),
                       _context(deps, state, agent))
    if done.placed is None:
        error = done.outcome.error
        return ApprovalOutcome.refused(GraphReasonCode.TOOL_ERROR,
                                       f"{error.type}: {error.message}" if error else "the order could not be sent")
    if done.placed.decision == "needs_approval" and done.placed.approval_id:
        # The gate wants a person too: this person already approved this exact order.
        return _gate_decision(deps, done.placed.approval_id, decision)
    outcome = ApprovalOutcome.placed(done.placed)
    return outcome.filled(done.paper) if done.paper is not None else outcome


def _settle_gate(deps: GraphDeps, item: GateApproval, decision: ApprovalDecision) -> tuple[Verdict, ApprovalOutcome]:
    """The gate knows the expiry and audits every attempt."""
    outcome = _gate_decision(deps, item.approval_id, decision)
    if outcome.settlement is not None and outcome.settlement.status is ApprovalStatus.EXPIRED:
        return "expired", outcome
    return ("approved" if decision.approve else "rejected"), outcome


def _settle_person(deps: GraphDeps, state: GraphState, agent: str, item: PersonApproval,
                   decision: ApprovalDecision) -> tuple[Verdict, ApprovalOutcome]:
    if _expired(deps.clock(), item.expires):
        return "expired", ApprovalOutcome.refused(ReasonCode.APPROVAL_EXPIRED,
                                                  f"the approval expired at {item.expires.isoformat()}")
    if not decision.approve:
        return "rejected", ApprovalOutcome.refused(ReasonCode.NOT_APPROVED, decision.reason)
    return "approved", _person_approved(deps, state, agent, item, decision)


def _settle(deps: GraphDeps, state: GraphState, agent: str, item: GateApproval | PersonApproval,
            decision: ApprovalDecision) -> tuple[Verdict, ApprovalOutcome]:
    if item.kind == "gate":
        return _settle_gate(deps, item, decision)
    return _settle_person(deps, state, agent, item, decision)


def approval_node(deps: GraphDeps) -> Any:
    """Interrupt with the pending orders; apply the person's decision to each."""

    def approval(state: GraphState) -> dict[str, Any]:
        pending = PENDING.load_all(state.get("pending_approvals"))  # a malformed entry stops here, before anything
        payload = {"type": "order_approval", "thread_id": state.get("thread_id"),
                   "instruction": state.get("instruction"), "requests": [PENDING.dump(p) for p in pending]}
        decision = ApprovalDecision.model_validate(interrupt(payload))
        agent, iid = state.get("active") or "trader", state["instruction_id"]
        records: list[ApprovalRecord] = []
        for item in pending:
            verdict, outcome = _settle(deps, state, agent, item, decision)
            logger.info("approval %s (%s): %s", item.approval_id, item.kind, verdict)
            records.append(ApprovalRecord(instruction_id=iid, request=item, decision=verdict, by=decision.by,
                                          reason=decision.reason, outcome=outcome))
        n = len([m for m in state.get("messages") or [] if (m.id or "").startswith(f"{iid}:{agent}:approval:")])
        message = HumanMessage(content=approval_text(records, decision.approve, decision.by, decision.reason),
                               name=APPROVAL_MESSAGE, id=f"{iid}:{agent}:approval:{n}")
        return {"messages": [message], "approvals": [APPROVALS.dump(r) for r in records], "pending_approvals": []}

    return approval
