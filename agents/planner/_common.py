"""What every recipe shares: calling a tool for the step, failing honestly, windows and costs
that honour what the person stated and name every default."""

from __future__ import annotations

from typing import Any

from agents.planner._actions import Answer, CallTools, ToolCall
from agents.planner._context import PlanContext, v
from agents.planner._observe import Observation
from agents.planner._text import code, pick
from agents.planner._windows import Plan, WindowProblem, plan_windows, store_span

__all__ = ["bp", "call", "costs", "failure_answer", "missing_tool", "stated_value", "windows_for"]


def call(ctx: PlanContext, name: str, args: dict[str, Any]) -> CallTools:
    """One tool call for the current step."""
    return CallTools((ToolCall(name, args, ctx.index),))


def failure_answer(ctx: PlanContext, obs: Observation) -> Answer:
    """Report a failed tool honestly: which tool, the error, and that nothing followed."""
    kind, message = obs.error.get("type", "Error"), obs.error.get("message", "")
    return Answer(pick(ctx.language,
                       f"I could not finish: {obs.name} failed ({kind}): {message}. Nothing after it was run.",
                       f"未能完成：{code(obs.name)} 调用失败（{ERROR_ZH.get(kind, code(kind))}），系统信息：{code(message)}。"
                       "之后的步骤没有执行。"), halts=True)


#: Our error types (taorui_engines.errors, the tools' own), named for a Chinese reader.
ERROR_ZH = {"Unavailable": "功能不可用", "NotFound": "未找到", "InvalidArgument": "参数无效", "InvalidInput": "输入无效",
            "UnknownSymbol": "未知品种", "InvalidDateRange": "日期区间无效", "InvalidData": "数据无效",
            "InvalidExpression": "因子表达式无效", "UnsafeExpression": "表达式不安全",             "MalformedToolCall": "调用格式错误", "OrderRejected": "被风控拒绝", "Unsafe": "不安全的操作",
            "InternalError": "内部错误", "BudgetExceeded": "超出预算", "DuplicateOrderKey": "重复的订单编号",
            "TaoruiError": "错误", "Timeout": "超时", "Error": "错误"}


def missing_tool(ctx: PlanContext, name: str) -> Answer:
    """The tool the step needs is not installed (or the step budget is spent)."""
    return Answer(pick(ctx.language,
                       f"I cannot do this here: the tool {name} is not available in this installation.",
                       f"无法完成：当前安装中没有可用的工具 {name}。"))


def bp(rate: float) -> str:
    """0.0003 -> ``3 bp = 0.03%``."""
    return f"{rate * 10_000:g} bp = {rate * 100:g}%"


def stated_value(ctx: PlanContext, en: str, zh: str) -> None:
    """Echo a value the person stated, as used."""
    ctx.said.stated(en, zh)


def windows_for(ctx: PlanContext, name: str, valid: bool = False, split: bool = True) -> Plan | Answer:
    """The step's windows on ``name``'s data, honouring stated ones; defaults are named.

    ``split``: the step uses a train/test split (RL, models, searches); a backtest, a factor
    test or a price look runs on the whole window, so a split it never used is not named."""
    data = store_span(ctx.brief, name)
    if data is None:
        return Answer(pick(ctx.language, f"The store holds no data for {name} (`taorui data list` shows the store).",
                           f"数据库中没有 {name} 的数据（可用 `taorui data list` 查看）。"))
    d = ctx.defaults
    try:
        plan = plan_windows(ctx.step.windows, data, d.years, d.test_months, d.valid_months if valid else None)
    except WindowProblem as exc:
        return Answer(pick(ctx.language, f"I cannot run this: {exc.text('en')}. Nothing was run.",
                           f"无法运行：{exc.text('zh')}。未执行任何操作。"))
    w = ctx.step.windows
    kept = any(x is not None and x.source == "inferred" for x in (w.data, w.train, w.valid, w.test))
    for en, zh in plan.stated:  # a window kept from a recalled run was not said by the person: named, not "as asked"
        (ctx.said.add if kept else ctx.said.stated)(en, zh)
    for en, zh in (*plan.defaults, *(plan.split_defaults if split else ())):
        ctx.said.add(en, zh)
    return plan


def costs(ctx: PlanContext, default_commission: float, default_slippage: float | None) -> tuple[float, float | None]:
    """Commission and slippage to use: stated ones as stated, else the engine's defaults (named)."""
    c, s = ctx.step.costs.commission, ctx.step.costs.slippage
    commission = float(v(c, default_commission))
    slippage = None if default_slippage is None and s is None else float(v(s, default_slippage))
    if c is not None and c.source == "inferred":  # kept from a recalled run ("rerun it with 10 bps slippage")
        ctx.said.add(f"commission {bp(commission)} ({c.said})", f"佣金 {bp(commission)}（{c.said}）")
    elif c is not None:
        ctx.said.stated(f"commission {bp(commission)}", f"佣金 {bp(commission)}")
    else:
        ctx.said.add(f"commission {bp(commission)}", f"佣金 {bp(commission)}")
    if slippage is not None and s is not None and s.source == "inferred":
        ctx.said.add(f"slippage {bp(slippage)} ({s.said})", f"滑点 {bp(slippage)}（{s.said}）")
    elif slippage is not None and s is not None:
        ctx.said.stated(f"slippage {bp(slippage)}", f"滑点 {bp(slippage)}")
    elif slippage is not None:
        ctx.said.add(f"slippage {bp(slippage)}", f"滑点 {bp(slippage)}")
    return commission, slippage
