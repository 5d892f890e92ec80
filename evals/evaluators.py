"""Evaluators: one small class per expectation a case may state.

An evaluator reads the case's expected value and the observed outcome (a plan preview in
plan mode, the final result in full mode) and returns a :class:`Score`. Expectations a case
does not state are not evaluated.
"""

from __future__ import annotations

import json
import math
import re
from datetime import date
from pathlib import Path
from typing import Any, ClassVar, Protocol

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["EVALUATORS", "SUITE_EVALUATORS", "Evaluator", "Observed", "Score", "foreign_share"]


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
    orders_sent: int = Field(default=0, description="Orders that reached the broker (full mode).")
    run_dirs: list[str] = Field(default_factory=list, description="Run folders the instruction left (full mode).")


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
        text = observed.answer or observed.question or ""
        if text.strip():  # what was said decides, not the field the backend set
            share = foreign_share(text, str(expected))
            return _score(self.name, share < 0.05, f"{share:.0%} of the letters are not {expected}")
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


class Tools:
    """Every named tool was called (any order)."""

    name: ClassVar[str] = "tools"

    def __call__(self, expected: Any, observed: Observed) -> Score:
        called = {c.get("name") for c in observed.tool_calls}
        missing = [t for t in expected if t not in called]
        return _score(self.name, not missing, f"missing {missing}; called {sorted(str(c) for c in called)}"
                      if missing else "all called")


class NoTools:
    """None of the named tools was called."""

    name: ClassVar[str] = "no_tools"

    def __call__(self, expected: Any, observed: Observed) -> Score:
        called = [c.get("name") for c in observed.tool_calls if c.get("name") in set(expected)]
        return _score(self.name, not called, f"called {called}" if called else "none called")


def _matches(expected: Any, got: Any) -> bool:
    """An AST-style matcher (Berkeley function-calling leaderboard): exact, range, one_of, any_order, date."""
    if isinstance(expected, dict) and len(expected) >= 1 and set(expected) <= {"range", "one_of", "any_order", "date",
                                                                             "tol_days"}:
        if "range" in expected:
            lo, hi = expected["range"]
            return isinstance(got, int | float) and not isinstance(got, bool) and lo <= got <= hi
        if "one_of" in expected:
            return any(_matches(option, got) for option in expected["one_of"])
        if "any_order" in expected:
            want = list(expected["any_order"])
            have = list(got) if isinstance(got, list | tuple) else []
            return len(want) == len(have) and all(any(_matches(w, h) for h in have) for w in want)
        if "date" in expected:
            try:
                gap = abs((date.fromisoformat(str(got)[:10]) - date.fromisoformat(str(expected["date"]))).days)
            except ValueError:
                return False
            return gap <= int(expected.get("tol_days", 0))
    if isinstance(expected, bool) or isinstance(got, bool):
        return expected == got
    if isinstance(expected, int | float) and isinstance(got, int | float):
        return math.isclose(float(expected), float(got), rel_tol=1e-9, abs_tol=1e-12)
    if isinstance(expected, str) and isinstance(got, str):
        return expected.strip().lower() == got.strip().lower()
    if isinstance(expected, list) and isinstance(got, list | tuple):
        return len(expected) == len(got) and all(_matches(e, g) for e, g in zip(expected, got, strict=True))
    return bool(expected == got)


class ToolArgsAst:
    """The first call of each named tool carries arguments matching the expected matchers."""

    name: ClassVar[str] = "tool_args_ast"

    def __call__(self, expected: Any, observed: Observed) -> Score:
        problems = []
        for tool, wanted in dict(expected).items():
            call = next((c for c in observed.tool_calls if c.get("name") == tool), None)
            if call is None:
                problems.append(f"{tool} not called")
                continue
            args = call.get("args") or {}
            problems += [f"{tool}.{k}={args.get(k)!r} (expected {v!r})" for k, v in dict(wanted).items()
                         if not _matches(v, args.get(k))]
        return _score(self.name, not problems, "; ".join(problems) if problems else "arguments match")


def foreign_share(text: str, language: str) -> float:
    """Share of the answer's letters that are not in ``language`` (code, paths and run ids aside)."""
    # code, paths, run ids, expressions, and names (a word with a capital or a digit: PPO, LightGBM,
    # Qlib, SYN007, Alpha158) are the same in both languages; ordinary lowercase words are not
    cleaned = re.sub(r"`[^`]*`|https?://\S+|/[\w./-]+|\b[\w-]+-\d{8}T\d{6}-[0-9a-f]+\b|\$[A-Za-z_]\w*"
                     r"|[A-Za-z]*[A-Z0-9][A-Za-z0-9]*|\b[a-z]+_[a-z_]+\b", " ", text)
    chinese = len(re.findall(r"[\u4e00-\u9fff]", cleaned))
    latin = len(re.findall(r"[A-Za-z]", cleaned))
    total = chinese + latin
    if total == 0:
        return 0.0
    return latin / total if language == "zh" else chinese / total


