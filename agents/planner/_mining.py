"""Factor-miner recipe for mining: run the mining loop on the stated themes, answer with keep/drop.

The ``mine_factors`` tool runs the offline loop (genetic search, written acceptance rule,
held-out confirmation, Bonferroni over every candidate tried) and files what it tried in the
factor library; this recipe builds its arguments from the step (universe, themes, a stated
window split into a mining and a later confirmation period) and answers in the person's
language with a keep/drop table, the reasons, the number of candidates tried, the rule, a
budget stop when there was one, and what the library refused as duplicates.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

from agents.planner._actions import Action, Answer
from agents.planner._common import call, failure_answer, missing_tool, windows_for
from agents.planner._context import PlanContext, v
from agents.planner._text import code, fmt_num, pick, synthetic_note, theme_label

__all__ = ["mining_recipe", "wants_mining"]

#: Share of a stated window mined; the rest (the later part) is the held-out confirmation period.
MINING_SHARE = 0.6
#: Longest forward-return horizon the mining tool scores (``MineFactorsArgs.horizon``).
_MAX_HORIZON = 20
#: Rejected candidates shown in the table (the best by mining |Rank ICIR|).
SHOWN_REJECTED = 6
#: Duplicates named in the answer (those of accepted library factors come first).
SHOWN_DUPLICATES = 10
_REASONS_ZH = (("too complex", "表达式过于复杂"), ("coverage", "覆盖率不足"),
               ("mining |Rank ICIR|", "挖掘期 RankICIR 太弱"), ("mining |Newey-West t|", "挖掘期 t 值未过多重检验门槛"),
               ("confirmation Rank ICIR", "确认期方向与挖掘期相反"), ("confirmation |Rank ICIR|", "确认期强度不足"),
               ("duplicates", "与已有因子高度相关"), ("adds", "相对已有因子没有足够增量"),
               ("passes", "通过全部规则"))


def wants_mining(ctx: PlanContext) -> bool:
    """A mining request without given expressions, and the tool is bound."""
    return ctx.step.intent == "mine_factors" and not ctx.step.expressions and "mine_factors" in ctx.tools


def _args(ctx: PlanContext) -> dict[str, Any] | Answer:
    universe = v(ctx.step.universe)
    if universe is None:
        universe = ctx.defaults.factor_universe
        ctx.said.add(f"universe {universe}", f"股票池 {universe}")
    else:
        ctx.said.stated(f"universe {universe}", f"股票池 {universe}")
    args: dict[str, Any] = {"universe": str(universe)}
    if ctx.step.factor_count is not None:
        count = int(v(ctx.step.factor_count))
        ctx.said.stated(f"{count} factors", f"{count} 个因子")
    theme = v(ctx.step.theme)
    if theme is None:
        ctx.said.add("every theme (momentum, reversal, volatility, volume, liquidity)", "全部主题（动量、反转、波动、成交量、流动性）")
    else:
        args["themes"] = [str(theme)]
        ctx.said.stated(f"theme {theme}", f"主题 {theme_label('zh', theme)}")
    horizon = v(ctx.step.forward_days)
    if horizon is None:  # the tool's own default, named as one
        ctx.said.add("1-day forward returns", "未来 1 日收益")
    elif not 1 <= int(horizon) <= _MAX_HORIZON:
        return Answer(pick(ctx.language,
                           f"Factor mining scores candidates on forward returns of 1 to {_MAX_HORIZON} trading days; "
                           f"{int(horizon)} days is outside that. Please give a horizon in that range.",
                           f"因子挖掘按未来 1 到 {_MAX_HORIZON} 个交易日的收益评估候选；{int(horizon)} 天超出了这个范围，"
                           "请给一个范围内的预测期。"), halts=True)
    else:
        args["horizon"] = int(horizon)
        ctx.said.stated(f"{int(horizon)}-day forward returns", f"未来 {int(horizon)} 日收益")
    proposer = _proposer_asked(ctx.spec.text)
    if proposer is not None:
        args["proposer"] = proposer
        args["language"] = ctx.language if ctx.language in ("en", "zh") else "en"
        ctx.said.stated(f"proposer {proposer} (a language model writes hypotheses and expressions)",
                        f"候选由大模型提出（{proposer}）")
    w = ctx.step.windows
    if w.data is None and w.train is None and w.test is None:
        ctx.said.add("the tool's default periods (the last two years of data held out for confirmation)",
                     "工具默认区间（最后两年数据留作确认期）")
        return args
    # "mine on 2017-2020, confirm on 2021-2022": the stated windows as said; a confirmation alone
    # ("keep the ones whose IC holds in 2024") is kept as stated and the mining years come before it
    split = w.test is not None
    plan = windows_for(ctx, str(universe), split=split)
    if isinstance(plan, Answer):
        return plan
    if split:
        args.update(mining_start=plan.train.start.isoformat(), mining_end=plan.train.end.isoformat(),
                    confirm_start=plan.test.start.isoformat(), confirm_end=plan.test.end.isoformat())
    else:
        args.update(_split(plan.whole.start, plan.whole.end))
    return args


_LLM_CUE = re.compile(r"\b(?:llm|gpt|language model|chat model|ai model)s?\b|大模型|语言模型|大语言模型|GPT", re.IGNORECASE)
_HYBRID_CUE = re.compile(r"\b(?:hybrid|together with the genetic|and the genetic|plus the genetic)\b|混合|结合遗传|加上遗传",
                         re.IGNORECASE)


def _proposer_asked(text: str) -> str | None:
    """'llm' or 'hybrid' when the person asked a language model to propose; None otherwise (offline)."""
    if not _LLM_CUE.search(text):
        return None
    return "hybrid" if _HYBRID_CUE.search(text) else "llm"


def _split(start: date, end: date) -> dict[str, str]:
    cut = start + timedelta(days=int((end - start).days * MINING_SHARE))
    return {"mining_start": start.isoformat(), "mining_end": cut.isoformat(),
            "confirm_start": (cut + timedelta(days=1)).isoformat(), "confirm_end": end.isoformat()}


def mining_recipe(ctx: PlanContext) -> Action:
    """mine_factors, then the keep/drop table."""
    args = _args(ctx)
    if isinstance(args, Answer):
        return args
    done = ctx.last("mine_factors")
    if done is None:
        return call(ctx, "mine_factors", args) if ctx.can_call else missing_tool(ctx, "mine_factors")
    if not done.ok:
        return failure_answer(ctx, done)
    return Answer(mining_answer(ctx, done.result))


def _reason(lang: str, x: dict[str, Any]) -> str:
    reasons = x.get("reasons") or []
    first = reasons[0] if reasons else ""
    if lang != "zh":
        return first
    given = x.get("reasons_zh") or []
    if given:
        return str(given[0])
    zh = next((z for en, z in _REASONS_ZH if first.startswith(en)), "未通过规则")
    return f"{zh}（{code(first)}）" if first and not first.startswith("passes") else zh


def _row(lang: str, x: dict[str, Any]) -> str:
    kept = x.get("status") == "accepted"
    verdict = pick(lang, "keep" if kept else "drop", "保留" if kept else "舍弃")
    theme = theme_label(lang, x.get("theme"))
    return (f"| {verdict} | {code(x.get('expr'))} | {theme} | {x.get('round')} | {fmt_num(x.get('mining_rank_icir'), 3)} | "
            f"{fmt_num(x.get('mining_t'))} | {fmt_num(x.get('confirm_rank_icir'), 3)} | {_reason(lang, x)} |")


def _table(lang: str, r: dict[str, Any]) -> list[str]:
    head = pick(lang, "| verdict | expression | theme | round | mining Rank ICIR | NW t | confirmation Rank ICIR | reason |",
                "| 结论 | 表达式 | 主题 | 轮次 | 挖掘期 RankICIR | t 值 | 确认期 RankICIR | 原因 |")
    rows = [*(r.get("accepted") or []), *(r.get("rejected") or [])[:SHOWN_REJECTED]]
    return [head, "|---|---|---|---|---|---|---|---|", *(_row(lang, x) for x in rows)]


def mining_answer(ctx: PlanContext, r: dict[str, Any]) -> str:
    """Periods, the keep/drop table, the count tried and the rule, budget stop, the library."""
    lang = ctx.language
    kept, tried = len(r.get("accepted") or []), int(r.get("n_tried") or 0)
    (ms, me), (cs, ce) = r["mining_period"], r["confirmation_period"]
    lines = [pick(lang,
                  f"Factor mining on {r['universe']} (run {r['run_id']}): mined on {ms}..{me}, confirmed on the "
                  f"held-out {cs}..{ce}, {r['horizon']}-day forward returns. {tried} candidates tried, {kept} kept "
                  f"(every kept factor cleared the Bonferroni |t| >= {fmt_num(r.get('t_threshold'))} for {tried} candidates).",
                  f"在 {r['universe']} 上挖掘因子（运行 {code(r['run_id'])}）：挖掘期 {ms}..{me}，留出的确认期 {cs}..{ce}，"
                  f"未来 {r['horizon']} 日收益。共尝试 {tried} 个候选因子，保留 {kept} 个"
                  f"（保留的因子都通过了针对 {tried} 个候选的 Bonferroni 校正门槛 |t| >= {fmt_num(r.get('t_threshold'))}）。"),
             *_table(lang, r)]
    lines.extend(_count_lines(ctx, r))
    negative = [x for x in (r.get("accepted") or []) if (x.get("direction") or 0) < 0]
    if negative:
        names = ", ".join(code(x.get("expr")) for x in negative)
        momentum = any(x.get("theme") == "momentum" for x in negative)
        lines.append(pick(lang, f"Direction: {names} predict{'s' if len(negative) == 1 else ''} returns with a negative "
                                "sign (higher values, lower next returns): trade them reversed"
                                + ("; for momentum factors that means the data rewards reversal, not momentum."
                                   if momentum else "."),
                          f"方向：{names} 的 Rank IC 为负（数值越高，后续收益越低），使用时应取反"
                          + ("；对动量因子而言，这说明数据奖励的是反转而不是动量。" if momentum else "。")))
    _dropped_line(r, lang, lines)
    if r.get("budget_stop"):
        stop = str(r.get("stop_reason"))
        lines.append(pick(lang, f"Budget stop ({_STOP_EN.get(stop, stop)}): the run ended early after {r.get('rounds_done')} "
                                "rounds; the table is what it found so far.",
                          f"预算用尽（{_STOP_ZH.get(stop, stop)}）：运行在第 {r.get('rounds_done')} 轮后提前结束，上表是目前找到的结果。"))
    elif r.get("stop_reason") == "proposer_failed":
        lines.append(pick(lang, f"Stopped: the LLM proposer failed after {r.get('rounds_done')} rounds; the table is what "
                                "was found before.",
                          f"已停止：大模型提议失败，运行了 {r.get('rounds_done')} 轮；上表是此前找到的结果。"))
    lines.extend(_proposer_lines(lang, r))
    lines.extend(_library_lines(lang, r))
    rule = r.get("rule_text_zh") if lang == "zh" and r.get("rule_text_zh") else r.get("rule_text", "")
    lines.append(pick(lang, "Rule: ", "接受规则：") + str(rule))
    if r.get("synthetic") or ctx.is_synthetic(str(r["universe"])):
        lines.append(synthetic_note(lang, [str(r["universe"])]))
    text = "\n".join(line for line in lines if line)
    # A Chinese writer keeps the statistics' own names; they are set as terms, not prose.
    return _TERMS.sub(lambda m: f"`{m.group(0)}`", text) if lang == "zh" else text


def _count_lines(ctx: PlanContext, r: dict[str, Any]) -> list[str]:
    """"Mine 3 factors": the count asked for, beside what the rules kept - never made up by loosening them."""
    asked = v(ctx.step.factor_count)
    if asked is None:
        return []
    asked, accepted = int(asked), list(r.get("accepted") or [])
    lang = ctx.language
    if len(accepted) < asked:
        return [pick(lang, f"You asked for {asked} factors: {len(accepted)} passed every rule. The rules are not loosened "
                           "to make up the number; widen the themes, the candidates or the periods to search further.",
                     f"您要 {asked} 个因子：通过全部规则的只有 {len(accepted)} 个。不会为了凑数放宽规则；"
                     "可以放宽主题、增加候选数或换区间再挖。")]
    if len(accepted) > asked:
        best = sorted(accepted, key=lambda x: -abs(float(x.get("confirm_rank_icir") or 0.0)))[:asked]
        names = ", ".join(code(x.get("expr")) for x in best)
        return [pick(lang, f"You asked for {asked}: the {asked} strongest by held-out |Rank ICIR| are {names}; the other "
                           f"{len(accepted) - asked} also passed every rule.",
                     f"您要 {asked} 个：按确认期 |Rank ICIR| 最强的 {asked} 个是 {names}；其余 {len(accepted) - asked} 个也通过了全部规则。")]
    return []


_STOP_EN = {"candidate_budget": "the candidate budget", "time_budget": "the wall-time budget",
            "token_budget": "the LLM token budget", "cost_budget": "the LLM money budget"}
_STOP_ZH = {"candidate_budget": "候选数量预算", "time_budget": "时间预算", "token_budget": "大模型 token 预算",
            "cost_budget": "大模型费用预算"}
_TERMS = re.compile(r"(?<!`)\b(?:Rank ICIR|Rank IC|Newey-West|Bonferroni)\b(?![^`\n]*`)")


def _proposer_lines(lang: str, r: dict[str, Any]) -> list[str]:
    """Who proposed, what the model cost, its hypotheses, and what went wrong with its replies."""
    proposer = str(r.get("proposer") or "offline")
    if proposer == "offline":
        return [pick(lang, "Proposer: the offline genetic search (no LLM).", "候选由离线遗传搜索生成（未使用大模型）。")]
    cost = r.get("llm_cost_usd")
    money = pick(lang, "cost unknown", "费用未知") if cost is None else f"${float(cost):.4f}"
    lines = [pick(lang, f"Proposer: {proposer}: {r.get('llm_calls', 0)} LLM calls, {r.get('llm_tokens', 0)} tokens, {money}.",
                  f"候选由 {code(proposer)} 提出：调用大模型 {r.get('llm_calls', 0)} 次，{r.get('llm_tokens', 0)} 个 token，{money}。")]
    ideas = [x for x in (r.get("accepted") or []) if x.get("hypothesis")]
    for x in ideas[:SHOWN_REJECTED]:
        lines.append(pick(lang, f"Hypothesis behind {code(x.get('expr'))}: {x.get('hypothesis')}",
                          f"{code(x.get('expr'))} 的假设：{x.get('hypothesis')}"))
    notes = r.get("proposer_notes") or []
    if notes:
        lines.append(pick(lang, "Proposer notes: ", "大模型提议的问题：") + "; ".join(str(n) for n in notes[:3]))
    return lines


def _library_lines(lang: str, r: dict[str, Any]) -> list[str]:
    if not r.get("memory"):
        return [pick(lang, "No factor library (memory) is configured: nothing was filed.",
                     "未配置因子库（记忆）：结果没有存档。")]
    dups = (r.get("duplicates_zh") or r.get("duplicates") or []) if lang == "zh" else (r.get("duplicates") or [])
    lines = [pick(lang, f"Factor library: {r.get('written', 0)} factors filed (kept and dropped, with their metrics); "
                        f"{r.get('library_used', 0)} earlier accepted factors were the known set.",
                  f"因子库：存入 {r.get('written', 0)} 个因子（保留和舍弃的都有，含指标）；"
                  f"以库中 {r.get('library_used', 0)} 个已接受因子作为已知因子。")]
    if dups:
        lines.append(pick(lang, f"{len(dups)} duplicates of library factors were refused: " + "; ".join(dups[:SHOWN_DUPLICATES]),
                          f"拒绝存入 {len(dups)} 个与因子库重复的因子：" + "；".join(dups[:SHOWN_DUPLICATES])))
    return lines


def _dropped_line(r: dict[str, Any], lang: str, lines: list[str]) -> None:
    """How many were dropped, and - where that is more than were scored and not kept - how many never reached
    scoring (an expression that does not parse or evaluate, or one already known), so the counts add up."""
    n_rejected = int(r.get("n_rejected") or 0)
    if n_rejected <= SHOWN_REJECTED:
        return
    unscored = n_rejected - (int(r.get("n_tried") or 0) - len(r.get("accepted") or []))
    if unscored > 0:
        lines.append(pick(lang, f"({n_rejected} dropped in all, {unscored} of them before scoring (invalid or already "
                                f"known); the {SHOWN_REJECTED} strongest are shown.)",
                          f"（共舍弃 {n_rejected} 个，其中 {unscored} 个未进入评分（无效或已知）；仅列出最强的 {SHOWN_REJECTED} 个。）"))
        return
    lines.append(pick(lang, f"({n_rejected} dropped in all; the {SHOWN_REJECTED} strongest are shown.)",
                      f"（共舍弃 {n_rejected} 个，仅列出最强的 {SHOWN_REJECTED} 个。）"))
