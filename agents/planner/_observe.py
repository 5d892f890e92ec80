"""What the planner has seen so far in its conversation: its calls and their outcomes."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from agents.brief import Brief, read_brief

if TYPE_CHECKING:  # LangChain loads only when a conversation is read (the graph has it already)
    from langchain_core.messages import BaseMessage

__all__ = ["APPROVAL_MESSAGE", "Conversation", "Observation", "read_conversation", "step_of"]

#: ``name`` of the human message the graph adds after a person decided on an approval.
APPROVAL_MESSAGE = "approval"


@dataclass(frozen=True)
class Observation:
    """One tool call and what came back (``ok`` False with ``error`` on failure).

    ``step`` is the task step the call was made for (read from the call id, which the
    executor tags ``..._s<step>``); -1 when the call carried no step.
    """

    name: str
    args: dict[str, Any]
    ok: bool
    result: dict[str, Any] = field(default_factory=dict)
    error: dict[str, Any] = field(default_factory=dict)
    step: int = -1


def step_of(call_id: str) -> int:
    """The step tag of a call id (``call_ab12_3_0_s2`` -> 2), or -1."""
    match = re.search(r"_s(\d+)$", call_id or "")
    return int(match.group(1)) if match else -1


@dataclass(frozen=True)
class Conversation:
    """The role, the brief, the observations, and whether tools may still be called."""

    role: str
    brief: Brief | None
    observations: tuple[Observation, ...]
    pending: tuple[str, ...]  # tool-call ids without an answer yet


def _role(messages: Sequence[BaseMessage]) -> str:
    from langchain_core.messages import SystemMessage

    for message in messages:
        if isinstance(message, SystemMessage):
            for line in str(message.content).splitlines():
                if line.lower().startswith("role:"):
                    return line.split(":", 1)[1].strip()
    return "unknown"


def _outcome(text: str) -> tuple[bool, dict[str, Any], dict[str, Any]]:
    try:
        body = json.loads(text)
    except ValueError:
        return False, {}, {"type": "Unreadable", "message": text[:500]}
    if not isinstance(body, dict):
        return False, {}, {"type": "Unreadable", "message": text[:500]}
    ok = bool(body.get("ok"))
    return ok, body.get("result") or {}, body.get("error") or {}


def read_conversation(messages: Sequence[BaseMessage]) -> Conversation:
    """Pair every tool call with its tool message; approval notes become observations."""
    from langchain_core.messages import AIMessage, HumanMessage, ToolMessage

    brief: Brief | None = None
    calls: dict[str, tuple[str, dict[str, Any]]] = {}
    order: list[str] = []
    answered: dict[str, Observation] = {}
    extra: list[tuple[int, Observation]] = []
    for message in messages:
        if isinstance(message, HumanMessage) and message.name == APPROVAL_MESSAGE:
            ok, result, error = _outcome(str(message.content))
            extra.append((len(order), Observation(APPROVAL_MESSAGE, {}, ok, result, error)))
        elif isinstance(message, HumanMessage) and brief is None:
            brief = read_brief(str(message.content))
        elif isinstance(message, AIMessage):
            for call in message.tool_calls:
                calls[call["id"] or ""] = (call["name"], dict(call["args"]))
                order.append(call["id"] or "")
        elif isinstance(message, ToolMessage):
            name, args = calls.get(message.tool_call_id, (message.name or "?", {}))
            ok, result, error = _outcome(str(message.content))
            answered[message.tool_call_id] = Observation(name, args, ok, result, error, step_of(message.tool_call_id))
    observations: list[Observation] = []
    for index, call_id in enumerate(order):
        observations += [obs for at, obs in extra if at == index]
        if call_id in answered:
            observations.append(answered[call_id])
    observations += [obs for at, obs in extra if at >= len(order)]
    pending = tuple(c for c in order if c not in answered)
    return Conversation(_role(messages), brief, tuple(observations), pending)
