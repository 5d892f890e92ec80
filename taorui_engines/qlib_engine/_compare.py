"""Alpha158 alone against Alpha158 plus extra (mined) expressions, on the same test period, after costs.

Both models are the same request (model, universe, segments, label, seed, portfolio and costs)
except for the features: ``alpha158`` for the first, ``alpha158+custom`` with the extra
expressions for the second. Each training leaves its own run folder; the comparison is written
as ``comparison.json`` into the second one.

Every figure of a side is copied from that run's result (the numbers in its ``metrics.json``);
the difference is the second minus the first. Whether the difference is more than noise is read
from the two runs' daily series, paired by day: the Newey-West t of the mean daily difference in
Rank IC (``predictions.csv``) and in return after costs (``backtest_daily.csv``); ``|t| < 2`` adds
a caveat (taorui_engines.caveats.comparison_caveats).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import date
from pathlib import Path

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from taorui_engines import metrics as pm
from taorui_engines.caveats import Caveat, comparison_caveats
from taorui_engines.data import DataCenter
from taorui_engines.errors import InternalError, InvalidArgumentError
from taorui_engines.progress import ProgressReporter
from taorui_engines.qlib_engine import _ic
from taorui_engines.qlib_engine._backtest import BacktestConfig
from taorui_engines.qlib_engine._dataset import FeatureSet
from taorui_engines.qlib_engine._panel import parse_all, resolve_universe
from taorui_engines.qlib_engine._train import TrainConfig, TrainResult, train_model
from taorui_engines.runs import write_json_atomic

logger = logging.getLogger(__name__)

COMPARISON_FILE = "comparison.json"


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ComparedRun(_Frozen):
    """One side of the comparison: its run and its test figures (as in its metrics.json)."""

    run_id: str
    run_dir: str
    features: FeatureSet
    n_features: int
    ic: float | None = Field(description="Mean daily Pearson IC on test.")
    icir: float | None
    rank_ic: float | None = Field(description="Mean daily Rank IC on test.")
    rank_icir: float | None
    excess_annualized_return_with_cost: float = Field(description="Over the equal-weight universe, after costs.")
    annualized_return_with_cost: float
    information_ratio_with_cost: float | None
    max_drawdown_with_cost: float = Field(description="Negative.")
    total_cost: float = Field(description="Sum of daily costs as a share of the account.")
    cost_drag: float | None = Field(description="Annualised return before costs minus after.")
    turnover: float
    caveats: list[Caveat] = Field(default_factory=list, description="The run's own caveats.")


class ComparisonDifference(_Frozen):
    """Second (Alpha158 + extra) minus first (Alpha158), and whether it is more than noise."""

    ic: float | None
    icir: float | None
    rank_ic: float | None
    rank_icir: float | None
    excess_annualized_return_with_cost: float
    information_ratio_with_cost: float | None
    max_drawdown_with_cost: float = Field(description="Positive: the extended model fell less.")
    total_cost: float
    rank_ic_t: float | None = Field(description="Newey-West t of the mean daily Rank IC difference.")
    return_t_with_cost: float | None = Field(description="Newey-West t of the mean daily difference after costs.")
    n_ic_days: int = Field(description="Test days with a Rank IC in both runs.")
    n_backtest_days: int


class FeatureComparison(_Frozen):
    """Alpha158 against Alpha158 plus extra expressions: same segments, seed, label, portfolio, costs."""

    model: str
    universe: str
    market: str
    n_symbols: int
    synthetic: bool = Field(description="True on synthetic data.")
    seed: int
    label: str
    segments: dict[str, tuple[date, date]] = Field(description="Actual first/last trading day of each segment.")
    backtest_window: tuple[date, date] = Field(description="First and last backtest day (both runs).")
    costs: BacktestConfig = Field(description="Portfolio and costs of both backtests.")
    expressions: tuple[str, ...] = Field(description="The extra expressions, canonical.")
    base: ComparedRun
    extended: ComparedRun
    difference: ComparisonDifference
    caveats: list[Caveat] = Field(default_factory=list, description="Whether the difference is noise (computed).")
    summary: str
    file: str = Field(description="Path of comparison.json (in the extended run's folder).")


def compare_feature_sets(
    center: DataCenter,
    base: TrainConfig,
    extra_expressions: Sequence[str],
    runs_dir: Path,
    progress: ProgressReporter | None = None,
) -> FeatureComparison:
    """Train ``base`` (Alpha158) and the same request on Alpha158 plus ``extra_expressions``; compare them.

    Every expression is checked by the parser against the universe's fields first: a refused one
    stops the comparison before anything is trained or any folder exists.
    """
    extended = extended_config(center, base, extra_expressions)
    first = train_model(center, base, runs_dir, progress)
    second = train_model(center, extended, runs_dir, progress)
    return _compare(base, extended, first, second)


def extended_config(center: DataCenter, base: TrainConfig, extra_expressions: Sequence[str]) -> TrainConfig:
    """The second request: ``base`` with ``alpha158+custom`` features (expressions checked, canonical)."""
    if base.features != "alpha158":
        raise InvalidArgumentError(f"the comparison starts from alpha158 features, got {base.features!r}")
    if base.backtest is None:
        raise InvalidArgumentError("the comparison is after costs: give the base request a backtest")
    if not extra_expressions:
        raise InvalidArgumentError("give at least one extra expression to add to Alpha158")
    universe = resolve_universe(center, base.universe)
    canonical = tuple(dict.fromkeys(p.canonical for p in parse_all(extra_expressions, universe)))
    return TrainConfig.model_validate(
        {**base.model_dump(), "features": "alpha158+custom", "expressions": canonical})


def _compare(base: TrainConfig, extended: TrainConfig, first: TrainResult, second: TrainResult) -> FeatureComparison:
    if first.segments != second.segments or first.backtest is None or second.backtest is None:
        raise InternalError("the two runs of a comparison must share segments and both be backtested")
    if (first.backtest.start, first.backtest.end) != (second.backtest.start, second.backtest.end):
        raise InternalError("the two backtests of a comparison must cover the same days")
    left, right = _side(first), _side(second)
    difference = _difference(left, right, Path(first.run_dir), Path(second.run_dir))
    assert base.backtest is not None
    comparison = FeatureComparison(
        model=base.model, universe=first.universe, market=first.market, n_symbols=first.n_symbols,
        synthetic=first.synthetic, seed=base.params.seed, label=first.label, segments=first.segments,
        backtest_window=(first.backtest.start, first.backtest.end), costs=base.backtest,
        expressions=extended.expressions, base=left, extended=right, difference=difference,
        caveats=comparison_caveats(difference.rank_ic_t, difference.return_t_with_cost), summary="",
        file=str(Path(second.run_dir) / COMPARISON_FILE),
    )
    comparison = comparison.model_copy(update={"summary": comparison_summary(comparison)})
    write_json_atomic(Path(comparison.file), comparison.model_dump(mode="json"))
    logger.info("comparison written to %s", comparison.file)
    return comparison


def _side(result: TrainResult) -> ComparedRun:
    m, bt = result.metrics, result.backtest
    assert bt is not None
    return ComparedRun(
        run_id=result.run_id, run_dir=result.run_dir, features=result.features, n_features=result.n_features,
        ic=m.ic, icir=m.icir, rank_ic=m.rank_ic, rank_icir=m.rank_icir,
        excess_annualized_return_with_cost=bt.excess_annualized_return_with_cost,
        annualized_return_with_cost=bt.annualized_return_with_cost,
        information_ratio_with_cost=bt.information_ratio_with_cost, max_drawdown_with_cost=bt.max_drawdown_with_cost,
        total_cost=bt.total_cost, cost_drag=bt.cost_drag, turnover=bt.turnover, caveats=result.caveats,
    )


def _minus(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else a - b


def _difference(first: ComparedRun, second: ComparedRun, first_dir: Path, second_dir: Path) -> ComparisonDifference:
    ic_diff = (_daily_rank_ic(second_dir) - _daily_rank_ic(first_dir)).dropna()
    returns = "return_with_cost"
    ret_diff = (_daily(second_dir)[returns] - _daily(first_dir)[returns]).dropna()
    return ComparisonDifference(
        ic=_minus(second.ic, first.ic), icir=_minus(second.icir, first.icir),
        rank_ic=_minus(second.rank_ic, first.rank_ic), rank_icir=_minus(second.rank_icir, first.rank_icir),
        excess_annualized_return_with_cost=(second.excess_annualized_return_with_cost
                                            - first.excess_annualized_return_with_cost),
        information_ratio_with_cost=_minus(second.information_ratio_with_cost, first.information_ratio_with_cost),
        max_drawdown_with_cost=second.max_drawdown_with_cost - first.max_drawdown_with_cost,
        total_cost=second.total_cost - first.total_cost,
        rank_ic_t=_t(ic_diff), return_t_with_cost=_t(ret_diff),
        n_ic_days=len(ic_diff), n_backtest_days=len(ret_diff),
    )


def _t(values: pd.Series) -> float | None:
    return pm.newey_west_t(values.to_numpy()) if len(values) > 2 else None


def _daily_rank_ic(run_dir: Path) -> pd.Series:
    """Daily Rank IC of a run's test predictions against the raw label (as its metrics were computed)."""
    frame = pd.read_csv(run_dir / "predictions.csv", parse_dates=["date"]).set_index(["date", "symbol"])
    return _ic.daily_rank_ic(frame["score"].unstack("symbol"), frame["label"].unstack("symbol"))


