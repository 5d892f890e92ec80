"""``taorui ask`` and ``taorui resume``: instructions to the agent graph, and approvals.

    taorui ask "用最近5年黄金价格训练一个强化学习策略，并给出下周操作建议"
    taorui ask "Train a LightGBM model on csi_syn, buy the top 5%, and ask me before ordering" --json
    taorui ask "buy 10 SP500" --plan-only --json
    taorui resume --thread t-... --approve            (or --reject --reason "too big")

Orders go to the paper account through the guardrail gate on a *session market clock*: it
starts just after the close of the newest bar in the store and advances with the wall
clock (``guardrails.SessionClock``), so prices are fresh for the newest series, a series
that ended years ago is refused as stale, and rate and duplicate windows expire as time
passes. A sent order fills at that last close, through the gate (``graphs.adapters.GateMarket``).
The graph and the gate come from the composition root (:mod:`taorui.wiring`).
"""

from __future__ import annotations

import argparse
import contextlib
import getpass
import sys
from typing import TYPE_CHECKING, Any

from taorui.cli._common import add_json_flag, emit
from taorui.wiring import AppContext
from taorui_engines.errors import InvalidArgumentError

# The graph, LangChain and the engines load inside the commands that run them: a plan
# preview on the offline backend needs none of them (docs/benchmarks.md, "plan-only").
if TYPE_CHECKING:
    from agents.preview import PlanPreview
    from graphs import AskResult, GraphEvent

__all__ = ["offline_plan", "register"]


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add ``ask`` and ``resume``."""
    p = sub.add_parser("ask", help="give the agents an instruction (English or Chinese)")
    p.add_argument("instruction", help="what to do, e.g. 'train a gold RL strategy'")
    p.add_argument("--thread", help="continue this thread (answer a question, or a new instruction)")
    p.add_argument("--backend", choices=["offline", "openai"], help="LLM backend (default: TAORUI_LLM_BACKEND)")
    p.add_argument("--plan-only", action="store_true", help="print what would be done first; execute nothing")
    add_json_flag(p)
    p.set_defaults(func=cmd_ask)

    p = sub.add_parser("resume", help="approve or reject the orders a thread waits on")
    p.add_argument("--thread", required=True, help="thread id printed by `taorui ask`")
    decision = p.add_mutually_exclusive_group(required=True)
    decision.add_argument("--approve", action="store_true", help="approve the orders (the gate re-checks them)")
    decision.add_argument("--reject", action="store_true", help="reject the orders (needs --reason)")
    p.add_argument("--reason", default="", help="why (required with --reject)")
    p.add_argument("--by", default=None, help="who decides (default: the login name)")
    p.add_argument("--backend", choices=["offline", "openai"], help="LLM backend for the rest of the thread")
    add_json_flag(p)
    p.set_defaults(func=cmd_resume)


def _echo(json_mode: bool) -> Any:
    def show(event: GraphEvent) -> None:
        # Progress already draws a bar on the terminal; the graph's copy is for other clients.
        if not json_mode and sys.stderr.isatty() and event.node != "progress":
            sys.stderr.write(f"· {event.node}: {event.text}\n")

    return show


def _payload(result: AskResult) -> dict[str, Any]:
    return {
        "thread_id": result.thread_id, "status": result.status, "agent": result.agent,
        "tool_calls": [{"name": c.name, "args": c.args, "ok": c.ok, **({"error": c.error} if c.error else {})}
                       for c in result.tool_calls],
        "answer": result.answer, "language": result.language, "run_ids": result.run_ids,
        "approvals": result.approvals, "fills": result.fills, "usage": result.usage, "instruction_id": result.instruction_id,
        "error": result.error,
    }


def _text(result: AskResult) -> str:
    """The answer (which lists waiting orders, their sizes and why they wait) and what to type next."""
    zh = result.language == "zh"
    lines = [result.answer, ""]
    if result.status == "needs_approval":
        lines.append(("批准：" if zh else "Approve: ") + f"taorui resume --thread {result.thread_id} --approve")
        lines.append(("拒绝：" if zh else "Reject:  ") + f"taorui resume --thread {result.thread_id} --reject --reason '...'")
    elif result.status == "needs_clarification":
        lines.append(("回答：" if zh else "Answer with: ") + f"taorui ask \"...\" --thread {result.thread_id}")
    lines.append(f"[{result.status}] thread {result.thread_id}" + (f", runs: {', '.join(result.run_ids)}"
                                                                   if result.run_ids else ""))
    return "\n".join(lines)


def _finish(args: argparse.Namespace, result: AskResult) -> int:
    emit(args, _payload(result), _text(result))
    return 1 if result.status == "failed" else 0


def offline_plan(ctx: AppContext, instruction: str) -> PlanPreview:
    """The offline backend's preview without the graph: the store's JSON listing, the cached
    router, understanding and the executor's first step (what ``Orchestrator.plan_only`` prints)."""
    from agents.brief import catalog_entries
    from agents.planner import PlannerDefaults
    from agents.preview import offline_preview
    from agents.understand import load_router
    from taorui_engines.data import StoreListing, sample_is_current

    listing = StoreListing(ctx.settings.data_dir)
    if not sample_is_current(listing):  # a new home: the sample store is built once, here
        listing = ctx.data.listing
    router = load_router(ctx.router_dir)
    return offline_preview(instruction, catalog_entries(listing), router, PlannerDefaults())


def cmd_ask(args: argparse.Namespace, ctx: AppContext) -> int:
    """Run (or preview) one instruction."""
    # Engines' libraries print to stdout (Qlib does); --json promises one object there.
    with contextlib.redirect_stdout(sys.stderr):
        if args.plan_only:
            offline = ctx.llm_backend(args.backend) == "offline"
            preview = (offline_plan(ctx, args.instruction) if offline
                       else ctx.build_orchestrator(args.backend).plan_only(args.instruction))
        else:
            result = ctx.build_orchestrator(args.backend).ask(args.instruction, args.thread,
                                                              on_event=_echo(args.json))
    if args.plan_only:
        return emit(args, preview.model_dump(mode="json"))
    return _finish(args, result)


def cmd_resume(args: argparse.Namespace, ctx: AppContext) -> int:
    """Answer a thread's approval interrupt."""
    if args.reject and not args.reason.strip():
        raise InvalidArgumentError("--reject needs --reason")
    from graphs import ApprovalDecision

    decision = ApprovalDecision(approve=bool(args.approve), by=args.by or getpass.getuser() or "person",
                                reason=args.reason)
    with contextlib.redirect_stdout(sys.stderr):
        result = ctx.build_orchestrator(args.backend).resume(args.thread, decision, on_event=_echo(args.json))
    return _finish(args, result)
