"""Strategy-advisor recipes: RL, Qlib models, rule strategies, recall, prices.

Each recipe is a pure function of the plan context: it looks at what was already called
and returns the next action. Arguments are built from the instruction's slots, the
planner's defaults (each one stated in the answer) and the store's catalog.
"""

from __future__ import annotations

import math
from typing import Any

from agents.planner._actions import Action, Answer, CallTools, Handover, ToolCall
from agents.planner._context import PlanContext
from agents.planner._observe import Observation
from agents.planner._text import fmt_num, fmt_pct, pick, synthetic_note
from agents.planner._windows import Span, Windows, place, split

__all__ = ["ADVISOR_RECIPES", "CUSTOM_FEATURES", "failure_answer"]

#: Features of a "custom" Qlib model when the instruction names none: momentum, reversal,
#: volatility and volume, one each (cheap to compute, unlike Alpha158).
CUSTOM_FEATURES: tuple[str, ...] = (
    "$close / Ref($close, 20) - 1", "Ref($close, 5) / $close - 1",
    "Std($close / Ref($close, 1) - 1, 20)", "$volume / Mean($volume, 20)",
)


def _call(name: str, args: dict[str, Any]) -> CallTools:
    return CallTools((ToolCall(name, args),))


def failure_answer(ctx: PlanContext, obs: Observation) -> Answer:
    """Report a failed tool honestly: which tool, the error, and that nothing followed."""
    kind, message = obs.error.get("type", "Error"), obs.error.get("message", "")
    return Answer(pick(ctx.language,
                       f"I could not finish: {obs.name} failed ({kind}): {message}. Nothing after it was run.",
                       f"未能完成：{obs.name} 调用失败（{kind}）：{message}。之后的步骤没有执行。"))


def _missing_tool(ctx: PlanContext, name: str) -> Answer:
    return Answer(pick(ctx.language,
                       f"I cannot do this here: the tool {name} is not available in this installation.",
                       f"无法完成：当前安装中没有可用的工具 {name}。"))


def _window(ctx: PlanContext, name: str) -> Span | Answer:
    span = place(ctx.brief, name, ctx.parsed.slots.period, ctx.defaults.years)
    if span is None:
        return Answer(pick(ctx.language,
                           f"The store holds no data for {name} in that window (`taorui data list` shows the store).",
                           f"数据库中没有 {name} 在该时间段的数据（可用 `taorui data list` 查看）。"))
    if ctx.parsed.slots.period is None:
        ctx.said.add(f"the last {ctx.defaults.years} years of the store ({span.label()})",
                     f"数据库中最近{ctx.defaults.years}年（{span.label()}）")
    return span


def _spans(w: Windows) -> dict[str, Any]:
    out = {"train": w.train.as_args(), "test": w.test.as_args()}
    if w.valid is not None:
        out["valid"] = w.valid.as_args()
    return out


# --- reinforcement learning ----------------------------------------------------------
def _rl_args(ctx: PlanContext) -> dict[str, Any] | Answer:
    slots, d = ctx.parsed.slots, ctx.defaults
    asset = slots.assets[0]
    span = _window(ctx, asset)
    if isinstance(span, Answer):
        return span
    windows = split(span, d.test_months)
    if not slots.algo:
        ctx.said.add(f"algorithm {d.rl_algo.upper()} (none was named)", f"算法 {d.rl_algo.upper()}（未指定）")
    if not slots.timesteps:
        ctx.said.add(f"{d.rl_timesteps} training timesteps", f"训练 {d.rl_timesteps} 步")
    ctx.said.add(f"train {windows.train.label()}, test (out of sample) {windows.test.label()}",
                 f"训练区间 {windows.train.label()}，样本外测试区间 {windows.test.label()}")
    return {"asset": asset, "algo": slots.algo or d.rl_algo,
            "timesteps": slots.timesteps or d.rl_timesteps, "seed": slots.seed if slots.seed is not None else d.seed,
            **_spans(windows)}


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
        return _call("train_rl_agent", args) if ctx.can_call else _missing_tool(ctx, "train_rl_agent")
    if not trained.ok:
        return failure_answer(ctx, trained)
    if _next_action(trained.result, ctx) is None and ctx.may("rl_next_action"):
        return _call("rl_next_action", {"run_id": trained.result.get("run_id")})
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


