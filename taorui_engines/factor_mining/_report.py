"""The words and files a mining run leaves: a summary paragraph and the run folder."""

from __future__ import annotations

import logging

import pandas as pd

from taorui_engines.factor_mining._models import MinedFactor, MiningResult
from taorui_engines.qlib_engine._plots import plot_ic
from taorui_engines.runs import RunFolder

logger = logging.getLogger(__name__)

#: Accepted factors beyond this many get no IC picture (the CSV still has their series).
MAX_PLOTS = 10

_STOPS = {
    "rounds_done": "all planned rounds ran",
    "candidate_budget": "BUDGET STOP: the candidate budget ran out",
    "time_budget": "BUDGET STOP: the wall-time budget ran out",
    "token_budget": "BUDGET STOP: the LLM token budget ran out",
    "cost_budget": "BUDGET STOP: the LLM money budget ran out",
    "no_new_candidates": "the search produced no new candidate",
    "proposer_failed": "STOPPED: the LLM proposer failed",
}


def _line(factor: MinedFactor) -> str:
    m, c = factor.mining, factor.confirmation
    mining = f"{m.rank_icir:+.3f}" if m and m.rank_icir is not None else "n/a"
    t = f"{m.rank_ic_t_nw:+.2f}" if m and m.rank_ic_t_nw is not None else "n/a"
    confirm = f"{c.rank_icir:+.3f}" if c and c.rank_icir is not None else "n/a"
    return (f"{factor.canonical} (Rank ICIR mining {mining}, NW t {t}, confirmation {confirm}; "
            f"1 of {factor.n_tried} candidates tried, |t| threshold {factor.t_threshold:.2f})")


def _usage(result: MiningResult) -> str:
    u = result.llm_usage
    if u is None:
        return ""
    cost = "cost unknown" if u.cost_usd is None else f"${u.cost_usd:.4f}"
    return f" ({u.calls} LLM calls, {u.total_tokens} tokens, {cost})"


def _notes(result: MiningResult) -> str:
    return f" ({'; '.join(result.proposer_notes[-3:])})" if result.stop_reason == "proposer_failed" else ""


def summary(result: MiningResult) -> str:
    """One paragraph: data, periods, what ran, why it stopped, what was kept."""
    data = " [SYNTHETIC data]" if result.synthetic else ""
    found = "; ".join(_line(f) for f in result.accepted) or "none"
    m0, m1 = result.mining_period
    c0, c1 = result.confirmation_period
    return (
        f"Factor mining on {result.universe}{data}, themes {', '.join(result.themes)}, "
        f"{result.horizon}-day forward returns; mining {m0}..{m1}, confirmation {c0}..{c1}. "
        f"{result.n_tried} candidates evaluated in {result.rounds_done} rounds ({result.n_invalid} refused by "
        f"the parser{_failed(result)}), {result.elapsed_s:.1f} s, proposer {result.proposer}{_usage(result)}; "
        f"{_STOPS[result.stop_reason]}{_notes(result)}. "
        f"Accepted {len(result.accepted)}: {found}."
    )


def _failed(result: MiningResult) -> str:
    if not result.failed:
        return ""
    return (f"; {len(result.failed)} more sent to Ray failed and were neither judged nor counted: "
            f"{result.failed[0].error}")


def record(run: RunFolder, result: MiningResult, ic_series: dict[str, pd.Series]) -> MiningResult:
    """Write metrics, the accepted factors' daily Rank IC (CSV and pictures); mark the run done."""
    result = result.model_copy(update={"run_id": run.run_id, "run_dir": str(run.path)})
    if ic_series:
        long = pd.concat({text: series.rename("rank_ic") for text, series in ic_series.items()},
                         names=["canonical", "date"])
        long.reset_index().to_csv(run.file("ic_series.csv"), index=False)
    data_note = " [SYNTHETIC data]" if result.synthetic else ""
    c0 = result.confirmation_period[0]
    for k, (text, series) in enumerate(list(ic_series.items())[:MAX_PLOTS]):
        title = (f"{text}\nRank IC vs {result.horizon}-day forward return, {result.universe}{data_note}; "
                 f"mining {result.mining_period[0]}..{result.mining_period[1]}, confirmation from {c0}")
        plot_ic(series, title, run.file(f"ic_{k:02d}.png"))
    payload = result.model_dump(mode="json")
    payload["n_accepted"] = len(result.accepted)
    run.write_metrics(payload)
    run.finish()
    logger.info("factor mining %s: %d accepted of %d", run.run_id, len(result.accepted), result.n_tried)
    return result
