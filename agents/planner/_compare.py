"""Comparing the steps before a ``compare`` step, and the trading cycle (model -> orders).

A comparison reads each earlier step's result (the RL agent's out-of-sample metrics, a
backtest's, a model's signal backtest) and puts them side by side with the winner by Sharpe
ratio - and says when the windows differ, because then the numbers are not comparable.
"""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

from agents.planner._actions import Action, Answer, Handover
from agents.planner._advisor import model_recipe
from agents.planner._context import PlanContext, v
from agents.planner._text import fmt_num, fmt_pct, model_label, params_text, pick, strategy_label
from agents.spec import Sourced, Window, Windows

__all__ = ["compare_recipe", "cycle_recipe"]

_RESULT_TOOLS = ("train_rl_agent", "backtest_strategy", "train_qlib_model", "optimize_strategy")


def _recalled_row(ctx: PlanContext, index: int) -> dict[str, Any] | None:
    """The run a recall step found ("is our last TD3 better than the PPO one from before?"): its
    remembered metrics, labelled as recalled; None when memory holds no run of what was named."""
    from agents.planner._rules import matching_hits, named_of

    obs = next((o for o in reversed(ctx.everything) if o.step == index and o.name == "search_memory" and o.ok), None)
    if obs is None:
        return None
    hits = [h for h in matching_hits(ctx.spec.steps[index], list(obs.result.get("results") or []))
            if h.get("kind") != "factors"]
    if not hits:
        return None
    meta = hits[0].get("metadata") or {}
    what = str(meta.get("cfg_algo") or meta.get("cfg_model") or meta.get("cfg_strategy") or meta.get("run_kind") or "run")
    run_id = str(meta.get("run_id") or hits[0].get("id") or "").removeprefix("run:")
    asset = named_of(ctx.spec.steps[index])[1] or ""
    start = meta.get("cfg_test_start") or meta.get("cfg_oos_start") or meta.get("cfg_start")
    end = meta.get("cfg_test_end") or meta.get("cfg_oos_end") or meta.get("cfg_end")
    total = meta.get("cumulative_return", meta.get("total_return"))
    mdd = meta.get("max_drawdown")
    return {"label": f"{what.upper() if meta.get('cfg_algo') else what}{' on ' + asset if asset else ''} (recalled, {run_id})",
            "label_zh": f"{asset + ' 上的 ' if asset else ''}{what.upper() if meta.get('cfg_algo') else what}（历史运行 {run_id}）",
            "window": f"{start}..{end}" if start and end else pick(ctx.language, "window not recorded", "区间未记录"), "total": total, "sharpe": meta.get("sharpe"),
            "mdd": -abs(mdd) if isinstance(mdd, int | float) else None}


def _row(ctx: PlanContext, index: int) -> dict[str, Any] | None:
    """Label, window and headline metrics of step ``index``'s result."""
    if ctx.spec.steps[index].intent == "recall":
        return _recalled_row(ctx, index)
    obs = next((o for o in reversed(ctx.everything) if o.step == index and o.name in _RESULT_TOOLS and o.ok), None)
    if obs is None:
        return None
    r = obs.result
    if obs.name == "train_rl_agent":
        m, test = r.get("metrics") or {}, r.get("test") or {}
        return {"label": f"{str(r.get('algo', '?')).upper()} on {r.get('asset')}", "seed": r.get("seed", obs.args.get("seed")),
                "run_id": r.get("run_id"),
                "label_zh": f"{r.get('asset')} 上的 {str(r.get('algo', '?')).upper()}", "window": f"{test.get('start')}..{test.get('end')}",
                "total": m.get("cumulative_return"), "sharpe": m.get("sharpe"), "mdd": m.get("max_drawdown")}
    if obs.name == "backtest_strategy":
        m = r.get("metrics") or {}
        return {"label": f"{r.get('strategy')} on {', '.join(r.get('symbols') or [])}", "params": r.get("params"),
                "label_zh": f"{', '.join(r.get('symbols') or [])} 上的{strategy_label('zh', r.get('strategy'))}",
                "window": f"{r.get('first_day')}..{r.get('last_day')}", "total": m.get("total_return"),
                "sharpe": m.get("sharpe"), "mdd": -abs(m["max_drawdown"]) if isinstance(m.get("max_drawdown"), int | float) else None}
    if obs.name == "train_qlib_model":
        raw: dict[str, Any] = r.get("backtest") or {}
        b: dict[str, Any] = raw["metrics"] if isinstance(raw.get("metrics"), dict) else raw
        return {"label": f"{r.get('model')} on {r.get('universe')}",
                "label_zh": f"{r.get('universe')} 上的{model_label('zh', r.get('model'))}", "window": f"{b.get('start')}..{b.get('end')}",
                "total": b.get("annualized_return_with_cost"), "sharpe": None, "ir": b.get("information_ratio_with_cost"),
                "mdd": b.get("max_drawdown_with_cost")}
    top = (r.get("top") or [{}])[0]
    oos = top.get("out_of_sample") or {}
    window = r.get("out_of_sample") or ("?", "?")
    return {"label": f"{r.get('strategy')} {top.get('params')}",
            "label_zh": f"{strategy_label('zh', r.get('strategy'))}（{params_text('zh', top.get('params'))}）",
            "window": f"{window[0]}..{window[1]}",
            "total": oos.get("total_return"), "sharpe": oos.get("sharpe"), "mdd": oos.get("max_drawdown")}


