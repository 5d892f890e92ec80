"""The seam for a proposer outside the engine (a language model), and what passes through it.

The loop owns everything that decides: the parser, the evaluation, the acceptance rule, the
multiple-testing count and the budgets. A proposer only writes hypotheses and expressions.
Each round it gets a :class:`RoundFeedback` (what was kept, what was dropped and why, what
the parser refused and its message) and answers with a :class:`ProposalBatch`, whose usage
the loop adds up against the run's token and money budgets. The engine never imports an
LLM client: the app builds the proposer (``agents.mining``) and passes it in.
"""

from __future__ import annotations

from typing import Literal, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field, field_validator

from taorui_engines.factor_mining._themes import ALIASES

__all__ = [
    "ExternalProposer",
    "FeedbackFactor",
    "Hypothesis",
    "ProposalBatch",
    "ProposerUsage",
    "RoundFeedback",
]

#: Most expressions one hypothesis may carry; most hypotheses per batch.
MAX_EXPRESSIONS, MAX_HYPOTHESES = 8, 12


class Hypothesis(BaseModel):
    """An idea about the market and the expressions that test it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    text: str = Field(min_length=1, max_length=600, description="The hypothesis in a sentence or two.")
    theme: str = Field(default="llm", max_length=40,
                       description="momentum, reversal, volatility, volume, liquidity, or 'llm' for another idea.")
    expressions: tuple[str, ...] = Field(min_length=1, max_length=MAX_EXPRESSIONS,
                                         description="Expressions in the project's grammar that test it.")

    @field_validator("theme", mode="before")
    @classmethod
    def _known_or_llm(cls, value: object) -> object:
        if isinstance(value, str):
            key = " ".join(value.strip().lower().split())
            return ALIASES.get(key, "llm")
        return value

    @field_validator("expressions", mode="before")
    @classmethod
    def _short_texts(cls, value: object) -> object:
        if isinstance(value, list | tuple):
            return tuple(str(v)[:1000] for v in value)  # the parser refuses what is too long, with its message
        return value


class ProposerUsage(BaseModel):
    """What the proposer's model calls cost (None: price unknown)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    calls: int = Field(default=0, ge=0)
    input_tokens: int = Field(default=0, ge=0)
    output_tokens: int = Field(default=0, ge=0)
    cost_usd: float | None = Field(default=0.0, ge=0)

    @property
    def total_tokens(self) -> int:
        """Input plus output tokens."""
        return self.input_tokens + self.output_tokens

    def plus(self, other: ProposerUsage) -> ProposerUsage:
        """The sum (an unknown cost stays unknown)."""
        cost = None if self.cost_usd is None or other.cost_usd is None else self.cost_usd + other.cost_usd
        return ProposerUsage(calls=self.calls + other.calls, input_tokens=self.input_tokens + other.input_tokens,
                             output_tokens=self.output_tokens + other.output_tokens, cost_usd=cost)


class ProposalBatch(BaseModel):
    """One round's proposals, what they cost, and a note when the reply could not be used."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    hypotheses: tuple[Hypothesis, ...] = Field(default=(), max_length=MAX_HYPOTHESES)
    usage: ProposerUsage = Field(default_factory=ProposerUsage, description="This round's calls only.")
    note: str | None = Field(default=None, description="Why the batch is short or empty (a malformed reply, ...).")


class FeedbackFactor(BaseModel):
    """One judged candidate as the proposer sees it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    expr: str
    hypothesis: str | None = None
    status: Literal["accepted", "rejected", "invalid"]
    mining_rank_icir: float | None = None
    confirmed: bool | None = Field(default=None, description="Passed the confirmation period (None: not reached).")
    reason: str


class RoundFeedback(BaseModel):
    """What a proposer knows before a round: the task, the grammar, and the run so far.

    Confirmation-period numbers are not in it (only whether a candidate was confirmed), so a
    proposer cannot tune to the held-out period any more than the genetic search does.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    round: int
    want: int = Field(description="How many new expressions the loop asks for this round.")
    universe: str
    synthetic: bool
    horizon: int
    themes: tuple[str, ...]
    fields: tuple[str, ...]
    operators: tuple[str, ...]
    max_size: int
    max_depth: int
    n_tried: int
    t_threshold: float
    candidates_left: int
    accepted: tuple[FeedbackFactor, ...] = ()
    rejected: tuple[FeedbackFactor, ...] = ()
    invalid: tuple[FeedbackFactor, ...] = ()
    library: tuple[str, ...] = Field(default=(), description="Known factors a new one must not duplicate.")
    language: Literal["en", "zh"] = "en"


@runtime_checkable
class ExternalProposer(Protocol):
    """Writes hypotheses and expressions for a round; the loop judges them.

    ``propose`` may raise :class:`~taorui_engines.errors.BudgetExceededError` (its own meter
    ran out) or :class:`~taorui_engines.errors.UnavailableError` (the model is unreachable);
    the loop stops the run and reports it with what was found so far.
    """

    @property
    def name(self) -> str:
        """Who proposes, for reports (e.g. ``llm:gpt-4o-mini``)."""

    def propose(self, feedback: RoundFeedback) -> ProposalBatch:
        """Hypotheses and expressions for the next round."""
