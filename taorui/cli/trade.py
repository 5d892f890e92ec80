"""``taorui trade ...``: paper portfolios run by the trading cycle, through the gate.

    taorui trade run --portfolio rev5 --strategy 'factor:Ref($close,5)/$close-1' \\
        --from 2024-01-02 --to 2024-12-31 --mode semi-auto
    taorui trade run --portfolio lgb --strategy model:latest           (today's cycle: the store's last bar)
    taorui trade approve --portfolio rev5 --approve --by alice
    taorui trade status|positions|history|report --portfolio rev5 --json
    taorui trade explain --portfolio lgb --date 2025-12-31 [--symbol SYN042] [--lang zh]

A portfolio's strategy, construction, costs and mode are fixed when it is made (the first
``run`` with ``--strategy``). ``--mode`` on a later run may only be stricter for that run
(semi-auto < supervised < dry-run). See docs/trading.md.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from taorui.cli._common import add_json_flag, emit
from taorui.wiring import AppContext
from taorui_engines.errors import InvalidArgumentError

if TYPE_CHECKING:
    from graphs.trading import CycleDecision, PortfolioStatus, TradingDesk
    from taorui_engines.trading import PortfolioSpec, TradingEvent, TradingMode

__all__ = ["cycle_decision", "event_line", "run_mode", "parse_strategy", "position_rows", "register"]


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"expected YYYY-MM-DD, got {text!r}") from exc


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the ``trade`` group."""
    trade = sub.add_parser("trade", help="paper trading cycles: run, approve, status, explain, report")
    cmds = trade.add_subparsers(dest="cmd", required=True, parser_class=type(trade))

    p = cmds.add_parser("run", help="run the cycle over a window (replay) or for today (the store's last bar)")
    p.add_argument("--portfolio", required=True, help="portfolio name (made on the first run with --strategy)")
    p.add_argument("--strategy", help="factor:EXPR | model:RUN_ID | model:latest | rl:RUN_ID | rl:latest | JSON spec "
                                      "| a .json file (only when the portfolio is made)")
    p.add_argument("--universe", default="csi_syn", help="universe of a factor strategy (default csi_syn)")
    p.add_argument("--lowest-first", action="store_true", help="factor strategy: buy the lowest values")
    p.add_argument("--from", dest="start", type=_day, help="first day of a replay (YYYY-MM-DD)")
    p.add_argument("--to", dest="end", type=_day, help="last day of a replay (default: --from)")
    p.add_argument("--mode", choices=["supervised", "semi-auto", "dry-run"],
                   help="new portfolio: its mode (default supervised); later runs: a stricter mode for this run")
    p.add_argument("--cash", type=float, help="new portfolio: starting cash (default 100,000, what the shipped risk policy is sized for)")
    group = p.add_mutually_exclusive_group()
    group.add_argument("--top-pct", type=float, help="new portfolio: hold the top X%% by score (default 5)")
    group.add_argument("--top-k", type=int, help="new portfolio: hold the top K names")
    p.add_argument("--max-weight", type=float, help="new portfolio: largest weight per name (default 0.25)")
    p.add_argument("--cash-buffer", type=float, help="new portfolio: fraction kept in cash (default 0.02)")
    p.add_argument("--lot", type=int, help="new portfolio: shares per lot (default: the market's)")
    p.add_argument("--commission", type=float, help="new portfolio: commission rate (default 0.001 = 10 bp)")
    p.add_argument("--slippage", type=float, help="new portfolio: slippage at the open (default 0.0005)")
    p.add_argument("--policy", help="new portfolio: risk policy YAML (default: the home's policy)")
    p.add_argument("--by", help="who makes the portfolio (default: the OS user)")
    p.add_argument("--watch", action="store_true", help="live: run today's cycle, then again after each session's "
                                                        "close on the exchange calendar (Ctrl-C stops)")
    p.add_argument("--max-cycles", type=int, default=0, help="with --watch: stop after this many wake-ups (0: never)")
    add_json_flag(p)
    p.set_defaults(func=cmd_run)

    p = cmds.add_parser("approve", help="decide the orders a portfolio's cycle waits on")
    p.add_argument("--portfolio", required=True)
    decision = p.add_mutually_exclusive_group(required=True)
    decision.add_argument("--approve", action="store_true", help="approve every waiting order (the gate re-checks)")
    decision.add_argument("--reject", action="store_true", help="reject every waiting order (needs --reason)")
    p.add_argument("--order", action="append", default=[], metavar="KEY=yes|no", help="decide one order by key")
    p.add_argument("--reason", default="", help="why (required with --reject)")
    p.add_argument("--by", help="who decides (default: the OS user)")
    add_json_flag(p)
    p.set_defaults(func=cmd_approve)

    for name, help_text, func in (("status", "mode, trading state, account, what waits", cmd_status),
                                  ("positions", "positions at the last close", cmd_positions),
                                  ("history", "every day's account and every order's decision", cmd_history),
                                  ("report", "P&L before/after costs vs the benchmark, blocked orders, picture",
                                   cmd_report)):
        p = cmds.add_parser(name, help=help_text)
        p.add_argument("--portfolio", required=True)
        add_json_flag(p)
        p.set_defaults(func=func)

    p = cmds.add_parser("explain", help="why the strategy picked names on a day, from the model itself")
    p.add_argument("--portfolio", required=True)
    p.add_argument("--date", type=_day, help="the day (default: the last day with a signal)")
    p.add_argument("--symbol", help="one name (picked or not); default: the names picked")
    p.add_argument("--lang", choices=["en", "zh"], default="en", help="language of the text")
    add_json_flag(p)
    p.set_defaults(func=cmd_explain)

    p = cmds.add_parser("risk", help="a portfolio's trading state; a person halts it or puts it back to active")
    p.add_argument("--portfolio", required=True)
    action = p.add_mutually_exclusive_group()
    action.add_argument("--halt", action="store_true", help="kill switch: no order goes until a person resumes")
    action.add_argument("--resume", action="store_true", help="back to ACTIVE (after a drawdown or loss stop)")
    p.add_argument("--reason", default="", help="why (recorded in the portfolio's audit log; needed to change)")
    p.add_argument("--by", help="who (default: the OS user)")
    add_json_flag(p)
    p.set_defaults(func=cmd_risk)

    p = cmds.add_parser("list", help="portfolios in this home")
    add_json_flag(p)
    p.set_defaults(func=cmd_list)


