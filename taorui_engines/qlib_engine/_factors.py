"""Factor evaluation: daily IC and Rank IC of expressions against forward returns.

Forward return (one definition everywhere in factor evaluation)::

    r(t, h) = close(t + h) / close(t) - 1        t + h counted in the market's trading days

The factor value at ``t`` uses bars up to and including ``t`` (the grammar refuses
negative ``Ref``), so it is known at the close of ``t``; ``r(t, h)`` is what holding from
that close for ``h`` days earns. This is the convention of docs/synthetic-data.md, so the
planted signals read the same here. (Qlib's model labels shift one more day to leave time to
trade: see docs/models.md.)
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, field_validator

from taorui_engines.data import DataCenter
from taorui_engines.expressions import ParsedExpression
from taorui_engines.progress import ProgressEvent, ProgressReporter, default_progress
from taorui_engines.qlib_engine import _ic
from taorui_engines.qlib_engine._panel import Universe, load_wide, parse_all, resolve_universe, trading_window
from taorui_engines.qlib_engine._plots import plot_ic
from taorui_engines.runs import RunFolder

logger = logging.getLogger(__name__)

FORWARD_RETURN = (
    "close(t+h)/close(t) - 1, t+h in the market's trading days; the factor at t uses data up to "
    "the close of t"
)
DECAY_HORIZONS: tuple[int, ...] = (1, 5, 10, 20)
#: Expressions beyond this many get no IC picture (the CSV still has their series).
MAX_PLOTS = 10


class FactorEvalRequest(BaseModel):
    """What to evaluate: expressions, over which symbols and dates, at which horizon."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    expressions: tuple[str, ...] = Field(min_length=1, max_length=200, description="Factor expressions.")
    universe: str | tuple[str, ...] = Field(description="A universe name, a symbol, or a list of symbols.")
    start: date = Field(description="First day whose factor value is evaluated.")
    end: date = Field(description="Last day whose factor value is evaluated.")
    horizon: int = Field(default=5, ge=1, le=60, description="Forward-return horizon h, trading days.")
    decay_horizons: tuple[int, ...] = Field(default=DECAY_HORIZONS, description="Horizons of the decay profile.")
    min_count: int = Field(default=_ic.MIN_COUNT, ge=3, le=1000, description="Fewest symbols for a day's IC.")

    @field_validator("decay_horizons")
    @classmethod
    def _horizons_in_range(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        if not value or any(not 1 <= h <= 60 for h in value):
            raise ValueError("decay horizons must be 1..60 trading days")
        return tuple(sorted(set(value)))


class FactorResult(BaseModel):
    """IC statistics of one expression."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    expr: str = Field(description="The expression as given.")
    canonical: str = Field(description="Canonical Qlib text (what was evaluated).")
    description: str = Field(description="The expression in English.")
    horizon: int = Field(description="Forward-return horizon h in trading days.")
    ic_mean: float | None = Field(description="Mean daily Pearson IC.")
    ic_std: float | None = Field(description="Std of the daily Pearson IC.")
    icir: float | None = Field(description="ic_mean / ic_std (daily, not annualised).")
    rank_ic_mean: float | None = Field(description="Mean daily Spearman Rank IC.")
    rank_ic_std: float | None = Field(description="Std of the daily Rank IC.")
    rank_icir: float | None = Field(description="rank_ic_mean / rank_ic_std.")
    rank_ic_t: float | None = Field(description="rank_icir * sqrt(n_days): naive, inflated when h > 1 (overlapping days).")
    rank_ic_t_nw: float | None = Field(
        default=None, description="Newey-West t of the mean daily Rank IC, lag >= h - 1 for the overlapping forward "
                                  "returns: the significance to read (|t| < 2 is noise).")
    positive_ratio: float | None = Field(description="Share of days with Rank IC > 0.")
    coverage: float = Field(description="Share of traded (day, symbol) cells with a finite factor value.")
    n_days: int = Field(description="Days with a valid Rank IC.")
    autocorr: float | None = Field(description="Mean Rank IC of the factor with itself one day earlier.")
    turnover: float | None = Field(description="Mean daily share of new names in the factor's top quintile.")
    decay: dict[str, float | None] = Field(description="Mean Rank IC at each decay horizon (days -> IC).")
    lookback: int = Field(description="Trading days of history the factor reads.")


class FactorEvaluation(BaseModel):
    """Results of one evaluation request, with the data it ran on."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    results: list[FactorResult]
    universe: str = Field(description="The universe or symbols evaluated.")
    market: str
    n_symbols: int
    start: date = Field(description="First trading day evaluated.")
    end: date = Field(description="Last trading day evaluated.")
    horizon: int
    forward_return: str = Field(default=FORWARD_RETURN, description="Definition of the forward return.")
    synthetic: bool = Field(description="True when the data is synthetic (not market data).")
    run_id: str | None = None
    run_dir: str | None = None


def evaluate_factors(
    center: DataCenter,
    request: FactorEvalRequest,
    runs_dir: Path | None = None,
    progress: ProgressReporter | None = None,
) -> FactorEvaluation:
    """Evaluate every expression of ``request`` from one data load; optionally record a run."""
    reporter = default_progress(progress)
    universe = resolve_universe(center, request.universe)
    parsed = parse_all(request.expressions, universe)
    run = RunFolder.create(runs_dir, "factor_eval", request) if runs_dir is not None else None
    try:
        evaluation, series = _evaluate(center, request, universe, parsed, reporter)
        if run is not None:
            evaluation = _record(run, evaluation, series)
    except BaseException as exc:
        if run is not None:
            run.fail(exc)
        raise
    return evaluation


def _evaluate(
    center: DataCenter,
    request: FactorEvalRequest,
    universe: Universe,
    parsed: list[ParsedExpression],
    reporter: ProgressReporter,
) -> tuple[FactorEvaluation, dict[str, pd.DataFrame]]:
    horizons = sorted({request.horizon, *request.decay_horizons})
    days, loaded_days = trading_window(center, universe.market, request.start, request.end, max(horizons))
    unique = list(dict.fromkeys(p.canonical for p in parsed))
    names = {f"f{i}": text for i, text in enumerate(unique)}
    reporter.update(ProgressEvent("factor eval", 0, len(unique) + 1, "loading data"))
    wide = load_wide(center, universe, names, loaded_days)
    close = wide["close"]
    returns = {h: _ic.forward_returns(close, h).reindex(days) for h in horizons}
    traded = close.reindex(days).notna()
    by_text: dict[str, tuple[FactorResult, pd.DataFrame]] = {}
    for i, (name, text) in enumerate(names.items(), start=1):
        factor = wide[name].reindex(days)
        by_text[text] = _one(parsed, text, factor, returns, traded, request)
        reporter.update(ProgressEvent("factor eval", i, len(unique) + 1, text[:40]))
    results = [by_text[p.canonical][0].model_copy(update={"expr": p.source}) for p in parsed]
    evaluation = FactorEvaluation(
        results=results, universe=_label(request.universe), market=universe.market,
        n_symbols=len(universe.symbols), start=days[0].date(), end=days[-1].date(),
        horizon=request.horizon, synthetic=universe.synthetic,
    )
    return evaluation, {text: frame for text, (_, frame) in by_text.items()}


def _one(
    parsed: list[ParsedExpression],
    text: str,
    factor: pd.DataFrame,
    returns: dict[int, pd.DataFrame],
    traded: pd.DataFrame,
    request: FactorEvalRequest,
) -> tuple[FactorResult, pd.DataFrame]:
    """Statistics of one canonical expression, and its daily IC frame."""
    info = next(p for p in parsed if p.canonical == text)
    # +-inf (a division by zero, a log of 0) is no signal: it is missing, not an extreme rank.
    factor = factor.mask(~np.isfinite(factor))
    ic = _ic.daily_ic(factor, returns[request.horizon], request.min_count)
    rank_ic = _ic.daily_rank_ic(factor, returns[request.horizon], request.min_count)
    ic_stats, rank_stats = _ic.summarize(ic), _ic.summarize(rank_ic)
    decay = {str(h): _ic.summarize(_ic.daily_rank_ic(factor, returns[h], request.min_count)).mean
             for h in request.decay_horizons}
    finite = factor.notna() & traded
    coverage = float(finite.to_numpy().sum() / max(1, int(traded.to_numpy().sum())))
    result = FactorResult(
        expr=info.source, canonical=text, description=info.description, horizon=request.horizon,
        ic_mean=ic_stats.mean, ic_std=ic_stats.std, icir=ic_stats.ir,
        rank_ic_mean=rank_stats.mean, rank_ic_std=rank_stats.std, rank_icir=rank_stats.ir,
        rank_ic_t=rank_stats.t_stat, rank_ic_t_nw=_nw_t(rank_ic, request.horizon),
        positive_ratio=rank_stats.positive_ratio, coverage=coverage,
        n_days=rank_stats.n_days, autocorr=_ic.rank_autocorrelation(factor, 1, request.min_count),
        turnover=_ic.top_quantile_turnover(factor), decay=decay, lookback=info.lookback,
    )
    return result, pd.DataFrame({"ic": ic, "rank_ic": rank_ic})


def _nw_t(daily: pd.Series, horizon: int) -> float | None:
    """Newey-West t of a daily IC mean whose forward returns overlap by ``horizon`` days."""
    from taorui_engines import metrics as pm

    values = daily.dropna().to_numpy()
    if len(values) <= max(2, horizon):
        return None
    return pm.newey_west_t(values, overlap=horizon)


def _label(universe: str | Sequence[str]) -> str:
    return universe if isinstance(universe, str) else ",".join(universe)


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:+.4f}"


