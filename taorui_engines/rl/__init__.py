"""Reinforcement-learning trading on the data center, with FinRL's environment and SB3 agents.

Public surface::

    train_agent(data, runs_dir, RLTrainRequest(assets=("GOLD",), algo="ppo", ...)) -> RLRunResult
    evaluate_agent(data, runs_dir, run_id, test=DateSpan(...)) -> RLEvalResult
    next_action(data, runs_dir, run_id) -> NextAction
    SingleAssetEnv, MultiAssetEnv      # gymnasium environments over a Panel
    SingleAssetVecEnv                  # SB3 VecEnv: a numpy batch of SingleAssetEnv (imports SB3 on first use)
    load_panel(data, symbols, span)    # aligned prices + indicators of one window
    train_seeds(data, runs_dir, request, seeds=(1, 2, 3), ray_address=None) -> SeedRunsResult
                                       # one request, several seeds: in turn here, or on a Ray cluster

FinRL is imported only through ``taorui_engines.rl._finrl`` (it works around FinRL's
package ``__init__``). Conventions (fills, costs, metrics) are in docs/rl.md.
"""

from taorui_engines.rl._data import MAX_ASSETS, Panel, load_panel, resolve_split
from taorui_engines.rl._engine import (
    EVAL_KIND,
    RUN_KIND,
    PolicyStep,
    evaluate_agent,
    next_action,
    policy_step,
    prepare,
    train_agent,
)
from taorui_engines.rl._env_multi import MultiAssetEnv
from taorui_engines.rl._env_single import SingleAssetEnv
from taorui_engines.rl._features import INDICATORS, add_indicators
from taorui_engines.rl._metrics import performance
from taorui_engines.rl._models import (
    ALGOS,
    Algo,
    AssetAction,
    BacktestRef,
    DateSpan,
    Direction,
    EnvSettings,
    NextAction,
    PerformanceMetrics,
    RLEvalResult,
    RLRunResult,
    RLRunSpec,
    RLTrainRequest,
)
from taorui_engines.rl._seeds import SeedFailure, SeedRunsResult, train_seeds

__all__ = [
    "ALGOS",
    "EVAL_KIND",
    "INDICATORS",
    "MAX_ASSETS",
    "RUN_KIND",
    "Algo",
    "AssetAction",
    "BacktestRef",
    "DateSpan",
    "Direction",
    "EnvSettings",
    "MultiAssetEnv",
    "NextAction",
    "Panel",
    "PerformanceMetrics",
    "RLEvalResult",
    "RLRunResult",
    "RLRunSpec",
    "RLTrainRequest",
    "SeedFailure",
    "SeedRunsResult",
    "SingleAssetEnv",
    "SingleAssetVecEnv",
    "add_indicators",
    "evaluate_agent",
    "load_panel",
    "next_action",
    "policy_step",
    "PolicyStep",
    "performance",
    "prepare",
    "resolve_split",
    "train_agent",
    "train_seeds",
]


def __getattr__(name: str) -> object:
    """``SingleAssetVecEnv`` on first use: it subclasses SB3's VecEnv, and SB3 (torch) is not
    imported by reading the engine's models."""
    if name == "SingleAssetVecEnv":
        from taorui_engines.rl._env_vec import SingleAssetVecEnv

        return SingleAssetVecEnv
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