def _daily(run_dir: Path) -> pd.DataFrame:
    return pd.read_csv(run_dir / "backtest_daily.csv", index_col="date", parse_dates=["date"])


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:+.2%}"


def _num(value: float | None, digits: int = 4) -> str:
    return "n/a" if value is None else f"{value:+.{digits}f}"


def comparison_summary(c: FeatureComparison) -> str:
    """One paragraph: the windows, the costs, both sides and the difference."""
    note = " SYNTHETIC data." if c.synthetic else ""
    seg = ", ".join(f"{k} {a}..{b}" for k, (a, b) in c.segments.items())
    b, e, d = c.base, c.extended, c.difference
    return (
        f"{c.model}: Alpha158 ({b.n_features} features) vs Alpha158 + {len(c.expressions)} extra "
        f"({e.n_features} features) over {c.universe} ({c.n_symbols} symbols), seed {c.seed}; {seg}.{note} "
        f"Test Rank IC {_num(b.rank_ic)} vs {_num(e.rank_ic)} ({_num(d.rank_ic)}, t {_num(d.rank_ic_t, 2)}). "
        f"TopkDropout {c.costs.topk}/{c.costs.n_drop} {c.backtest_window[0]}..{c.backtest_window[1]} after costs "
        f"(buy {c.costs.open_cost:.2%}, sell {c.costs.close_cost:.2%}, min {c.costs.min_cost:g}): excess annualized "
        f"{_pct(b.excess_annualized_return_with_cost)} vs {_pct(e.excess_annualized_return_with_cost)} "
        f"({_pct(d.excess_annualized_return_with_cost)}, t {_num(d.return_t_with_cost, 2)}), IR "
        f"{_num(b.information_ratio_with_cost, 2)} vs {_num(e.information_ratio_with_cost, 2)}, max drawdown "
        f"{_pct(b.max_drawdown_with_cost)} vs {_pct(e.max_drawdown_with_cost)}, costs {b.total_cost:.2%} vs "
        f"{e.total_cost:.2%} of the account."
    )
