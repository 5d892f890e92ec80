"""Signal backtests: Qlib's TopkDropout portfolio over a score, with costs, vs equal weight.

Timing (Qlib's daily executor): the score of day ``t`` decides the orders of day ``t + 1``,
filled at that day's close (``deal_price="close"``). Each day the strategy holds the
``topk`` best-scored names, selling at most ``n_drop`` of the worst held ones for the best
ones not held. Orders pay ``open_cost`` (buy) / ``close_cost`` (sell) of the traded value,
at least ``min_cost``; a symbol whose price moved more than ``limit_threshold`` that day
cannot be traded (Chinese-market price limits; the ``cn`` region's default is 9.5%). On a
``cn`` region market orders are in lots of 100 shares.

Returns reported here (daily series and metrics):

- ``return``: the portfolio's daily return before costs (Qlib's ``return``);
  ``return_with_cost`` = ``return - cost``, which is exactly the change of the account value.
- ``benchmark``: the equal-weight mean of the universe's daily close-to-close returns.
- Annualised return compounds: ``(1 + total) ** (252 / n_days) - 1``; the excess is geometric,
  ``(1 + annualised) / (1 + benchmark annualised) - 1``. The information ratio is
  ``mean / std * sqrt(252)`` of the daily excess return over the benchmark, its significance a
  Newey-West t. Max drawdown is the worst fall of the compounded equity (anchored at 1 before the
  first day) below its running peak, negative. Conventions: taorui_engines.metrics, docs/metrics.md.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import math
import warnings
from collections.abc import Iterator
from datetime import date
from typing import Any, Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, model_validator

from taorui_engines.data import DataCenter, _qlib
from taorui_engines.errors import InvalidArgumentError
from taorui_engines.progress import ProgressEvent, ProgressReporter, default_progress
from taorui_engines.qlib_engine._errors import qlib_errors
from taorui_engines.qlib_engine._panel import Universe, load_wide, trading_window

logger = logging.getLogger(__name__)

TRADING_DAYS = 252


class BacktestConfig(BaseModel):
    """Portfolio and cost settings of a TopkDropout backtest."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    topk: int = Field(default=30, ge=1, le=500, description="Names held.")
    n_drop: int = Field(default=3, ge=0, le=500, description="Most names swapped per day.")
    open_cost: float = Field(default=0.0005, ge=0, le=0.05, description="Buy cost, share of traded value.")
    close_cost: float = Field(default=0.0015, ge=0, le=0.05, description="Sell cost, share of traded value.")
    min_cost: float = Field(default=5.0, ge=0, le=10_000, description="Smallest cost of one order.")
    limit_threshold: float | None = Field(
        default=None, gt=0, le=0.5,
        description="Daily move beyond which a symbol cannot be traded; None: the region's default.",
    )
    account: float = Field(default=1e8, ge=1e4, le=1e12, description="Starting cash.")
    deal_price: Literal["close", "open"] = Field(default="close", description="Fill price of orders.")

    @model_validator(mode="after")
    def _drop_within_topk(self) -> BacktestConfig:
        if self.n_drop > self.topk:
            raise ValueError(f"n_drop ({self.n_drop}) cannot exceed topk ({self.topk})")
        return self


class BacktestMetrics(BaseModel):
    """Headline numbers of one backtest, with and without costs."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    start: date
    end: date
    n_days: int
    annualized_return: float = Field(description="Compounded, before costs.")
    annualized_return_with_cost: float = Field(description="Compounded, after costs.")
    benchmark_annualized_return: float = Field(description="Equal-weight universe, compounded.")
    excess_annualized_return: float = Field(
        description="(1 + annualised) / (1 + benchmark annualised) - 1, before costs (geometric, docs/metrics.md).")
    excess_annualized_return_with_cost: float = Field(description="The same after costs.")
    information_ratio: float | None = Field(description="Excess mean / std x sqrt(252), before costs.")
    information_ratio_with_cost: float | None = Field(description="The same after costs.")
    excess_t: float | None = Field(default=None, description="Newey-West t of the mean daily excess, before costs.")
    excess_t_with_cost: float | None = Field(default=None, description="The same after costs: |t| < 2 is noise.")
    cost_drag: float | None = Field(default=None, description="Annualised return before costs minus after.")
    max_drawdown: float = Field(description="Worst peak-to-trough of equity before costs (negative).")
    max_drawdown_with_cost: float = Field(description="The same after costs.")
    total_return: float = Field(description="Over the whole period, before costs.")
    total_return_with_cost: float = Field(description="Over the whole period, after costs.")
    benchmark_total_return: float
    turnover: float = Field(description="Mean daily traded value / account value (buys + sells).")
    total_cost: float = Field(description="Sum of daily costs as a share of the account.")
    volatility_with_cost: float = Field(description="Annualised std of daily returns after costs.")
    limit_threshold: float | None = Field(description="Price-limit threshold in force.")
    trade_unit: float | None = Field(description="Lot size in force (None: fractional shares).")


def equal_weight_benchmark(close: pd.DataFrame, days: pd.DatetimeIndex) -> pd.Series:
    """Mean over symbols of each day's close-to-close return (symbols that have both days)."""
    daily = close.pct_change(fill_method=None)
    return daily.mean(axis=1, skipna=True).reindex(days)


