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

Names load on first use (PEP 562): the strategy catalogue (``list_strategies``, ``STRATEGIES``)
is pydantic only, so a plan preview can read it without Backtrader, pandas or matplotlib.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from taorui_engines._lazy import lazy_exports

if TYPE_CHECKING:
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
        list_strategies,
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

_WHERE = {
    "BacktestMetrics": "_models",
    "BacktestResult": "_models",
    "BacktestSpec": "_models",
    "BarSet": "_bars",
    "FILL_RULE": "_models",
    "MAX_COMBOS": "_search",
    "OptimizeResult": "_search",
    "OptimizeSpec": "_search",
    "PERIODS_PER_YEAR": "_metrics",
    "RankMetric": "_models",
    "RankedParams": "_search",
    "STRATEGIES": "_params",
    "SimOutput": "_engine",
    "Sizing": "_models",
    "StrategyInfo": "_params",
    "StrategyName": "_params",
    "StrategyParams": "_params",
    "TradeRecord": "_models",
    "compute_metrics": "_metrics",
    "describe_params": "_params",
    "drawdown": "_metrics",
    "list_strategies": "_params",
    "load_bars": "_bars",
    "optimize": "_search",
    "parse_grid": "_search",
    "read_signal_file": "_signals",
    "returns": "_metrics",
    "run_backtest": "_runner",
    "signals_from_tidy": "_signals",
    "simulate": "_engine",
    "strategy_info": "_params",
    "target_weights": "_signals",
    "validate_params": "_params",
}

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

__getattr__ = lazy_exports(__name__, _WHERE)


def __dir__() -> list[str]:
    return sorted(__all__)