def _verdict(language: str, metrics: dict[str, Any], bench: dict[str, Any]) -> str:
    mine, theirs = metrics.get("sharpe"), bench.get("sharpe")
    if not isinstance(mine, int | float) or not isinstance(theirs, int | float):
        return pick(language, "The Sharpe ratios cannot be compared (one is undefined).", "夏普比率无法比较（其一无定义）。")
    if round(mine, 2) == round(theirs, 2):
        return pick(language, f"Out of sample the agent and buy and hold had the same Sharpe ratio ({fmt_num(mine)}).",
                    f"样本外测试中，该策略与买入持有的夏普比率相同（{fmt_num(mine)}）。")
    better = mine > theirs
    return pick(language,
                f"Out of sample the agent {'beat' if better else 'did not beat'} buy and hold on a risk-adjusted "
                f"basis (Sharpe {fmt_num(mine)} vs {fmt_num(theirs)}).",
                f"样本外测试中，该策略经风险调整后{'跑赢' if better else '没有跑赢'}买入持有"
                f"（夏普 {fmt_num(mine)} 对 {fmt_num(theirs)}）。")


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
        lines.append(pick(language, f"When: {act['for_period']}.", f"执行方式：{act['for_period']}。"))
    if act.get("rationale"):
        lines.append(pick(language, f"Why: {act['rationale']}", f"理由：{act['rationale']}"))
    return lines


def rl_answer(ctx: PlanContext, result: dict[str, Any], act: dict[str, Any] | None) -> str:
    """Metrics against buy and hold, the suggestion, the data's nature, the defaults taken."""
    lang = ctx.language
    asset, algo = result.get("asset", "?"), str(result.get("algo", "?")).upper()
    test, train = result.get("test") or {}, result.get("train") or {}
    lines = [pick(lang,
                  f"I trained a {algo} reinforcement-learning agent on {asset} (run {result.get('run_id')}).",
                  f"我在 {asset} 上训练了一个 {algo} 强化学习策略（运行编号 {result.get('run_id')}）。"),
             pick(lang,
                  f"Training window {train.get('start')}..{train.get('end')}; out-of-sample test "
                  f"{test.get('start')}..{test.get('end')}; costs: {result.get('costs', 'on')}.",
                  f"训练区间 {train.get('start')}..{train.get('end')}；样本外测试区间 "
                  f"{test.get('start')}..{test.get('end')}；交易成本：{result.get('costs', '已计入')}。"),
             pick(lang, "Test results against buy and hold of the same asset:", "测试期表现（对比同一资产的买入持有）：")]
    metrics, bench = result.get("metrics") or {}, result.get("benchmark") or {}
    lines += _metric_rows(lang, metrics, bench)
    lines.append(_verdict(lang, metrics, bench))
    if ctx.parsed.slots.next_period or act is not None:
        if act is None:
            lines.append(pick(lang, "No next-period suggestion is available.", "没有得到下一期的操作建议。"))
        else:
            lines += _suggestion(lang, act, ctx.parsed.slots.next_period or ctx.defaults.next_period)
    if result.get("equity_png"):
        lines.append(pick(lang, f"Equity curve: {result['equity_png']}", f"净值曲线：{result['equity_png']}"))
    if result.get("synthetic") or ctx.is_synthetic(str(asset)):
        lines.append(synthetic_note(lang, [str(asset)]))
    lines.append(ctx.said.render(lang))
    return "\n".join(line for line in lines if line)


# --- Qlib models ------------------------------------------------------------------------
def _model_args(ctx: PlanContext) -> dict[str, Any] | Answer:
    slots, d = ctx.parsed.slots, ctx.defaults
    universe = slots.universe or ""
    span = _window(ctx, universe)
    if isinstance(span, Answer):
        return span
    windows = split(span, d.test_months, d.valid_months)
    features = slots.features or d.features
    if not slots.model:
        ctx.said.add(f"model {d.model} (none was named)", f"模型 {d.model}（未指定）")
    if not slots.features:
        ctx.said.add(f"features {d.features}", f"特征集 {d.features}")
    ctx.said.add(f"train {windows.train.label()}, valid {windows.valid.label() if windows.valid else '-'}, "
                 f"test {windows.test.label()}",
                 f"训练 {windows.train.label()}，验证 {windows.valid.label() if windows.valid else '-'}，"
                 f"测试 {windows.test.label()}")
    topk = _backtest_topk(ctx, universe)
    ctx.said.add(f"backtest holding the top {topk} names", f"回测持有排名前 {topk} 的股票")
    args: dict[str, Any] = {"model": slots.model or d.model, "features": features, "universe": universe,
                            "topk": topk, **_spans(windows)}
    if features == "custom":
        args["expressions"] = list(slots.expressions or CUSTOM_FEATURES)
        if not slots.expressions:
            ctx.said.add("custom features: " + "; ".join(CUSTOM_FEATURES), "自定义特征：" + "；".join(CUSTOM_FEATURES))
    return args


