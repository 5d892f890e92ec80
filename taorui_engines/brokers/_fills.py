"""Pure fill arithmetic of the paper broker: price, quantity caps and position updates.

Kept apart from the SQLite code so the rules can be read (and property-tested) on their
own: nothing here touches storage or the clock.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

from taorui_engines.brokers.models import Order, OrderSide, OrderType

__all__ = ["Bar", "PositionBook", "affordable_qty", "bar_fill_price", "round_qty", "volume_cap"]

#: Quantities below this are treated as zero (float noise from partial fills).
QTY_EPS = 1e-9


@dataclass(frozen=True)
class Bar:
    """One daily bar of one symbol, as the broker fills against it."""

    date: date
    open: float
    high: float
    low: float
    close: float
    volume: float


def round_qty(qty: float, fractional: bool) -> float:
    """Whole units unless fractional trading is on (then keep the float as it is)."""
    if fractional:
        return qty
    return float(math.floor(qty + QTY_EPS))


def bar_fill_price(order: Order, bar: Bar, slippage: float) -> float | None:
    """Execution price of ``order`` on ``bar``, or None when a limit was not reached.

    Market orders fill at the open moved against the trader by ``slippage`` (a fraction).
    A buy limit fills at the (slipped) open when the open is at or below the limit, else at
    the limit when the bar's low reaches it; sells mirror this. Slippage never makes a limit
    order fill beyond its limit.
    """
    buy = order.side is OrderSide.BUY
    slipped = bar.open * (1 + slippage) if buy else bar.open * (1 - slippage)
    if order.type is OrderType.MARKET:
        return slipped
    limit = order.limit_price
    assert limit is not None  # the Order model guarantees it for limit orders
    if buy:
        if bar.open <= limit:
            return min(slipped, limit)
        return limit if bar.low <= limit else None
    if bar.open >= limit:
        return max(slipped, limit)
    return limit if bar.high >= limit else None


def volume_cap(remaining: float, volume: float, participation: float, fractional: bool) -> float:
    """How much of ``remaining`` one bar can take: at most ``participation`` x bar volume.

    A bar with unknown volume (NaN, e.g. close-only series) does not cap; a bar with zero
    volume fills nothing.
    """
    if math.isnan(volume):
        return remaining
    return min(remaining, round_qty(max(volume, 0.0) * participation, fractional))


def affordable_qty(qty: float, price: float, commission_rate: float, cash: float, fractional: bool) -> float:
    """The largest part of a buy of ``qty`` at ``price`` that ``cash`` pays, commission included."""
    if qty * price * (1 + commission_rate) <= cash + 1e-9:
        return qty
    most = max(cash, 0.0) / (price * (1 + commission_rate))
    return min(qty, round_qty(most, fractional))


@dataclass
class PositionBook:
    """Quantity and average price of one symbol, updated fill by fill.

    The average price is that of the open quantity: adding to a position averages, reducing
    keeps it (and realises P&L), crossing through zero restarts it at the fill price.
    """

    qty: float = 0.0
    avg_price: float = 0.0

    def apply(self, signed_qty: float, price: float) -> float:
        """Apply one fill; returns the P&L it realised (before commission)."""
        if abs(self.qty) < QTY_EPS or self.qty * signed_qty > 0:
            total = self.qty + signed_qty
            self.avg_price = (self.qty * self.avg_price + signed_qty * price) / total
            self.qty = total
            return 0.0
        closing = min(abs(signed_qty), abs(self.qty))
        direction = 1.0 if self.qty > 0 else -1.0
        realised = closing * (price - self.avg_price) * direction
        self.qty += signed_qty
        if abs(self.qty) < QTY_EPS:
            self.qty, self.avg_price = 0.0, 0.0
        elif self.qty * direction < 0:  # went through zero: the rest is a new position
            self.avg_price = price
        return realised