def parse_strategy(text: str, universe: str, lowest_first: bool, desk_runs: Path) -> dict[str, Any]:
    """``--strategy`` as a StrategySpec payload (see the module docstring)."""
    raw = text.strip()
    if raw.endswith(".json") and Path(raw).exists():
        raw = Path(raw).read_text()
    if raw.startswith("{"):
        try:
            payload = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise InvalidArgumentError(f"--strategy is not valid JSON: {exc}") from exc
        if not isinstance(payload, dict):
            raise InvalidArgumentError("--strategy JSON must be an object with a 'kind'")
        return payload
    kind, _, rest = raw.partition(":")
    kind = kind.strip().lower()
    if kind == "factor" and rest.strip():
        return {"kind": "factor", "expression": rest.strip(), "universe": universe, "higher_is_better": not lowest_first}
    if kind in ("model", "lightgbm", "rl") :
        run_kind = "rl" if kind == "rl" else "qlib_model"
        run_id = rest.strip() or "latest"
        if run_id == "latest":
            run_id = _latest_run(desk_runs, run_kind, want_lightgbm=kind == "lightgbm")
        return {"kind": "rl_policy" if kind == "rl" else "qlib_model", "run_id": run_id}
    raise InvalidArgumentError(f"--strategy {text!r}: use factor:EXPR, model:RUN_ID, model:latest, rl:RUN_ID, "
                               "rl:latest, a JSON spec or a .json file")


