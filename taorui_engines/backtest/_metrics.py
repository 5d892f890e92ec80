"""Performance numbers from an equity curve and a trade list.

Definitions (docs/backtests.md repeats them): ``V_t`` is the account value at bar t's close
and ``V_-1`` the starting cash; returns are ``r_t = V_t / V_{t-1} - 1``; annualisation uses
``periods_per_year`` bars (252); the risk-free rate is 0. Volatility and Sharpe use the
sample standard deviation (ddof=1); Sortino's downside deviation is
``sqrt(mean(min(r_t, 0)^2))``. Drawdown is ``1 - V_t / max(V_-1..V_t)``.
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
    """Fall below the running peak (the starting cash counts as a peak), as a positive fraction."""
    peak = np.maximum(values.cummax().to_numpy(), initial_cash)
    return pd.Series(1.0 - values.to_numpy() / peak, index=values.index)


def max_drawdown_duration(dd: pd.Series) -> int:
    """Longest run of consecutive bars below a previous peak (to recovery or to the end)."""
    longest = current = 0
    for under in (dd.to_numpy() > 1e-12):
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
    values = equity["value"].astype("float64")
    rets = returns(values, initial_cash)
    dd = drawdown(values, initial_cash)
    n = len(values)
    total = float(values.iloc[-1] / initial_cash - 1.0)
    growth = values.iloc[-1] / initial_cash
    annual = float(growth ** (periods_per_year / n) - 1.0) if growth > 0 else None
    std = float(rets.std(ddof=1)) if n > 1 else float("nan")
    mean = float(rets.mean())
    downside = float(np.sqrt(np.mean(np.minimum(rets.to_numpy(), 0.0) ** 2)))
    root = math.sqrt(periods_per_year)
    sharpe = _ratio(mean * root, std) if math.isfinite(std) else None
    max_dd = float(dd.max())
    n_closed, win_rate = _trade_stats(trades)
    gross = equity["gross"].astype("float64")
    return BacktestMetrics(
        initial_cash=initial_cash,
        final_value=float(values.iloc[-1]),
        total_return=total,
        annualized_return=annual,
        volatility=std * root if math.isfinite(std) else None,
        sharpe=sharpe,
        sortino=_ratio(mean * root, downside),
        max_drawdown=max_dd,
        max_drawdown_duration=max_drawdown_duration(dd),
        calmar=_ratio(annual, max_dd) if annual is not None else None,
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
