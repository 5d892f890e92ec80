"""Where a day's scores come from: a factor rule, a Qlib model, or an RL policy.

Each provider answers ``score(day)`` with a :class:`Signal` that names the newest bar it read
(``data_through``); the cycle refuses a signal that read past its day. Reads go through
:class:`PointInTimeData`, which refuses a request that ends after the day and records the
newest bar it returned.

- :class:`FactorSignal` evaluates the expression on bars up to the day only (its lookback
  plus a margin), every day.
- :class:`ModelSignal` builds the model's features once for the whole window (the feature
  expressions are causal and the processors were fitted on the training segment, so day t's
  row depends on bars up to t; a test scores from a store cut at t to prove it) and refuses a
  window that overlaps the model's training data.
- :class:`PolicySignal` replays the RL policy from its test start to the day on bars up to the
  day; its target weights are used directly (long only: a short target becomes flat, said).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import pandas as pd

from taorui_engines.data import DataCenter
from taorui_engines.errors import InvalidArgumentError, InvalidDateRangeError
from taorui_engines.trading._models import (
    FactorStrategy,
    PortfolioSpec,
    QlibModelStrategy,
    RLPolicyStrategy,
    Signal,
)

__all__ = ["FactorSignal", "LookAheadError", "ModelSignal", "PointInTimeData", "PolicySignal", "SignalProvider",
           "make_provider"]


class LookAheadError(InvalidArgumentError):
    """A read that would see bars after the cycle's day."""


class PointInTimeData:
    """The data center as seen on one day: nothing after ``asof``; the newest bar read is kept."""

    def __init__(self, center: DataCenter, asof: date) -> None:
        self._center = center
        self.asof = asof
        self.newest: date | None = None

    def _check_end(self, end: object) -> None:
        if pd.Timestamp(end).date() > self.asof:
            raise LookAheadError(f"a read up to {pd.Timestamp(end).date()} on the cycle of {self.asof}: look-ahead")

    def _seen(self, frame: pd.DataFrame) -> pd.DataFrame:
        if not frame.empty:
            newest = pd.Timestamp(frame["date"].max()).date()
            if newest > self.asof:  # the store returned more than asked: never pass it on
                raise LookAheadError(f"the store returned a bar of {newest} on the cycle of {self.asof}")
            self.newest = max(self.newest or newest, newest)
        return frame

    def get_price(self, symbols: str | Sequence[str], start: object, end: object,
                  fields: Sequence[str] | None = None) -> pd.DataFrame:
        """Bars up to ``end`` (which must not pass the day)."""
        self._check_end(end)
        kwargs: dict[str, Any] = {"fields": list(fields)} if fields else {}
        return self._seen(self._center.get_price(symbols, start, end, **kwargs))

    def get_factor(self, expression: str, symbols: str | Sequence[str], start: object, end: object) -> pd.DataFrame:
        """One expression's values up to ``end``."""
        self._check_end(end)
        frame = self._center.get_factor(expression, symbols, start, end)
        return self._seen(frame.dropna(subset=["value"]))

    def sessions_back(self, market: str, days: int) -> date:
        """The session ``days`` trading days before the cycle's day (the calendar is public)."""
        calendar = self._center.calendar(market, end=self.asof.isoformat())
        if len(calendar) == 0:
            raise InvalidDateRangeError(f"market {market!r} has no sessions up to {self.asof}")
        return calendar[max(0, len(calendar) - 1 - days)].date()

    def closes(self, symbols: Sequence[str], market: str) -> dict[str, float]:
        """Each symbol's close on the day itself (symbols that did not trade are left out)."""
        start = self.sessions_back(market, 0)
        try:
            bars = self.get_price(list(symbols), start, self.asof, fields=["close"])
        except InvalidDateRangeError:
            return {}
        day = bars[bars["date"] == pd.Timestamp(self.asof)]
        return {str(s): float(c) for s, c in zip(day["symbol"], day["close"], strict=True) if math.isfinite(c)}


