"""Qlib tools: describe and evaluate factor expressions, train models, backtest signals.

Thin wrappers over :mod:`taorui_engines.qlib_engine`. Every expression goes through the
safe parser (an unsafe one comes back as an ``UnsafeExpression`` error, a wrong one as
``InvalidExpression`` with where and why). Results carry the run folder, the definitions
a reader needs (forward return, label, segments) and a synthetic flag.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from taorui_engines.caveats import Caveat
from taorui_engines.errors import InvalidArgumentError
from taorui_engines.expressions import MAX_WINDOW, OPERATORS, ParsedExpression, parse_expression
from taorui_engines.qlib_engine import (
    FORWARD_RETURN,
    BacktestConfig,
    BacktestMetrics,
    FactorEvalRequest,
    FactorResult,
    FitDiagnostics,
    LatestSignal,
    ModelMetrics,
    ModelParams,
    SignalBacktestRequest,
    TrainConfig,
    backtest_signal,
    evaluate_factors,
    train_model,
)
from tools._base import Tool, ToolArgs, ToolKind, ToolResult
from tools._context import ToolContext

__all__ = [
    "BACKTEST_SIGNAL",
    "DESCRIBE_FACTOR",
    "EVALUATE_FACTORS",
    "TOOLS",
    "TRAIN_QLIB_MODEL",
    "BacktestSignalArgs",
    "BacktestSignalResult",
    "DescribeFactorArgs",
    "DescribeFactorResult",
    "EvaluateFactorsArgs",
    "EvaluateFactorsResult",
    "TrainQlibModelArgs",
    "TrainQlibModelResult",
]

_GRAMMAR = (
    "Fields $open $high $low $close $volume $vwap $factor; numbers; + - * /; comparisons > >= < <= == !=; "
    "& | for conditions; operators " + ", ".join(sorted(OPERATORS)) +
    f". Windows are whole trading days 1..{MAX_WINDOW}; Ref looks back only (no negative lags)."
)


# describe_factor ----------------------------------------------------------------------------
class DescribeFactorArgs(ToolArgs):
    """Arguments of ``describe_factor``."""

    expression: str = Field(min_length=1, max_length=1000, description="A factor expression, e.g. 'Mean($close, 5) / $close'.")


class DescribeFactorResult(ToolResult):
    """The parsed factor: canonical text, English reading, fields, operators, history needed."""

    factor: ParsedExpression


def _describe(args: DescribeFactorArgs, ctx: ToolContext) -> DescribeFactorResult:
    return DescribeFactorResult(factor=parse_expression(args.expression))


DESCRIBE_FACTOR: Tool[DescribeFactorArgs, DescribeFactorResult, ToolContext] = Tool(
    name="describe_factor",
    description="Check a factor expression without evaluating it: canonical form, plain-English meaning, "
                "fields, operators and history needed. Grammar: " + _GRAMMAR,
    kind=ToolKind.READ, args_model=DescribeFactorArgs, result_model=DescribeFactorResult, fn=_describe,
)


# evaluate_factors --------------------------------------------------------------------------
class EvaluateFactorsArgs(ToolArgs):
    """Arguments of ``evaluate_factors``."""

    expressions: list[str] = Field(min_length=1, max_length=50, description="Factor expressions (Qlib syntax).")
    universe: str = Field(default="csi_syn", min_length=1, max_length=2000,
                          description="A universe name (e.g. 'csi_syn') or comma-separated symbols of one market.")
    start: date = Field(description="First day evaluated, YYYY-MM-DD.")
    end: date = Field(description="Last day evaluated, YYYY-MM-DD.")
    horizon: int = Field(default=5, ge=1, le=60, description="Forward-return horizon in trading days.")


class EvaluateFactorsResult(ToolResult):
    """IC statistics per expression (in the order given), with the run folder and pictures."""

    results: list[FactorResult]
    universe: str
    n_symbols: int
    start: date
    end: date
    horizon: int
    forward_return: str = FORWARD_RETURN
    synthetic: bool = Field(description="True when the universe is SYNTHETIC data.")
    run_id: str
    run_dir: str
    ic_plots: list[str] = Field(description="PNG of the Rank IC over time, one per distinct expression (first 10).")


def _evaluate(args: EvaluateFactorsArgs, ctx: ToolContext) -> EvaluateFactorsResult:
    request = FactorEvalRequest(expressions=tuple(args.expressions), universe=args.universe,
                                start=args.start, end=args.end, horizon=args.horizon)
    evaluation = evaluate_factors(ctx.data, request, ctx.runs_dir, ctx.progress)
    assert evaluation.run_id is not None and evaluation.run_dir is not None
    plots = sorted(str(p) for p in Path(evaluation.run_dir).glob("ic_*.png"))
    return EvaluateFactorsResult(
        results=evaluation.results, universe=evaluation.universe, n_symbols=evaluation.n_symbols,
        start=evaluation.start, end=evaluation.end, horizon=evaluation.horizon,
        synthetic=evaluation.synthetic, run_id=evaluation.run_id, run_dir=evaluation.run_dir, ic_plots=plots,
    )


EVALUATE_FACTORS: Tool[EvaluateFactorsArgs, EvaluateFactorsResult, ToolContext] = Tool(
    name="evaluate_factors",
    description="Evaluate factor expressions over a universe and period: daily IC and Rank IC against "
                "forward returns (close(t+h)/close(t)-1), ICIR, share of positive days, coverage, "
                "autocorrelation, turnover and decay at 1/5/10/20 days. Grammar: " + _GRAMMAR,
    kind=ToolKind.COMPUTE, args_model=EvaluateFactorsArgs, result_model=EvaluateFactorsResult, fn=_evaluate,
)


# shared backtest settings --------------------------------------------------------------------
class _PortfolioArgs(ToolArgs):
    """TopkDropout portfolio and costs."""

    topk: int = Field(default=30, ge=1, le=500, description="Names held (must be below the universe size).")
    n_drop: int = Field(default=3, ge=0, le=500, description="Most names swapped per day.")
    open_cost: float = Field(default=0.0005, ge=0, le=0.05, description="Buy cost, fraction of traded value.")
    close_cost: float = Field(default=0.0015, ge=0, le=0.05, description="Sell cost, fraction of traded value.")
    min_cost: float = Field(default=5.0, ge=0, le=10_000, description="Smallest cost per order.")
    limit_threshold: float | None = Field(default=None, gt=0, le=0.5,
                                          description="No trading past this daily move; null: the market's default.")

    def backtest_config(self) -> BacktestConfig:
        """The engine's backtest settings."""
        return BacktestConfig(topk=self.topk, n_drop=self.n_drop, open_cost=self.open_cost,
                              close_cost=self.close_cost, min_cost=self.min_cost,
                              limit_threshold=self.limit_threshold)


