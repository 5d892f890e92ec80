"""The orchestration graph's typed state and the records it accumulates.

State holds only plain data (strings, numbers, lists, dicts) and LangChain messages, so the
SQLite checkpointer can store it with the strict serializer and a killed process can resume
from it. Records carry the ``instruction_id`` they belong to: a thread may hold several
instructions, and each answer reports only its own calls, runs and approvals.
"""

from __future__ import annotations

import operator
from typing import Annotated, Any, Literal, NotRequired, TypedDict

from langchain_core.messages import AnyMessage
from langgraph.graph.message import add_messages

__all__ = [
    "ApprovalRecord",
    "GraphState",
    "PendingApproval",
    "Status",
    "ToolCallRecord",
]

Status = Literal["running", "done", "needs_approval", "needs_clarification", "failed"]


class ToolCallRecord(TypedDict):
    """One tool call as the answer reports it."""

    instruction_id: str
    agent: str
    name: str
    args: dict[str, Any]
    ok: bool
    error: str | None
    note: str | None
    fills: list[dict[str, Any]]


class PendingApproval(TypedDict):
    """An order the gate sent to a person: what the interrupt carries."""

    approval_id: str
    call_id: str
    order: dict[str, Any]
    reasons: list[dict[str, Any]]
    expires: str | None
    note: NotRequired[str]  # how the planner computed the size ("half of the 1,200 held = 600")


class ApprovalRecord(TypedDict):
    """A person's decision on one approval request and what followed."""

    instruction_id: str
    approval_id: str
    order: dict[str, Any]
    reasons: list[dict[str, Any]]
    decision: Literal["approved", "rejected", "expired"]
    by: str
    reason: str
    outcome: dict[str, Any]


class GraphState(TypedDict, total=False):
    """State of one thread. Nodes return partial updates; list fields accumulate."""

    thread_id: str
    instruction: str
    instruction_id: str
    today: str  # the calendar day the instruction was asked on (ISO): how old the data is, by it
    earlier: list[str]
    language: Literal["en", "zh"]
    catalog: list[dict[str, Any]]
    memory: list[dict[str, Any]]
    messages: Annotated[list[AnyMessage], add_messages]
    active: str | None
    task: str
    handover: dict[str, Any] | None
    hops: int
    tool_calls: Annotated[list[ToolCallRecord], operator.add]
    run_ids: Annotated[list[dict[str, str]], operator.add]
    pending_approvals: list[PendingApproval]
    approvals: Annotated[list[ApprovalRecord], operator.add]
    usage: dict[str, Any]
    status: Status
    answer: str
    agent: str | None
    error: dict[str, str] | None
    run_dir: str | None
    require_approval: bool
    approval_reason: NotRequired[str | None]
    task_spec: dict[str, Any] | None
