"""The tools node: runs the active agent's tool calls and answers every one of them.

- A malformed call (arguments that could not be read) is answered with an error and never
  executed; a call to a tool the agent does not hold is refused the same way.
- Read and compute tools run through ``Tool.invoke``: validation and Taorui errors come
  back as messages the agent can act on.
- Execute tools (``place_order``) are the gate's tools. When the person asked to approve
  orders, the call's arguments are checked and the call is held (nothing is proposed): a
  :class:`~graphs.state.PersonApproval`. Otherwise the gate decides, and its
  ``needs_approval`` becomes a :class:`~graphs.state.GateApproval` (read from the approval
  desk; without a desk the request is left to the gate's own approval commands). Both are
  raised as a LangGraph interrupt by the approval node, which runs before anything is sent.
- ``handover`` passes the work to another agent (checked against the role's targets).
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from langchain_core.messages import AIMessage, ToolMessage
from pydantic import ValidationError

from agents import HANDOVER, ROLES, HandoverArgs
from agents.llm import MalformedCall
from graphs._deps import GraphDeps
from graphs._messages import last_ai, tool_message
from graphs._progress import GraphProgress
from graphs.state import HANDOVER as STORED_HANDOVER
from graphs.state import (
    PENDING,
    TOOL_CALLS,
    GateApproval,
    GraphReason,
    GraphReasonCode,
    GraphState,
    Handover,
    PendingApproval,
    PersonApproval,
    ToolCallRecord,
)
from guardrails import FillReport
from tools import ErrorInfo, Tool, ToolContext, ToolKind, ToolOutcome
from tools.order_tools import PlaceOrderArgs, PlaceOrderResult

__all__ = ["OrderCall", "run_execute", "tools_node"]

logger = logging.getLogger(__name__)

#: Why an order is held for a person although the policy would let it through (the spec says).
PERSON_ASKED = GraphReason(code=GraphReasonCode.PERSON_ASKED,
                           message="you asked to approve orders before they are sent")
HELD_FOR = {
    "person_asked": PERSON_ASKED,
    "computed_quantity": GraphReason(
        code=GraphReasonCode.COMPUTED_QUANTITY, message="the size was computed from your position, equity or an "
        "amount of money, not stated as a number: a person confirms it before it is sent"),
    "inferred_order": GraphReason(
        code=GraphReasonCode.INFERRED_ORDER, message="the size, side or symbol was inferred, not stated: a person "
        "confirms it before it is sent"),
    "conditional_order": GraphReason(
        code=GraphReasonCode.CONDITIONAL_ORDER, message="the order hangs on a condition you stated: a person "
        "confirms it holds before it is sent"),
}


@dataclasses.dataclass(frozen=True)
class OrderCall:
    """One ``place_order`` call: the tool's answer, the gate's decision in it, the paper fills."""

    outcome: ToolOutcome
    placed: PlaceOrderResult | None = None  # None when the tool refused the call
    paper: FillReport | None = None  # the paper fills of an order the gate sent


class _Batch:
    """What one pass of the tools node produces."""

    def __init__(self, state: GraphState, agent: str) -> None:
        self.iid, self.agent = state["instruction_id"], agent
        self.messages: list[ToolMessage] = []
        self.records: list[ToolCallRecord] = []
        self.run_ids: list[dict[str, str]] = []
        self.pending: list[PendingApproval] = []
        self.handover: Handover | None = None
        self.said = ""  # what the agent wrote beside its calls (the offline executor: how it sized an order)

    def answer(self, call_id: str, args: dict[str, Any], outcome: ToolOutcome, note: str | None = None,
               paper: FillReport | None = None) -> None:
        error = outcome.error
        self.messages.append(tool_message(self.iid, self.agent, call_id, outcome, paper))
        self.records.append(ToolCallRecord(
            instruction_id=self.iid, agent=self.agent, name=outcome.tool, args=args, ok=outcome.ok,
            error=None if outcome.ok else f"{error.type if error else None}: {error.message if error else None}",
            note=note, fills=paper.fills if paper is not None and outcome.ok else ()))
        run_id = (outcome.result or {}).get("run_id") if outcome.ok else None
        if isinstance(run_id, str):
            self.run_ids.append({"instruction_id": self.iid, "run_id": run_id})


def _error(name: str, kind: str, message: str) -> ToolOutcome:
    return ToolOutcome(tool=name, ok=False, error=ErrorInfo(type=kind, message=message))


def _context(deps: GraphDeps, state: GraphState, agent: str) -> ToolContext:
    return dataclasses.replace(deps.tool_context, agent=agent, thread_id=state.get("thread_id"),
                               instruction_id=state["instruction_id"],
                               progress=GraphProgress(deps.tool_context.progress))


def run_execute(deps: GraphDeps, tool: Tool, args: Mapping[str, Any], ctx: ToolContext) -> OrderCall:  # type: ignore[type-arg]
    """Propose an order through the gate; a sent order gets its paper fills."""
    outcome = tool.invoke(args, ctx)
    if not outcome.ok:
        return OrderCall(outcome)
    placed = PlaceOrderResult.model_validate(outcome.result)
    if placed.decision == "allow" and deps.market is not None and placed.order_key:
        return OrderCall(outcome, placed, deps.market.execute(placed.order_key))
    return OrderCall(outcome, placed)


def _expiry(deps: GraphDeps) -> datetime:
    return deps.clock() + timedelta(minutes=deps.approval_ttl_minutes)


def _hold_for_person(deps: GraphDeps, state: GraphState, batch: _Batch, call_id: str, tool: Tool,  # type: ignore[type-arg]
                     args: dict[str, Any], note: str) -> None:
    """The person asked to see orders first: hold the call (nothing is proposed) as a request."""
    try:
        order = PlaceOrderArgs.model_validate(tool.parse_args(args).model_dump())
    except (ValidationError, TypeError, ValueError) as exc:  # never ask a person to approve what cannot be sent
        batch.answer(call_id, args, _error(tool.name, "InvalidArgument", str(exc)))
        return
    held = HELD_FOR.get(str(state.get("approval_reason") or "person_asked"), PERSON_ASKED)
    request = PersonApproval(approval_id=f"person:{call_id}", call_id=call_id, order=order, reasons=(held,),
                             expires=_expiry(deps), note=note)
    batch.pending.append(request)
    result = {"decision": "needs_approval", "reasons": [held.model_dump(mode="json")],
              "approval_id": request.approval_id, "message": "held for the person's approval; nothing was sent yet"}
    batch.answer(call_id, args, ToolOutcome(tool=tool.name, ok=True, result=result), note="held for approval")


def _gate_request(deps: GraphDeps, call_id: str, approval_id: str, note: str) -> GateApproval | None:
    """The gate's request as a pending decision (without a desk, it is left to the gate's own commands)."""
    if deps.desk is None:
        logger.warning("approval %s waits at the gate, but the graph has no approval desk to settle it", approval_id)
        return None
    request = deps.desk.status(approval_id)
    return GateApproval(approval_id=request.id, call_id=call_id, order=request.order, reasons=request.reasons,
                        expires=request.expires, note=note)


def _execute(deps: GraphDeps, state: GraphState, batch: _Batch, call: dict[str, Any], tool: Tool,  # type: ignore[type-arg]
             note: str = "") -> None:
    args, call_id = dict(call["args"]), call["id"]
    if tool.args_model is not PlaceOrderArgs:  # not an order (no role holds such a tool today): run it as is
        batch.answer(call_id, args, tool.invoke(args, _context(deps, state, batch.agent)))
        return
    if state.get("require_approval"):
        _hold_for_person(deps, state, batch, call_id, tool, args, note)
        return
    done = run_execute(deps, tool, args, _context(deps, state, batch.agent))
    if done.placed is not None and done.placed.decision == "needs_approval" and done.placed.approval_id:
        request = _gate_request(deps, call_id, done.placed.approval_id, note)
        if request is not None:
            batch.pending.append(request)
    batch.answer(call_id, args, done.outcome, note=done.placed.decision if done.placed else None, paper=done.paper)


def _plan_changes(state: GraphState) -> int:
    """How often the task's own steps change agent ("account, backtest, then sell": twice): the
    hand-over budget guards against a model bouncing between agents, never against the plan."""
    steps = (state.get("task_spec") or {}).get("steps") or []
    agents = [s.get("agent") for s in steps if isinstance(s, dict) and s.get("intent") != "compare"]
    return sum(1 for a, b in zip(agents, agents[1:], strict=False) if a and b and a != b)


def _handover(deps: GraphDeps, state: GraphState, batch: _Batch, call: dict[str, Any]) -> None:
    role = ROLES[batch.agent]  # type: ignore[index]
    raw = dict(call["args"])
    try:
        args = HandoverArgs.model_validate(raw)
    except ValidationError as exc:
        batch.answer(call["id"], raw, _error(HANDOVER, "InvalidArgument", str(exc)))
        return
    limit = max(deps.max_handovers, _plan_changes(state))
    if args.to not in role.handover_to or state.get("hops", 0) >= limit:
        why = f"{batch.agent} may hand over only to {', '.join(role.handover_to) or 'nobody'} (at most {limit} times)"
        batch.answer(call["id"], raw, _error(HANDOVER, "InvalidArgument", why))
        return
    batch.handover = Handover.model_validate({"from": batch.agent, **args.model_dump()})
    batch.answer(call["id"], raw, ToolOutcome(tool=HANDOVER, ok=True, result={"handed_over_to": args.to}))


def _one(deps: GraphDeps, state: GraphState, batch: _Batch, call: dict[str, Any], repaired: dict[str, Any]) -> None:
    name, args = call["name"], dict(call["args"])
    note = f"arguments repaired: {', '.join(repaired[call['id']])}" if call["id"] in repaired else None
    if name == HANDOVER:
        _handover(deps, state, batch, call)
        return
    allowed = ROLES[batch.agent].tools  # type: ignore[index]
    tool = deps.tools.get(name)
    if tool is None or name not in allowed:
        held = ", ".join(n for n in allowed if n in deps.tools)
        batch.answer(call["id"], args, _error(name, "UnknownTool", f"{batch.agent} has no tool {name!r}; it has: {held}"))
        return
    if tool.kind is ToolKind.EXECUTE:
        _execute(deps, state, batch, call, tool, batch.said)
        return
    batch.answer(call["id"], args, tool.invoke(args, _context(deps, state, batch.agent)), note=note)


def _malformed(batch: _Batch, message: AIMessage) -> None:
    for bad in message.invalid_tool_calls:
        report = MalformedCall(id=bad.get("id") or "", name=bad.get("name") or "unknown_tool",
                               raw_args=str(bad.get("args")), error=bad.get("error") or "not JSON")
        batch.messages.append(ToolMessage(content=report.message(), tool_call_id=report.id, name=report.name,
                                          id=f"{batch.iid}:{batch.agent}:tool:{report.id}"))
        batch.records.append(ToolCallRecord(instruction_id=batch.iid, agent=batch.agent, name=report.name,
                                            args={"raw": report.raw_args}, ok=False,
                                            error=f"MalformedToolCall: {report.error}", note="not executed"))


def tools_node(deps: GraphDeps) -> Any:
    """Answer every tool call of the active agent's last message."""

    def tools(state: GraphState) -> dict[str, Any]:
        agent = state.get("active") or ""
        message = last_ai(state.get("messages") or [], state["instruction_id"], agent)
        batch = _Batch(state, agent)
        if message is not None and isinstance(message.content, str):
            batch.said = message.content[:2000]
        if message is None:
            return {}
        _malformed(batch, message)
        repaired = (message.response_metadata or {}).get("taorui_repaired") or {}
        for call in message.tool_calls:
            _one(deps, state, batch, dict(call), repaired)
        update: dict[str, Any] = {"messages": batch.messages, "run_ids": batch.run_ids,
                                  "tool_calls": [TOOL_CALLS.dump(r) for r in batch.records],
                                  "pending_approvals": [PENDING.dump(p) for p in batch.pending]}
        if batch.handover is not None:
            update.update(active=batch.handover.to, handover=STORED_HANDOVER.dump(batch.handover),
                          hops=state.get("hops", 0) + 1)
        return update

    return tools
