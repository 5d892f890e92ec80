"""A factor put to work as a signal: "mine five momentum factors, keep the best one and backtest it",
"evaluate these two, then backtest whichever has the higher IC", "用上次挖的最好的那个因子在2024年做个回测".

The factor is the one the person named (an expression in the step), else the best of the factor
work just done in this conversation: the accepted factor with the strongest held-out Rank ICIR
of a mining run, the expression with the strongest Rank ICIR of an evaluation, or the strongest
accepted factor a recall found in memory. Its sign is
the sign of its IC (a factor that works inversely is bought low), and the choice is said with
its numbers. The backtest is Qlib's TopkDropout portfolio on the universe against the
equal-weight universe (``backtest_signal``), with and without costs; a window that overlaps
where the factor was chosen is said to be in-sample.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from agents.planner._actions import Action, Answer
from agents.planner._common import call, costs, failure_answer, missing_tool, windows_for
from agents.planner._context import PlanContext, v
from agents.planner._text import code, fmt_num, fmt_pct, pick, synthetic_note

__all__ = ["factor_backtest_recipe"]


@dataclass(frozen=True)
class Chosen:
    """The factor backtested, as it is traded (sign applied), and why it was the one."""

    expression: str
    said: str  # the factor as found (before the sign)
    inverted: bool
    why_en: str
    why_zh: str
    chosen_on: tuple[date, date] | None  # where it was picked (mining or evaluation period)


def _as_day(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def _span_of(result: dict[str, Any], first: str, last: str) -> tuple[date, date] | None:
    a, b = _as_day(result.get(first)), _as_day(result.get(last))
    return (a, b) if a is not None and b is not None else None


def _signed(expression: str, negative: bool) -> str:
    return f"-1 * ({expression})" if negative else expression


def _from_mining(result: dict[str, Any], language: str) -> Chosen | Answer:
    accepted = [r for r in result.get("accepted") or [] if isinstance(r, dict) and r.get("expr")]
    if not accepted:
        return _nothing_kept(int(result.get("n_tried") or 0), language)
    best = max(accepted, key=lambda r: abs(float(r.get("confirm_rank_icir") or r.get("mining_rank_icir") or 0.0)))
    icir = best.get("confirm_rank_icir")
    negative = (best.get("direction") or 1) < 0
    # accepted on the mining and the confirmation periods: it was chosen on both
    days = [d for d in (_as_day(x) for x in [*(result.get("mining_period") or []), *(result.get("confirmation_period") or [])])
            if d is not None]
    chosen_on = (min(days), max(days)) if days else None
    return Chosen(
        _signed(str(best["expr"]), negative), str(best["expr"]), negative,
        f"the strongest of the {len(accepted)} factor(s) the mining run accepted (held-out Rank ICIR {fmt_num(icir)})",
        f"挖掘运行接受的 {len(accepted)} 个因子中最强的一个（样本外 RankICIR {fmt_num(icir)}）",
        chosen_on)


def _nothing_kept(tried: int, language: str) -> Answer:
    return Answer(pick(language, f"The mining run accepted none of the {tried} candidates it tried, so there is no factor "
                                 "to backtest; a rejected one would be a factor that failed its own test.",
                       f"挖掘运行尝试的 {tried} 个候选因子一个都没有通过检验，所以没有可回测的因子；回测被拒绝的因子等于回测一个"
                       "没通过检验的因子。"))


def _from_evaluation(result: dict[str, Any], only: set[str] | None = None) -> Chosen | None:
    rows = [r for r in result.get("results") or [] if isinstance(r, dict) and r.get("expr")
            and (only is None or r.get("expr") in only or r.get("canonical") in only)]
    rows = [r for r in rows if r.get("rank_icir") is not None]
    if not rows:
        return None
    best = max(rows, key=lambda r: abs(float(r["rank_icir"])))
    negative = float(best.get("rank_ic_mean") or best["rank_icir"]) < 0
    several = len(rows) > 1
    return Chosen(
        _signed(str(best["expr"]), negative), str(best["expr"]), negative,
        (f"the strongest Rank ICIR ({fmt_num(best['rank_icir'])}) of the {len(rows)} factors evaluated" if several
         else f"Rank ICIR {fmt_num(best['rank_icir'])} in the evaluation"),
        (f"评估的 {len(rows)} 个因子中 RankICIR 最强（{fmt_num(best['rank_icir'])}）" if several
         else f"评估中的 RankICIR 为 {fmt_num(best['rank_icir'])}"),
        _span_of(result, "start", "end"))


def _from_memory(result: dict[str, Any]) -> Chosen | None:
    """The strongest accepted factor among the factor records a recall found ("用上次挖的最好的那个因子")."""
    records = []
    for hit in result.get("results") or []:
        meta = hit.get("metadata") if isinstance(hit, dict) else None
        if not isinstance(meta, dict) or hit.get("kind") != "factors" or meta.get("status") != "accepted" \
                or meta.get("rank_icir") is None:
            continue
        said = re.search(r"Expression: (.+?)\. (?=[A-Z])", str(hit.get("text") or ""))  # the record's own words
        if said is not None:
            records.append({**meta, "expression": said.group(1)})
    if not records:
        return None
    best = max(records, key=lambda r: abs(float(r["rank_icir"])))
    negative = float(best.get("rank_ic") or best["rank_icir"]) < 0
    span = _span_of(best, "start", "end")
    return Chosen(
        _signed(str(best["expression"]), negative), str(best["expression"]), negative,
        f"the strongest Rank ICIR ({fmt_num(best['rank_icir'])}) of the {len(records)} accepted factor(s) found in memory",
        f"记忆库中 {len(records)} 个已接受因子里 RankICIR 最强（{fmt_num(best['rank_icir'])}）", span)


def choose(ctx: PlanContext) -> Chosen | Answer:
    """The factor this step backtests (see the module docstring), or the question to ask."""
    stated = [str(e.value) for e in ctx.step.expressions]
    # this agent's own factor work, then what an earlier agent handed over (the miner's accepted factors)
    pool = [(o.name, o.result) for o in reversed(ctx.everything) if o.ok and o.step < ctx.index
            and o.name in ("mine_factors", "evaluate_factors", "search_memory")]
    handed = ((ctx.brief.handover or {}).get("payload") or {}).get("factors")
    if isinstance(handed, dict) and handed.get("name") in ("mine_factors", "evaluate_factors") \
            and isinstance(handed.get("result"), dict):
        pool.append((str(handed["name"]), handed["result"]))
    for name, result in pool:
        if name == "evaluate_factors":
            chosen = _from_evaluation(result, set(stated) if stated else None)
            if chosen is not None:
                return chosen
        elif name == "search_memory":
            remembered = _from_memory(result) if not stated else None
            if remembered is not None:
                return remembered
        elif not stated:
            return _from_mining(result, ctx.language)
    if len(stated) == 1:
        return Chosen(stated[0], stated[0], False, "the factor you gave (higher values bought)",
                      "您给出的因子（数值高的买入）", None)
    return Answer(pick(ctx.language,
                       "Which signal should I backtest? Give a factor expression (for example \"Mean($close, 5) / "
                       "$close\"), mine or evaluate factors first, or train a model whose predictions are the signal.",
                       "要回测哪个信号？请给出一个因子表达式（例如 \"Mean($close, 5) / $close\"），或者先挖掘或评估因子，"
                       "或者训练一个以预测值为信号的模型。"))


def factor_backtest_recipe(ctx: PlanContext) -> Action:
    """choose the factor, backtest_signal on it, answer."""
    chosen = choose(ctx)
    if isinstance(chosen, Answer):
        return chosen
    universe = str(v(ctx.step.universe, ctx.defaults.factor_universe))
    plan = windows_for(ctx, universe, split=False)
    if isinstance(plan, Answer):
        return plan
    span = plan.test if ctx.step.windows.data is None and ctx.step.windows.test is not None else plan.whole
    commission, slippage = costs(ctx, 0.0005, None)
    per_side = commission + (slippage or 0.0)
    topk = int(v(ctx.step.top_k, ctx.defaults.topk_backtest))
    if ctx.step.top_k is None:
        ctx.said.add(f"the portfolio holds the top {topk} names by the factor", f"组合持有因子值排名前 {topk} 的股票")
    args = {"expression": chosen.expression, "universe": universe, "start": span.start.isoformat(),
            "end": span.end.isoformat(), "topk": topk, "open_cost": per_side, "close_cost": per_side + 0.001}
    ctx.said.add("10 bp stamp duty on sells (cn market)", "卖出印花税 10 bp（A股规则）")
    done = ctx.last("backtest_signal")
    if done is None:
        return call(ctx, "backtest_signal", args) if ctx.can_call else missing_tool(ctx, "backtest_signal")
    if not done.ok:
        return failure_answer(ctx, done)
    return Answer(factor_backtest_answer(ctx, chosen, done.result, universe))


def factor_backtest_answer(ctx: PlanContext, chosen: Chosen, result: dict[str, Any], universe: str) -> str:
    """Which factor, why, the portfolio against the equal-weight universe, and what decides."""
    lang = ctx.language
    m = result.get("metrics") or {}
    lines = [pick(lang, f"I backtested the factor {chosen.said} as a signal: {chosen.why_en}.",
                  f"我把因子 {code(chosen.said)} 当作信号做了回测：{chosen.why_zh}。")]
    if chosen.inverted:
        lines.append(pick(lang, "Its IC is negative, so the signal is its negative: the names with the lowest values "
                                "are bought.", "它的 IC 为负，所以信号取其相反数：买入因子值最低的股票。"))
    lines.append(pick(
        lang,
        f"Top-k portfolio on {universe}, {m.get('start')}..{m.get('end')} (run {result.get('run_id')}): annualized return "
        f"{fmt_pct(m.get('annualized_return_with_cost'))} after costs ({fmt_pct(m.get('annualized_return'))} before), "
        f"equal-weight {universe} {fmt_pct(m.get('benchmark_annualized_return'))}; excess after costs "
        f"{fmt_pct(m.get('excess_annualized_return_with_cost'))} (information ratio "
        f"{fmt_num(m.get('information_ratio_with_cost'))}, t {fmt_num(m.get('excess_t_with_cost'))}, Newey-West), "
        f"max drawdown {fmt_pct(m.get('max_drawdown_with_cost'), False)}, turnover {fmt_pct(m.get('turnover'), False)} a day.",
        f"{universe} 上的前 k 只组合，{m.get('start')}..{m.get('end')}（运行编号 {code(result.get('run_id'))}）：扣除成本后年化收益 "
        f"{fmt_pct(m.get('annualized_return_with_cost'))}（成本前 {fmt_pct(m.get('annualized_return'))}），等权基准 "
        f"{fmt_pct(m.get('benchmark_annualized_return'))}；扣除成本后超额 {fmt_pct(m.get('excess_annualized_return_with_cost'))}"
        f"（信息比率 {fmt_num(m.get('information_ratio_with_cost'))}，t 值 {fmt_num(m.get('excess_t_with_cost'))}，"
        f"自相关稳健标准误），最大回撤 {fmt_pct(m.get('max_drawdown_with_cost'), False)}，日均换手 {fmt_pct(m.get('turnover'), False)}。"))
    t = m.get("excess_t_with_cost")
    if isinstance(t, int | float) and abs(t) < 2:
        lines.append(pick(lang, "The excess is not significant after costs (|t| < 2): read it as noise.",
                          "扣除成本后的超额收益不显著（|t| < 2），应视为噪声。"))
    start, end = _as_day(m.get("start")), _as_day(m.get("end"))
    if chosen.chosen_on is not None and start is not None and end is not None \
            and start <= chosen.chosen_on[1] and chosen.chosen_on[0] <= end:
        a, b = chosen.chosen_on
        lines.append(pick(lang, f"This window overlaps {a}..{b}, where the factor was chosen: the result is partly "
                                "in-sample and flatters it; a window after that is the honest test.",
                          f"该区间与因子被选出的区间 {a}..{b} 重叠：结果部分属于样本内，会高估因子；之后的区间才是可信的检验。"))
    if result.get("equity_png"):
        lines.append(pick(lang, f"Equity curve: {result['equity_png']}", f"净值曲线：{code(result['equity_png'])}"))
    if result.get("synthetic") or ctx.is_synthetic(universe):
        lines.append(synthetic_note(lang, [universe]))
    return "\n".join(line for line in lines if line)
