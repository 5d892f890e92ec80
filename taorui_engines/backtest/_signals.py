"""Signals for the signal strategy: read, check, and turn into target weights per bar.

A signal frame has one row per date and one column per symbol (target weights, or scores
that pick the top k). The value on date d is taken as known at d's close, so the orders it
causes fill at the next bar's open, like every other strategy.
"""

from __future__ import annotations

import math
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from taorui_engines.backtest._bars import BarSet
from taorui_engines.backtest._params import SignalParams
from taorui_engines.errors import InvalidArgumentError, InvalidDataError

__all__ = ["read_signal_file", "signals_from_tidy", "target_weights"]

_DATE_COLS = ("date", "datetime", "time", "timestamp", "trade_date")
_SYMBOL_COLS = ("symbol", "instrument", "ticker", "code")
_VALUE_COLS = ("weight", "score", "value", "signal", "pred", "prediction", "action")


def signals_from_tidy(tidy: pd.DataFrame) -> pd.DataFrame:
    """(date, symbol, value) rows -> a dates x symbols frame. Column names are matched loosely."""
    cols = {c.lower(): c for c in tidy.columns}
    date_col = next((cols[c] for c in _DATE_COLS if c in cols), None)
    symbol_col = next((cols[c] for c in _SYMBOL_COLS if c in cols), None)
    value_col = next((cols[c] for c in _VALUE_COLS if c in cols), None)
    if date_col is None or symbol_col is None or value_col is None:
        raise InvalidDataError(
            "a tidy signal table needs a date column, a symbol column and a value column "
            f"(weight/score/value/...); got {list(tidy.columns)}"
        )
    wide = tidy.pivot_table(index=date_col, columns=symbol_col, values=value_col, aggfunc="last")
    return _normalise(wide)


def read_signal_file(path: Path) -> pd.DataFrame:
    """A CSV of signals, tidy (date, symbol, value) or wide (date, then one column per symbol)."""
    if not path.is_file():
        raise InvalidArgumentError(f"no signal file at {path}")
    try:
        raw = pd.read_csv(path)
    except (ValueError, OSError) as exc:
        raise InvalidDataError(f"cannot read signals from {path}: {exc}") from exc
    lower = {c.lower() for c in raw.columns}
    if lower & set(_SYMBOL_COLS):
        return signals_from_tidy(raw)
    date_col = next((c for c in raw.columns if c.lower() in _DATE_COLS), raw.columns[0])
    return _normalise(raw.set_index(date_col))


def _normalise(wide: pd.DataFrame) -> pd.DataFrame:
    try:
        index = pd.DatetimeIndex(pd.to_datetime(wide.index)).normalize()
    except (ValueError, TypeError) as exc:
        raise InvalidDataError(f"signal dates do not parse: {exc}") from exc
    frame = wide.apply(pd.to_numeric, errors="coerce").astype("float64")
    frame.index = index
    frame.columns = [str(c).strip().upper() for c in frame.columns]
    if frame.empty or frame.shape[1] == 0:
        raise InvalidDataError("the signal frame is empty")
    if np.isinf(frame.to_numpy()).any():
        raise InvalidDataError("the signal frame holds infinite values")
    return frame.sort_index()


def target_weights(signals: pd.DataFrame, params: SignalParams, bars: BarSet) -> dict[date, dict[str, float]]:
    """Target weights per trading date of the window, from weights or scores.

    A row dated d applies on the first bar dated d or later (the last row wins when several
    map to one bar); rows after the window are dropped. Symbols without a value get 0.
    """
    frame = _normalise(signals)
    unknown = sorted(set(frame.columns) - set(bars.symbols))
    if unknown:
        raise InvalidArgumentError(
            f"signals name symbols outside the backtest: {', '.join(unknown[:10])}; add them to symbols"
        )
    weights = _weights(frame, params)
    return _align(weights, bars.window_dates())


def _weights(frame: pd.DataFrame, params: SignalParams) -> pd.DataFrame:
    if params.mode == "scores":
        ranks = frame.rank(axis=1, ascending=False, method="first")
        return (ranks <= params.top_k).astype("float64") * (params.gross / params.top_k)
    weights = frame.fillna(0.0)
    if not params.allow_short and (weights < 0).to_numpy().any():
        raise InvalidArgumentError("negative target weights need allow_short=true")
    gross = weights.abs().sum(axis=1)
    if (gross > 1.0 + 1e-9).any():
        worst = gross.idxmax()
        raise InvalidArgumentError(
            f"target weights on {worst.date()} add up to {gross.max():.4f} in absolute value; "
            "leverage above 1 is not supported"
        )
    return weights


def _align(weights: pd.DataFrame, dates: pd.DatetimeIndex) -> dict[date, dict[str, float]]:
    if dates.empty:
        raise InvalidArgumentError("the backtest window has no trading days")
    positions = dates.searchsorted(weights.index, side="left")
    out: dict[date, dict[str, float]] = {}
    for pos, (_, row) in zip(positions, weights.iterrows(), strict=True):
        if pos >= len(dates):
            continue
        out[dates[pos].date()] = {s: float(v) for s, v in row.items() if math.isfinite(v)}
    if not out:
        raise InvalidArgumentError(
            f"no signal row falls before the end of the window ({dates[-1].date()}); check the dates"
        )
    return out
