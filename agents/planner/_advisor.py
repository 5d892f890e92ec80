"""Strategy-advisor recipes: reinforcement learning and Qlib models.

Each recipe is a pure function of the plan context: it looks at what was already called for
its step and returns the next action. Arguments come from the step's stated values (echoed
in the answer's "as you asked" line), the planner's defaults (named in "defaults I took")
and the store's catalog. Rule strategies, recall and prices live in ``_rules``.
"""

from __future__ import annotations

import math
from datetime import date
from typing import Any

from agents.planner._actions import Action, Answer, Handover
from agents.planner._common import bp, call, costs, failure_answer, missing_tool, windows_for
from agents.planner._context import PlanContext, v
from agents.planner._text import (
    SEGMENT_ZH,
    caveat_lines,
    code,
    features_label,
    fmt_num,
    fmt_pct,
    model_label,
    pick,
    synthetic_note,
)
from agents.planner._windows import Plan

__all__ = ["CUSTOM_FEATURES", "MODEL_RECIPES", "failure_answer", "model_answer", "rl_answer"]

#: Features of a "custom" Qlib model when the instruction names none: momentum, reversal,
#: volatility and volume, one each (cheap to compute, unlike Alpha158).
CUSTOM_FEATURES: tuple[str, ...] = (
    "$close / Ref($close, 20) - 1", "Ref($close, 5) / $close - 1",
    "Std($close / Ref($close, 1) - 1, 20)", "$volume / Mean($volume, 20)",
)


def _spans(plan: Plan) -> dict[str, Any]:
    out = {"train": plan.train.as_args(), "test": plan.test.as_args()}
    if plan.valid is not None:
        out["valid"] = plan.valid.as_args()
    return out


def _echo(ctx: PlanContext, name: str, value: Any, en: str, zh: str, default: Any) -> Any:
    """The stated value (echoed) or the default (named)."""
    item = getattr(ctx.step, name)
    label = {"model": model_label, "features": features_label}.get(name)
    if item is not None:
        shown = str(item.value).upper() if name == "algo" else item.value
        ctx.said.stated(en.format(shown), zh.format(label("zh", shown) if label else shown))
        return item.value
    ctx.said.add(en.format(default) + pick("en", " (not named)", ""),
                 zh.format(label("zh", default) if label else default) + "（未指定）")
    return default


# --- reinforcement learning ----------------------------------------------------------
def _rl_args(ctx: PlanContext) -> dict[str, Any] | Answer:
    d = ctx.defaults
    asset = ctx.assets[0]
    plan = windows_for(ctx, asset)
    if isinstance(plan, Answer):
        return plan
    first = ctx.step.instruments[0] if ctx.step.instruments else None
    if first is not None and first.source == "inferred" and ctx.index > 0 and ctx.spec.steps[ctx.index - 1].intent == "recall":
        ctx.said.add(f"asset {asset}, from the earlier run I recalled", f"品种 {asset}（取自调出的历史运行）")
    else:
        ctx.said.stated(f"asset {asset}", f"品种 {asset}")
    algo = str(_echo(ctx, "algo", None, "algorithm {}", "算法 {}", d.rl_algo.upper())).lower()
    timesteps = _echo(ctx, "timesteps", None, "{} training timesteps", "训练 {} 步", d.rl_timesteps)
    seed = _echo(ctx, "seed", None, "seed {}", "随机种子 {}", d.seed)
    commission, slippage = costs(ctx, 0.001, None)
    cost = commission + (slippage or 0.0)
    if slippage:
        ctx.said.stated(f"the RL environment has one cost per side: commission + slippage = {bp(cost)}",
                        f"强化学习环境每边只有一个成本：佣金 + 滑点 = {bp(cost)}")
    args: dict[str, Any] = {"asset": asset, "algo": str(algo).lower(), "timesteps": int(timesteps), "seed": int(seed),
                            "cost_pct": cost, **_spans(plan)}
    if ctx.step.cash is not None:
        args["initial_cash"] = float(ctx.step.cash.value)
        ctx.said.stated(f"starting cash {fmt_num(args['initial_cash'])}", f"初始资金 {fmt_num(args['initial_cash'])}")
    return args


def _next_action(train: dict[str, Any], ctx: PlanContext) -> dict[str, Any] | None:
    acted = ctx.last("rl_next_action")
    if acted is not None and acted.ok:
        return acted.result
    found = train.get("next_action")
    return found if isinstance(found, dict) else None