class DateSpan(BaseModel):
    """An inclusive date window."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    start: date = Field(description="First day, YYYY-MM-DD.")
    end: date = Field(description="Last day, YYYY-MM-DD.")

    @model_validator(mode="after")
    def _ordered(self) -> DateSpan:
        if self.start > self.end:
            raise ValueError(f"start {self.start} is after end {self.end}")
        return self


# train_qlib_model ---------------------------------------------------------------------------
class TrainQlibModelArgs(_PortfolioArgs):
    """Arguments of ``train_qlib_model``."""

    model: Literal["lightgbm", "linear", "mlp"] = Field(default="lightgbm", description="Model kind.")
    features: Literal["alpha158", "alpha360", "custom", "alpha158+custom"] = Field(
        default="alpha158", description="Feature set; 'alpha158+custom' adds the expressions (e.g. mined factors) to "
                                        "Alpha158.")
    expressions: list[str] = Field(default_factory=list, max_length=100,
                                   description="Feature expressions when features is 'custom' or 'alpha158+custom'.")
    universe: str = Field(default="csi_syn", min_length=1, max_length=2000, description="Universe or symbols.")
    train: DateSpan = Field(description="Training window.")
    valid: DateSpan | None = Field(default=None, description="Validation window; null: the last 20% of train.")
    test: DateSpan = Field(description="Test window (after valid).")
    label_horizon: int = Field(default=1, ge=1, le=20, description="Label: return over h days from the next close.")
    backtest: bool = Field(default=True, description="Also backtest the test predictions.")
    num_boost_round: int = Field(default=200, ge=10, le=2000, description="LightGBM: most trees.")
    epochs: int = Field(default=20, ge=1, le=200, description="MLP: training epochs.")
    seed: int = Field(default=0, ge=0, le=2**31 - 1, description="Random seed.")


class TrainQlibModelResult(ToolResult):
    """The run, the test metrics, the backtest and the latest ranking."""

    run_id: str
    run_dir: str
    model: str
    features: str
    n_features: int
    universe: str
    synthetic: bool = Field(description="True when trained on SYNTHETIC data.")
    segments: dict[str, tuple[date, date]]
    label: str = Field(description="Qlib label: return from the close after t over label_horizon days.")
    metrics: ModelMetrics
    backtest: BacktestMetrics | None
    latest_signal: LatestSignal
    fit: FitDiagnostics = Field(default_factory=FitDiagnostics, description="Trees kept, prediction spread, ties.")
    caveats: list[Caveat] = Field(default_factory=list, description="What to read the result by (computed).")
    notes: list[str] = Field(description="Choices made for you (e.g. how the validation window was chosen).")
    files: list[str]


def _segments(args: TrainQlibModelArgs) -> tuple[DateSpan, DateSpan, list[str]]:
    if args.valid is not None:
        return args.train, args.valid, []
    days = (args.train.end - args.train.start).days
    if days < 30:
        raise InvalidArgumentError("the training window is too short to carve a validation window; pass valid")
    cut = args.train.start + timedelta(days=int(days * 0.8))
    train, valid = DateSpan(start=args.train.start, end=cut), DateSpan(start=cut + timedelta(days=1), end=args.train.end)
    note = f"no validation window given: used {valid.start}..{valid.end} (last 20% of train) for early stopping"
    return train, valid, [note]


def _train(args: TrainQlibModelArgs, ctx: ToolContext) -> TrainQlibModelResult:
    train, valid, notes = _segments(args)
    config = TrainConfig(
        model=args.model, features=args.features, expressions=tuple(args.expressions), universe=args.universe,
        train=(train.start, train.end), valid=(valid.start, valid.end), test=(args.test.start, args.test.end),
        label_horizon=args.label_horizon,
        params=ModelParams(seed=args.seed, num_boost_round=args.num_boost_round, epochs=args.epochs),
        backtest=args.backtest_config() if args.backtest else None,
    )
    result = train_model(ctx.data, config, ctx.runs_dir, ctx.progress)
    return TrainQlibModelResult(
        run_id=result.run_id, run_dir=result.run_dir, model=result.model, features=result.features,
        n_features=result.n_features, universe=result.universe, synthetic=result.synthetic,
        segments=result.segments, label=result.label, metrics=result.metrics, backtest=result.backtest,
        latest_signal=result.latest_signal, fit=result.fit, caveats=result.caveats, notes=notes, files=result.files,
    )


TRAIN_QLIB_MODEL: Tool[TrainQlibModelArgs, TrainQlibModelResult, ToolContext] = Tool(
    name="train_qlib_model",
    description="Train a Qlib model (LightGBM, linear or a CPU MLP) on Alpha158, Alpha360 or custom factor "
                "features with time-ordered train/valid/test windows; reports test IC/Rank IC, a TopkDropout "
                "backtest with and without costs, and the latest scores. Takes minutes on a large universe.",
    kind=ToolKind.COMPUTE, args_model=TrainQlibModelArgs, result_model=TrainQlibModelResult, fn=_train,
)


# backtest_signal ----------------------------------------------------------------------------
class BacktestSignalArgs(_PortfolioArgs):
    """Arguments of ``backtest_signal``: a model run's predictions, or a factor expression."""

    run_id: str | None = Field(default=None, max_length=128,
                               description="A train_qlib_model run whose test predictions are the signal.")
    expression: str | None = Field(default=None, max_length=1000,
                                   description="Or a factor expression as the signal (higher is bought).")
    universe: str | None = Field(default=None, max_length=2000, description="Universe for an expression signal.")
    start: date | None = Field(default=None, description="First day; default: the predictions' first day.")
    end: date | None = Field(default=None, description="Last day; default: the predictions' last day.")


