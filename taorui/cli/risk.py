"""``taorui risk ...``: check an order, show the trading state and policy, halt and resume."""

from __future__ import annotations

import argparse
import json
import os
import pwd
import uuid
from datetime import datetime
from typing import Any

from guardrails import CheckResult, FixedClock, Gate, RiskStatus, StateChange, load_policy
from guardrails.reference import as_utc
from taorui.cli._common import add_json_flag, emit
from taorui.wiring import AppContext
from taorui_engines.brokers.models import Attribution
from taorui_engines.errors import InvalidArgumentError

__all__ = ["parse_as_of", "person_name", "register"]


def person_name(given: str | None) -> str:
    """``--by`` or the operating-system account running the command."""
    if given:
        return given
    return pwd.getpwuid(os.getuid()).pw_name  # the account's name, not an environment variable


def parse_as_of(text: str) -> datetime:
    """``--as-of``: a date or ISO date-time, taken as UTC when it has no zone."""
    try:
        return as_utc(datetime.fromisoformat(text))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"expected YYYY-MM-DD or an ISO date-time, got {text!r}") from exc


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the ``risk`` group."""
    risk = sub.add_parser("risk", help="guardrails: check orders, trading state, policy, kill switch")
    cmds = risk.add_subparsers(dest="cmd", required=True, parser_class=type(risk))

    p = cmds.add_parser("check", help="dry-run the pre-trade checks on one order (nothing is sent)")
    p.add_argument("--order", required=True, help='order JSON, e.g. \'{"symbol": "SP500", "side": "buy", "qty": 10}\'')
    p.add_argument("--policy", help="policy YAML file (default: TAORUI_RISK_POLICY_FILE or the shipped one)")
    p.add_argument("--as-of", type=parse_as_of, help="market time of the check (replay); default: now (UTC)")
    p.add_argument("--agent", default="user", help="who proposes (recorded in the audit log)")
    add_json_flag(p)
    p.set_defaults(func=cmd_check)

    p = cmds.add_parser("status", help="trading state, drawdown, daily loss, order counts")
    p.add_argument("--as-of", type=parse_as_of, help="market time (replay); default: now (UTC)")
    add_json_flag(p)
    p.set_defaults(func=cmd_status)

    p = cmds.add_parser("policy", help="print the policy in force and its version hash")
    p.add_argument("--policy", help="policy YAML file to show instead")
    add_json_flag(p)
    p.set_defaults(func=cmd_policy)

    p = cmds.add_parser("halt", help="kill switch: HALT all trading until a person resumes")
    p.add_argument("--reason", required=True, help="why (recorded in the audit log)")
    p.add_argument("--by", help="who halts (default: the OS user)")
    add_json_flag(p)
    p.set_defaults(func=cmd_halt)

    p = cmds.add_parser("resume", help="a person puts trading back to ACTIVE")
    p.add_argument("--reason", default="resumed by a person", help="why (recorded in the audit log)")
    p.add_argument("--by", help="who resumes (default: the OS user)")
    add_json_flag(p)
    p.set_defaults(func=cmd_resume)


def _gate(ctx: AppContext, policy_file: str | None, as_of: datetime | None) -> Gate:
    policy = load_policy(policy_file) if policy_file else None
    return ctx.make_gate(policy=policy, clock=FixedClock(as_of) if as_of else None)


def _order_arg(text: str) -> object:
    """The --order text as data; unparsable text is passed on (the check rejects it with a reason)."""
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, RecursionError):  # hostile nesting is malformed, not a crash
        return text
    if isinstance(data, dict) and "key" not in data:
        data["key"] = f"check-{uuid.uuid4().hex[:16]}"
    return data


def _check_payload(result: CheckResult, gate: Gate) -> dict[str, Any]:
    return {
        "decision": result.decision.value,
        "reasons": [{"code": r.code.value, "message": r.message} for r in result.reasons],
        "policy_hash": result.policy_hash,
        "policy": gate.policy.name,
        "order": result.order.model_dump(mode="json") if result.order else None,
        "reference_price": result.reference_price,
        "notional": result.notional,
        "risk_reducing": result.risk_reducing,
    }


def cmd_check(args: argparse.Namespace, ctx: AppContext) -> int:
    """Dry-run the checks on one order."""
    gate = _gate(ctx, args.policy, args.as_of)
    result = gate.check(_order_arg(args.order), Attribution(agent=args.agent))
    gate.audit_log.flush()  # one check per process: no batch to wait for, the row is written before the answer
    payload = _check_payload(result, gate)
    lines = [f"decision: {result.decision.value}  (policy {gate.policy.name} {result.policy_hash})"]
    lines += [f"  {r.code.value}: {r.message}" for r in result.reasons]
    return emit(args, payload, "\n".join(lines))


def _status_text(status: RiskStatus) -> str:
    def num(value: float | None, fmt: str = ",.2f") -> str:
        return "n/a" if value is None else format(value, fmt)

    return "\n".join([
        f"trading state: {status.state.value.upper()}  ({status.state_reason}; by {status.state_changed_by})",
        f"equity {num(status.equity)}  cash {num(status.cash)}  high-water mark {num(status.high_water_mark)}",
        f"drawdown {num(status.drawdown_pct, '.2f')}%  daily loss {num(status.daily_loss_pct, '.2f')}%",
        f"orders: {status.orders_last_minute} last minute, {status.orders_today} today; "
        f"pending approvals: {status.pending_approvals}",
        f"policy {status.policy_hash}; as of {status.as_of:%Y-%m-%d %H:%M} UTC"
        + (f"; account: {status.account_error}" if status.account_error else ""),
    ])


def cmd_status(args: argparse.Namespace, ctx: AppContext) -> int:
    """Show the trading state."""
    status = _gate(ctx, None, args.as_of).status()
    return emit(args, status.model_dump(mode="json"), _status_text(status))


def cmd_policy(args: argparse.Namespace, ctx: AppContext) -> int:
    """Print the policy and its hash."""
    policy = load_policy(args.policy) if args.policy else ctx.risk_policy
    summary = policy.summary()
    return emit(args, summary, f"policy {policy.name} ({summary['policy_hash']})\n"
                + json.dumps(summary["policy"], indent=2, ensure_ascii=False))


def _change_payload(change: StateChange | None, gate: Gate) -> dict[str, Any]:
    status = gate.status()
    return {"changed": change is not None, "change": change.model_dump(mode="json") if change else None,
            "state": status.state.value, "reason": status.state_reason}


def cmd_halt(args: argparse.Namespace, ctx: AppContext) -> int:
    """Kill switch."""
    gate = ctx.gate
    change = gate.halt(args.reason, person_name(args.by))
    text = f"trading HALTED: {args.reason}" if change else "trading was already HALTED"
    return emit(args, _change_payload(change, gate), text)


def cmd_resume(args: argparse.Namespace, ctx: AppContext) -> int:
    """A person resumes trading."""
    gate = ctx.gate
    if not args.reason.strip():
        raise InvalidArgumentError("--reason must not be empty")
    change = gate.resume(args.reason, person_name(args.by))
    return emit(args, _change_payload(change, gate), f"trading ACTIVE again (was {change.previous.value})")