def _latest_run(runs_dir: Path, kind: str, want_lightgbm: bool = False) -> str:
    from taorui_engines.runs import list_runs

    done = [r for r in list_runs(runs_dir, kind) if r.state == "done"]
    if want_lightgbm:
        done = [r for r in done if (runs_dir / r.run_id / "model_lightgbm.txt").exists()]
    if not done:
        command = "taorui rl train ..." if kind == "rl" else "taorui model train --model lightgbm ..."
        raise InvalidArgumentError(f"no finished {kind} run in this home to trade; train one first ({command})")
    return max(done, key=lambda r: r.run_id).run_id


def _person(given: str | None) -> str:
    from taorui.cli.risk import person_name

    return person_name(given)


def _new_spec(args: argparse.Namespace, ctx: AppContext) -> PortfolioSpec:
    from taorui_engines.trading import Construction, PortfolioSpec

    construction: dict[str, Any] = {}
    if args.top_k is not None:
        construction.update(select="top_k", top_k=args.top_k)
    if args.top_pct is not None:
        construction.update(select="top_pct", top_pct=args.top_pct)
    for field, value in (("max_weight", args.max_weight), ("cash_buffer", args.cash_buffer),
                         ("lot_size", args.lot)):
        if value is not None:
            construction[field] = value
    payload: dict[str, Any] = {
        "name": args.portfolio,
        "strategy": parse_strategy(args.strategy, args.universe, args.lowest_first, ctx.settings.runs_dir),
        "construction": Construction.model_validate(construction).model_dump(),
        "mode": args.mode or "supervised", "created": datetime.now(UTC), "created_by": _person(args.by)}
    for field, value in (("initial_cash", args.cash), ("commission_rate", args.commission),
                         ("slippage", args.slippage)):
        if value is not None:
            payload[field] = value
    return PortfolioSpec.model_validate(payload)


def event_line(event: TradingEvent, everything: bool = False) -> str | None:
    """The line a person sees for ``event`` while the cycle runs: what ``taorui trade run`` prints
    (a blocked or waiting order, a trading-state change); with ``everything`` a short line for
    every other event too (the console's stream), else None for those."""
    e: Any = event
    if event.type == "order_decided" and (everything or e.decision not in ("sent", "proposed_only")):
        reasons = "; ".join(r.message for r in e.reasons)[:140]
        return f"{e.day} {e.decision} {e.side} {e.qty:g} {e.symbol}" + (f": {reasons}" if reasons else "")
    if event.type == "risk_state_changed":
        return f"{e.day} trading state {e.before} -> {e.after}: {e.reason}"
    if not everything:
        return None
    if event.type == "data_updated":
        return f"{e.day} data through {e.data_through} ({e.market}); {e.fills_settled} fill(s) settled at the open"
    if event.type == "signal_produced":
        best = ", ".join(s for s, _ in e.top[:5])
        return f"{e.day} signal from {e.source}: {e.n_scored} names scored" + (f"; best {best}" if best else "")
    if event.type == "orders_proposed":
        return f"{e.day} {len(e.orders)} order(s) proposed ({e.mode}) for {len(e.targets)} target(s)"
    if event.type == "approval_requested":
        return f"{e.day} waits for a person: {e.side} {e.qty:g} {e.symbol} ({e.approval_kind} approval {e.approval_id})"
    if event.type == "order_filled":
        return f"{e.day} filled {e.side} {e.qty:g} {e.symbol} @ {e.price:,.4f} (commission {e.commission:,.2f})"
    if event.type == "order_cancelled":
        return f"{e.day} cancelled the unfilled {e.unfilled:g} {e.symbol}: {e.reason}"
    if event.type == "cycle_finished":
        return (f"{e.day} cycle {e.status}: value {e.value:,.0f}, cash {e.cash:,.0f}; {e.sent} sent, "
                f"{e.blocked} blocked, {e.pending} pending")
    return f"{e.day} {event.type}"


def _echo(json_mode: bool) -> Any:
    """Print the events a person should see while the cycle runs (stderr; nothing with --json)."""
    def show(event: TradingEvent) -> None:
        if json_mode:
            return
        line = event_line(event)
        if line:
            sys.stderr.write(line + "\n")
    return show


def _desk(ctx: AppContext) -> TradingDesk:
    return ctx.trading_desk