def _backtest_topk(ctx: PlanContext, universe: str) -> int:
    """Back-test the selection the person asked to trade (top k or top x%), so the backtest
    supports the orders that follow; the default only when no selection was given."""
    slots, default = ctx.parsed.slots, ctx.defaults.topk_backtest
    if slots.top_k is not None:
        return int(slots.top_k)
    entry = ctx.brief.entry(universe) if universe else None
    if slots.top_pct is not None and entry is not None and entry.members:
        return max(1, math.ceil(entry.members * float(slots.top_pct) / 100))
    return default


def _wants_trade(ctx: PlanContext) -> bool:
    slots = ctx.parsed.slots
    return slots.side == "buy" and (slots.top_pct is not None or slots.top_k is not None)


def _selection(ctx: PlanContext) -> dict[str, Any]:
    slots = ctx.parsed.slots
    if slots.top_pct is not None:
        return {"top_pct": slots.top_pct}
    return {"top_k": slots.top_k}


def model_recipe(ctx: PlanContext) -> Action:
    """train_qlib_model, backtest_signal (if the training did not), hand over or answer."""
    args = _model_args(ctx)
    if isinstance(args, Answer):
        return args
    trained = ctx.last("train_qlib_model")
    if trained is None:
        return _call("train_qlib_model", args) if ctx.can_call else _missing_tool(ctx, "train_qlib_model")
    if not trained.ok:
        return failure_answer(ctx, trained)
    run_id = trained.result.get("run_id")
    backtest = trained.result.get("backtest")
    if not backtest and ctx.may("backtest_signal"):  # a run trained without its backtest
        return _call("backtest_signal", {"run_id": run_id, "topk": ctx.defaults.topk_backtest})
    tested = ctx.last("backtest_signal")
    if tested is not None and tested.ok:
        backtest = tested.result
    summary = model_answer(ctx, trained.result, backtest if isinstance(backtest, dict) else None)
    if _wants_trade(ctx) and ctx.can_call:
        payload = {"universe": args["universe"], "selection": _selection(ctx),
                   "ask_approval": ctx.parsed.slots.ask_approval, "research": summary,
                   "signal": trained.result.get("latest_signal")}
        return Handover("trader", summary, run_id=run_id, payload=payload)
    return Answer(summary)


def model_answer(ctx: PlanContext, result: dict[str, Any], backtest: dict[str, Any] | None) -> str:
    """IC on the test window and the signal backtest with and without costs."""
    lang, m = ctx.language, result.get("metrics") or {}
    universe = result.get("universe") or ctx.parsed.slots.universe
    segments = result.get("segments") or {}
    spans = ", ".join(f"{k} {v[0]}..{v[1]}" for k, v in segments.items() if isinstance(v, list | tuple) and len(v) == 2)
    lines = [pick(lang, f"I trained a {result.get('model', '?')} model on {universe} with {result.get('features')} "
                        f"features (run {result.get('run_id')}; {spans}).",
                  f"我在 {universe} 上用 {result.get('features')} 特征训练了 {result.get('model', '?')} 模型"
                  f"（运行编号 {result.get('run_id')}；{spans}）。"),
             pick(lang, f"Test window: IC {fmt_num(m.get('ic'), 4)}, Rank IC {fmt_num(m.get('rank_ic'), 4)}, "
                        f"Rank ICIR {fmt_num(m.get('rank_icir'))}.",
                  f"测试期：IC {fmt_num(m.get('ic'), 4)}，Rank IC {fmt_num(m.get('rank_ic'), 4)}，"
                  f"Rank ICIR {fmt_num(m.get('rank_icir'))}。")]
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
            f"信号回测 {b.get('start')}..{b.get('end')}（Top-k 组合，对比等权基准）：扣除成本后年化收益 "
            f"{fmt_pct(b.get('annualized_return_with_cost'))}（成本前 {fmt_pct(b.get('annualized_return'))}；基准 "
            f"{fmt_pct(b.get('benchmark_annualized_return'))}），扣除成本后信息比率 "
            f"{fmt_num(b.get('information_ratio_with_cost'))}，最大回撤 {fmt_pct(b.get('max_drawdown_with_cost'))}。"))
    if result.get("synthetic") or ctx.is_synthetic(str(universe)):
        lines.append(synthetic_note(lang, [str(universe)]))
    lines.append(ctx.said.render(lang))
    return "\n".join(line for line in lines if line)


