"""Pre-trade checks: pure, deterministic functions from (order, snapshot, policy) to a verdict.

The gate gathers everything a check needs into a :class:`CheckInputs` snapshot (prices,
account, open orders, ledger, state) and calls :func:`evaluate`; nothing here does I/O,
reads a clock or raises on bad input. Missing facts are explicit in the snapshot (``quote
is None``, ``book is None``) and each becomes a rejection: the checks fail closed and
never skip a limit they cannot evaluate.

Positions are *projected*: the current position plus every open order's unfilled part, so
two open orders cannot together pass a limit that one of them alone would not. An order is
*risk-reducing* when it shrinks the projected position towards zero without crossing it.
"""

from __future__ import annotations

import json
import math
from bisect import bisect_left, bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from operator import attrgetter
from typing import Any

from pydantic import ValidationError

from guardrails.models import (
    CheckResult,
    Decision,
    PriceQuote,
    Reason,
    ReasonCode,
    TradingState,
)
from guardrails.policy import Policy
from guardrails.state import Marks, Submission
from taorui_engines.brokers.models import Order, OrderSide, OrderState, OrderType

__all__ = ["Book", "CheckInputs", "evaluate", "loss_breaches", "parse_order", "projected_positions"]

_EPS = 1e-9


@dataclass(frozen=True)
class Book:
    """The account as the checks see it. ``marks`` prices every held or open symbol (None = unknown)."""

    cash: float
    equity: float
    positions: Mapping[str, float]
    open_orders: tuple[OrderState, ...] = ()
    marks: Mapping[str, float | None] = field(default_factory=dict)


@dataclass(frozen=True)
class CheckInputs:
    """Everything one check needs, gathered by the gate at one moment."""

    now: datetime
    state: TradingState
    allowed: frozenset[str]
    quote: PriceQuote | None
    quote_problem: Reason | None = None
    book: Book | None = None
    book_problem: str | None = None
    recent: tuple[Submission, ...] = ()
    key_seen: str | None = None
    known_symbols: frozenset[str] = frozenset()
    #: ``recent``'s times when the rows are in time order (the gate reads the ledger so): the
    #: checks then find a window by bisection instead of scanning the day's rows - at
    #: thousands of orders a day the scan was most of a check. None: scan.
    recent_times: tuple[float, ...] | None = None


def _in_time_order(inputs: CheckInputs) -> CheckInputs:
    """``inputs`` with ``recent`` in time order and ``recent_times`` filled, so every window
    below is found by bisection. The gate reads the ledger so; a caller that built the snapshot
    itself gets it done once here rather than a scan of the day's rows per rule."""
    times = inputs.recent_times
    if times is not None and len(times) == len(inputs.recent):
        return inputs
    recent = inputs.recent
    times = tuple(s.time for s in recent)
    if any(a > b for a, b in zip(times, times[1:], strict=False)):
        recent = tuple(sorted(recent, key=attrgetter("time")))
        times = tuple(s.time for s in recent)
    return replace(inputs, recent=recent, recent_times=times)


def _after(inputs: CheckInputs, moment: float, strict: bool = False) -> int:
    """How many rows of ``recent`` are at (or, ``strict``, after) ``moment`` or later
    (``inputs`` from :func:`_in_time_order`)."""
    times = inputs.recent_times or ()
    return len(times) - (bisect_right(times, moment) if strict else bisect_left(times, moment))


def _between(inputs: CheckInputs, low: float, high: float, strict_low: bool = False) -> Sequence[Submission]:
    """The rows of ``recent`` from ``low`` (exclusive when ``strict_low``) to ``high`` inclusive, in order
    (``inputs`` from :func:`_in_time_order`)."""
    times = inputs.recent_times or ()
    start = bisect_right(times, low) if strict_low else bisect_left(times, low)
    return inputs.recent[start:bisect_right(times, high)]


def _reason(code: ReasonCode, message: str) -> Reason:
    return Reason(code=code, message=message)


# parsing -----------------------------------------------------------------------------------
def parse_order(raw: object) -> tuple[Order | None, list[Reason]]:
    """An :class:`Order` from an Order, a mapping or JSON text; malformed input -> reasons.

    Validation is strict JSON-mode: ``"10"`` is not a quantity, NaN and infinities are
    refused, unknown keys are refused. Never raises.
    """
    if isinstance(raw, Order):
        return raw, []
    text = _order_text(raw)
    if isinstance(text, Reason):
        return None, [text]
    try:
        return Order.model_validate_json(text, strict=True), []
    except ValidationError as exc:
        return None, [_malformed(err) for err in exc.errors(include_url=False)]
    except (TypeError, ValueError, RecursionError) as exc:
        return None, [_reason(ReasonCode.MALFORMED_ORDER, f"order is not valid JSON: {exc}")]


