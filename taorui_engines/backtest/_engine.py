"""One simulation on Backtrader: bars in, equity curve, fills and trades out. No files, no Qlib.

This module owns Backtrader: it builds the Cerebro, the broker's commission and slippage,
and turns Backtrader's failures into our errors. The runner (files, pictures) and the
parameter search (processes) sit on top of :func:`simulate`.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import backtrader as bt
import pandas as pd
from backtrader.linebuffer import LineBuffer

from taorui_engines.backtest._bars import OHLCV, BarSet
from taorui_engines.backtest._metrics import compute_metrics
from taorui_engines.backtest._models import BacktestMetrics, BacktestSpec, TradeRecord
from taorui_engines.backtest._params import SignalParams, strategy_info, validate_params
from taorui_engines.backtest._signals import target_weights
from taorui_engines.backtest._strategies import Recorder, RuleStrategy, SignalStrategy, StrategyContext
from taorui_engines.errors import InternalError, InvalidArgumentError
from taorui_engines.progress import ProgressEvent, ProgressReporter

__all__ = ["SimOutput", "simulate"]

logger = logging.getLogger(__name__)

#: Progress is reported about this many times per run.
_PROGRESS_STEPS = 50
#: ``date.toordinal()`` of 1970-01-01, the day numpy's datetime64 counts from.
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


class _PercentCommission(bt.CommInfoBase):  # type: ignore[misc]
    """Stock-like commission: ``commission`` x |size| x price, in absolute fraction."""

    params = (("stocklike", True), ("commtype", bt.CommInfoBase.COMM_PERC), ("percabs", True))


class _ArrayFeed(bt.feeds.PandasData):  # type: ignore[misc]
    """Backtrader's pandas feed, loaded from arrays and advanced without per-bar name lookups.

    ``PandasData`` reads every field of every bar with ``DataFrame.iloc`` (and converts each
    timestamp on the fly), then Backtrader's ``load`` appends each bar to every line one value at
    a time, and its ``advance`` looks every ``tick_*`` name up again on every bar: for a
    one-symbol backtest that was about half the run, and a parameter search pays it per grid
    point. Here the preload writes each line's array in one step and ``advance`` sets the same
    ``tick_*`` values from the same arrays. The lines hold the same floats, in the same places,
    with the same indexes, so the simulation is bar-for-bar identical (tests/test_bt_engine.py
    compares both loaders line by line).
    """

    def start(self) -> None:
        super().start()
        frame = self.p.dataname
        self._columns = [(getattr(self.lines, field), frame.iloc[:, col].to_numpy(dtype=float).tolist())
                         for field, col in self._colmapping.items()
                         if field != "datetime" and col is not None]
        self._stamps = _stamps(frame.index)
        aliases = [a for a in self.getlinealiases() if a != "datetime"]
        self._ticks = [("tick_" + a, getattr(self.lines, a)) for a in aliases]
        self._tick_names = [name for name, _ in self._ticks]
        self._tick_last = getattr(self.lines, self._getlinealias(0))
        self._bulk = False

    def _load(self) -> bool:
        self._idx += 1
        if self._idx >= len(self._stamps):
            return False
        idx = self._idx
        for line, values in self._columns:
            line[0] = values[idx]
        self.lines.datetime[0] = self._stamps[idx]
        return True

    def _plain(self) -> bool:
        """True when Backtrader's ``load`` would keep every bar as ``_load`` gives it."""
        return (not self._filters and not self._ffilters and not self._tzinput and not self._barstack
                and not self._barstash and self.fromdate == -math.inf and self.todate == math.inf
                and all(line.mode == LineBuffer.UnBounded and not len(line.array) for line in self.lines.lines))

    def preload(self) -> None:
        """Every bar into every line at once (what ``load`` in a loop would leave), then home."""
        self._bulk = self._plain()
        if not self._bulk:
            super().preload()
            return
        n = len(self._stamps)
        mapped = {id(line): values for line, values in self._columns}
        mapped[id(self.lines.datetime)] = self._stamps
        for line in self.lines.lines:
            values = mapped.get(id(line))
            line.array.extend(values if values is not None else [math.nan] * n)
            line.idx = n - 1
            line.lencount = n
        self._idx = n
        self._last()
        self.home()

    def advance_peek(self) -> float:
        """The next bar's time (``inf`` after the last), as ``DataBase.advance_peek``."""
        if not self._bulk:
            return float(super().advance_peek())
        first, stamps = self.lines.lines[0], self.lines.datetime
        if first.lencount < len(first.array) - first.extension:
            return float(stamps.array[stamps._idx + 1])
        return math.inf

    def advance(self, size: int = 1, datamaster: Any = None, ticks: bool = True) -> None:
        """``DataBase.advance`` for the case the run-once loop uses (one step, no master clock)."""
        if not self._bulk or size != 1 or datamaster is not None or not ticks:
            super().advance(size, datamaster, ticks)
            return
        for line in self.lines.lines:  # LineBuffer.advance of an unbounded buffer
            line._idx += 1
            line.lencount += 1
        first = self.lines.lines[0]
        if first.lencount < len(first.array) - first.extension:  # the bar is its own tick
            for name, line in self._ticks:
                setattr(self, name, line.array[line._idx])
            self.tick_last = self._tick_last.array[self._tick_last._idx]
        else:  # as Backtrader: past the last bar the ticks stay nullified
            for name in self._tick_names:
                setattr(self, name, None)
            self.tick_last = None


