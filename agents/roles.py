"""The agent roles: instructions (prompt files), tools, hand-over targets, step budgets."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from agents.control import ASK_USER, HANDOVER, ROUTE

__all__ = ["AGENTS", "ROLES", "STEP_TOOLS", "SUPERVISOR", "AgentName", "Role", "load_prompt", "role", "step_tools"]

AgentName = Literal["strategy_advisor", "factor_miner", "trader"]
AGENTS: tuple[AgentName, ...] = ("strategy_advisor", "factor_miner", "trader")
_PROMPTS = Path(__file__).parent / "prompts"


class Role(BaseModel):
    """One role: who it is, what it may call, to whom it may hand over, and its budget."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    title: str
    tools: tuple[str, ...] = Field(description="Names of the tools this role may call.")
    control: tuple[str, ...] = Field(description="Control tools (route, ask, handover).")
    handover_to: tuple[AgentName, ...] = ()
    max_steps: int = Field(ge=1, le=50, description="Model turns with tool calls before it must answer.")
    returns: str = Field(description="What the role's final answer must contain.")


SUPERVISOR = Role(
    name="supervisor", title="Supervisor", tools=(), control=(ROUTE, ASK_USER), max_steps=1,
    returns="a route to one agent, or one clarifying question",
)

ROLES: dict[AgentName, Role] = {
    "strategy_advisor": Role(
        name="strategy_advisor", title="Strategy advisor",
        tools=("get_price", "train_rl_agent", "evaluate_rl_agent", "rl_next_action",
               "train_qlib_model", "backtest_signal", "list_strategies", "backtest_strategy",
               "optimize_strategy", "search_memory", "recall_run"),
        control=(HANDOVER,), handover_to=("trader", "factor_miner"), max_steps=10,
        returns="metrics out of sample with costs against a benchmark, a recommendation, and "
                "(when asked) a next-period suggestion with its rationale and supporting backtest",
    ),
    "factor_miner": Role(
        name="factor_miner", title="Factor miner",
        tools=("mine_factors", "evaluate_factors", "get_price", "search_memory", "recall_run"),
        control=(HANDOVER,), handover_to=("strategy_advisor",), max_steps=8,
        returns="IC / Rank IC / ICIR per factor with universe, window and horizon; for mining, a keep/drop "
                "table with reasons, the candidates tried and the rule; duplicates named",
    ),
    "trader": Role(
        name="trader", title="Trader",
        tools=("get_account", "risk_status", "get_price", "place_order", "run_trading_cycle", "explain_trades",
               "search_memory"),
        # "check my account, then backtest MACD on gold": research asked after a look at the book is
        # handed on, never dropped
        control=(HANDOVER,), handover_to=("strategy_advisor", "factor_miner"), max_steps=10,
        returns="the orders proposed, the gate's decisions, fills with prices, and why these orders",
    ),
}


#: The tools a step of each intent runs, its main tool first (a remote model with a small
#: context is offered these and the role's reads, not every tool of the role). An intent not
#: listed is offered all of its agent's tools.
STEP_TOOLS: dict[str, tuple[str, ...]] = {
    "train_rl": ("train_rl_agent", "evaluate_rl_agent", "rl_next_action"),
    "train_model": ("train_qlib_model", "backtest_signal"),
    "backtest_strategy": ("backtest_strategy", "list_strategies"),
    "optimize_strategy": ("optimize_strategy", "list_strategies", "backtest_strategy"),
    "list_strategies": ("list_strategies",),
    "show_price": ("get_price",),
    "recall": ("search_memory", "recall_run"),
    "compare": (),
}
#: Offered at every step: reading prices and memory.
_READS = ("get_price", "search_memory", "recall_run")


def step_tools(agent: AgentName, intent: str) -> tuple[str, ...] | None:
    """The tools of ``agent`` a step of ``intent`` is offered, or None for all of them."""
    wanted = STEP_TOOLS.get(intent)
    if wanted is None:
        return None
    tools = ROLES[agent].tools
    return tuple(t for t in tools if t in wanted or t in _READS)


def role(name: str) -> Role:
    """The role called ``name`` (``supervisor`` included)."""
    if name == "supervisor":
        return SUPERVISOR
    return ROLES[name]  # type: ignore[index]


@cache
def load_prompt(name: str) -> str:
    """The instructions of a role, from ``agents/prompts/<name>.md``."""
    return (_PROMPTS / f"{name}.md").read_text(encoding="utf-8")
