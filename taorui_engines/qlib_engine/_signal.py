"""Backtesting a signal on its own: a trained model's predictions, or a factor expression.

A model's signal is read back from its run folder (``predictions.csv``), so the same
predictions can be re-tested with another portfolio size or cost level without
retraining. A factor's signal is the expression's value; higher is bought, so a factor with
a negative IC is backtested as its negation (``-1 * (...)``). Each backtest writes its own
run folder (``signal_backtest-...``) with the daily series, the picture and the metrics.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, model_validator

from taorui_engines.data import DataCenter
from taorui_engines.errors import InvalidArgumentError, NotFoundError
from taorui_engines.progress import ProgressReporter
from taorui_engines.qlib_engine._backtest import BacktestConfig, BacktestMetrics, run_backtest
from taorui_engines.qlib_engine._panel import Universe, load_wide, parse_all, resolve_universe, trading_window
from taorui_engines.qlib_engine._plots import plot_equity
from taorui_engines.runs import RunFolder, open_run

logger = logging.getLogger(__name__)


class SignalBacktestRequest(BaseModel):
    """Backtest a model run's predictions (``run_id``) or a factor ``expression``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    run_id: str | None = Field(default=None, description="A qlib_model run whose test predictions are the signal.")
    expression: str | None = Field(default=None, description="A factor expression used as the signal.")
    universe: str | tuple[str, ...] | None = Field(
        default=None, description="Universe for an expression (a model run brings its own)."
    )
    start: date | None = Field(default=None, description="First day; default: the predictions' first day.")
    end: date | None = Field(default=None, description="Last day; default: the predictions' last day.")
    config: BacktestConfig = Field(default_factory=BacktestConfig)

    @model_validator(mode="after")
    def _one_source(self) -> SignalBacktestRequest:
        if (self.run_id is None) == (self.expression is None):
            raise ValueError("give exactly one signal source: run_id or expression")
        if self.expression is not None and (self.universe is None or self.start is None or self.end is None):
            raise ValueError("an expression signal needs universe, start and end")
        return self


class SignalBacktestResult(BaseModel):
    """A recorded signal backtest."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    run_id: str
    run_dir: str
    source: str = Field(description="'run <id>' or the canonical expression.")
    universe: str
    synthetic: bool
    metrics: BacktestMetrics
    files: list[str]


def backtest_signal(
    center: DataCenter,
    request: SignalBacktestRequest,
    runs_dir: Path,
    progress: ProgressReporter | None = None,
) -> SignalBacktestResult:
    """Load the signal, backtest it, and record a ``signal_backtest`` run."""
    if request.run_id is not None:
        signal = _from_run(center, runs_dir, request.run_id)
    else:
        signal = _from_expression(center, request)
    dates = signal.score.index.get_level_values(0)
    start = request.start or dates.min().date()
    end = request.end or dates.max().date()
    run = RunFolder.create(runs_dir, "signal_backtest", request)
    try:
        metrics, daily = run_backtest(center, signal.universe, signal.score, start, end, request.config, progress)
        return _record(run, request, signal, metrics, daily)
    except BaseException as exc:
        run.fail(exc)
        raise


@dataclass(frozen=True)
class _Signal:
    universe: Universe
    score: pd.Series
    source: str
    label: str


def _label(spec: str | Sequence[str] | None) -> str:
    if spec is None:
        return ""
    return spec if isinstance(spec, str) else ",".join(spec)


def _from_run(center: DataCenter, runs_dir: Path, run_id: str) -> _Signal:
    run = open_run(runs_dir, run_id)
    if not run.file("predictions.csv").exists():
        raise NotFoundError(f"run {run_id} has no predictions.csv (is it a qlib_model run that finished?)")
    config = json.loads(run.file("config.json").read_text())
    universe_spec = config.get("universe")
    if universe_spec is None:
        raise InvalidArgumentError(f"run {run_id} does not say which universe it used")
    universe = resolve_universe(center, universe_spec if isinstance(universe_spec, str) else tuple(universe_spec))
    frame = pd.read_csv(run.file("predictions.csv"), parse_dates=["date"])
    signal = frame.set_index(["date", "symbol"])["score"]
    return _Signal(universe, signal, f"run {run_id}", _label(universe_spec))


def _from_expression(center: DataCenter, request: SignalBacktestRequest) -> _Signal:
    assert request.expression is not None and request.universe is not None
    universe = resolve_universe(center, request.universe)
    parsed = parse_all([request.expression], universe)[0]
    days, _ = trading_window(center, universe.market, request.start, request.end)
    wide = load_wide(center, universe, {"signal": parsed.canonical}, days)["signal"]
    signal = wide.stack().rename("score")
    signal.index = signal.index.set_names(["date", "symbol"])
    return _Signal(universe, signal, parsed.canonical, _label(request.universe))


def _record(
    run: RunFolder,
    request: SignalBacktestRequest,
    signal: _Signal,
    metrics: BacktestMetrics,
    daily: pd.DataFrame,
) -> SignalBacktestResult:
    daily.to_csv(run.file("backtest_daily.csv"))
    note = " [SYNTHETIC data]" if signal.universe.synthetic else ""
    title = (f"{signal.source}: TopkDropout {request.config.topk}/{request.config.n_drop}, "
             f"{signal.label}{note}")
    plot_equity(daily, title, run.file("equity.png"))
    result = SignalBacktestResult(
        run_id=run.run_id, run_dir=str(run.path), source=signal.source, universe=signal.label,
        synthetic=signal.universe.synthetic, metrics=metrics,
        files=["backtest_daily.csv", "equity.png", "metrics.json"],
    )
    payload = metrics.model_dump(mode="json")
    note = " SYNTHETIC data." if signal.universe.synthetic else ""
    summary = (f"TopkDropout {request.config.topk}/{request.config.n_drop} backtest of {signal.source} on "
               f"{signal.label} {metrics.start}..{metrics.end}: annualized {metrics.annualized_return_with_cost:.4f} "
               f"with cost ({metrics.annualized_return:.4f} without), IR {metrics.information_ratio_with_cost}.{note}")
    payload.update({"source": signal.source, "universe": signal.label, "synthetic": signal.universe.synthetic,
                    "summary": summary})
    run.write_metrics(payload)
    run.finish()
    logger.info("signal backtest %s of %s done", run.run_id, signal.source)
    return result
