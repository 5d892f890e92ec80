"""``taorui data ...``: list, show and ingest market data."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from taorui.cli._common import add_json_flag, emit
from taorui.wiring import AppContext
from taorui_engines.data import InstrumentInfo
from taorui_engines.errors import InvalidArgumentError

__all__ = ["register"]


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the ``data`` group."""
    data = sub.add_parser("data", help="market data: list, show, ingest")
    cmds = data.add_subparsers(dest="cmd", required=True, parser_class=type(data))

    p = cmds.add_parser("list", help="instruments and universes with their provenance")
    add_json_flag(p)
    p.set_defaults(func=cmd_list)

    p = cmds.add_parser("show", help="bars of one symbol with its provenance")
    p.add_argument("symbol")
    p.add_argument("--start", required=True, help="YYYY-MM-DD")
    p.add_argument("--end", required=True, help="YYYY-MM-DD")
    p.add_argument("--freq", default="day", choices=["day", "1min"])
    add_json_flag(p)
    p.set_defaults(func=cmd_show)

    p = cmds.add_parser("ingest", help="write CSV bars into the store (atomic)")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--csv", type=Path, help="one CSV file (needs --symbol)")
    src.add_argument("--folder", type=Path, help="a folder of CSVs, one symbol per file (needs --universe)")
    p.add_argument("--symbol")
    p.add_argument("--universe", help="name of the universe the folder becomes")
    p.add_argument("--market", default="custom", help="market (one calendar) to write into")
    p.add_argument("--region", choices=["us", "cn"], help="Qlib region settings of a new market")
    p.add_argument("--freq", default="day", choices=["day", "1min"])
    p.add_argument(
        "--date-format",
        help="strftime pattern of the CSV dates, e.g. '%%d/%%m/%%Y' (default: ISO YYYY-MM-DD, "
        "or one unambiguous format for the whole file)",
    )
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--replace", action="store_true", help="replace existing symbols")
    mode.add_argument("--append", action="store_true", help="merge into existing symbols")
    add_json_flag(p)
    p.set_defaults(func=cmd_ingest)


def cmd_list(args: argparse.Namespace, ctx: AppContext) -> int:
    """Print the catalog."""
    instruments = [i.summary() for i in ctx.data.list_instruments()]
    universes = {
        name: {"market": u.market, "members": len(u.members), "synthetic": u.synthetic,
               "first": u.members[0] if u.members else None, "description": u.description}
        for name, u in ctx.data.universes().items()
    }
    payload = {"instruments": instruments, "universes": universes}
    members = {m for u in ctx.data.universes().values() for m in u.members}
    return emit(args, payload, _list_text(instruments, universes, members))


def _list_text(
    instruments: list[dict[str, Any]], universes: dict[str, Any], members: set[str]
) -> str:
    """Text listing; universe members are summarised by their universe line."""
    lines = [f"{'symbol':<8} {'market':<10} {'span':<23} {'rows':>6}  source"]
    shown = [i for i in instruments if i["symbol"] not in members]
    for i in shown:
        label = "SYNTHETIC " if i["synthetic"] else ""
        lines.append(
            f"{i['symbol']:<8} {i['market']:<10} {i['start']}..{i['end']} {i['rows']:>6}  "
            f"{label}{i['source']}"
        )
    for name, u in universes.items():
        label = "SYNTHETIC " if u["synthetic"] else ""
        lines.append(f"universe {name}: {u['members']} members in {u['market']} ({label.strip() or 'real'})")
    return "\n".join(lines)


def cmd_show(args: argparse.Namespace, ctx: AppContext) -> int:
    """Print bars of one symbol."""
    info: InstrumentInfo = ctx.data.info(args.symbol)
    frame = ctx.data.get_price(info.symbol, args.start, args.end, freq=args.freq)
    rows = [
        {"date": d.strftime("%Y-%m-%d" if args.freq == "day" else "%Y-%m-%d %H:%M:%S"),
         "open": o, "high": h, "low": lo, "close": c, "volume": v}
        for d, o, h, lo, c, v in frame[["date", "open", "high", "low", "close", "volume"]].itertuples(index=False)
    ]
    payload = {"symbol": info.symbol, "provenance": info.summary(), "rows": rows}
    label = "SYNTHETIC " if info.synthetic else ""
    text = [f"{info.symbol} ({label}{info.source}; {info.start}..{info.end})"]
    text += [f"{r['date']}  O {r['open']:.2f}  H {r['high']:.2f}  L {r['low']:.2f}  C {r['close']:.2f}"
             f"  V {r['volume']:.0f}" for r in rows]
    return emit(args, payload, "\n".join(text))


def cmd_ingest(args: argparse.Namespace, ctx: AppContext) -> int:
    """Ingest one CSV or a folder of CSVs."""
    if_exists = "replace" if args.replace else "append" if args.append else "error"
    kwargs: dict[str, Any] = {
        "freq": args.freq, "if_exists": if_exists, "region": args.region, "date_format": args.date_format,
    }
    if args.csv is not None:
        if not args.symbol:
            raise InvalidArgumentError("--csv needs --symbol")
        written = [ctx.data.ingest_csv(args.csv, args.symbol, market=args.market, **kwargs)]
    else:
        if not args.universe:
            raise InvalidArgumentError("--folder needs --universe")
        written = ctx.data.ingest_folder(args.folder, args.universe, market=args.market, **kwargs)
    payload = {"ingested": [w.summary() for w in written], "market": args.market}
    text = "\n".join(f"ingested {w.symbol}: {w.rows} rows {w.start}..{w.end} into {w.market}" for w in written)
    return emit(args, payload, text)