def rl_recipe(ctx: PlanContext) -> Action:
    """train_rl_agent, then (if not included) rl_next_action, then the answer."""
    args = _rl_args(ctx)
    if isinstance(args, Answer):
        return args
    trained = ctx.last("train_rl_agent")
    if trained is None:
        return call(ctx, "train_rl_agent", args) if ctx.can_call else missing_tool(ctx, "train_rl_agent")
    if not trained.ok:
        return failure_answer(ctx, trained)
    if _next_action(trained.result, ctx) is None and ctx.may("rl_next_action"):
        return call(ctx, "rl_next_action", {"run_id": trained.result.get("run_id")})
    return Answer(rl_answer(ctx, trained.result, _next_action(trained.result, ctx)))


def _metric_rows(language: str, metrics: dict[str, Any], bench: dict[str, Any]) -> list[str]:
    rows = [("Cumulative return", "累计收益", "cumulative_return", fmt_pct),
            ("Annualized return", "年化收益", "annualized_return", fmt_pct),
            ("Sharpe ratio", "夏普比率", "sharpe", fmt_num),
            ("Max drawdown", "最大回撤", "max_drawdown", fmt_pct)]
    out = []
    for en, zh, key, fmt in rows:
        out.append(pick(language, f"- {en}: {fmt(metrics.get(key))} (buy and hold {fmt(bench.get(key))})",
                        f"- {zh}：{fmt(metrics.get(key))}（买入持有 {fmt(bench.get(key))}）"))
    return out


def _sharpe_se(sharpe: float, days: Any) -> float | None:
    """Standard error of an annualised Sharpe ratio measured over ``days`` daily returns
    (Lo 2002, i.i.d. returns): sqrt((1 + S^2 / 2) / years)."""
    if not isinstance(days, int | float) or days < 20:
        return None
    return math.sqrt((1 + sharpe * sharpe / 2) / (days / 252))


def _verdict(language: str, metrics: dict[str, Any], bench: dict[str, Any]) -> str:
    """Who won on Sharpe out of sample, and whether the test is long enough to tell: a gap smaller
    than the Sharpe's standard error over the test window is called noise, not a win."""
    mine, theirs = metrics.get("sharpe"), bench.get("sharpe")
    if not isinstance(mine, int | float) or not isinstance(theirs, int | float):
        return pick(language, "The Sharpe ratios cannot be compared (one is undefined).", "夏普比率无法比较（其一无定义）。")
    se = _sharpe_se(float(mine), metrics.get("n_days"))
    exposure = metrics.get("exposure")
    held = (pick(language, f" The agent was invested {fmt_pct(exposure, False)} of the time on average.",
                 f"该策略平均仓位占账户的 {fmt_pct(exposure, False)}。")
            if isinstance(exposure, int | float) else "")
    if se is not None and abs(mine - theirs) < se:
        years = float(metrics["n_days"]) / 252
        return pick(language,
                    f"Out of sample the agent and buy and hold cannot be told apart: Sharpe {fmt_num(mine)} vs "
                    f"{fmt_num(theirs)}, while a Sharpe measured over {years:.1f} years has a standard error of about "
                    f"{fmt_num(se)}." + held,
                    f"样本外测试中，该策略与买入持有无法区分：夏普 {fmt_num(mine)} 对 {fmt_num(theirs)}，而 {years:.1f} 年"
                    f"数据测得的夏普比率标准误约为 {fmt_num(se)}。" + held)
    better = mine > theirs
    note = (pick(language, f" (standard error of the Sharpe over this window about {fmt_num(se)})",
                 f"（该区间夏普比率的标准误约为 {fmt_num(se)}）") if se is not None else "")
    return pick(language,
                f"Out of sample the agent {'beat' if better else 'did not beat'} buy and hold on a risk-adjusted "
                f"basis (Sharpe {fmt_num(mine)} vs {fmt_num(theirs)}){note}." + held,
                f"样本外测试中，该策略经风险调整后{'跑赢' if better else '没有跑赢'}买入持有"
                f"（夏普 {fmt_num(mine)} 对 {fmt_num(theirs)}）{note}。" + held)


