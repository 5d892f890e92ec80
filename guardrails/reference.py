"""Where the gate gets time, reference prices and universe members: injected, never global.

A check that cannot get a price must reject, so :class:`ReferenceData` is small and
explicit: ``last_price`` returns a :class:`~guardrails.models.PriceQuote`, ``None`` when the
instrument has no price yet at that time, and raises ``UnknownSymbolError`` for an
instrument the store does not hold. The gate turns each of those into a rejection.

The data-center implementation lives with the tools (``tools.order_tools.DataCenterReference``)
because guardrails depend on the engines' order models only, not on the data layer.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Protocol, runtime_checkable

from guardrails.models import PriceQuote

__all__ = [
    "Clock",
    "FixedClock",
    "ReferenceData",
    "as_utc",
    "system_clock",
]

#: A clock returns "now" as an aware UTC datetime. Injected so replays and tests control time.
Clock = Callable[[], datetime]


def system_clock() -> datetime:
    """The wall clock, UTC."""
    return datetime.now(UTC)


def as_utc(moment: datetime) -> datetime:
    """An aware UTC datetime; naive values are taken to be UTC already."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


class FixedClock:
    """A clock standing still at one moment (``taorui risk check --as-of``), movable by tests."""

    def __init__(self, at: datetime) -> None:
        self.at = as_utc(at)

    def __call__(self) -> datetime:
        return self.at

    def advance(self, delta: timedelta) -> None:
        """Move the clock forward."""
        self.at = self.at + delta


@runtime_checkable
class ReferenceData(Protocol):
    """Prices and universes the checks need."""

    def last_price(self, symbol: str, as_of: datetime) -> PriceQuote | None:
        """Last known price at ``as_of``; None if none yet; UnknownSymbolError if unknown."""

    def universe_members(self, universe: str) -> tuple[str, ...]:
        """Symbols of a named universe; NotFoundError if there is no such universe."""
