"""Token and cost counting per instruction, and the budget that stops a run cleanly."""

from __future__ import annotations

import logging
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from agents.llm._config import ModelPrice
from taorui_engines.errors import BudgetExceededError

__all__ = ["Usage", "UsageMeter"]

logger = logging.getLogger(__name__)


class Usage(BaseModel):
    """What the LLM calls of one instruction cost so far."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float | None = Field(default=0.0, description="None when the model's price is unknown.")
    retries: int = 0

    @property
    def total_tokens(self) -> int:
        """Input plus output tokens."""
        return self.input_tokens + self.output_tokens

    def plus(self, other: Usage) -> Usage:
        """Sum of two usages (an unknown cost stays unknown)."""
        cost = None if self.cost_usd is None or other.cost_usd is None else self.cost_usd + other.cost_usd
        return Usage(calls=self.calls + other.calls, input_tokens=self.input_tokens + other.input_tokens,
                     output_tokens=self.output_tokens + other.output_tokens, cost_usd=cost,
                     retries=self.retries + other.retries)


class UsageMeter:
    """Adds up usage and refuses the next call once a budget is spent.

    ``start`` carries what earlier segments of the same instruction used (a resumed thread
    keeps its spending), so a budget cannot be dodged by interrupting and resuming.
    """

    def __init__(self, token_budget: int, cost_budget_usd: float, price: ModelPrice | None,
                 start: Usage | None = None) -> None:
        self.token_budget = token_budget
        self.cost_budget_usd = cost_budget_usd
        self.price = price
        self.usage = start or Usage()

    def check(self) -> None:
        """Raise ``BudgetExceededError`` when a budget is already spent."""
        used = self.usage
        if used.total_tokens >= self.token_budget:
            raise BudgetExceededError(
                f"LLM token budget spent: {used.total_tokens} of {self.token_budget} tokens used "
                "for this instruction (raise TAORUI_LLM_TOKEN_BUDGET to allow more)"
            )
        if used.cost_usd is not None and used.cost_usd >= self.cost_budget_usd > 0:
            raise BudgetExceededError(
                f"LLM cost budget spent: ${used.cost_usd:.4f} of ${self.cost_budget_usd:.2f} "
                "for this instruction (raise TAORUI_LLM_COST_BUDGET_USD to allow more)"
            )

    def record(self, usage_metadata: dict[str, Any] | None, retries: int = 0) -> Usage:
        """Add one call's token counts (``AIMessage.usage_metadata``); returns the total."""
        meta = usage_metadata or {}
        tokens_in, tokens_out = int(meta.get("input_tokens", 0)), int(meta.get("output_tokens", 0))
        cost = None if self.price is None else (
            tokens_in * self.price.input + tokens_out * self.price.output) / 1_000_000
        self.usage = self.usage.plus(Usage(calls=1, input_tokens=tokens_in, output_tokens=tokens_out,
                                           cost_usd=cost, retries=retries))
        logger.info("llm call: %d in / %d out tokens (total %d)", tokens_in, tokens_out,
                    self.usage.total_tokens)
        return self.usage
