"""The task spec: the one typed contract between understanding an instruction and running it.

Every backend ends understanding here - the offline parser directly, an LLM through
structured output (a ``submit_task`` tool call validated against this schema) - and one
executor runs it. Nothing between the two is an untyped dict, and answers echo it: every
value carries where it came from,

- ``stated``: the person said it (``said`` holds their words),
- ``default``: nobody said it; the planner's default was taken (and the answer says so),
- ``inferred``: worked out from what was said or from the account (a relative quantity
  computed from a position; an asset shared by the steps of one instruction).

An instruction is an ordered list of steps ("pit SAC against TD3 on crude" is two training
steps and a comparison; "backtest Bollinger bands, then train A2C, then compare" is three).
Spans that look like parameters but were not used are kept in ``ignored`` so the answer can
name them rather than drop them silently.
"""

from __future__ import annotations

from datetime import date
from typing import Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = [
    "ApprovalReason",
    "approval_reason",
    "needs_person",
    "AGENT_OF",
    "INTENTS",
    "AgentName",
    "Costs",
    "Intent",
    "Language",
    "Quantity",
    "RunRef",
    "Source",
    "Sourced",
    "StepSpec",
    "TaskSpec",
    "Window",
    "Windows",
    "stated",
]

T = TypeVar("T")

Source = Literal["stated", "default", "inferred"]
Language = Literal["en", "zh"]
AgentName = Literal["strategy_advisor", "factor_miner", "trader"]
Intent = Literal[
    "train_rl",            # FinRL/SB3 on one asset (or several)
    "train_model",         # a Qlib model on a universe, optionally backtested / traded
    "backtest_strategy",   # a Backtrader rule strategy
    "optimize_strategy",   # a parameter search of a rule strategy
    "list_strategies",
    "evaluate_factors",    # expressions the person gave
    "mine_factors",        # propose factors of a theme and evaluate them
    "place_order",
    "account_status",
    "trading_cycle",       # "run today's trading cycle": signal -> target -> orders
    "explain_trades",      # "why did the model buy these?": the cycle's picks, from the model itself
    "recall",              # what an earlier run did (memory), never a retrain
    "show_price",
    "compare",             # compare the results of the steps before it
    "out_of_scope",        # not something Taorui does: say what it can do
    "unknown",             # could not tell: ask
]
INTENTS: tuple[str, ...] = Intent.__args__  # type: ignore[attr-defined]

#: Who runs each intent.
AGENT_OF: dict[str, AgentName | None] = {
    "train_rl": "strategy_advisor", "train_model": "strategy_advisor", "backtest_strategy": "strategy_advisor",
    "optimize_strategy": "strategy_advisor", "list_strategies": "strategy_advisor", "recall": "strategy_advisor",
    "show_price": "strategy_advisor", "compare": "strategy_advisor", "evaluate_factors": "factor_miner",
    "mine_factors": "factor_miner", "place_order": "trader", "account_status": "trader",
    "trading_cycle": "strategy_advisor", "explain_trades": "trader", "out_of_scope": None, "unknown": None,
}


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Sourced(_Frozen, Generic[T]):
    """A value and where it came from."""

    value: T
    source: Source = Field(description="stated (the person said it), default, or inferred.")
    said: str | None = Field(default=None, max_length=200, description="The person's words, when stated.")


def stated(value: T, said: str | None = None) -> Sourced[T]:
    """A value the person stated (``said``: their words)."""
    return Sourced[T](value=value, source="stated", said=said)


class Window(_Frozen):
    """A closed date range."""

    start: date
    end: date

    @model_validator(mode="after")
    def _ordered(self) -> Window:
        if self.start > self.end:
            raise ValueError(f"window starts {self.start} after it ends {self.end}")
        return self

    def label(self) -> str:
        """``2021-01-01..2021-12-31``."""
        return f"{self.start.isoformat()}..{self.end.isoformat()}"


class Windows(_Frozen):
    """The data window and its split by time. Unset parts are the executor's defaults."""

    data: Sourced[Window] | None = Field(default=None, description="The whole window the person named.")
    train: Sourced[Window] | None = None
    valid: Sourced[Window] | None = None
    test: Sourced[Window] | None = Field(default=None, description="Held-out / out-of-sample test window.")


class Costs(_Frozen):
    """Trading costs as fractions of traded value (3 bp = 0.0003)."""

    commission: Sourced[float] | None = Field(default=None, description="Commission rate, e.g. 0.0003 for 3 bp.")
    slippage: Sourced[float] | None = Field(default=None, description="Slippage rate, e.g. 0.0005 for 5 bp.")


class Quantity(_Frozen):
    """How much to trade, as the person put it. Relative kinds are computed before an order."""

    kind: Literal["units", "lots", "notional", "pct_equity", "fraction_of_position"]
    value: float = Field(gt=0, description="Units / lots / money / percent (30 = 30 %) / fraction (0.5 = half).")

    @model_validator(mode="after")
    def _bounded(self) -> Quantity:
        if self.kind == "fraction_of_position" and self.value > 1:
            raise ValueError("a fraction of a position is at most 1 (all of it)")
        if self.kind == "pct_equity" and self.value > 100:
            raise ValueError("a percentage of equity is at most 100")
        return self

    @property
    def relative(self) -> bool:
        """True when the order size must be computed from the account (shown, then approved)."""
        return self.kind in ("pct_equity", "fraction_of_position")


