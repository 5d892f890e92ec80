"""What the planner decides to do next: call tools, hand over, route, ask, or answer."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from agents.spec import TaskSpec

__all__ = ["Action", "Answer", "Ask", "CallTools", "Handover", "Route", "Submit", "ToolCall"]


@dataclass(frozen=True)
class ToolCall:
    """One tool call to emit, for task step ``step``."""

    name: str
    args: dict[str, Any]
    step: int = 0


@dataclass(frozen=True)
class CallTools:
    """Tool calls emitted together in one model turn."""

    calls: tuple[ToolCall, ...]
    note: str = ""  # said beside the calls (how an order was sized), in the person's language


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
class Submit:
    """The supervisor's reading of the instruction: the task spec (as ``submit_task``)."""

    spec: TaskSpec


@dataclass(frozen=True)
class Ask:
    """One clarifying question."""

    question: str


@dataclass(frozen=True)
class Answer:
    """The final answer text. ``halts``: a failure that stops the instruction (later steps are not run)."""

    text: str
    halts: bool = False


Action = CallTools | Handover | Route | Submit | Ask | Answer