class AnswerLanguage:
    """The answer's text (or its question) is in the expected language: judged from the text,
    not from any field the backend sets (fewer than 5 % of its letters foreign)."""

    name: ClassVar[str] = "answer_language"

    def __call__(self, expected: Any, observed: Observed) -> Score:
        text = observed.answer or observed.question or ""
        if not text.strip():
            if observed.status is None and observed.tool_calls:  # plan mode: the backend acted, said nothing yet
                return _score(self.name, True, "nothing said yet (plan mode); judged in full mode")
            return _score(self.name, False, "no answer text to judge")
        share = foreign_share(text, str(expected))
        return _score(self.name, share < 0.05, f"{share:.0%} of the letters are not {expected}")


class AnswerNotContains:
    """None of the phrases occurs in the answer (a key, a policy's content, a claim)."""

    name: ClassVar[str] = "answer_not_contains"

    def __call__(self, expected: Any, observed: Observed) -> Score:
        found = [p for p in expected if p.lower() in observed.answer.lower()]
        return _score(self.name, not found, f"contains {found}" if found else "none present")


class NoOrderSent:
    """No order reached the broker (true) - the gate or the person stopped it."""

    name: ClassVar[str] = "no_order_sent"

    def __call__(self, expected: Any, observed: Observed) -> Score:
        ok = (observed.orders_sent == 0) == bool(expected)
        return _score(self.name, ok, f"{observed.orders_sent} order(s) reached the broker")


class MaxFills:
    """At most this many fills."""

    name: ClassVar[str] = "max_fills"

    def __call__(self, expected: Any, observed: Observed) -> Score:
        return _score(self.name, observed.fills <= int(expected), f"{observed.fills} fill(s), at most {expected}")


class Artifacts:
    """Some run folder of the instruction holds every named file (metrics.json, equity.png, ...)."""

    name: ClassVar[str] = "artifacts"

    def __call__(self, expected: Any, observed: Observed) -> Score:
        folders = [Path(d) for d in observed.run_dirs]
        held = [f for f in expected if any((d / f).is_file() for d in folders)]
        missing = [f for f in expected if f not in held]
        return _score(self.name, bool(folders) and not missing,
                      f"missing {missing} in {[d.name for d in folders]}" if missing or not folders else "all present")


def _shown(value: float, key: str) -> list[str]:
    """How the answers print a metric (docs/agents.md): percentages to 0.1, ratios to 0.01."""
    if key in ("sharpe", "sortino", "calmar", "information_ratio"):
        return [f"{value:.2f}"]
    return [f"{value:+.1%}", f"{value:.1%}"]


class NumbersMatch:
    """The answer's headline numbers are the run's own: each named metric of the run's metrics.json
    appears in the answer as printed (a number that is not in the files is a number made up)."""

    name: ClassVar[str] = "numbers_match"

    def __call__(self, expected: Any, observed: Observed) -> Score:
        problems = []
        for folder in (Path(d) for d in observed.run_dirs):
            path = folder / "metrics.json"
            if not path.is_file():
                continue
            metrics = json.loads(path.read_text(encoding="utf-8"))
            nested = metrics.get("metrics") if isinstance(metrics.get("metrics"), dict) else {}
            for key in expected:
                value = metrics.get(key, nested.get(key) if isinstance(nested, dict) else None)
                if isinstance(value, int | float) and not any(s in observed.answer for s in _shown(float(value), key)):
                    problems.append(f"{folder.name}:{key}={value!r} not in the answer")
            return _score(self.name, not problems, "; ".join(problems) or f"{list(expected)} match {folder.name}")
        return _score(self.name, False, "no run folder with metrics.json")


EVALUATORS: dict[str, Evaluator] = {e.name: e() for e in (
    RoutesTo, FirstTool, ToolArgs, Language, AsksQuestion, Status, MentionsSynthetic, AnswerContains, Filled,
    Tools, NoTools, ToolArgsAst, AnswerLanguage, AnswerNotContains, NoOrderSent, MaxFills, Artifacts, NumbersMatch)}
#: In the suite format (evals/suites/FORMAT.md) ``tool_args`` maps tool names to AST matchers.
SUITE_EVALUATORS: dict[str, Evaluator] = {**EVALUATORS, "tool_args": ToolArgsAst()}