@runtime_checkable
class SignalProvider(Protocol):
    """Scores for one day, from data up to that day."""

    universe: tuple[str, ...]
    market: str

    def prepare(self, start: date, end: date) -> None:
        """Get ready to score days in [start, end] (load a model, build features)."""

    def score(self, view: PointInTimeData) -> Signal:
        """The signal of ``view.asof``."""

    def explain(self, day: date, symbol: str, top: int = 5) -> list[tuple[str, float, float | None, float | None]]:
        """(input, contribution, value, the value's percentile in the universe that day) that moved
        ``symbol``'s score on ``day``, largest first (the percentile is None where it means nothing)."""


class FactorSignal:
    """Rank by one causal factor expression (see the module docstring)."""

    def __init__(self, center: DataCenter, strategy: FactorStrategy) -> None:
        from taorui_engines.expressions import parse_expression

        info = center.universes().get(strategy.universe)
        if info is None:
            raise InvalidArgumentError(f"unknown universe {strategy.universe!r} "
                                       f"(known: {', '.join(sorted(center.universes()))})")
        self._center, self.strategy = center, strategy
        self.parsed = parse_expression(strategy.expression)
        self.universe = tuple(info.members)
        self.market = info.market
        self._sign = 1.0 if strategy.higher_is_better else -1.0
        self._values: dict[date, dict[str, float]] = {}

    def prepare(self, start: date, end: date) -> None:
        """Nothing to prepare: the factor is evaluated day by day."""

    def score(self, view: PointInTimeData) -> Signal:
        """The factor on the day, from its lookback (plus a margin for missing days) up to the day."""
        start = view.sessions_back(self.market, self.parsed.lookback + 10)
        frame = view.get_factor(self.parsed.canonical, list(self.universe), start, view.asof)
        today = frame[frame["date"] == pd.Timestamp(view.asof)]
        values = {str(s): float(v) for s, v in zip(today["symbol"], today["value"], strict=True)}
        self._values[view.asof] = values
        notes = () if values else (f"the factor has no value on {view.asof}",)
        return Signal(day=view.asof, scores={s: self._sign * v for s, v in values.items()},
                      data_through=view.newest or view.asof, source=self.describe(), notes=notes)

    def describe(self) -> str:
        """The strategy in one line."""
        side = "highest" if self.strategy.higher_is_better else "lowest"
        return f"factor {self.parsed.canonical} ({side} first)"

    def explain(self, day: date, symbol: str, top: int = 5) -> list[tuple[str, float, float | None, float | None]]:
        """The factor's value and its percentile in the universe that day."""
        values = self._values.get(day)
        if values is None:
            view = PointInTimeData(self._center, day)
            self.score(view)
            values = self._values.get(day, {})
        if symbol not in values:
            raise InvalidArgumentError(f"the factor has no value for {symbol} on {day}")
        series = pd.Series(values)
        pct = float((series < values[symbol]).mean() * 100)
        spread = float(series.std(ddof=0))
        z = (values[symbol] - float(series.mean())) / spread if spread > 0 else 0.0
        return [(self.parsed.canonical, self._sign * z, values[symbol], pct)]


