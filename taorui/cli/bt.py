"""``taorui bt ...``: list strategies, backtest one, search its parameters."""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path
from typing import Any

from taorui.cli._common import add_json_flag, emit
from taorui.wiring import AppContext
from taorui_engines.backtest import (
    STRATEGIES,
    BacktestResult,
    BacktestSpec,
    OptimizeResult,
    OptimizeSpec,
    Sizing,
    list_strategies,
    optimize,
    parse_grid,
    read_signal_file,
    run_backtest,
)
from taorui_engines.errors import InvalidArgumentError

__all__ = ["register"]

_METRICS = ["sharpe", "sortino", "calmar", "total_return", "annualized_return", "final_value", "max_drawdown"]


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the ``bt`` group."""
    bt = sub.add_parser("bt", help="Backtrader strategies: list, backtest, optimize")
    cmds = bt.add_subparsers(dest="cmd", required=True, parser_class=type(bt))

    p = cmds.add_parser("strategies", help="strategies with their parameters and ranges")
    add_json_flag(p)
    p.set_defaults(func=cmd_strategies)

    p = cmds.add_parser("run", help="backtest one strategy (signal at close, fill at next open)")
    _common_args(p)
    p.add_argument("--sizing", choices=["fixed_units", "percent_equity", "target_weight"],
                   help="position sizing (default percent_equity; target_weight for signal)")
    p.add_argument("--size", type=float, help="units for fixed_units, else fraction of equity (0-1]")
    p.add_argument("--stop-loss", type=float, help="exit when a close is this fraction below entry, e.g. 0.05")
    p.add_argument("--take-profit", type=float, help="exit when a close is this fraction above entry, e.g. 0.2")
    p.add_argument("--lot-size", type=int, help="units per lot (default 100 in cn-region markets, else 1)")
    p.add_argument("--signals", type=Path, help="signal strategy: CSV of weights/scores (tidy or wide)")
    add_json_flag(p)
    p.set_defaults(func=cmd_run)

    p = cmds.add_parser("optimize", help="grid search in-sample, ranked, with out-of-sample results")
    _common_args(p)
    p.add_argument("--grid", required=True, help="e.g. fast=5:20:5,slow=20:60:10 (inclusive) or fast=5/10/20")
    p.add_argument("--oos-start", required=True, type=date.fromisoformat, help="out-of-sample start YYYY-MM-DD")
    p.add_argument("--oos-end", required=True, type=date.fromisoformat, help="out-of-sample end YYYY-MM-DD")
    p.add_argument("--metric", default="sharpe", choices=_METRICS, help="ranking metric (default sharpe)")
    p.add_argument("--top", type=int, default=10, help="how many of the best get an out-of-sample run")
    p.add_argument("--workers", type=int, help="processes (default: as many as the work pays for, up to the CPU count)")
    add_json_flag(p)
    p.set_defaults(func=cmd_optimize)


def _common_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--strategy", required=True, choices=list(STRATEGIES), help="strategy name")
    p.add_argument("--symbols", required=True, help="comma-separated symbols or a universe name")
    p.add_argument("--params", default="", help="strategy parameters, e.g. fast=10,slow=30")
    p.add_argument("--start", required=True, type=date.fromisoformat, help="window start YYYY-MM-DD")
    p.add_argument("--end", required=True, type=date.fromisoformat, help="window end YYYY-MM-DD")
    p.add_argument("--cash", type=float, default=100_000.0, help="starting cash (default 100000)")
    p.add_argument("--commission", type=float, default=0.001, help="fraction of traded value (default 0.001)")
    p.add_argument("--slippage", type=float, default=0.0005, help="fraction of the fill price (default 0.0005)")


def parse_params(text: str) -> dict[str, str]:
    """``"fast=10,slow=30"`` -> {"fast": "10", "slow": "30"} (the strategy's model types them)."""
    out: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, sep, value = part.partition("=")
        if not sep or not name.strip() or not value.strip():
            raise InvalidArgumentError(f"parameters look like name=value,name=value; got {part!r}")
        out[name.strip()] = value.strip()
    return out


def _spec(args: argparse.Namespace, **extra: Any) -> BacktestSpec:
    symbols = tuple(s.strip() for s in args.symbols.split(",") if s.strip())
    return BacktestSpec(strategy=args.strategy, params=parse_params(args.params), symbols=symbols,
                        start=args.start, end=args.end, cash=args.cash, commission=args.commission,
                        slippage=args.slippage, **extra)


def cmd_strategies(args: argparse.Namespace, ctx: AppContext) -> int:
    """Print the catalog."""
    strategies = list_strategies()
    lines = []
    for s in strategies:
        params = s["params"]
        assert isinstance(params, dict)
        shown = ", ".join(f"{k}={v['default']} [{v['min']}..{v['max']}]" for k, v in params.items())
        lines.append(f"{s['name']:<20} {s['description']}\n{'':<20} {shown or '(no parameters)'}")
    return emit(args, {"strategies": strategies}, "\n".join(lines))


def _sizing(args: argparse.Namespace) -> Sizing | None:
    if args.sizing is None:
        if args.size is not None:
            raise InvalidArgumentError("--size needs --sizing")
        return None
    if args.sizing == "fixed_units":
        return Sizing(kind="fixed_units", units=args.size)
    return Sizing(kind=args.sizing, fraction=args.size if args.size is not None else 1.0)


def cmd_run(args: argparse.Namespace, ctx: AppContext) -> int:
    """Run one backtest and print its headline numbers."""
    spec = _spec(args, sizing=_sizing(args), stop_loss=args.stop_loss, take_profit=args.take_profit,
                 lot_size=args.lot_size)
    signals = read_signal_file(args.signals) if args.signals is not None else None
    if spec.strategy == "signal" and signals is None:
        raise InvalidArgumentError("the signal strategy needs --signals FILE.csv")
    result = run_backtest(spec, ctx.data, ctx.settings.runs_dir, signals=signals, progress=ctx.progress,
                          signal_source=str(args.signals) if args.signals else None)
    payload = _run_payload(result)
    return emit(args, payload, _run_text(result))


def _run_payload(result: BacktestResult) -> dict[str, Any]:
    m = result.metrics
    return {
        "run_id": result.run_id, "run_dir": result.run_dir,
        **m.model_dump(),
        "strategy": result.spec.strategy, "params": result.spec.params, "symbols": list(result.symbols),
        "synthetic_symbols": list(result.synthetic_symbols),
        "first_day": result.first_day.isoformat(), "last_day": result.last_day.isoformat(),
        "trades": [{"symbol": t.symbol, "entry_date": t.entry_date.isoformat(),
                    "exit_date": t.exit_date.isoformat() if t.exit_date else None,
                    "size": t.size, "pnl": t.pnl} for t in result.trades],
        "equity_csv": result.equity_csv, "equity_png": result.equity_png, "trades_csv": result.trades_csv,
        "fill_rule": result.fill_rule,
        "benchmark": result.benchmark.model_dump() if result.benchmark is not None else None,
        "relative": result.relative,
        "caveats": [c.model_dump(mode="json") for c in result.caveats],
    }


def _fmt(value: float | None, pct: bool = True) -> str:
    if value is None:
        return "n/a"
    return f"{value:.2%}" if pct else f"{value:.2f}"


def _run_text(result: BacktestResult) -> str:
    m = result.metrics
    synthetic = f"\nSYNTHETIC data: {', '.join(result.synthetic_symbols)}" if result.synthetic_symbols else ""
    return (
        f"{result.spec.strategy} {result.spec.params} on {', '.join(result.symbols[:8])} "
        f"{result.first_day}..{result.last_day}{synthetic}\n"
        f"final value {m.final_value:,.2f}  total {_fmt(m.total_return)}  annual {_fmt(m.annualized_return)}  "
        f"vol {_fmt(m.volatility)}\n"
        f"Sharpe {_fmt(m.sharpe, False)}  Sortino {_fmt(m.sortino, False)}  max drawdown {_fmt(m.max_drawdown)} "
        f"({m.max_drawdown_duration} bars)  Calmar {_fmt(m.calmar, False)}\n"
        f"trades {m.n_trades} (closed {m.n_closed_trades}, win rate {_fmt(m.win_rate)})  exposure {_fmt(m.exposure)}"
        f"  commission {m.commission_paid:,.2f}\n"
        f"fills: {result.fill_rule}\nrun {result.run_id}: {result.equity_png}"
        + _against_text(result)
    )


def _against_text(result: BacktestResult) -> str:
    """Buy and hold beside the strategy, and what to read the result by."""
    lines = []
    if result.benchmark is not None and result.benchmark is not result.metrics:
        b, rel = result.benchmark, result.relative
        t = rel.get("excess_t")
        lines.append(f"buy and hold (same symbols, window, costs): total {_fmt(b.total_return)}  Sharpe "
                     f"{_fmt(b.sharpe, False)}  max drawdown {_fmt(b.max_drawdown)}; excess {_fmt(rel.get('excess_total_return'))}"
                     f", IR {_fmt(rel.get('information_ratio'), False)}, t {_fmt(t, False)} (Newey-West)")
    lines += [f"caveat [{c.code}]: {c.en}" for c in result.caveats]
    return ("\n" + "\n".join(lines)) if lines else ""


def cmd_optimize(args: argparse.Namespace, ctx: AppContext) -> int:
    """Grid search with an out-of-sample check."""
    spec = OptimizeSpec(base=_spec(args), grid=parse_grid(args.grid), oos_start=args.oos_start,
                        oos_end=args.oos_end, metric=args.metric, top=args.top, workers=args.workers)
    result = optimize(spec, ctx.data, ctx.settings.runs_dir, progress=ctx.progress,
                      ray_address=ctx.settings.ray_address)
    payload = result.model_dump(mode="json")
    return emit(args, payload, _optimize_text(result))


def _optimize_text(result: OptimizeResult) -> str:
    metric = result.metric
    lines = [
        f"{result.strategy}: {result.n_combos} combinations ({result.n_invalid} invalid, {result.n_failed} failed) "
        f"on {result.workers} {'Ray CPU(s)' if result.executor == 'ray' else 'process(es)'}, "
        f"ranked by in-sample {metric}",
        f"in-sample {result.in_sample[0]}..{result.in_sample[1]}   "
        f"out-of-sample {result.out_of_sample[0]}..{result.out_of_sample[1]}",
    ]
    if result.screened:
        lines.append(f"a vectorised screen ordered all {result.n_combos - result.n_invalid} points; the best "
                     f"{len(result.ranking) + result.n_failed} ran on Backtrader and only those are ranked "
                     f"(every point's screened {metric}: {result.screen_csv})")
    if result.synthetic_symbols:
        lines.append(f"SYNTHETIC data: {', '.join(result.synthetic_symbols[:8])}")
    lines += [f"FAILED ({f.window.replace('_', '-')}) {f.params}: {f.error}" for f in result.failed]
    for r in result.ranking:
        if r.out_of_sample is None:
            break
        lines.append(f"#{r.rank:<3} {r.params}  IS {metric} {_value(r.in_sample, metric)}  "
                     f"OOS {metric} {_value(r.out_of_sample, metric)}  OOS return {_fmt(r.out_of_sample.total_return)}")
    b = result.benchmark_out_of_sample
    if b is not None:
        lines.append(f"buy and hold out-of-sample (same costs): {metric} {_value(b, metric)}  return {_fmt(b.total_return)}")
    lines += [f"caveat [{c.code}]: {c.en}" for c in result.caveats]
    lines.append(f"run {result.run_id}: {result.results_csv}")
    return "\n".join(lines)


def _value(metrics: Any, name: str) -> str:
    value = getattr(metrics, name)
    return "n/a" if value is None else f"{value:.3f}"