class RunRef(_Frozen):
    """An earlier run the person refers to ("the gold model we trained yesterday")."""

    kind: Literal["rl", "model", "backtest", "factor", "any"] = "any"
    asset: str | None = None
    when: str | None = Field(default=None, description="last | yesterday | YYYY-MM-DD, as said.")
    run_id: str | None = None


class StepSpec(_Frozen):
    """One step of an instruction."""

    intent: Intent
    agent: AgentName | None
    instruments: tuple[Sourced[str], ...] = ()
    universe: Sourced[str] | None = None
    algo: Sourced[str] | None = Field(default=None, description="RL algorithm: ppo, a2c, sac, td3, ddpg.")
    model: Sourced[str] | None = Field(default=None, description="Qlib model: lightgbm, linear, mlp.")
    features: Sourced[str] | None = None
    strategy: Sourced[str] | None = Field(default=None, description="Rule strategy name.")
    params: dict[str, Sourced[float]] = Field(default_factory=dict, description="Strategy parameters.")
    grid: dict[str, Sourced[tuple[float, ...]]] = Field(default_factory=dict,
                                                        description="Values to search, per parameter.")
    tune: tuple[str, ...] = Field(default=(), description="Parameters to search with default ranges.")
    windows: Windows = Field(default_factory=Windows)
    costs: Costs = Field(default_factory=Costs)
    horizon: Sourced[Literal["day", "week", "month"]] | None = Field(
        default=None, description="The period a suggestion is for (next week).")
    forward_days: Sourced[int] | None = Field(default=None, description="Factor forward-return horizon in days.")
    timesteps: Sourced[int] | None = None
    seed: Sourced[int] | None = None
    cash: Sourced[float] | None = None
    side: Sourced[Literal["buy", "sell"]] | None = None
    quantity: Sourced[Quantity] | None = None
    limit_price: Sourced[float] | None = Field(
        default=None, description="A limit price the person stated for an order ('with a limit at 1000', '限价1000').")
    condition: Sourced[str] | None = Field(
        default=None, description="A condition the person attached to an order ('if it is down on the day'). It is "
                                  "not evaluated: the order waits for a person who checks it.")
    top_k: Sourced[int] | None = None
    top_pct: Sourced[float] | None = None
    expressions: tuple[Sourced[str], ...] = ()
    theme: Sourced[str] | None = Field(default=None, description="Factor theme: momentum, reversal, ...")
    factor_count: Sourced[int] | None = None
    ref: Sourced[RunRef] | None = None
    suggest: bool = Field(default=False, description="The person asked what to do next (a suggestion).")
    all_positions: bool = Field(
        default=False, description="An order on every held position, as the person said it ('close everything', "
                                   "'sell all my positions', '清仓所有持仓'): one sell per position of its whole size, "
                                   "computed from the account and always approved by a person.")


class TaskSpec(_Frozen):
    """Everything one instruction asks, in order, with where each value came from."""

    text: str = Field(description="The instruction (and replies to questions), as given.")
    language: Language
    steps: tuple[StepSpec, ...] = Field(min_length=1)
    approval: Sourced[bool] = Field(description="Ask the person before any order.")
    question: str | None = Field(default=None, description="One clarifying question; nothing runs until answered.")
    ignored: tuple[str, ...] = Field(default=(), description="Parameter-like spans not used, named in the answer.")
    backend: str = Field(default="offline", description="Who produced the spec.")

    @property
    def agent(self) -> AgentName | None:
        """The agent of the first step (where the supervisor routes)."""
        return self.steps[0].agent

    @property
    def intents(self) -> tuple[str, ...]:
        """The steps' intents in order."""
        return tuple(s.intent for s in self.steps)


ApprovalReason = Literal["person_asked", "computed_quantity", "inferred_order", "conditional_order"]


def approval_reason(spec: TaskSpec) -> ApprovalReason | None:
    """Why this task's orders wait for a person, or None when the policy alone decides.

    Orders wait when the person asked; when a size is computed rather than stated ("half",
    "all", 30 % of equity, an amount of money, every held position: the planner's arithmetic on
    a position, a price or the account); when a size, side or symbol was inferred; or when the order hangs on a condition
    ("if it is down on the day") that nothing here evaluates. Why regardless of the policy's size
    limits: the one mistake that moves money is a misread, so a person sees the computation
    before anything is sent.
    """
    if spec.approval.value:
        return "person_asked"
    for step in spec.steps:
        if step.intent != "place_order":
            continue
        if step.condition is not None:
            return "conditional_order"
        if step.all_positions:  # sizes (and symbols) read from the account: always shown and approved
            return "computed_quantity"
        quantity = step.quantity
        if quantity is not None and quantity.source == "stated" and (quantity.value.relative
                                                                   or quantity.value.kind == "notional"):
            return "computed_quantity"
        if quantity is not None and quantity.source != "stated":
            return "inferred_order"
        if (step.side is not None and step.side.source != "stated") or any(i.source != "stated" for i in step.instruments):
            return "inferred_order"
    return None


def needs_person(spec: TaskSpec) -> bool:
    """Whether the task's orders wait for a person (see :func:`approval_reason`)."""
    return approval_reason(spec) is not None
