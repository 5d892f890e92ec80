"""Typed request and result of a factor-mining run, and the written acceptance rule."""

from __future__ import annotations

import math
from datetime import date
from statistics import NormalDist
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from taorui_engines.errors import InvalidArgumentError
from taorui_engines.factor_mining._proposals import ProposerUsage
from taorui_engines.factor_mining._themes import theme_key

StopReason = Literal["rounds_done", "candidate_budget", "time_budget", "token_budget", "cost_budget",
                     "no_new_candidates", "proposer_failed"]
#: Stop reasons that are budget stops (reported as such, with what was found so far).
BUDGET_STOPS: tuple[str, ...] = ("candidate_budget", "time_budget", "token_budget", "cost_budget")
Status = Literal["accepted", "rejected", "invalid"]
Origin = Literal["seed", "user", "mutation", "crossover", "llm"]
ProposerMode = Literal["offline", "llm", "hybrid"]


class AcceptanceRule(BaseModel):
    """When a mined factor is kept. Every threshold is shown in every result (see :meth:`text`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    min_rank_icir: float = Field(default=0.10, gt=0, le=5, description="Least |Rank ICIR| on the mining period.")
    family_alpha: float = Field(
        default=0.05, gt=0, lt=1,
        description="Family-wise error rate: the mining-period |Newey-West t| must exceed the two-sided "
                    "Bonferroni threshold z(1 - alpha / (2 * candidates tried)).")
    confirm_ratio: float = Field(
        default=0.5, ge=0, le=1,
        description="The confirmation-period Rank ICIR must have the mining sign and at least this share "
                    "of the mining-period |Rank ICIR|.")
    max_correlation: float = Field(
        default=0.5, gt=0, le=1,
        description="Largest allowed |mean daily cross-sectional rank correlation| with any library or "
                    "already-accepted factor.")
    max_size: int = Field(default=20, ge=1, le=200, description="Most nodes (fields, numbers, operators).")
    max_depth: int = Field(default=6, ge=1, le=24, description="Deepest tree nesting.")
    min_coverage: float = Field(default=0.8, ge=0, le=1, description="Least share of (day, symbol) cells with a value.")

    def t_threshold(self, n_tried: int) -> float:
        """Bonferroni-corrected two-sided threshold on |t| after ``n_tried`` evaluated candidates."""
        return NormalDist().inv_cdf(1.0 - self.family_alpha / (2.0 * max(1, n_tried)))

    def text(self, n_tried: int | None = None) -> str:
        """The rule in words, with its numbers (and the t threshold once the count is known)."""
        t = f" (= {self.t_threshold(n_tried):.2f} for {n_tried} candidates)" if n_tried else ""
        return (
            "ACCEPT a candidate only if all hold: "
            f"(1) mining period: |Rank ICIR| >= {self.min_rank_icir:g} and |Newey-West t of the mean Rank IC| "
            f">= z(1 - {self.family_alpha:g} / (2 x candidates tried)){t}, Bonferroni over every candidate "
            f"evaluated in the run; coverage >= {self.min_coverage:g}; "
            f"(2) confirmation period (later, held out from the search): Rank ICIR of the same sign and at "
            f"least {self.confirm_ratio:g} x the mining |Rank ICIR|; "
            f"(3) |mean daily rank correlation| < {self.max_correlation:g} with every library factor and "
            f"every factor accepted before it, and the part of it those factors do not explain (its daily "
            f"cross-sectional ranks less their regression on theirs) keeps the mining sign with |Rank ICIR| "
            f">= {self.min_rank_icir:g} and a Newey-West |t| above the same Bonferroni threshold on the mining "
            f"period; (4) tree size <= {self.max_size} and depth <= {self.max_depth}. "
            "The search itself only sees mining-period numbers."
        )

    def text_zh(self, n_tried: int | None = None) -> str:
        """The rule in Chinese (the same numbers as :meth:`text`)."""
        t = f"（{n_tried} 个候选时为 {self.t_threshold(n_tried):.2f}）" if n_tried else ""
        return (
            "只有同时满足以下各条才保留一个候选因子：(1) 挖掘期：|Rank ICIR| >= "
            f"{self.min_rank_icir:g}，且平均 Rank IC 的 Newey-West |t| >= z(1 - {self.family_alpha:g} / (2 x 候选数)){t}，"
            f"即对本次评估过的全部候选做 Bonferroni 校正；覆盖率 >= {self.min_coverage:g}；(2) 确认期（在挖掘期之后，"
            f"搜索看不到）：Rank ICIR 方向相同，且至少为挖掘期 |Rank ICIR| 的 {self.confirm_ratio:g} 倍；"
            f"(3) 与因子库中和此前已保留的每个因子的日均秩相关系数绝对值 < {self.max_correlation:g}，且这些因子解释不了的"
            f"部分（每日横截面秩对它们回归后的残差）在挖掘期仍保持方向，|Rank ICIR| >= {self.min_rank_icir:g}，"
            f"Newey-West |t| 也超过同一 Bonferroni 门槛；(4) 表达式树节点数 <= {self.max_size}，深度 <= {self.max_depth}。"
            "搜索本身只看挖掘期的数字。"
        )


class MiningRequest(BaseModel):
    """A factor-mining run: where, which periods, which themes, which budgets."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    universe: str | tuple[str, ...] = Field(description="A universe name or a list of symbols.")
    mining_start: date = Field(description="First day of the mining period (the search sees only it).")
    mining_end: date = Field(description="Last day of the mining period.")
    confirm_start: date = Field(description="First day of the confirmation period (after mining_end).")
    confirm_end: date = Field(description="Last day of the confirmation period.")
    themes: tuple[str, ...] = Field(
        default=(), max_length=5,
        description="Themes that seed the search: momentum, reversal, volatility, volume, liquidity "
                    "(or 动量, 反转, 波动率, 成交量/量价, 流动性/换手率); empty means all.")
    seed_expressions: tuple[str, ...] = Field(
        default=(), max_length=50, description="Expressions to evaluate in the first round (checked by the parser).")
    library: tuple[str, ...] = Field(
        default=(), max_length=200, description="Known factors a new one must not duplicate.")
    horizon: int = Field(default=1, ge=1, le=20, description="Forward-return horizon h in trading days.")
    rounds: int = Field(default=6, ge=1, le=100, description="Most generations of the search.")
    population: int = Field(default=24, ge=4, le=200, description="New candidates per round after the first.")
    max_candidates: int = Field(default=300, ge=1, le=5000, description="Most candidates evaluated in the run.")
    budget_s: float = Field(default=300.0, gt=0, le=86400, description="Wall-time budget in seconds.")
    seed: int = Field(default=0, ge=0, description="Random seed: same seed and data, same run.")
    proposer: ProposerMode = Field(
        default="offline",
        description="Who proposes: 'offline' (the genetic search), 'llm' (a language model writes hypotheses and "
                    "expressions each round), 'hybrid' (both: the model's ideas, and the search breeds from them).")
    token_budget: int = Field(default=100_000, ge=1, le=10_000_000,
                              description="Most LLM tokens (input + output) the proposer may use in the run.")
    cost_budget_usd: float = Field(default=1.0, ge=0, le=1000,
                                   description="Most USD the proposer may spend in the run (0: no money limit).")
    language: Literal["en", "zh"] = Field(default="en", description="Language of the hypotheses a model writes.")
    rule: AcceptanceRule = Field(default_factory=AcceptanceRule, description="The acceptance rule.")
    min_count: int = Field(default=10, ge=3, le=1000, description="Fewest symbols for a day's IC.")

    @field_validator("themes", mode="before")
    @classmethod
    def _canonical_themes(cls, value: object) -> object:
        if isinstance(value, str):
            value = tuple(part for part in value.split(",") if part.strip())
        if isinstance(value, list | tuple):
            try:
                return tuple(dict.fromkeys(theme_key(v) for v in value))
            except InvalidArgumentError as exc:  # a validation error the caller can read and correct
                raise ValueError(exc.message) from exc
        return value

    @model_validator(mode="after")
    def _periods_in_order(self) -> MiningRequest:
        if not self.mining_start < self.mining_end < self.confirm_start <= self.confirm_end:
            raise ValueError(
                "periods must be in order: mining_start < mining_end < confirm_start <= confirm_end "
                "(the confirmation period comes after the mining period)"
            )
        return self


