"""Performance numbers from an equity curve and a trade list, by :mod:`taorui_engines.metrics`.

The conventions are the shared module's (docs/metrics.md): ``V_t`` is the account value at
bar t's close and the starting cash is ``V_0``; returns are ``r_t = V_t / V_{t-1} - 1``;
annualisation is geometric over ``periods_per_year`` bars (252); the risk-free rate is 0;
volatility and Sharpe use ddof=1; Sortino's downside deviation is ``sqrt(mean(min(r_t, 0)^2))``.
Drawdown is ``V_t / max(V_0..V_t) - 1``: NEGATIVE, as in every other engine.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from taorui_engines.backtest._models import BacktestMetrics, TradeRecord

__all__ = ["PERIODS_PER_YEAR", "compute_metrics", "drawdown", "max_drawdown_duration", "returns"]

PERIODS_PER_YEAR = 252


def returns(values: pd.Series, initial_cash: float) -> pd.Series:
    """Bar returns, the first one measured against the starting cash."""
    previous = values.shift(1)
    previous.iloc[0] = initial_cash
    return values / previous - 1.0


def drawdown(values: pd.Series, initial_cash: float) -> pd.Series:
    """``V_t / running peak - 1`` (the starting cash counts as a peak): 0 at highs, negative below."""
    peak = np.maximum(values.cummax().to_numpy(), initial_cash)
    return pd.Series(values.to_numpy() / peak - 1.0, index=values.index)


def max_drawdown_duration(dd: pd.Series) -> int:
    """Longest run of consecutive bars below a previous peak (to recovery or to the end)."""
    longest = current = 0
    for under in (dd.to_numpy() < -1e-12):
        current = current + 1 if under else 0
        longest = max(longest, current)
    return longest


def _ratio(num: float, den: float) -> float | None:
    return None if den <= 0 or not math.isfinite(num / den) else num / den


def _trade_stats(trades: Sequence[TradeRecord]) -> tuple[int, float | None]:
    closed = [t for t in trades if not t.open]
    wins = sum(1 for t in closed if t.pnl > 0)
    return len(closed), (wins / len(closed) if closed else None)


def compute_metrics(
    equity: pd.DataFrame,
    initial_cash: float,
    trades: Sequence[TradeRecord],
    n_orders: int,
    n_unfilled: int,
    commission_paid: float,
    periods_per_year: int = PERIODS_PER_YEAR,
) -> BacktestMetrics:
    """Metrics of one run. ``equity`` has columns ``value`` and ``gross`` (position value)."""
    from taorui_engines import metrics as pm

    values = equity["value"].astype("float64")
    n = len(values)
    n_closed, win_rate = _trade_stats(trades)
    gross = equity["gross"].astype("float64")
    curve = np.concatenate([[initial_cash], values.to_numpy()])
    if curve[-1] > 0 and np.all(curve > 0):
        report = pm.performance(curve, periods_per_year=periods_per_year)
        annual: float | None = report.annualized_return
        volatility, sharpe, sortino = report.volatility, report.sharpe, report.sortino
        max_dd, duration, calmar = report.max_drawdown, report.max_drawdown_duration, report.calmar
    else:  # the account was wiped out: no growth rate to annualise; the path still has a drawdown
        dd = drawdown(values, initial_cash)
        annual, volatility, sharpe, sortino, calmar = None, None, None, None, None
        max_dd, duration = float(dd.min()), max_drawdown_duration(dd)
    return BacktestMetrics(
        initial_cash=initial_cash,
        final_value=float(values.iloc[-1]),
        total_return=float(values.iloc[-1] / initial_cash - 1.0),
        annualized_return=annual,
        volatility=volatility,
        sharpe=sharpe,
        sortino=sortino,
        max_drawdown=max_dd,
        max_drawdown_duration=duration,
        calmar=calmar,
        n_trades=len(trades),
        n_closed_trades=n_closed,
        win_rate=win_rate,
        exposure=float((gross.abs() > 1e-9).mean()),
        avg_gross_exposure=float((gross.abs() / values).mean()),
        n_bars=n,
        n_orders=n_orders,
        n_unfilled_orders=n_unfilled,
        commission_paid=commission_paid,
        periods_per_year=periods_per_year,
    )
