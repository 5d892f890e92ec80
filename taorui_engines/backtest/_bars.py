"""Bars for a backtest, read once from the data center (with indicator history before the window).

A :class:`BarSet` is plain pandas: it can be pickled to the parameter-search workers, which
then never touch Qlib.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd

from taorui_engines.data import DataCenter
from taorui_engines.errors import InvalidArgumentError, InvalidDateRangeError
from taorui_engines.manifest import RunInputs, SeriesRead

__all__ = ["OHLCV", "BarSet", "load_bars"]

logger = logging.getLogger(__name__)

OHLCV = ("open", "high", "low", "close", "volume")


@dataclass(frozen=True)
class BarSet:
    """Daily OHLCV per symbol (DatetimeIndex), the trading window and where data came from.

    ``reads`` are the series loaded (for the run's manifest) and ``data_dir`` their store.
    """

    frames: dict[str, pd.DataFrame]
    start: pd.Timestamp
    end: pd.Timestamp
    market: str
    region: str
    synthetic: tuple[str, ...]
    reads: tuple[SeriesRead, ...] = ()
    data_dir: Path | None = None

    @property
    def symbols(self) -> tuple[str, ...]:
        """Symbols in load order."""
        return tuple(self.frames)

    @property
    def warmup_start(self) -> date:
        """Earliest bar loaded (indicator history begins here)."""
        return min(f.index[0] for f in self.frames.values()).date()

    def window_dates(self) -> pd.DatetimeIndex:
        """Dates inside the trading window on which at least one symbol traded."""
        dates = pd.DatetimeIndex(sorted(set().union(*(f.index for f in self.frames.values()))))
        return dates[(dates >= self.start) & (dates <= self.end)]

    def default_lot(self) -> int:
        """Lots of 100 in cn-region markets (A-share convention), single units elsewhere."""
        return 100 if self.region == "cn" else 1

    def run_inputs(self) -> RunInputs:
        """What a run on these bars read, for ``RunFolder.create(..., inputs=...)``.

        A backtest has no randomness, so no seeds.
        """
        return RunInputs(data_dir=self.data_dir, reads=self.reads)


def load_bars(
    data: DataCenter, symbols: Sequence[str], start: date, end: date, lookback: int = 0
) -> BarSet:
    """Bars of ``symbols`` for [start, end] plus ``lookback`` earlier bars of history.

    All symbols must be daily bars of one market (one calendar, so bar t means the same day
    for every symbol). Rows without a full set of prices are dropped; missing volume is 0.
    """
    infos = data.resolve(list(symbols))
    market = data.market_of([i.symbol for i in infos])
    for info in infos:
        if info.freq != "day":
            raise InvalidArgumentError(f"{info.symbol} has {info.freq} bars; backtests use daily bars")
    load_start = _history_start(data, market, start, lookback)
    tidy = data.get_price([i.symbol for i in infos], load_start, end.isoformat(), fields=list(OHLCV))
    frames = {i.symbol: _frame(tidy, i.symbol) for i in infos}
    window = (pd.Timestamp(start), pd.Timestamp(end))
    for symbol, frame in frames.items():
        if frame.empty or frame.index[-1] < window[0] or frame.index[0] > window[1]:
            raise InvalidDateRangeError(
                f"{symbol} has no bars between {start} and {end} (see `taorui data list` for its span)"
            )
    meta = data.market_meta(market)
    region = meta.region if meta is not None else "us"
    synthetic = tuple(i.symbol for i in infos if i.synthetic)
    logger.info("loaded %d symbol(s) of %s from %s (window %s..%s)", len(frames), market, load_start, start, end)
    reads = tuple(SeriesRead(symbol=i.symbol, market=market, columns=OHLCV, start=date.fromisoformat(load_start),
                             end=end) for i in infos)
    return BarSet(frames, window[0], window[1], market, region, synthetic, reads, data.data_dir)


def _history_start(data: DataCenter, market: str, start: date, lookback: int) -> str:
    """The calendar day ``lookback`` bars before ``start`` (or the calendar's first day)."""
    before = data.calendar(market, None, start.isoformat())
    before = before[before < pd.Timestamp(start)]
    if lookback <= 0 or before.empty:
        return start.isoformat()
    return before[max(0, len(before) - lookback)].date().isoformat()


def _frame(tidy: pd.DataFrame, symbol: str) -> pd.DataFrame:
    part = tidy.loc[tidy["symbol"] == symbol, ["date", *OHLCV]].set_index("date").sort_index()
    part = part.dropna(subset=["open", "high", "low", "close"])
    part["volume"] = part["volume"].fillna(0.0)
    part.index = pd.DatetimeIndex(part.index, name="date")
    return part.astype("float64")