# --- rule strategies ----------------------------------------------------------------------
def _strategy_spec(ctx: PlanContext, name: str) -> dict[str, Any] | None:
    listed = ctx.last("list_strategies")
    if listed is None or not listed.ok:
        return None
    return next((s for s in listed.result.get("strategies", []) if s.get("name") == name), None)


def _map_params(ctx: PlanContext, spec: dict[str, Any] | None) -> dict[str, float | int]:
    """The instruction's fast/slow/period values under the strategy's own parameter names."""
    given = ctx.parsed.slots.params
    if not spec or not given:
        return {k: int(v) if float(v).is_integer() else v for k, v in given.items()}
    names = list((spec.get("params") or {}).keys())
    out: dict[str, float | int] = {}
    if "entry" in names and {"fast", "slow"} <= set(given):  # channel lengths: long entry, short exit
        given = {"entry": given["slow"], "exit": given["fast"]}
    for generic, value in given.items():
        match = next((n for n in names if n == generic or n.startswith(generic) or generic in n), None)
        if match is None and generic == "period":
            match = next((n for n in names if any(w in n for w in ("period", "window", "length", "lookback"))), None)
        if match is not None:
            kind = (spec["params"][match] or {}).get("type", "int")
            out[match] = int(value) if kind == "int" else value
    return out


def _strategy_args(ctx: PlanContext) -> dict[str, Any] | Answer:
    slots = ctx.parsed.slots
    span = _window(ctx, slots.assets[0])
    if isinstance(span, Answer):
        return span
    spec = _strategy_spec(ctx, slots.strategy or "")
    params = _map_params(ctx, spec)
    if not params:
        ctx.said.add("the strategy's default parameters", "策略的默认参数")
    return {"strategy": slots.strategy, "symbols": list(slots.assets), "params": params,
            "start": span.start.isoformat(), "end": span.end.isoformat()}


def backtest_recipe(ctx: PlanContext) -> Action:
    """list_strategies (for parameter names), backtest_strategy, answer."""
    if ctx.may("list_strategies") and ctx.parsed.slots.params:
        return _call("list_strategies", {})
    args = _strategy_args(ctx)
    if isinstance(args, Answer):
        return args
    done = ctx.last("backtest_strategy")
    if done is None:
        return _call("backtest_strategy", args) if ctx.can_call else _missing_tool(ctx, "backtest_strategy")
    if not done.ok:
        return failure_answer(ctx, done)
    return Answer(backtest_answer(ctx, done.result))


def backtest_answer(ctx: PlanContext, r: dict[str, Any]) -> str:
    """One backtest's headline numbers."""
    lang, slots, m = ctx.language, ctx.parsed.slots, r.get("metrics") or {}
    symbols = ", ".join(r.get("symbols") or slots.assets)
    window = f"{r.get('first_day')}..{r.get('last_day')}"
    lines = [pick(lang, f"Backtest of {r.get('strategy')} {r.get('params') or ''} on {symbols}, {window} (run {r.get('run_id')}):",
                  f"{symbols} 上 {r.get('strategy')} {r.get('params') or ''} 策略回测，{window}（运行编号 {r.get('run_id')}）："),
             pick(lang, f"- total return {fmt_pct(m.get('total_return'))}, annualized {fmt_pct(m.get('annualized_return'))}, "
                        f"Sharpe {fmt_num(m.get('sharpe'))}, max drawdown {fmt_pct(m.get('max_drawdown'), False)}, "
                        f"{m.get('n_trades', 'n/a')} trades, final value {fmt_num(m.get('final_value'))}, "
                        f"commission paid {fmt_num(m.get('commission_paid'))}.",
                  f"- 总收益 {fmt_pct(m.get('total_return'))}，年化 {fmt_pct(m.get('annualized_return'))}，夏普 "
                  f"{fmt_num(m.get('sharpe'))}，最大回撤 {fmt_pct(m.get('max_drawdown'), False)}，交易 {m.get('n_trades', 'n/a')} 次，"
                  f"期末市值 {fmt_num(m.get('final_value'))}，佣金 {fmt_num(m.get('commission_paid'))}。")]
    if r.get("fill_rule"):
        lines.append(pick(lang, f"Fills: {r['fill_rule']}", f"成交规则：{r['fill_rule']}"))
    if r.get("equity_png"):
        lines.append(pick(lang, f"Equity curve: {r['equity_png']}", f"净值曲线：{r['equity_png']}"))
    synthetic = list(r.get("synthetic_symbols") or []) or [s for s in slots.assets if ctx.is_synthetic(s)]
    if synthetic:
        lines.append(synthetic_note(lang, synthetic))
    lines.append(ctx.said.render(lang))
    return "\n".join(line for line in lines if line)