def _order_text(raw: object) -> str | Reason:
    if isinstance(raw, str):
        return raw
    if not isinstance(raw, Mapping):
        return _reason(ReasonCode.MALFORMED_ORDER, f"an order must be a JSON object, got {type(raw).__name__}")
    try:
        return json.dumps(raw, default=str)
    except (TypeError, ValueError, RecursionError) as exc:
        return _reason(ReasonCode.MALFORMED_ORDER, f"order cannot be read as JSON: {exc}")


def _malformed(err: Mapping[str, Any]) -> Reason:
    where = ".".join(str(p) for p in err.get("loc", ())) or "order"
    value = repr(err.get("input"))[:60]
    return _reason(ReasonCode.MALFORMED_ORDER, f"{where}: {err.get('msg', 'invalid')} (got {value})")


# book arithmetic ---------------------------------------------------------------------------
def _remaining(state: OrderState) -> float:
    return max(state.order.qty - state.filled_qty, 0.0)


def projected_positions(book: Book) -> dict[str, float]:
    """Position per symbol plus the unfilled part of every open order."""
    out = dict(book.positions)
    for state in book.open_orders:
        out[state.order.symbol] = out.get(state.order.symbol, 0.0) + math.copysign(
            _remaining(state), state.order.signed_qty
        )
    return out


def is_risk_reducing(order: Order, book: Book | None, projected: Mapping[str, float] | None = None) -> bool:
    """Shrinks the projected position towards zero without crossing it (needs a book;
    ``projected``: its :func:`projected_positions`, when the caller has them)."""
    if book is None:
        return False
    held = (projected if projected is not None else projected_positions(book)).get(order.symbol, 0.0)
    return abs(held) > _EPS and order.signed_qty * held < 0 and order.qty <= abs(held) * (1 + _EPS)


# the checks --------------------------------------------------------------------------------
def _state_reasons(state: TradingState, reducing: bool) -> list[Reason]:
    if state is TradingState.HALTED:
        return [_reason(ReasonCode.TRADING_HALTED,
                        "trading is HALTED: no order passes until a person runs `taorui risk resume`")]
    if state is TradingState.REDUCING and not reducing:
        return [_reason(ReasonCode.REDUCING_ONLY,
                        "trading is REDUCING: only orders that shrink an existing position pass")]
    return []


def _instrument_reasons(order: Order, inputs: CheckInputs, policy: Policy) -> list[Reason]:
    out = [] if inputs.quote_problem is None else [inputs.quote_problem]
    if order.symbol not in inputs.allowed:
        out.append(_reason(ReasonCode.SYMBOL_NOT_ALLOWED,
                           f"{order.symbol} is not allowed by policy {policy.name!r} "
                           f"(allowed: {_allowed_text(policy)})"))
    return out


def _allowed_text(policy: Policy) -> str:
    parts = list(policy.instruments.allowed_symbols) + [f"universe {u}" for u in policy.instruments.allowed_universes]
    return ", ".join(parts)


def _price_reasons(order: Order, inputs: CheckInputs, policy: Policy) -> list[Reason]:
    quote = inputs.quote
    if quote is None:
        if inputs.quote_problem is not None:
            return []
        return [_reason(ReasonCode.NO_REFERENCE_PRICE,
                        f"no reference price for {order.symbol} at {inputs.now:%Y-%m-%d %H:%M} UTC")]
    age = inputs.now - quote.time
    if age < -timedelta(hours=1):
        return [_reason(ReasonCode.STALE_PRICE,
                        f"the {order.symbol} reference price is dated {quote.time:%Y-%m-%d %H:%M}, after the "
                        f"check time {inputs.now:%Y-%m-%d %H:%M} UTC: the clock or the price source is wrong")]
    if age > timedelta(hours=policy.orders.max_price_age_hours):
        return [_reason(ReasonCode.STALE_PRICE,
                        f"the last {order.symbol} price ({quote.price:g}, {quote.source or 'reference'}) is "
                        f"{_age_text(age)} old at {inputs.now:%Y-%m-%d %H:%M} UTC; the policy accepts at most "
                        f"{policy.orders.max_price_age_hours:g} h")]
    return []


