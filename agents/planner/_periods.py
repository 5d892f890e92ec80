"""Time windows named in an instruction, and their resolution against the store.

"last 5 years" and "最近5年" are relative: they end at the last bar the store holds for the
instrument (not at today's date, which may be years past a historical store). "since 2015"
runs to the end of the store; "2015年到2018年" covers both whole years.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from agents.planner._numbers import NUM, to_number

__all__ = ["Period", "parse_period", "resolve_period"]

_UNIT_EN = r"(years?|yrs?|months?|weeks?|days?|trading days?)"
_UNIT_ZH = r"(年|个月|月|周|个星期|星期|天|日|个交易日|交易日)"
_YEAR = r"((?:19|20)\d\d)"
_DATE = r"((?:19|20)\d\d-\d\d-\d\d)"

_LAST_EN = re.compile(rf"(?:last|past|previous|recent|trailing)\s+({NUM})\s*-?\s*{_UNIT_EN}")
_LAST_ONE_EN = re.compile(r"(?:last|past|previous)\s+(year|month|week)\b")
_N_YEARS_OF = re.compile(rf"(?<![\w$])({NUM})\s*-?\s*(years?|months?)\s+(?:of|history)")
_LAST_ZH = re.compile(rf"(?:最近|近|过去|前)\s*({NUM})\s*{_UNIT_ZH}")
_LAST_ONE_ZH = re.compile(r"(?:最近|过去|近)一?(年|个月|周)")
_DATE_RANGE = re.compile(rf"{_DATE}\s*(?:to|until|through|-|~|到|至|—)\s*{_DATE}")
_YEAR_RANGE_EN = re.compile(
    rf"(?:from\s+|between\s+)?{_YEAR}\s*(?:to|until|through|and|-|–|~)\s*{_YEAR}(?!-\d)"
)
_YEAR_RANGE_ZH = re.compile(rf"(?:从)?{_YEAR}\s*年?\s*(?:到|至|—|-|~)\s*{_YEAR}\s*年?")
_SINCE_EN = re.compile(rf"(?:since|from|starting(?:\s+in)?|after)\s+{_YEAR}(?!-\d)")
_SINCE_DATE = re.compile(rf"(?:since|from|starting|从|自)\s*{_DATE}")
_SINCE_ZH = re.compile(rf"(?:自|从)?\s*{_YEAR}\s*年\s*(?:以来|开始|起|至今|到现在|到今天)")
_IN_YEAR = re.compile(rf"(?:\bin\s+{_YEAR}\b|{_YEAR}\s*年(?!\s*(?:到|至)))")

_UNIT_NAMES: dict[str, Literal["years", "months", "weeks", "days"]] = {
    "y": "years", "年": "years", "m": "months", "月": "months", "个": "months",
    "w": "weeks", "周": "weeks", "星": "weeks", "d": "days", "天": "days", "日": "days",
    "t": "days", "交": "days",
}


class Period(BaseModel):
    """A window named in the instruction, before it is placed on the store's calendar."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["last", "since", "range"] = Field(description="Relative, open-ended or closed.")
    amount: int | None = Field(default=None, description="N of 'last N units'.")
    unit: Literal["years", "months", "weeks", "days"] | None = None
    start: str | None = Field(default=None, description="YYYY-MM-DD start of since/range.")
    end: str | None = Field(default=None, description="YYYY-MM-DD end of a range.")
    text: str = Field(default="", description="The words of the instruction that named it.")

    def describe(self, language: str) -> str:
        """The window in words, for answers and questions."""
        zh_units = {"years": "年", "months": "个月", "weeks": "周", "days": "天"}
        if self.kind == "last":
            unit = self.unit or "years"
            return f"最近{self.amount}{zh_units[unit]}" if language == "zh" else f"last {self.amount} {unit}"
        if self.kind == "since":
            return f"自{self.start}起" if language == "zh" else f"since {self.start}"
        return f"{self.start} 至 {self.end}" if language == "zh" else f"{self.start} to {self.end}"


def _unit(word: str) -> Literal["years", "months", "weeks", "days"]:
    return _UNIT_NAMES[word.strip()[0]]


def _relative(text: str) -> Period | None:
    for pattern in (_LAST_EN, _LAST_ZH, _N_YEARS_OF):
        match = pattern.search(text)
        if match:
            return Period(kind="last", amount=int(to_number(match.group(1))),
                          unit=_unit(match.group(2)), text=match.group(0))
    for pattern in (_LAST_ONE_EN, _LAST_ONE_ZH):
        match = pattern.search(text)
        if match:
            return Period(kind="last", amount=1, unit=_unit(match.group(1)), text=match.group(0))
    return None


def _absolute(text: str) -> Period | None:
    match = _DATE_RANGE.search(text)
    if match:
        return Period(kind="range", start=match.group(1), end=match.group(2), text=match.group(0))
    for pattern in (_YEAR_RANGE_ZH, _YEAR_RANGE_EN):
        match = pattern.search(text)
        if match and match.group(1) <= match.group(2):
            return Period(kind="range", start=f"{match.group(1)}-01-01",
                          end=f"{match.group(2)}-12-31", text=match.group(0))
    match = _SINCE_DATE.search(text)
    if match:
        return Period(kind="since", start=match.group(1), text=match.group(0))
    for pattern in (_SINCE_ZH, _SINCE_EN):
        match = pattern.search(text)
        if match:
            return Period(kind="since", start=f"{match.group(1)}-01-01", text=match.group(0))
    match = _IN_YEAR.search(text)
    if match:
        year = match.group(1) or match.group(2)
        return Period(kind="range", start=f"{year}-01-01", end=f"{year}-12-31", text=match.group(0))
    return None


def parse_period(text: str) -> Period | None:
    """The first window the (lower-cased) instruction names, or None."""
    return _absolute(text) or _relative(text)


def resolve_period(period: Period, first: date, last: date) -> tuple[date, date]:
    """Place ``period`` on a store that holds bars from ``first`` to ``last`` (clipped)."""
    if period.kind == "last":
        amount = period.amount or 1
        offsets = {"years": pd.DateOffset(years=amount), "months": pd.DateOffset(months=amount),
                   "weeks": pd.DateOffset(weeks=amount), "days": pd.DateOffset(days=amount)}
        start = (pd.Timestamp(last) - offsets[period.unit or "years"]).date() + timedelta(days=1)
        end = last
    elif period.kind == "since":
        start, end = date.fromisoformat(period.start or first.isoformat()), last
    else:
        start = date.fromisoformat(period.start or first.isoformat())
        end = date.fromisoformat(period.end or last.isoformat())
    return max(start, first), min(end, last)
