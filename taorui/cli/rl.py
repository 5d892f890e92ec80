"""``taorui rl ...``: train, evaluate and ask reinforcement-learning trading policies."""

from __future__ import annotations

import argparse

from pydantic import ValidationError

from taorui.cli._common import add_json_flag, emit, parse_span
from taorui.wiring import AppContext
from taorui_engines.errors import InvalidArgumentError
from taorui_engines.rl import (
    ALGOS,
    DateSpan,
    EnvSettings,
    NextAction,
    PerformanceMetrics,
    RLEvalResult,
    RLRunResult,
    RLTrainRequest,
    SeedRunsResult,
    evaluate_agent,
    next_action,
    train_agent,
    train_seeds,
)
from tools._base import format_validation_error

__all__ = ["register"]


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the ``rl`` group."""
    rl = sub.add_parser("rl", help="reinforcement-learning trading: train, evaluate, act")
    cmds = rl.add_subparsers(dest="cmd", required=True, parser_class=type(rl))

    p = cmds.add_parser("train", help="train a policy, backtest it against buy-and-hold, suggest the next action")
    p.add_argument("--asset", required=True, help="symbol (GOLD, SP500, SYN001, ...) or comma-separated symbols")
    p.add_argument("--algo", default="ppo", choices=list(ALGOS), help="SB3 algorithm (default ppo)")
    p.add_argument("--timesteps", type=int, default=5000, help="training steps (default 5000)")
    p.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    p.add_argument("--seeds", type=_seed_list,
                   help="several seeds, e.g. 1,2,3: one run each (in parallel on Ray when TAORUI_RAY_ADDRESS is set)")
    p.add_argument("--n-envs", type=int, default=1,
                   help="one asset, ppo/a2c: envs stepped together in one numpy batch (default 1, the classic run)")
    p.add_argument("--train", type=parse_span, help="training window START:END (default: 4 years before test)")
    p.add_argument("--test", type=parse_span, help="test window START:END (default: the last year of data)")
    p.add_argument("--valid", type=parse_span, help="validation window START:END for early stopping")
    p.add_argument("--cost", type=float, default=0.001, help="cost per side, fraction of traded value (default 0.001)")
    p.add_argument("--initial-cash", type=float, default=1_000_000.0, help="starting cash (default 1,000,000)")
    p.add_argument("--lot-size", type=int, default=1, help="one asset: units per lot (default 1)")
    p.add_argument("--allow-short", action="store_true", help="one asset: allow short positions")
    p.add_argument("--max-trade-shares", type=int, help="portfolio: most shares per asset per day (FinRL hmax)")
    add_json_flag(p)
    p.set_defaults(func=cmd_train)

    p = cmds.add_parser("act", help="the trained policy's suggestion on the latest data (places no order)")
    p.add_argument("--run", required=True, help="run id of a finished `taorui rl train`")
    add_json_flag(p)
    p.set_defaults(func=cmd_act)

    p = cmds.add_parser("evaluate", help="replay a trained policy on a window against buy-and-hold")
    p.add_argument("--run", required=True, help="run id of a finished `taorui rl train`")
    p.add_argument("--test", type=parse_span, help="window START:END (default: the run's test window)")
    add_json_flag(p)
    p.set_defaults(func=cmd_evaluate)


def _span(value: tuple[str, str] | None) -> DateSpan | None:
    return None if value is None else DateSpan(start=value[0], end=value[1])  # type: ignore[arg-type]


def _request(args: argparse.Namespace) -> RLTrainRequest:
    """The engine request; invalid values become one readable InvalidArgument error."""
    try:
        env = EnvSettings(
            initial_cash=args.initial_cash, cost_pct=args.cost, lot_size=args.lot_size,
            allow_short=args.allow_short, max_trade_shares=args.max_trade_shares,
        )
        assets = tuple(a.strip() for a in args.asset.split(",") if a.strip())
        return RLTrainRequest(
            assets=assets, algo=args.algo, timesteps=args.timesteps, seed=args.seed,
            train=_span(args.train), test=_span(args.test), valid=_span(args.valid), env=env, n_envs=args.n_envs,
        )
    except ValidationError as exc:
        raise InvalidArgumentError(format_validation_error(exc)) from exc


def _metrics_line(label: str, m: PerformanceMetrics) -> str:
    sharpe = "n/a" if m.sharpe is None else f"{m.sharpe:.2f}"
    return (f"  {label:<13} return {m.cumulative_return:+.2%}  annual {m.annualized_return:+.2%}  "
            f"vol {m.annualized_volatility:.2%}  Sharpe {sharpe}  max DD {m.max_drawdown:.2%}  "
            f"trades {m.n_trades}  exposure {m.exposure:.0%}")


def _action_text(action: NextAction) -> str:
    if action.position is not None:
        head = (f"next action ({action.for_period}): {action.direction} {action.position:g} {action.unit} "
                f"(change {action.change:+g})")
    else:
        legs = ", ".join(f"{leg.symbol} {leg.change:+g}" for leg in action.legs)
        head = f"next action ({action.for_period}): {legs}"
    return f"{head}\n  {action.rationale}"


def _train_text(r: RLRunResult) -> str:
    synthetic = "  [SYNTHETIC data]" if r.synthetic else ""
    return "\n".join([
        f"run {r.run_id}: {r.algo.upper()} on {r.asset}{synthetic}",
        f"  train {r.train.label()}  test {r.test.label()}  ({r.split_note}); "
        f"{r.trained_timesteps} steps; costs {r.costs}",
        _metrics_line("strategy", r.metrics),
        _metrics_line("buy and hold", r.benchmark),
        *[f"  caveat [{c.code}]: {c.en}" for c in r.caveats],
        f"  equity {r.equity_csv}\n  picture {r.equity_png}",
        _action_text(r.next_action),
    ])


def _seed_list(text: str) -> tuple[int, ...]:
    try:
        seeds = tuple(int(s) for s in text.split(",") if s.strip())
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"seeds are whole numbers separated by commas, got {text!r}") from exc
    if not seeds:
        raise argparse.ArgumentTypeError("give at least one seed")
    return seeds


def cmd_train(args: argparse.Namespace, ctx: AppContext) -> int:
    """Train, backtest and suggest (once per seed with ``--seeds``)."""
    if args.seeds:
        runs = train_seeds(ctx.data, ctx.settings.runs_dir, _request(args), args.seeds, ctx.progress,
                           ray_address=ctx.settings.ray_address)
        emit(args, runs, _seeds_text(runs))
        return 1 if runs.failed else 0
    result = train_agent(ctx.data, ctx.settings.runs_dir, _request(args), ctx.progress)
    return emit(args, result, _train_text(result))


def _seeds_text(r: SeedRunsResult) -> str:
    where = "in parallel on Ray" if r.executor == "ray" else "one after another in this process"
    lines = [f"{len(r.seeds)} seed(s) {where}: {len(r.runs)} finished, {len(r.failed)} failed"]
    for run in r.runs:
        lines += ["", _train_text(run)]
    lines += [f"FAILED seed {f.seed} (run {f.run_id}): {f.error}" for f in r.failed]
    return "\n".join(lines)


def cmd_act(args: argparse.Namespace, ctx: AppContext) -> int:
    """Print the next action of a trained run."""
    action = next_action(ctx.data, ctx.settings.runs_dir, args.run)
    return emit(args, action, _action_text(action))


def _eval_text(r: RLEvalResult) -> str:
    warning = "  (window overlaps training: in-sample)" if r.overlaps_training else ""
    return "\n".join([
        f"run {r.run_id}: {r.algo.upper()} policy of {r.model_run_id} on {','.join(r.assets)}, "
        f"{r.test.label()}{warning}",
        _metrics_line("strategy", r.metrics),
        _metrics_line("buy and hold", r.benchmark),
        f"  equity {r.equity_csv}\n  picture {r.equity_png}",
    ])


def cmd_evaluate(args: argparse.Namespace, ctx: AppContext) -> int:
    """Replay a trained policy on a window."""
    try:
        span = _span(args.test)
    except ValidationError as exc:
        raise InvalidArgumentError(format_validation_error(exc)) from exc
    result = evaluate_agent(ctx.data, ctx.settings.runs_dir, args.run, span)
    return emit(args, result, _eval_text(result))
