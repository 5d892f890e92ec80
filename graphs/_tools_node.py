"""The tools node: runs the active agent's tool calls and answers every one of them.

- A malformed call (arguments that could not be read) is answered with an error and never
  executed; a call to a tool the agent does not hold is refused the same way.
- Read and compute tools run through ``Tool.invoke``: validation and Taorui errors come
  back as messages the agent can act on.
- Execute tools (``place_order``) are the gate's tools. When the person asked to approve
  orders, the call is held (nothing is proposed) and becomes an approval request; otherwise
  the gate decides, and its ``needs_approval`` becomes one. Both are raised as a LangGraph
  interrupt by the approval node, which runs before anything is sent.
- ``handover`` passes the work to another agent (checked against the role's targets).
"""

from __future__ import annotations

import dataclasses
import logging
from datetime import timedelta
from typing import Any

from langchain_core.messages import AIMessage, ToolMessage
from pydantic import ValidationError

from agents import HANDOVER, ROLES, HandoverArgs
from agents.llm import MalformedCall
from graphs._deps import GraphDeps
from graphs._messages import last_ai, tool_message
from graphs.state import GraphState, PendingApproval, ToolCallRecord
from tools import Tool, ToolContext, ToolKind

__all__ = ["run_execute", "tools_node"]

logger = logging.getLogger(__name__)

#: Why an order is held for a person although the policy would let it through (the spec says).
PERSON_ASKED = {"code": "person_asked", "message": "you asked to approve orders before they are sent"}
HELD_FOR = {
    "person_asked": PERSON_ASKED,
    "computed_quantity": {"code": "computed_quantity", "message": "the size was computed from your position, equity or "
                          "an amount of money, not stated as a number: a person confirms it before it is sent"},
    "inferred_order": {"code": "inferred_order", "message": "the size, side or symbol was inferred, not stated: a person "
                       "confirms it before it is sent"},
    "conditional_order": {"code": "conditional_order", "message": "the order hangs on a condition you stated, which "
                          "is not checked automatically: a person confirms it holds before it is sent"},
}


class _Batch:
    """What one pass of the tools node produces."""

    def __init__(self, state: GraphState, agent: str) -> None:
        self.iid, self.agent = state["instruction_id"], agent
        self.messages: list[ToolMessage] = []
        self.records: list[ToolCallRecord] = []
        self.run_ids: list[dict[str, str]] = []
        self.pending: list[PendingApproval] = []
        self.handover: dict[str, Any] | None = None
        self.said = ""  # what the agent wrote beside its calls (the offline executor: how it sized an order)

    def answer(self, call_id: str, name: str, args: dict[str, Any], body: dict[str, Any], note: str | None = None) -> None:
        ok = bool(body.get("ok"))
        error = body.get("error") or {}
        self.messages.append(tool_message(self.iid, self.agent, call_id, name, body))
        fills = list((body.get("result") or {}).get("fills") or []) if ok else []
        self.records.append(ToolCallRecord(instruction_id=self.iid, agent=self.agent, name=name, args=args, ok=ok,
                                           error=None if ok else f"{error.get('type')}: {error.get('message')}",
                                           note=note, fills=fills))
        run_id = (body.get("result") or {}).get("run_id") if ok else None
        if isinstance(run_id, str):
            self.run_ids.append({"instruction_id": self.iid, "run_id": run_id})


def _error(kind: str, message: str) -> dict[str, Any]:
    return {"ok": False, "error": {"type": kind, "message": message}}


def _context(deps: GraphDeps, state: GraphState, agent: str) -> ToolContext:
    return dataclasses.replace(deps.tool_context, agent=agent, thread_id=state.get("thread_id"),
                               instruction_id=state["instruction_id"])


def run_execute(deps: GraphDeps, tool: Tool, args: dict[str, Any], ctx: ToolContext) -> dict[str, Any]:  # type: ignore[type-arg]
    """Propose through the gate; a sent order gets its paper fills. Returns the message body."""
    outcome = tool.invoke(args, ctx)
    body: dict[str, Any] = {"ok": outcome.ok, "result": outcome.result} if outcome.ok else {
        "ok": False, "error": outcome.error.model_dump() if outcome.error else {}}
    result = body.get("result") or {}
    if outcome.ok and result.get("decision") == "allow" and deps.market is not None and result.get("order_key"):
        body["result"] = {**result, **deps.market.execute(str(result["order_key"]))}
    return body


