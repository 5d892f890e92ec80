"""Evaluators: one small class per expectation a case may state.

An evaluator reads the case's expected value and the observed outcome (a plan preview in
plan mode, the final result in full mode) and returns a :class:`Score`. Expectations a case
does not state are not evaluated.
"""

from __future__ import annotations

from typing import Any, ClassVar, Protocol

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["EVALUATORS", "Evaluator", "Observed", "Score"]


class Observed(BaseModel):
    """What a run produced, in the shape every evaluator reads."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    agent: str | None = None
    status: str | None = None
    language: str | None = None
    question: str | None = None
    tool_calls: list[dict[str, Any]] = Field(default_factory=list)
    answer: str = ""
    fills: int = 0


class Score(BaseModel):
    """One evaluator's verdict on one case."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    evaluator: str
    passed: bool
    detail: str


class Evaluator(Protocol):
    """Checks one expectation."""

    name: ClassVar[str]

    def __call__(self, expected: Any, observed: Observed) -> Score:
        """The verdict."""


def _score(name: str, passed: bool, detail: str) -> Score:
    return Score(evaluator=name, passed=passed, detail=detail)


class RoutesTo:
    """The instruction went to the expected agent."""

    name: ClassVar[str] = "agent"

    def __call__(self, expected: Any, observed: Observed) -> Score:
        return _score(self.name, observed.agent == expected, f"routed to {observed.agent}, expected {expected}")


class FirstTool:
    """The first tool call is the expected tool."""

    name: ClassVar[str] = "first_tool"

    def __call__(self, expected: Any, observed: Observed) -> Score:
        first = observed.tool_calls[0]["name"] if observed.tool_calls else None
        return _score(self.name, first == expected, f"first call {first}, expected {expected}")


class ToolArgs:
    """The first tool call carries the expected argument values."""

    name: ClassVar[str] = "tool_args"

    def __call__(self, expected: Any, observed: Observed) -> Score:
        args = observed.tool_calls[0].get("args", {}) if observed.tool_calls else {}
        wrong = {k: args.get(k) for k, v in dict(expected).items() if args.get(k) != v}
        return _score(self.name, not wrong, f"differs: {wrong}" if wrong else "all expected values present")


class Language:
    """The answer (or question) is in the instruction's language."""

    name: ClassVar[str] = "language"

    def __call__(self, expected: Any, observed: Observed) -> Score:
        return _score(self.name, observed.language == expected, f"language {observed.language}, expected {expected}")


class AsksQuestion:
    """A clarifying question was asked (True) or not (False)."""

    name: ClassVar[str] = "question"

    def __call__(self, expected: Any, observed: Observed) -> Score:
        asked = bool(observed.question) or observed.status == "needs_clarification"
        return _score(self.name, asked == bool(expected), f"asked: {observed.question or asked}")


class Status:
    """The run ended in the expected status."""

    name: ClassVar[str] = "status"

    def __call__(self, expected: Any, observed: Observed) -> Score:
        return _score(self.name, observed.status == expected, f"status {observed.status}, expected {expected}")


class MentionsSynthetic:
    """The answer names synthetic data as synthetic."""

    name: ClassVar[str] = "mentions_synthetic"

    def __call__(self, expected: Any, observed: Observed) -> Score:
        said = "SYNTHETIC" in observed.answer or "合成数据" in observed.answer
        return _score(self.name, said == bool(expected), "says synthetic" if said else "does not say synthetic")


class AnswerContains:
    """Every expected phrase occurs in the answer."""

    name: ClassVar[str] = "answer_contains"

    def __call__(self, expected: Any, observed: Observed) -> Score:
        missing = [p for p in expected if p not in observed.answer]
        return _score(self.name, not missing, f"missing {missing}" if missing else "all phrases present")


class Filled:
    """Some order was filled (True) or none was (False)."""

    name: ClassVar[str] = "filled"

    def __call__(self, expected: Any, observed: Observed) -> Score:
        return _score(self.name, (observed.fills > 0) == bool(expected), f"{observed.fills} fill(s)")


EVALUATORS: dict[str, Evaluator] = {e.name: e() for e in (
    RoutesTo, FirstTool, ToolArgs, Language, AsksQuestion, Status, MentionsSynthetic, AnswerContains, Filled)}