def _age_text(age: timedelta) -> str:
    hours = age.total_seconds() / 3600
    return f"{hours:.1f} h" if hours < 48 else f"{hours / 24:.1f} days"


def _check_price(order: Order, quote: PriceQuote) -> float:
    """Limit orders are checked at their limit, market orders at the last price."""
    return order.limit_price if order.type is OrderType.LIMIT and order.limit_price else quote.price


def _qty_reasons(order: Order, policy: Policy) -> list[Reason]:
    """Dust and fractional quantities: refused here rather than by the broker after counting."""
    limits, out = policy.orders, []
    if order.qty < limits.min_qty * (1 - _EPS):
        out.append(_reason(ReasonCode.MIN_QTY, f"qty {order.qty:g} is below min_qty {limits.min_qty:g}"))
    if not limits.allow_fractional and abs(order.qty - round(order.qty)) > _EPS * max(1.0, order.qty):
        out.append(_reason(ReasonCode.FRACTIONAL_QTY,
                           f"qty {order.qty:g} is not a whole number of units; the policy trades whole units only"))
    return out


def _size_reasons(order: Order, quote: PriceQuote, policy: Policy) -> list[Reason]:
    limits, out = policy.orders, []
    notional = order.qty * _check_price(order, quote)
    if order.qty > limits.max_qty:
        out.append(_reason(ReasonCode.MAX_QTY, f"qty {order.qty:g} exceeds max_qty {limits.max_qty:g}"))
    if not notional <= limits.max_notional:
        out.append(_reason(ReasonCode.MAX_NOTIONAL,
                           f"notional {notional:,.2f} exceeds max_notional {limits.max_notional:,.2f}"))
    if order.type is OrderType.LIMIT and order.limit_price is not None:
        off = abs(order.limit_price / quote.price - 1) * 100
        if off > limits.price_collar_pct:
            out.append(_reason(ReasonCode.PRICE_COLLAR,
                               f"limit {order.limit_price:g} is {off:.1f}% from the last price {quote.price:g}; "
                               f"the collar is {limits.price_collar_pct:g}%"))
    return out


def _book_reasons(
    order: Order, quote: PriceQuote | None, inputs: CheckInputs, policy: Policy, reducing: bool,
    projected: Mapping[str, float],
) -> list[Reason]:
    book = inputs.book
    if book is None:
        return [_reason(ReasonCode.NO_ACCOUNT, f"no account: {inputs.book_problem or 'the broker is unreachable'}")]
    if not (math.isfinite(book.equity) and book.equity > 0 and math.isfinite(book.cash)):
        return [_reason(ReasonCode.NO_EQUITY,
                        f"account equity {book.equity:g} / cash {book.cash:g} cannot carry an order")]
    if quote is None:
        return []
    out = _short_reasons(order, book, policy) + _buying_power_reasons(order, quote, book)
    if not reducing:
        out += _exposure_reasons(order, quote, book, policy, projected)
    return out


def _short_reasons(order: Order, book: Book, policy: Policy) -> list[Reason]:
    if policy.instruments.allow_short or order.side is OrderSide.BUY:
        return []
    pending_sells = sum(_remaining(s) for s in book.open_orders
                        if s.order.symbol == order.symbol and s.order.side is OrderSide.SELL)
    available = book.positions.get(order.symbol, 0.0) - pending_sells
    if order.qty > available * (1 + _EPS) + _EPS:
        return [_reason(ReasonCode.SHORT_NOT_ALLOWED,
                        f"selling {order.qty:g} {order.symbol} but only {max(available, 0):g} are held and not "
                        "already being sold; the policy does not allow short positions")]
    return []


def _buying_power_reasons(order: Order, quote: PriceQuote, book: Book) -> list[Reason]:
    if order.side is OrderSide.SELL:
        return []
    committed = 0.0
    for state in book.open_orders:
        if state.order.side is OrderSide.BUY:
            price = state.order.limit_price or book.marks.get(state.order.symbol) or math.inf
            committed += _remaining(state) * price
    free = book.cash - committed
    cost = order.qty * _check_price(order, quote)
    if not cost <= free * (1 + _EPS):
        return [_reason(ReasonCode.BUYING_POWER,
                        f"order costs {cost:,.2f} but buying power is {free:,.2f} "
                        f"(cash {book.cash:,.2f} minus {committed:,.2f} committed to open buy orders)")]
    return []


