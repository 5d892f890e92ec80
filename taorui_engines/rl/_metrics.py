"""Performance of an equity curve: the numbers every RL result and its benchmark carry.

Conventions (stated in docs/rl.md): daily simple returns of account value, 252 days a year,
risk-free rate 0, sample standard deviation (ddof=1); Sortino's downside deviation is the
root mean square of the negative daily returns (zeros for the others); max drawdown is the
most negative ``equity / running peak - 1``.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from taorui_engines.rl._models import PerformanceMetrics

__all__ = ["PERIODS_PER_YEAR", "drawdown", "performance"]

PERIODS_PER_YEAR = 252


def drawdown(equity: pd.Series) -> pd.Series:
    """``equity / running peak - 1`` (0 at new highs, negative below them)."""
    return equity / equity.cummax() - 1.0


def _ratio(numerator: float, denominator: float) -> float | None:
    if not math.isfinite(denominator) or denominator <= 1e-15:
        return None
    return numerator / denominator


def performance(equity: pd.Series, n_trades: int, exposure: float, total_costs: float) -> PerformanceMetrics:
    """Metrics of a daily equity series (first value = the starting account)."""
    values = equity.to_numpy(dtype="float64")
    returns = values[1:] / values[:-1] - 1.0
    n_days = len(returns)
    cumulative = values[-1] / values[0] - 1.0
    years = n_days / PERIODS_PER_YEAR
    annualized = (1.0 + cumulative) ** (1.0 / years) - 1.0 if years > 0 and cumulative > -1 else -1.0
    sd = float(np.std(returns, ddof=1)) if n_days > 1 else 0.0
    downside = float(np.sqrt(np.mean(np.minimum(returns, 0.0) ** 2))) if n_days else 0.0
    mean = float(np.mean(returns)) if n_days else 0.0
    root = math.sqrt(PERIODS_PER_YEAR)
    sharpe = _ratio(mean, sd)
    sortino = _ratio(mean, downside)
    max_dd = float(drawdown(equity).min())
    return PerformanceMetrics(
        cumulative_return=float(cumulative),
        annualized_return=float(annualized),
        annualized_volatility=sd * root,
        sharpe=None if sharpe is None else sharpe * root,
        sortino=None if sortino is None else sortino * root,
        max_drawdown=max_dd,
        calmar=_ratio(float(annualized), abs(max_dd)),
        n_trades=int(n_trades),
        exposure=float(exposure),
        total_costs=float(total_costs),
        final_equity=float(values[-1]),
        n_days=n_days,
    )