class PeriodStats(BaseModel):
    """Rank IC statistics of one factor on one period."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    rank_ic_mean: float | None = Field(description="Mean daily Spearman Rank IC.")
    rank_ic_std: float | None = Field(description="Std of the daily Rank IC.")
    rank_icir: float | None = Field(description="rank_ic_mean / rank_ic_std (daily, not annualised).")
    rank_ic_t_nw: float | None = Field(description="Newey-West t of the mean daily Rank IC.")
    positive_ratio: float | None = Field(description="Share of days with Rank IC > 0.")
    n_days: int = Field(description="Days with a valid Rank IC.")
    coverage: float = Field(description="Share of traded (day, symbol) cells with a finite value.")


class MinedFactor(BaseModel):
    """One candidate of the run: what it is, where it came from, its numbers and the decision."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    expr: str = Field(description="The candidate's text as proposed.")
    canonical: str | None = Field(description="Canonical text (None when the parser refused it).")
    description: str | None = Field(default=None, description="The expression in English.")
    hypothesis: str | None = Field(default=None, description="The hypothesis it tests (written by the LLM proposer).")
    theme: str = Field(description="Theme of the seed it descends from ('user' for given expressions).")
    origin: Origin = Field(description="How it was proposed.")
    round: int = Field(description="Round (0-based) in which it was evaluated.")
    size: int | None = Field(default=None, description="Tree size (nodes).")
    depth: int | None = Field(default=None, description="Tree depth.")
    status: Status = Field(description="accepted, rejected, or invalid (refused by the parser).")
    reasons: list[str] = Field(default_factory=list, description="Why it was rejected (or 'passes every rule').")
    reasons_zh: list[str] = Field(default_factory=list, description="The same reasons in Chinese.")
    direction: int | None = Field(default=None, description="+1 if high values predict high returns, -1 if low.")
    fitness: float | None = Field(default=None, description="Search score: |mining Rank ICIR| minus penalties.")
    mining: PeriodStats | None = Field(default=None, description="Statistics on the mining period.")
    confirmation: PeriodStats | None = Field(
        default=None, description="Statistics on the confirmation period (only for mining-period survivors).")
    incremental: PeriodStats | None = Field(
        default=None, description="Mining-period statistics of what library/accepted factors do not explain.")
    autocorr: float | None = Field(default=None, description="Mining-period rank autocorrelation (lag 1).")
    turnover: float | None = Field(default=None, description="Mining-period daily top-quintile turnover.")
    decay: dict[str, float | None] | None = Field(default=None, description="Mining mean Rank IC at h = 1, 5, 10, 20.")
    max_abs_corr: float | None = Field(default=None, description="Largest |rank correlation| with library/accepted.")
    closest: str | None = Field(default=None, description="The library/accepted factor it is closest to.")
    n_tried: int | None = Field(default=None, description="Candidates evaluated in the run when it was judged.")
    t_threshold: float | None = Field(default=None, description="Bonferroni |t| threshold it was judged against.")


