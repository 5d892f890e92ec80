"""``taorui broker ...``: look at the paper account, or reset it (after confirmation)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from taorui.cli._common import add_json_flag, emit
from taorui.cli.risk import person_name
from taorui.wiring import AppContext
from taorui_engines.brokers.paper import PaperBroker
from taorui_engines.errors import InvalidArgumentError

__all__ = ["register"]


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the ``broker`` group."""
    broker = sub.add_parser("broker", help="the paper broker: status, reset")
    cmds = broker.add_subparsers(dest="cmd", required=True, parser_class=type(broker))

    p = cmds.add_parser("status", help="cash, value, positions and open orders of the paper account")
    add_json_flag(p)
    p.set_defaults(func=cmd_status)

    p = cmds.add_parser("reset", help="empty the paper account (asks for confirmation)")
    p.add_argument("--paper", action="store_true", required=True, help="reset the paper account (the only kind)")
    p.add_argument("--cash", type=float, help="new starting cash (default: the account's current setting)")
    p.add_argument("--yes", action="store_true", help="do not ask (for scripts)")
    p.add_argument("--by", help="who resets (default: the OS user; recorded in the audit log)")
    add_json_flag(p)
    p.set_defaults(func=cmd_reset)


def _paper(ctx: AppContext) -> PaperBroker:
    broker = ctx.broker
    if not isinstance(broker, PaperBroker):  # only a paper broker is wired today
        raise InvalidArgumentError(f"the configured broker is {type(broker).__name__}, not the paper broker")
    return broker


def _status(broker: PaperBroker) -> dict[str, Any]:
    orders = broker.orders()
    last = broker.last_settled()
    return {
        "broker": "paper",
        "path": str(broker.path),
        "cash": broker.cash(),
        "value": broker.value(),
        "initial_cash": broker.config.initial_cash,
        "realized_pnl": broker.realized_pnl(),
        "positions": [p.model_dump(mode="json") for p in broker.positions()],
        "open_orders": [o.model_dump(mode="json") for o in orders if o.status.value in ("accepted", "partially_filled")],
        "n_orders": len(orders),
        "n_fills": len(broker.fills()),
        "last_settled": last.isoformat() if last else None,
        "config": broker.config.model_dump(),
    }


def _status_text(status: dict[str, Any]) -> str:
    lines = [
        f"paper account {status['path']}",
        f"cash {status['cash']:,.2f}  value {status['value']:,.2f}  (started with {status['initial_cash']:,.2f}; "
        f"realised P&L {status['realized_pnl']:,.2f})",
        f"orders {status['n_orders']} ({len(status['open_orders'])} open), fills {status['n_fills']}, "
        f"last settled {status['last_settled'] or 'never'}",
    ]
    for p in status["positions"]:
        last = p["last_price"]
        lines.append(f"  {p['symbol']:<8} {p['qty']:>12g} @ {p['avg_price']:.4f}  last {last if last is not None else 'n/a'}")
    for o in status["open_orders"]:
        order = o["order"]
        lines.append(f"  open {order['key']}: {order['side']} {order['qty']:g} {order['symbol']} ({o['status']})")
    return "\n".join(lines)


def cmd_status(args: argparse.Namespace, ctx: AppContext) -> int:
    """Print the paper account."""
    status = _status(_paper(ctx))
    return emit(args, status, _status_text(status))


def _confirmed(path: str) -> bool:
    if not sys.stdin.isatty():
        raise InvalidArgumentError("refusing to reset the paper account without confirmation: pass --yes")
    answer = input(f"Reset the paper account at {path}? Orders, fills and positions are deleted. [y/N] ")
    return answer.strip().lower() in ("y", "yes")


def cmd_reset(args: argparse.Namespace, ctx: AppContext) -> int:
    """Reset the paper account after confirmation (or ``--yes``)."""
    broker = _paper(ctx)
    if not args.yes and not _confirmed(str(broker.path)):
        return emit(args, {"reset": False, "path": str(broker.path)}, "not reset")
    # Through the gate: every fill is audited before the account is emptied, then the reset itself.
    ctx.session_gate.reset_account(person_name(args.by), initial_cash=args.cash)
    payload = {"reset": True, "path": str(broker.path), "cash": broker.cash(),
               "kept_seen_keys": True}
    return emit(args, payload, f"paper account reset: cash {broker.cash():,.2f} (seen order keys are kept)")
