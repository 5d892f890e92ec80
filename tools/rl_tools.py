"""Reinforcement-learning tools: train a policy, evaluate it on a window, ask it what to do next.

Thin wrappers over ``taorui_engines.rl``: the Args models are what the model may ask for
(algorithm as an enum, windows as dates, costs within bounds); the asset is checked
against the store by the engine, which names the assets it holds when one is unknown.
"""

from __future__ import annotations

from pydantic import Field

from taorui_engines.rl import (
    Algo,
    DateSpan,
    EnvSettings,
    NextAction,
    RLEvalResult,
    RLRunResult,
    RLTrainRequest,
    evaluate_agent,
    next_action,
    train_agent,
)
from tools._base import Tool, ToolArgs, ToolKind, ToolResult
from tools._context import ToolContext

__all__ = [
    "EVALUATE_RL_AGENT",
    "RL_NEXT_ACTION",
    "TOOLS",
    "TRAIN_RL_AGENT",
    "EvaluateRLArgs",
    "EvaluateRLResult",
    "RLNextActionArgs",
    "RLNextActionResult",
    "TrainRLArgs",
    "TrainRLResult",
]

#: Tool calls are bounded more tightly than the engine: an agent should not start an hour-long run.
MAX_TOOL_TIMESTEPS = 200_000


class TrainRLArgs(ToolArgs):
    """Arguments of ``train_rl_agent``."""

    asset: str = Field(
        min_length=1, max_length=400,
        description="Symbol to trade, e.g. GOLD, SP500, WTI, SYN001; or several comma-separated symbols "
        "of one market (at most 30) for a portfolio, e.g. SYN001,SYN002,SYN003.",
    )
    algo: Algo = Field(default="ppo", description="Algorithm: ppo, a2c, sac, td3 or ddpg.")
    timesteps: int = Field(default=5000, ge=100, le=MAX_TOOL_TIMESTEPS, description="Training steps (5000 takes about a minute).")
    seed: int = Field(default=7, ge=0, le=2**31 - 1, description="Random seed; the same seed gives the same result.")
    train: DateSpan | None = Field(default=None, description="Training window; default: the 4 years before the test window.")
    test: DateSpan | None = Field(default=None, description="Test window; default: the last year of data.")
    valid: DateSpan | None = Field(default=None, description="Optional validation window (between train and test) for early stopping.")
    cost_pct: float = Field(default=0.001, ge=0, le=0.05, description="Transaction cost per side (0.001 = 10 bp).")
    initial_cash: float = Field(default=1_000_000.0, gt=0, le=1e12, description="Starting cash.")
    lot_size: int = Field(default=1, ge=1, le=1_000_000, description="One asset only: units per lot.")
    allow_short: bool = Field(default=False, description="One asset only: allow short positions.")

    def to_request(self) -> RLTrainRequest:
        """The engine's request."""
        env = EnvSettings(
            initial_cash=self.initial_cash, cost_pct=self.cost_pct, lot_size=self.lot_size, allow_short=self.allow_short
        )
        assets = tuple(a.strip() for a in self.asset.split(",") if a.strip())
        return RLTrainRequest(
            assets=assets, algo=self.algo, timesteps=self.timesteps, seed=self.seed,
            train=self.train, test=self.test, valid=self.valid, env=env,
        )


class TrainRLResult(RLRunResult, ToolResult):
    """Run id and folder, windows, metrics vs buy-and-hold, picture paths, next action."""


class EvaluateRLArgs(ToolArgs):
    """Arguments of ``evaluate_rl_agent``."""

    run_id: str = Field(min_length=1, max_length=200, description="Id of a finished RL training run.")
    test: DateSpan | None = Field(default=None, description="Window to replay the policy on; default: the run's test window.")


class EvaluateRLResult(RLEvalResult, ToolResult):
    """The evaluation run: metrics vs buy-and-hold on the window, picture paths."""


class RLNextActionArgs(ToolArgs):
    """Arguments of ``rl_next_action``."""

    run_id: str = Field(min_length=1, max_length=200, description="Id of a finished RL training run.")


class RLNextActionResult(NextAction, ToolResult):
    """Target position, change, direction, rationale and the supporting backtest."""


def _train(args: TrainRLArgs, ctx: ToolContext) -> TrainRLResult:
    result = train_agent(ctx.data, ctx.runs_dir, args.to_request(), ctx.progress)
    return TrainRLResult.model_validate(result.model_dump())


def _evaluate(args: EvaluateRLArgs, ctx: ToolContext) -> EvaluateRLResult:
    result = evaluate_agent(ctx.data, ctx.runs_dir, args.run_id, args.test)
    return EvaluateRLResult.model_validate(result.model_dump())


def _next_action(args: RLNextActionArgs, ctx: ToolContext) -> RLNextActionResult:
    result = next_action(ctx.data, ctx.runs_dir, args.run_id)
    return RLNextActionResult.model_validate(result.model_dump())


TRAIN_RL_AGENT: Tool[TrainRLArgs, TrainRLResult, ToolContext] = Tool(
    name="train_rl_agent",
    description="Train a reinforcement-learning trading policy (FinRL env, SB3 PPO/A2C/SAC/TD3/DDPG) on one asset "
    "or a few, backtest it on a later test window against buy-and-hold with costs, and suggest the next position.",
    kind=ToolKind.COMPUTE,
    args_model=TrainRLArgs,
    result_model=TrainRLResult,
    fn=_train,
)

EVALUATE_RL_AGENT: Tool[EvaluateRLArgs, EvaluateRLResult, ToolContext] = Tool(
    name="evaluate_rl_agent",
    description="Replay a trained RL policy on a date window and compare it with buy-and-hold (Sharpe, drawdown, ...).",
    kind=ToolKind.COMPUTE,
    args_model=EvaluateRLArgs,
    result_model=EvaluateRLResult,
    fn=_evaluate,
)

RL_NEXT_ACTION: Tool[RLNextActionArgs, RLNextActionResult, ToolContext] = Tool(
    name="rl_next_action",
    description="Ask a trained RL policy for its suggested position for the next period on the latest data, "
    "with the indicators it saw and the backtest behind it. Places no order.",
    kind=ToolKind.READ,
    args_model=RLNextActionArgs,
    result_model=RLNextActionResult,
    fn=_next_action,
)

TOOLS: tuple[Tool, ...] = (TRAIN_RL_AGENT, EVALUATE_RL_AGENT, RL_NEXT_ACTION)  # type: ignore[type-arg]
