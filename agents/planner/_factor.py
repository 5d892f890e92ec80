"""Factor-miner recipes: evaluate given expressions, or propose a few from a theme.

Proposals come from a small table of textbook expressions per theme (the full mining loop
is a later issue); either way memory is searched first so a factor tested before is named
as such, and every expression is evaluated in one call (one data load).
"""

from __future__ import annotations

from typing import Any

from agents.planner._actions import Action, Answer, CallTools, ToolCall
from agents.planner._advisor import failure_answer
from agents.planner._context import PlanContext
from agents.planner._text import fmt_num, fmt_pct, pick, synthetic_note
from agents.planner._windows import place

__all__ = ["FACTOR_RECIPES", "THEMES"]

#: Candidate expressions per theme, in the Qlib grammar.
THEMES: dict[str, tuple[str, ...]] = {
    "momentum": ("$close / Ref($close, 20) - 1", "Mean($close, 5) / Mean($close, 20) - 1",
                 "Slope($close, 20) / $close", "$close / Ref($close, 60) - 1"),
    "reversal": ("Ref($close, 5) / $close - 1", "Mean($close, 5) / $close - 1",
                 "1 - $close / Max($high, 10)", "Ref($close, 1) / $close - 1"),
    "volatility": ("-1 * Std($close / Ref($close, 1) - 1, 20)", "-1 * ($high - $low) / $close",
                   "-1 * Std($close, 10) / $close", "-1 * Mad($close / Ref($close, 1) - 1, 20)"),
    "volume": ("$volume / Mean($volume, 20)", "Corr($close, $volume, 10)",
               "-1 * Corr($close / Ref($close, 1), $volume / Ref($volume, 1), 10)", "Std($volume, 10) / Mean($volume, 10)"),
}
_MIXED = (THEMES["momentum"][0], THEMES["reversal"][0], THEMES["volatility"][0], THEMES["volume"][0])


def _universe(ctx: PlanContext) -> str:
    universe = ctx.parsed.slots.universe
    if universe is None:
        ctx.said.add(f"universe {ctx.defaults.factor_universe}", f"股票池 {ctx.defaults.factor_universe}")
        return ctx.defaults.factor_universe
    return universe


def _expressions(ctx: PlanContext) -> tuple[str, ...]:
    slots = ctx.parsed.slots
    if slots.expressions:
        return slots.expressions
    count = slots.factor_count or ctx.defaults.factor_count
    if not slots.factor_count:
        ctx.said.add(f"{count} candidate factors", f"{count} 个候选因子")
    family = slots.factor_family
    if family is None:
        ctx.said.add("a mix of momentum, reversal, volatility and volume themes", "动量、反转、波动、成交量主题各取其一")
    return (THEMES[family] if family else _MIXED)[:count]


def _eval_args(ctx: PlanContext, expressions: tuple[str, ...]) -> dict[str, Any] | Answer:
    universe = _universe(ctx)
    span = place(ctx.brief, universe, ctx.parsed.slots.period, ctx.defaults.years)
    if span is None:
        return Answer(pick(ctx.language, f"The store holds no universe {universe}.", f"数据库中没有股票池 {universe}。"))
    if ctx.parsed.slots.period is None:
        ctx.said.add(f"window {span.label()}", f"区间 {span.label()}")
    horizon = ctx.parsed.slots.horizon or ctx.defaults.horizon
    if not ctx.parsed.slots.horizon:
        ctx.said.add(f"{horizon}-day forward returns", f"未来 {horizon} 日收益")
    return {"expressions": list(expressions), "universe": universe, "start": span.start.isoformat(),
            "end": span.end.isoformat(), "horizon": horizon}


def factor_recipe(ctx: PlanContext) -> Action:
    """search_memory for earlier tests, evaluate_factors, answer ranked by Rank ICIR."""
    expressions = _expressions(ctx)
    if ctx.may("search_memory"):
        return CallTools((ToolCall("search_memory", {"query": "; ".join(expressions), "kind": "factors",
                                                      "limit": 5}),))
    args = _eval_args(ctx, expressions)
    if isinstance(args, Answer):
        return args
    done = ctx.last("evaluate_factors")
    if done is None:
        if not ctx.can_call:
            return Answer(pick(ctx.language, "The evaluate_factors tool is not available here.", "当前没有 evaluate_factors 工具。"))
        return CallTools((ToolCall("evaluate_factors", args),))
    if not done.ok:
        return failure_answer(ctx, done)
    return Answer(factor_answer(ctx, args, done.result))


def _duplicates(ctx: PlanContext) -> list[str]:
    seen = ctx.last("search_memory")
    if seen is None or not seen.ok:
        return []
    return [str(h.get("text", ""))[:120] for h in seen.result.get("results") or []
            if (h.get("score") or 0) >= 0.9 or (h.get("metadata") or {}).get("duplicate")]


def factor_answer(ctx: PlanContext, args: dict[str, Any], r: dict[str, Any]) -> str:
    """One line per factor, best Rank ICIR first."""
    lang = ctx.language
    results = sorted(r.get("results") or [], key=lambda x: -abs(x.get("rank_icir") or 0))
    lines = [pick(lang, f"Factor evaluation on {args['universe']} {args['start']}..{args['end']}, "
                        f"{args['horizon']}-day forward returns (best Rank ICIR first):",
                  f"{args['universe']} 上 {args['start']}..{args['end']} 的因子评估，未来 {args['horizon']} 日收益"
                  "（按 Rank ICIR 排序）：")]
    for x in results:
        lines.append(pick(lang,
                          f"- {x.get('expr')}: IC {fmt_num(x.get('ic_mean'), 4)}, Rank IC {fmt_num(x.get('rank_ic_mean'), 4)}, "
                          f"Rank ICIR {fmt_num(x.get('rank_icir'))}, positive days {fmt_pct(x.get('positive_ratio'), False)}",
                          f"- {x.get('expr')}：IC {fmt_num(x.get('ic_mean'), 4)}，Rank IC {fmt_num(x.get('rank_ic_mean'), 4)}，"
                          f"Rank ICIR {fmt_num(x.get('rank_icir'))}，正IC天数占比 {fmt_pct(x.get('positive_ratio'), False)}"))
    dups = _duplicates(ctx)
    if dups:
        lines.append(pick(lang, "Memory already holds similar factors: " + "; ".join(dups),
                          "记忆库中已有相似因子：" + "；".join(dups)))
    if ctx.is_synthetic(args["universe"]):
        lines.append(synthetic_note(lang, [args["universe"]]))
    lines.append(ctx.said.render(lang))
    return "\n".join(line for line in lines if line)


FACTOR_RECIPES = {"evaluate_factors": factor_recipe, "mine_factors": factor_recipe}
