"""The Backtrader strategies behind the catalog, and the recorder they report into.

Every strategy decides on bar t's close (``next``) and sends market orders, which the
Backtrader broker fills at bar t+1's open. An order still unfilled at the next bar (the
open gapped and cash could not pay it) is cancelled and counted, never carried further.
Rule strategies are long-only; each symbol gets an equal sleeve of equity.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any, cast

import backtrader as bt
from backtrader.lineiterator import LineIterator

from taorui_engines.backtest._models import Sizing, TradeRecord
from taorui_engines.backtest._params import (
    BollingerParams,
    DonchianParams,
    MacdParams,
    MomentumParams,
    MovingAverageCrossParams,
    RsiReversionParams,
    SignalParams,
    StrategyParams,
)

__all__ = ["RULE_STRATEGIES", "Recorder", "RuleStrategy", "SignalStrategy", "StrategyContext"]


@dataclass
class Recorder:
    """What a run produced, filled in by the strategy as bars go by."""

    equity: list[tuple[date, float, float, float]] = field(default_factory=list)
    orders: list[dict[str, Any]] = field(default_factory=list)
    trades: list[TradeRecord] = field(default_factory=list)
    open_trades: dict[str, Any] = field(default_factory=dict)
    max_size: dict[str, float] = field(default_factory=dict)
    last_fill_price: dict[str, float] = field(default_factory=dict)
    n_orders: int = 0
    n_unfilled: int = 0
    commission: float = 0.0


@dataclass
class StrategyContext:
    """Everything a strategy instance needs, passed as its one Backtrader parameter."""

    name: str
    params: StrategyParams
    sizing: Sizing
    commission: float
    slippage: float
    lot: int
    trade_start: date
    recorder: Recorder
    stop_loss: float | None = None
    take_profit: float | None = None
    targets: dict[date, dict[str, float]] | None = None
    on_bar: Callable[[int], None] | None = None


class _Base(bt.Strategy):  # type: ignore[misc]
    """Bookkeeping shared by all strategies: equity, fills, trades, stale-order cancels."""

    params = (("ctx", None),)

    def __init__(self) -> None:
        self.ctx: StrategyContext = self.p.ctx
        self.rec = self.ctx.recorder
        self._pending: dict[str, Any] = {}
        self._cancelled: set[int] = set()
        self._bars_seen = 0
        self._days: dict[tuple[float, Any], date] = {}

    # bar loop ------------------------------------------------------------------------
    def _oncepost(self, dt: float) -> None:
        """Backtrader's ``Strategy._oncepost`` (backtrader==1.9.78.123, pinned) minus idle work.

        Cerebro's run-once loop calls this on every bar. Backtrader's version also walks the
        (empty) analyzer and observer lists and the order and trade notification queues
        whether or not anything is in them: about a tenth of a backtest here. This does the
        same steps in the same order and skips only those that would do nothing; with an
        analyzer or observer attached it is Backtrader's own (tests/test_bt_engine.py compares
        both loops).
        """
        if self.analyzers or self._lineiterators[LineIterator.ObsType]:
            super()._oncepost(dt)
            return
        for indicator in self._lineiterators[LineIterator.IndType]:
            if len(indicator._clock) > len(indicator):
                indicator.advance()
        if self._oldsync:
            self.advance()
        else:
            self.forward()
        self.lines.datetime[0] = dt
        if self._orderspending or self._tradespending:
            self._notify()
        minperstatus = self._getminperstatus()
        if minperstatus < 0:
            self.next()
        elif minperstatus == 0:
            self.nextstart()
        else:
            self.prenext()
        self.clear()

    def prenext(self) -> None:
        self._bar(ready=False)

    def next(self) -> None:
        self._bar(ready=True)

    def _bar(self, ready: bool) -> None:
        today = self.day_of(self.datetime)
        self._bars_seen += 1
        ctx = self.ctx
        if ctx.on_bar is not None:
            ctx.on_bar(self._bars_seen)
        if today < ctx.trade_start:
            return
        self._record_equity(today)
        if self._pending:
            self._cancel_stale(today)
        if ready or self.acts_before_ready():
            self.decide(today)

    def acts_before_ready(self) -> bool:
        """Whether the strategy may trade while some data has not started yet."""
        return False

    def decide(self, today: date) -> None:
        """Send this bar's orders (subclasses)."""
        raise NotImplementedError

    def day_of(self, stamps: Any) -> date:
        """``stamps.date(0)``, converted once per time stamp and time zone.

        Every bar asks for its day several times (the strategy's clock, then each symbol's);
        ``num2date`` depends on the stamp and the line's zone only, so one conversion serves all.
        A whole-day stamp without a zone (a daily bar) is ``num2date``'s ``fromordinal`` day.
        """
        stamp = stamps[0]
        key = (stamp, stamps._tz)
        day = self._days.get(key)
        if day is None:
            exact = stamps._tz is None and stamp.is_integer()
            day = self._days[key] = date.fromordinal(int(stamp)) if exact else stamps.date(0)
        return day

    def _record_equity(self, today: date) -> None:
        gross = 0  # summed in data order from 0, as sum() would
        for d in self.datas:
            if len(d):
                gross += abs(self.getposition(d).size) * d.close[0]
        self.rec.equity.append((today, self.broker.getvalue(), self.broker.getcash(), gross))

    def _cancel_stale(self, today: date) -> None:
        """Orders that had their symbol's next open to fill and did not are dropped."""
        for name, order in list(self._pending.items()):
            if not self.has_new_bar(order.data, today):
                continue  # the symbol did not trade today: the order waits for its next bar
            if order.alive():
                self._cancelled.add(order.ref)
                self.cancel(order)
                self.rec.n_unfilled += 1
                self.on_unfilled(name, order)
            del self._pending[name]

    def on_unfilled(self, name: str, order: Any) -> None:
        """Hook: an order of ``name`` could not be filled (subclasses may retry)."""

    def has_new_bar(self, data: Any, today: date) -> bool:
        """True when ``data`` printed a bar today (a symbol may skip days)."""
        return len(data) > 0 and self.day_of(data.datetime) == today

    def send(self, data: Any, size: float) -> None:
        """A market order for ``size`` units (sign = side), remembered until it fills."""
        if size == 0:
            return
        order = self.buy(data=data, size=size) if size > 0 else self.sell(data=data, size=-size)
        self._pending[data._name] = order
        self.rec.n_orders += 1

    def units_for(self, data: Any, value: float) -> float:
        """Whole lots worth ``value`` at this close, leaving room for commission and slippage."""
        price = data.close[0] * (1 + self.ctx.commission) * (1 + self.ctx.slippage)
        if price <= 0 or not math.isfinite(price):
            return 0.0
        lots = math.floor(abs(value) / price / self.ctx.lot)
        return math.copysign(lots * self.ctx.lot, value)

    # notifications --------------------------------------------------------------------
    def notify_order(self, order: Any) -> None:
        name = order.data._name
        if order.status == order.Completed:
            self._record_fill(order)
        elif order.status in (order.Margin, order.Rejected) and order.ref not in self._cancelled:
            self.rec.n_unfilled += 1
            self.on_unfilled(name, order)
        if not order.alive() and self._pending.get(name) is order:
            del self._pending[name]

    def _record_fill(self, order: Any) -> None:
        ex = order.executed
        self.rec.commission += ex.comm
        self.rec.last_fill_price[order.data._name] = ex.price
        self.rec.orders.append({
            "date": bt.num2date(ex.dt).date().isoformat(), "symbol": order.data._name,
            "side": "buy" if order.isbuy() else "sell", "size": abs(ex.size), "price": ex.price,
            "commission": ex.comm,
        })

    def notify_trade(self, trade: Any) -> None:
        name = trade.data._name
        if trade.justopened:
            self.rec.open_trades[name] = trade
            self.rec.max_size[name] = trade.size
        elif trade.isopen and abs(trade.size) > abs(self.rec.max_size.get(name, 0.0)):
            self.rec.max_size[name] = trade.size
        if trade.isclosed:
            self.rec.open_trades.pop(name, None)
            self.rec.trades.append(TradeRecord(
                symbol=name, entry_date=bt.num2date(trade.dtopen).date(),
                exit_date=bt.num2date(trade.dtclose).date(), size=self.rec.max_size.pop(name, 0.0),
                entry_price=trade.price, exit_price=self.rec.last_fill_price.get(name),
                pnl=trade.pnlcomm, pnl_gross=trade.pnl, commission=trade.commission,
                bars=trade.barlen, open=False,
            ))


