"""The trade journal in memory: one entry per finished cycle day of a portfolio.

So "what did the trading cycle do on Friday?" is answered from memory like any other run.
Entries are keyed by portfolio and day; writing them again changes nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime, time

from memory import JournalRecord
from taorui_engines.trading import Journal

__all__ = ["cycle_records"]


def cycle_records(portfolio: str, journal: Journal) -> list[JournalRecord]:
    """A journal entry per finished day: the account, what was sent, blocked and waits."""
    decisions: dict[str, list[str]] = {}
    for d in journal.decisions():
        decisions.setdefault(d.day.isoformat(), []).append(f"{d.decision} {d.side} {d.qty:g} {d.symbol}")
    out = []
    for day in journal.days():
        held = ", ".join(f"{s} {q:g}" for s, (q, _) in sorted(day.positions.items())) or "nothing"
        orders = "; ".join(decisions.get(day.day.isoformat(), [])) or "no orders"
        text = (f"Trading cycle of portfolio {portfolio} on {day.day} ({day.mode}): value {day.value:,.0f}, "
                f"cash {day.cash:,.0f}; {day.sent} sent, {day.blocked} not sent, {day.pending} waiting. "
                f"Orders: {orders}. Holding: {held}.")
        out.append(JournalRecord(event_id=f"cycle-{portfolio}-{day.day.isoformat()}", event="decision",
                                 time=datetime.combine(day.day, time(16, 5), tzinfo=UTC), outcome="cycle finished",
                                 agent="trading_cycle", text=text[:1500]))
    return out
