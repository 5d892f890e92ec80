"""Loading expressions and closes as wide (date x symbol) frames on a market's calendar.

All expressions of a request share one ``DataCenter.get_features`` call, together with the
close, and the load runs a few trading days past the requested end so forward returns of
the last days exist. Frames are re-indexed to the full market calendar and the full symbol
list, so shifting by ``h`` rows always means ``h`` trading days, whatever a symbol skipped.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from taorui_engines.data import DataCenter, InstrumentInfo, parse_range
from taorui_engines.errors import InvalidDateRangeError
from taorui_engines.expressions import BASE_FIELDS, ParsedExpression, parse_expression


@dataclass(frozen=True)
class Universe:
    """Resolved instruments of one market, with the fields every one of them has."""

    market: str
    instruments: tuple[InstrumentInfo, ...]
    fields: tuple[str, ...]

    @property
    def symbols(self) -> list[str]:
        """Symbols in catalog order."""
        return [i.symbol for i in self.instruments]

    @property
    def synthetic(self) -> bool:
        """True when any instrument is synthetic (results must say so)."""
        return any(i.synthetic for i in self.instruments)


def resolve_universe(center: DataCenter, universe: str | Sequence[str]) -> Universe:
    """Expand a universe name or symbol list; all must share one market (one calendar)."""
    infos = tuple(center.resolve(universe))
    market = center.market_of([i.symbol for i in infos])
    common = set(infos[0].fields)
    for info in infos[1:]:
        common &= set(info.fields)
    ordered = tuple(f for f in BASE_FIELDS if f in common) + tuple(sorted(common - set(BASE_FIELDS)))
    return Universe(market=market, instruments=infos, fields=ordered)


def parse_all(expressions: Sequence[str], universe: Universe) -> list[ParsedExpression]:
    """Check every expression against the grammar and the universe's fields."""
    return [parse_expression(expr, fields=universe.fields) for expr in expressions]


def trading_window(
    center: DataCenter, market: str, start: object, end: object, extra_days: int = 0
) -> tuple[pd.DatetimeIndex, pd.DatetimeIndex]:
    """(days in [start, end], those days plus ``extra_days`` later calendar days)."""
    s, e = parse_range(start, end)
    calendar = center.calendar(market)
    inside = calendar[(calendar >= s) & (calendar <= e)]
    if len(inside) == 0:
        raise InvalidDateRangeError(
            f"no trading days of market {market!r} between {s.date()} and {e.date()} "
            f"(its calendar runs {calendar[0].date()}..{calendar[-1].date()})"
        )
    last = calendar.get_loc(inside[-1])
    extended = calendar[calendar.get_loc(inside[0]) : min(len(calendar), int(last) + extra_days + 1)]
    return inside, extended


def load_wide(
    center: DataCenter,
    universe: Universe,
    expressions: Mapping[str, str],
    days: pd.DatetimeIndex,
) -> dict[str, pd.DataFrame]:
    """``{name: date x symbol frame}`` for each expression plus ``"close"``, in one load."""
    request = dict(expressions)
    request["close"] = "$close"
    tidy = center.get_features(request, universe.symbols, days[0], days[-1])
    out = {}
    for name in request:
        wide = tidy[name].unstack("symbol")
        out[name] = wide.reindex(index=days, columns=universe.symbols)
    return out
