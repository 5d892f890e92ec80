"""The Qlib engine: factor evaluation, model training and signal backtests over our stores.

Everything goes through the data center (``DataCenter.activate`` and the Qlib lock) and
through the safe-expression parser; every training and backtest leaves a run folder.

Public surface::

    evaluate_factors(center, FactorEvalRequest(...), runs_dir=None, progress=None) -> FactorEvaluation
    train_model(center, TrainConfig(...), runs_dir, progress=None) -> TrainResult
    train_universes(center, TrainConfig(...), universes, runs_dir, progress=None, ray_address=None)
        -> UniverseRunsResult   (one run per universe; one Ray task per universe when an address is given)
    backtest_signal(center, SignalBacktestRequest(...), runs_dir, progress=None) -> SignalBacktestResult
    run_backtest(center, universe, signal, start, end, BacktestConfig(...)) -> (BacktestMetrics, daily)
    compare_feature_sets(center, TrainConfig(features="alpha158", ...), extra_expressions, runs_dir)
        -> FeatureComparison   (Alpha158 alone vs Alpha158 + the expressions, same test period, after costs)
    daily_ic / daily_rank_ic / summarize / forward_returns   (the IC conventions, on wide frames)
"""

from taorui_engines.qlib_engine._backtest import (
    BacktestConfig,
    BacktestMetrics,
    equal_weight_benchmark,
    run_backtest,
)
from taorui_engines.qlib_engine._compare import (
    ComparedRun,
    ComparisonDifference,
    FeatureComparison,
    compare_feature_sets,
)
from taorui_engines.qlib_engine._dataset import FeatureSet, label_expression
from taorui_engines.qlib_engine._errors import qlib_errors, translate
from taorui_engines.qlib_engine._factors import (
    DECAY_HORIZONS,
    FORWARD_RETURN,
    FactorEvalRequest,
    FactorEvaluation,
    FactorResult,
    evaluate_factors,
)
from taorui_engines.qlib_engine._ic import (
    IcStats,
    daily_ic,
    daily_rank_ic,
    forward_returns,
    rank_autocorrelation,
    summarize,
    top_quantile_turnover,
)
from taorui_engines.qlib_engine._models import ModelKind, ModelParams
from taorui_engines.qlib_engine._panel import Universe, resolve_universe
from taorui_engines.qlib_engine._signal import SignalBacktestRequest, SignalBacktestResult, backtest_signal
from taorui_engines.qlib_engine._train import (
    FitDiagnostics,
    LatestSignal,
    ModelMetrics,
    TrainConfig,
    TrainResult,
    train_model,
)
from taorui_engines.qlib_engine._universes import UniverseFailure, UniverseRunsResult, train_universes

__all__ = [
    "DECAY_HORIZONS",
    "FORWARD_RETURN",
    "BacktestConfig",
    "BacktestMetrics",
    "ComparedRun",
    "ComparisonDifference",
    "FactorEvalRequest",
    "FactorEvaluation",
    "FactorResult",
    "FeatureComparison",
    "FeatureSet",
    "FitDiagnostics",
    "IcStats",
    "LatestSignal",
    "ModelKind",
    "ModelMetrics",
    "ModelParams",
    "SignalBacktestRequest",
    "SignalBacktestResult",
    "TrainConfig",
    "TrainResult",
    "Universe",
    "UniverseFailure",
    "UniverseRunsResult",
    "backtest_signal",
    "compare_feature_sets",
    "daily_ic",
    "daily_rank_ic",
    "equal_weight_benchmark",
    "evaluate_factors",
    "forward_returns",
    "label_expression",
    "qlib_errors",
    "rank_autocorrelation",
    "resolve_universe",
    "run_backtest",
    "summarize",
    "top_quantile_turnover",
    "train_model",
    "train_universes",
    "translate",
]
