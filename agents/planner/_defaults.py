"""The values the offline planner takes when the instruction does not name them.

Every default it takes is listed in its answer ("defaults I took: ..."), so nothing is
guessed silently. Tests and quick demos shrink the training budgets here.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["PlannerDefaults"]


class PlannerDefaults(BaseModel):
    """Defaults for slots an instruction may leave out."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    rl_algo: Literal["ppo", "a2c", "sac", "td3", "ddpg"] = "ppo"
    rl_timesteps: int = Field(default=5000, ge=100, description="RL training steps.")
    seed: int = Field(default=7, ge=0)
    years: int = Field(default=5, ge=1, le=30, description="Window when none is named: the last N years.")
    test_months: int = Field(default=12, ge=1, le=60, description="Out-of-sample test window.")
    valid_months: int = Field(default=12, ge=1, le=60, description="Validation window of Qlib models.")
    model: Literal["lightgbm", "linear", "mlp"] = "lightgbm"
    features: str = Field(default="alpha158", description="Feature set of Qlib models.")
    topk_backtest: int = Field(default=10, ge=1, description="Names held by the signal backtest.")
    horizon: int = Field(default=5, ge=1, le=60, description="Forward-return days for factor IC.")
    factor_universe: str = "csi_syn"
    factor_count: int = Field(default=3, ge=1, le=10)
    trade_budget_pct: float = Field(default=80.0, gt=0, le=100,
                                    description="Share of account value spread over a signal's picks.")
    next_period: Literal["day", "week", "month"] = "week"
