"""Typed records of the RL engine: requests, resolved run specs, metrics, suggestions.

Everything that leaves the engine (to a tool, the CLI, a run folder) is one of these
frozen pydantic models. Field descriptions reach the LLM through the tools' schemas.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from taorui_engines.caveats import Caveat

__all__ = [
    "ALGOS",
    "Algo",
    "AssetAction",
    "BacktestRef",
    "DateSpan",
    "Direction",
    "EnvKind",
    "EnvSettings",
    "MAX_TRAIN_ENVS",
    "NextAction",
    "PerformanceMetrics",
    "RLEvalResult",
    "RLRunResult",
    "RLRunSpec",
    "RLTrainRequest",
    "VEC_ALGOS",
]

Algo = Literal["ppo", "a2c", "sac", "td3", "ddpg"]
#: The algorithms, in the order they are listed to users.
ALGOS: tuple[Algo, ...] = ("ppo", "a2c", "sac", "td3", "ddpg")
#: The on-policy algorithms, which train on a batch of envs stepped together (``n_envs``).
VEC_ALGOS: tuple[Algo, ...] = ("ppo", "a2c")
#: Most envs one training run steps together.
MAX_TRAIN_ENVS = 4096
Direction = Literal["long", "flat", "short"]
EnvKind = Literal["single", "multi"]


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DateSpan(_Frozen):
    """An inclusive date window."""

    start: dt.date = Field(description="First day of the window (YYYY-MM-DD), inclusive.")
    end: dt.date = Field(description="Last day of the window (YYYY-MM-DD), inclusive.")

    @model_validator(mode="after")
    def _ordered(self) -> DateSpan:
        if self.end < self.start:
            raise ValueError(f"window end {self.end} is before its start {self.start}")
        return self

    def label(self) -> str:
        """``YYYY-MM-DD..YYYY-MM-DD``."""
        return f"{self.start.isoformat()}..{self.end.isoformat()}"


class EnvSettings(_Frozen):
    """Account and trading rules of the environment (the same in training and testing)."""

    initial_cash: float = Field(default=1_000_000.0, gt=0, le=1e12, description="Starting cash.")
    cost_pct: float = Field(
        default=0.001, ge=0, le=0.05,
        description="Transaction cost per side as a fraction of traded value (0.001 = 10 bp); on by default.",
    )
    lot_size: int = Field(
        default=1, ge=1, le=1_000_000,
        description="Single asset: units per lot; positions are whole lots.",
    )
    allow_short: bool = Field(default=False, description="Single asset: allow short positions.")
    max_trade_shares: int | None = Field(
        default=None, ge=1, le=10_000_000,
        description="Multi-asset: most shares one action may trade per asset per day "
        "(FinRL's hmax); default sizes it so one full action moves about 1/n of the cash.",
    )
    reward_scaling: float = Field(
        default=1e-4, gt=0, le=1.0,
        description="Reward = change of account value times this (FinRL's convention).",
    )


class RLTrainRequest(_Frozen):
    """What a user asks for: which asset(s), which algorithm, how long, which windows."""

    assets: tuple[str, ...] = Field(
        min_length=1, description="One symbol (single-asset env) or several (multi-asset env), or a universe name."
    )
    algo: Algo = Field(default="ppo", description="Stable-Baselines3 algorithm.")
    timesteps: int = Field(default=5000, ge=100, le=2_000_000, description="Environment steps to train for.")
    seed: int = Field(default=7, ge=0, le=2**31 - 1, description="Seed of every random source.")
    train: DateSpan | None = Field(default=None, description="Training window; default: the 4 years before the test window.")
    test: DateSpan | None = Field(default=None, description="Test window; default: the last year of data.")
    valid: DateSpan | None = Field(
        default=None, description="Optional validation window between train and test, for early stopping."
    )
    env: EnvSettings = Field(default_factory=EnvSettings)
    n_envs: int = Field(
        default=1, ge=1, le=MAX_TRAIN_ENVS,
        description="Environments stepped together in training (one asset, ppo or a2c): more envs gather "
        "each rollout faster; 1 keeps the classic single-env run.",
    )

    @model_validator(mode="after")
    def _vectorisable(self) -> RLTrainRequest:
        if self.n_envs > 1 and self.algo not in VEC_ALGOS:
            raise ValueError(f"n_envs > 1 needs an on-policy algorithm ({', '.join(VEC_ALGOS)}), not {self.algo}")
        return self


class RLRunSpec(_Frozen):
    """A request with every default resolved: what the run really did (``config.json``)."""

    kind: EnvKind
    assets: tuple[str, ...]
    market: str
    algo: Algo
    timesteps: int
    seed: int
    train: DateSpan
    test: DateSpan
    valid: DateSpan | None
    split_note: str = Field(description="How the windows were chosen (given or defaults).")
    env: EnvSettings
    n_envs: int = Field(default=1, description="Environments stepped together in training.")
    hyperparams: dict[str, float | int | str]
    indicators: tuple[str, ...]
    warmup_bars: int
    synthetic: bool = Field(description="True when any asset's data is synthetic.")
    provenance: dict[str, str] = Field(description="Symbol -> data source (SYNTHETIC marked).")


class PerformanceMetrics(_Frozen):
    """Performance of an equity curve over the test window (daily bars, 252 per year, rf = 0)."""

    cumulative_return: float
    annualized_return: float
    annualized_volatility: float
    sharpe: float | None = Field(description="mean/sd of daily returns x sqrt(252); None when sd is 0.")
    sortino: float | None = Field(description="mean daily return / downside deviation x sqrt(252).")
    max_drawdown: float = Field(description="Worst peak-to-trough fall, as a negative fraction.")
    calmar: float | None = Field(description="annualized return / |max drawdown|.")
    n_trades: int = Field(description="Number of (asset, day) position changes.")
    exposure: float = Field(description="Mean |position value| / account value over the days.")
    total_costs: float = Field(description="Transaction costs paid, in cash.")
    final_equity: float
    n_days: int = Field(description="Daily returns in the window.")


class BacktestRef(_Frozen):
    """The backtest that supports a suggestion."""

    run_id: str
    algo: Algo
    train: DateSpan
    test: DateSpan
    sharpe: float | None
    cumulative_return: float
    max_drawdown: float
    benchmark_sharpe: float | None
    benchmark_cumulative_return: float


class AssetAction(_Frozen):
    """The suggestion for one asset."""

    symbol: str
    price: float = Field(description="Last close, used to size the position.")
    position: float = Field(description="Target position (lots for one asset, shares for a portfolio).")
    current: float = Field(description="Position held now in the strategy's own simulation.")
    change: float = Field(description="Target minus current (positive = buy).")
    direction: Direction
    target_weight: float = Field(description="Target position value / account value (negative = short).")


class NextAction(_Frozen):
    """What the trained policy suggests for the next period. Nothing is ordered."""

    run_id: str
    date: dt.date = Field(description="Date of the last bar the policy saw.")
    for_period: str = Field(description="When the suggestion applies and how it would be filled.")
    assets: tuple[str, ...]
    unit: Literal["lots", "shares"]
    lot_size: int
    position: float | None = Field(description="Single asset: target position in lots; None for a portfolio.")
    change: float | None = Field(description="Single asset: change in lots; None for a portfolio.")
    direction: Direction | None = Field(description="Single asset: long/flat/short; None for a portfolio.")
    legs: tuple[AssetAction, ...]
    rationale: str
    observation: dict[str, dict[str, float]] = Field(description="Symbol -> indicator values the policy saw.")
    backtest: BacktestRef
    synthetic: bool
    data_note: str


class RLRunResult(_Frozen):
    """The outcome of ``taorui rl train``: metrics against buy-and-hold, paths, next action."""

    run_id: str
    run_dir: str
    algo: Algo
    asset: str = Field(description="The asset, or the assets joined by commas.")
    assets: tuple[str, ...]
    kind: EnvKind
    synthetic: bool
    train: DateSpan
    test: DateSpan
    valid: DateSpan | None
    split_note: str
    timesteps: int
    trained_timesteps: int
    costs: str
    metrics: PerformanceMetrics
    benchmark: PerformanceMetrics = Field(description="Buy-and-hold of the same asset(s), same costs.")
    relative: dict[str, float | None] = Field(
        default_factory=dict, description="Against buy and hold: excess, tracking error, IR, Newey-West t.")
    caveats: list[Caveat] = Field(default_factory=list, description="What to read the result by (computed).")
    equity_csv: str
    equity_png: str
    drawdown_png: str
    model_path: str
    next_action: NextAction


class RLEvalResult(_Frozen):
    """A saved policy replayed on a window: metrics against buy-and-hold."""

    run_id: str
    run_dir: str
    model_run_id: str
    algo: Algo
    assets: tuple[str, ...]
    synthetic: bool
    test: DateSpan
    overlaps_training: bool = Field(description="True when the window starts before training ended (in-sample).")
    costs: str
    metrics: PerformanceMetrics
    benchmark: PerformanceMetrics
    equity_csv: str
    equity_png: str
    drawdown_png: str
