"""Brokers: the typed order model, the ``Broker`` protocol, and the paper broker."""

from taorui_engines.brokers.models import (
    AccountSnapshot,
    Attribution,
    Broker,
    Fill,
    Order,
    OrderSide,
    OrderState,
    OrderStatus,
    OrderType,
    Position,
    SimulatedBroker,
)

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
