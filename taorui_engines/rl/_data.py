"""Market panels for the environments, and the train/valid/test split.

A :class:`Panel` is the aligned daily data of one or more assets over one window: open and
close prices and the indicators at each day. Each window is loaded on its own, reading the
store only up to the window's end (plus warm-up bars *before* its start for the
indicators), so a training panel cannot contain a test bar by construction.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd

from taorui_engines.data import DataCenter, InstrumentInfo
from taorui_engines.errors import InvalidArgumentError, InvalidDateRangeError, UnknownSymbolError
from taorui_engines.manifest import SeriesRead
from taorui_engines.rl._features import INDICATORS, WARMUP_BARS, add_indicators, normalized_features
from taorui_engines.rl._models import DateSpan

__all__ = ["MAX_ASSETS", "MIN_TEST_BARS", "MIN_TRAIN_BARS", "Panel", "load_panel", "resolve_assets", "resolve_split"]

logger = logging.getLogger(__name__)

#: More assets make FinRL's state (and the policy) grow linearly; past this, use factor models.
MAX_ASSETS = 30
MIN_TRAIN_BARS = 100
MIN_TEST_BARS = 20
#: Store fields a panel reads (the indicators are computed from them).
PANEL_FIELDS = ("open", "high", "low", "close")


@dataclass(frozen=True)
class Panel:
    """Aligned daily arrays: ``N`` days x ``n`` assets (x ``K`` indicators); ``reads``: what was loaded."""

    symbols: tuple[str, ...]
    dates: pd.DatetimeIndex
    open: np.ndarray
    close: np.ndarray
    indicators: np.ndarray
    features: np.ndarray
    dropped_days: int
    reads: tuple[SeriesRead, ...] = ()

    def __len__(self) -> int:
        return len(self.dates)

    def indicator_values(self, row: int) -> dict[str, dict[str, float]]:
        """Symbol -> {indicator: value, close} on one day (what a rationale quotes)."""
        out = {}
        for j, symbol in enumerate(self.symbols):
            values = {name: float(self.indicators[row, j, k]) for k, name in enumerate(INDICATORS)}
            out[symbol] = {"close": float(self.close[row, j]), **values}
        return out

    def finrl_frame(self) -> pd.DataFrame:
        """The panel in FinRL's env format: ``date, tic, close, <indicators>``, index = day."""
        n_days, n_assets = self.close.shape
        frame = pd.DataFrame({
            "date": np.repeat(self.dates.strftime("%Y-%m-%d").to_numpy(), n_assets),
            "tic": np.tile(np.array(self.symbols), n_days),
            "close": self.close.reshape(-1),
        })
        for k, name in enumerate(INDICATORS):
            frame[name] = self.indicators[:, :, k].reshape(-1)
        frame.index = np.repeat(np.arange(n_days), n_assets)
        return frame


def resolve_assets(data: DataCenter, assets: tuple[str, ...]) -> list[InstrumentInfo]:
    """Check the assets against the store: known, daily, one market, at most MAX_ASSETS."""
    try:
        infos = data.resolve(list(assets))
    except UnknownSymbolError as exc:
        raise _unknown_asset(data, exc) from exc
    if len(infos) > MAX_ASSETS:
        raise InvalidArgumentError(
            f"{len(infos)} assets is too many for one RL portfolio (at most {MAX_ASSETS}); "
            "pick a handful, e.g. SYN000,SYN001,SYN002"
        )
    data.market_of([i.symbol for i in infos])
    daily = [i.symbol for i in infos if i.freq != "day"]
    if daily:
        raise InvalidArgumentError(f"RL environments use daily bars; {', '.join(daily)} are not daily")
    return infos


def _unknown_asset(data: DataCenter, exc: UnknownSymbolError) -> UnknownSymbolError:
    """The same error, with the assets the store does hold (grouping universe members)."""
    universes = data.universes()
    members = {m for u in universes.values() for m in u.members}
    singles = [i.symbol for i in data.list_instruments() if i.symbol not in members]
    groups = [f"{u.members[0]}..{u.members[-1]} (universe {name})" for name, u in universes.items() if u.members]
    err = UnknownSymbolError(exc.symbol, exc.suggestions)
    err.message = f"{exc.message}; assets in the store: {', '.join(singles + groups)}"
    err.args = (err.message,)
    return err


