"""Factor-miner recipes: evaluate given expressions, or mine factors from a theme.

A mining request ("挖几个波动率因子", "mine momentum factors") runs the mining loop through the
``mine_factors`` tool when it is bound (``_mining``). Otherwise proposals come from a small
table of textbook expressions per theme, with the lookback the person stated ("a 60-day
reversal factor") put into them; either way memory is searched first so a factor tested before is named as such, and
every expression is evaluated in one call (one data load). Themes that need data the store
does not hold (value, quality: fundamentals) are refused with the reason, not substituted.
"""

from __future__ import annotations

import re
from typing import Any

from agents.planner._actions import Action, Answer
from agents.planner._common import call, failure_answer, windows_for
from agents.planner._context import PlanContext, v
from agents.planner._mining import mining_recipe, wants_mining
from agents.planner._text import code, fmt_num, fmt_pct, pick, synthetic_note, theme_label

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
    # No shares outstanding in the store: turnover and liquidity use volume-based proxies (said in the answer).
    "turnover": ("$volume / Mean($volume, 60)", "-1 * Mean($volume, 20) / Mean($volume, 120)",
                 "Std($volume, 20) / Mean($volume, 20)", "-1 * $volume / Mean($volume, 20)"),
    "liquidity": ("-1 * Mean(Abs($close / Ref($close, 1) - 1) / ($volume * $close), 20)",
                  "Log(Mean($volume * $close, 20))", "-1 * Std($volume * $close, 20) / Mean($volume * $close, 20)",
                  "Mean($volume, 5) / Mean($volume, 60)"),
}
#: Themes that need fundamentals the price/volume store does not hold.
NEEDS_FUNDAMENTALS = ("value", "quality")
_MIXED = (THEMES["momentum"][0], THEMES["reversal"][0], THEMES["volatility"][0], THEMES["volume"][0])


def _universe(ctx: PlanContext) -> str:
    universe = v(ctx.step.universe)
    if universe is None:
        ctx.said.add(f"universe {ctx.defaults.factor_universe}", f"股票池 {ctx.defaults.factor_universe}")
        return ctx.defaults.factor_universe
    ctx.said.stated(f"universe {universe}", f"股票池 {universe}")
    return str(universe)


def _with_lookback(expression: str, window: int) -> str:
    """The expression with its main lookback replaced by the stated one (20/5/10-day -> N)."""
    numbers = [int(n) for n in re.findall(r",\s*(\d+)\)", expression)]
    if not numbers:
        return expression
    main = max(numbers)
    return re.sub(rf",\s*{main}\)", f", {window})", expression)


def _expressions(ctx: PlanContext) -> tuple[str, ...]:
    step = ctx.step
    if step.expressions:
        given = tuple(str(e.value) for e in step.expressions)
        ctx.said.stated("expressions " + "; ".join(given), "表达式 " + "；".join(given))
        return given
    count = int(v(step.factor_count, ctx.defaults.factor_count))
    if step.factor_count is None:
        ctx.said.add(f"{count} candidate factors", f"{count} 个候选因子")
    else:
        ctx.said.stated(f"{count} factors", f"{count} 个因子")
    theme = v(step.theme)
    pool: tuple[str, ...]
    if theme is None:
        ctx.said.add("a mix of momentum, reversal, volatility and volume themes", "动量、反转、波动、成交量主题各取其一")
        pool = _MIXED
    else:
        ctx.said.stated(f"theme {theme}", f"主题 {theme_label('zh', theme)}")
        pool = THEMES.get(str(theme), _MIXED)
        if theme in ("turnover", "liquidity"):
            ctx.said.add("volume-based proxies (the store holds no shares outstanding)", "基于成交量的代理指标（数据库中没有流通股本）")
    window = ctx.step.params.get("period") or ctx.step.params.get("window")
    if window is not None:
        pool = tuple(dict.fromkeys(_with_lookback(e, int(window.value)) for e in pool))
        ctx.said.stated(f"{int(window.value)}-day lookback", f"回看 {int(window.value)} 日")
    return pool[:count]


def _eval_args(ctx: PlanContext, expressions: tuple[str, ...]) -> dict[str, Any] | Answer:
    universe = _universe(ctx)
    plan = windows_for(ctx, universe, split=False)
    if isinstance(plan, Answer):
        return plan
    horizon = int(v(ctx.step.forward_days, ctx.defaults.horizon))
    if ctx.step.forward_days is None:
        ctx.said.add(f"{horizon}-day forward returns", f"未来 {horizon} 日收益")
    else:
        ctx.said.stated(f"{horizon}-day forward returns", f"未来 {horizon} 日收益")
    return {"expressions": list(expressions), "universe": universe, "start": plan.whole.start.isoformat(),
            "end": plan.whole.end.isoformat(), "horizon": horizon}