# rule signals --------------------------------------------------------------------------
class _Signals:
    """Entry/exit conditions of one rule strategy on one symbol, read at bar 0."""

    def enter(self) -> bool:
        """A fresh reason to buy on this bar."""
        return False

    def exit(self) -> bool:
        """A reason to be out on this bar."""
        return False

    def valid(self) -> bool:
        """Whether the long idea still holds (an unfilled entry is retried while it does)."""
        return not self.exit()


class _Always(_Signals):
    def enter(self) -> bool:
        return True


class _CrossOver(bt.Indicator):  # type: ignore[misc]
    """Backtrader's ``CrossOver`` (+1 up-cross, -1 down-cross, else 0) as one indicator.

    ``bt.ind.CrossOver`` is a tree of about a dozen line objects (two ``CrossUp``/``CrossDown``,
    their ``NonZeroDifference``, delays, comparisons and ``And``), each built and computed
    apart on every run. This computes the same values in one pass with the same rules: the
    non-zero difference is seeded with ``a - b`` on the first bar both inputs are formed and
    keeps its last non-zero value; an up-cross is that value on the previous bar below 0 and
    ``a > b`` now (down mirrored); the first value comes one bar after the seed, as
    ``CrossOver``'s does. tests/test_bt_engine.py compares both on every bar.
    """

    lines = ("crossover",)
    _mindatas = 2

    def __init__(self) -> None:
        self.addminperiod(2)  # one bar of non-zero difference before the first cross
        self._nzd = math.nan

    def nextstart(self) -> None:
        self._nzd = self.data0[-1] - self.data1[-1]
        self.next()

    def next(self) -> None:
        self.l.crossover[0] = self._step(self.data0[0], self.data1[0])

    def oncestart(self, start: int, end: int) -> None:
        self._nzd = self.data0.array[start - 1] - self.data1.array[start - 1]
        self.once(start, end)

    def once(self, start: int, end: int) -> None:
        a, b, out = self.data0.array, self.data1.array, self.l.crossover.array
        for i in range(start, end):
            out[i] = self._step(a[i], b[i])

    def _step(self, a: float, b: float) -> float:
        """The cross on a bar with values ``a``/``b``; moves the non-zero difference on."""
        before = self._nzd
        cross = float(before < 0.0 and a > b) - float(before > 0.0 and a < b)
        diff = a - b
        self._nzd = diff if diff else before
        return cross


