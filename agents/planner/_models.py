"""What the offline planner reads out of an instruction: language, intent, agent, slots."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from agents.planner._periods import Period

__all__ = [
    "AgentName",
    "Intent",
    "Language",
    "ParsedInstruction",
    "Slots",
]

Language = Literal["en", "zh"]
AgentName = Literal["strategy_advisor", "factor_miner", "trader"]
Intent = Literal[
    "train_rl",
    "train_model",
    "backtest_strategy",
    "optimize_strategy",
    "list_strategies",
    "evaluate_factors",
    "mine_factors",
    "place_order",
    "account_status",
    "recall",
    "show_price",
    "unknown",
]


class Slots(BaseModel):
    """Values named in the instruction. ``None`` means the instruction did not say."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    assets: tuple[str, ...] = Field(default=(), description="Instruments, canonical symbols.")
    universe: str | None = Field(default=None, description="Named universe, e.g. csi_syn.")
    algo: str | None = Field(default=None, description="RL algorithm: ppo, a2c, sac, td3, ddpg.")
    model: str | None = Field(default=None, description="Qlib model: lightgbm, linear, mlp.")
    features: str | None = Field(default=None, description="Feature set: alpha158, alpha360.")
    strategy: str | None = Field(default=None, description="Rule strategy name.")
    params: dict[str, float] = Field(default_factory=dict, description="Strategy parameters.")
    period: Period | None = Field(default=None, description="Data window.")
    next_period: Literal["day", "week", "month"] | None = Field(
        default=None, description="Period a suggestion is for.")
    side: Literal["buy", "sell"] | None = None
    quantity: float | None = Field(default=None, gt=0)
    unit: Literal["lot", "share", "unit"] | None = None
    top_pct: float | None = Field(default=None, gt=0, le=100, description="Buy the top N percent.")
    top_k: int | None = Field(default=None, gt=0, description="Buy the top N names.")
    ask_approval: bool = Field(default=False, description="The person wants to approve orders.")
    timesteps: int | None = Field(default=None, gt=0, description="RL training timesteps.")
    seed: int | None = Field(default=None, ge=0)
    expressions: tuple[str, ...] = Field(default=(), description="Factor expressions.")
    factor_family: str | None = Field(default=None, description="Theme of factors to propose.")
    factor_count: int | None = Field(default=None, gt=0, le=20)
    horizon: int | None = Field(default=None, gt=0, le=60, description="Forward-return days.")


class ParsedInstruction(BaseModel):
    """The planner's reading of one instruction."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    text: str
    language: Language
    intent: Intent
    agent: AgentName | None = Field(description="Who handles it; None when unclear.")
    slots: Slots
    missing: tuple[str, ...] = Field(default=(), description="Required slots not given.")
    question: str | None = Field(default=None, description="The one clarifying question.")
