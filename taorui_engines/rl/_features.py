"""Technical indicators for the RL observations, computed strictly from data up to each day.

The indicator set is FinRL's default (``finrl.config.INDICATORS``): MACD, Bollinger upper and
lower bands (20 days, 2 sd), RSI(30), CCI(30), DX(30), 30- and 60-day simple moving averages.
They are computed with stockstats, as FinRL's FeatureEngineer does, but one symbol at a time
on that symbol's own bars, without FinRL's yfinance-importing preprocessor module. Every
stockstats formula used here is a rolling window or an exponential recursion, so the value
at day t depends on bars up to t only (a test truncates the data and checks this). At the
start of a series the windows are partial; callers load warm-up bars before their window.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np
import pandas as pd

from taorui_engines.errors import InvalidDataError

__all__ = ["INDICATORS", "WARMUP_BARS", "add_indicators", "normalized_features"]

logger = logging.getLogger(__name__)

#: FinRL's default indicator columns (``finrl.config.INDICATORS``), in FinRL's order.
INDICATORS: tuple[str, ...] = (
    "macd", "boll_ub", "boll_lb", "rsi_30", "cci_30", "dx_30", "close_30_sma", "close_60_sma",
)
#: Bars loaded before a window so that the longest indicator (60-day SMA, DX's smoothing)
#: is fully formed on the window's first day.
WARMUP_BARS = 120


def _indicators_of_one(bars: pd.DataFrame, names: Sequence[str]) -> pd.DataFrame:
    """stockstats indicators of one symbol's bars (index: date, columns high/low/close)."""
    from stockstats import StockDataFrame

    frame = bars[["open", "high", "low", "close"]].astype("float64").copy()
    frame.index.name = "date"
    stock = StockDataFrame.retype(frame)
    out = pd.DataFrame({name: np.asarray(stock[name], dtype="float64") for name in names}, index=bars.index)
    return out


def add_indicators(bars: pd.DataFrame, names: Sequence[str] = INDICATORS) -> pd.DataFrame:
    """Add indicator columns to tidy bars (``date, symbol, open, high, low, close, ...``).

    Each symbol is computed on its own rows in date order; the result keeps the input's
    rows and order. Missing high/low (a close-only source) is an error, never guessed.
    """
    needed = {"date", "symbol", "open", "high", "low", "close"}
    if not needed <= set(bars.columns):
        raise InvalidDataError(f"bars need columns {sorted(needed)}, got {sorted(bars.columns)}")
    if bars[["open", "high", "low", "close"]].isna().any().any():
        raise InvalidDataError("bars have missing open/high/low/close values; indicators need all four")
    ordered = bars.sort_values(["symbol", "date"], kind="stable")
    parts = []
    for _, group in ordered.groupby("symbol", sort=False):
        one = group.set_index("date")
        parts.append(_indicators_of_one(one, names).set_index(group.index))
    indicators = pd.concat(parts).reindex(bars.index)
    return pd.concat([bars, indicators], axis=1)


def normalized_features(frame: pd.DataFrame) -> np.ndarray:
    """Scale-free versions of the indicators, for the policy network (rows of ``frame``).

    Price-level indicators are expressed relative to the close (a MACD of 4 means little
    without the price), oscillators are divided by 100; every transform uses the same row
    only, so it adds no look-ahead and needs no statistics fitted on any period.
    """
    close = frame["close"].to_numpy(dtype="float64")
    cols = [
        frame["macd"].to_numpy() / close * 100.0,
        frame["boll_ub"].to_numpy() / close - 1.0,
        frame["boll_lb"].to_numpy() / close - 1.0,
        frame["rsi_30"].to_numpy() / 100.0 - 0.5,
        frame["cci_30"].to_numpy() / 100.0,
        frame["dx_30"].to_numpy() / 100.0,
        frame["close_30_sma"].to_numpy() / close - 1.0,
        frame["close_60_sma"].to_numpy() / close - 1.0,
    ]
    out = np.column_stack(cols).astype("float64")
    return np.nan_to_num(out, nan=0.0, posinf=0.0, neginf=0.0)