def backtest_window(
    center: DataCenter, universe: Universe, start: object, end: object
) -> pd.DatetimeIndex:
    """Trading days of the backtest; the calendar's last day is left out (Qlib needs a next day)."""
    days, _ = trading_window(center, universe.market, start, end)
    last = center.calendar(universe.market)[-1]
    days = days[days < last]
    if len(days) < 2:
        raise InvalidArgumentError("a backtest needs at least two trading days before the calendar's last day")
    return days


def run_backtest(
    center: DataCenter,
    universe: Universe,
    signal: pd.Series,
    start: object,
    end: object,
    config: BacktestConfig,
    progress: ProgressReporter | None = None,
) -> tuple[BacktestMetrics, pd.DataFrame]:
    """Backtest ``signal`` (indexed by date and symbol) between ``start`` and ``end``."""
    if config.topk >= len(universe.symbols):
        raise InvalidArgumentError(
            f"topk ({config.topk}) must be below the number of symbols ({len(universe.symbols)})"
        )
    days = backtest_window(center, universe, start, end)
    benchmark = _benchmark(center, universe, days)
    score = _qlib_signal(signal, universe)
    report, unit, limit = _run_qlib(center, universe, score, days, benchmark, config, progress)
    daily = _daily(report, config.account)
    return _metrics(daily, unit, limit), daily


def _benchmark(center: DataCenter, universe: Universe, days: pd.DatetimeIndex) -> pd.Series:
    calendar = center.calendar(universe.market)
    first = max(0, int(calendar.get_loc(days[0])) - 1)
    span = calendar[first : int(calendar.get_loc(days[-1])) + 1]
    close = load_wide(center, universe, {}, span)["close"]
    bench = equal_weight_benchmark(close, days)
    if bench.isna().any():
        raise InvalidArgumentError("the universe has no returns on some backtest days; shorten the period")
    return bench


def _qlib_signal(signal: pd.Series, universe: Universe) -> pd.Series:
    """The score as Qlib's strategies want it: (datetime, instrument) index, finite values."""
    score = signal.astype("float64").dropna()
    score.index = score.index.set_names(["datetime", "instrument"])
    score = score[score.index.get_level_values("instrument").isin(universe.symbols)]
    if score.empty:
        raise InvalidArgumentError("the signal has no finite values for the universe's symbols")
    return score.sort_index()


class _QlibBar:
    """Stands in for Qlib's tqdm bar so its backtest loop reports to our progress instead."""

    def __init__(self, progress: ProgressReporter, total: int | None = None, **_: Any) -> None:
        self.progress, self.total, self.done = progress, total, 0

    def __enter__(self) -> _QlibBar:
        return self

    def __exit__(self, *_: object) -> None:
        return None

    def update(self, n: int = 1) -> None:
        self.done += n
        if self.done % 20 == 0 or self.done == self.total:
            self.progress.update(ProgressEvent("backtest", self.done, self.total))


@contextlib.contextmanager
def _progress_bar(progress: ProgressReporter) -> Iterator[None]:
    """Route Qlib's backtest-loop bar to ``progress`` (restored afterwards; under the Qlib lock)."""
    # importlib, not ``import qlib.backtest.backtest``: the package re-exports a *function*
    # named ``backtest`` that shadows the submodule as an attribute.
    loop: Any = importlib.import_module("qlib.backtest.backtest")
    original = loop.tqdm
    loop.tqdm = lambda *args, **kwargs: _QlibBar(progress, kwargs.get("total"))
    try:
        yield
    finally:
        loop.tqdm = original


