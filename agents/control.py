"""Control tools: how the supervisor routes and asks, and how an agent hands over.

They are real tool calls (so an LLM emits them like any other) but the graph carries them
out itself: nothing here touches an engine. Arguments are validated strictly like a tool's.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from agents.draft import TaskDraft

__all__ = [
    "ASK_USER",
    "CONTROL_TOOLS",
    "HANDOVER",
    "ROUTE",
    "SUBMIT_TASK",
    "AskUserArgs",
    "HandoverArgs",
    "RouteArgs",
    "control_schema",
]

ROUTE = "route_to_agent"
ASK_USER = "ask_user"
HANDOVER = "handover"
SUBMIT_TASK = "submit_task"

AgentLiteral = Literal["strategy_advisor", "factor_miner", "trader"]


class RouteArgs(BaseModel):
    """Send the instruction to one agent."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    agent: AgentLiteral = Field(description="The agent that handles the instruction.")
    task: str = Field(min_length=1, max_length=4000,
                      description="The task restated with every value the person gave.")


class AskUserArgs(BaseModel):
    """Ask the person one clarifying question and stop until they answer."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    question: str = Field(min_length=1, max_length=1000, description="One question, in the person's language.")


class HandoverArgs(BaseModel):
    """Hand the work to another agent with what it needs to continue."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    to: AgentLiteral = Field(description="The agent that continues.")
    note: str = Field(min_length=1, max_length=4000, description="What was done and what to do next.")
    run_id: str | None = Field(default=None, max_length=128, description="The run whose signal to use.")
    payload: dict[str, Any] = Field(default_factory=dict,
                                    description="Structured facts for the next agent (signal, selection rule).")


CONTROL_TOOLS: dict[str, tuple[type[BaseModel], str]] = {
    SUBMIT_TASK: (TaskDraft, "Submit what the instruction asks as a task: its steps in order with every value the "
                             "person stated (quote their words in `said`); ask_user instead if a needed value is missing."),
    ROUTE: (RouteArgs, "Route the instruction to strategy_advisor, factor_miner or trader."),
    ASK_USER: (AskUserArgs, "Ask the person one clarifying question when a required value is missing."),
    HANDOVER: (HandoverArgs, "Hand over to another agent (e.g. advisor -> trader with a signal run)."),
}


def _untitled(node: Any) -> Any:
    """The schema without pydantic's ``title`` keys (they only cost a small model's context)."""
    if isinstance(node, dict):
        return {k: _untitled(v) for k, v in node.items() if k != "title" or not isinstance(v, str)}
    if isinstance(node, list):
        return [_untitled(v) for v in node]
    return node


def control_schema(name: str) -> dict[str, Any]:
    """OpenAI function-tool schema of a control tool."""
    model, description = CONTROL_TOOLS[name]
    return {"type": "function", "function": {
        "name": name, "description": description, "parameters": _untitled(model.model_json_schema())}}
