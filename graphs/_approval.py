"""The approval node: a LangGraph interrupt carrying the orders and the reasons.

Nothing happens before ``interrupt``: on resume LangGraph re-runs this node from its top,
so the node only reads state until the person's decision is in. After it, every step is
replay-safe: the gate's ``decide`` returns the stored outcome for a request that was already
executed, and an order held for the person is proposed with its derived idempotency key, so
a second run finds the first (a duplicate key, or the same open request) and never sends twice.
Approvals expire: a decision after ``expires`` sends nothing.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import Any, Literal

from langchain_core.messages import HumanMessage
from langgraph.types import interrupt
from pydantic import BaseModel, ConfigDict, Field

from agents.planner import APPROVAL_MESSAGE
from graphs._deps import GraphDeps
from graphs._tools_node import _context, run_execute
from graphs.state import ApprovalRecord, GraphState, PendingApproval

__all__ = ["ApprovalDecision", "approval_node"]

logger = logging.getLogger(__name__)


class ApprovalDecision(BaseModel):
    """What a person answers to an approval interrupt."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    approve: bool = Field(description="True to approve every order of the request, False to reject them.")
    by: str = Field(min_length=1, max_length=64, description="Who decides.")
    reason: str = Field(default="", max_length=1000, description="Why (required to reject).")


def _expired(deps: GraphDeps, item: PendingApproval) -> bool:
    if not item.get("expires"):
        return False
    expires = datetime.fromisoformat(str(item["expires"]))
    now = deps.clock()
    if expires.tzinfo is None:
        now = now.replace(tzinfo=None)
    return now > expires


def _gate_decision(deps: GraphDeps, approval_id: str, decision: ApprovalDecision) -> dict[str, Any]:
    if deps.desk is None:
        return {"decision": "reject", "reasons": [{"code": "no_gate", "message": "no approval desk configured"}]}
    outcome = deps.desk.decide(approval_id, decision.approve, decision.by, decision.reason)
    key = (outcome.get("order") or {}).get("key")
    # Only an approval moves the paper market; a rejection that came too late fills nothing.
    if decision.approve and outcome.get("decision") == "allow" and deps.market is not None and key:
        outcome = {**outcome, **deps.market.execute(str(key))}
    return outcome


def _person_approved(deps: GraphDeps, state: GraphState, agent: str, item: PendingApproval,
                     decision: ApprovalDecision) -> dict[str, Any]:
    """An order the person asked to see first: now proposed to the gate (which re-checks it)."""
    tool = deps.tools.get("place_order")
    if tool is None:
        return {"decision": "reject", "reasons": [{"code": "no_gate", "message": "place_order is not available"}]}
    body = run_execute(deps, tool, dict(item["order"].get("args") or {}), _context(deps, state, agent))
    result = body.get("result") or {}
    if not body.get("ok"):
        return {"decision": "reject", "reasons": [body.get("error") or {}]}
    if result.get("decision") == "needs_approval" and result.get("approval_id"):
        # The gate wants a person too: this person already approved this exact order.
        return _gate_decision(deps, str(result["approval_id"]), decision)
    return result


def _settle(deps: GraphDeps, state: GraphState, agent: str, item: PendingApproval,
            decision: ApprovalDecision) -> tuple[Literal["approved", "rejected", "expired"], dict[str, Any]]:
    approval_id = item["approval_id"]
    if not approval_id.startswith("person:"):  # the gate knows the expiry and audits every attempt
        outcome = _gate_decision(deps, approval_id, decision)
        if (outcome.get("settlement") or {}).get("status") == "expired":
            return "expired", outcome
        return ("approved" if decision.approve else "rejected"), outcome
    if _expired(deps, item):
        return "expired", {"decision": "reject", "reasons": [{"code": "expired_request",
                                                               "message": f"the approval expired at {item['expires']}"}]}
    if not decision.approve:
        return "rejected", {"decision": "reject", "reasons": [{"code": "not_approved", "message": decision.reason}]}
    return "approved", _person_approved(deps, state, agent, item, decision)


def approval_node(deps: GraphDeps) -> Any:
    """Interrupt with the pending orders; apply the person's decision to each."""

    def approval(state: GraphState) -> dict[str, Any]:
        pending = list(state.get("pending_approvals") or [])
        payload = {"type": "order_approval", "thread_id": state.get("thread_id"),
                   "instruction": state.get("instruction"), "requests": pending}
        raw = interrupt(payload)
        decision = ApprovalDecision.model_validate(raw)
        agent, iid = state.get("active") or "trader", state["instruction_id"]
        records: list[ApprovalRecord] = []
        items: list[dict[str, Any]] = []
        for item in pending:
            verdict, outcome = _settle(deps, state, agent, item, decision)
            logger.info("approval %s: %s", item["approval_id"], verdict)
            key = outcome.get("order_key") or (outcome.get("order") or {}).get("key")
            items.append({"approval_id": item["approval_id"], "call_id": item["call_id"], "key": key,
                          "decision": verdict, "order": item["order"], "outcome": outcome})
            records.append(ApprovalRecord(instruction_id=iid, approval_id=item["approval_id"], order=item["order"],
                                          reasons=item["reasons"], decision=verdict, by=decision.by,
                                          reason=decision.reason, outcome=outcome))
        n = len([m for m in state.get("messages") or [] if (m.id or "").startswith(f"{iid}:{agent}:approval:")])
        note = {"ok": True, "result": {"decision": "approved" if decision.approve else "rejected", "by": decision.by,
                                       "reason": decision.reason, "orders": items}}
        message = HumanMessage(content=json.dumps(note, ensure_ascii=False, default=str), name=APPROVAL_MESSAGE,
                               id=f"{iid}:{agent}:approval:{n}")
        return {"messages": [message], "approvals": records, "pending_approvals": []}

    return approval
