"""A vectorised screen of a moving-average-cross grid: every grid point in one numpy pass.

A Backtrader run costs a fraction of a second, so a 200-point grid takes minutes. For the
long-only crosses (``sma_cross``, ``ema_cross``) on one symbol with percent-of-equity sizing
and no stops, the rules are simple enough to simulate for every grid point at once: the
loop runs over the bars and each step is a numpy operation over the grid. It follows the
engine's conventions (``_strategies.RuleStrategy`` on Backtrader):

- Backtrader's ``CrossOver``: an up-cross on a bar when the last non-zero difference before it
  was negative and the fast average is now above the slow one (down-cross mirrored);
  averages as Backtrader computes them (SMA: the mean of the last N closes; EMA: seeded
  with the SMA of the first N closes, then ``alpha = 2 / (N + 1)``);
- a decision at a bar's close once the indicators are formed and the bar is in the window;
  the order fills at the next bar's open with the slippage against the trade, kept inside
  the bar's range; the commission is a fraction of the traded value;
- entries buy whole lots worth the sleeve at the decision bar's close, leaving room for the
  commission and slippage; a buy the cash cannot pay at the open is rejected and retried at
  a later close while the fast average is still above the slow one; exits sell everything.

The screen only orders the grid. The search then runs the best points on Backtrader, and
only Backtrader's numbers are reported and ranked (``_search``); the screen's value for every
point is kept in the results file beside them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from taorui_engines.backtest._bars import BarSet
from taorui_engines.backtest._metrics import PERIODS_PER_YEAR
from taorui_engines.backtest._models import BacktestSpec, RankMetric

__all__ = ["SCREENABLE", "screen", "screenable"]

#: Strategies the screen simulates.
SCREENABLE: frozenset[str] = frozenset({"sma_cross", "ema_cross"})


def screenable(spec: BacktestSpec, bars: BarSet) -> bool:
    """True when the screen follows the engine's rules for this search exactly enough to rank it."""
    sizing = spec.resolved_sizing()
    return (spec.strategy in SCREENABLE and len(bars.frames) == 1 and sizing.kind == "percent_equity"
            and spec.stop_loss is None and spec.take_profit is None)


def _average(close: np.ndarray, period: int, kind: str) -> np.ndarray:
    """Backtrader's SMA or EMA of ``close`` (NaN until formed)."""
    out = np.full(close.shape, np.nan)
    if len(close) < period:
        return out
    if kind == "sma_cross":
        sums = np.cumsum(np.concatenate([[0.0], close]))
        out[period - 1:] = (sums[period:] - sums[:-period]) / period
        return out
    alpha = 2.0 / (period + 1)
    value = float(close[:period].mean())
    out[period - 1] = value
    for i in range(period, len(close)):
        value = value + alpha * (close[i] - value)
        out[i] = value
    return out


