"""The caveat checks of :mod:`taorui_engines.caveats`, for agents (which reach engines through tools).

Agents read caveats that results already carry; the one check they run themselves is data
freshness, because only the agent knows the day the person asks on.
"""

from __future__ import annotations

from taorui_engines.caveats import Caveat, freshness, last_trading_day, order_gap

__all__ = ["Caveat", "freshness", "last_trading_day", "order_gap"]
