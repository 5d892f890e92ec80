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

import pandas as pd

from taorui_engines.data import DataCenter
from taorui_engines.expressions import ParsedExpression, parse_expression
from taorui_engines.factor_mining._evaluate import Panel
from taorui_engines.factor_mining._models import (
    MinedFactor,
    MiningRequest,
    MiningResult,
    PeriodStats,
    StopReason,
)
from taorui_engines.factor_mining._search import Candidate, Proposer, fitness
from taorui_engines.factor_mining._themes import THEMES, seeds, uses_only
from taorui_engines.progress import ProgressEvent, ProgressReporter, default_progress
from taorui_engines.qlib_engine import FORWARD_RETURN, Universe, resolve_universe
from taorui_engines.runs import RunFolder

logger = logging.getLogger(__name__)

TASK = "factor mining"


class _Loop:
    """State of one run: the archive the search breeds from, the accepted set, the records."""

    def __init__(self, request: MiningRequest, universe: Universe, panel: Panel,
                 reporter: ProgressReporter, clock: Callable[[], float]) -> None:
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

    # -- the loop ------------------------------------------------------------------------
    def run(self, user: list[ParsedExpression], library: list[ParsedExpression]) -> StopReason:
        """Run rounds until the plan or a budget ends; return why it stopped."""
        for round_ in range(self.request.rounds):
            if self.clock() - self.started >= self.request.budget_s:
                return "time_budget"
            room = self.request.max_candidates - self.n_tried
            if room <= 0:
                return "candidate_budget"
            if round_:
                batch = self.proposer.breed(self.archive, self.request.population, round_, self.seen)
            else:
                batch = self._first(user)
            valid = [c for c in batch if c.parsed is not None][:room]
            for bad in (c for c in batch if c.parsed is None):
                self._invalid(bad)
            if not valid:
                return "no_new_candidates"
            self._evaluate(valid, library if round_ == 0 else [], round_)
            self.rounds_done = round_ + 1
            self.reporter.update(ProgressEvent(
                TASK, self.rounds_done, self.request.rounds,
                f"{self.n_tried} tried, {len(self.accepted)} accepted"))
        return "rounds_done"

    def _first(self, user: list[ParsedExpression]) -> list[Candidate]:
        themes = self.request.themes or THEMES
        seeded = [(t, g) for t, g in seeds(themes) if uses_only(g, self.universe.fields)]
        given = []
        for parsed in user:
            if parsed.canonical not in self.seen:
                self.seen.add(parsed.canonical)
                given.append(Candidate(parsed.source, "user", "user", 0, parsed=parsed))
        return given + self.proposer.initial(seeded, self.request.population, self.seen)

    # -- evaluation ----------------------------------------------------------------------
    def _evaluate(self, batch: list[Candidate], library: list[ParsedExpression], round_: int) -> None:
        texts = [c.parsed.canonical for c in batch if c.parsed is not None]
        frames = self.panel.load(list(dict.fromkeys([*texts, *(p.canonical for p in library)])))
        for parsed in library:
            self.library[parsed.canonical] = frames[parsed.canonical].reindex(self.panel.mining_days)
        self.n_tried += len(batch)
        scored = []
        for candidate in batch:
            assert candidate.parsed is not None
            frame = frames[candidate.parsed.canonical]
            stats, _ = self.panel.stats(frame, self.panel.scored_mining_days)
            candidate.frame = frame.reindex(self.panel.mining_days)
            candidate.fitness = fitness(stats.rank_icir, candidate.parsed.size, self._redundant(candidate))
            scored.append((candidate, stats, frame))
        scored.sort(key=lambda item: (-(item[0].fitness or 0.0), item[0].parsed.canonical))  # type: ignore[union-attr]
        for candidate, stats, frame in scored:
            self._judge(candidate, stats, frame)
        self._refresh_archive(batch)

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
            theme=candidate.theme, origin=candidate.origin, round=candidate.round, size=parsed.size,
            depth=parsed.depth, status="rejected" if reasons else "accepted",
            reasons=reasons or ["passes every rule"], direction=_direction(stats), fitness=candidate.fitness,
            mining=stats, n_tried=self.n_tried, t_threshold=threshold, **fields,  # type: ignore[arg-type]
        )

    def _mining_reasons(self, parsed: ParsedExpression, stats: PeriodStats, threshold: float) -> list[str]:
        rule, out = self.rule, []
        if parsed.size > rule.max_size or parsed.depth > rule.max_depth:
            out.append(f"too complex: size {parsed.size} (max {rule.max_size}), depth {parsed.depth} "
                       f"(max {rule.max_depth})")
        if stats.coverage < rule.min_coverage:
            out.append(f"coverage {stats.coverage:.2f} < {rule.min_coverage:g}")
        icir, t = stats.rank_icir, stats.rank_ic_t_nw
        if icir is None or abs(icir) < rule.min_rank_icir:
            out.append(f"mining |Rank ICIR| {_num(icir)} < {rule.min_rank_icir:g}")
        if t is None or abs(t) < threshold:
            out.append(f"mining |Newey-West t| {_num(t)} < {threshold:.2f} (Bonferroni, {self.n_tried} tried)")
        return out

    def _confirm_reasons(self, mining: PeriodStats, confirm: PeriodStats) -> list[str]:
        m, c = mining.rank_icir, confirm.rank_icir
        assert m is not None
        need = self.rule.confirm_ratio * abs(m)
        if c is None or c * m <= 0:
            return [f"confirmation Rank ICIR {_num(c)} does not keep the mining sign ({m:+.3f})"]
        if abs(c) < need:
            return [f"confirmation |Rank ICIR| {abs(c):.3f} < {self.rule.confirm_ratio:g} x mining {abs(m):.3f}"]
        return []

    def _dedupe_reasons(self, corr: float | None, closest: str | None) -> list[str]:
        if corr is not None and corr >= self.rule.max_correlation:
            return [f"duplicates {closest} (|rank correlation| {corr:.2f} >= {self.rule.max_correlation:g})"]
        return []

    def _incremental(self, frame: pd.DataFrame) -> PeriodStats | None:
        known = [*self.library.values(), *self.accepted.values()]
        if not known:
            return None
        residual = self.panel.residual(frame, known)
        return self.panel.stats(residual, self.panel.scored_mining_days)[0]

    def _incremental_reasons(self, mining: PeriodStats, incremental: PeriodStats | None,
                             threshold: float) -> list[str]:
        if incremental is None:
            return []
        m, r = mining.rank_icir, incremental.rank_icir
        assert m is not None
        if r is None or r * m <= 0:
            return [f"adds nothing to the known factors: the part they do not explain has Rank ICIR "
                    f"{'n/a' if r is None else f'{r:+.3f}'}, not the mining sign ({m:+.3f})"]
        if abs(r) < self.rule.min_rank_icir:
            return [f"adds too little to the known factors: Rank ICIR of the part they do not explain "
                    f"{abs(r):.3f} < {self.rule.min_rank_icir:g}"]
        t = incremental.rank_ic_t_nw
        if t is None or abs(t) < threshold:
            return [f"adds too little to the known factors: Newey-West |t| of the part they do not explain "
                    f"{_num(t)} < {threshold:.2f} (Bonferroni)"]
        return []

    def _invalid(self, candidate: Candidate) -> None:
        self.records[candidate.expr] = MinedFactor(
            expr=candidate.expr, canonical=None, theme=candidate.theme, origin=candidate.origin,
            round=candidate.round, status="invalid", reasons=[candidate.error or "refused by the parser"],
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
                    f"{self.n_tried} candidates of the run"]}
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
) -> MiningResult:
    """Run the offline mining loop; optionally record a run folder.

    Given expressions (``seed_expressions``, ``library``) are parsed first: an unsafe or
    invalid one refuses the whole request before anything is read or written.
    """
    reporter = default_progress(progress)
    universe = resolve_universe(center, request.universe)
    user = [parse_expression(e, fields=universe.fields) for e in request.seed_expressions]
    library = [parse_expression(e, fields=universe.fields) for e in request.library]
    periods = (request.mining_start, request.mining_end, request.confirm_start, request.confirm_end)
    panel = Panel.open(center, universe, periods, request.horizon, request.min_count)
    run = RunFolder.create(runs_dir, "factor_mine", request) if runs_dir is not None else None
    try:
        loop = _Loop(request, universe, panel, reporter, clock)
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
    logger.info("factor mining: %d tried, %d accepted, stop %s", result.n_tried, len(result.accepted), stop)
    return result


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
        rounds_done=loop.rounds_done, stop_reason=stop, budget_stop=stop in ("candidate_budget", "time_budget"),
        elapsed_s=round(loop.clock() - loop.started, 3), accepted=accepted,
        rejected=[r for r in records if r.status != "accepted"], summary="",
    )
    return result.model_copy(update={"summary": summary(result)})