class _AverageCross(bt.Indicator):  # type: ignore[misc]
    """A fast and a slow moving average of one line and their cross, as one indicator.

    The averages are Backtrader's own (``average``: ``bt.ind.SMA`` or ``bt.ind.EMA``), built
    inside this indicator so that they are its children: a strategy advances its own
    indicators on every bar, and one composite is one step where three were three (``MACD``
    is built the same way).
    ``fast``/``slow`` carry the averages' values, bound as Backtrader binds any sub-line.
    """

    lines = ("crossover", "fast", "slow")
    params = (("average", None), ("fast_period", 10), ("slow_period", 30))

    def __init__(self) -> None:
        fast = self.p.average(self.data, period=self.p.fast_period)
        slow = self.p.average(self.data, period=self.p.slow_period)
        self.l.fast = fast
        self.l.slow = slow
        self.l.crossover = _make(_CrossOver, fast, slow)


def _make(indicator: type, *datas: Any, **params: Any) -> Any:
    """``indicator(*datas, **params)``: Backtrader's metaclass takes the datas and params that
    the indicators' own ``__init__`` (no arguments) does not declare."""
    return cast(Any, indicator)(*datas, **params)


class _Cross(_Signals):
    """Long between an up-cross and the next down-cross of ``a`` over ``b``."""

    def __init__(self, a: Any, b: Any, cross: Any = None) -> None:
        self.a, self.b = a, b
        self.cross = cross if cross is not None else _make(_CrossOver, a, b)

    def enter(self) -> bool:
        return bool(self.cross[0] > 0)

    def exit(self) -> bool:
        return bool(self.cross[0] < 0)

    def valid(self) -> bool:
        return bool(self.a[0] > self.b[0])


