"""Factor-mining tool: run the offline mining loop and keep its factors in the factor library.

A thin wrapper over :func:`taorui_engines.factor_mining.mine_factors` with bounds tight enough
for an agent (a run stays well under two minutes by default). When memory is configured, the
library's accepted factors are passed to the loop as known factors (a new one must not
duplicate them), and every evaluated candidate, accepted or rejected, is written back as a
:class:`memory.FactorRecord` with its metrics, theme, round, run and verdict; one whose
expression the library already holds (memory's ``factor_duplicates``) is not written and is
reported as a duplicate instead.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from memory import FactorRecord
from taorui_engines.errors import InvalidArgumentError, UnavailableError
from taorui_engines.factor_mining import (
    MinedFactor,
    MiningRequest,
    MiningResult,
    StopReason,
    mine_factors,
    theme_key,
)
from tools._base import Tool, ToolArgs, ToolKind, ToolResult
from tools._context import ToolContext

__all__ = ["MINE_FACTORS", "TOOLS", "MineFactorsArgs", "MineFactorsResult", "MinedFactorRow", "factor_record"]

#: Confirmation and mining spans (calendar years) before the data's last day, when none is given.
CONFIRM_YEARS, MINING_YEARS = 2, 3
#: Most accepted library factors passed to the loop as known factors.
MAX_LIBRARY = 100
#: Description similarity that makes a mined factor a near-duplicate (mined descriptions share one
#: template, so "20-day mean of returns" and "20-day std of returns" sit near memory's default).
NEAR_DUPLICATE = 0.97


class MineFactorsArgs(ToolArgs):
    """Arguments of ``mine_factors``."""

    universe: str = Field(default="csi_syn", min_length=1, max_length=2000,
                          description="A universe name (e.g. 'csi_syn') or comma-separated symbols of one market.")
    themes: list[str] = Field(default_factory=list, max_length=3,
                              description="Themes that seed the search: momentum, reversal, volatility, volume, "
                                          "liquidity (or 动量, 反转, 波动率, 量价, 换手率); empty means all.")
    rounds: int = Field(default=3, ge=1, le=8, description="Most rounds (generations) of the search.")
    candidates: int = Field(default=60, ge=4, le=150, description="Most candidates evaluated in the run.")
    population: int = Field(default=16, ge=4, le=40, description="New candidates per round after the first.")
    budget_s: float = Field(default=60.0, ge=5, le=120, description="Wall-time budget in seconds.")
    seed: int = Field(default=0, ge=0, le=2**31 - 1, description="Random seed: same seed and data, same run.")
    proposer: Literal["offline", "llm", "hybrid"] = Field(
        default="offline", description="Who proposes: 'offline' (genetic search, the default), 'llm' (the configured "
                                       "language model writes hypotheses and expressions each round), 'hybrid' (both).")
    llm_token_budget: int = Field(default=60_000, ge=1_000, le=1_000_000,
                                  description="Most LLM tokens the llm/hybrid proposer may use in the run.")
    llm_cost_budget_usd: float = Field(default=0.5, ge=0, le=20,
                                       description="Most USD the llm/hybrid proposer may spend in the run.")
    language: Literal["en", "zh"] = Field(default="en", description="Language of the hypotheses a model writes.")
    horizon: int = Field(default=1, ge=1, le=20, description="Forward-return horizon in trading days.")
    mining_start: date | None = Field(default=None, description="First day of the mining period; default: "
                                      f"{MINING_YEARS} years before the confirmation period.")
    mining_end: date | None = Field(default=None, description="Last day of the mining period.")
    confirm_start: date | None = Field(default=None, description="First day of the held-out confirmation period; "
                                       f"default: the last {CONFIRM_YEARS} years of data.")
    confirm_end: date | None = Field(default=None, description="Last day of the confirmation period.")

    @field_validator("themes")
    @classmethod
    def _known_themes(cls, value: list[str]) -> list[str]:
        try:
            return list(dict.fromkeys(theme_key(t) for t in value))
        except InvalidArgumentError as exc:  # a validation error the agent can read and correct
            raise ValueError(exc.message) from exc

    @model_validator(mode="after")
    def _periods_given_together(self) -> MineFactorsArgs:
        given = [d is not None for d in (self.mining_start, self.mining_end, self.confirm_start, self.confirm_end)]
        if any(given) and not all(given):
            raise ValueError("give all four of mining_start, mining_end, confirm_start, confirm_end, or none")
        return self


class MinedFactorRow(BaseModel):
    """One candidate in the tool's answer: the expression, its numbers and the verdict with reasons."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    expr: str
    description: str | None
    hypothesis: str | None = None
    theme: str
    round: int
    status: Literal["accepted", "rejected", "invalid"]
    reasons: list[str]
    reasons_zh: list[str] = Field(default_factory=list, description="The same reasons in Chinese.")
    direction: int | None
    mining_rank_icir: float | None
    mining_t: float | None
    confirm_rank_icir: float | None
    turnover: float | None
    max_abs_corr: float | None
    closest: str | None
    library: Literal["added", "duplicate", "not_written"] = Field(
        description="added to the factor library, refused as a duplicate of a library factor, or not written "
                    "(no memory, or the parser refused it).")
    duplicate_of: str | None = Field(default=None, description="The library factor it duplicates.")


