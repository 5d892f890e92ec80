"""The mining loop: propose -> parse -> evaluate (mining period) -> judge -> confirm -> learn.

Each round is one batch: its candidates are read from the store in one ``get_features``
call, scored on the mining period, and judged in order of score by the acceptance rule
(:class:`AcceptanceRule`). A candidate that passes the mining-period tests is only then
evaluated on the confirmation period, and only the rule looks at those numbers: the search
never does. Accepted factors join the dedupe set, and the search score of anything close to
them is halved, so later rounds look elsewhere.

Multiple testing: every distinct candidate evaluated counts. A candidate is judged against
the Bonferroni threshold for the count so far, and when the run ends every accepted factor
is judged again against the threshold for the final count; one that no longer passes is
rejected with that reason.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from taorui_engines.data import DataCenter
from taorui_engines.errors import BudgetExceededError, InvalidArgumentError, TaoruiError
from taorui_engines.expressions import OPERATORS, ParsedExpression, parse_expression
from taorui_engines.factor_mining import _tree
from taorui_engines.factor_mining._evaluate import Panel, Scored
from taorui_engines.factor_mining._models import (
    BUDGET_STOPS,
    FailedCandidate,
    MinedFactor,
    MiningRequest,
    MiningResult,
    PeriodStats,
    StopReason,
)
from taorui_engines.factor_mining._proposals import (
    ExternalProposer,
    FeedbackFactor,
    ProposerUsage,
    RoundFeedback,
)
from taorui_engines.factor_mining._search import Candidate, Proposer, fitness
from taorui_engines.factor_mining._themes import THEMES, seeds, uses_only
from taorui_engines.progress import ProgressEvent, ProgressReporter, default_progress
from taorui_engines.qlib_engine import FORWARD_RETURN, Universe, resolve_universe
from taorui_engines.runs import RunFolder

if TYPE_CHECKING:
    from taorui_engines.factor_mining._remote import RayScorer

logger = logging.getLogger(__name__)

#: A reason for a verdict, in English and in Chinese (same numbers).
Reason = tuple[str, str]

TASK = "factor mining"
#: Progress of one round's candidates on Ray, reported as each batch finishes.
CANDIDATES_TASK = "factor mining candidates"


class _Loop:
    """State of one run: the archive the search breeds from, the accepted set, the records."""

    def __init__(self, request: MiningRequest, universe: Universe, panel: Panel,
                 reporter: ProgressReporter, clock: Callable[[], float],
                 external: ExternalProposer | None = None, scorer: RayScorer | None = None) -> None:
        self.request, self.rule, self.universe, self.panel = request, request.rule, universe, panel
        self.reporter, self.clock, self.started = reporter, clock, clock()
        self.proposer = Proposer(request.seed, universe.fields, request.rule.max_size, request.rule.max_depth)
        self.seen: set[str] = set()
        self.records: dict[str, MinedFactor] = {}  # by canonical text (expr for invalid ones)
        self.archive: list[Candidate] = []
        self.library: dict[str, pd.DataFrame] = {}
        self.accepted: dict[str, pd.DataFrame] = {}
        self.ic_series: dict[str, pd.Series] = {}
        self.corr_cache: dict[tuple[str, str], float] = {}
        self.n_tried = 0
        self.rounds_done = 0
        self.external = external
        self.llm_usage = ProposerUsage()
        self.notes: list[str] = []
        self.repeats: list[str] = []
        self.scorer = scorer
        self.failed: list[FailedCandidate] = []

    # -- the loop ------------------------------------------------------------------------
    def run(self, user: list[ParsedExpression], library: list[ParsedExpression]) -> StopReason:
        """Run rounds until the plan or a budget ends; return why it stopped."""
        mode = self.request.proposer
        for round_ in range(self.request.rounds):
            if self.clock() - self.started >= self.request.budget_s:
                return "time_budget"
            room = self.request.max_candidates - self.n_tried
            if room <= 0:
                return "candidate_budget"
            batch: list[Candidate] = self._first(user) if round_ == 0 else []
            if mode != "offline":
                want = self.request.population if mode == "llm" else max(1, self.request.population // 2)
                written = self._ask_model(round_, want)
                if isinstance(written, str):
                    return written  # type: ignore[return-value]
                batch += written
            if round_ and mode != "llm":
                left = self.request.population - sum(c.origin == "llm" for c in batch)
                batch += self.proposer.breed(self.archive, max(left, 0), round_, self.seen)
            valid = [c for c in batch if c.parsed is not None][:room]
            for bad in (c for c in batch if c.parsed is None):
                self._invalid(bad)
            if not valid:
                return "no_new_candidates"
            self._evaluate(valid, library if round_ == 0 else [], round_)
            self.rounds_done = round_ + 1
            self.reporter.update(ProgressEvent(
                TASK, self.rounds_done, self.request.rounds,
                f"{self.n_tried} tried, {len(self.accepted)} accepted"
                + (f", {self.llm_usage.total_tokens} LLM tokens" if self.external is not None else "")))
        return "rounds_done"

    def _first(self, user: list[ParsedExpression]) -> list[Candidate]:
        given = []
        for parsed in user:
            if parsed.canonical not in self.seen:
                self.seen.add(parsed.canonical)
                given.append(Candidate(parsed.source, "user", "user", 0, parsed=parsed,
                                       gene=_tree.from_text(parsed.canonical, self.universe.fields)))
        if self.request.proposer == "llm":
            return given
        themes = self.request.themes or THEMES
        seeded = [(t, g) for t, g in seeds(themes) if uses_only(g, self.universe.fields)]
        return given + self.proposer.initial(seeded, self.request.population, self.seen)

    # -- the model's proposals -----------------------------------------------------------
    def _budget_spent(self) -> StopReason | None:
        used = self.llm_usage
        if used.total_tokens >= self.request.token_budget:
            return "token_budget"
        if used.cost_usd is not None and self.request.cost_budget_usd > 0 and used.cost_usd >= self.request.cost_budget_usd:
            return "cost_budget"
        return None

    def _ask_model(self, round_: int, want: int) -> list[Candidate] | StopReason:
        """The model's candidates for this round, or why the run must stop (budget, failure)."""
        if self.external is None:
            raise InvalidArgumentError(f"the {self.request.proposer!r} proposer needs a language model; none was given")
        spent = self._budget_spent()
        if spent is not None:
            return spent
        try:
            batch = self.external.propose(self._feedback(round_, want))
        except BudgetExceededError as exc:
            self.notes.append(f"round {round_}: {exc.message}")
            return "cost_budget" if "cost" in exc.message.lower() else "token_budget"
        except TaoruiError as exc:
            self.notes.append(f"round {round_}: the proposer failed: {exc.type_name}: {exc.message}")
            return "proposer_failed"
        self.llm_usage = self.llm_usage.plus(batch.usage)
        if batch.note:
            self.notes.append(f"round {round_}: {batch.note}")
        out: list[Candidate] = []
        for hypothesis in batch.hypotheses:
            for text in hypothesis.expressions:
                if len(out) >= want:
                    break
                candidate = self._admit_written(Candidate(text, hypothesis.theme, "llm", round_,
                                                          hypothesis=hypothesis.text))
                if candidate is not None:
                    out.append(candidate)
        if not out and not batch.note:
            self.notes.append(f"round {round_}: the model proposed no new expression")
        return out

    def _admit_written(self, candidate: Candidate) -> Candidate | None:
        """Parse a written expression; refusals and complexity come back as invalid, repeats are dropped."""
        self.proposer.check(candidate)
        parsed = candidate.parsed
        key = parsed.canonical if parsed is not None else candidate.expr
        if key in self.seen:
            self.repeats.append(key)
            return None
        self.seen.add(key)
        if parsed is None:
            return candidate
        rule = self.rule
        if parsed.size > rule.max_size or parsed.depth > rule.max_depth:
            candidate.parsed = None
            candidate.error = (f"too complex: size {parsed.size} (max {rule.max_size}), depth {parsed.depth} "
                               f"(max {rule.max_depth}); not evaluated")
            return candidate
        if parsed.kind == "condition":
            candidate.parsed = None
            candidate.error = "a condition (true/false) is not a factor score; not evaluated"
            return candidate
        candidate.gene = _tree.from_text(parsed.canonical, self.universe.fields)
        return candidate

    def _universe_name(self) -> str:
        u = self.request.universe
        return u if isinstance(u, str) else ",".join(u)

    def _feedback(self, round_: int, want: int) -> RoundFeedback:
        """The run so far as the proposer may see it (no confirmation-period numbers)."""
        records = list(self.records.values())

        def row(r: MinedFactor) -> FeedbackFactor:
            icir = r.mining.rank_icir if r.mining else None
            reason = r.reasons[0] if r.reasons else ""
            if reason.startswith("confirmation"):
                reason = "failed the held-out confirmation period"
            return FeedbackFactor(expr=r.canonical or r.expr, hypothesis=r.hypothesis, status=r.status,
                                  mining_rank_icir=icir,
                                  confirmed=True if r.status == "accepted" else (
                                      False if r.confirmation is not None else None),
                                  reason=reason[:300])

        accepted = [row(r) for r in records if r.status == "accepted"]
        rejected = sorted((r for r in records if r.status == "rejected"),
                          key=lambda r: -abs(r.mining.rank_icir or 0.0) if r.mining else 0.0)
        invalid = [r for r in records if r.status == "invalid"][-8:]
        return RoundFeedback(
            round=round_, want=want, universe=self._universe_name(), synthetic=self.universe.synthetic,
            horizon=self.request.horizon, themes=self.request.themes or THEMES, fields=self.universe.fields,
            operators=tuple(sorted(OPERATORS)), max_size=self.rule.max_size, max_depth=self.rule.max_depth,
            n_tried=self.n_tried, t_threshold=self.rule.t_threshold(max(1, self.n_tried)),
            candidates_left=self.request.max_candidates - self.n_tried, accepted=tuple(accepted),
            rejected=tuple(row(r) for r in rejected[:12]), invalid=tuple(row(r) for r in invalid),
            library=tuple(self.library)[:20], language=self.request.language)

    # -- evaluation ----------------------------------------------------------------------
    def _evaluate(self, batch: list[Candidate], library: list[ParsedExpression], round_: int) -> None:
        texts = [c.parsed.canonical for c in batch if c.parsed is not None]
        known = [p.canonical for p in library]
        if self.scorer is None:
            scored, failed, frames = self._score_here(texts, known)
        else:
            scored, failed, frames = self._score_on_ray(texts, known, round_)
        for parsed in library:
            self.library[parsed.canonical] = frames[parsed.canonical].reindex(self.panel.mining_days)
        for candidate in batch:
            assert candidate.parsed is not None
            if candidate.parsed.canonical in failed:
                self._failed(candidate, failed[candidate.parsed.canonical])
        batch = [c for c in batch if c.parsed is not None and c.parsed.canonical in scored]
        self.n_tried += len(batch)
        ranked = []
        for candidate in batch:
            assert candidate.parsed is not None
            one = scored[candidate.parsed.canonical]
            candidate.frame = one.frame.reindex(self.panel.mining_days)
            candidate.fitness = fitness(one.stats.rank_icir, candidate.parsed.size, self._redundant(candidate))
            ranked.append((candidate, one.stats, one.frame))
        ranked.sort(key=lambda item: (-(item[0].fitness or 0.0), item[0].parsed.canonical))  # type: ignore[union-attr]
        for candidate, stats, frame in ranked:
            self._judge(candidate, stats, frame)
        self._refresh_archive(batch)

    def _score_here(self, texts: list[str], known: list[str]
                    ) -> tuple[dict[str, Scored], dict[str, str], dict[str, pd.DataFrame]]:
        """Candidates and library in one read, in this process."""
        frames = self.panel.load(list(dict.fromkeys([*texts, *known])))
        scored = {t: Scored(t, frames[t], self.panel.stats(frames[t], self.panel.scored_mining_days)[0])
                  for t in texts}
        return scored, {}, frames

    def _score_on_ray(self, texts: list[str], known: list[str], round_: int
                      ) -> tuple[dict[str, Scored], dict[str, str], dict[str, pd.DataFrame]]:
        """Candidates as Ray tasks; the library (and the forward returns the judge needs) here."""
        assert self.scorer is not None
        frames = self.panel.load(known) if known or not self.panel.returns else {}

        def progress(done: int, total: int) -> None:
            self.reporter.update(ProgressEvent(CANDIDATES_TASK, done, total, f"round {round_}: {done} of {total} "
                                                                             "candidates evaluated on ray"))

        scored, failed = self.scorer.score(texts, progress)
        return scored, failed, frames

    def _failed(self, candidate: Candidate, error: str) -> None:
        assert candidate.parsed is not None
        candidate.gene = None  # never bred from: its numbers are unknown
        self.failed.append(FailedCandidate(
            expr=candidate.expr, canonical=candidate.parsed.canonical, theme=candidate.theme,
            origin=candidate.origin, round=candidate.round, error=error))

    def _closest(self, candidate: Candidate) -> tuple[float | None, str | None]:
        """Largest |rank correlation| with the library and the accepted factors, and with which."""
        assert candidate.parsed is not None and candidate.frame is not None
        best: tuple[float | None, str | None] = (None, None)
        for text, other in [*self.library.items(), *self.accepted.items()]:
            key = (candidate.parsed.canonical, text)
            if key not in self.corr_cache:
                self.corr_cache[key] = self.panel.correlation(candidate.frame, other)
            value = abs(self.corr_cache[key])
            if best[0] is None or value > best[0]:
                best = (value, text)
        return best

    def _redundant(self, candidate: Candidate) -> bool:
        corr, _ = self._closest(candidate)
        return corr is not None and corr >= self.rule.max_correlation

    def _refresh_archive(self, batch: list[Candidate]) -> None:
        """Keep the best ``2 x population`` candidates (scores updated for new acceptances)."""
        pool = [c for c in [*self.archive, *batch] if c.gene is not None and c.parsed is not None]
        for candidate in pool:
            size = candidate.parsed.size  # type: ignore[union-attr]
            icir = self._mining_icir(candidate)
            candidate.fitness = fitness(icir, size, self._redundant(candidate))
        pool.sort(key=lambda c: (-(c.fitness or 0.0), c.expr))
        keep = pool[: 2 * self.request.population]
        for dropped in pool[len(keep):]:
            dropped.frame = None
        self.archive = keep

    def _mining_icir(self, candidate: Candidate) -> float | None:
        record = self.records[candidate.parsed.canonical]  # type: ignore[union-attr]
        return record.mining.rank_icir if record.mining else None

    # -- the acceptance rule -------------------------------------------------------------
    def _judge(self, candidate: Candidate, stats: PeriodStats, frame: pd.DataFrame) -> None:
        parsed = candidate.parsed
        assert parsed is not None
        threshold = self.rule.t_threshold(self.n_tried)
        reasons = self._mining_reasons(parsed, stats, threshold)
        fields: dict[str, object] = {}
        if not reasons:
            confirm, confirm_ic = self.panel.stats(frame, self.panel.confirm_days)
            _, mining_ic = self.panel.stats(frame, self.panel.scored_mining_days)
            autocorr, turnover, decay = self.panel.extras(frame)
            corr, closest = self._closest(candidate)
            incremental = self._incremental(frame)
            reasons = (self._confirm_reasons(stats, confirm) + self._dedupe_reasons(corr, closest)
                       + self._incremental_reasons(stats, incremental, threshold))
            fields = {"confirmation": confirm, "incremental": incremental, "autocorr": autocorr,
                      "turnover": turnover, "decay": decay, "max_abs_corr": corr, "closest": closest}
            if not reasons:
                self.accepted[parsed.canonical] = frame.reindex(self.panel.mining_days)
                self.ic_series[parsed.canonical] = pd.concat([mining_ic, confirm_ic])
        self.records[parsed.canonical] = MinedFactor(
            expr=candidate.expr, canonical=parsed.canonical, description=parsed.description,
            hypothesis=candidate.hypothesis, theme=candidate.theme, origin=candidate.origin, round=candidate.round, size=parsed.size,
            depth=parsed.depth, status="rejected" if reasons else "accepted",
            reasons=[en for en, _ in reasons] or ["passes every rule"],
            reasons_zh=[zh for _, zh in reasons] or ["通过全部规则"], direction=_direction(stats), fitness=candidate.fitness,
            mining=stats, n_tried=self.n_tried, t_threshold=threshold, **fields,  # type: ignore[arg-type]
        )

    def _mining_reasons(self, parsed: ParsedExpression, stats: PeriodStats, threshold: float) -> list[Reason]:
        rule, out = self.rule, []
        if parsed.size > rule.max_size or parsed.depth > rule.max_depth:
            out.append((f"too complex: size {parsed.size} (max {rule.max_size}), depth {parsed.depth} "
                        f"(max {rule.max_depth})",
                        f"表达式过于复杂：节点数 {parsed.size}（上限 {rule.max_size}），深度 {parsed.depth}（上限 {rule.max_depth}）"))
        if stats.coverage < rule.min_coverage:
            out.append((f"coverage {stats.coverage:.2f} < {rule.min_coverage:g}",
                        f"覆盖率 {stats.coverage:.2f} < {rule.min_coverage:g}"))
        icir, t = stats.rank_icir, stats.rank_ic_t_nw
        if icir is None or abs(icir) < rule.min_rank_icir:
            out.append((f"mining |Rank ICIR| {_num(icir)} < {rule.min_rank_icir:g}",
                        f"挖掘期 |Rank ICIR| {_num(icir)} < {rule.min_rank_icir:g}"))
        if t is None or abs(t) < threshold:
            out.append((f"mining |Newey-West t| {_num(t)} < {threshold:.2f} (Bonferroni, {self.n_tried} tried)",
                        f"挖掘期 Newey-West |t| {_num(t)} < {threshold:.2f}（对 {self.n_tried} 个候选做 Bonferroni 校正）"))
        return out

    def _confirm_reasons(self, mining: PeriodStats, confirm: PeriodStats) -> list[Reason]:
        m, c = mining.rank_icir, confirm.rank_icir
        assert m is not None
        need = self.rule.confirm_ratio * abs(m)
        shown = "n/a" if c is None else f"{c:+.3f}"
        if c is None or c * m <= 0:
            return [(f"confirmation Rank ICIR {shown} does not keep the mining sign ({m:+.3f})",
                     f"确认期 Rank ICIR {shown} 与挖掘期方向（{m:+.3f}）不一致")]
        if abs(c) < need:
            return [(f"confirmation |Rank ICIR| {abs(c):.3f} < {self.rule.confirm_ratio:g} x mining {abs(m):.3f}",
                     f"确认期 |Rank ICIR| {abs(c):.3f} < {self.rule.confirm_ratio:g} x 挖掘期 {abs(m):.3f}，强度不足")]
        return []

    def _dedupe_reasons(self, corr: float | None, closest: str | None) -> list[Reason]:
        if corr is not None and corr >= self.rule.max_correlation:
            return [(f"duplicates {closest} (|rank correlation| {corr:.2f} >= {self.rule.max_correlation:g})",
                     f"与 {closest} 高度相关（|秩相关| {corr:.2f} >= {self.rule.max_correlation:g}）")]
        return []

    def _incremental(self, frame: pd.DataFrame) -> PeriodStats | None:
        known = [*self.library.values(), *self.accepted.values()]
        if not known:
            return None
        residual = self.panel.residual(frame, known)
        return self.panel.stats(residual, self.panel.scored_mining_days)[0]

    def _incremental_reasons(self, mining: PeriodStats, incremental: PeriodStats | None,
                             threshold: float) -> list[Reason]:
        if incremental is None:
            return []
        m, r = mining.rank_icir, incremental.rank_icir
        assert m is not None
        if r is None or r * m <= 0:
            shown = "n/a" if r is None else f"{r:+.3f}"
            return [(f"adds nothing to the known factors: the part they do not explain has Rank ICIR "
                     f"{shown}, not the mining sign ({m:+.3f})",
                     f"相对已有因子没有增量：它们解释不了的部分 Rank ICIR 为 {shown}，与挖掘期方向（{m:+.3f}）不一致")]
        if abs(r) < self.rule.min_rank_icir:
            return [(f"adds too little to the known factors: Rank ICIR of the part they do not explain "
                     f"{abs(r):.3f} < {self.rule.min_rank_icir:g}",
                     f"相对已有因子增量太小：它们解释不了的部分 |Rank ICIR| {abs(r):.3f} < {self.rule.min_rank_icir:g}")]
        t = incremental.rank_ic_t_nw
        if t is None or abs(t) < threshold:
            return [(f"adds too little to the known factors: Newey-West |t| of the part they do not explain "
                     f"{_num(t)} < {threshold:.2f} (Bonferroni)",
                     f"相对已有因子增量太小：它们解释不了的部分 Newey-West |t| {_num(t)} < {threshold:.2f}（Bonferroni）")]
        return []

    def _invalid(self, candidate: Candidate) -> None:
        error = candidate.error or "refused by the parser"
        zh = (f"表达式过于复杂，未评估（{error}）" if error.startswith("too complex")
              else f"表达式被解析器拒绝，未评估（{error}）")
        self.records[candidate.expr] = MinedFactor(
            expr=candidate.expr, canonical=None, hypothesis=candidate.hypothesis, theme=candidate.theme,
            origin=candidate.origin, round=candidate.round, status="invalid", reasons=[error], reasons_zh=[zh],
        )

    def final_check(self) -> None:
        """Judge the accepted factors again against the threshold for the final count."""
        threshold = self.rule.t_threshold(self.n_tried)
        for text in list(self.accepted):
            record = self.records[text]
            t = record.mining.rank_ic_t_nw if record.mining else None
            update: dict[str, object] = {"n_tried": self.n_tried, "t_threshold": threshold}
            if t is None or abs(t) < threshold:
                update |= {"status": "rejected", "reasons": [
                    f"mining |Newey-West t| {_num(t)} < {threshold:.2f}, the Bonferroni threshold for all "
                    f"{self.n_tried} candidates of the run"], "reasons_zh": [
                    f"挖掘期 Newey-West |t| {_num(t)} < {threshold:.2f}，即本次全部 {self.n_tried} 个候选的 Bonferroni 门槛"]}
                del self.accepted[text]
                self.ic_series.pop(text, None)
            self.records[text] = record.model_copy(update=update)