def _fresh(language: str, act: dict[str, Any], today: date) -> list[str]:
    """How old the bar behind a suggestion is, when it is old: a replay, not a live view."""
    from tools.caveats import freshness  # loaded on use: planning a preview imports no engine

    try:
        bar = date.fromisoformat(str(act.get("date")))
    except ValueError:
        return []
    stale = freshness(bar, today)
    return [pick(language, f"Data: {stale.en}", f"数据：{stale.zh}")] if stale is not None else []


def _cadence(language: str, period: str) -> str:
    """The policy decides once a bar (daily): what that means for a weekly or monthly horizon."""
    if period == "day":
        return ""
    return pick(language,
                f"The policy acts daily: this is its position for the first day of the {period}, re-decided after every "
                f"close; it is not a {period}-long forecast.",
                f"该策略按日决策：这是{'下周' if period == 'week' else '下个月'}第一个交易日的目标仓位，此后每个收盘后重新决定，"
                f"并不是对{'整周' if period == 'week' else '整月'}的预测。")


def _suggestion(language: str, act: dict[str, Any], period: str) -> list[str]:
    period_en = {"day": "next trading day", "week": "next week", "month": "next month"}[period]
    period_zh = {"day": "下一个交易日", "week": "下周", "month": "下个月"}[period]
    direction = act.get("direction") or "n/a"
    zh_dir = {"long": "做多", "flat": "空仓", "short": "做空"}.get(direction, direction)
    unit = act.get("unit", "lots")
    zh_unit = "手" if unit == "lots" else "股"
    lines = [pick(language,
                  f"Suggestion for the {period_en} (from the bar of {act.get('date')}): {direction}, target "
                  f"{fmt_num(act.get('position'), 0)} {unit} (change {fmt_num(act.get('change'), 0)}).",
                  f"{period_zh}建议（基于 {act.get('date')} 的数据）：{zh_dir}，目标仓位 "
                  f"{fmt_num(act.get('position'), 0)} {zh_unit}（变动 {fmt_num(act.get('change'), 0)}）。")]
    if act.get("for_period"):
        lines.append(pick(language, f"When: {act['for_period']}.", f"执行方式：{_when_zh(act)}。"))
    if act.get("rationale"):
        lines.append(pick(language, f"Why: {act['rationale']}", f"理由：{_why_zh(act)}"))
    return lines


def _when_zh(act: dict[str, Any]) -> str:
    """The engine's fill convention, said in Chinese (single asset: next open; portfolio: FinRL's close)."""
    if len(act.get("legs") or []) > 1 or act.get("position") is None:
        return (f"{act.get('date')} 之后的下一个交易时段；回测按决策日收盘价成交（FinRL 的惯例），实际成交会有差异")
    return f"{act.get('date')} 之后的下一个交易日，以开盘价成交（与回测一致）；每次收盘后重新运行"


_INPUTS_ZH = (("close", "收盘价", 2), ("macd", "MACD", 3), ("rsi_30", "RSI(30)", 1), ("cci_30", "CCI(30)", 1),
              ("dx_30", "DX(30)", 1))


def _inputs_zh(symbol: str, values: dict[str, float]) -> str:
    parts = [f"{label} {values[key]:.{digits}f}" for key, label, digits in _INPUTS_ZH if key in values]
    if "boll_lb" in values and "boll_ub" in values:
        parts.append(f"布林带 {values['boll_lb']:.2f}..{values['boll_ub']:.2f}")
    for days in (30, 60):
        key = f"close_{days}_sma"
        if key in values and "close" in values and values[key]:
            parts.append(f"{days}日均线 {values[key]:.2f}（收盘价{values['close'] / values[key] - 1:+.1%}）")
    return f"{symbol}：" + "，".join(parts)


