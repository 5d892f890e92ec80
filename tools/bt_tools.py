"""Backtrader tools: list the strategies, backtest one, search its parameters.

Thin wrappers over ``taorui_engines.backtest``. Results are compact (headline metrics, the
first trades, file paths) because they go back into the model's context; the full tables
are in the run folder. Every result names synthetic data and states the fill rule.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

# Models only at import time: the engine (Backtrader, matplotlib) loads when a tool runs.
from taorui_engines.backtest._models import (
    FILL_RULE,
    BacktestMetrics,
    BacktestResult,
    BacktestSpec,
    RankMetric,
    Sizing,
)
from taorui_engines.backtest._params import StrategyName
from taorui_engines.caveats import Caveat
from taorui_engines.errors import InvalidArgumentError
from taorui_engines.runs import open_run
from tools._base import Tool, ToolArgs, ToolKind, ToolResult
from tools._context import ToolContext

__all__ = [
    "BACKTEST_STRATEGY",
    "LIST_STRATEGIES",
    "OPTIMIZE_STRATEGY",
    "TOOLS",
    "BacktestStrategyArgs",
    "BacktestStrategyResult",
    "ListStrategiesArgs",
    "ListStrategiesResult",
    "OptimizeStrategyArgs",
    "OptimizeStrategyResult",
]

#: Trades listed in a tool result (all of them are in the run folder's trades.csv).
MAX_TRADES_SHOWN = 20
ParamValue = int | float | bool | str


class _Row(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ParamInfo(_Row):
    """One strategy parameter: its type, default and allowed range."""

    type: str
    default: Any = None
    min: float | None = None
    max: float | None = None
    description: str = ""
    choices: list[Any] | None = None


class StrategyEntry(_Row):
    """One strategy of the catalog."""

    name: str
    description: str
    kind: Literal["rule", "signal"]
    params: dict[str, ParamInfo]


class ListStrategiesArgs(ToolArgs):
    """``list_strategies`` takes no arguments."""


class ListStrategiesResult(ToolResult):
    """Every strategy with its parameters."""

    strategies: list[StrategyEntry]


def _list(args: ListStrategiesArgs, ctx: ToolContext) -> ListStrategiesResult:
    from taorui_engines.backtest import list_strategies

    return ListStrategiesResult(strategies=[StrategyEntry.model_validate(s) for s in list_strategies()])


class _CostArgs(ToolArgs):
    """Fields shared by the backtest and the search."""

    strategy: StrategyName = Field(description="Strategy name from list_strategies.")
    symbols: list[str] = Field(min_length=1, max_length=100,
                               description="Symbols of one market or one universe name, e.g. ['SP500'] or ['csi_syn'].")
    start: date = Field(description="First day of the (in-sample) window, YYYY-MM-DD.")
    end: date = Field(description="Last day of the (in-sample) window, YYYY-MM-DD.")
    params: dict[str, ParamValue] = Field(default_factory=dict, description="Strategy parameters, e.g. {'fast': 10, 'slow': 30}.")
    cash: float = Field(default=100_000.0, gt=0, le=1e12, description="Starting cash.")
    commission: float = Field(default=0.001, ge=0, le=0.05, description="Commission, fraction of traded value (0.001 = 10 bp).")
    slippage: float = Field(default=0.0005, ge=0, le=0.05, description="Slippage, fraction of the fill price.")

    def spec(self, **extra: Any) -> BacktestSpec:
        """The engine's backtest spec."""
        return BacktestSpec(strategy=self.strategy, params=dict(self.params), symbols=tuple(self.symbols),
                            start=self.start, end=self.end, cash=self.cash, commission=self.commission,
                            slippage=self.slippage, **extra)


class BacktestStrategyArgs(_CostArgs):
    """Arguments of ``backtest_strategy``."""

    sizing: Literal["fixed_units", "percent_equity", "target_weight"] | None = Field(
        default=None, description="Position sizing; default percent_equity (rules) or target_weight (signal).")
    size: float | None = Field(default=None, gt=0, le=1e9,
                               description="Units for fixed_units; fraction of equity (0-1] otherwise.")
    stop_loss: float | None = Field(default=None, gt=0, lt=1, description="Exit when a close is this fraction below entry.")
    take_profit: float | None = Field(default=None, gt=0, le=10, description="Exit when a close is this fraction above entry.")
    signal_run_id: str | None = Field(default=None, max_length=128,
                                      description="signal strategy: run whose folder holds the signal CSV.")
    signal_file: str = Field(default="signals.csv", max_length=128,
                             description="signal strategy: CSV in that run folder (date, symbol, weight/score).")

    def sizing_model(self) -> Sizing | None:
        """The sizing block, or None for the strategy's default."""
        if self.sizing is None:
            if self.size is not None:
                raise InvalidArgumentError("size needs sizing (fixed_units, percent_equity or target_weight)")
            return None
        if self.sizing == "fixed_units":
            return Sizing(kind="fixed_units", units=self.size)
        return Sizing(kind=self.sizing, fraction=self.size if self.size is not None else 1.0)


