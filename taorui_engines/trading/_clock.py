"""Clocks of the trading cycle: a replay over history, and the live schedule of a market.

- :class:`ReplayClock`: the market time of a replay, set to just after the close of the day
  being run (the gate checks prices, rates and approvals against it). Days are the store's
  own sessions in the window.
- :class:`LiveSchedule`: which session the cycle should run for *now*, from the exchange's
  calendar (the ``exchange_calendars`` library: holidays, half days), and how far the store
  lags behind it. With the sample store, "today" is the store's last bar, said so.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import pandas as pd

from taorui_engines.data import DataCenter
from taorui_engines.errors import InvalidDateRangeError

__all__ = ["CLOSE_OFFSET", "LiveSchedule", "LivePlan", "ReplayClock", "market_time", "sessions"]

#: The cycle runs this long after the session's date starts (16:05, after a 16:00 close).
CLOSE_OFFSET = timedelta(hours=16, minutes=5)

#: Exchange calendars per store market (a region's main exchange); synthetic markets have none.
EXCHANGES = {"us": "XNYS", "cn": "XSHG"}


def market_time(day: date) -> datetime:
    """Just after the close of ``day`` (UTC-labelled market wall time, like the ask session clock)."""
    return datetime.combine(day, time(), tzinfo=UTC) + CLOSE_OFFSET


class ReplayClock:
    """A settable market clock: callable like ``datetime.now`` (see the module docstring)."""

    def __init__(self, day: date) -> None:
        self.day = day

    def set(self, day: date) -> None:
        """Move to just after ``day``'s close."""
        self.day = day

    def __call__(self) -> datetime:
        return market_time(self.day)


def sessions(center: DataCenter, market: str, start: date, end: date) -> list[date]:
    """The store's sessions of ``market`` in [start, end]."""
    if end < start:
        raise InvalidDateRangeError(f"the window ends ({end}) before it starts ({start})")
    days = [d.date() for d in center.calendar(market, start.isoformat(), end.isoformat())]
    if not days:
        cal = center.calendar(market)
        raise InvalidDateRangeError(f"no sessions of market {market!r} between {start} and {end} "
                                    f"(the store holds {cal[0].date()}..{cal[-1].date()})")
    return days


@dataclass(frozen=True)
class LivePlan:
    """The session a live cycle runs for, and what a person should know about it."""

    day: date
    exchange: str | None
    latest_session: date | None
    lag_sessions: int
    note: str


class LiveSchedule:
    """The live clock of one market (see the module docstring)."""

    def __init__(self, center: DataCenter, market: str) -> None:
        self._center, self.market = center, market
        meta = center.market_meta(market)
        region = meta.region if meta is not None else None
        self.exchange = None if market == "synthetic" else EXCHANGES.get(str(region))

    def latest_session(self, now: datetime) -> date | None:
        """The newest session whose close has passed at ``now`` (None without an exchange calendar)."""
        if self.exchange is None:
            return None
        import exchange_calendars as xc

        calendar = xc.get_calendar(self.exchange)
        stamp = pd.Timestamp(now)
        stamp = stamp.tz_convert("UTC") if stamp.tzinfo else stamp.tz_localize("UTC")
        first = max(pd.Timestamp(calendar.first_session), pd.Timestamp((stamp - timedelta(days=20)).date()))
        last = min(pd.Timestamp(calendar.last_session), pd.Timestamp(stamp.date()))
        if first > last:
            return None
        for session in reversed(calendar.sessions_in_range(first, last)):
            if calendar.session_close(session) <= stamp:
                return pd.Timestamp(session).date()
        return None

    def next_run(self, now: datetime, delay: timedelta = timedelta(minutes=5)) -> datetime | None:
        """When the next cycle should run: ``delay`` after the next session close after ``now``
        (None for a market without an exchange calendar: run it by hand, or from cron)."""
        if self.exchange is None:
            return None
        import exchange_calendars as xc

        calendar = xc.get_calendar(self.exchange)
        stamp = pd.Timestamp(now)
        stamp = stamp.tz_convert("UTC") if stamp.tzinfo else stamp.tz_localize("UTC")
        last = min(pd.Timestamp(calendar.last_session), pd.Timestamp((stamp + timedelta(days=20)).date()))
        first = max(pd.Timestamp(calendar.first_session), pd.Timestamp(stamp.date()))
        for session in calendar.sessions_in_range(first, last):
            close = calendar.session_close(session)
            if close + delay > stamp:
                return (close + delay).to_pydatetime()
        return None

    def plan(self, now: datetime) -> LivePlan:
        """Run on the store's newest bar; say how many exchange sessions it lags behind ``now``."""
        cal = self._center.calendar(self.market)
        if len(cal) == 0:
            raise InvalidDateRangeError(f"market {self.market!r} holds no sessions")
        store_last = cal[-1].date()
        latest = self.latest_session(now)
        if latest is None:
            return LivePlan(day=store_last, exchange=self.exchange, latest_session=None, lag_sessions=0,
                            note=f"'today' is the store's last bar, {store_last} (market {self.market!r} follows no "
                                 "exchange calendar)")
        import exchange_calendars as xc

        calendar = xc.get_calendar(self.exchange or "XNYS")
        lag = 0
        if latest > store_last:
            lag = len(calendar.sessions_in_range(pd.Timestamp(store_last) + timedelta(days=1), pd.Timestamp(latest)))
        note = (f"the store's last bar is {store_last}; {self.exchange}'s latest closed session is {latest}"
                + (f": the data is {lag} session(s) behind, and the cycle runs on {store_last} (a replay of that "
                   "day, not a live view)" if lag else ""))
        return LivePlan(day=store_last, exchange=self.exchange, latest_session=latest, lag_sessions=lag, note=note)