def _factor_rows(ctx: PlanContext) -> list[dict[str, Any]]:
    """Each factor evaluated by the steps before (an expression on a window): what the evaluations give to compare."""
    rows = []
    for i in range(ctx.index):
        obs = next((o for o in reversed(ctx.everything) if o.step == i and o.name == "evaluate_factors" and o.ok), None)
        if obs is None:
            continue
        r = obs.result
        for f in r.get("results") or []:
            rows.append({"expr": f.get("expr"), "window": f"{r.get('start')}..{r.get('end')}", "horizon": f.get("horizon"),
                         "rank_ic": f.get("rank_ic_mean"), "rank_icir": f.get("rank_icir"), "t": f.get("rank_ic_t_nw")})
    for i in range(ctx.index):  # "挖完再评估 X，跟挖出来的比一比": the factors the mining kept, on its mining period
        obs = next((o for o in reversed(ctx.everything) if o.step == i and o.name == "mine_factors" and o.ok), None)
        if obs is None:
            continue
        r = obs.result
        period = r.get("mining_period") or ("?", "?")
        for f in r.get("accepted") or []:
            rows.append({"expr": f.get("expr"), "window": f"{period[0]}..{period[1]}", "horizon": r.get("horizon"),
                         "rank_ic": None, "rank_icir": f.get("mining_rank_icir"), "t": f.get("mining_t"), "mined": True})
    return rows


def _factor_comparison(rows: list[dict[str, Any]], lang: str) -> Answer:
    """Factor evaluations side by side ("the first half of 2019 against the second"): Rank IC, Rank ICIR and the
    Newey-West t of each, the strongest by |Rank ICIR|, and whether the sign held."""
    lines = [pick(lang, "Comparison of the factor evaluations:", "因子评估对比：")]
    for r in rows:
        if r.get("mined"):
            lines.append(pick(lang, f"- `{r['expr']}` (mined, kept), mining period {r['window']}, {r['horizon']}-day forward "
                                    f"returns: Rank ICIR {fmt_num(r['rank_icir'])}, Newey-West t {fmt_num(r['t'])}",
                              f"- `{r['expr']}`（挖掘保留），挖掘期 {r['window']}，未来 {r['horizon']} 日收益：Rank ICIR "
                              f"{fmt_num(r['rank_icir'])}，Newey-West t 值 {fmt_num(r['t'])}"))
            continue
        lines.append(pick(lang, f"- `{r['expr']}`, {r['window']}, {r['horizon']}-day forward returns: Rank IC "
                                f"{fmt_num(r['rank_ic'], 4)}, Rank ICIR {fmt_num(r['rank_icir'])}, Newey-West t {fmt_num(r['t'])}",
                          f"- `{r['expr']}`，{r['window']}，未来 {r['horizon']} 日收益：Rank IC {fmt_num(r['rank_ic'], 4)}，"
                          f"Rank ICIR {fmt_num(r['rank_icir'])}，Newey-West t 值 {fmt_num(r['t'])}"))
    scored = [r for r in rows if isinstance(r["rank_icir"], int | float) and math.isfinite(r["rank_icir"])]
    if scored:
        best = max(scored, key=lambda r: abs(r["rank_icir"]))
        lines.append(pick(lang, f"Strongest: `{best['expr']}` on {best['window']} (|Rank ICIR| {fmt_num(abs(best['rank_icir']))}).",
                          f"最强：`{best['expr']}`，{best['window']}（|Rank ICIR| {fmt_num(abs(best['rank_icir']))}）。"))
        signs = {r["rank_icir"] > 0 for r in scored if r["rank_icir"] != 0}
        if len(signs) > 1:
            lines.append(pick(lang, "The sign of the Rank IC changes between them: the factor did not hold its direction.",
                              "各次评估的 Rank IC 符号不同：该因子的方向没有保持。"))
        if len({r["window"] for r in scored}) > 1:
            lines.append(pick(lang, "Caution: the windows differ, so the numbers are not strictly comparable.",
                              "注意：区间不同，这些数字不能严格比较。"))
        weak = [r for r in scored if not (isinstance(r["t"], int | float) and abs(r["t"]) >= 2)]
        if weak:
            lines.append(pick(lang, f"{len(weak)} of {len(scored)} are indistinguishable from noise (Newey-West |t| < 2).",
                              f"{len(scored)} 次中有 {len(weak)} 次与噪声无法区分（Newey-West |t| < 2）。"))
    return Answer("\n".join(lines))


