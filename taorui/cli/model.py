"""``taorui model ...``: train a Qlib model (with its backtest), backtest a signal."""

from __future__ import annotations

import argparse
from datetime import date
from typing import TYPE_CHECKING

from taorui.cli._common import add_json_flag, emit, parse_span, validated
from taorui.wiring import AppContext

# Qlib loads when a subcommand runs, not to build the parser: types only here.
if TYPE_CHECKING:
    from taorui_engines.qlib_engine import (
        BacktestConfig,
        BacktestMetrics,
        SignalBacktestResult,
        TrainConfig,
        TrainResult,
        UniverseRunsResult,
    )

__all__ = ["register"]


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the ``model`` group."""
    model = sub.add_parser("model", help="Qlib models: train (and backtest), backtest a signal")
    cmds = model.add_subparsers(dest="cmd", required=True, parser_class=type(model))

    p = cmds.add_parser("train", help="train, predict the test window, evaluate IC, backtest TopkDropout")
    p.add_argument("--model", default="lightgbm", choices=["lightgbm", "linear", "mlp"])
    p.add_argument("--features", default="alpha158", choices=["alpha158", "alpha360", "custom", "alpha158+custom"])
    p.add_argument("--expr", action="append", default=[], metavar="EXPR",
                   help="a feature expression (repeat; needs --features custom or alpha158+custom)")
    p.add_argument("--universe", action="append", default=None, metavar="UNIVERSE",
                   help="universe name or comma-separated symbols (default csi_syn); repeat to train one run per "
                        "universe (one Ray task each when TAORUI_RAY_ADDRESS is set)")
    p.add_argument("--train", required=True, type=parse_span, help="START:END")
    p.add_argument("--valid", required=True, type=parse_span, help="START:END (after train)")
    p.add_argument("--test", required=True, type=parse_span, help="START:END (after valid)")
    p.add_argument("--label-horizon", type=int, default=1, help="label: return over h days from t+1 (default 1)")
    p.add_argument("--num-boost-round", type=int, default=200, help="LightGBM: most trees (default 200)")
    p.add_argument("--epochs", type=int, default=20, help="MLP: epochs (default 20)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--no-backtest", action="store_true", help="skip the TopkDropout backtest")
    _portfolio_args(p)
    add_json_flag(p)
    p.set_defaults(func=cmd_train)

    p = cmds.add_parser("backtest", help="TopkDropout backtest of a model run's predictions or of a factor")
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--run", help="run id of a finished `taorui model train`")
    source.add_argument("--expr", help="a factor expression as the signal (higher is bought)")
    p.add_argument("--universe", help="universe for --expr")
    p.add_argument("--start", type=date.fromisoformat, help="first day (default: the predictions' first)")
    p.add_argument("--end", type=date.fromisoformat, help="last day (default: the predictions' last)")
    _portfolio_args(p)
    add_json_flag(p)
    p.set_defaults(func=cmd_backtest)


def _portfolio_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--topk", type=int, default=30, help="names held (default 30)")
    p.add_argument("--n-drop", type=int, default=3, help="most names swapped per day (default 3)")
    p.add_argument("--open-cost", type=float, default=0.0005, help="buy cost (default 0.0005)")
    p.add_argument("--close-cost", type=float, default=0.0015, help="sell cost (default 0.0015)")
    p.add_argument("--min-cost", type=float, default=5.0, help="smallest cost per order (default 5)")
    p.add_argument("--limit-threshold", type=float, help="no trading past this daily move (default: market's)")


def _portfolio(args: argparse.Namespace) -> BacktestConfig:
    from taorui_engines.qlib_engine import BacktestConfig

    return validated(lambda: BacktestConfig(
        topk=args.topk, n_drop=args.n_drop, open_cost=args.open_cost, close_cost=args.close_cost,
        min_cost=args.min_cost, limit_threshold=args.limit_threshold,
    ))


def _universe(text: str) -> str | tuple[str, ...]:
    parts = tuple(s.strip() for s in text.split(",") if s.strip())
    return parts[0] if len(parts) == 1 else parts


def cmd_train(args: argparse.Namespace, ctx: AppContext) -> int:
    """Train and print the run, the test metrics and the backtest."""
    from taorui_engines.qlib_engine import ModelParams, TrainConfig, train_model

    universes = [_universe(u) for u in args.universe or ["csi_syn"]]
    config = validated(lambda: TrainConfig(
        model=args.model, features=args.features, expressions=tuple(args.expr),
        universe=universes[0], train=args.train, valid=args.valid, test=args.test,
        label_horizon=args.label_horizon,
        params=ModelParams(seed=args.seed, num_boost_round=args.num_boost_round, epochs=args.epochs),
        backtest=None if args.no_backtest else _portfolio(args),
    ))
    if len(universes) > 1:
        return _train_universes(args, ctx, config, universes)
    result = train_model(ctx.data, config, ctx.settings.runs_dir, ctx.progress)
    return emit(args, result.model_dump(mode="json"), _train_text(result))


def _train_universes(args: argparse.Namespace, ctx: AppContext, config: TrainConfig,
                     universes: list[str | tuple[str, ...]]) -> int:
    """One run per universe (on Ray when an address is configured); exit 1 if any failed."""
    from taorui_engines.qlib_engine import train_universes

    result = train_universes(ctx.data, config, universes, ctx.settings.runs_dir, ctx.progress,
                             ray_address=ctx.settings.ray_address)
    code = emit(args, result.model_dump(mode="json"), _universes_text(result))
    return code if not result.failed else 1


def _universes_text(r: UniverseRunsResult) -> str:
    parts = [f"{len(r.runs)} of {len(r.universes)} universe(s) trained ({r.executor})"]
    parts += [f"\n== {run.universe} ==\n{_train_text(run)}" for run in r.runs]
    parts += [f"FAILED {f.universe}: {f.error}" for f in r.failed]
    return "\n".join(parts)


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:+.2%}"


def _num(value: float | None, digits: int = 3) -> str:
    return "n/a" if value is None else f"{value:+.{digits}f}"


def _backtest_lines(m: BacktestMetrics) -> list[str]:
    return [
        f"backtest {m.start}..{m.end} ({m.n_days} days), TopkDropout vs equal-weight universe:",
        f"  annualized return {_pct(m.annualized_return)} without cost, {_pct(m.annualized_return_with_cost)} with "
        f"(benchmark {_pct(m.benchmark_annualized_return)})",
        f"  information ratio {_num(m.information_ratio)} without cost, {_num(m.information_ratio_with_cost)} with",
        f"  max drawdown {_pct(m.max_drawdown)} / {_pct(m.max_drawdown_with_cost)} with cost; "
        f"daily turnover {m.turnover:.1%}; costs {m.total_cost:.2%} of the account",
    ]


def _train_text(r: TrainResult) -> str:
    seg = "  ".join(f"{k} {a}..{b}" for k, (a, b) in r.segments.items())
    note = "  [SYNTHETIC data]" if r.synthetic else ""
    m = r.metrics
    lines = [
        f"{r.model} on {r.features} ({r.n_features} features), {r.universe} ({r.n_symbols} symbols){note}",
        f"segments: {seg}", f"label: {r.label}",
        f"test IC {_num(m.ic, 4)} (ICIR {_num(m.icir)}), Rank IC {_num(m.rank_ic, 4)} (ICIR {_num(m.rank_icir)}) "
        f"over {m.n_test_days} days",
    ]
    if r.backtest is not None:
        lines += _backtest_lines(r.backtest)
    lines += [f"caveat [{c.code}]: {c.en}" for c in r.caveats]
    lines.append(f"run {r.run_id}: {r.run_dir}")
    return "\n".join(lines)


def cmd_backtest(args: argparse.Namespace, ctx: AppContext) -> int:
    """Backtest a saved signal."""
    from taorui_engines.qlib_engine import SignalBacktestRequest, backtest_signal

    request = validated(lambda: SignalBacktestRequest(
        run_id=args.run, expression=args.expr,
        universe=_universe(args.universe) if args.universe else None,
        start=args.start, end=args.end, config=_portfolio(args),
    ))
    result = backtest_signal(ctx.data, request, ctx.settings.runs_dir, ctx.progress)
    return emit(args, result.model_dump(mode="json"), _backtest_text(result))


def _backtest_text(r: SignalBacktestResult) -> str:
    note = "  [SYNTHETIC data]" if r.synthetic else ""
    lines = [f"signal: {r.source} on {r.universe}{note}", *_backtest_lines(r.metrics), f"run {r.run_id}: {r.run_dir}"]
    return "\n".join(lines)
