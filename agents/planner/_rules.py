"""Strategy-advisor recipes for rule strategies (backtests, parameter searches), the list of
strategies, recall of earlier runs and prices. Stated parameters, grids, windows and costs
are used as stated and echoed; everything else is a named default."""

from __future__ import annotations

import json
import re
from typing import Any

from agents.planner._actions import Action, Answer
from agents.planner._common import call, costs, failure_answer, missing_tool, windows_for
from agents.planner._context import PlanContext, v
from agents.planner._text import (
    STRATEGY_DESC_ZH,
    caveat_lines,
    code,
    fmt_num,
    fmt_pct,
    metric_label,
    param_label,
    params_text,
    pick,
    strategy_label,
    synthetic_note,
)
from agents.planner._windows import Plan, Span

__all__ = ["RULE_RECIPES", "backtest_answer", "optimize_answer"]


# --- rule strategies ----------------------------------------------------------------------
def _strategy_spec(ctx: PlanContext, name: str) -> dict[str, Any] | None:
    listed = ctx.last("list_strategies")
    if listed is None or not listed.ok:
        return None
    return next((s for s in listed.result.get("strategies", []) if s.get("name") == name), None)


def _map_params(ctx: PlanContext, spec: dict[str, Any] | None) -> dict[str, float | int]:
    """The instruction's fast/slow/period values under the strategy's own parameter names."""
    given = {k: float(p.value) for k, p in ctx.step.params.items()}
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
        if match is None and generic == "period" and "entry" in names:
            match = "entry"  # "a 20-day Donchian breakout": the channel that must be broken to enter
        if match is not None:
            kind = (spec["params"][match] or {}).get("type", "integer")
            out[match] = int(value) if kind in ("int", "integer") else value
        else:
            ctx.said.ignored(f"{generic}={value:g} ({spec.get('name')} has no such parameter; it has "
                             f"{', '.join(names) or 'none'})",
                             f"{generic}={value:g}（{spec.get('name')} 没有这个参数，它的参数是 {', '.join(names) or '无'}）")
    return out


def _backtest_span(ctx: PlanContext, plan: Plan) -> Span:
    """A backtest runs on the whole stated window (or the stated test window alone)."""
    w = ctx.step.windows
    if w.data is None and w.train is None and w.test is not None:
        return plan.test
    return plan.whole


def _bt_costs(ctx: PlanContext) -> dict[str, float]:
    commission, slippage = costs(ctx, 0.001, 0.0005)
    return {"commission": commission, "slippage": slippage if slippage is not None else 0.0005}


def _cash(ctx: PlanContext) -> dict[str, float]:
    if ctx.step.cash is None:
        return {}
    cash = float(ctx.step.cash.value)
    ctx.said.stated(f"starting cash {fmt_num(cash)}", f"初始资金 {fmt_num(cash)}")
    return {"cash": cash}


def _strategy_args(ctx: PlanContext) -> dict[str, Any] | Answer:
    plan = windows_for(ctx, ctx.assets[0], split=False)
    if isinstance(plan, Answer):
        return plan
    span = _backtest_span(ctx, plan)
    name = str(v(ctx.step.strategy, ""))
    params = _map_params(ctx, _strategy_spec(ctx, name))
    ctx.said.stated(f"strategy {name} on {', '.join(ctx.assets)}",
                    f"策略 {strategy_label('zh', name)}，品种 {', '.join(ctx.assets)}")
    if params:
        ctx.said.stated(f"parameters {_fmt_params(params)}", f"参数 {params_text('zh', params)}")
    else:
        ctx.said.add("the strategy's default parameters", "策略的默认参数")
    return {"strategy": name, "symbols": list(ctx.assets), "params": params,
            "start": span.start.isoformat(), "end": span.end.isoformat(), **_bt_costs(ctx), **_cash(ctx)}


def _fmt_params(params: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v:g}" if isinstance(v, int | float) else f"{k}={v}" for k, v in params.items())