def _exposure_reasons(
    order: Order, quote: PriceQuote, book: Book, policy: Policy, projected: Mapping[str, float]
) -> list[Reason]:
    limits = policy.exposure
    mark = max(_check_price(order, quote), quote.price)
    after = projected.get(order.symbol, 0.0) + order.signed_qty
    out: list[Reason] = []
    weight = abs(after) * mark / book.equity * 100
    if weight > limits.max_position_pct * (1 + _EPS):
        out.append(_reason(ReasonCode.MAX_POSITION_WEIGHT,
                           f"{order.symbol} would be {weight:.1f}% of equity after this order and open orders; "
                           f"the limit is {limits.max_position_pct:g}%"))
    gross, unpriced = abs(after) * mark, []
    for symbol, qty in projected.items():
        if symbol == order.symbol or abs(qty) <= _EPS:
            continue
        price = book.marks.get(symbol)
        if price is None or not math.isfinite(price):
            unpriced.append(symbol)
        else:
            gross += abs(qty) * price
    if unpriced:
        out.append(_reason(ReasonCode.NO_REFERENCE_PRICE,
                           f"gross exposure cannot be computed: no price for held {', '.join(sorted(unpriced))}"))
    elif gross / book.equity * 100 > limits.max_gross_exposure_pct * (1 + _EPS):
        out.append(_reason(ReasonCode.MAX_GROSS_EXPOSURE,
                           f"gross exposure would be {gross / book.equity * 100:.1f}% of equity; "
                           f"the limit is {limits.max_gross_exposure_pct:g}%"))
    return out


def _day_start(now: datetime) -> datetime:
    return now.replace(hour=0, minute=0, second=0, microsecond=0)


def _rate_reasons(order: Order, inputs: CheckInputs, policy: Policy) -> list[Reason]:
    rates, now, out = policy.rates, inputs.now.timestamp(), []
    minute_ago, day_start = now - 60, _day_start(inputs.now).timestamp()
    last_minute = _after(inputs, minute_ago, strict=True)
    today = _after(inputs, day_start)
    if last_minute >= rates.max_per_minute:
        out.append(_reason(ReasonCode.RATE_PER_MINUTE,
                           f"{last_minute} orders sent in the last minute; the limit is {rates.max_per_minute}"))
    if today >= rates.max_per_day:
        out.append(_reason(ReasonCode.RATE_PER_DAY,
                           f"{today} orders sent today (UTC); the limit is {rates.max_per_day}"))
    return out + _duplicate_reasons(order, inputs, policy)


def _duplicate_reasons(order: Order, inputs: CheckInputs, policy: Policy) -> list[Reason]:
    out = []
    if inputs.key_seen is not None:
        out.append(_reason(ReasonCode.DUPLICATE_KEY, f"order key {order.key!r} was already used: {inputs.key_seen}"))
    window, now = policy.orders.duplicate_window_s, inputs.now.timestamp()
    symbol, side, qty = order.symbol, order.side.value, order.qty
    for sub in _between(inputs, now - window, now + window):
        same = sub.symbol == symbol and sub.side == side and math.isclose(sub.qty, qty)
        if same and abs(now - sub.time) <= window and sub.key != order.key:
            out.append(_reason(ReasonCode.DUPLICATE_ORDER,
                               f"the same order ({order.side.value} {order.qty:g} {order.symbol}) was sent "
                               f"{abs(now - sub.time):.0f} s ago (key {sub.key}); the duplicate window is {window:g} s"))
            break
    return out


def _aggregate(order: Order, inputs: CheckInputs, policy: Policy, price: float) -> tuple[float, int]:
    """Notional and count of same-symbol, same-side orders sent within the aggregation window."""
    window = policy.approvals.aggregation_window_minutes * 60
    if window <= 0:
        return 0.0, 0
    since = inputs.now.timestamp() - window
    symbol, side = order.symbol, order.side.value
    same = [s for s in _between(inputs, since, math.inf, strict_low=True)
            if s.symbol == symbol and s.side == side and s.key != order.key]
    return sum(s.notional if s.notional is not None else s.qty * price for s in same), len(same)


