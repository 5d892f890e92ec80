"""Orders, fills, positions and the ``Broker`` protocol.

Shared by the paper broker (and later real brokers) and by the guardrail gate, which is
the only caller of ``Broker.submit`` in the product. Every order carries an idempotency
key; a broker refuses a key it has seen, so a replayed graph step can never send twice.
"""

from __future__ import annotations

import math
from datetime import datetime
from enum import StrEnum
from typing import Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

__all__ = [
    "AccountSnapshot",
    "Attribution",
    "Broker",
    "Fill",
    "Order",
    "OrderSide",
    "OrderState",
    "OrderStatus",
    "OrderType",
    "Position",
    "SimulatedBroker",
]


class OrderSide(StrEnum):
    """Buy or sell."""

    BUY = "buy"
    SELL = "sell"


class OrderType(StrEnum):
    """Market (fills at the next available price) or limit."""

    MARKET = "market"
    LIMIT = "limit"


class OrderStatus(StrEnum):
    """Life cycle of an order at the broker."""

    ACCEPTED = "accepted"
    PARTIALLY_FILLED = "partially_filled"
    FILLED = "filled"
    CANCELLED = "cancelled"
    REJECTED = "rejected"


class Attribution(BaseModel):
    """Who asked for an order: carried into guardrail decisions and the audit log."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    agent: str = Field(default="user", max_length=64)
    thread_id: str | None = Field(default=None, max_length=128)
    instruction_id: str | None = Field(default=None, max_length=128)
    approver: str | None = Field(default=None, max_length=64)


class Order(BaseModel):
    """An order as proposed. Quantities are units (shares, lots, contracts), positive."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    key: str = Field(min_length=8, max_length=128, pattern=r"^[A-Za-z0-9_.:\-]+$",
                     description="Idempotency key; a broker refuses a key it has seen.")
    symbol: str = Field(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_.\-]+$")
    side: OrderSide
    qty: float = Field(gt=0, description="Units to trade; positive and finite.")
    type: OrderType = OrderType.MARKET
    limit_price: float | None = Field(default=None, gt=0)
    attribution: Attribution = Field(default_factory=Attribution)
    created: datetime | None = None

    @field_validator("qty", "limit_price")
    @classmethod
    def _finite(cls, value: float | None) -> float | None:
        if value is not None and not math.isfinite(value):
            raise ValueError("must be a finite number")
        return value

    @field_validator("symbol")
    @classmethod
    def _upper(cls, value: str) -> str:
        return value.upper()

    @model_validator(mode="after")
    def _limit_needs_price(self) -> Order:
        if self.type is OrderType.LIMIT and self.limit_price is None:
            raise ValueError("a limit order needs limit_price")
        if self.type is OrderType.MARKET and self.limit_price is not None:
            raise ValueError("a market order takes no limit_price")
        return self

    @property
    def signed_qty(self) -> float:
        """+qty for a buy, -qty for a sell."""
        return self.qty if self.side is OrderSide.BUY else -self.qty


class OrderState(BaseModel):
    """An order with what the broker did with it so far."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    order: Order
    status: OrderStatus
    filled_qty: float = 0.0
    avg_fill_price: float | None = None
    reason: str | None = None
    updated: datetime | None = None


class Fill(BaseModel):
    """One execution (an order may fill in several parts)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    fill_id: str
    order_key: str
    symbol: str
    side: OrderSide
    qty: float = Field(gt=0)
    price: float = Field(gt=0)
    commission: float = Field(ge=0)
    time: datetime


class Position(BaseModel):
    """Holding in one symbol (negative qty = short)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    symbol: str
    qty: float
    avg_price: float
    last_price: float | None = None

    @property
    def market_value(self) -> float | None:
        """qty x last price, when a last price is known."""
        return None if self.last_price is None else self.qty * self.last_price


class AccountSnapshot(BaseModel):
    """Cash, positions and value at one moment."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    cash: float
    positions: tuple[Position, ...]
    value: float
    time: datetime


@runtime_checkable
class Broker(Protocol):
    """What the gate needs from a broker. Implementations persist their state."""

    def submit(self, order: Order) -> OrderState:
        """Accept (or reject) an order; raises ``InvalidInputError`` for a seen key."""

    def cancel(self, key: str) -> OrderState:
        """Cancel an open order by key."""

    def orders(self, open_only: bool = False) -> list[OrderState]:
        """Orders known to the broker."""

    def fills(self, since: datetime | None = None) -> list[Fill]:
        """Executions, oldest first."""

    def positions(self) -> list[Position]:
        """Current positions."""

    def cash(self) -> float:
        """Free cash."""

    def value(self) -> float:
        """Cash plus positions at last prices."""

    def has_key(self, key: str) -> bool:
        """True if an order with this idempotency key was ever submitted."""


@runtime_checkable
class SimulatedBroker(Broker, Protocol):
    """A broker whose executions Taorui simulates (the paper broker): the gate asks it to fill.

    A live broker reports its own fills (read through ``Broker.fills``); a simulated one fills
    when told, at a price given (``fill_at``) or from the bars up to a time (``settle``). Only
    the gate calls these, so every fill is audited as it happens.
    """

    def fill_at(self, key: str, price: float, when: datetime, qty: float | None = None) -> Fill:
        """Fill (part of) an open order at ``price``; refuses what the account cannot take."""

    def settle(self, asof: datetime) -> list[Fill]:
        """Fill open orders on the bars up to ``asof``; returns the new fills."""

    def reset(self, initial_cash: float | None = None) -> None:
        """Empty the account (orders, fills, positions); seen keys are kept."""
