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
        return _result(spec, bars, simulate(spec, bars, signals, progress=progress), None)
    run = RunFolder.create(runs_dir, RUN_KIND, _config(spec, bars, signal_source))
    try:
        out = simulate(spec, bars, signals, progress=progress)
        result = _result(spec, bars, out, run)
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


def _result(spec: BacktestSpec, bars: BarSet, out: SimOutput, run: RunFolder | None) -> BacktestResult:
    files = _write_files(spec, bars, out, run) if run is not None else {}
    return BacktestResult(
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


def _write_files(spec: BacktestSpec, bars: BarSet, out: SimOutput, run: RunFolder) -> dict[str, str]:
    equity = out.equity.copy()
    equity["return"] = returns(equity["value"], spec.cash)
    equity["drawdown"] = drawdown(equity["value"], spec.cash)
    equity.to_csv(run.file("equity.csv"), date_format="%Y-%m-%d")
    pd.DataFrame([t.model_dump(mode="json") for t in out.trades]).to_csv(run.file("trades.csv"), index=False)
    out.fills.to_csv(run.file("fills.csv"), index=False)
    plot_equity(equity["value"], equity["drawdown"], _title(spec, bars), run.file("equity.png"))
    run.write_metrics(_flat_metrics(spec, bars, out))
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