def _crosses(fast: np.ndarray, slow: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(up, down) booleans per bar, as Backtrader's CrossOver over NonZeroDifference."""
    diff = fast - slow
    nzd = pd.Series(np.where(diff == 0, np.nan, diff)).ffill().to_numpy()
    before = np.concatenate([[np.nan], nzd[:-1]])
    with np.errstate(invalid="ignore"):
        up = (before < 0) & (fast > slow)
        down = (before > 0) & (fast < slow)
    return up, down


def screen(spec: BacktestSpec, bars: BarSet, combos: Sequence[dict[str, Any]], metric: RankMetric) -> np.ndarray:
    """The ranking metric of every combination as the screen simulates it (NaN: undefined)."""
    return _metric(account_values(spec, bars, combos), float(spec.cash), metric)


def account_values(spec: BacktestSpec, bars: BarSet, combos: Sequence[dict[str, Any]]) -> np.ndarray:
    """Daily account value (bars in the window x combinations) as the screen simulates it."""
    symbol = next(iter(bars.frames))
    frame = bars.frames[symbol]
    frame = frame.loc[frame.index <= bars.end]
    opens, highs, lows, close = (frame[c].to_numpy(dtype="float64") for c in ("open", "high", "low", "close"))
    n, k = len(close), len(combos)
    cache: dict[int, np.ndarray] = {}

    def avg(period: int) -> np.ndarray:
        if period not in cache:
            cache[period] = _average(close, period, spec.strategy)
        return cache[period]

    up = np.zeros((n, k), dtype=bool)
    down = np.zeros((n, k), dtype=bool)
    above = np.zeros((n, k), dtype=bool)
    ready_from = np.zeros(k, dtype=int)
    for j, c in enumerate(combos):
        fast_avg, slow_avg = avg(int(c["fast"])), avg(int(c["slow"]))
        u, d = _crosses(fast_avg, slow_avg)
        up[:, j], down[:, j] = u, d
        with np.errstate(invalid="ignore"):
            above[:, j] = fast_avg > slow_avg  # the long idea still holds: a rejected entry is retried
        ready_from[j] = int(c["slow"])  # CrossOver needs the slow average and one bar before it
    lot = float(spec.lot_size or bars.default_lot())
    fraction = spec.resolved_sizing().fraction
    comm, slip = spec.commission, spec.slippage
    in_window = np.asarray(frame.index >= bars.start)
    cash = np.full(k, float(spec.cash))
    units = np.zeros(k)
    order = np.zeros(k)  # units to trade at the next open (sign = side)
    retry = np.zeros(k, dtype=bool)
    values: list[np.ndarray] = []
    for t in range(n):
        if t > 0 and order.any():
            buy, sell = order > 0, order < 0
            price = np.where(buy, np.minimum(opens[t] * (1 + slip), highs[t]),
                             np.maximum(opens[t] * (1 - slip), lows[t]))
            cost = order * price
            fee = np.abs(cost) * comm
            pays = ~buy | (cash >= cost + fee)
            done = (buy | sell) & pays
            cash = np.where(done, cash - cost - fee, cash)
            units = np.where(done, units + order, units)
            retry = np.where(buy & ~pays, True, retry)
            order = np.zeros(k)
        if not in_window[t]:
            continue
        value = cash + units * close[t]
        values.append(value)
        ready = t >= ready_from
        if not ready.any():
            continue
        exit_now = ready & (units > 0) & down[t]
        enter = ready & (units == 0) & (up[t] | (retry & above[t]))
        price = close[t] * (1 + comm) * (1 + slip)
        size = np.floor(value * fraction / price / lot) * lot if price > 0 and math.isfinite(price) else np.zeros(k)
        order = np.where(exit_now, -units, np.where(enter, size, 0.0))
        retry = np.where(enter, False, retry)
    return np.asarray(values)


def _metric(values: np.ndarray, cash: float, metric: RankMetric) -> np.ndarray:
    """``metric`` of each column of daily account values (the engine's definitions)."""
    curve = np.vstack([np.full((1, values.shape[1]), cash), values])
    with np.errstate(divide="ignore", invalid="ignore"):
        rets = curve[1:] / curve[:-1] - 1.0
        years = len(values) / PERIODS_PER_YEAR
        total = curve[-1] / cash - 1.0
        annual = np.where(curve[-1] > 0, (curve[-1] / cash) ** (1 / years) - 1.0, np.nan)
        mean, std = rets.mean(axis=0), rets.std(axis=0, ddof=1)
        sharpe = np.where(std > 0, mean / std * math.sqrt(PERIODS_PER_YEAR), np.nan)
        downside = np.sqrt((np.minimum(rets, 0.0) ** 2).mean(axis=0))
        sortino = np.where(downside > 0, mean / downside * math.sqrt(PERIODS_PER_YEAR), np.nan)
        peak = np.maximum.accumulate(curve, axis=0)
        max_dd = (curve / peak - 1.0).min(axis=0)
        calmar = np.where(max_dd < 0, annual / -max_dd, np.nan)
    return {"sharpe": sharpe, "sortino": sortino, "calmar": calmar, "total_return": total,
            "annualized_return": annual, "final_value": curve[-1], "max_drawdown": max_dd}[metric]