def _direction(stats: PeriodStats) -> int | None:
    if stats.rank_icir is None or stats.rank_icir == 0:
        return None
    return 1 if stats.rank_icir > 0 else -1


def _num(value: float | None) -> str:
    return "n/a" if value is None else f"{abs(value):.3f}"


def mine_factors(
    center: DataCenter,
    request: MiningRequest,
    runs_dir: Path | None = None,
    progress: ProgressReporter | None = None,
    clock: Callable[[], float] = time.monotonic,
    proposer: ExternalProposer | None = None,
    *,
    ray_address: str | None = None,
) -> MiningResult:
    """Run the mining loop; optionally record a run folder.

    With ``ray_address`` (the app passes its ``TAORUI_RAY_ADDRESS``) each round's candidates are
    scored as Ray tasks (in batches, each reading the store at its path); the judging, the
    search and the record stay here, so the same seed gives the same run. A candidate whose task
    fails is listed in ``failed`` (not judged, not counted as tried).

    Given expressions (``seed_expressions``, ``library``) are parsed first: an unsafe or
    invalid one refuses the whole request before anything is read or written. The 'llm' and
    'hybrid' proposers need ``proposer`` (a language model behind :class:`ExternalProposer`).
    """
    if request.proposer != "offline" and proposer is None:
        raise InvalidArgumentError(
            f"the {request.proposer!r} proposer needs a language model: configure one (TAORUI_LLM_BACKEND=openai "
            "with TAORUI_LLM_BASE_URL / TAORUI_LLM_API_KEY) or use the offline proposer")
    reporter = default_progress(progress)
    universe = resolve_universe(center, request.universe)
    user = [parse_expression(e, fields=universe.fields) for e in request.seed_expressions]
    library = [parse_expression(e, fields=universe.fields) for e in request.library]
    periods = (request.mining_start, request.mining_end, request.confirm_start, request.confirm_end)
    panel = Panel.open(center, universe, periods, request.horizon, request.min_count)
    scorer = _scorer(panel, ray_address)
    run = RunFolder.create(runs_dir, "factor_mine", request) if runs_dir is not None else None
    try:
        loop = _Loop(request, universe, panel, reporter, clock, proposer if request.proposer != "offline" else None,
                     scorer)
        stop = loop.run(user, library)
        loop.final_check()
        result = _result(loop, stop)
        if run is not None:
            from taorui_engines.factor_mining._report import record

            result = record(run, result, loop.ic_series)
    except BaseException as exc:
        if run is not None:
            run.fail(exc)
        raise
    logger.info("factor mining: %d tried, %d accepted, %d failed, stop %s", result.n_tried, len(result.accepted),
                len(result.failed), stop)
    return result


