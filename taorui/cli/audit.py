"""``taorui audit verify`` and ``taorui audit tail``: read the hash-chained audit log."""

from __future__ import annotations

import argparse
import json

from guardrails import AuditKind
from taorui.cli._common import add_json_flag, emit
from taorui.wiring import AppContext

__all__ = ["register"]

#: Exit status of ``audit verify`` when the chain is broken (2 stays for bad input).
EXIT_TAMPERED = 1


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the ``audit`` group."""
    audit = sub.add_parser("audit", help="the append-only audit log of orders and decisions")
    cmds = audit.add_subparsers(dest="cmd", required=True, parser_class=type(audit))

    p = cmds.add_parser("verify", help="walk the hash chain, check its anchor, and cross-check the ledger, "
                                       "approvals and broker against it; exit 1 if anything is wrong or missing")
    add_json_flag(p)
    p.set_defaults(func=cmd_verify)

    p = cmds.add_parser("recover", help="settle what a killed process left in flight and audit unaudited fills")
    add_json_flag(p)
    p.set_defaults(func=cmd_recover)

    p = cmds.add_parser("tail", help="the last rows of the log")
    p.add_argument("-n", type=int, default=20, help="how many rows (default 20)")
    p.add_argument("--kind", choices=[k.value for k in AuditKind], help="only rows of this kind")
    add_json_flag(p)
    p.set_defaults(func=cmd_tail)


def cmd_verify(args: argparse.Namespace, ctx: AppContext) -> int:
    """Verify the chain and cross-check the gate's records against it (read-only)."""
    report = ctx.session_gate.verify()
    if report.ok:
        text = (f"audit log OK: {report.records} rows, anchored at row {report.anchored_seq}; "
                f"checked {', '.join(f'{n} {k}' for k, n in report.checked.items())}")
    else:
        lines = [] if report.chain_ok else [f"audit log BROKEN at row {report.first_bad}: {report.problem}"]
        lines += [f"MISSING ({p.kind} {p.ref}): {p.message}" for p in report.cross_check]
        text = "\n".join(lines) + f"\n({report.records} rows)"
    emit(args, report.model_dump(mode="json"), text)
    return 0 if report.ok else EXIT_TAMPERED


def cmd_recover(args: argparse.Namespace, ctx: AppContext) -> int:
    """Settle in-flight submissions from the broker's keys; audit fills the log lacks."""
    done = ctx.session_gate.recover()
    return emit(args, {"recovered": done}, "\n".join(done) or "nothing to recover")


def cmd_tail(args: argparse.Namespace, ctx: AppContext) -> int:
    """Print the last rows."""
    n = max(1, min(args.n, 10_000))
    records = ctx.audit_log.tail(n, AuditKind(args.kind) if args.kind else None)
    lines = [f"{r.seq:>6} {r.time:%Y-%m-%d %H:%M:%S} {r.kind.value:<18} "
             + json.dumps(r.payload, ensure_ascii=False, sort_keys=True)[:200] for r in records]
    return emit(args, {"records": [r.model_dump(mode="json") for r in records]}, "\n".join(lines) or "empty log")
