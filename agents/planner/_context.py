"""The facts one planning step works from."""

from __future__ import annotations

from dataclasses import dataclass, field

from agents.brief import Brief
from agents.planner._defaults import PlannerDefaults
from agents.planner._models import ParsedInstruction
from agents.planner._observe import Observation
from agents.planner._text import Said

__all__ = ["PlanContext"]


@dataclass
class PlanContext:
    """Instruction reading, brief, what was observed, which tools are bound."""

    parsed: ParsedInstruction
    brief: Brief
    observations: tuple[Observation, ...]
    tools: frozenset[str]
    defaults: PlannerDefaults
    said: Said = field(default_factory=Said)

    @property
    def language(self) -> str:
        """The instruction's language."""
        return self.parsed.language

    @property
    def can_call(self) -> bool:
        """False when the graph withheld the tools (step budget spent): answer now."""
        return bool(self.tools)

    def last(self, name: str) -> Observation | None:
        """The latest observation of tool ``name``."""
        return next((o for o in reversed(self.observations) if o.name == name), None)

    def all(self, name: str) -> list[Observation]:
        """Every observation of tool ``name``, oldest first."""
        return [o for o in self.observations if o.name == name]

    def may(self, name: str) -> bool:
        """True when ``name`` is bound and was not called yet."""
        return name in self.tools and self.last(name) is None

    def is_synthetic(self, name: str) -> bool:
        """True when the catalog marks ``name`` synthetic."""
        entry = self.brief.entry(name)
        return bool(entry and entry.synthetic)