def _why_zh(act: dict[str, Any]) -> str:
    """The suggestion's grounds from the structured result: the track record, the target, the
    inputs the policy saw, and that a neural policy gives no reasons of its own."""
    ref = act.get("backtest") or {}
    train, test = ref.get("train") or {}, ref.get("test") or {}
    support = (f"{str(ref.get('algo', '')).upper()} 策略（运行编号 {code(ref.get('run_id'))}，训练 {train.get('start')}.."
               f"{train.get('end')}，测试 {test.get('start')}..{test.get('end')}：夏普 {fmt_num(ref.get('sharpe'))}，"
               f"买入持有 {fmt_num(ref.get('benchmark_sharpe'))}；收益 {fmt_pct(ref.get('cumulative_return'))}，买入持有 "
               f"{fmt_pct(ref.get('benchmark_cumulative_return'))}；最大回撤 {fmt_pct(ref.get('max_drawdown'), False)}）。")
    legs = act.get("legs") or []
    zh_dir = {"long": "做多", "flat": "空仓", "short": "做空"}
    if len(legs) == 1:
        leg = legs[0]
        unit = "手" if act.get("unit") == "lots" else "股"
        move = (f"它在最后一根K线上的动作对应目标仓位 {fmt_num(leg.get('position'), 0)} {unit}（{zh_dir.get(str(leg.get('direction')), '')}，"
                f"占账户 {fmt_pct(leg.get('target_weight'), False)}），相对其回放中持有的 {fmt_num(leg.get('current'), 0)} "
                f"变动 {fmt_num(leg.get('change'), 0)}。")
    else:
        moves = [f"{leg.get('symbol')} {fmt_num(leg.get('change'), 0)} 股 -> {fmt_num(leg.get('position'), 0)} 股"
                 for leg in legs[:8]]
        move = "它在最后一根K线上的交易：" + "；".join(moves) + ("……" if len(legs) > 8 else "") + "。"
    seen = act.get("observation") or {}
    inputs = "它看到的输入：" + "；".join(_inputs_zh(sym, vals) for sym, vals in list(seen.items())[:5]) + "。"
    caveat = "神经网络策略无法解释自己的决定：以上是它的输入和历史表现，而不是它的理由。"
    synthetic = "数据为合成数据，不代表真实市场。" if act.get("synthetic") else ""
    return support + move + inputs + caveat + synthetic


def _costs_zh(ctx: PlanContext) -> str:
    trained = ctx.last("train_rl_agent")
    rate = (trained.args if trained is not None else {}).get("cost_pct")
    if not isinstance(rate, int | float):
        return "已计入"
    return f"每边按成交额的 {bp(float(rate))} 计，所有结果和买入持有基准都已扣除"


def rl_answer(ctx: PlanContext, result: dict[str, Any], act: dict[str, Any] | None) -> str:
    """Metrics against buy and hold, the suggestion, the data's nature, the defaults taken."""
    lang = ctx.language
    asset, algo = result.get("asset", "?"), str(result.get("algo", "?")).upper()
    test, train = result.get("test") or {}, result.get("train") or {}
    lines = [pick(lang,
                  f"I trained {'an' if algo[:1] in 'AEIOU' else 'a'} {algo} reinforcement-learning agent on {asset} "
                  f"(run {result.get('run_id')}).",
                  f"我在 {asset} 上训练了一个 {algo} 强化学习策略（运行编号 {code(result.get('run_id'))}）。"),
             pick(lang,
                  f"Training window {train.get('start')}..{train.get('end')}; out-of-sample test "
                  f"{test.get('start')}..{test.get('end')}; costs: {result.get('costs', 'on')}.",
                  f"训练区间 {train.get('start')}..{train.get('end')}；样本外测试区间 "
                  f"{test.get('start')}..{test.get('end')}；交易成本：{_costs_zh(ctx)}。"),
             pick(lang, "Test results against buy and hold of the same asset:", "测试期表现（对比同一资产的买入持有）：")]
    metrics, bench = result.get("metrics") or {}, result.get("benchmark") or {}
    lines += _metric_rows(lang, metrics, bench)
    lines.append(_verdict(lang, metrics, bench))
    if ctx.step.suggest or ctx.step.horizon is not None or act is not None:
        if act is None:
            lines.append(pick(lang, "No next-period suggestion is available.", "没有得到下一期的操作建议。"))
        else:
            horizon = v(ctx.step.horizon, ctx.defaults.next_period)
            if ctx.step.horizon is None:
                ctx.said.add(f"suggestion for the {horizon} ahead", f"给出未来一{'周' if horizon == 'week' else '天' if horizon == 'day' else '个月'}的建议")
            lines += _suggestion(lang, act, horizon)
            lines.append(_cadence(lang, horizon))
            lines += _fresh(lang, act, ctx.brief.today)
    lines += caveat_lines(lang, result)
    if result.get("equity_png"):
        lines.append(pick(lang, f"Equity curve: {result['equity_png']}", f"净值曲线：{code(result['equity_png'])}"))
    if result.get("synthetic") or ctx.is_synthetic(str(asset)):
        lines.append(synthetic_note(lang, [str(asset)]))
    return "\n".join(line for line in lines if line)