class BacktestSignalResult(ToolResult):
    """The recorded backtest."""

    run_id: str
    run_dir: str
    source: str
    universe: str
    synthetic: bool
    metrics: BacktestMetrics
    equity_png: str


def _backtest(args: BacktestSignalArgs, ctx: ToolContext) -> BacktestSignalResult:
    request = SignalBacktestRequest(run_id=args.run_id, expression=args.expression, universe=args.universe,
                                    start=args.start, end=args.end, config=args.backtest_config())
    result = backtest_signal(ctx.data, request, ctx.runs_dir, ctx.progress)
    return BacktestSignalResult(
        run_id=result.run_id, run_dir=result.run_dir, source=result.source, universe=result.universe,
        synthetic=result.synthetic, metrics=result.metrics, equity_png=f"{result.run_dir}/equity.png",
    )


BACKTEST_SIGNAL: Tool[BacktestSignalArgs, BacktestSignalResult, ToolContext] = Tool(
    name="backtest_signal",
    description="Backtest a TopkDropout portfolio on a signal (a train_qlib_model run_id, or a factor expression "
                "with universe/start/end) against the equal-weight universe, with and without costs: annualized "
                "return, information ratio, max drawdown, turnover, equity picture.",
    kind=ToolKind.COMPUTE, args_model=BacktestSignalArgs, result_model=BacktestSignalResult, fn=_backtest,
)

TOOLS: tuple[Tool, ...] = (DESCRIBE_FACTOR, EVALUATE_FACTORS, TRAIN_QLIB_MODEL, BACKTEST_SIGNAL)  # type: ignore[type-arg]
