"""A plan preview: what an instruction was understood to ask and the first tool calls, run nowhere.

``taorui ask ... --plan-only`` is where a person checks a reading before anything runs, so
it must answer while they wait. The offline preview therefore goes from text to spec to the
first step's calls with the same functions the graph uses (``understand`` and the executor's
``_execute``), but without the graph, LangChain, the engines or the stores: the catalog is
read from the store's JSON listing and the router is the cached static encoder.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from agents.brief import Brief, CatalogEntry
from agents.planner._actions import Answer, CallTools, Handover
from agents.planner._defaults import PlannerDefaults
from agents.planner._observe import Conversation, Observation
from agents.planner._plan import _execute, agent_of_step, scope_answer
from agents.roles import ROLES
from agents.spec import TaskSpec, needs_person
from agents.understand import RouterLike, understand

__all__ = ["PlanPreview", "offline_preview", "planned", "preview_of"]


class PlanPreview(BaseModel):
    """What the backend understood and what would be done first, with nothing executed."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    agent: str | None
    intent: str = Field(description="The first step's intent.")
    steps: list[str] = Field(default_factory=list, description="Every step's intent, in order.")
    slots: dict[str, Any] = Field(description="The values stated for the first step, as read.")
    tool_calls: list[dict[str, Any]]
    language: str
    question: str | None = None
    answer: str | None = Field(default=None, description="A direct answer (out of scope), when there is one.")
    needs_approval: bool = Field(default=False, description="Orders of this task would wait for a person.")
    spec: dict[str, Any] | None = Field(default=None, description="The whole task spec.")


def _strategies() -> dict[str, Any]:
    from taorui_engines.backtest import list_strategies  # the catalogue only: no Backtrader loads

    return {"strategies": list_strategies()}


#: Read-only look-ups with no side effect and no engine to load, answered inside the preview.
_LOOKUPS: dict[str, Callable[[], dict[str, Any]]] = {"list_strategies": _strategies}


def _stated_slots(spec: TaskSpec) -> dict[str, Any]:
    """The first step's stated values as plain data (what a person checks in a preview)."""
    step = spec.steps[0].model_dump(mode="json", exclude_defaults=True)
    out: dict[str, Any] = {}
    for name, value in step.items():
        if isinstance(value, dict) and "value" in value:
            out[name] = value["value"]
        elif isinstance(value, list) and value and isinstance(value[0], dict) and "value" in value[0]:
            out[name] = [v["value"] for v in value]
        elif name not in ("intent", "agent"):
            out[name] = value
    return out


def preview_of(spec: TaskSpec) -> PlanPreview:
    """The preview of a spec before any call is planned."""
    out_of_scope = all(s.intent == "out_of_scope" for s in spec.steps)
    return PlanPreview(agent=None if spec.question or out_of_scope else agent_of_step(spec, 0),
                       intent=spec.steps[0].intent, steps=list(spec.intents), slots=_stated_slots(spec),
                       tool_calls=[], language=spec.language, question=spec.question,
                       answer=scope_answer(spec.language) if out_of_scope and not spec.question else None,
                       needs_approval=needs_person(spec), spec=spec.model_dump(mode="json"))


def offline_preview(instruction: str, catalog: Sequence[CatalogEntry], router: RouterLike | None = None,
                    defaults: PlannerDefaults | None = None, earlier: Sequence[str] = ()) -> PlanPreview:
    """The offline reading of ``instruction`` and the first calls its first agent would make."""
    spec = understand([*earlier, instruction], list(catalog), router)
    return planned(spec, catalog, defaults, earlier)


def planned(spec: TaskSpec, catalog: Sequence[CatalogEntry], defaults: PlannerDefaults | None = None,
            earlier: Sequence[str] = ()) -> PlanPreview:
    """The preview of ``spec`` (from any backend) with the executor's first calls for it."""
    instruction = spec.text
    preview = preview_of(spec)
    agent = preview.agent
    if agent is None:
        return preview
    brief = Brief(instruction=instruction, language=spec.language, role=agent, task=", ".join(spec.intents),
                  earlier=tuple(earlier), catalog=tuple(catalog), spec=spec.model_dump(mode="json"))
    tools = frozenset(ROLES[agent].tools)  # type: ignore[index]
    seen: list[Observation] = []
    calls: list[dict[str, Any]] = []
    action = _execute(spec, Conversation(agent, brief, (), ()), brief, tools, defaults or PlannerDefaults())
    # A catalogue look-up the executor makes first (the strategies' parameter names) is answered
    # here, so the preview shows the call that does the work, with its arguments, after it.
    while isinstance(action, CallTools) and all(c.name in _LOOKUPS for c in action.calls) and len(seen) < 4:
        for c in action.calls:
            calls.append({"name": c.name, "args": c.args})
            seen.append(Observation(c.name, c.args, True, _LOOKUPS[c.name](), {}, c.step))
        action = _execute(spec, Conversation(agent, brief, tuple(seen), ()), brief, tools,
                          defaults or PlannerDefaults())
    if isinstance(action, CallTools):
        calls += [{"name": c.name, "args": c.args} for c in action.calls]
        return preview.model_copy(update={"tool_calls": calls})
    if isinstance(action, Handover):
        return preview.model_copy(update={"tool_calls": [*calls, {"name": "handover", "args": {"to": action.to}}]})
    if isinstance(action, Answer):
        return preview.model_copy(update={"answer": action.text, "tool_calls": calls})
    return preview.model_copy(update={"tool_calls": calls})
