"""Backtrader engine: typed rule and signal strategies, order-level backtests, grid search.

Public surface::

    list_strategies() / STRATEGIES / strategy_info(name) / validate_params(name, params)
    run_backtest(BacktestSpec(...), data_center, runs_dir, signals=None) -> BacktestResult
    optimize(OptimizeSpec(base=BacktestSpec(...), grid=..., oos_start=..., oos_end=...),
             data_center, runs_dir) -> OptimizeResult
    load_bars(...) + simulate(...)   # the in-memory core, no files (used by the search)

Fill rule (stated in every result): signal on bar t's close, market fill at bar t+1's open
with slippage against the trader, commission as a fraction of traded value. See
docs/backtests.md.
"""

from taorui_engines.backtest._bars import BarSet, load_bars
from taorui_engines.backtest._engine import SimOutput, simulate
from taorui_engines.backtest._metrics import PERIODS_PER_YEAR, compute_metrics, drawdown, returns
from taorui_engines.backtest._models import (
    FILL_RULE,
    BacktestMetrics,
    BacktestResult,
    BacktestSpec,
    Sizing,
    TradeRecord,
)
from taorui_engines.backtest._params import (
    STRATEGIES,
    StrategyInfo,
    StrategyName,
    StrategyParams,
    describe_params,
    strategy_info,
    validate_params,
)
from taorui_engines.backtest._runner import run_backtest
from taorui_engines.backtest._search import (
    MAX_COMBOS,
    OptimizeResult,
    OptimizeSpec,
    RankedParams,
    RankMetric,
    optimize,
    parse_grid,
)
from taorui_engines.backtest._signals import read_signal_file, signals_from_tidy, target_weights

__all__ = [
    "FILL_RULE",
    "MAX_COMBOS",
    "PERIODS_PER_YEAR",
    "STRATEGIES",
    "BacktestMetrics",
    "BacktestResult",
    "BacktestSpec",
    "BarSet",
    "OptimizeResult",
    "OptimizeSpec",
    "RankMetric",
    "RankedParams",
    "SimOutput",
    "Sizing",
    "StrategyInfo",
    "StrategyName",
    "StrategyParams",
    "TradeRecord",
    "compute_metrics",
    "describe_params",
    "drawdown",
    "list_strategies",
    "load_bars",
    "optimize",
    "parse_grid",
    "read_signal_file",
    "returns",
    "run_backtest",
    "signals_from_tidy",
    "simulate",
    "strategy_info",
    "target_weights",
    "validate_params",
]


def list_strategies() -> list[dict[str, object]]:
    """``[{name, description, kind, params: {name: {type, default, min, max, ...}}}]``."""
    return [
        {"name": info.name, "description": info.description, "kind": info.kind,
         "params": describe_params(info.params_model)}
        for info in STRATEGIES.values()
    ]