def factor_recipe(ctx: PlanContext) -> Action:
    """Mining by theme (mine_factors); else search_memory for earlier tests, evaluate_factors, answer by Rank ICIR."""
    theme = v(ctx.step.theme)
    if theme in NEEDS_FUNDAMENTALS and not ctx.step.expressions:
        return Answer(pick(ctx.language,
                           f"I cannot mine {theme} factors here: they need fundamentals (book value, earnings) and the "
                           "store holds prices and volumes only. Ingest them as extra fields (`taorui data ingest`) or "
                           "ask for a price/volume theme (momentum, reversal, volatility, volume, turnover, liquidity).",
                           f"无法在此挖掘{'价值' if theme == 'value' else '质量'}因子：它们需要基本面数据（账面价值、盈利），而数据库只有价格和成交量。"
                           "可以把基本面作为额外字段导入（`taorui data ingest`），或选择量价主题（动量、反转、波动、成交量、换手、流动性）。"))
    if wants_mining(ctx):
        return mining_recipe(ctx)
    expressions = _expressions(ctx)
    if ctx.may("search_memory"):
        return call(ctx, "search_memory", {"query": "; ".join(expressions), "kind": "factors", "limit": 5})
    args = _eval_args(ctx, expressions)
    if isinstance(args, Answer):
        return args
    done = ctx.last("evaluate_factors")
    if done is None:
        if not ctx.can_call:
            return Answer(pick(ctx.language, "The evaluate_factors tool is not available here.", "当前没有 evaluate_factors 工具。"))
        return call(ctx, "evaluate_factors", args)
    if not done.ok:
        return failure_answer(ctx, done)
    return Answer(factor_answer(ctx, args, done.result))


def _duplicates(ctx: PlanContext) -> list[str]:
    seen = ctx.last("search_memory")
    if seen is None or not seen.ok:
        return []
    return [str(h.get("text", ""))[:120] for h in seen.result.get("results") or []
            if (h.get("score") or 0) >= 0.9 or (h.get("metadata") or {}).get("duplicate")]


#: A factor is kept when its Rank IC is more than noise (|Newey-West t| >= 2) on enough of the universe.
KEEP_T, KEEP_COVERAGE = 2.0, 0.8


def _verdict(x: dict[str, Any], horizon: int) -> tuple[str, str]:
    """Keep or drop, with the reason a researcher would give."""
    t, coverage = x.get("rank_ic_t_nw"), x.get("coverage")
    if not isinstance(t, int | float):
        return "no verdict (too few days for a t-statistic)", "无法判断（天数太少，无法计算 t 值）"
    if isinstance(coverage, int | float) and coverage < KEEP_COVERAGE:
        return (f"drop: defined on only {coverage:.0%} of the universe", f"舍弃：只覆盖了 {coverage:.0%} 的股票")
    if abs(t) < KEEP_T:
        return ("drop: its Rank IC is indistinguishable from noise (|t| < 2)", "舍弃：其 RankIC 与噪声无法区分（|t| < 2）")
    sign_en = "" if t > 0 else " (use it reversed: the sign is negative)"
    sign_zh = "" if t > 0 else "（方向为负，需反向使用）"
    return (f"keep: |t| >= 2{sign_en}", f"保留：|t| >= 2{sign_zh}")


def factor_answer(ctx: PlanContext, args: dict[str, Any], r: dict[str, Any]) -> str:
    """One line per factor, best Rank ICIR first."""
    lang = ctx.language
    results = sorted(r.get("results") or [], key=lambda x: -abs(x.get("rank_icir") or 0))
    lines = [pick(lang, f"Factor evaluation on {args['universe']} {args['start']}..{args['end']}, "
                        f"{args['horizon']}-day forward returns (best Rank ICIR first):",
                  f"{args['universe']} 上 {args['start']}..{args['end']} 的因子评估，未来 {args['horizon']} 日收益"
                  "（按 RankICIR 排序）：")]
    for x in results:
        keep_en, keep_zh = _verdict(x, int(args.get("horizon") or 1))
        lines.append(pick(lang,
                          f"- {x.get('expr')}: IC {fmt_num(x.get('ic_mean'), 4)}, Rank IC {fmt_num(x.get('rank_ic_mean'), 4)}, "
                          f"Rank ICIR {fmt_num(x.get('rank_icir'))}, t {fmt_num(x.get('rank_ic_t_nw'))} (Newey-West), "
                          f"positive days {fmt_pct(x.get('positive_ratio'), False)}: {keep_en}",
                          f"- {code(x.get('expr'))}：IC {fmt_num(x.get('ic_mean'), 4)}，RankIC {fmt_num(x.get('rank_ic_mean'), 4)}，"
                          f"RankICIR {fmt_num(x.get('rank_icir'))}，t 值 {fmt_num(x.get('rank_ic_t_nw'))}（已按收益重叠调整），"
                          f"正IC天数占比 {fmt_pct(x.get('positive_ratio'), False)}：{keep_zh}"))
    if results and int(args.get("horizon") or 1) > 1:
        lines.append(pick(lang, f"The t-statistics allow for the overlap of {args['horizon']}-day forward returns "
                                "(consecutive days share most of their return); the naive t would be inflated.",
                          f"t 值已考虑 {args['horizon']} 日远期收益的重叠（相邻两天的收益大部分相同）；未经调整的 t 值会被高估。"))
    dups = _duplicates(ctx)
    if dups:
        lines.append(pick(lang, "Memory already holds similar factors: " + "; ".join(dups),
                          "记忆库中已有相似因子：" + "；".join(dups)))
    if ctx.is_synthetic(args["universe"]):
        lines.append(synthetic_note(lang, [args["universe"]]))
    return "\n".join(line for line in lines if line)


FACTOR_RECIPES = {"evaluate_factors": factor_recipe, "mine_factors": factor_recipe}