class MineFactorsResult(ToolResult):
    """What the run kept and dropped, why, how many candidates it tried, and the rule it used."""

    run_id: str
    universe: str
    synthetic: bool = Field(description="True when the universe is SYNTHETIC data.")
    themes: list[str]
    horizon: int
    mining_period: tuple[date, date]
    confirmation_period: tuple[date, date]
    accepted: list[MinedFactorRow]
    rejected: list[MinedFactorRow] = Field(description="Rejected candidates, best mining |Rank ICIR| first (top 15).")
    n_tried: int = Field(description="Candidates evaluated: the multiple-testing count behind every accepted factor.")
    n_rejected: int
    t_threshold: float = Field(description="Bonferroni |t| threshold for n_tried candidates.")
    rule_text: str
    rule_text_zh: str = Field(default="", description="The same rule in Chinese.")
    rounds_done: int
    stop_reason: StopReason
    budget_stop: bool = Field(description="True when a budget (candidates or time) ended the run early.")
    elapsed_s: float
    proposer: str = Field(default="offline", description="Who proposed (offline, or llm/hybrid with the model).")
    llm_calls: int = 0
    llm_tokens: int = Field(default=0, description="LLM tokens the proposer used (input + output).")
    llm_cost_usd: float | None = Field(default=0.0, description="What the proposer's calls cost; None: price unknown.")
    proposer_notes: list[str] = Field(default_factory=list)
    library_used: int = Field(description="Accepted library factors the run had to differ from.")
    written: int = Field(description="Factors written to the factor library (0 without memory).")
    duplicates: list[str] = Field(description="Candidates refused by the library as duplicates, with the match.")
    duplicates_zh: list[str] = Field(default_factory=list, description="The same, in Chinese.")
    memory: bool = Field(description="True when a factor library (memory) was configured.")
    summary: str


def _periods(args: MineFactorsArgs, ctx: ToolContext) -> tuple[date, date, date, date]:
    if args.mining_start and args.mining_end and args.confirm_start and args.confirm_end:
        return args.mining_start, args.mining_end, args.confirm_start, args.confirm_end
    universes = ctx.data.universes()
    first = universes[args.universe].members[0] if args.universe in universes else args.universe.split(",")[0].strip()
    last = date.fromisoformat(str(ctx.data.info(first).end)[:10])
    confirm_start = date(last.year - CONFIRM_YEARS + 1, 1, 1)
    mining_start = date(confirm_start.year - MINING_YEARS, 1, 1)
    return mining_start, date(confirm_start.year - 1, 12, 31), confirm_start, last