def _grid(spec: dict[str, Any] | None) -> dict[str, list[float | int]]:
    """Three values per numeric parameter across its allowed range."""
    grid: dict[str, list[float | int]] = {}
    for name, p in ((spec or {}).get("params") or {}).items():
        lo, hi, kind = p.get("min"), p.get("max"), p.get("type")
        default = p.get("default")
        if kind not in ("int", "float") or not isinstance(default, int | float):
            continue
        lo = lo if isinstance(lo, int | float) else default / 2
        hi = hi if isinstance(hi, int | float) else default * 2
        values = sorted({default, (lo + default) / 2, (default + hi) / 2} if math.isfinite(hi) else {default})
        grid[name] = [int(round(v)) if kind == "int" else round(v, 4) for v in values]
    return grid


def optimize_recipe(ctx: PlanContext) -> Action:
    """list_strategies, then optimize_strategy with an out-of-sample tail, then the answer."""
    if ctx.may("list_strategies"):
        return _call("list_strategies", {})
    span = _window(ctx, ctx.parsed.slots.assets[0])
    if isinstance(span, Answer):
        return span
    windows = split(span, ctx.defaults.test_months)
    done = ctx.last("optimize_strategy")
    if done is None:
        spec = _strategy_spec(ctx, ctx.parsed.slots.strategy or "")
        ctx.said.add(f"in-sample {windows.train.label()}, out-of-sample {windows.test.label()}",
                     f"样本内 {windows.train.label()}，样本外 {windows.test.label()}")
        args = {"strategy": ctx.parsed.slots.strategy, "symbols": list(ctx.parsed.slots.assets),
                "grid": _grid(spec), "start": windows.train.start.isoformat(), "end": windows.train.end.isoformat(),
                "oos_start": windows.test.start.isoformat(), "oos_end": windows.test.end.isoformat()}
        return _call("optimize_strategy", args) if ctx.can_call else _missing_tool(ctx, "optimize_strategy")
    if not done.ok:
        return failure_answer(ctx, done)
    return Answer(optimize_answer(ctx, done.result))


def optimize_answer(ctx: PlanContext, r: dict[str, Any]) -> str:
    """The best parameter sets in sample, and what they did out of sample."""
    lang = ctx.language
    ins_w, oos_w = r.get("in_sample") or ("?", "?"), r.get("out_of_sample") or ("?", "?")
    lines = [pick(lang, f"Parameter search for {r.get('strategy')} (run {r.get('run_id')}): {r.get('n_combos')} "
                        f"combinations ranked by {r.get('metric')} in sample {ins_w[0]}..{ins_w[1]}, tested out of "
                        f"sample {oos_w[0]}..{oos_w[1]}:",
                  f"{r.get('strategy')} 参数搜索（运行编号 {r.get('run_id')}）：共 {r.get('n_combos')} 组参数，按样本内 "
                  f"{ins_w[0]}..{ins_w[1]} 的 {r.get('metric')} 排序，样本外 {oos_w[0]}..{oos_w[1]} 检验：")]
    for row in (r.get("top") or [])[:3]:
        ins, oos = row.get("in_sample") or {}, row.get("out_of_sample") or {}
        lines.append(pick(lang, f"- #{row.get('rank')} {row.get('params')}: in sample Sharpe {fmt_num(ins.get('sharpe'))}, "
                                f"return {fmt_pct(ins.get('total_return'))}; out of sample Sharpe {fmt_num(oos.get('sharpe'))}, "
                                f"return {fmt_pct(oos.get('total_return'))}",
                          f"- 第{row.get('rank')}名 {row.get('params')}：样本内夏普 {fmt_num(ins.get('sharpe'))}，收益 "
                          f"{fmt_pct(ins.get('total_return'))}；样本外夏普 {fmt_num(oos.get('sharpe'))}，收益 "
                          f"{fmt_pct(oos.get('total_return'))}"))
    lines.append(pick(lang, "Judge the parameters by the out-of-sample numbers: the in-sample ones are the search's own best case.",
                      "请以样本外结果评判参数：样本内结果是搜索自己挑出的最好情形。"))
    synthetic = list(r.get("synthetic_symbols") or [])
    if synthetic:
        lines.append(synthetic_note(lang, synthetic))
    lines.append(ctx.said.render(lang))
    return "\n".join(line for line in lines if line)


