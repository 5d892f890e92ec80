"""Data windows for a step: the windows the person stated, completed by time-ordered defaults.

Stated windows are used as stated: "test on 2023" tests on 2023, "hold out 2017 onwards"
holds out 2017 to the end of the data, "train 2010-2015" trains on exactly that. What the
person left open is filled by time (the test window is always after training) and named as
a default in the answer. A stated window the data cannot cover is clipped to the data and the
answer says so; one entirely outside the data is refused with the data's range.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from agents.brief import Brief
from agents.planner._text import pick
from agents.spec import Sourced, Window
from agents.spec import Windows as SpecWindows

__all__ = ["Plan", "Span", "WindowProblem", "plan_windows", "store_span"]


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

    @property
    def days(self) -> int:
        """Calendar days covered."""
        return (self.end - self.start).days + 1


@dataclass(frozen=True)
class Plan:
    """The windows a step runs on, and what the answer must say about them."""

    whole: Span
    train: Span
    test: Span
    valid: Span | None
    stated: tuple[tuple[str, str], ...]  # (en, zh) lines: stated windows and the window used
    defaults: tuple[tuple[str, str], ...]  # (en, zh) lines: windows the executor chose
    split_defaults: tuple[tuple[str, str], ...] = ()  # (en, zh) lines: the train/valid/test split it chose


def store_span(brief: Brief | None, name: str) -> Span | None:
    """The data the store holds for ``name`` (symbol or universe)."""
    entry = brief.entry(name) if brief else None
    if entry is None or not entry.start or not entry.end:
        return None
    return Span(date.fromisoformat(entry.start), date.fromisoformat(entry.end))


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years) + timedelta(days=1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28) + timedelta(days=1)


def _months_before(day: date, months: int) -> date:
    """The day after the same date ``months`` earlier (clamped to the month's end): the start of
    the last ``months`` months ending on ``day`` (2025-12-31, 12 -> 2025-01-01)."""
    import calendar

    month = day.month - months
    year = day.year + (month - 1) // 12
    month = (month - 1) % 12 + 1
    last = calendar.monthrange(year, month)[1]
    at_month_end = day.day == calendar.monthrange(day.year, day.month)[1]
    return date(year, month, last if at_month_end else min(day.day, last)) + timedelta(days=1)


def _clip(window: Window, data: Span) -> Span | None:
    start, end = max(window.start, data.start), min(window.end, data.end)
    return Span(start, end) if start <= end else None


class WindowProblem(ValueError):
    """A stated window the data cannot serve at all (``en`` and ``zh`` say why)."""

    def __init__(self, en: str, zh: str) -> None:
        super().__init__(en)
        self.en, self.zh = en, zh

    def text(self, language: str) -> str:
        """The reason in ``language``."""
        return pick(language, self.en, self.zh)


def _stated(item: Sourced[Window] | None, data: Span, role_en: str, role_zh: str,
            notes: list[tuple[str, str]]) -> Span | None:
    if item is None:
        return None
    span = _clip(item.value, data)
    if span is None:
        raise WindowProblem(f"the {role_en} window {item.value.label()} is outside the data ({data.label()})",
                            f"{role_zh}区间 {item.value.label()} 不在数据范围（{data.label()}）内")
    clipped = (span.start, span.end) != (item.value.start, item.value.end)
    said = f" (\"{item.said}\")" if item.said else ""
    notes.append((f"{role_en} {span.label()}{said}" + (f", clipped to the data ({data.label()})" if clipped else ""),
                  f"{role_zh} {span.label()}{said}" + (f"（已截到数据范围 {data.label()}）" if clipped else "")))
    return span


def plan_windows(windows: SpecWindows, data: Span, default_years: int, test_months: int,
                 valid_months: int | None = None) -> Plan:
    """Train | (valid |) test windows honouring what was stated (raises :class:`WindowProblem`)."""
    stated: list[tuple[str, str]] = []
    defaults: list[tuple[str, str]] = []
    whole = _stated(windows.data, data, "data", "数据", stated)
    train = _stated(windows.train, data, "train", "训练", stated)
    valid = _stated(windows.valid, data, "validation", "验证", stated)
    test = _stated(windows.test, data, "test (out of sample)", "测试（样本外）", stated)
    if whole is None:
        first = min((s.start for s in (train, valid, test) if s is not None), default=None)
        last = max((s.end for s in (train, valid, test) if s is not None), default=None)
        if first is not None and last is not None and train is None and valid is None and test is not None:
            # Only a hold-out was stated ("hold out 2024 onwards"): train on the default years before it.
            whole = Span(max(data.start, _years_before(test.start, default_years)), test.end)
            defaults.append((f"the {default_years} years before the test window for training and validation "
                             f"({whole.start}..{test.start - timedelta(days=1)})",
                             f"测试区间之前的{default_years}年用于训练和验证（{whole.start}..{test.start - timedelta(days=1)}）"))
        elif first is not None and last is not None:
            whole = Span(first, last if test is not None else data.end)
            if train is not None and test is None:
                whole = Span(first, data.end)
        else:
            whole = Span(max(data.start, _years_before(data.end, default_years)), data.end)
            defaults.append((f"the last {default_years} years of the data ({whole.label()})",
                             f"数据中最近{default_years}年（{whole.label()}）"))
    split: list[tuple[str, str]] = []
    train, valid, test = _complete(whole, train, valid, test, test_months, valid_months, split)
    return Plan(whole=whole, train=train, test=test, valid=valid, stated=tuple(stated), defaults=tuple(defaults),
                split_defaults=tuple(split))


def _complete(whole: Span, train: Span | None, valid: Span | None, test: Span | None, test_months: int,
              valid_months: int | None, defaults: list[tuple[str, str]]) -> tuple[Span, Span | None, Span]:
    """Fill the unstated windows by time: test last, validation just before it, train first."""
    if test is None:
        after = (valid or train).end + timedelta(days=1) if (valid or train) is not None else None  # type: ignore[union-attr]
        if after is not None and after <= whole.end:
            test = Span(after, whole.end)
        else:
            test = _tail(whole, test_months, 0.25 if valid_months is None else 0.2)
        defaults.append((f"test (out of sample) {test.label()}", f"测试（样本外）{test.label()}"))
    if valid_months is not None and valid is None:
        end = test.start - timedelta(days=1)
        start = max(whole.start, _months_before(end, valid_months)) if train is None else train.end + timedelta(days=1)
        if train is None and (end - whole.start).days < 365 * 2:
            start = end - timedelta(days=max(1, (end - whole.start).days // 4))
        valid = Span(start, end) if start <= end else None
        if valid is not None:
            defaults.append((f"validation {valid.label()}", f"验证 {valid.label()}"))
    if train is None:
        end = (valid or test).start - timedelta(days=1)
        train = Span(whole.start, end)
        defaults.append((f"train {train.label()}", f"训练 {train.label()}"))
    if train.end < train.start or (valid is not None and valid.end < valid.start):
        raise WindowProblem(f"no data is left for training before {(valid or test).start}: the data starts "
                            f"{whole.start}", f"{(valid or test).start} 之前没有可用于训练的数据：数据从 {whole.start} 开始")
    if train.end >= test.start:
        raise WindowProblem(f"the training window {train.label()} does not end before the test window "
                            f"{test.label()} starts", f"训练区间 {train.label()} 没有在测试区间 {test.label()} 开始前结束")
    return train, valid, test


def _tail(whole: Span, months: int, fraction: float) -> Span:
    """The last ``months`` of ``whole`` (or a fraction of a short window) as the test window."""
    if whole.days < 365 * 2:
        return Span(whole.end - timedelta(days=int(whole.days * fraction)), whole.end)
    return Span(_months_before(whole.end, months), whole.end)