def _library(ctx: ToolContext) -> tuple[str, ...]:
    if ctx.memory is None:
        return ()
    items = ctx.memory.recent(kind="factors", limit=MAX_LIBRARY)
    return tuple(dict.fromkeys(str(i.record.get("expression")) for i in items
                               if i.metadata.get("status") == "accepted" and i.record.get("expression")))


def _row(f: MinedFactor, library: Literal["added", "duplicate", "not_written"] = "not_written", duplicate_of: str | None = None) -> MinedFactorRow:
    m, c = f.mining, f.confirmation
    return MinedFactorRow(
        expr=f.canonical or f.expr, description=f.description, hypothesis=f.hypothesis, theme=f.theme, round=f.round, status=f.status,
        reasons=f.reasons, reasons_zh=f.reasons_zh, direction=f.direction, mining_rank_icir=m.rank_icir if m else None,
        mining_t=m.rank_ic_t_nw if m else None, confirm_rank_icir=c.rank_icir if c else None,
        turnover=f.turnover, max_abs_corr=f.max_abs_corr, closest=f.closest, library=library,
        duplicate_of=duplicate_of)


def _mine(args: MineFactorsArgs, ctx: ToolContext) -> MineFactorsResult:
    mining_start, mining_end, confirm_start, confirm_end = _periods(args, ctx)
    library = _library(ctx)
    request = MiningRequest(
        universe=args.universe, mining_start=mining_start, mining_end=mining_end, confirm_start=confirm_start,
        confirm_end=confirm_end, themes=tuple(args.themes), library=library[:200], horizon=args.horizon,
        rounds=args.rounds, population=args.population, max_candidates=args.candidates, budget_s=args.budget_s,
        seed=args.seed, proposer=args.proposer, token_budget=args.llm_token_budget,
        cost_budget_usd=args.llm_cost_budget_usd, language=args.language)
    external = None
    if args.proposer != "offline":
        if ctx.factor_proposer is None:
            raise UnavailableError(
                f"the {args.proposer!r} proposer needs a language model and none is configured (set "
                "TAORUI_LLM_BACKEND=openai with TAORUI_LLM_BASE_URL or TAORUI_LLM_API_KEY); the offline proposer "
                "needs none")
        external = ctx.factor_proposer(request)
    result = mine_factors(ctx.data, request, ctx.runs_dir, ctx.progress, proposer=external,
                          ray_address=ctx.ray_address)
    rows, written, duplicates, duplicates_zh = _to_library(result, ctx, set(library))
    accepted = [rows[id(f)] for f in result.accepted]
    rejected = sorted((rows[id(f)] for f in result.rejected if f.status != "invalid"),
                      key=lambda r: -abs(r.mining_rank_icir or 0.0))
    assert result.run_id is not None
    return MineFactorsResult(
        run_id=result.run_id, universe=result.universe, synthetic=result.synthetic, themes=list(result.themes),
        horizon=result.horizon, mining_period=result.mining_period, confirmation_period=result.confirmation_period,
        accepted=accepted, rejected=rejected[:15], n_tried=result.n_tried, n_rejected=len(result.rejected),
        t_threshold=result.t_threshold, rule_text=result.rule_text, rule_text_zh=result.rule_text_zh, rounds_done=result.rounds_done,
        stop_reason=result.stop_reason, budget_stop=result.budget_stop, elapsed_s=result.elapsed_s,
        proposer=result.proposer, llm_calls=result.llm_usage.calls if result.llm_usage else 0,
        llm_tokens=result.llm_usage.total_tokens if result.llm_usage else 0,
        llm_cost_usd=result.llm_usage.cost_usd if result.llm_usage else 0.0, proposer_notes=result.proposer_notes,
        library_used=len(library), written=written, duplicates=duplicates, duplicates_zh=duplicates_zh, memory=ctx.memory is not None,
        summary=result.summary)