class _Threshold(_Signals):
    """Enter when ``enter_fn`` holds, exit when ``exit_fn`` holds (conditions, not events)."""

    def __init__(self, enter_fn: Callable[[], bool], exit_fn: Callable[[], bool]) -> None:
        self._enter, self._exit = enter_fn, exit_fn

    def enter(self) -> bool:
        return self._enter()

    def exit(self) -> bool:
        return self._exit()


def _moving_cross(kind: str, d: Any, p: StrategyParams) -> _Signals:
    assert isinstance(p, MovingAverageCrossParams)
    average = bt.ind.SMA if kind == "sma_cross" else bt.ind.EMA
    both = _make(_AverageCross, d.close, average=average, fast_period=p.fast, slow_period=p.slow)
    return _Cross(both.fast, both.slow, both.crossover)


def _macd(d: Any, p: StrategyParams) -> _Signals:
    assert isinstance(p, MacdParams)
    m = bt.ind.MACD(d.close, period_me1=p.fast, period_me2=p.slow, period_signal=p.signal)
    return _Cross(m.macd, m.signal)


def _rsi(d: Any, p: StrategyParams) -> _Signals:
    assert isinstance(p, RsiReversionParams)
    rsi = bt.ind.RSI(d.close, period=p.period, safediv=True)
    return _Threshold(lambda: bool(rsi[0] < p.lower), lambda: bool(rsi[0] > p.upper))


def _bollinger(kind: str, d: Any, p: StrategyParams) -> _Signals:
    assert isinstance(p, BollingerParams)
    bb = bt.ind.BollingerBands(d.close, period=p.period, devfactor=p.devs)
    if kind == "bollinger_breakout":
        return _Threshold(lambda: bool(d.close[0] > bb.top[0]), lambda: bool(d.close[0] < bb.mid[0]))
    return _Threshold(lambda: bool(d.close[0] < bb.bot[0]), lambda: bool(d.close[0] > bb.mid[0]))


def _donchian(d: Any, p: StrategyParams) -> _Signals:
    assert isinstance(p, DonchianParams)
    high = bt.ind.Highest(d.high(-1), period=p.entry)
    low = bt.ind.Lowest(d.low(-1), period=p.exit)
    return _Threshold(lambda: bool(d.close[0] > high[0]), lambda: bool(d.close[0] < low[0]))


def _momentum(d: Any, p: StrategyParams) -> _Signals:
    assert isinstance(p, MomentumParams)
    past = d.close(-p.period)
    return _Threshold(lambda: bool(past[0] > 0 and d.close[0] / past[0] - 1 > p.threshold),
                      lambda: bool(past[0] > 0 and d.close[0] / past[0] - 1 <= p.threshold))


RULE_STRATEGIES: dict[str, Callable[[Any, StrategyParams], _Signals]] = {
    "buy_and_hold": lambda d, p: _Always(),
    "sma_cross": lambda d, p: _moving_cross("sma_cross", d, p),
    "ema_cross": lambda d, p: _moving_cross("ema_cross", d, p),
    "macd": _macd,
    "rsi_reversion": _rsi,
    "bollinger_breakout": lambda d, p: _bollinger("bollinger_breakout", d, p),
    "bollinger_reversion": lambda d, p: _bollinger("bollinger_reversion", d, p),
    "donchian_breakout": _donchian,
    "momentum": _momentum,
}