def backtest_recipe(ctx: PlanContext) -> Action:
    """list_strategies (for parameter names), backtest_strategy, answer; a signal strategy (a factor
    backtested as a signal) is ``_factor_backtest``'s."""
    if v(ctx.step.strategy) == "signal":
        from agents.planner._factor_backtest import factor_backtest_recipe

        return factor_backtest_recipe(ctx)
    if ctx.may("list_strategies") and ctx.step.params:
        return call(ctx, "list_strategies", {})
    args = _strategy_args(ctx)
    if isinstance(args, Answer):
        return args
    done = ctx.last("backtest_strategy")
    if done is None:
        return call(ctx, "backtest_strategy", args) if ctx.can_call else missing_tool(ctx, "backtest_strategy")
    if not done.ok:
        return failure_answer(ctx, done)
    return Answer(backtest_answer(ctx, done.result))


def backtest_answer(ctx: PlanContext, r: dict[str, Any]) -> str:
    """One backtest's headline numbers."""
    lang, m = ctx.language, r.get("metrics") or {}
    symbols = ", ".join(r.get("symbols") or ctx.assets)
    window = f"{r.get('first_day')}..{r.get('last_day')}"
    params = _fmt_params(r.get("params") or {})
    params_zh = params_text("zh", r.get("params") or {})
    lines = [pick(lang, f"Backtest of {r.get('strategy')} ({params or 'default parameters'}) on {symbols}, {window} "
                        f"(run {r.get('run_id')}):",
                  f"{symbols} 上{strategy_label('zh', r.get('strategy'))}策略回测（{params_zh or '默认参数'}），{window}"
                  f"（运行编号 {code(r.get('run_id'))}）："),
             pick(lang, f"- total return {fmt_pct(m.get('total_return'))}, annualized {fmt_pct(m.get('annualized_return'))}, "
                        f"Sharpe {fmt_num(m.get('sharpe'))}, max drawdown {fmt_pct(m.get('max_drawdown'), False)}, "
                        f"{m.get('n_trades', 'n/a')} trade{'' if m.get('n_trades') == 1 else 's'}, "
                        f"final value {fmt_num(m.get('final_value'))}, "
                        f"commission paid {fmt_num(m.get('commission_paid'))}.",
                  f"- 总收益 {fmt_pct(m.get('total_return'))}，年化 {fmt_pct(m.get('annualized_return'))}，夏普 "
                  f"{fmt_num(m.get('sharpe'))}，最大回撤 {fmt_pct(m.get('max_drawdown'), False)}，交易 {m.get('n_trades', 'n/a')} 次，"
                  f"期末市值 {fmt_num(m.get('final_value'))}，佣金 {fmt_num(m.get('commission_paid'))}。")]
    lines += against_benchmark(lang, r)
    if r.get("fill_rule"):
        lines.append(pick(lang, f"Fills: {r['fill_rule']}", f"成交规则：{FILL_RULE_ZH}"))
    if r.get("equity_png"):
        lines.append(pick(lang, f"Equity curve: {r['equity_png']}", f"净值曲线：{code(r['equity_png'])}"))
    synthetic = list(r.get("synthetic_symbols") or []) or [s for s in ctx.assets if ctx.is_synthetic(s)]
    if synthetic:
        lines.append(synthetic_note(lang, synthetic))
    return "\n".join(line for line in lines if line)


#: The backtest engine's fill rule (taorui_engines.backtest.FILL_RULE), for a Chinese answer.
FILL_RULE_ZH = ("第 t 根K线收盘产生信号，第 t+1 根K线开盘以市价成交（Backtrader，不提前成交），滑点按不利方向计入"
                "（不超过该K线最高/最低价）；佣金按成交额比例收取；开盘时现金不足以支付的订单取消，不顺延")


