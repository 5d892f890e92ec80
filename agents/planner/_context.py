"""The facts one executor step works from: the spec, the step, what was observed."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from agents.brief import Brief
from agents.planner._defaults import PlannerDefaults
from agents.planner._observe import APPROVAL_MESSAGE, Observation
from agents.planner._text import Said
from agents.spec import Sourced, StepSpec, TaskSpec

__all__ = ["PlanContext", "v"]


def v(item: Sourced[Any] | None, default: Any = None) -> Any:
    """The value of a sourced item, or ``default`` when the person did not say."""
    return default if item is None else item.value


@dataclass
class PlanContext:
    """Spec, current step, brief, the step's observations, which tools are bound."""

    spec: TaskSpec
    index: int
    brief: Brief
    observations: tuple[Observation, ...]
    everything: tuple[Observation, ...]
    tools: frozenset[str]
    defaults: PlannerDefaults
    said: Said = field(default_factory=Said)

    @property
    def step(self) -> StepSpec:
        """The step being executed."""
        return self.spec.steps[self.index]

    @property
    def language(self) -> str:
        """The instruction's language."""
        return self.spec.language

    @property
    def next_step(self) -> StepSpec | None:
        """The step after this one, if any."""
        return self.spec.steps[self.index + 1] if self.index + 1 < len(self.spec.steps) else None

    @property
    def can_call(self) -> bool:
        """False when the graph withheld the tools (step budget spent): answer now."""
        return bool(self.tools)

    def last(self, name: str) -> Observation | None:
        """The latest observation of tool ``name`` in this step."""
        return next((o for o in reversed(self.observations) if o.name == name), None)

    def all(self, name: str) -> list[Observation]:
        """Every observation of tool ``name`` in this step (approval notes: of the whole thread)."""
        pool = self.everything if name == APPROVAL_MESSAGE else self.observations
        return [o for o in pool if o.name == name]

    def may(self, name: str) -> bool:
        """True when ``name`` is bound and was not called yet in this step."""
        return name in self.tools and self.last(name) is None

    def is_synthetic(self, name: str) -> bool:
        """True when the catalog marks ``name`` synthetic."""
        entry = self.brief.entry(name)
        return bool(entry and entry.synthetic)

    @property
    def assets(self) -> tuple[str, ...]:
        """The step's instruments."""
        return tuple(str(i.value) for i in self.step.instruments)
