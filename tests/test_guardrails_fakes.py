"""Typed fakes for the guardrail tests (an in-memory broker, static reference data) and the
broker contract the gate relies on, run against the fake and the real paper broker.

The fakes are imported by the other ``test_guardrails_*`` / ``test_gate_*`` modules.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from guardrails import FixedClock, Gate, Policy, PriceQuote, default_policy
from taorui_engines.brokers.models import (
    Broker,
    Fill,
    Order,
    OrderSide,
    OrderState,
    OrderStatus,
    OrderType,
    Position,
)
from taorui_engines.errors import DuplicateOrderKeyError, NotFoundError, UnknownSymbolError

T0 = datetime(2018, 6, 4, 20, 0, tzinfo=UTC)


class InMemoryBroker:
    """A broker that fills market orders at once at ``prices[symbol]`` and limit orders when the
    price is at or through the limit; no commission. Refuses a key it has seen."""

    def __init__(self, cash: float = 1_000_000.0, prices: dict[str, float] | None = None,
                 clock: Callable[[], datetime] = lambda: T0) -> None:
        self._cash = cash
        self.prices: dict[str, float] = dict(prices or {})
        self._clock = clock
        self._orders: dict[str, OrderState] = {}
        self._fills: list[Fill] = []
        self._positions: dict[str, tuple[float, float]] = {}
        self._ids = itertools.count(1)
        self.submitted: list[str] = []

    def submit(self, order: Order) -> OrderState:
        if order.key in self._orders:
            raise DuplicateOrderKeyError(order.key)
        self.submitted.append(order.key)
        self._orders[order.key] = OrderState(order=order, status=OrderStatus.ACCEPTED, updated=self._clock())
        self._try_fill(order.key)
        return self._orders[order.key]

    def _crosses(self, order: Order, price: float) -> bool:
        if order.type is OrderType.MARKET or order.limit_price is None:
            return True
        return price <= order.limit_price if order.side is OrderSide.BUY else price >= order.limit_price

    def _try_fill(self, key: str) -> None:
        state = self._orders[key]
        order, price = state.order, self.prices.get(state.order.symbol)
        if state.status is not OrderStatus.ACCEPTED or price is None or not self._crosses(order, price):
            return
        fill = Fill(fill_id=f"f{next(self._ids)}", order_key=key, symbol=order.symbol, side=order.side,
                    qty=order.qty, price=price, commission=0.0, time=self._clock())
        self._fills.append(fill)
        qty, avg = self._positions.get(order.symbol, (0.0, 0.0))
        new_qty = qty + order.signed_qty
        new_avg = price if abs(new_qty) > abs(qty) and qty * new_qty >= 0 and new_qty else avg
        self._positions[order.symbol] = (new_qty, new_avg if new_qty else 0.0)
        self._cash -= order.signed_qty * price
        self._orders[key] = state.model_copy(update={"status": OrderStatus.FILLED, "filled_qty": order.qty,
                                                     "avg_fill_price": price})

    def set_price(self, symbol: str, price: float) -> None:
        """Move a price (open limit orders that now cross fill)."""
        self.prices[symbol] = price
        for key in list(self._orders):
            self._try_fill(key)

    def cancel(self, key: str) -> OrderState:
        if key not in self._orders:
            raise NotFoundError(f"no order {key}")
        state = self._orders[key]
        if state.status is OrderStatus.ACCEPTED:
            state = state.model_copy(update={"status": OrderStatus.CANCELLED})
            self._orders[key] = state
        return state

    def orders(self, open_only: bool = False) -> list[OrderState]:
        open_status = (OrderStatus.ACCEPTED, OrderStatus.PARTIALLY_FILLED)
        return [s for s in self._orders.values() if not open_only or s.status in open_status]

    def fills(self, since: datetime | None = None) -> list[Fill]:
        return [f for f in self._fills if since is None or f.time >= since]

    def positions(self) -> list[Position]:
        return [Position(symbol=s, qty=q, avg_price=a, last_price=self.prices.get(s))
                for s, (q, a) in self._positions.items() if q]

    def cash(self) -> float:
        return self._cash

    def value(self) -> float:
        return self._cash + sum(q * self.prices.get(s, a) for s, (q, a) in self._positions.items())

    def has_key(self, key: str) -> bool:
        return key in self._orders


class StaticReference:
    """Reference prices set by the test; each price is known from ``known_at``."""

    def __init__(self, prices: dict[str, float], known_at: datetime = T0,
                 universes: dict[str, tuple[str, ...]] | None = None) -> None:
        self.prices = dict(prices)
        self.known_at = known_at
        self.universes = dict(universes or {})
        self.unknown: set[str] = set()

    def last_price(self, symbol: str, as_of: datetime) -> PriceQuote | None:
        if symbol.upper() in self.unknown or symbol.upper() not in self.prices:
            raise UnknownSymbolError(symbol)
        price = self.prices[symbol.upper()]
        return None if price is None else PriceQuote(symbol=symbol.upper(), price=price, time=self.known_at,
                                                     source="test")

    def universe_members(self, universe: str) -> tuple[str, ...]:
        if universe not in self.universes:
            raise NotFoundError(f"no universe {universe}")
        return self.universes[universe]


def open_policy(**overrides: object) -> Policy:
    """The default policy with approvals off (unless overridden) and the given sections replaced."""
    data = default_policy().model_dump(mode="json")
    data["approvals"] = {**data["approvals"], "new_symbol": False, "while_reducing": False, "above_notional": None}
    for section, values in overrides.items():
        data[section] = {**data[section], **values}  # type: ignore[dict-item]
    return Policy.model_validate(data)


def make_gate(tmp: Path, policy: Policy | None = None, cash: float = 1_000_000.0,
              prices: dict[str, float] | None = None) -> tuple[Gate, InMemoryBroker, StaticReference, FixedClock]:
    """A gate over an in-memory broker and static prices, clocks fixed at T0."""
    prices = prices or {"SP500": 2500.0, "GOLD": 1800.0, "WTI": 60.0}
    clock = FixedClock(T0)
    broker = InMemoryBroker(cash=cash, prices=prices, clock=clock)
    reference = StaticReference(prices, universes={"csi_syn": ()})
    gate = Gate(policy or open_policy(), broker, reference, tmp / "state", clock=clock, wall_clock=clock)
    return gate, broker, reference, clock


def order(symbol: str = "SP500", side: str = "buy", qty: float = 10, key: str | None = None,
          **extra: object) -> dict[str, object]:
    """A raw order dict with a fresh key."""
    return {"key": key or f"k-{next(_KEYS):08d}", "symbol": symbol, "side": side, "qty": qty, **extra}


_KEYS = itertools.count(1)


# the broker contract the gate relies on ---------------------------------------------------
@pytest.fixture(params=["in_memory", "paper"])
def any_broker(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Broker]:
    """Each broker implementation the gate must work with (the paper one on the sample store)."""
    if request.param == "in_memory":
        yield InMemoryBroker(prices={"SP500": 2500.0})
    else:
        from taorui_engines.brokers.paper import PaperBroker

        center = request.getfixturevalue("data_center")
        yield PaperBroker(tmp_path / "paper.sqlite", center, clock=lambda: T0.replace(tzinfo=None))


def test_broker_satisfies_the_protocol(any_broker: Broker) -> None:
    assert isinstance(any_broker, Broker)


def test_broker_refuses_a_key_it_has_seen(any_broker: Broker) -> None:
    first = Order(key="contract-1", symbol="SP500", side=OrderSide.BUY, qty=1, type=OrderType.LIMIT,
                  limit_price=1.0)
    any_broker.submit(first)
    assert any_broker.has_key("contract-1")
    with pytest.raises(DuplicateOrderKeyError):
        any_broker.submit(first)


def test_broker_reports_an_unseen_key_as_new(any_broker: Broker) -> None:
    assert not any_broker.has_key("never-sent-1")


def test_fake_broker_fills_market_orders_at_its_price() -> None:
    broker = InMemoryBroker(cash=10_000, prices={"GOLD": 100.0})
    state = broker.submit(Order(key="fake-0001", symbol="GOLD", side=OrderSide.BUY, qty=5))
    assert state.status is OrderStatus.FILLED
    assert broker.cash() == pytest.approx(9_500)
    assert broker.value() == pytest.approx(10_000)
    broker.set_price("GOLD", 110.0)
    assert broker.value() == pytest.approx(10_050)


def test_fake_broker_keeps_a_limit_order_open_until_the_price_crosses() -> None:
    broker = InMemoryBroker(cash=10_000, prices={"GOLD": 100.0})
    broker.submit(Order(key="fake-0002", symbol="GOLD", side=OrderSide.BUY, qty=1, type=OrderType.LIMIT,
                        limit_price=95.0))
    assert len(broker.orders(open_only=True)) == 1
    broker.set_price("GOLD", 94.0)
    assert broker.orders(open_only=True) == []
    assert broker.positions()[0].qty == 1