def _to_library(result: MiningResult, ctx: ToolContext,
                library: set[str]) -> tuple[dict[int, MinedFactorRow], int, list[str], list[str]]:
    """Rows for every candidate; with memory, each evaluated one written unless the library held it before.

    Every candidate is checked against the library as it was before the run (the loop has already
    kept factors of one run apart by their correlation), then the new ones are written together.
    Duplicates of accepted library factors are listed first.
    """
    rows: dict[int, MinedFactorRow] = {}
    new: list[FactorRecord] = []
    duplicates: list[tuple[str, str, bool]] = []  # (English, Chinese, duplicates an earlier library factor)
    for f in (*result.accepted, *result.rejected):
        if ctx.memory is None or f.status == "invalid" or f.mining is None or f.canonical is None:
            rows[id(f)] = _row(f)
            continue
        record = factor_record(result, f, ctx.agent)
        report = ctx.memory.factor_duplicates(record, threshold=NEAR_DUPLICATE)
        hits = (*report.exact, *report.near)
        if hits:
            verdict = "保留" if f.status == "accepted" else "舍弃"
            duplicates.append((f"{record.expression} ({f.status}): {hits[0].reason} ({hits[0].id})",
                               f"{record.expression}（{verdict}）：与因子库中的 {hits[0].id} 重复",
                               record.expression in library))
            rows[id(f)] = _row(f, "duplicate", hits[0].text[:200])
            continue
        new.append(record)
        rows[id(f)] = _row(f, "added")
    if ctx.memory is not None and new:
        ctx.memory.add_many(new)
    duplicates.sort(key=lambda d: not d[2])
    return rows, len(new), [d[0] for d in duplicates], [d[1] for d in duplicates]


def factor_record(result: MiningResult, f: MinedFactor, agent: str | None = None) -> FactorRecord:
    """The factor-library record of one evaluated candidate: metrics, theme, round, run, verdict."""
    assert f.mining is not None and f.canonical is not None
    c = f.confirmation
    confirm = f", confirmation Rank ICIR {c.rank_icir:.3f}" if c is not None and c.rank_icir is not None else ""
    verdict = "; ".join(f.reasons) or ("passes every rule" if f.status == "accepted" else "")
    reason = (f"mined ({f.theme} theme hypothesis, round {f.round}, run {result.run_id}, {result.n_tried} candidates "
              f"tried, Bonferroni |t| >= {result.t_threshold:.2f}; mining {result.mining_period[0]}.."
              f"{result.mining_period[1]}{confirm}): {verdict}")
    description = f"{f.theme} factor: {f.description}" if f.description else f"{f.theme} factor"
    return FactorRecord(
        name=f"mined {f.theme} r{f.round}", expression=f.canonical, description=description,
        universe=result.universe, start=result.mining_period[0], end=result.mining_period[1], horizon=result.horizon,
        rank_ic=f.mining.rank_ic_mean, rank_icir=f.mining.rank_icir, status="accepted" if f.status == "accepted"
        else "rejected", reason=reason, run_id=result.run_id, agent=agent or "factor_miner", theme=f.theme,
        hypothesis=(f.hypothesis or None) and f.hypothesis[:600], round=f.round,
        confirm_rank_icir=c.rank_icir if c is not None else None, n_tried=result.n_tried)


MINE_FACTORS: Tool[MineFactorsArgs, MineFactorsResult, ToolContext] = Tool(
    name="mine_factors",
    description="Mine new alpha factors offline: a seeded genetic search over the factor grammar from themes "
                "(momentum, reversal, volatility, volume, liquidity), each candidate judged by a written rule "
                "(mining-period Rank ICIR with a Bonferroni t for the candidates tried, same sign on a held-out "
                "confirmation period, low correlation with the factor library, a complexity bound). Returns kept "
                "and dropped factors with reasons and the number tried; writes them to the factor library.",
    kind=ToolKind.COMPUTE, args_model=MineFactorsArgs, result_model=MineFactorsResult, fn=_mine,
)

TOOLS: tuple[Tool, ...] = (MINE_FACTORS,)  # type: ignore[type-arg]