class RuleStrategy(_Base):
    """Long-only rule strategy: entries, exits, stop loss / take profit, sizing per sleeve."""

    def __init__(self) -> None:
        super().__init__()
        make = RULE_STRATEGIES[self.ctx.name]
        self.signals = {d._name: make(d, self.ctx.params) for d in self.datas}
        self.retry: dict[str, bool] = {}
        self.blocked: dict[str, bool] = {}
        self.entered: set[str] = set()

    def decide(self, today: date) -> None:
        for d in self.datas:
            if self.has_new_bar(d, today) and d._name not in self._pending:
                self._decide_one(d)

    def _decide_one(self, d: Any) -> None:
        name, sig = d._name, self.signals[d._name]
        position = self.getposition(d)
        if position.size > 0:
            if self._risk_exit(d, position.price):
                self.blocked[name] = True
                self.send(d, -position.size)
            elif sig.exit():
                self.send(d, -position.size)
            elif self.ctx.sizing.kind == "target_weight":
                self._rebalance(d, position.size)
            return
        if self.blocked.get(name) and not sig.enter():
            self.blocked[name] = False  # the entry signal switched off: re-armed
        if self.blocked.get(name) or (self.ctx.name == "buy_and_hold" and name in self.entered):
            return
        if sig.enter() or (self.retry.get(name) and sig.valid()):
            self.retry[name] = False
            self.entered.add(name)
            self.send(d, self._entry_units(d))

    def _risk_exit(self, d: Any, entry: float) -> bool:
        close = d.close[0]
        stop = self.ctx.stop_loss is not None and close <= entry * (1 - self.ctx.stop_loss)
        take = self.ctx.take_profit is not None and close >= entry * (1 + self.ctx.take_profit)
        return bool(stop or take)

    def _sleeve(self) -> float:
        return self.broker.getvalue() * self.ctx.sizing.fraction / len(self.datas)

    def _entry_units(self, d: Any) -> float:
        if self.ctx.sizing.kind == "fixed_units":
            units = self.ctx.sizing.units or 0.0
            return math.floor(units / self.ctx.lot) * self.ctx.lot
        return self.units_for(d, self._sleeve())

    def _rebalance(self, d: Any, held: float) -> None:
        target = self.units_for(d, self._sleeve())
        diff = target - held
        if abs(diff) >= self.ctx.lot and abs(diff) > self.ctx.sizing.rebalance_band * max(target, 1.0):
            self.send(d, diff)

    def on_unfilled(self, name: str, order: Any) -> None:
        if order.isbuy() and not self.getposition(order.data).size:
            self.retry[name] = True
            self.entered.discard(name)


class SignalStrategy(_Base):
    """Trades towards target weights given per date; acts on every symbol that has a bar."""

    def __init__(self) -> None:
        super().__init__()
        params = self.ctx.params
        assert isinstance(params, SignalParams)
        self.sp = params
        self.targets = self.ctx.targets or {}
        self.n_signals = 0

    def acts_before_ready(self) -> bool:
        return True

    def decide(self, today: date) -> None:
        weights = self.targets.get(today)
        if weights is None:
            return
        self.n_signals += 1
        if (self.n_signals - 1) % self.sp.rebalance_every:
            return
        equity = self.broker.getvalue()
        investable = equity * (1 - self.sp.cash_buffer)
        deltas = [(d, self._delta(d, weights.get(d._name, 0.0) * investable, equity)) for d in self.datas
                  if self.has_new_bar(d, today)]
        for d, delta in sorted(deltas, key=lambda item: item[1]):  # sells first: they free cash
            self.send(d, delta)

    def _delta(self, d: Any, value: float, equity: float) -> float:
        target = self.units_for(d, value)
        delta = target - self.getposition(d).size
        if abs(delta * d.close[0]) < self.sp.min_trade * equity:
            return 0.0
        return delta
