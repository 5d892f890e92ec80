"""Message bookkeeping: ids that say whose a message is, and each agent's own conversation.

Every message the graph stores gets an id ``<instruction_id>:<speaker>:<kind>:<n>``, so an
agent's conversation for the current instruction is a prefix filter, a thread can hold
several instructions, and a replayed node writes the same ids (``add_messages`` replaces,
never duplicates).

This is the message edge: the state's records (tool outcomes, paper fills, approvals, the
hand-over) become the JSON text the agents read here and nowhere else.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
from typing import Any

from langchain_core.messages import (
    AIMessage,
    AnyMessage,
    BaseMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)

from agents import Brief, load_prompt, render_brief
from agents.brief import CatalogEntry
from graphs.state import HANDOVER, ApprovalRecord, GraphState, fill_rule
from guardrails import FillReport
from tools import ToolOutcome

__all__ = ["ai_id", "approval_text", "conversation", "last_ai", "mine", "tool_message", "turns"]


def ai_id(instruction_id: str, speaker: str, turn: int) -> str:
    """Id of the ``turn``-th model message of ``speaker``."""
    return f"{instruction_id}:{speaker}:ai:{turn}"


def mine(messages: Sequence[AnyMessage], instruction_id: str, speaker: str) -> list[AnyMessage]:
    """The messages of ``speaker`` for this instruction, in order."""
    prefix = f"{instruction_id}:{speaker}:"
    return [m for m in messages if (m.id or "").startswith(prefix)]


def turns(messages: Sequence[AnyMessage], instruction_id: str, speaker: str) -> int:
    """How many model messages ``speaker`` wrote for this instruction."""
    return sum(1 for m in mine(messages, instruction_id, speaker) if isinstance(m, AIMessage))


def last_ai(messages: Sequence[AnyMessage], instruction_id: str, speaker: str) -> AIMessage | None:
    """The latest model message of ``speaker`` for this instruction."""
    found = [m for m in mine(messages, instruction_id, speaker) if isinstance(m, AIMessage)]
    return found[-1] if found else None


def _paper(report: FillReport) -> dict[str, Any]:
    return {"fills": [f.model_dump(mode="json") for f in report.fills], "fill_rule": fill_rule(report),
            "status": report.status}


def tool_body(outcome: ToolOutcome, paper: FillReport | None = None) -> dict[str, Any]:
    """The tool's answer as the model reads it; a sent order's result carries its paper fills."""
    if not outcome.ok:
        return {"ok": False, "error": outcome.error.model_dump() if outcome.error else {}}
    result = dict(outcome.result or {})
    return {"ok": True, "result": result | _paper(paper) if paper is not None else result}


def tool_message(instruction_id: str, speaker: str, call_id: str, outcome: ToolOutcome,
                 paper: FillReport | None = None) -> ToolMessage:
    """The answer to one tool call, as JSON the model reads."""
    return ToolMessage(content=json.dumps(tool_body(outcome, paper), ensure_ascii=False, default=str),
                       tool_call_id=call_id, name=outcome.tool, id=f"{instruction_id}:{speaker}:tool:{call_id}")


def approval_text(records: Sequence[ApprovalRecord], approve: bool, by: str, reason: str) -> str:
    """The person's decision and what followed for each order, as JSON the agent reads (empty fields
    left out: the agent's context is small)."""
    orders = [{"approval_id": r.request.approval_id, "call_id": r.request.call_id, "key": r.outcome.order_key,
               "decision": r.decision, "order": r.request.order.model_dump(mode="json", exclude_none=True),
               "outcome": r.outcome.model_dump(mode="json", exclude_none=True)} for r in records]
    note = {"ok": True, "result": {"decision": "approved" if approve else "rejected", "by": by, "reason": reason,
                                   "orders": orders}}
    return json.dumps(note, ensure_ascii=False, default=str)


def brief_for(state: GraphState, role: str, catalog: Sequence[CatalogEntry] = ()) -> Brief:
    """The brief of ``role`` built from the state and the store's catalog (never stored)."""
    stored = state.get("handover") if role == state.get("active") else None
    handover = HANDOVER.dump(HANDOVER.load(stored)) if stored else None  # checked, then as the agent reads it
    return Brief(
        instruction=state["instruction"], language=state.get("language", "en"), role=role,
        task=state.get("task", ""), earlier=tuple(state.get("earlier") or ()),
        catalog=tuple(catalog) or tuple(state.get("catalog") or ()),  # type: ignore[arg-type]
        memory=tuple(state.get("memory") or ()),  # type: ignore[arg-type]
        handover=handover, thread_id=state.get("thread_id", ""), spec=state.get("task_spec"),
        **({"today": date.fromisoformat(state["today"])} if state.get("today") else {}),
    )


def conversation(state: GraphState, role: str, extra: Sequence[BaseMessage] = (),
                 catalog: Sequence[CatalogEntry] = ()) -> list[BaseMessage]:
    """System prompt, brief (with the store's ``catalog``), then the role's own messages."""
    head: list[BaseMessage] = [SystemMessage(content=load_prompt(role)),
                               HumanMessage(content=render_brief(brief_for(state, role, catalog)))]
    own = mine(state.get("messages") or [], state["instruction_id"], role)
    return [*head, *own, *extra]
