"""Message bookkeeping: ids that say whose a message is, and each agent's own conversation.

Every message the graph stores gets an id ``<instruction_id>:<speaker>:<kind>:<n>``, so an
agent's conversation for the current instruction is a prefix filter, a thread can hold
several instructions, and a replayed node writes the same ids (``add_messages`` replaces,
never duplicates).
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
from graphs.state import GraphState

__all__ = ["ai_id", "conversation", "last_ai", "mine", "tool_message", "turns"]


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


def tool_message(instruction_id: str, speaker: str, call_id: str, name: str, body: dict[str, Any]) -> ToolMessage:
    """The answer to one tool call, as JSON the model reads."""
    return ToolMessage(content=json.dumps(body, ensure_ascii=False, default=str), tool_call_id=call_id, name=name,
                       id=f"{instruction_id}:{speaker}:tool:{call_id}")


def brief_for(state: GraphState, role: str) -> Brief:
    """The brief of ``role`` built from the state (never stored: always rebuilt the same)."""
    handover = state.get("handover") if role == state.get("active") else None
    return Brief(
        instruction=state["instruction"], language=state.get("language", "en"), role=role,
        task=state.get("task", ""), earlier=tuple(state.get("earlier") or ()),
        catalog=tuple(state.get("catalog") or ()), memory=tuple(state.get("memory") or ()),  # type: ignore[arg-type]
        handover=handover, thread_id=state.get("thread_id", ""), spec=state.get("task_spec"),
        **({"today": date.fromisoformat(state["today"])} if state.get("today") else {}),
    )


def conversation(state: GraphState, role: str, extra: Sequence[BaseMessage] = ()) -> list[BaseMessage]:
    """System prompt, brief, then the role's own messages for this instruction."""
    head: list[BaseMessage] = [SystemMessage(content=load_prompt(role)),
                               HumanMessage(content=render_brief(brief_for(state, role)))]
    own = mine(state.get("messages") or [], state["instruction_id"], role)
    return [*head, *own, *extra]