def compare_recipe(ctx: PlanContext) -> Action:
    """Side by side: the earlier steps' results, the best by Sharpe, and whether they are comparable."""
    rows = [r for r in (_row(ctx, i) for i in range(ctx.index)) if r is not None]
    lang = ctx.language
    factors = _factor_rows(ctx)
    if len(rows) < 2 and len(factors) >= 2:
        return _factor_comparison(factors, lang)
    mined = [o for o in ctx.everything if o.step < ctx.index and o.name == "mine_factors" and o.ok]
    if len(rows) < 2 and mined and not any(o.result.get("accepted") for o in mined):
        return Answer(pick(lang, "The mining kept no factor, so there is nothing to set beside the others; the numbers of "
                                 "each are above.", "挖掘没有保留任何因子，因此没有可以与之对比的对象；各自的数字见上文。"))
    if len(rows) < 2:
        return Answer(pick(lang, "There are not two finished results to compare.", "没有两个已完成的结果可供比较。"))
    lines = [pick(lang, "Comparison (out of sample where there was a split):", "对比（有样本外划分的取样本外结果）：")]
    rows = _told_apart(rows, lang)
    for r in rows:
        if r.get("ir") is not None or r["sharpe"] is None and "ir" in r:  # a model's portfolio: IR vs its universe
            lines.append(pick(lang, f"- {r['label']}, {r['window']}: annualized return after costs {fmt_pct(r['total'])}, "
                                    f"information ratio {fmt_num(r.get('ir'))} (against the equal-weight universe, "
                                    f"not a Sharpe ratio), max drawdown {fmt_pct(r['mdd'])}",
                              f"- {r['label_zh']}，{r['window']}：扣除成本后年化收益 {fmt_pct(r['total'])}，信息比率 "
                              f"{fmt_num(r.get('ir'))}（相对等权基准，不是夏普比率），最大回撤 {fmt_pct(r['mdd'])}"))
            continue
        lines.append(pick(lang, f"- {r['label']}, {r['window']}: return {fmt_pct(r['total'])}, Sharpe {fmt_num(r['sharpe'])}, "
                                f"max drawdown {fmt_pct(r['mdd'])}",
                          f"- {r['label_zh']}，{r['window']}：收益 {fmt_pct(r['total'])}，夏普 {fmt_num(r['sharpe'])}，"
                          f"最大回撤 {fmt_pct(r['mdd'])}"))
    scored = [r for r in rows if isinstance(r["sharpe"], int | float) and math.isfinite(r["sharpe"])]
    flat = [r for r in rows if r not in scored and "ir" not in r and isinstance(r["total"], int | float)
            and abs(r["total"]) < 1e-9]
    for r in flat:  # no Sharpe because nothing was held: never read as the worst (nor skipped in silence)
        losers = [x for x in scored if isinstance(x["total"], int | float) and x["total"] < 0]
        tail_en = (f"; staying out beat {', '.join(x['label'] for x in losers)}" if losers else "")
        tail_zh = (f"；空仓好过{'、'.join(x['label_zh'] for x in losers)}" if losers else "")
        lines.append(pick(lang, f"{r['label']} never held a position in this window (0.0%, in cash throughout), so it "
                                f"has no Sharpe ratio{tail_en}.",
                          f"{r['label_zh']}在此区间从未持仓（收益 0.0%，全程现金），因此没有夏普比率{tail_zh}。"))
    if scored:
        best = max(scored, key=lambda r: r["sharpe"])
        among = bool(flat)
        lines.append(pick(lang, f"Best risk-adjusted{' among the runs that traded' if among else ''}: {best['label']} "
                                f"(Sharpe {fmt_num(best['sharpe'])}).",
                          f"{'有交易的运行中' if among else ''}风险调整后最好：{best['label_zh']}（夏普 {fmt_num(best['sharpe'])}）。"))
    if _windows_differ([str(r["window"]) for r in rows]):
        lines.append(pick(lang, "Caution: the results cover different windows, so they are not strictly comparable.",
                          "注意：这些结果的区间不同，不能严格比较。"))
    return Answer("\n".join(lines))