class TradeRow(_Row):
    """One trade as listed in a result."""

    symbol: str
    entry_date: date
    exit_date: date | None
    size: float
    pnl: float


class BacktestStrategyResult(ToolResult):
    """Run folder, window, metrics, the first trades and the picture."""

    run_id: str
    run_dir: str
    strategy: str
    params: dict[str, Any]
    symbols: list[str]
    synthetic_symbols: list[str] = Field(description="Symbols whose data is SYNTHETIC.")
    first_day: date
    last_day: date
    metrics: BacktestMetrics
    benchmark: BacktestMetrics | None = Field(default=None, description="Buy and hold of the same symbols, same costs.")
    relative: dict[str, float | None] = Field(default_factory=dict, description="Excess over it, IR, Newey-West t.")
    caveats: list[Caveat] = Field(default_factory=list, description="What to read the result by (computed).")
    trades: list[TradeRow] = Field(description=f"The first {MAX_TRADES_SHOWN} trades (all in trades.csv).")
    equity_png: str
    equity_csv: str
    fill_rule: str = FILL_RULE


def _trade_rows(result: BacktestResult) -> list[TradeRow]:
    return [TradeRow(symbol=t.symbol, entry_date=t.entry_date, exit_date=t.exit_date, size=t.size, pnl=t.pnl)
            for t in result.trades[:MAX_TRADES_SHOWN]]


def _backtest(args: BacktestStrategyArgs, ctx: ToolContext) -> BacktestStrategyResult:
    spec = args.spec(sizing=args.sizing_model(), stop_loss=args.stop_loss, take_profit=args.take_profit)
    signals, source = None, None
    if args.signal_run_id is not None:
        path = open_run(ctx.runs_dir, args.signal_run_id).file(args.signal_file)
        from taorui_engines.backtest import read_signal_file

        signals, source = read_signal_file(path), f"{args.signal_run_id}/{args.signal_file}"
    elif spec.strategy == "signal":
        raise InvalidArgumentError("the signal strategy needs signal_run_id (a run folder holding the signals)")
    from taorui_engines.backtest import run_backtest

    result = run_backtest(spec, ctx.data, ctx.runs_dir, signals=signals, progress=ctx.progress,
                          signal_source=source)
    assert result.run_id and result.run_dir and result.equity_png and result.equity_csv
    return BacktestStrategyResult(
        run_id=result.run_id, run_dir=result.run_dir, strategy=spec.strategy, params=dict(spec.params),
        symbols=list(result.symbols), synthetic_symbols=list(result.synthetic_symbols),
        first_day=result.first_day, last_day=result.last_day, metrics=result.metrics, benchmark=result.benchmark,
        relative=result.relative, caveats=result.caveats,
        trades=_trade_rows(result), equity_png=result.equity_png, equity_csv=result.equity_csv,
    )


class OptimizeStrategyArgs(_CostArgs):
    """Arguments of ``optimize_strategy``."""

    grid: dict[str, list[ParamValue]] = Field(
        min_length=1, description="Values to try per parameter, e.g. {'fast': [5, 10, 20], 'slow': [30, 50]}.")
    oos_start: date = Field(description="First day of the out-of-sample window (after end).")
    oos_end: date = Field(description="Last day of the out-of-sample window.")
    metric: RankMetric = Field(default="sharpe", description="Ranking metric (max_drawdown is negative: shallowest first).")
    top: int = Field(default=5, ge=1, le=20, description="How many of the best get an out-of-sample test.")


class MetricSummary(_Row):
    """The numbers that decide between parameter sets."""

    total_return: float
    annualized_return: float | None
    sharpe: float | None
    max_drawdown: float
    n_trades: int
    win_rate: float | None

    @classmethod
    def of(cls, m: BacktestMetrics) -> MetricSummary:
        """Cut a full metrics block down."""
        return cls(total_return=m.total_return, annualized_return=m.annualized_return, sharpe=m.sharpe,
                   max_drawdown=m.max_drawdown, n_trades=m.n_trades, win_rate=m.win_rate)