def _metrics_payload(evaluation: FactorEvaluation) -> dict[str, object]:
    """metrics.json: every result, plus the strongest one flat and a one-line summary per factor.

    Memory flattens the numbers of mappings (lists are dropped) and indexes ``summary`` as text.
    """
    payload: dict[str, object] = evaluation.model_dump(mode="json")
    best = max(evaluation.results, key=lambda r: abs(r.rank_icir or 0.0))
    payload["n_expressions"] = len(evaluation.results)
    payload["best"] = best.model_dump(mode="json", include={
        "canonical", "ic_mean", "icir", "rank_ic_mean", "rank_icir", "positive_ratio", "coverage", "n_days"})
    note = " SYNTHETIC data." if evaluation.synthetic else ""
    lines = [f"{r.canonical}: Rank IC {_fmt(r.rank_ic_mean)}, Rank ICIR {_fmt(r.rank_icir)}, IC {_fmt(r.ic_mean)}"
             for r in evaluation.results]
    payload["summary"] = (f"Factor evaluation on {evaluation.universe} {evaluation.start}..{evaluation.end}, "
                          f"{evaluation.horizon}-day forward returns.{note} " + "; ".join(lines))
    return payload


def _record(run: RunFolder, evaluation: FactorEvaluation, series: dict[str, pd.DataFrame]) -> FactorEvaluation:
    """Write the IC series, pictures and metrics into the run folder and mark it done."""
    long = pd.concat({text: frame for text, frame in series.items()}, names=["canonical", "date"])
    long.reset_index().to_csv(run.file("ic_series.csv"), index=False)
    data_note = " [SYNTHETIC data]" if evaluation.synthetic else ""
    for k, (text, frame) in enumerate(list(series.items())[:MAX_PLOTS]):
        title = f"{text}\nRank IC vs {evaluation.horizon}-day forward return, {evaluation.universe}{data_note}"
        plot_ic(frame["rank_ic"], title, run.file(f"ic_{k:02d}.png"))
    evaluation = evaluation.model_copy(update={"run_id": run.run_id, "run_dir": str(run.path)})
    run.write_metrics(_metrics_payload(evaluation))
    run.finish()
    logger.info("factor evaluation %s: %d expressions", run.run_id, len(evaluation.results))
    return evaluation
