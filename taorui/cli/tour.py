"""``taorui tour``: what the store holds, one real and one synthetic series, labelled."""

from __future__ import annotations

import argparse
from typing import Any

from taorui.cli._common import add_json_flag, emit
from taorui.wiring import AppContext

__all__ = ["register"]


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the ``tour`` command."""
    p = sub.add_parser("tour", help="a guided look at the data center (offline)")
    add_json_flag(p)
    p.set_defaults(func=cmd_tour)


def _series(ctx: AppContext, symbol: str, start: str, end: str) -> dict[str, Any]:
    info = ctx.data.info(symbol)
    bars = ctx.data.get_price(symbol, start, end)
    close = bars["close"]
    return {
        "symbol": symbol,
        "provenance": info.summary(),
        "window": [start, end],
        "first_close": float(close.iloc[0]),
        "last_close": float(close.iloc[-1]),
        "return": float(close.iloc[-1] / close.iloc[0] - 1),
        "days": len(bars),
        "tail": bars.tail(3).assign(date=bars["date"].dt.strftime("%Y-%m-%d")).to_dict("records"),
    }


def cmd_tour(args: argparse.Namespace, ctx: AppContext) -> int:
    """Print the tour."""
    instruments = ctx.data.list_instruments()
    universes = ctx.data.universes()
    real = _series(ctx, "SP500", "2008-09-01", "2008-12-31")
    syn = _series(ctx, "GOLD", "2024-01-01", "2024-12-31")
    csi = universes["csi_syn"]
    payload = {
        "data_dir": str(ctx.data.data_dir),
        "instruments": len(instruments),
        "markets": ctx.data.markets(),
        "universes": {n: len(u.members) for n, u in universes.items()},
        "real_series": real,
        "synthetic_series": syn,
    }
    lines = [
        f"Taorui data tour  (store: {ctx.data.data_dir})",
        f"  {len(instruments)} instruments in markets {', '.join(ctx.data.markets())}",
    ]
    for info in instruments:
        if info.symbol in csi.members:
            continue
        label = "SYNTHETIC" if info.synthetic else "real"
        lines.append(f"  {info.symbol:<7} {label:<9} {info.start}..{info.end}  {info.source}")
    lines.append(f"  csi_syn  SYNTHETIC {len(csi.members)} stocks with planted factors ({csi.members[0]}..)")
    for s in (real, syn):
        label = "SYNTHETIC" if s["provenance"]["synthetic"] else "real"
        lines.append(
            f"\n{s['symbol']} [{label}, {s['provenance']['source']}] {s['window'][0]}..{s['window'][1]}: "
            f"{s['first_close']:.2f} -> {s['last_close']:.2f} ({s['return']:+.1%} over {s['days']} days)"
        )
        for row in s["tail"]:
            lines.append(f"  {row['date']}  close {row['close']:.2f}")
    lines.append("\nNext: `taorui data show SP500 --start 2008-09-01 --end 2008-10-31`, `taorui data list`.")
    return emit(args, payload, "\n".join(lines))
