"""Cross-sectional information coefficients, computed on wide (date x symbol) frames.

Conventions, used everywhere in Taorui:

- The IC of day ``t`` is the Pearson correlation, across the symbols with both values, of
  the signal at ``t`` and the forward return from ``t``; the Rank IC is the same on ranks
  (Spearman). Ranks are taken among the symbols that have both values, so a symbol
  missing one side never shifts the others' ranks.
- A day counts only when at least ``min_count`` symbols have both values and neither side
  is constant that day; other days are left out (not zero).
- ICIR is ``mean / std`` of the daily series (not annualised); the t-statistic is
  ``ICIR * sqrt(n_days)``, which overstates significance when forward returns overlap
  (horizons above one day).
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

#: Fewest symbols with both values for a day's IC to count.
MIN_COUNT = 10


class IcStats(BaseModel):
    """Summary of one daily IC series."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    mean: float | None = Field(description="Mean daily IC.")
    std: float | None = Field(description="Standard deviation of the daily IC.")
    ir: float | None = Field(description="mean / std of the daily IC (not annualised).")
    t_stat: float | None = Field(description="ir * sqrt(n_days); optimistic for overlapping horizons.")
    positive_ratio: float | None = Field(description="Share of days with IC > 0.")
    n_days: int = Field(description="Days with a valid IC.")


def forward_returns(close: pd.DataFrame, horizon: int) -> pd.DataFrame:
    """``close(t+h) / close(t) - 1`` along the rows (trading days) of a wide close frame."""
    return close.shift(-horizon) / close - 1.0


def _paired(x: pd.DataFrame, y: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Both frames on one grid, each cell kept only where both are finite."""
    x, y = x.align(y, join="inner")
    both = np.isfinite(x.to_numpy(dtype="float64")) & np.isfinite(y.to_numpy(dtype="float64"))
    return x.where(both), y.where(both)


def _row_pearson(x: pd.DataFrame, y: pd.DataFrame, min_count: int) -> pd.Series:
    xv = x.to_numpy(dtype="float64")
    yv = y.to_numpy(dtype="float64")
    count = np.sum(np.isfinite(xv), axis=1)
    with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN days: "mean of empty slice"
        xd = xv - np.nanmean(xv, axis=1, keepdims=True)
        yd = yv - np.nanmean(yv, axis=1, keepdims=True)
        cov = np.nansum(xd * yd, axis=1)
        var = np.sqrt(np.nansum(xd * xd, axis=1) * np.nansum(yd * yd, axis=1))
        corr = cov / var
    corr[(count < min_count) | ~(var > 0)] = np.nan
    return pd.Series(corr, index=x.index, dtype="float64")


def daily_ic(signal: pd.DataFrame, returns: pd.DataFrame, min_count: int = MIN_COUNT) -> pd.Series:
    """Pearson IC per day (row); NaN where fewer than ``min_count`` pairs or a flat side."""
    x, y = _paired(signal, returns)
    return _row_pearson(x, y, min_count)


def daily_rank_ic(signal: pd.DataFrame, returns: pd.DataFrame, min_count: int = MIN_COUNT) -> pd.Series:
    """Spearman Rank IC per day: Pearson of the ranks (average ranks for ties)."""
    x, y = _paired(signal, returns)
    return _row_pearson(x.rank(axis=1), y.rank(axis=1), min_count)


def summarize(ic: pd.Series) -> IcStats:
    """Mean, std, IR, t-statistic and share of positive days of a daily IC series."""
    valid = ic.dropna()
    n = len(valid)
    if n == 0:
        return IcStats(mean=None, std=None, ir=None, t_stat=None, positive_ratio=None, n_days=0)
    mean = float(valid.mean())
    std = float(valid.std(ddof=1)) if n > 1 else None
    ir = mean / std if std else None
    return IcStats(
        mean=mean, std=std, ir=ir, t_stat=ir * math.sqrt(n) if ir is not None else None,
        positive_ratio=float((valid > 0).mean()), n_days=n,
    )


def rank_autocorrelation(signal: pd.DataFrame, lag: int = 1, min_count: int = MIN_COUNT) -> float | None:
    """Mean over days of the Rank IC between the signal at ``t`` and at ``t - lag``.

    Near 1: the ranking barely moves (cheap to trade); near 0: it is reshuffled daily.
    """
    series = daily_rank_ic(signal, signal.shift(lag), min_count).dropna()
    return float(series.mean()) if len(series) else None


def top_quantile_turnover(signal: pd.DataFrame, quantile: float = 0.2) -> float | None:
    """Mean share of the top-``quantile`` names on day ``t`` that were not there on ``t - 1``."""
    ranks = signal.rank(axis=1, pct=True, ascending=False)
    top = (ranks <= quantile).to_numpy()
    valid = np.isfinite(signal.to_numpy(dtype="float64")).sum(axis=1) >= MIN_COUNT
    shares = []
    for today, yesterday, ok, ok_before in zip(top[1:], top[:-1], valid[1:], valid[:-1], strict=True):
        if ok and ok_before and today.sum():
            shares.append(float((today & ~yesterday).sum() / today.sum()))
    return float(np.mean(shares)) if shares else None