def against_benchmark(lang: str, r: dict[str, Any]) -> list[str]:
    """Buy and hold of the same symbols beside the result, the excess and its t, then the caveats the
    run computed: the numbers that decide how to read the headline."""
    b, rel = r.get("benchmark") or {}, r.get("relative") or {}
    lines = []
    if b and r.get("strategy") != "buy_and_hold":
        lines.append(pick(
            lang,
            f"- buy and hold of the same, same window and costs: total {fmt_pct(b.get('total_return'))}, Sharpe "
            f"{fmt_num(b.get('sharpe'))}, max drawdown {fmt_pct(b.get('max_drawdown'), False)}; excess "
            f"{fmt_pct(rel.get('excess_total_return'))} (information ratio {fmt_num(rel.get('information_ratio'))}, "
            f"t {fmt_num(rel.get('excess_t'))}, Newey-West).",
            f"- 同一标的买入持有（同区间、同成本）：总收益 {fmt_pct(b.get('total_return'))}，夏普 {fmt_num(b.get('sharpe'))}，"
            f"最大回撤 {fmt_pct(b.get('max_drawdown'), False)}；超额收益 {fmt_pct(rel.get('excess_total_return'))}"
            f"（信息比率 {fmt_num(rel.get('information_ratio'))}，t 值 {fmt_num(rel.get('excess_t'))}，自相关稳健标准误）。"))
    return lines + caveat_lines(lang, r)


def _grid(ctx: PlanContext, spec: dict[str, Any] | None) -> dict[str, list[float | int]]:
    """Stated values as stated; parameters to tune (or all, when none is named) get five values
    across their allowed range around the default (named as a default)."""
    params = (spec or {}).get("params") or {}
    grid: dict[str, list[float | int]] = {}
    for name, values in ctx.step.grid.items():
        target = _param_name(name, list(params))
        if target is None:
            ctx.said.ignored(f"grid for {name} (no such parameter)", f"{param_label('zh', name)} 的搜索范围（没有这个参数）")
            continue
        grid[target] = [int(x) if float(x).is_integer() else x for x in values.value]
        if values.source == "stated":
            ctx.said.stated(f"{target} in {grid[target]}", f"{param_label('zh', target)} 取 {grid[target]}")
        else:  # a range was stated ("between 5 and 20"); the points inside it are ours
            ctx.said.add(f"{target} in {grid[target]} (spread over the range you gave: {values.said})",
                         f"{param_label('zh', target)} 取 {grid[target]}（在你给的范围“{values.said}”内均匀取点）")
    wanted = [t for t in (_param_name(n, list(params)) for n in ctx.step.tune) if t is not None] or (
        [] if grid else list(params))
    for name in wanted:
        if name in grid or name not in params:
            continue
        auto = _auto_values(params[name])
        if auto:
            grid[name] = auto
            ctx.said.add(f"{name} in {auto}", f"{param_label('zh', name)} 取 {auto}")
    for name, value in ctx.step.params.items():  # a fixed value for a parameter not searched
        target = _param_name(name, list(params))
        if target is not None and target not in grid:
            grid[target] = [int(value.value) if float(value.value).is_integer() else value.value]
            ctx.said.stated(f"{target} fixed at {value.value:g}", f"{param_label('zh', target)} 固定为 {value.value:g}")
    return grid


def _param_name(generic: str, names: list[str]) -> str | None:
    match = next((n for n in names if n == generic or n.startswith(generic) or generic in n), None)
    if match is None and generic in ("period", "window", "lookback"):
        match = next((n for n in names if any(w in n for w in ("period", "window", "length", "lookback", "entry"))),
                     None)
    return match


def _auto_values(p: dict[str, Any]) -> list[float | int]:
    lo, hi, kind, default = p.get("min"), p.get("max"), p.get("type"), p.get("default")
    if kind not in ("int", "integer", "float", "number") or not isinstance(default, int | float):
        return []
    lo = lo if isinstance(lo, int | float) else default / 2
    hi = hi if isinstance(hi, int | float) else default * 2
    values = sorted({max(lo, default / 2), max(lo, default * 0.75), default, min(hi, default * 1.5),
                     min(hi, default * 2)})
    return list(dict.fromkeys(int(round(x)) if kind in ("int", "integer") else round(x, 4) for x in values))


