"""A backtest as a run: read bars, simulate, write the run folder (tables, metrics, picture)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pandas as pd

from taorui_engines.backtest._bars import BarSet, load_bars
from taorui_engines.backtest._engine import SimOutput, simulate
from taorui_engines.backtest._metrics import drawdown, returns
from taorui_engines.backtest._models import FILL_RULE, BacktestResult, BacktestSpec
from taorui_engines.backtest._params import SignalParams, validate_params
from taorui_engines.backtest._plots import plot_equity
from taorui_engines.backtest._signals import target_weights
from taorui_engines.caveats import Caveat, backtest_caveats
from taorui_engines.data import DataCenter
from taorui_engines.errors import InvalidArgumentError
from taorui_engines.progress import ProgressReporter
from taorui_engines.runs import RunFolder

__all__ = ["RUN_KIND", "run_backtest"]

logger = logging.getLogger(__name__)

RUN_KIND = "backtest"


def run_backtest(
    spec: BacktestSpec,
    data: DataCenter,
    runs_dir: Path | None = None,
    signals: pd.DataFrame | None = None,
    progress: ProgressReporter | None = None,
    signal_source: str | None = None,
) -> BacktestResult:
    """Backtest ``spec`` on the data center's bars; with ``runs_dir``, leave a run folder.

    Input problems (unknown symbols, empty windows, bad signals) are raised before any
    folder exists; a failure after that marks the folder failed with the reason.
    """
    params = validate_params(spec.strategy, spec.params)
    bars = load_bars(data, spec.symbols, spec.start, spec.end, params.lookback())
    if isinstance(params, SignalParams):
        _check_signals(signals, params, bars)
    if runs_dir is None:
        out = simulate(spec, bars, signals, progress=progress)
        return _result(spec, bars, out, None, _benchmark(spec, bars, out))
    run = RunFolder.create(runs_dir, RUN_KIND, _config(spec, bars, signal_source), bars.run_inputs())
    try:
        out = simulate(spec, bars, signals, progress=progress)
        result = _result(spec, bars, out, run, _benchmark(spec, bars, out))
        run.finish()
    except BaseException as exc:
        run.fail(exc)
        raise
    logger.info("backtest %s: %s final value %.2f", run.run_id, spec.strategy, result.metrics.final_value)
    return result


def _check_signals(signals: pd.DataFrame | None, params: SignalParams, bars: BarSet) -> None:
    """Refuse bad signals before a run folder exists (the engine converts them again)."""
    if signals is None:
        raise InvalidArgumentError("the signal strategy needs a signal frame (dates x symbols)")
    target_weights(signals, params, bars)


def _config(spec: BacktestSpec, bars: BarSet, signal_source: str | None) -> dict[str, Any]:
    return {
        **spec.model_dump(mode="json"),
        "engine": "backtrader",
        "fill_rule": FILL_RULE,
        "market": bars.market,
        "warmup_start": bars.warmup_start.isoformat(),
        "synthetic_symbols": list(bars.synthetic),
        "signal_source": signal_source,
    }


def _benchmark(spec: BacktestSpec, bars: BarSet, out: SimOutput) -> SimOutput:
    """Buy and hold of the same symbols over the same window with the same cash, costs and lots:
    the yardstick every backtest is read against (the run itself when it is buy and hold)."""
    if spec.strategy == "buy_and_hold":
        return out
    held = spec.model_copy(update={"strategy": "buy_and_hold", "params": {}, "sizing": None, "stop_loss": None,
                                   "take_profit": None})
    return simulate(BacktestSpec.model_validate(held.model_dump()), bars, None)


def _relative(spec: BacktestSpec, out: SimOutput, bench: SimOutput) -> dict[str, float | None]:
    """Excess over the benchmark and whether it is more than noise (taorui_engines.metrics)."""
    from taorui_engines import metrics as pm

    mine = pd.concat([pd.Series([spec.cash]), out.equity["value"].reset_index(drop=True)], ignore_index=True)
    theirs = pd.concat([pd.Series([spec.cash]), bench.equity["value"].reset_index(drop=True)], ignore_index=True)
    return pm.relative_summary(mine, theirs)


def _result(spec: BacktestSpec, bars: BarSet, out: SimOutput, run: RunFolder | None,
            bench: SimOutput | None = None) -> BacktestResult:
    relative = _relative(spec, out, bench) if bench is not None and bench is not out else {}
    caveats = backtest_caveats(out.metrics.model_dump(), bench.metrics.model_dump() if bench is not None and
                               bench is not out else None, relative)
    files = _write_files(spec, bars, out, run, bench, relative, caveats) if run is not None else {}
    return BacktestResult(
        benchmark=bench.metrics if bench is not None else None, relative=relative, caveats=caveats,
        run_id=run.run_id if run else None,
        run_dir=str(run.path) if run else None,
        spec=spec,
        metrics=out.metrics,
        trades=out.trades,
        symbols=bars.symbols,
        synthetic_symbols=bars.synthetic,
        first_day=out.equity.index[0].date(),
        last_day=out.equity.index[-1].date(),
        warmup_start=bars.warmup_start,
        lot_size=out.lot,
        **files,
    )


def _write_files(spec: BacktestSpec, bars: BarSet, out: SimOutput, run: RunFolder, bench: SimOutput | None,
                 relative: dict[str, float | None], caveats: list[Caveat]) -> dict[str, str]:
    equity = out.equity.copy()
    equity["return"] = returns(equity["value"], spec.cash)
    equity["drawdown"] = drawdown(equity["value"], spec.cash)
    if bench is not None:
        equity["benchmark_value"] = bench.equity["value"].reindex(equity.index).to_numpy()
    equity.to_csv(run.file("equity.csv"), date_format="%Y-%m-%d")
    pd.DataFrame([t.model_dump(mode="json") for t in out.trades]).to_csv(run.file("trades.csv"), index=False)
    out.fills.to_csv(run.file("fills.csv"), index=False)
    plot_equity(equity["value"], equity["drawdown"], _title(spec, bars), run.file("equity.png"),
                benchmark=equity["benchmark_value"] if bench is not None else None)
    flat = _flat_metrics(spec, bars, out)
    flat.update({"benchmark": bench.metrics.model_dump() if bench is not None else None, "relative": relative,
                 "caveats": [c.model_dump(mode="json") for c in caveats]})
    run.write_metrics(flat)
    return {"equity_csv": str(run.file("equity.csv")), "equity_png": str(run.file("equity.png")),
            "trades_csv": str(run.file("trades.csv"))}


def _title(spec: BacktestSpec, bars: BarSet) -> str:
    symbols = ", ".join(bars.symbols[:5]) + (f" +{len(bars.symbols) - 5}" if len(bars.symbols) > 5 else "")
    label = " [SYNTHETIC DATA]" if bars.synthetic else ""
    costs = f"commission {spec.commission:.2%}, slippage {spec.slippage:.2%}"
    return f"{spec.strategy} on {symbols}{label}, {spec.start}..{spec.end} ({costs})"


def _flat_metrics(spec: BacktestSpec, bars: BarSet, out: SimOutput) -> dict[str, Any]:
    """metrics.json: the headline numbers flat, plus what they are about (memory reads this)."""
    return {
        **out.metrics.model_dump(),
        "strategy": spec.strategy,
        "params": validate_params(spec.strategy, spec.params).model_dump(),
        "symbols": list(bars.symbols),
        "start": out.equity.index[0].date().isoformat(),
        "end": out.equity.index[-1].date().isoformat(),
        "commission": spec.commission,
        "slippage": spec.slippage,
        "synthetic": bool(bars.synthetic),
    }