# --- Qlib models ------------------------------------------------------------------------
def _model_costs(ctx: PlanContext) -> dict[str, float]:
    """Buy and sell costs of the signal backtest: a stated commission (and slippage) on both
    sides, plus the 0.1 % stamp duty of the cn market on sells (named as a default)."""
    c, s = ctx.step.costs.commission, ctx.step.costs.slippage
    if c is None and s is None:
        ctx.said.add("backtest costs 5 bp to buy, 15 bp to sell (incl. 10 bp stamp duty)",
                     "回测成本：买入 5 bp，卖出 15 bp（含 10 bp 印花税）")
        return {}
    commission, slippage = costs(ctx, 0.0005, None)
    per_side = commission + (slippage or 0.0)
    ctx.said.add("10 bp stamp duty on sells (cn market)", "卖出印花税 10 bp（A股规则）")
    return {"open_cost": per_side, "close_cost": per_side + 0.001}


def _model_args(ctx: PlanContext) -> dict[str, Any] | Answer:
    step, d = ctx.step, ctx.defaults
    universe = str(v(step.universe, d.factor_universe))
    if step.universe is not None and step.universe.source == "inferred":
        ctx.said.add(f"universe {universe} (the store's only universe)", f"股票池 {universe}（数据库中唯一的股票池）")
    elif step.universe is not None:
        ctx.said.stated(f"universe {universe}", f"股票池 {universe}")
    plan = windows_for(ctx, universe, valid=True)
    if isinstance(plan, Answer):
        return plan
    model = _echo(ctx, "model", None, "model {}", "模型 {}", d.model)
    features = _echo(ctx, "features", None, "features {}", "特征集 {}", d.features)
    topk = _backtest_topk(ctx, universe)
    args: dict[str, Any] = {"model": model, "features": features, "universe": universe, "topk": topk,
                            **_spans(plan), **_model_costs(ctx)}
    if features == "custom":
        args["expressions"] = [str(e.value) for e in ctx.step.expressions] or list(CUSTOM_FEATURES)
        if not ctx.step.expressions:
            ctx.said.add("custom features: " + "; ".join(CUSTOM_FEATURES), "自定义特征：" + "；".join(CUSTOM_FEATURES))
    if ctx.step.seed is not None:
        args["seed"] = int(ctx.step.seed.value)
        ctx.said.stated(f"seed {args['seed']}", f"随机种子 {args['seed']}")
    return args


def _selection_step(ctx: PlanContext) -> Any:
    """The order step that buys this model's picks, if the instruction has one."""
    nxt = ctx.next_step
    if nxt is not None and nxt.intent == "place_order" and (nxt.top_k is not None or nxt.top_pct is not None):
        return nxt
    return None


def _backtest_topk(ctx: PlanContext, universe: str) -> int:
    """Back-test the selection the person asked to trade (top k or top x%), so the backtest
    supports the orders that follow; the default only when no selection was given."""
    picks = _selection_step(ctx) or ctx.step
    entry = ctx.brief.entry(universe) if universe else None
    if picks.top_k is not None:
        topk = int(picks.top_k.value)
    elif picks.top_pct is not None and entry is not None and entry.members:
        topk = max(1, math.ceil(entry.members * float(picks.top_pct.value) / 100))
    else:
        topk = ctx.defaults.topk_backtest
        ctx.said.add(f"backtest holding the top {topk} names", f"回测持有排名前 {topk} 的股票")
        return topk
    ctx.said.stated(f"backtest holding the top {topk} names (the selection you asked to buy)",
                    f"回测持有排名前 {topk} 的股票（即您要买入的选股）")
    return topk


def _selection(step: Any) -> dict[str, Any]:
    if step.top_pct is not None:
        return {"top_pct": float(step.top_pct.value)}
    return {"top_k": int(step.top_k.value)}