def _run_qlib(
    center: DataCenter,
    universe: Universe,
    score: pd.Series,
    days: pd.DatetimeIndex,
    benchmark: pd.Series,
    config: BacktestConfig,
    progress: ProgressReporter | None,
) -> tuple[pd.DataFrame, float | None, float | None]:
    from qlib.config import C
    from qlib.contrib.evaluate import backtest_daily
    from qlib.contrib.strategy import TopkDropoutStrategy

    exchange = {"codes": universe.symbols, "limit_threshold": config.limit_threshold,
                "deal_price": config.deal_price, "open_cost": config.open_cost,
                "close_cost": config.close_cost, "min_cost": config.min_cost}
    with _qlib.lock(), qlib_errors("Qlib backtest"), _progress_bar(default_progress(progress)), \
            warnings.catch_warnings():
        # Qlib averages empty slices and divides by zero counts on days without positions
        # (the first day) while filling its own indicators, which we do not report: harmless.
        warnings.filterwarnings("ignore", "Mean of empty slice", RuntimeWarning)
        warnings.filterwarnings("ignore", category=RuntimeWarning, module=r"qlib\.")
        center.activate(universe.market)
        strategy = TopkDropoutStrategy(signal=score, topk=config.topk, n_drop=config.n_drop)
        report, _ = backtest_daily(
            start_time=days[0], end_time=days[-1], strategy=strategy, account=config.account,
            benchmark=benchmark, exchange_kwargs=exchange,
        )
        unit = C.trade_unit
        limit = config.limit_threshold if config.limit_threshold is not None else C.limit_threshold
    return report, unit, limit


def _daily(report: pd.DataFrame, account: float) -> pd.DataFrame:
    daily = pd.DataFrame({
        "return": report["return"].astype("float64"),
        "cost": report["cost"].astype("float64"),
        "benchmark": report["bench"].astype("float64"),
        "turnover": report["turnover"].astype("float64"),
        "account": report["account"].astype("float64"),
    })
    daily["return_with_cost"] = daily["return"] - daily["cost"]
    daily["excess"] = daily["return"] - daily["benchmark"]
    daily["excess_with_cost"] = daily["return_with_cost"] - daily["benchmark"]
    daily.index = pd.DatetimeIndex(report.index, name="date")
    daily.attrs["initial_account"] = account
    return daily


def _annualized(returns: pd.Series) -> float:
    """Geometric (taorui_engines.metrics); -1 when the account was wiped out."""
    from taorui_engines import metrics as pm

    curve = pm.equity_from_returns(returns.to_numpy())
    return pm.annualized_return(curve, TRADING_DAYS) if float(curve[-1]) > 0 and (curve > 0).all() else -1.0


def _ir(excess: pd.Series) -> float | None:
    std = float(excess.std(ddof=1))
    return float(excess.mean()) / std * math.sqrt(TRADING_DAYS) if std > 0 else None


def _t(excess: pd.Series) -> float | None:
    """Newey-West t of the mean daily excess (taorui_engines.metrics)."""
    from taorui_engines import metrics as pm

    values = excess.dropna().to_numpy()
    return pm.newey_west_t(values) if len(values) > 2 else None


def _max_drawdown(returns: pd.Series) -> float:
    """From a curve anchored at 1 before the first day, so a first-day loss counts (docs/metrics.md)."""
    from taorui_engines import metrics as pm

    curve = pm.equity_from_returns(returns.to_numpy())
    return pm.max_drawdown(curve) if (curve > 0).all() else -1.0


def _geometric_excess(mine: float, theirs: float) -> float:
    return (1 + mine) / (1 + theirs) - 1 if theirs > -1 else float("nan")


def _metrics(daily: pd.DataFrame, unit: float | None, limit: float | None) -> BacktestMetrics:
    gross, net, bench = daily["return"], daily["return_with_cost"], daily["benchmark"]
    annual, annual_net, annual_bench = _annualized(gross), _annualized(net), _annualized(bench)
    return BacktestMetrics(
        start=daily.index[0].date(), end=daily.index[-1].date(), n_days=len(daily),
        annualized_return=annual, annualized_return_with_cost=annual_net,
        benchmark_annualized_return=annual_bench,
        excess_annualized_return=_geometric_excess(annual, annual_bench),
        excess_annualized_return_with_cost=_geometric_excess(annual_net, annual_bench),
        information_ratio=_ir(daily["excess"]), information_ratio_with_cost=_ir(daily["excess_with_cost"]),
        excess_t=_t(daily["excess"]), excess_t_with_cost=_t(daily["excess_with_cost"]),
        cost_drag=annual - annual_net,
        max_drawdown=_max_drawdown(gross), max_drawdown_with_cost=_max_drawdown(net),
        total_return=float((1 + gross).prod() - 1), total_return_with_cost=float((1 + net).prod() - 1),
        benchmark_total_return=float((1 + bench).prod() - 1),
        turnover=float(daily["turnover"].mean()), total_cost=float(daily["cost"].sum()),
        volatility_with_cost=float(net.std(ddof=1)) * math.sqrt(TRADING_DAYS),
        limit_threshold=limit, trade_unit=float(unit) if unit is not None else None,
    )