def optimize_recipe(ctx: PlanContext) -> Action:
    """list_strategies, then optimize_strategy in sample with the stated (or default)
    out-of-sample window, then the answer."""
    if ctx.may("list_strategies"):
        return call(ctx, "list_strategies", {})
    plan = windows_for(ctx, ctx.assets[0])
    if isinstance(plan, Answer):
        return plan
    done = ctx.last("optimize_strategy")
    # what was said is named on every pass, the answer's included ("at 2bp" had been left out of "as you asked")
    name = str(v(ctx.step.strategy, ""))
    ctx.said.stated(f"strategy {name} on {', '.join(ctx.assets)}",
                    f"策略 {strategy_label('zh', name)}，品种 {', '.join(ctx.assets)}")
    bt_costs, cash = _bt_costs(ctx), _cash(ctx)
    grid = _grid(ctx, _strategy_spec(ctx, name))
    if done is None:
        if not grid:
            return Answer(pick(ctx.language, f"{name} has no numeric parameter to search; nothing was run.",
                               f"{strategy_label('zh', name)} 没有可搜索的数值参数；未执行。"))
        args = {"strategy": name, "symbols": list(ctx.assets), "grid": grid,
                "start": plan.train.start.isoformat(), "end": plan.train.end.isoformat(),
                "oos_start": plan.test.start.isoformat(), "oos_end": plan.test.end.isoformat(),
                **bt_costs, **cash}
        return call(ctx, "optimize_strategy", args) if ctx.can_call else missing_tool(ctx, "optimize_strategy")
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
                  f"{strategy_label('zh', r.get('strategy'))}参数搜索（运行编号 {code(r.get('run_id'))}）：共 "
                  f"{r.get('n_combos')} 组参数，按样本内 {ins_w[0]}..{ins_w[1]} 的{metric_label('zh', r.get('metric'))}排序，"
                  f"样本外 {oos_w[0]}..{oos_w[1]} 检验：")]
    if r.get("screened"):
        only = int(r.get("n_screened_only") or 0)
        ran = int(r.get("n_combos") or 0) - int(r.get("n_invalid") or 0) - only
        lines.append(pick(lang, f"(A vectorised screen ordered every combination; the best {ran} "
                                f"ran on Backtrader, and only Backtrader's numbers are ranked and shown; {only} were judged "
                                "by the screen alone.)",
                          f"（先用向量化筛选给全部组合排序，再把最好的 {ran} 组交给 Backtrader 逐笔回测，"
                          f"排名和下列数字都只来自 Backtrader；另有 {only} 组只经过筛选。）"))
    for row in (r.get("top") or [])[:3]:
        ins, oos = row.get("in_sample") or {}, row.get("out_of_sample") or {}
        lines.append(pick(lang, f"- #{row.get('rank')} {row.get('params')}: in sample Sharpe {fmt_num(ins.get('sharpe'))}, "
                                f"return {fmt_pct(ins.get('total_return'))}; out of sample Sharpe {fmt_num(oos.get('sharpe'))}, "
                                f"return {fmt_pct(oos.get('total_return'))}",
                          f"- 第{row.get('rank')}名 {params_text('zh', row.get('params'))}：样本内夏普 {fmt_num(ins.get('sharpe'))}，收益 "
                          f"{fmt_pct(ins.get('total_return'))}；样本外夏普 {fmt_num(oos.get('sharpe'))}，收益 "
                          f"{fmt_pct(oos.get('total_return'))}"))
    bench = r.get("benchmark_out_of_sample") or {}
    if bench:
        lines.append(pick(lang, f"- buy and hold over the same out-of-sample window and costs: Sharpe "
                                f"{fmt_num(bench.get('sharpe'))}, return {fmt_pct(bench.get('total_return'))}",
                          f"- 同一样本外区间、同样成本的买入持有：夏普 {fmt_num(bench.get('sharpe'))}，收益 "
                          f"{fmt_pct(bench.get('total_return'))}"))
    said = caveat_lines(lang, r)
    lines += said
    if not said:
        lines.append(pick(lang, "Judge the parameters by the out-of-sample numbers: the in-sample ones are the search's "
                                "own best case.", "请以样本外结果评判参数：样本内结果是搜索自己挑出的最好情形。"))
    synthetic = list(r.get("synthetic_symbols") or [])
    if synthetic:
        lines.append(synthetic_note(lang, synthetic))
    return "\n".join(line for line in lines if line)