def _stamps(index: pd.DatetimeIndex) -> list[float]:
    """``bt.date2num`` of every timestamp; for naive midnight stamps (daily bars) that is the
    day's ordinal as a float, computed for the whole index at once."""
    if index.tz is None and bool((index == index.normalize()).all()):
        days = index.to_numpy(dtype="datetime64[D]").astype("int64") + _EPOCH_ORDINAL
        return [float(d) for d in days.tolist()]
    return [bt.date2num(ts.to_pydatetime()) for ts in index]


@dataclass(frozen=True)
class SimOutput:
    """What one simulation produced."""

    equity: pd.DataFrame
    trades: tuple[TradeRecord, ...]
    fills: pd.DataFrame
    metrics: BacktestMetrics
    lot: int


def simulate(
    spec: BacktestSpec,
    bars: BarSet,
    signals: pd.DataFrame | None = None,
    trade_start: date | None = None,
    progress: ProgressReporter | None = None,
) -> SimOutput:
    """Run ``spec`` on ``bars``. Trading (and the equity curve) starts at ``trade_start``,
    by default the window's start; earlier bars only feed the indicators."""
    ctx = _context(spec, bars, signals, trade_start or bars.start.date())
    total = sum(len(f) for f in bars.frames.values()) // max(len(bars.frames), 1)
    if progress is not None:
        ctx.on_bar = _progress_hook(progress, f"backtest {spec.strategy}", total)
    cerebro = _cerebro(spec, bars, ctx)
    try:
        cerebro.run()
    except (IndexError, ValueError, ZeroDivisionError, TypeError, AttributeError) as exc:
        raise InternalError(f"Backtrader failed while running {spec.strategy}: {type(exc).__name__}: {exc}") from exc
    return _output(spec, bars, ctx)


def _context(spec: BacktestSpec, bars: BarSet, signals: pd.DataFrame | None, start: date) -> StrategyContext:
    params = validate_params(spec.strategy, spec.params)
    targets = None
    if strategy_info(spec.strategy).kind == "signal":
        if signals is None:
            raise InvalidArgumentError("the signal strategy needs a signal frame (dates x symbols)")
        assert isinstance(params, SignalParams)
        targets = target_weights(signals, params, bars)
    return StrategyContext(
        name=spec.strategy, params=params, sizing=spec.resolved_sizing(), commission=spec.commission,
        slippage=spec.slippage, lot=spec.lot_size or bars.default_lot(), trade_start=start,
        recorder=Recorder(), stop_loss=spec.stop_loss, take_profit=spec.take_profit, targets=targets,
    )


def _cerebro(spec: BacktestSpec, bars: BarSet, ctx: StrategyContext) -> bt.Cerebro:
    cerebro = bt.Cerebro(stdstats=False, cheat_on_open=False, quicknotify=False)
    for symbol, frame in bars.frames.items():
        feed_frame = frame.loc[frame.index <= bars.end, list(OHLCV)]
        cerebro.adddata(_ArrayFeed(dataname=feed_frame, name=symbol, openinterest=None))
    broker = cerebro.getbroker()
    broker.setcash(spec.cash)
    broker.addcommissioninfo(_PercentCommission(commission=spec.commission))
    if spec.slippage > 0:
        broker.set_slippage_perc(spec.slippage, slip_open=True, slip_limit=True, slip_match=True, slip_out=False)
    kind = strategy_info(spec.strategy).kind
    cerebro.addstrategy(SignalStrategy if kind == "signal" else RuleStrategy, ctx=ctx)
    return cerebro


def _progress_hook(progress: ProgressReporter, task: str, total: int) -> Callable[[int], None]:
    step = max(1, total // _PROGRESS_STEPS)

    def on_bar(done: int) -> None:
        if done % step == 0 or done == total:
            progress.update(ProgressEvent(task, min(done, total), total))

    return on_bar


def _output(spec: BacktestSpec, bars: BarSet, ctx: StrategyContext) -> SimOutput:
    rec = ctx.recorder
    if not rec.equity:
        raise InvalidArgumentError(f"no bars between {ctx.trade_start} and {bars.end.date()} to trade on")
    equity = pd.DataFrame(rec.equity, columns=["date", "value", "cash", "gross"]).set_index("date")
    equity.index = pd.DatetimeIndex(equity.index, name="date")
    trades = (*rec.trades, *_open_trades(rec, bars))
    fills = pd.DataFrame(rec.orders, columns=["date", "symbol", "side", "size", "price", "commission"])
    metrics = compute_metrics(equity, spec.cash, trades, rec.n_orders, rec.n_unfilled, rec.commission)
    return SimOutput(equity=equity, trades=trades, fills=fills, metrics=metrics, lot=ctx.lot)


def _open_trades(rec: Recorder, bars: BarSet) -> list[TradeRecord]:
    """Positions still open at the end, marked at their last close (exit commission not paid)."""
    out = []
    for symbol, trade in rec.open_trades.items():
        frame = bars.frames[symbol]
        last = float(frame.loc[frame.index <= bars.end, "close"].iloc[-1])
        gross = trade.pnl + trade.size * (last - trade.price)
        if not math.isfinite(gross):
            raise InternalError(f"open trade of {symbol} has a non-finite P&L")
        out.append(TradeRecord(
            symbol=symbol, entry_date=bt.num2date(trade.dtopen).date(), exit_date=None,
            size=rec.max_size.get(symbol, trade.size), entry_price=trade.price, exit_price=None,
            pnl=gross - trade.commission, pnl_gross=gross, commission=trade.commission,
            bars=trade.barlen, open=True,
        ))
    return out
