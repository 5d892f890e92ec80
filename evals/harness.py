"""The harness: load cases, run them on a backend, score them, report.

Two modes. ``plan`` asks the backend for its routing and first tool calls only (nothing is
executed: seconds per case). ``full`` runs the graph for real on a fresh home holding the
sample store (minutes per suite), answering approval interrupts as the case says.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field

from evals.evaluators import EVALUATORS, Observed, Score

__all__ = ["Case", "CaseReport", "SuiteReport", "load_cases", "run_suite"]

CASES_DIR = Path(__file__).parent / "cases"
Mode = Literal["plan", "full"]


class Case(BaseModel):
    """One instruction and what should come of it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    instruction: str
    approve: bool | None = Field(default=None, description="Answer an approval interrupt: approve or reject.")
    expect: dict[str, Any]


class CaseReport(BaseModel):
    """The scores of one case."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    case: str
    scores: list[Score]
    error: str | None = None

    @property
    def passed(self) -> bool:
        """Every evaluator passed and nothing crashed."""
        return self.error is None and all(s.passed for s in self.scores)


class SuiteReport(BaseModel):
    """A suite's results."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    suite: str
    mode: str
    backend: str
    cases: list[CaseReport]

    @property
    def pass_rate(self) -> float:
        """Share of cases that passed."""
        return sum(c.passed for c in self.cases) / len(self.cases) if self.cases else 0.0

    def markdown(self) -> str:
        """A table per case, for people."""
        lines = [f"# eval {self.suite} ({self.mode}, {self.backend}): {self.pass_rate:.0%} of "
                 f"{len(self.cases)} cases passed", "", "| case | result | details |", "|---|---|---|"]
        for c in self.cases:
            failed = [f"{s.evaluator}: {s.detail}" for s in c.scores if not s.passed]
            detail = c.error or "; ".join(failed) or "ok"
            lines.append(f"| {c.case} | {'pass' if c.passed else 'FAIL'} | {detail} |")
        return "\n".join(lines)


def load_cases(suite: str) -> list[Case]:
    """The cases of ``evals/cases/<suite>.yaml``."""
    path = CASES_DIR / f"{suite}.yaml"
    return [Case.model_validate(raw) for raw in yaml.safe_load(path.read_text(encoding="utf-8"))]


def _score(case: Case, observed: Observed) -> list[Score]:
    return [EVALUATORS[name](expected, observed) for name, expected in case.expect.items()]


def _plan(orchestrator: Any, case: Case) -> Observed:
    preview = orchestrator.plan_only(case.instruction)
    return Observed(agent=preview.agent, language=preview.language, question=preview.question,
                    tool_calls=preview.tool_calls)


def _full(orchestrator: Any, case: Case) -> Observed:
    from graphs import ApprovalDecision

    result = orchestrator.ask(case.instruction)
    if result.status == "needs_approval" and case.approve is not None:
        decision = ApprovalDecision(approve=case.approve, by="evals", reason="" if case.approve else "eval rejects")
        result = orchestrator.resume(result.thread_id, decision)
    question = result.answer if result.status == "needs_clarification" else None
    return Observed(agent=result.agent, status=result.status, language=result.language, question=question,
                    tool_calls=[{"name": c.name, "args": c.args} for c in result.tool_calls],
                    answer=result.answer, fills=len(result.fills))


def run_suite(suite: str, mode: Mode, make_orchestrator: Callable[[], Any], backend: str) -> SuiteReport:
    """Run every case of ``suite``; a crashing case is reported, not raised."""
    orchestrator = make_orchestrator()
    reports = []
    for case in load_cases(suite):
        try:
            observed = _plan(orchestrator, case) if mode == "plan" else _full(orchestrator, case)
            reports.append(CaseReport(case=case.name, scores=_score(case, observed)))
        except Exception as exc:  # an eval reports a crash as a failed case
            reports.append(CaseReport(case=case.name, scores=[], error=f"{type(exc).__name__}: {exc}"))
    return SuiteReport(suite=suite, mode=mode, backend=backend, cases=reports)


def fresh_home() -> Path:
    """A temporary TAORUI_HOME for a full run (the sample store is built there on first use)."""
    return Path(tempfile.mkdtemp(prefix="taorui-evals-"))