def list_recipe(ctx: PlanContext) -> Action:
    """list_strategies, then the list."""
    done = ctx.last("list_strategies")
    if done is None:
        return call(ctx, "list_strategies", {}) if ctx.can_call else missing_tool(ctx, "list_strategies")
    if not done.ok:
        return failure_answer(ctx, done)
    lines = [pick(ctx.language, "Strategies I can backtest:", "可以回测的策略：")]
    for s in done.result.get("strategies", []):
        names = list((s.get("params") or {}).keys())
        if ctx.language == "zh":
            lines.append(f"- {strategy_label('zh', s.get('name'))}：{STRATEGY_DESC_ZH.get(str(s.get('name')), '')}"
                         f"（参数：{'、'.join(param_label('zh', n) for n in names) or '无'}）")
        else:
            lines.append(f"- {s.get('name')}: {s.get('description', '')} ({', '.join(names)})")
    return Answer("\n".join(lines))


# --- memory and prices ----------------------------------------------------------------------
_REF_KINDS = {"rl": "runs", "model": "runs", "backtest": "runs", "factor": "factors"}
#: Numbers a recalled record is shown with (the first found; all of them would bury what decides).
_KEY_METRICS = ("sharpe", "annualized_return", "cumulative_return", "max_drawdown", "excess_return",
                "relative_excess_t", "rank_ic", "rank_icir", "confirm_rank_icir", "n_accepted", "n_tried", "ic", "icir")
#: The engines' run kinds each kind of referred run may be (a filter on the runs collection):
#: "the gold model we trained" is as often an RL policy as a Qlib model.
_RUN_KINDS = {"rl": ("rl",), "model": ("qlib_model", "rl"), "backtest": ("backtest", "bt_optimize", "signal_backtest")}


def _recall_args(ctx: PlanContext) -> dict[str, Any]:
    ref = v(ctx.step.ref)
    words = [ctx.spec.text]
    if ref is not None and ref.asset:
        words.append(ref.asset)
    args: dict[str, Any] = {"query": " ".join(words)[:500], "limit": 5}
    if ref is not None and ref.kind in _REF_KINDS:
        args["kind"] = _REF_KINDS[ref.kind]
    if ref is not None and ref.kind in _RUN_KINDS:  # "the gold model", "刚才那个 (TD3)": only runs of that kind
        kinds = _RUN_KINDS[ref.kind]
        args["where"] = f"run_kind={kinds[0]}" if len(kinds) == 1 else \
            "(" + " or ".join(f"run_kind={k}" for k in kinds) + ")"
    return args