def resolve_split(
    infos: list[InstrumentInfo], train: DateSpan | None, test: DateSpan | None, valid: DateSpan | None
) -> tuple[DateSpan, DateSpan, DateSpan | None, str]:
    """Windows with defaults filled in, checked to be in order, disjoint and inside the data."""
    first = max(date.fromisoformat(i.start[:10]) for i in infos)
    last = min(date.fromisoformat(i.end[:10]) for i in infos)
    notes = []
    if test is None:
        start = train.end + timedelta(days=1) if train is not None else _years_before(last, 1) + timedelta(days=1)
        test = DateSpan(start=start, end=min(last, _years_after(start, 1) - timedelta(days=1)))
        notes.append("test = " + ("the year after train" if train is not None else "the last year of data"))
    if train is None:
        end = (valid.start if valid is not None else test.start) - timedelta(days=1)
        train = DateSpan(start=max(first, _years_before(end, 4) + timedelta(days=1)), end=end)
        notes.append("train = the 4 years before " + ("valid" if valid is not None else "test"))
    _check_order(train, test, valid)
    for name, span in (("train", train), ("test", test), ("valid", valid)):
        if span is not None and (span.start < first or span.end > last):
            raise InvalidDateRangeError(
                f"{name} window {span.label()} is outside the data ({first}..{last} for all assets)"
            )
    return train, test, valid, "; ".join(notes) or "windows as given"


def _check_order(train: DateSpan, test: DateSpan, valid: DateSpan | None) -> None:
    if train.end >= test.start:
        raise InvalidDateRangeError(
            f"train {train.label()} must end before test {test.label()} starts (no test data in training)"
        )
    if valid is not None and not (train.end < valid.start and valid.end < test.start):
        raise InvalidDateRangeError(
            f"valid {valid.label()} must lie after train {train.label()} and before test {test.label()}"
        )


def _years_before(day: date, years: int) -> date:
    return (pd.Timestamp(day) - pd.DateOffset(years=years)).date()


def _years_after(day: date, years: int) -> date:
    return (pd.Timestamp(day) + pd.DateOffset(years=years)).date()


def load_panel(data: DataCenter, symbols: tuple[str, ...], span: DateSpan, min_bars: int = 2) -> Panel:
    """Bars of ``symbols`` over ``span`` with indicators, reading no bar after ``span.end``.

    Days on which not every asset traded are dropped (FinRL's env needs every asset every
    day); how many is kept in ``dropped_days``.
    """
    market = data.market_of(list(symbols))
    warm_start = _warmup_start(data, market, span)
    bars = data.get_price(list(symbols), warm_start, span.end, fields=PANEL_FIELDS)
    bars = add_indicators(bars)
    wide = _align(bars, symbols)
    in_window = wide.index >= pd.Timestamp(span.start)
    complete = wide.notna().all(axis=1)
    dropped = int((in_window & ~complete).sum())
    wide = wide.loc[in_window & complete]
    if len(wide) < min_bars:
        raise InvalidDateRangeError(
            f"window {span.label()} has {len(wide)} usable days for {', '.join(symbols)}; need at least {min_bars}"
        )
    reads = tuple(SeriesRead(symbol=s, market=market, columns=PANEL_FIELDS, start=warm_start, end=span.end)
                  for s in symbols)
    return _to_panel(wide, symbols, dropped, reads)


def _warmup_start(data: DataCenter, market: str, span: DateSpan) -> date:
    """The day WARMUP_BARS market days before ``span.start`` (or the calendar's first day)."""
    calendar = data.calendar(market)
    before = calendar[calendar < pd.Timestamp(span.start)]
    if len(before) == 0:
        return span.start
    return before[max(0, len(before) - WARMUP_BARS)].date()


def _align(bars: pd.DataFrame, symbols: tuple[str, ...]) -> pd.DataFrame:
    """Wide frame: index date, columns (field, symbol) in ``symbols`` order."""
    fields = ["open", "close", *INDICATORS]
    wide = bars.pivot(index="date", columns="symbol", values=fields)
    columns = pd.MultiIndex.from_product([fields, list(symbols)])
    return wide.reindex(columns=columns).sort_index()


def _to_panel(wide: pd.DataFrame, symbols: tuple[str, ...], dropped: int, reads: tuple[SeriesRead, ...]) -> Panel:
    n_days, n_assets = len(wide), len(symbols)
    indicators = np.stack([wide[name].to_numpy(dtype="float64") for name in INDICATORS], axis=2)
    close = wide["close"].to_numpy(dtype="float64")
    features = np.empty((n_days, n_assets, len(INDICATORS)), dtype="float64")
    for j in range(n_assets):
        frame: dict[str, Any] = {name: indicators[:, j, k] for k, name in enumerate(INDICATORS)}
        frame["close"] = close[:, j]
        features[:, j, :] = normalized_features(pd.DataFrame(frame))
    return Panel(
        symbols=symbols,
        dates=pd.DatetimeIndex(wide.index),
        open=wide["open"].to_numpy(dtype="float64"),
        close=close,
        indicators=indicators,
        features=features,
        dropped_days=dropped,
        reads=reads,
    )