def cmd_run(args: argparse.Namespace, ctx: AppContext) -> int:
    """Make the portfolio if new, then run the window (or today's cycle)."""
    from graphs.trading._text import run_text

    desk = _desk(ctx)
    if args.portfolio not in desk.names():
        if not args.strategy:
            raise InvalidArgumentError(f"portfolio {args.portfolio!r} does not exist; give --strategy to make it")
        policy = Path(args.policy).read_text() if args.policy else None
        window = (args.start, args.end or args.start) if args.start else None
        desk.create(_new_spec(args, ctx), policy, window)
        ask = None
    else:
        spec = desk.spec(args.portfolio)
        if args.strategy:
            asked = parse_strategy(args.strategy, args.universe, args.lowest_first, ctx.settings.runs_dir)
            if asked != spec.strategy.model_dump(mode="json"):
                raise InvalidArgumentError(f"portfolio {args.portfolio!r} trades {spec.strategy_text()}; a portfolio's "
                                           "strategy is fixed: pick a new --portfolio name")
        ask = run_mode(spec, args.mode)
    if args.watch:
        return _watch(args, ctx, ask)
    if args.start is None:
        result = desk.run_live(args.portfolio, datetime.now(UTC), ask, on_event=_echo(args.json))
    else:
        result = desk.run(args.portfolio, args.start, args.end or args.start, ask, on_event=_echo(args.json))
    return emit(args, result, run_text(result))


def run_mode(spec: PortfolioSpec, mode: str | None) -> TradingMode | None:
    """The mode asked for one run of an existing portfolio (``--mode``): only a stricter one."""
    from taorui_engines.trading import TradingMode, stricter

    ask = TradingMode(mode) if mode else None
    if ask is not None and ask is not spec.mode and stricter(spec.mode, ask) is spec.mode:
        raise InvalidArgumentError(f"portfolio {spec.name!r} runs {spec.mode.value}; a run may only be "
                                   f"stricter (semi-auto < supervised < dry-run), not {ask.value}")
    return ask


def _watch(args: argparse.Namespace, ctx: AppContext, ask: Any) -> int:
    """The live scheduler: today's cycle now, then after every session close (exchange calendar)."""
    import time

    from graphs.trading._text import run_text
    from taorui_engines.trading import LiveSchedule

    desk = _desk(ctx)
    schedule = LiveSchedule(ctx.data, desk.market(args.portfolio))
    cycles = 0
    while True:
        result = desk.run_live(args.portfolio, datetime.now(UTC), ask, on_event=_echo(args.json))
        emit(args, result, run_text(result))
        cycles += 1
        wake = schedule.next_run(datetime.now(UTC))
        if wake is None:
            raise InvalidArgumentError(f"market {schedule.market!r} follows no exchange calendar: there is no next "
                                       "close to wait for; run `taorui trade run` when the store has a new bar")
        if args.max_cycles and cycles >= args.max_cycles:
            return 0
        sys.stderr.write(f"next cycle at {wake:%Y-%m-%d %H:%M} UTC (after {schedule.exchange}'s close)\n")
        time.sleep(max(1.0, (wake - datetime.now(UTC)).total_seconds()))


def cmd_approve(args: argparse.Namespace, ctx: AppContext) -> int:
    """A person's decision on the waiting orders; that day then finishes."""
    from graphs.trading._text import run_text

    orders: dict[str, bool] = {}
    for item in args.order:
        key, _, value = item.partition("=")
        if value.lower() not in ("yes", "no"):
            raise InvalidArgumentError(f"--order {item!r}: expected KEY=yes or KEY=no")
        orders[key] = value.lower() == "yes"
    decision = cycle_decision(bool(args.approve), _person(args.by), args.reason, orders)
    result = _desk(ctx).decide(args.portfolio, decision, on_event=_echo(args.json))
    text = run_text(result) + "\nContinue the replay with `taorui trade run --portfolio NAME --from .. --to ..` again."
    return emit(args, result, text)


def cmd_status(args: argparse.Namespace, ctx: AppContext) -> int:
    """Mode, state, account, what waits."""
    from graphs.trading._text import status_text

    status = _desk(ctx).status(args.portfolio)
    return emit(args, status, status_text(status))


