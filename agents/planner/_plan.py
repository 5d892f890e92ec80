"""The planner's decision for one model turn, from the conversation so far."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from langchain_core.messages import BaseMessage

from agents.planner._actions import Action, Answer, Ask, Route
from agents.planner._advisor import ADVISOR_RECIPES
from agents.planner._context import PlanContext
from agents.planner._defaults import PlannerDefaults
from agents.planner._factor import FACTOR_RECIPES
from agents.planner._models import ParsedInstruction
from agents.planner._observe import read_conversation
from agents.planner._parse import parse_conversation
from agents.planner._text import pick
from agents.planner._trader import TRADER_RECIPES, signal_recipe

__all__ = ["decide", "describe_task"]

_RECIPES = {**ADVISOR_RECIPES, **FACTOR_RECIPES, **TRADER_RECIPES}


def describe_task(parsed: ParsedInstruction) -> str:
    """The routed task in one line: intent and every slot the instruction named."""
    named = parsed.slots.model_dump(exclude_defaults=True, mode="json")
    parts = [f"{key}={value}" for key, value in named.items()]
    return f"{parsed.intent}: " + (", ".join(parts) if parts else "no values named")


def _supervise(parsed: ParsedInstruction) -> Action:
    if parsed.question or parsed.agent is None:
        return Ask(parsed.question or "")
    return Route(parsed.agent, describe_task(parsed))


def decide(messages: Sequence[BaseMessage], tools: Collection[str], defaults: PlannerDefaults) -> Action:
    """Next action for whoever the system message says is speaking."""
    conversation = read_conversation(messages)
    brief = conversation.brief
    if brief is None:
        return Answer("I received no instruction block to work from.")
    symbols = [e.name for e in brief.catalog if e.kind == "instrument"]
    parsed = parse_conversation([*brief.earlier, brief.instruction], symbols)
    if conversation.role == "supervisor":
        return _supervise(parsed)
    ctx = PlanContext(parsed, brief, conversation.observations, frozenset(tools), defaults)
    if conversation.role == "trader" and brief.handover:
        return signal_recipe(ctx)
    if parsed.question:
        return Answer(parsed.question)
    recipe = _RECIPES.get(parsed.intent)
    if recipe is None:
        return Answer(pick(parsed.language, "I do not know how to do this yet.", "我还不会处理这个请求。"))
    return recipe(ctx)
