"""``taorui approvals list``, ``taorui approve ID``, ``taorui reject ID --reason``: a person decides."""

from __future__ import annotations

import argparse
from typing import Any

from guardrails import ApprovalRequest, ApprovalStatus, FixedClock, GateOutcome
from taorui.cli._common import add_json_flag, emit
from taorui.cli.risk import parse_as_of, person_name
from taorui.wiring import AppContext
from taorui_engines.errors import InvalidArgumentError

__all__ = ["register"]


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add ``approvals``, ``approve`` and ``reject``."""
    group = sub.add_parser("approvals", help="orders waiting for a person's approval")
    cmds = group.add_subparsers(dest="cmd", required=True, parser_class=type(group))
    p = cmds.add_parser("list", help="approval requests (pending unless --all or --status)")
    p.add_argument("--status", choices=[s.value for s in ApprovalStatus], help="only this status")
    p.add_argument("--all", action="store_true", help="every recent request, whatever its status")
    add_json_flag(p)
    p.set_defaults(func=cmd_list)

    p = sub.add_parser("approve", help="approve a pending order request")
    p.add_argument("id", help="request id (apr-...)")
    p.add_argument("--reason", default="", help="why (recorded in the audit log)")
    p.add_argument("--by", help="who approves (default: the OS user)")
    p.add_argument("--submit", action="store_true",
                   help="also re-check and send the order now (otherwise the trading cycle sends it)")
    p.add_argument("--as-of", type=parse_as_of, help="market time of the re-check with --submit (replay)")
    add_json_flag(p)
    p.set_defaults(func=cmd_approve)

    p = sub.add_parser("reject", help="reject a pending order request, or veto an approved one not yet sent")
    p.add_argument("id", help="request id (apr-...)")
    p.add_argument("--reason", required=True, help="why (recorded in the audit log)")
    p.add_argument("--by", help="who rejects (default: the OS user)")
    add_json_flag(p)
    p.set_defaults(func=cmd_reject)


def _request(r: ApprovalRequest) -> dict[str, Any]:
    return {
        "id": r.id, "status": r.status.value, "order": r.order.model_dump(mode="json"),
        "reasons": [{"code": x.code.value, "message": x.message} for x in r.reasons],
        "policy_hash": r.policy_hash, "created": r.created.isoformat(), "expires": r.expires.isoformat(),
        "decided_by": r.decided_by, "decision_reason": r.decision_reason, "result": r.result,
    }


def _line(r: ApprovalRequest) -> str:
    o = r.order
    price = f" @ {o.limit_price:g}" if o.limit_price else " at market"
    why = "; ".join(x.message for x in r.reasons)
    return (f"{r.id}  {r.status.value:<8} {o.side.value} {o.qty:g} {o.symbol}{price}  by {o.attribution.agent}"
            f"  expires {r.expires:%Y-%m-%d %H:%M} UTC\n    {why}")


def cmd_list(args: argparse.Namespace, ctx: AppContext) -> int:
    """List requests."""
    status = None if args.all else ApprovalStatus(args.status or "pending")
    requests = ctx.session_gate.approvals(status)
    text = "\n".join(_line(r) for r in requests) or "no approval requests"
    return emit(args, {"requests": [_request(r) for r in requests]}, text)


def _outcome(o: GateOutcome) -> dict[str, Any]:
    state = o.order_state
    return {"decision": o.decision.value, "reasons": [{"code": r.code.value, "message": r.message} for r in o.reasons],
            "submitted": o.submitted, "status": state.status.value if state else None,
            "filled_qty": state.filled_qty if state else 0.0, "trading_state": o.trading_state.value}


def cmd_approve(args: argparse.Namespace, ctx: AppContext) -> int:
    """Approve (and optionally send) a request. A decision that could not be applied (another
    person decided first, it expired) is an error that says so, and is audited."""
    gate = ctx.make_gate(clock=FixedClock(args.as_of)) if args.as_of else ctx.session_gate
    if not args.submit:
        request = gate.approve(args.id, person_name(args.by), args.reason)
        return emit(args, {"approval": _request(request), "outcome": None}, f"approved {request.id}")
    settled = gate.settle_approval(args.id, True, person_name(args.by), args.reason)
    if not settled.decision.applied and not settled.sent_by_this_call:
        raise InvalidArgumentError(settled.message)
    payload = {"approval": _request(gate.approval(args.id)), "applied": settled.decision.applied,
               "outcome": _outcome(settled.outcome) if settled.outcome else None, "message": settled.message}
    reasons = settled.outcome.reasons if settled.outcome else ()
    text = settled.message + "".join(f"\n  {r.code.value}: {r.message}" for r in reasons)
    return emit(args, payload, text)


def cmd_reject(args: argparse.Namespace, ctx: AppContext) -> int:
    """Reject a request (or veto an approved one before it is sent)."""
    report = ctx.session_gate.decide(args.id, False, person_name(args.by), args.reason)
    if not report.applied:
        raise InvalidArgumentError(report.message)
    payload = {"approval": _request(report.request), "veto_of": report.veto_of, "message": report.message}
    return emit(args, payload, report.message)
