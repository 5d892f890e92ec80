"""Where the gate gets time, reference prices and universe members: injected, never global.

A check that cannot get a price must reject, so :class:`ReferenceData` is small and
explicit: ``last_price`` returns a :class:`~guardrails.models.PriceQuote`, ``None`` when the
instrument has no price yet at that time, and raises ``UnknownSymbolError`` for an
instrument the store does not hold. The gate turns each of those into a rejection.

The data-center implementation lives with the tools (``tools.order_tools.DataCenterReference``)
because guardrails depend on the engines' order models only, not on the data layer.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Protocol, runtime_checkable

from guardrails._db import file_lock
from guardrails.models import PriceQuote

__all__ = [
    "Clock",
    "FixedClock",
    "ReferenceData",
    "SessionClock",
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


class SessionClock:
    """Market time of a replay session: starts at ``anchor`` and advances with the wall clock.

    A store whose newest bar is in the past is traded as a replay "just after that bar's
    close". A clock standing still there would never let a rate window or a duplicate window
    expire, so market time moves on at the wall clock's pace from the moment the session
    started. The start is persisted in ``path``: every process of the same state folder
    shares one session, and market time never runs backwards, not even when newer data
    moves the anchor (the session then restarts at the later of the new anchor and now).
    """

    def __init__(self, anchor: datetime, path: Path, wall: Clock = system_clock) -> None:
        self._wall = wall
        self.anchor = as_utc(anchor)
        self._origin_market, self._origin_wall = self._load_or_start(Path(path))

    def _load_or_start(self, path: Path) -> tuple[datetime, datetime]:
        with file_lock(path.with_suffix(".lock")):
            stored = _read_session(path)
            if stored is not None and stored[0] == self.anchor:
                return stored[1], stored[2]
            wall = as_utc(self._wall())
            start = self.anchor
            if stored is not None:  # continue from where the previous session's market time is now
                start = max(start, stored[1] + max(wall - stored[2], timedelta(0)))
            _write_session(path, self.anchor, start, wall)
            return start, wall

    @property
    def started(self) -> datetime:
        """Market time at the start of this session."""
        return self._origin_market

    def __call__(self) -> datetime:
        elapsed = as_utc(self._wall()) - self._origin_wall
        return self._origin_market + max(elapsed, timedelta(0))


def _read_session(path: Path) -> tuple[datetime, datetime, datetime] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return (datetime.fromisoformat(data["anchor"]), datetime.fromisoformat(data["market_start"]),
                datetime.fromisoformat(data["wall_start"]))
    except (OSError, ValueError, KeyError, TypeError):  # none yet, or unreadable: a new session
        return None


def _write_session(path: Path, anchor: datetime, market: datetime, wall: datetime) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"anchor": anchor.isoformat(), "market_start": market.isoformat(),
                               "wall_start": wall.isoformat()}), encoding="utf-8")
    tmp.replace(path)


@runtime_checkable
class ReferenceData(Protocol):
    """Prices and universes the checks need."""

    def last_price(self, symbol: str, as_of: datetime) -> PriceQuote | None:
        """Last known price at ``as_of``; None if none yet; UnknownSymbolError if unknown."""

    def universe_members(self, universe: str) -> tuple[str, ...]:
        """Symbols of a named universe; NotFoundError if there is no such universe."""