def _notional_reasons(order: Order, notional: float, inputs: CheckInputs, policy: Policy) -> list[Reason]:
    threshold = policy.approvals.above_notional
    if threshold is None:
        return []
    if notional > threshold:
        return [_reason(ReasonCode.APPROVAL_NOTIONAL,
                        f"notional {notional:,.2f} is above the approval threshold {threshold:,.2f}")]
    earlier, n = _aggregate(order, inputs, policy, notional / order.qty)
    if n and notional + earlier > threshold:
        minutes = policy.approvals.aggregation_window_minutes
        return [_reason(ReasonCode.APPROVAL_AGGREGATE_NOTIONAL,
                        f"with {n} earlier {order.side.value} order(s) of {order.symbol} sent in the last {minutes:g} "
                        f"min ({earlier:,.2f}), this order brings the total to {notional + earlier:,.2f}, above "
                        f"the approval threshold {threshold:,.2f}")]
    return []


def _approval_reasons(order: Order, notional: float, inputs: CheckInputs, policy: Policy) -> list[Reason]:
    rules, out = policy.approvals, []
    if rules.always:
        out.append(_reason(ReasonCode.APPROVAL_ALWAYS, "the policy asks a person to approve every order"))
    out += _notional_reasons(order, notional, inputs, policy)
    if rules.new_symbol and order.symbol not in inputs.known_symbols:
        out.append(_reason(ReasonCode.APPROVAL_NEW_SYMBOL,
                           f"{order.symbol} is not held and was never traded through the gate"))
    if rules.while_reducing and inputs.state is TradingState.REDUCING:
        out.append(_reason(ReasonCode.APPROVAL_WHILE_REDUCING,
                           "trading is REDUCING: a person approves every order"))
    start = _day_start(inputs.now).timestamp()
    if rules.first_order_of_day and not _after(inputs, start):
        out.append(_reason(ReasonCode.APPROVAL_FIRST_ORDER_OF_DAY, "first order of the day"))
    return out


def evaluate(raw: object, inputs: CheckInputs, policy: Policy, approved: bool = False) -> CheckResult:
    """The verdict on one order. ``approved=True`` (an approved request at submit time)
    re-runs every limit but no approval rule. Never raises for bad input."""
    order, malformed = parse_order(raw)
    if order is None:
        return CheckResult(decision=Decision.REJECT, reasons=tuple(malformed), policy_hash=policy.version_hash)
    inputs = _in_time_order(inputs)
    projected = projected_positions(inputs.book) if inputs.book is not None else {}
    reducing = is_risk_reducing(order, inputs.book, projected)
    rejects = _state_reasons(inputs.state, reducing) + _instrument_reasons(order, inputs, policy)
    rejects += _qty_reasons(order, policy) + _price_reasons(order, inputs, policy)
    quote = inputs.quote if not any(r.code is ReasonCode.STALE_PRICE for r in rejects) else None
    notional = order.qty * _check_price(order, quote) if quote is not None else None
    if quote is not None:
        rejects += _size_reasons(order, quote, policy)
    rejects += _book_reasons(order, quote, inputs, policy, reducing, projected)
    rejects += _rate_reasons(order, inputs, policy)
    if rejects or notional is None:
        decision, reasons = Decision.REJECT, rejects
    else:
        reasons = [] if approved else _approval_reasons(order, notional, inputs, policy)
        decision = Decision.NEEDS_APPROVAL if reasons else Decision.ALLOW
    return CheckResult(decision=decision, reasons=tuple(reasons), policy_hash=policy.version_hash, order=order,
                       reference_price=inputs.quote.price if inputs.quote else None, notional=notional,
                       risk_reducing=reducing)


# loss limits -------------------------------------------------------------------------------
def loss_breaches(marks: Marks, policy: Policy) -> list[tuple[TradingState, str]]:
    """(state to escalate to, why) for each loss limit the marks breach."""
    equity, loss = marks.last_equity, policy.loss
    if equity is None:
        return []
    if not math.isfinite(equity) or equity <= 0:
        return [(TradingState.HALTED, f"account equity is {equity:g}")]
    out = []
    hwm, start = marks.high_water_mark, marks.day_start_equity
    if hwm and (hwm - equity) / hwm * 100 >= loss.max_drawdown_pct:
        dd = (hwm - equity) / hwm * 100
        out.append((TradingState(loss.drawdown_action.value),
                    f"drawdown {dd:.2f}% from the high-water mark {hwm:,.2f} breaches max_drawdown "
                    f"{loss.max_drawdown_pct:g}%"))
    if start and (start - equity) / start * 100 >= loss.daily_loss_limit_pct:
        lost = (start - equity) / start * 100
        out.append((TradingState(loss.daily_loss_action.value),
                    f"daily loss {lost:.2f}% since the day's first mark {start:,.2f} breaches the daily loss "
                    f"limit {loss.daily_loss_limit_pct:g}%"))
    return out