class FailedCandidate(BaseModel):
    """A candidate whose evaluation did not come back (its Ray task failed): not judged, not counted."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    expr: str = Field(description="The candidate's text as proposed.")
    canonical: str = Field(description="Canonical text.")
    theme: str
    origin: Origin
    round: int = Field(description="Round (0-based) in which it was sent for evaluation.")
    error: str = Field(description="Why its evaluation failed.")


class MiningResult(BaseModel):
    """Everything a mining run found and tried, with the rule, periods and budget outcome."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    universe: str
    market: str
    n_symbols: int
    synthetic: bool = Field(description="True when the data is synthetic (not market data).")
    themes: tuple[str, ...]
    horizon: int
    forward_return: str
    mining_period: tuple[date, date] = Field(description="First and last trading day of the mining period.")
    confirmation_period: tuple[date, date] = Field(description="First and last trading day of confirmation.")
    rule: AcceptanceRule
    rule_text: str = Field(description="The acceptance rule in words, with the final t threshold.")
    rule_text_zh: str = Field(default="", description="The same rule in Chinese.")
    n_tried: int = Field(description="Distinct candidates evaluated (the multiple-testing count).")
    n_invalid: int = Field(description="Candidates the parser refused (never evaluated).")
    t_threshold: float = Field(description="Final Bonferroni |t| threshold for n_tried candidates.")
    rounds_done: int
    stop_reason: StopReason
    budget_stop: bool = Field(description="True when a budget (candidates, time, LLM tokens or money) ended the "
                                          "run early.")
    elapsed_s: float
    proposer: str = Field(default="offline", description="Who proposed: offline, or llm/hybrid with the model's name.")
    llm_usage: ProposerUsage | None = Field(default=None, description="The LLM proposer's calls, tokens and cost.")
    proposer_notes: list[str] = Field(default_factory=list,
                                      description="What went wrong with the proposer's replies (malformed, empty).")
    accepted: list[MinedFactor]
    rejected: list[MinedFactor]
    executor: Literal["local", "ray"] = Field(
        default="local", description="Where candidates were evaluated: in this process, or as Ray tasks.")
    failed: list[FailedCandidate] = Field(
        default_factory=list, description="Candidates whose evaluation failed (Ray): not judged, not in n_tried.")
    summary: str = Field(description="A one-paragraph account of the run.")
    run_id: str | None = None
    run_dir: str | None = None


def finite(value: float | None) -> float | None:
    """``value`` when it is a finite number, else None (JSON has no NaN)."""
    return value if value is not None and math.isfinite(value) else None