def cmd_positions(args: argparse.Namespace, ctx: AppContext) -> int:
    """Positions at the last close."""
    status = _desk(ctx).status(args.portfolio)
    payload = {"portfolio": status.portfolio, "as_of": status.last_day, "cash": status.cash, "value": status.value,
               "positions": position_rows(status)}
    lines = [f"{s:10} {q:>10g} @ {p:>10,.2f} = {q * p:>14,.0f}" for s, (q, p) in sorted(status.positions.items())]
    text = "\n".join([f"{status.portfolio} at {status.last_day}: cash {status.cash:,.0f}, value {status.value:,.0f}",
                      *lines])
    return emit(args, payload, text)


def position_rows(status: PortfolioStatus) -> list[dict[str, Any]]:
    """The positions of ``status`` as rows (symbol, qty, close, value), by symbol (also the console's)."""
    return [{"symbol": s, "qty": q, "close": p, "value": q * p} for s, (q, p) in sorted(status.positions.items())]


def cycle_decision(approve: bool, by: str, reason: str, orders: dict[str, bool] | None = None) -> CycleDecision:
    """A person's decision on a portfolio's waiting orders (``trade approve``; also the console's)."""
    from graphs.trading import CycleDecision

    if not approve and not reason.strip():
        raise InvalidArgumentError("a rejection needs a reason (--reason)")
    return CycleDecision(approve=approve, by=by, reason=reason, orders=orders or {})


def cmd_history(args: argparse.Namespace, ctx: AppContext) -> int:
    """Every finished day and every order's decision."""
    journal = _desk(ctx).journal(args.portfolio)
    days, decisions = journal.days(), journal.decisions()
    payload = {"portfolio": args.portfolio, "days": days, "decisions": decisions, "fills": journal.fills(),
               "cancelled": journal.cancels(), "risk_state_changes": journal.risk_changes()}
    by_day: dict[date, list[str]] = {}
    for d in decisions:
        by_day.setdefault(d.day, []).append(f"{d.decision} {d.side} {d.qty:g} {d.symbol}")
    lines = [f"{d.day} value {d.value:,.0f} cash {d.cash:,.0f} | " + ", ".join(by_day.get(d.day, ["no orders"]))
             for d in days]
    return emit(args, payload, "\n".join(lines) or "no finished day yet")


def cmd_report(args: argparse.Namespace, ctx: AppContext) -> int:
    """The report."""
    from graphs.trading._text import report_text

    report = _desk(ctx).report(args.portfolio)
    return emit(args, report, report_text(report))


def cmd_explain(args: argparse.Namespace, ctx: AppContext) -> int:
    """Why the strategy picked names."""
    from graphs.trading._text import explanation_text

    items = _desk(ctx).explain(args.portfolio, args.date, args.symbol)
    return emit(args, {"explanations": items}, explanation_text(items, args.lang))


def cmd_risk(args: argparse.Namespace, ctx: AppContext) -> int:
    """Show, halt or resume a portfolio's trading state (a person's act, audited)."""
    gate = _desk(ctx).gate(args.portfolio)
    if args.halt or args.resume:
        if not args.reason.strip():
            raise InvalidArgumentError("--halt and --resume need --reason")
        if args.halt:
            gate.halt(args.reason, _person(args.by))
        else:
            gate.resume(args.reason, _person(args.by))
    status = gate.status()
    text = (f"{args.portfolio}: trading {status.state.value} ({status.state_reason or 'no reason recorded'}); "
            f"drawdown {status.drawdown_pct or 0:.2f}% from the high-water mark")
    return emit(args, status, text)


def cmd_list(args: argparse.Namespace, ctx: AppContext) -> int:
    """Portfolios."""
    desk = _desk(ctx)
    specs = [desk.spec(n) for n in desk.names()]
    payload = {"portfolios": [{"name": s.name, "strategy": s.strategy_text(), "mode": s.mode.value} for s in specs]}
    text = "\n".join(f"{s.name}: {s.strategy_text()} ({s.mode.value})" for s in specs) or "no portfolios yet"
    return emit(args, payload, text)
