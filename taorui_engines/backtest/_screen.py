"""A vectorised screen of a moving-average-cross grid: every grid point without Backtrader.

A Backtrader run costs a fraction of a second, so a 200-point grid takes minutes. For the
long-only crosses (``sma_cross``, ``ema_cross``) on one symbol with percent-of-equity sizing
and no stops, the rules are simple enough to simulate for every grid point at once: the
crosses of the whole grid come from a few numpy operations over (bars x points), and each
point's account then moves only at its own events (a cross, the fill on the next bar), a
few dozen steps instead of one per bar. It follows the engine's conventions
(``_strategies.RuleStrategy`` on Backtrader):

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
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

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
    """(up, down) booleans per bar (and per column of 2-d input), as Backtrader's CrossOver over
    NonZeroDifference: the last non-zero difference before the bar against the sign now."""
    diff = fast - slow
    nzd = _ffill(np.where(diff == 0, np.nan, diff))
    before = np.concatenate([np.full((1, *nzd.shape[1:]), np.nan), nzd[:-1]])
    with np.errstate(invalid="ignore"):
        up = (before < 0) & (fast > slow)
        down = (before > 0) & (fast < slow)
    return up, down


def _ffill(values: np.ndarray) -> np.ndarray:
    """NaN replaced by the last non-NaN value above it (down axis 0), NaN before any."""
    rows = np.arange(len(values)).reshape(-1, *([1] * (values.ndim - 1)))
    last = np.maximum.accumulate(np.where(np.isnan(values), 0, rows), axis=0)
    return np.take_along_axis(values, np.broadcast_to(last, values.shape), axis=0)


def screen(spec: BacktestSpec, bars: BarSet, combos: Sequence[dict[str, Any]], metric: RankMetric) -> np.ndarray:
    """The ranking metric of every combination as the screen simulates it (NaN: undefined)."""
    return _metric(account_values(spec, bars, combos), float(spec.cash), metric)


@dataclass(frozen=True)
class _Market:
    """One symbol's bars as plain floats, and the search's costs and sizing."""

    opens: list[float]
    highs: list[float]
    lows: list[float]
    close: list[float]
    cash: float
    fraction: float
    lot: float
    commission: float
    slippage: float


def account_values(spec: BacktestSpec, bars: BarSet, combos: Sequence[dict[str, Any]]) -> np.ndarray:
    """Daily account value (bars in the window x combinations) as the screen simulates it.

    Each combination's account changes only when an order fills, so the simulation walks
    from event to event (the next cross, the fill on the bar after it) instead of over every
    bar, and the daily values are the account between fills marked at each close.
    """
    symbol = next(iter(bars.frames))
    frame = bars.frames[symbol]
    frame = frame.loc[frame.index <= bars.end]
    close = frame["close"].to_numpy(dtype="float64")
    market = _Market(opens=frame["open"].to_numpy(dtype="float64").tolist(),
                     highs=frame["high"].to_numpy(dtype="float64").tolist(),
                     lows=frame["low"].to_numpy(dtype="float64").tolist(), close=close.tolist(),
                     cash=float(spec.cash), fraction=spec.resolved_sizing().fraction,
                     lot=float(spec.lot_size or bars.default_lot()), commission=spec.commission,
                     slippage=spec.slippage)
    periods = sorted({int(c[name]) for c in combos for name in ("fast", "slow")})
    averages = np.column_stack([_average(close, p, spec.strategy) for p in periods])
    column = {p: i for i, p in enumerate(periods)}
    fast = averages[:, [column[int(c["fast"])] for c in combos]]
    slow = averages[:, [column[int(c["slow"])] for c in combos]]
    up, down = _crosses(fast, slow)
    with np.errstate(invalid="ignore"):
        above = fast > slow  # the long idea still holds: a rejected entry is retried
    # CrossOver needs the slow average and one bar before it; decisions are taken in the window.
    start = int(frame.index.searchsorted(bars.start))  # the first bar in the window
    cash = np.empty((len(close), len(combos)))
    units = np.empty((len(close), len(combos)))
    for j, c in enumerate(combos):
        first = max(start, int(c["slow"]))
        events = [(np.flatnonzero(x[first:, j]) + first).tolist() for x in (up, down, above)]
        cash[:, j], units[:, j] = _account(market, *events)
    return (cash + units * close[:, None])[start:]


def _account(market: _Market, ups: list[int], downs: list[int], aboves: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """Cash and units held at each bar's close for one combination, walking its events.

    A decision on bar t's close fills at bar t+1's open, and bar t+1 can decide again after the
    fill. Flat, the next decision is the next up-cross, or after a rejected entry the next bar
    the fast average is above the slow one (an up-cross is such a bar); long, the next down-cross.
    """
    n = len(market.close)
    cash_at, units_at = [0], [(market.cash, 0.0)]
    cash, units, retry, t = market.cash, 0.0, False, 0
    while units >= 0:  # (units below 0 or NaN: no rule applies any more)
        pool = downs if units > 0 else aboves if retry else ups
        k = bisect_left(pool, t)
        if k == len(pool):
            break
        t = pool[k]
        value = cash + units * market.close[t]
        if units > 0:
            order = -units
        else:
            order, retry = _entry_units(market, t, value), False
        t += 1
        if not (order > 0 or order < 0) or t >= n:  # nothing to trade (NaN sizes trade nothing either)
            continue
        cash, units, rejected = _fill(market, t, order, cash, units)
        retry = retry or rejected
        cash_at.append(t)
        units_at.append((cash, units))
    return _steps(n, cash_at, units_at)


def _entry_units(market: _Market, t: int, value: float) -> float:
    """Whole lots worth the sleeve at bar t's close, leaving room for commission and slippage."""
    price = market.close[t] * (1 + market.commission) * (1 + market.slippage)
    if not (price > 0 and math.isfinite(price)):
        return 0.0
    lots = value * market.fraction / price / market.lot
    return float(math.floor(lots)) * market.lot if math.isfinite(lots) else lots * market.lot


def _fill(market: _Market, t: int, order: float, cash: float, units: float) -> tuple[float, float, bool]:
    """An order filled at bar t's open with slippage inside the bar: (cash, units, rejected)."""
    slip = market.slippage
    if order > 0:
        price = min(market.opens[t] * (1 + slip), market.highs[t])
    else:
        price = max(market.opens[t] * (1 - slip), market.lows[t])
    cost = order * price
    fee = abs(cost) * market.commission
    if order > 0 and not cash >= cost + fee:
        return cash, units, True
    return cash - cost - fee, units + order, False


def _steps(n: int, at: list[int], states: list[tuple[float, float]]) -> tuple[np.ndarray, np.ndarray]:
    """Per-bar (cash, units) from the bars where they changed."""
    which = np.searchsorted(np.asarray(at), np.arange(n), side="right") - 1
    table = np.asarray(states, dtype="float64")
    return table[which, 0], table[which, 1]


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