class ModelSignal:
    """Scores of a trained Qlib model (see the module docstring)."""

    def __init__(self, center: DataCenter, runs_dir: Path, strategy: QlibModelStrategy) -> None:
        from taorui_engines.qlib_engine._train import TrainConfig
        from taorui_engines.runs import open_run

        self._center, self._runs_dir, self.strategy = center, runs_dir, strategy
        run = open_run(runs_dir, strategy.run_id)
        config = TrainConfig.model_validate(run.read_json("config.json"))
        label = config.universe if isinstance(config.universe, str) else list(config.universe)
        infos = center.resolve(label) if not isinstance(label, str) or label not in center.universes() else None
        if infos is None:
            info = center.universes()[str(label)]
            self.universe, self.market = tuple(info.members), info.market
        else:
            self.universe, self.market = tuple(i.symbol for i in infos), infos[0].market
        self.model_kind = config.model
        self._scores: Any = None
        self._window: tuple[date, date] = (date.min, date.min)

    def prepare(self, start: date, end: date) -> None:
        """Build the features and scores of the window once (causal, see the module docstring)."""
        from taorui_engines.qlib_engine._score import load_model_scores

        if self._scores is not None and self._window[0] <= start and end <= self._window[1]:
            return
        self._scores = load_model_scores(self._center, self._runs_dir, self.strategy.run_id, start, end)
        self._window = (start, end)

    def score(self, view: PointInTimeData) -> Signal:
        """The model's scores of the day."""
        if self._scores is None or not (self._window[0] <= view.asof <= self._window[1]):
            self.prepare(view.asof, view.asof)
        scores = self._scores.day(view.asof)
        notes = () if scores else (f"the model scored nothing on {view.asof}",)
        return Signal(day=view.asof, scores=scores, data_through=view.asof, source=self.describe(), notes=notes)

    def describe(self) -> str:
        """The strategy in one line."""
        return f"{self.model_kind} model of run {self.strategy.run_id}"

    def explain(self, day: date, symbol: str, top: int = 5) -> list[tuple[str, float, float | None, float | None]]:
        """LightGBM's own contributions (or coefficient x value) of the features."""
        if self._scores is None or not (self._window[0] <= day <= self._window[1]):
            self.prepare(day, day)
        return [(c.feature, c.contribution, c.value, c.percentile) for c in self._scores.explain(day, symbol, top)]


class PolicySignal:
    """Target weights of a trained RL policy (see the module docstring)."""

    def __init__(self, center: DataCenter, runs_dir: Path, strategy: RLPolicyStrategy) -> None:
        from taorui_engines.rl._engine import _trained_run

        self._center, self._runs_dir, self.strategy = center, runs_dir, strategy
        _, spec = _trained_run(runs_dir, strategy.run_id)
        self.universe = tuple(spec.assets)
        self.market = center.market_of(list(spec.assets))
        self.algo = spec.algo
        self._drivers: dict[date, tuple[tuple[str, float, float], ...]] = {}

    def prepare(self, start: date, end: date) -> None:
        """Nothing to prepare: the policy is replayed day by day."""

    def score(self, view: PointInTimeData) -> Signal:
        """Replay the policy to the day; its target weights become the target."""
        from taorui_engines.rl._engine import policy_step

        view.get_price(list(self.universe), view.sessions_back(self.market, 0), view.asof, fields=["close"])
        step = policy_step(self._center, self._runs_dir, self.strategy.run_id, view.asof)
        if step.action.date > view.asof:
            raise InvalidArgumentError(f"the policy read a bar of {step.action.date} on the cycle of {view.asof}")
        self._drivers[view.asof] = step.drivers
        weights = {leg.symbol: max(leg.target_weight, 0.0) for leg in step.action.legs}
        notes = tuple(f"{leg.symbol}: the policy wants a short position ({leg.target_weight:.0%}); the paper "
                      "portfolio is long only, so it is held flat" for leg in step.action.legs if leg.target_weight < 0)
        return Signal(day=view.asof, scores={leg.symbol: leg.target_weight for leg in step.action.legs},
                      data_through=step.action.date, source=self.describe(), target_weights=weights, notes=notes)

    def describe(self) -> str:
        """The strategy in one line."""
        return f"{self.algo.upper()} policy of run {self.strategy.run_id}"

    def explain(self, day: date, symbol: str, top: int = 5) -> list[tuple[str, float, float | None, float | None]]:
        """Inputs whose neutralisation moves the action most (single-asset policies)."""
        if day not in self._drivers:
            self.score(PointInTimeData(self._center, day))
        return [(name, moved, value, None) for name, moved, value in self._drivers[day][:top]]


def make_provider(center: DataCenter, runs_dir: Path, spec: PortfolioSpec) -> SignalProvider:
    """The provider for a portfolio's strategy."""
    strategy = spec.strategy
    if isinstance(strategy, FactorStrategy):
        return FactorSignal(center, strategy)
    if isinstance(strategy, QlibModelStrategy):
        return ModelSignal(center, runs_dir, strategy)
    return PolicySignal(center, runs_dir, strategy)