def list_recipe(ctx: PlanContext) -> Action:
    """list_strategies, then the list."""
    done = ctx.last("list_strategies")
    if done is None:
        return _call("list_strategies", {}) if ctx.can_call else _missing_tool(ctx, "list_strategies")
    if not done.ok:
        return failure_answer(ctx, done)
    lines = [pick(ctx.language, "Strategies I can backtest:", "可以回测的策略：")]
    for s in done.result.get("strategies", []):
        lines.append(f"- {s.get('name')}: {s.get('description', '')} ({', '.join((s.get('params') or {}).keys())})")
    return Answer("\n".join(lines))


# --- memory and prices ----------------------------------------------------------------------
def recall_recipe(ctx: PlanContext) -> Action:
    """search_memory with the instruction, then what was found (or that nothing was)."""
    done = ctx.last("search_memory")
    if done is None:
        if not ctx.can_call or "search_memory" not in ctx.tools:
            return _missing_tool(ctx, "search_memory")
        return _call("search_memory", {"query": ctx.parsed.text, "limit": 5})
    if not done.ok:
        return failure_answer(ctx, done)
    hits = done.result.get("results") or []
    if not hits:
        return Answer(pick(ctx.language, "Memory holds nothing that matches this question yet.",
                           "记忆库中还没有与这个问题相关的记录。"))
    lines = [pick(ctx.language, "From memory (best match first):", "记忆库中的相关记录（按相关度排序）：")]
    for hit in hits[:5]:
        meta = hit.get("metadata") or {}
        numbers = ", ".join(f"{k}={fmt_num(v, 4)}" for k, v in meta.items()
                            if isinstance(v, int | float) and not isinstance(v, bool))
        lines.append(f"- [{hit.get('kind')}] {hit.get('text', '')[:200]}" + (f" ({numbers})" if numbers else ""))
    return Answer("\n".join(lines))


def price_recipe(ctx: PlanContext) -> Action:
    """get_price over the window, then first/last close and the change."""
    asset = ctx.parsed.slots.assets[0]
    done = ctx.last("get_price")
    if done is None:
        span = _window(ctx, asset)
        if isinstance(span, Answer):
            return span
        args = {"symbols": [asset], "start": span.start.isoformat(), "end": span.end.isoformat()}
        return _call("get_price", args) if ctx.can_call else _missing_tool(ctx, "get_price")
    if not done.ok:
        return failure_answer(ctx, done)
    return Answer(price_answer(ctx, asset, done.result))


def price_answer(ctx: PlanContext, asset: str, r: dict[str, Any]) -> str:
    """A short description of the price series the tool returned."""
    rows = r.get("rows") or r.get("bars") or []
    closes = [row.get("close") for row in rows if isinstance(row, dict) and row.get("close") is not None]
    lang = ctx.language
    if not closes:
        return pick(lang, f"No prices came back for {asset}.", f"没有取到 {asset} 的价格。")
    change = closes[-1] / closes[0] - 1 if closes[0] else float("nan")
    text = pick(lang, f"{asset}: {len(closes)} bars from {rows[0].get('date')} to {rows[-1].get('date')}, close "
                      f"{fmt_num(closes[0])} -> {fmt_num(closes[-1])} ({fmt_pct(change)}).",
                f"{asset}：{rows[0].get('date')} 至 {rows[-1].get('date')} 共 {len(closes)} 根K线，收盘价 "
                f"{fmt_num(closes[0])} -> {fmt_num(closes[-1])}（{fmt_pct(change)}）。")
    if ctx.is_synthetic(asset):
        text += "\n" + synthetic_note(lang, [asset])
    return text


ADVISOR_RECIPES = {
    "train_rl": rl_recipe,
    "train_model": model_recipe,
    "backtest_strategy": backtest_recipe,
    "optimize_strategy": optimize_recipe,
    "list_strategies": list_recipe,
    "recall": recall_recipe,
    "show_price": price_recipe,
}