def _hold(deps: GraphDeps, batch: _Batch, call_id: str, args: dict[str, Any], reasons: list[dict[str, Any]],
          approval_id: str | None, expires: str | None, note: str = "") -> None:
    order = {k: args.get(k) for k in ("symbol", "side", "qty", "order_type", "limit_price") if args.get(k) is not None}
    expiry = expires or (deps.clock() + timedelta(minutes=deps.approval_ttl_minutes)).isoformat()
    held = PendingApproval(approval_id=approval_id or f"person:{call_id}", call_id=call_id,
                           order=order | {"args": args}, reasons=reasons, expires=expiry)
    if note:
        held["note"] = note
    batch.pending.append(held)


def _execute(deps: GraphDeps, state: GraphState, batch: _Batch, call: dict[str, Any], tool: Tool,  # type: ignore[type-arg]
             note: str = "") -> None:
    args, call_id = dict(call["args"]), call["id"]
    if state.get("require_approval"):
        held = HELD_FOR.get(str(state.get("approval_reason") or "person_asked"), PERSON_ASKED)
        _hold(deps, batch, call_id, args, [held], None, None, note)
        body: dict[str, Any] = {"ok": True, "result": {"decision": "needs_approval", "reasons": [held],
                                       "approval_id": f"person:{call_id}",
                                       "message": "held for the person's approval; nothing was sent yet"}}
        batch.answer(call_id, tool.name, args, body, note="held for approval")
        return
    body = run_execute(deps, tool, args, _context(deps, state, batch.agent))
    result: dict[str, Any] = body.get("result") or {}
    if body.get("ok") and result.get("decision") == "needs_approval":
        expires = deps.desk.status(result["approval_id"]).get("expires") if deps.desk else None
        _hold(deps, batch, call_id, args, list(result.get("reasons") or []), result.get("approval_id"),
              str(expires) if expires else None, note)
    batch.answer(call_id, tool.name, args, body, note=result.get("decision"))


def _handover(deps: GraphDeps, state: GraphState, batch: _Batch, call: dict[str, Any]) -> None:
    role = ROLES[batch.agent]  # type: ignore[index]
    try:
        args = HandoverArgs.model_validate(call["args"])
    except ValidationError as exc:
        batch.answer(call["id"], HANDOVER, dict(call["args"]), _error("InvalidArgument", str(exc)))
        return
    if args.to not in role.handover_to or state.get("hops", 0) >= deps.max_handovers:
        why = f"{batch.agent} may hand over only to {', '.join(role.handover_to) or 'nobody'} (at most {deps.max_handovers} times)"
        batch.answer(call["id"], HANDOVER, dict(call["args"]), _error("InvalidArgument", why))
        return
    batch.handover = {"from": batch.agent, **args.model_dump(mode="json")}
    batch.answer(call["id"], HANDOVER, dict(call["args"]), {"ok": True, "result": {"handed_over_to": args.to}})


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
        batch.answer(call["id"], name, args, _error("UnknownTool", f"{batch.agent} has no tool {name!r}; it has: {held}"))
        return
    if tool.kind is ToolKind.EXECUTE:
        _execute(deps, state, batch, call, tool, batch.said)
        return
    outcome = tool.invoke(args, _context(deps, state, batch.agent))
    batch.answer(call["id"], name, args, {"ok": True, "result": outcome.result} if outcome.ok else
                 {"ok": False, "error": outcome.error.model_dump() if outcome.error else {}}, note=note)


def _malformed(batch: _Batch, message: AIMessage) -> None:
    for bad in message.invalid_tool_calls:
        report = MalformedCall(id=bad.get("id") or "", name=bad.get("name") or "unknown_tool",
                               raw_args=str(bad.get("args")), error=bad.get("error") or "not JSON")
        batch.messages.append(ToolMessage(content=report.message(), tool_call_id=report.id, name=report.name,
                                          id=f"{batch.iid}:{batch.agent}:tool:{report.id}"))
        batch.records.append(ToolCallRecord(instruction_id=batch.iid, agent=batch.agent, name=report.name,
                                            args={"raw": report.raw_args}, ok=False,
                                            error=f"MalformedToolCall: {report.error}", note="not executed",
                                            fills=[]))


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
        update: dict[str, Any] = {"messages": batch.messages, "tool_calls": batch.records, "run_ids": batch.run_ids,
                                  "pending_approvals": batch.pending}
        if batch.handover is not None:
            update.update(active=batch.handover["to"], handover=batch.handover, hops=state.get("hops", 0) + 1)
        return update

    return tools