def _scorer(panel: Panel, ray_address: str | None) -> RayScorer | None:
    if ray_address is None:
        return None
    from taorui_engines.factor_mining._remote import RayScorer

    return RayScorer(panel, ray_address)


def _result(loop: _Loop, stop: StopReason) -> MiningResult:
    from taorui_engines.factor_mining._report import summary

    request, panel = loop.request, loop.panel
    records = list(loop.records.values())
    accepted = [r for r in records if r.status == "accepted"]
    result = MiningResult(
        universe=request.universe if isinstance(request.universe, str) else ",".join(request.universe),
        market=loop.universe.market, n_symbols=len(loop.universe.symbols), synthetic=loop.universe.synthetic,
        themes=request.themes or THEMES, horizon=request.horizon, forward_return=FORWARD_RETURN,
        mining_period=(panel.mining_days[0].date(), panel.mining_days[-1].date()),
        confirmation_period=(panel.confirm_days[0].date(), panel.confirm_days[-1].date()),
        rule=request.rule, rule_text=request.rule.text(loop.n_tried), rule_text_zh=request.rule.text_zh(loop.n_tried),
        n_tried=loop.n_tried,
        n_invalid=sum(r.status == "invalid" for r in records), t_threshold=request.rule.t_threshold(loop.n_tried),
        rounds_done=loop.rounds_done, stop_reason=stop, budget_stop=stop in BUDGET_STOPS,
        elapsed_s=round(loop.clock() - loop.started, 3), accepted=accepted,
        proposer=request.proposer if loop.external is None else f"{request.proposer} ({loop.external.name})",
        llm_usage=loop.llm_usage if loop.external is not None else None,
        proposer_notes=loop.notes + ([f"{len(loop.repeats)} proposed expression(s) repeated earlier candidates and "
                                      "were not evaluated again"] if loop.repeats else []),
        rejected=[r for r in records if r.status != "accepted"], summary="",
        executor="local" if loop.scorer is None else "ray", failed=loop.failed,
    )
    return result.model_copy(update={"summary": summary(result)})
