"""Data windows for a plan: the named period placed on the store, split by time.

Splits are by time only and the test window is always the most recent part (out of sample):
RL gets train | test, Qlib models get train | valid | test. Short windows are split by
proportion instead of by months so every segment keeps some bars.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd

from agents.brief import Brief
from agents.planner._periods import Period, resolve_period

__all__ = ["Span", "Windows", "place", "split"]


@dataclass(frozen=True)
class Span:
    """An inclusive date window."""

    start: date
    end: date

    def as_args(self) -> dict[str, str]:
        """``{"start", "end"}`` as tool arguments."""
        return {"start": self.start.isoformat(), "end": self.end.isoformat()}

    def label(self) -> str:
        """``YYYY-MM-DD..YYYY-MM-DD``."""
        return f"{self.start.isoformat()}..{self.end.isoformat()}"


@dataclass(frozen=True)
class Windows:
    """The whole window and its segments (``valid`` only for models)."""

    whole: Span
    train: Span
    test: Span
    valid: Span | None = None


def place(brief: Brief | None, name: str, period: Period | None, default_years: int) -> Span | None:
    """The window for ``name`` (symbol or universe) on the store; None if it is not listed."""
    entry = brief.entry(name) if brief else None
    if entry is None:
        return None
    first, last = date.fromisoformat(entry.start), date.fromisoformat(entry.end)
    chosen = period or Period(kind="last", amount=default_years, unit="years")
    start, end = resolve_period(chosen, first, last)
    return Span(start, end) if start <= end else None


def _months_before(day: date, months: int) -> date:
    return (pd.Timestamp(day) - pd.DateOffset(months=months)).date()


def split(whole: Span, test_months: int, valid_months: int | None = None) -> Windows:
    """Cut ``whole`` into train | (valid |) test, the test window last."""
    days = (whole.end - whole.start).days
    parts = 1 + (1 if valid_months else 0)
    if days < 365 * (1 + parts):  # short window: 60/20/20 or 75/25 by time
        fraction = 0.2 if valid_months else 0.25
        test_start = whole.end - timedelta(days=int(days * fraction))
        valid_start = test_start - timedelta(days=int(days * fraction)) if valid_months else None
    else:
        test_start = _months_before(whole.end, test_months) + timedelta(days=1)
        valid_start = _months_before(test_start, valid_months) if valid_months else None
    test = Span(test_start, whole.end)
    if valid_start is None:
        return Windows(whole, Span(whole.start, test_start - timedelta(days=1)), test)
    valid = Span(valid_start, test_start - timedelta(days=1))
    return Windows(whole, Span(whole.start, valid_start - timedelta(days=1)), test, valid)