def recalled_hits(ref: Any, hits: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The hits in the order the person meant: newest first for "the last one / 刚才 / same as before"."""
    if ref is not None and getattr(ref, "when", None) == "last":
        return sorted(hits, key=lambda h: float((h.get("metadata") or {}).get("ts") or 0.0), reverse=True)
    return hits


#: Run kinds as a person says them.
_RUN_KIND_TEXT = {
    "rl": ("RL training", "强化学习训练"), "rl_eval": ("RL evaluation", "强化学习评估"),
    "qlib_model": ("model training", "模型训练"), "backtest": ("backtest", "回测"),
    "bt_optimize": ("parameter search", "参数搜索"), "signal_backtest": ("signal backtest", "信号回测"),
    "factor_mine": ("factor mining", "因子挖掘"), "factor_eval": ("factor evaluation", "因子评估"),
    "instruction": ("instruction", "指令"),
}
_RATIO_METRICS = {"cumulative_return", "annualized_return", "max_drawdown", "excess_return", "total_return"}
_RECALL_METRIC_ZH = {"cumulative_return": "累计收益", "annualized_return": "年化收益", "max_drawdown": "最大回撤",
                     "excess_return": "超额收益", "relative_excess_t": "超额收益 t 值", "sharpe": "夏普比率",
                     "rank_ic": "Rank IC", "rank_icir": "Rank ICIR", "confirm_rank_icir": "确认期 Rank ICIR",
                     "n_accepted": "采纳数", "n_tried": "尝试数", "ic": "IC", "icir": "ICIR"}
_RECALL_METRIC_EN = {"relative_excess_t": "excess-return t", "confirm_rank_icir": "confirmation rank ICIR",
                     "n_accepted": "accepted", "n_tried": "tried"}


def _record_of(meta: dict[str, Any]) -> dict[str, Any]:
    """The full record a hit's metadata carries as JSON (empty when absent or unreadable)."""
    raw = meta.get("record")
    if not isinstance(raw, str):
        return {}
    try:
        parsed = json.loads(raw)
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def recalled_line(language: str, hit: dict[str, Any]) -> str:
    """One remembered record, built from its typed fields in the reader's language.

    The record's own text is English prose written when it was indexed; quoting it would put
    English sentences into a Chinese answer. Only the person's own words (the instruction
    that started the run, a factor's expression) are quoted as they were.
    """
    meta = hit.get("metadata") or {}
    record = _record_of(meta)
    zh = language == "zh"
    values = {k: x for k, x in meta.items() if isinstance(x, int | float) and not isinstance(x, bool) and k != "ts"}
    keys = [k for k in _KEY_METRICS if k in values][:5]  # what decides, not every number
    parts = []
    for key in keys:
        label = _RECALL_METRIC_ZH.get(key, key) if zh else _RECALL_METRIC_EN.get(key, key.replace("_", " "))
        shown = fmt_pct(values[key], key != "max_drawdown") if key in _RATIO_METRICS else fmt_num(values[key], 2 if key.startswith("n_") else 3)
        if key == "cumulative_return" and isinstance(values.get("benchmark_cumulative_return"), float):
            bench = fmt_pct(values["benchmark_cumulative_return"])
            shown += f"（同期买入持有 {bench}）" if zh else f" (buy-and-hold {bench})"
        parts.append(f"{label} {shown}")
    when = str(meta.get("time") or meta.get("created") or meta.get("finished") or "")[:10]
    text = str(hit.get("text") or "")
    if hit.get("kind") == "factors":
        found = re.search(r"Expression: (.+?)\. (?=[A-Z])", text)
        expression = str(record.get("expression") or "") or (found.group(1) if found else text[:120])
        status = str(meta.get("status") or "")
        verdict = {"accepted": "已采纳", "rejected": "未采纳", "candidate": "候选"}.get(status, status)
        head = (f"因子{'（' + verdict + '）' if status else ''} {code(expression)}" if zh
                else f"factor{' (' + status + ')' if status else ''} {code(expression)}")
    else:
        kind = str(meta.get("run_kind") or "")
        kind_text = _RUN_KIND_TEXT.get(kind, (kind or "run", kind or "运行"))[1 if zh else 0]
        algo = str(meta.get("cfg_algo") or meta.get("cfg_model") or "")
        run_id = str(meta.get("run_id") or hit.get("id") or "").removeprefix("run:")
        state = str(meta.get("state") or "")
        state_text = {"done": "已完成", "failed": "失败", "running": "未完成"}.get(state, state) if zh else state
        head = f"{kind_text}{' ' + algo.upper() if algo else ''}{'，' if zh else ', '}{code(run_id)}" + (
            f"（{state_text}）" if zh and state_text else f" ({state_text})" if state_text else "")
        assets = (record.get("config") or {}).get("assets") if isinstance(record.get("config"), dict) else None
        if isinstance(assets, list) and assets:
            names = [str(a) for a in assets[:5]]
            head += f"，标的 {'、'.join(names)}" if zh else f", on {', '.join(names)}"
        asked = re.search(r"Instruction: (.+?)(?:\. (?=[A-Z\u4e00-\u9fff])|$)", text)
        instruction = str(record.get("instruction") or "") or (asked.group(1) if asked else "")
        if instruction:
            head += f"；当时的指令：「{instruction[:160]}」" if zh else f"; asked: \"{instruction[:160]}\""
    sep = "；" if zh else "; "
    return f"- [{when}] {head}" + (sep + ("，" if zh else ", ").join(parts) if parts else "")


def named_of(step: Any) -> tuple[str | None, str | None]:
    """The algorithm (or model, or strategy) and the asset a recall step names ("our last TD3 run on gold")."""
    what = v(step.algo) or v(step.model) or v(step.strategy)
    ref = v(step.ref)
    asset = (ref.asset if ref is not None and ref.asset else None) or (str(step.instruments[0].value) if step.instruments else None)
    return (str(what).lower() if what else None), asset


def _hit_is(hit: dict[str, Any], what: str | None, asset: str | None) -> bool:
    meta = hit.get("metadata") or {}
    if what is not None:
        recorded = {str(meta.get(k) or "").lower() for k in ("cfg_algo", "cfg_model", "cfg_strategy")} - {""}
        if recorded and what not in recorded:
            return False
    if asset is not None:
        text = f"{hit.get('text') or ''} {meta.get('record') or ''}".lower()
        if asset.lower() not in text and not (asset == "GOLD" and "xau" in text) and not (asset == "WTI" and "crude" in text):
            return False
    return True


def matching_hits(step: Any, hits: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The remembered runs of what the step names: a recall of "the TD3 run on gold" never answers
    with a SAC run or a crude one (an empty list says memory holds none)."""
    what, asset = named_of(step)
    return [h for h in recalled_hits(v(step.ref), hits) if _hit_is(h, what, asset)]


def recall_recipe(ctx: PlanContext) -> Action:
    """search_memory for the earlier run (never a retrain), then what was found or that nothing was."""
    done = ctx.last("search_memory")
    if done is None:
        if not ctx.can_call or "search_memory" not in ctx.tools:
            return missing_tool(ctx, "search_memory")
        return call(ctx, "search_memory", _recall_args(ctx))
    if not done.ok:
        return failure_answer(ctx, done)
    found = recalled_hits(v(ctx.step.ref), done.result.get("results") or [])
    hits = matching_hits(ctx.step, found)
    if not hits:
        what, asset = named_of(ctx.step)
        named = bool(what or asset)
        label = (what.upper() if v(ctx.step.algo) else what) if what else ""  # "TD3", but "donchian_breakout" as named
        en = f"{label + ' ' if label else ''}run{' on ' + asset if asset else ''}"
        zh = f"{asset + ' 上的' if asset else ''}{label + ' ' if label else ''}"
        head = pick(ctx.language, f"Memory holds no earlier {en} that matches this question; "
                                  "nothing was rerun (ask me to train or backtest it if you want a fresh run).",
                    f"记忆库中没有与这个问题相符的{zh}历史运行；我没有重新运行（如需新的结果，请让我重新训练或回测）。")
        if not found or not named:
            return Answer(head)
        others = [pick(ctx.language, "Other earlier runs (not what you asked for):", "其他历史运行（不是您问的那个）：")]
        return Answer("\n".join([head, *others, *(recalled_line(ctx.language, hit) for hit in found[:3])]))
    newest = found is not done.result.get("results")
    lines = [pick(ctx.language, f"From memory (earlier runs, {'newest' if newest else 'best match'} first; nothing was rerun):",
                  f"记忆库中的历史记录（按{'时间从新到旧' if newest else '相关度'}排序；没有重新运行）：")]
    lines += [recalled_line(ctx.language, hit) for hit in hits[:5]]
    return Answer("\n".join(lines))


def price_recipe(ctx: PlanContext) -> Action:
    """get_price over the window for each instrument of the step ("how did the Nasdaq do vs the
    S&P": both, in the order named), then first/last close and the change of each."""
    done = ctx.all("get_price")
    failed = next((o for o in done if not o.ok), None)
    if failed is not None:
        return failure_answer(ctx, failed)
    if len(done) < len(ctx.assets):
        asset = ctx.assets[len(done)]
        plan = windows_for(ctx, asset, split=False)
        if isinstance(plan, Answer):
            return plan
        span = plan.whole
        args = {"symbols": [asset], "start": span.start.isoformat(), "end": span.end.isoformat()}
        return call(ctx, "get_price", args) if ctx.can_call else missing_tool(ctx, "get_price")
    return Answer("\n".join(price_answer(ctx, asset, o.result) for asset, o in zip(ctx.assets, done, strict=False)))


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


RULE_RECIPES = {
    "backtest_strategy": backtest_recipe,
    "optimize_strategy": optimize_recipe,
    "list_strategies": list_recipe,
    "recall": recall_recipe,
    "show_price": price_recipe,
}
