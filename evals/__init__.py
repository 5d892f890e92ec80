"""Agent evaluation suites: cases as data (``evals/cases/*.yaml``), evaluators, a harness.

Run apart from the unit tests: ``python -m evals`` (routing, plan mode, seconds) or
``python -m evals --suite flows --mode full`` (the seed flows end to end, minutes).
"""

from evals.evaluators import EVALUATORS, Observed, Score
from evals.harness import Case, CaseReport, SuiteReport, load_cases, run_suite

__all__ = ["EVALUATORS", "Case", "CaseReport", "Observed", "Score", "SuiteReport", "load_cases", "run_suite"]
