"""What the planner decides to do next: call tools, hand over, route, ask, or answer."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["Action", "Answer", "Ask", "CallTools", "Handover", "Route", "ToolCall"]


@dataclass(frozen=True)
class ToolCall:
    """One tool call to emit."""

    name: str
    args: dict[str, Any]


@dataclass(frozen=True)
class CallTools:
    """Tool calls emitted together in one model turn."""

    calls: tuple[ToolCall, ...]


@dataclass(frozen=True)
class Handover:
    """Pass the work to another agent."""

    to: str
    note: str
    run_id: str | None = None
    payload: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Route:
    """The supervisor's routing decision."""

    agent: str
    task: str


@dataclass(frozen=True)
class Ask:
    """One clarifying question."""

    question: str


@dataclass(frozen=True)
class Answer:
    """The final answer text."""

    text: str


Action = CallTools | Handover | Route | Ask | Answer