def _told_apart(rows: list[dict[str, Any]], lang: str) -> list[dict[str, Any]]:
    """Rows whose labels and windows are the same ("双均线 5/20 vs 10/60 on the Nasdaq", two seeds) carry what
    sets them apart - the parameters, the seed - so the person can tell which one won."""
    seen: dict[tuple[str, str], int] = {}
    for r in rows:
        seen[(r["label"], r["window"])] = seen.get((r["label"], r["window"]), 0) + 1
    out = []
    for r in rows:
        if seen[(r["label"], r["window"])] < 2:
            out.append(r)
            continue
        if r.get("params"):
            extra_en, extra_zh = f" ({params_text('en', r['params'])})", f"（{params_text('zh', r['params'])}）"
        elif r.get("seed") is not None:
            extra_en, extra_zh = f" (seed {r['seed']})", f"（种子 {r['seed']}）"
        elif r.get("run_id"):
            extra_en, extra_zh = f" (run `{r['run_id']}`)", f"（运行编号 `{r['run_id']}`）"
        else:
            extra_en = extra_zh = ""
        out.append({**r, "label": r["label"] + extra_en, "label_zh": r["label_zh"] + extra_zh})
    return out


def _before(window: Window) -> Window:
    """The five years before a replay window: a model for the replay learns only from them."""
    end = window.start - timedelta(days=1)
    return Window(start=date(end.year - 5, end.month, min(end.day, 28)), end=end)


def cycle_recipe(ctx: PlanContext) -> Action:
    """The trading cycle: a factor the person named, or a model trained for it, scores the
    universe; the trader runs the cycle (``run_trading_cycle``) for today or the stated window.

    The selection is the step's own (top k / top %), else the default top 5 % (named); the
    orders go through the gate, and through the person when they asked. A model for a replay
    is trained on the five years before the window (said), never on the window itself.
    """
    step = ctx.step
    window = step.windows.data.value if step.windows.data is not None else None
    selection = {"top_k": int(v(step.top_k))} if step.top_k is not None else {"top_pct": float(v(step.top_pct, 5.0))}
    if step.top_k is None and step.top_pct is None:
        ctx.said.add("hold the top 5% of the universe by score", "持有得分排名前 5% 的股票")
    payload: dict[str, Any] = {"universe": str(v(step.universe, ctx.defaults.factor_universe)), "selection": selection,
                               "ask_approval": bool(ctx.spec.approval.value), "step": ctx.index, "cycle": True}
    if window is not None:
        payload["window"] = [window.start.isoformat(), window.end.isoformat()]
    if step.expressions:
        payload["expression"] = str(step.expressions[0].value)
        note = pick(ctx.language, f"run the cycle ranking {payload['universe']} by {payload['expression']}",
                    f"按因子 {payload['expression']} 对 {payload['universe']} 排名，运行交易周期")
        return Handover("trader", note, payload=payload)
    model_ctx = ctx
    if window is not None:  # train on what came before the replay: the replay stays out of sample
        before = _before(window)
        trained_step = step.model_copy(update={"windows": Windows(data=Sourced[Window](value=before, source="inferred"))})
        steps = list(ctx.spec.steps)
        steps[ctx.index] = trained_step
        model_ctx = replace(ctx, spec=ctx.spec.model_copy(update={"steps": tuple(steps)}))
        ctx.said.add(f"the model learns from {before.label()}, before the replay",
                     f"模型只用回放之前的 {before.label()} 训练")
    action = model_recipe(model_ctx)
    if not isinstance(action, Answer) or not ctx.can_call:
        return action
    trained = ctx.last("train_qlib_model")
    payload.update({"research": action.text, "signal": (trained.result if trained else {}).get("latest_signal")})
    return Handover("trader", action.text, run_id=(trained.result if trained else {}).get("run_id"), payload=payload)


def _windows_differ(windows: list[str]) -> bool:
    """Whether the runs cover different spans: a span asked from 2005-01-01 and one that starts on the data's first
    bar, 2005-01-03, are the same window (a few days apart at either end, as a weekend or a holiday makes them)."""
    from datetime import date

    spans = []
    for w in windows:
        try:
            a, b = w.split("..")
            spans.append((date.fromisoformat(a.strip()[:10]), date.fromisoformat(b.strip()[:10])))
        except ValueError:
            return len(set(windows)) > 1
    return any(abs((s[0] - spans[0][0]).days) > 5 or abs((s[1] - spans[0][1]).days) > 5 for s in spans[1:])