def model_recipe(ctx: PlanContext) -> Action:
    """train_qlib_model, backtest_signal (if the training did not), hand over or answer."""
    args = _model_args(ctx)
    if isinstance(args, Answer):
        return args
    trained = ctx.last("train_qlib_model")
    if trained is None:
        return call(ctx, "train_qlib_model", args) if ctx.can_call else missing_tool(ctx, "train_qlib_model")
    if not trained.ok:
        return failure_answer(ctx, trained)
    run_id = trained.result.get("run_id")
    backtest = trained.result.get("backtest")
    if not backtest and ctx.may("backtest_signal"):  # a run trained without its backtest
        return call(ctx, "backtest_signal", {"run_id": run_id, "topk": args["topk"]})
    tested = ctx.last("backtest_signal")
    if tested is not None and tested.ok:
        backtest = tested.result
    summary = model_answer(ctx, trained.result, backtest if isinstance(backtest, dict) else None)
    picks = _selection_step(ctx)
    if picks is not None and ctx.can_call:
        payload = {"universe": args["universe"], "selection": _selection(picks),
                   "ask_approval": bool(ctx.spec.approval.value), "research": summary,
                   "signal": trained.result.get("latest_signal"), "step": ctx.index + 1}
        return Handover("trader", summary, run_id=run_id, payload=payload)
    return Answer(summary)


def model_answer(ctx: PlanContext, result: dict[str, Any], backtest: dict[str, Any] | None) -> str:
    """IC on the test window and the signal backtest with and without costs."""
    lang, m = ctx.language, result.get("metrics") or {}
    universe = result.get("universe") or v(ctx.step.universe, "")
    segments = result.get("segments") or {}
    spans = ", ".join(f"{k} {v[0]}..{v[1]}" for k, v in segments.items() if isinstance(v, list | tuple) and len(v) == 2)
    spans_zh = "，".join(f"{SEGMENT_ZH.get(k, k)} {v[0]}..{v[1]}" for k, v in segments.items()
                         if isinstance(v, list | tuple) and len(v) == 2)
    lines = [pick(lang, f"I trained a {result.get('model', '?')} model on {universe} with {result.get('features')} "
                        f"features (run {result.get('run_id')}; {spans}).",
                  f"我在 {universe} 上用 {features_label('zh', result.get('features'))} 特征训练了 "
                  f"{model_label('zh', result.get('model', '?'))} 模型（运行编号 {code(result.get('run_id'))}；{spans_zh}）。"),
             pick(lang, f"Test window: IC {fmt_num(m.get('ic'), 4)}, Rank IC {fmt_num(m.get('rank_ic'), 4)}, "
                        f"Rank ICIR {fmt_num(m.get('rank_icir'))}.",
                  f"测试期：IC {fmt_num(m.get('ic'), 4)}，RankIC {fmt_num(m.get('rank_ic'), 4)}，"
                  f"RankICIR {fmt_num(m.get('rank_icir'))}。")]
    if backtest:
        nested = backtest.get("metrics")
        b: dict[str, Any] = nested if isinstance(nested, dict) else backtest
        lines.append(pick(
            lang,
            f"Signal backtest {b.get('start')}..{b.get('end')} (top-k portfolio vs the equal-weight universe): "
            f"annualized return {fmt_pct(b.get('annualized_return_with_cost'))} after costs "
            f"({fmt_pct(b.get('annualized_return'))} before; benchmark {fmt_pct(b.get('benchmark_annualized_return'))}), "
            f"information ratio {fmt_num(b.get('information_ratio_with_cost'))} after costs, max drawdown "
            f"{fmt_pct(b.get('max_drawdown_with_cost'))}.",
            f"信号回测 {b.get('start')}..{b.get('end')}（持有得分最高的前 k 只，对比等权基准）：扣除成本后年化收益 "
            f"{fmt_pct(b.get('annualized_return_with_cost'))}（成本前 {fmt_pct(b.get('annualized_return'))}；基准 "
            f"{fmt_pct(b.get('benchmark_annualized_return'))}），扣除成本后信息比率 "
            f"{fmt_num(b.get('information_ratio_with_cost'))}，最大回撤 {fmt_pct(b.get('max_drawdown_with_cost'))}。"))
    lines += caveat_lines(lang, result)
    signal = result.get("latest_signal") or {}
    if isinstance(signal, dict) and signal.get("as_of"):
        lines += _fresh(lang, {"date": signal.get("as_of")}, ctx.brief.today)
    if result.get("synthetic") or ctx.is_synthetic(str(universe)):
        lines.append(synthetic_note(lang, [str(universe)]))
    return "\n".join(line for line in lines if line)




MODEL_RECIPES = {"train_rl": rl_recipe, "train_model": model_recipe}