class RankedRow(_Row):
    """One of the best parameter sets, in-sample and out-of-sample."""

    rank: int
    params: dict[str, Any]
    in_sample: MetricSummary
    out_of_sample: MetricSummary | None


class OptimizeStrategyResult(ToolResult):
    """The top parameter sets with in-sample and out-of-sample numbers side by side."""

    run_id: str
    run_dir: str
    strategy: str
    metric: str
    in_sample: tuple[date, date]
    out_of_sample: tuple[date, date]
    n_combos: int
    n_invalid: int
    workers: int
    screened: bool = Field(default=False, description="True when a vectorised screen ordered the grid and only its "
                                                      "best points ran on Backtrader (only those are ranked).")
    n_screened_only: int = Field(default=0, description="Grid points judged by the screen alone.")
    top: list[RankedRow]
    synthetic_symbols: list[str]
    results_csv: str
    benchmark_out_of_sample: MetricSummary | None = Field(
        default=None, description="Buy and hold of the same symbols over the out-of-sample window, same costs.")
    caveats: list[Caveat] = Field(default_factory=list, description="What to read the search by (computed).")
    note: str = "ranked in-sample; judge by the out-of-sample columns (in-sample numbers flatter every search)"


def _optimize(args: OptimizeStrategyArgs, ctx: ToolContext) -> OptimizeStrategyResult:
    from taorui_engines.backtest import OptimizeSpec, optimize

    spec = OptimizeSpec(base=args.spec(), grid={k: tuple(v) for k, v in args.grid.items()},
                        oos_start=args.oos_start, oos_end=args.oos_end, metric=args.metric, top=args.top)
    result = optimize(spec, ctx.data, ctx.runs_dir, progress=ctx.progress, ray_address=ctx.ray_address)
    assert result.run_id and result.run_dir and result.results_csv
    top = [RankedRow(rank=r.rank, params=r.params, in_sample=MetricSummary.of(r.in_sample),
                     out_of_sample=MetricSummary.of(r.out_of_sample) if r.out_of_sample else None)
           for r in result.ranking[: args.top]]
    return OptimizeStrategyResult(
        run_id=result.run_id, run_dir=result.run_dir, strategy=result.strategy, metric=result.metric,
        in_sample=result.in_sample, out_of_sample=result.out_of_sample, n_combos=result.n_combos,
        n_invalid=result.n_invalid, workers=result.workers, top=top, screened=result.screened,
        n_screened_only=result.n_screened_only,
        synthetic_symbols=list(result.synthetic_symbols), results_csv=result.results_csv,
        benchmark_out_of_sample=MetricSummary.of(result.benchmark_out_of_sample) if result.benchmark_out_of_sample
        else None, caveats=result.caveats,
    )


LIST_STRATEGIES: Tool[ListStrategiesArgs, ListStrategiesResult, ToolContext] = Tool(
    name="list_strategies",
    description="List the Backtrader strategies (rule and signal) with their parameters, defaults and ranges.",
    kind=ToolKind.READ,
    args_model=ListStrategiesArgs,
    result_model=ListStrategiesResult,
    fn=_list,
)

BACKTEST_STRATEGY: Tool[BacktestStrategyArgs, BacktestStrategyResult, ToolContext] = Tool(
    name="backtest_strategy",
    description=(
        "Backtest a strategy on daily bars (signal at close, fill next open, commission and slippage on); "
        "returns return, Sharpe, drawdown, trades and an equity picture."
    ),
    kind=ToolKind.COMPUTE,
    args_model=BacktestStrategyArgs,
    result_model=BacktestStrategyResult,
    fn=_backtest,
)

OPTIMIZE_STRATEGY: Tool[OptimizeStrategyArgs, OptimizeStrategyResult, ToolContext] = Tool(
    name="optimize_strategy",
    description=(
        "Grid-search a rule strategy's parameters in-sample, ranked by a metric, with the best re-tested "
        "on a later out-of-sample window."
    ),
    kind=ToolKind.COMPUTE,
    args_model=OptimizeStrategyArgs,
    result_model=OptimizeStrategyResult,
    fn=_optimize,
)

TOOLS: tuple[Tool, ...] = (LIST_STRATEGIES, BACKTEST_STRATEGY, OPTIMIZE_STRATEGY)  # type: ignore[type-arg]
