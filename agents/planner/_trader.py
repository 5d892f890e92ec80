"""Trader recipes: account and risk state, direct orders, orders from a hand-over signal.

Orders go only through ``place_order`` (the gate's tool). The trader never decides that an
order was filled: it reports what the gate returned, and after a person's decision what
the approval note says.
"""

from __future__ import annotations

import math
import re
from fractions import Fraction
from typing import Any

from agents.planner._actions import Action, Answer, CallTools, ToolCall
from agents.planner._common import call, failure_answer
from agents.planner._condition import judge
from agents.planner._context import PlanContext, v
from agents.planner._observe import APPROVAL_MESSAGE, Observation
from agents.planner._text import code, fmt_num, pick, state_label
from agents.spec import StepSpec, TaskSpec

__all__ = ["TRADER_RECIPES", "order_costs_unused", "signal_recipe", "unused_costs_text", "waiting_text"]


def _lot(ctx: PlanContext, symbol: str) -> int:
    entry = ctx.brief.entry(symbol)
    return entry.lot_size if entry is not None else 1


def account_recipe(ctx: PlanContext) -> Action:
    """get_account and risk_status, then a summary."""
    wanted = [n for n in ("get_account", "risk_status") if ctx.may(n)]
    if wanted:
        return CallTools(tuple(ToolCall(n, {}, ctx.index) for n in wanted))
    account, risk = ctx.last("get_account"), ctx.last("risk_status")
    if account is None and risk is None:
        return Answer(pick(ctx.language, "No account tools are available: trading is not configured.",
                           "没有可用的账户工具：交易功能未配置。"))
    return Answer(account_answer(ctx, account, risk))


def account_answer(ctx: PlanContext, account: Observation | None, risk: Observation | None) -> str:
    """Cash, equity, positions, and the trading state."""
    lang, lines = ctx.language, []
    if account is not None and account.ok:
        a = account.result
        lines.append(pick(lang, f"Account: equity {fmt_num(a.get('equity'))}, cash {fmt_num(a.get('cash'))}.",
                          f"账户：总资产 {fmt_num(a.get('equity'))}，现金 {fmt_num(a.get('cash'))}。"))
        for p in a.get("positions") or []:
            lines.append(f"- {p.get('symbol')}: {fmt_num(p.get('qty'), 0)} @ {fmt_num(p.get('avg_price'))}")
        if not a.get("positions"):
            lines.append(pick(lang, "No positions.", "当前无持仓。"))
    elif account is not None:
        lines.append(failure_answer(ctx, account).text)
    if risk is not None and risk.ok:
        r = risk.result.get("status") or risk.result
        lines.append(pick(lang, f"Trading state: {r.get('state')} ({r.get('state_reason', '')}); drawdown "
                                f"{fmt_num(r.get('drawdown_pct'))}%, orders today {r.get('orders_today')}, pending approvals "
                                f"{r.get('pending_approvals')}.",
                          f"交易状态：{state_label('zh', r.get('state'))}（{state_label('zh', r.get('state_reason', ''))}）；回撤 {fmt_num(r.get('drawdown_pct'))}%，"
                          f"今日订单 {r.get('orders_today')}，待审批 {r.get('pending_approvals')}。"))
    return "\n".join(lines)


def _order_args(symbol: str, side: str, qty: float) -> dict[str, Any]:
    return {"symbol": symbol, "side": side, "qty": qty}


def _held(ctx: PlanContext, symbol: str) -> float:
    account = ctx.last("get_account")
    for p in (account.result.get("positions") or []) if account and account.ok else []:
        if str(p.get("symbol")).upper() == symbol.upper():
            return float(p.get("qty") or 0)
    return 0.0


def _price(ctx: PlanContext, symbol: str) -> float | None:
    return _last_closes(ctx).get(symbol)


def _needs(ctx: PlanContext, kind: str) -> Action | None:
    """The reads a relative order size needs first: the account, and a price for money sizes."""
    if ctx.may("get_account"):
        return call(ctx, "get_account", {})
    if kind in ("notional", "pct_equity") and ctx.may("get_price"):
        symbol = ctx.assets[0]
        end = ctx.brief.entry(symbol)
        last = end.end if end else None
        return call(ctx, "get_price", {"symbols": [symbol], "start": _days_before(last, 14), "end": last})
    return None


def _share(value: float) -> str:
    """0.5 -> 50%, 1/3 -> 1/3 (a third is not 33%: 33% of 1,200 is not 400)."""
    close = Fraction(value).limit_denominator(12)
    if abs(float(close) - value) < 1e-6 and close.denominator in (3, 6, 7, 9, 11, 12):
        return f"{close.numerator}/{close.denominator}"
    return f"{value * 100:g}%"


def _sized(ctx: PlanContext, symbol: str, lot: int) -> tuple[float, str, str] | Answer:
    """Units to trade and the computation (en, zh) from the stated quantity."""
    q = ctx.step.quantity.value  # type: ignore[union-attr]
    if q.kind == "units":
        return float(q.value), f"{q.value:g} units as stated", f"按指定 {q.value:g} 股/单位"
    if q.kind == "lots":
        qty = q.value * lot
        return qty, f"{q.value:g} lots x {lot} = {qty:g} units", f"{q.value:g} 手 x {lot} = {qty:g} 股"
    if q.kind == "fraction_of_position":
        held = _held(ctx, symbol)
        qty = math.floor(held * q.value / lot + 1e-9) * lot
        share = _share(q.value)
        return (float(qty), f"{share} of the {held:g} {symbol} held = {held * q.value:g}, whole lots of {lot}: {qty:g}",
                f"持仓 {held:g} 的 {share} = {held * q.value:g}，按每手 {lot} 取整：{qty:g}")
    price = _price(ctx, symbol)
    if price is None or price <= 0:
        return Answer(pick(ctx.language, f"No recent price for {symbol}: the order size cannot be computed; nothing was sent.",
                           f"没有 {symbol} 的最近价格，无法计算下单数量；未发送任何订单。"))
    account = ctx.last("get_account")
    equity = float((account.result if account and account.ok else {}).get("equity") or 0)
    money = q.value if q.kind == "notional" else equity * q.value / 100
    qty = math.floor(money / price / lot) * lot
    basis_en = f"{fmt_num(money)}" + (f" ({q.value:g}% of equity {fmt_num(equity)})" if q.kind == "pct_equity" else "")
    basis_zh = f"{fmt_num(money)}" + (f"（权益 {fmt_num(equity)} 的 {q.value:g}%）" if q.kind == "pct_equity" else "")
    return (float(qty), f"{basis_en} / last close {fmt_num(price)} = {money / price:,.2f}, whole lots of {lot}: {qty:g}",
            f"{basis_zh} / 最新收盘价 {fmt_num(price)} = {money / price:,.2f}，按每手 {lot} 取整：{qty:g}")


def _positions(ctx: PlanContext) -> list[tuple[str, float]]:
    """Every held position (symbol, quantity) in the account read in this step."""
    account = ctx.last("get_account")
    rows = (account.result.get("positions") or []) if account is not None and account.ok else []
    return [(str(p.get("symbol")), float(p.get("qty") or 0)) for p in rows if float(p.get("qty") or 0) > 0]


def _share_of_each(ctx: PlanContext) -> float:
    """The share of every held position to sell: 1 for "close everything", 0.5 for "halve all positions"."""
    quantity = ctx.step.quantity
    if quantity is not None and quantity.value.kind == "fraction_of_position" and 0 < quantity.value.value < 1:
        return float(quantity.value.value)
    return 1.0


def _close_each(ctx: PlanContext) -> tuple[list[ToolCall], list[str], list[str]]:
    """One sell per held position (its whole size, or the share said of each) in whole lots, and the
    computation (en, zh)."""
    calls, en, zh = [], [], []
    share = _share_of_each(ctx)
    for symbol, held in _positions(ctx):
        lot = _lot(ctx, symbol)
        qty = math.floor(held * share / lot + 1e-9) * lot
        part_en = f" x {share:.0%} = {held * share:g}" if share < 1 else ""
        part_zh = f" x {share:.0%} = {held * share:g}" if share < 1 else ""
        en.append(f"- SELL {fmt_num(qty, 0)} {symbol}: {held:g} held{part_en}, whole lots of {lot}: {qty:g}")
        zh.append(f"- 卖出 {fmt_num(qty, 0)} {symbol}：持仓 {held:g}{part_zh}，按每手 {lot} 取整：{qty:g}")
        if qty > 0:
            calls.append(ToolCall("place_order", _order_args(symbol, "sell", float(qty)), ctx.index))
    return calls, en, zh


def close_all_recipe(ctx: PlanContext) -> Action:
    """"Close everything": read the account, propose one sell per held position (its whole size,
    whole lots) with the computation shown; the orders wait for a person (``approval_reason``).
    With nothing held, nothing is sent."""
    if ctx.may("get_account"):
        return call(ctx, "get_account", {})
    account = ctx.last("get_account")
    if account is None:
        return Answer(pick(ctx.language, "No account tool is available: the positions cannot be read; nothing was sent.",
                           "没有可用的账户工具，无法读取持仓；未发送任何订单。"))
    if not account.ok:
        return failure_answer(ctx, account)
    if ctx.last("place_order") is not None:
        return Answer(orders_answer(ctx, {}))
    calls, en, zh = _close_each(ctx)
    if not _positions(ctx):
        return Answer(pick(ctx.language, "Nothing is held in the account: there is no position to close; no order was sent.",
                           "账户中没有任何持仓，无需平仓；未发送任何订单。"))
    share = _share_of_each(ctx)
    what_en = "sell every held position" if share >= 1 else f"sell {share:.0%} of every held position"
    what_zh = "卖出全部持仓" if share >= 1 else f"每个持仓卖出 {share:.0%}"
    ctx.said.stated(f"{what_en}: " + "; ".join(line[2:] for line in en), f"{what_zh}：" + "；".join(line[2:] for line in zh))
    if not calls:
        return Answer(pick(ctx.language, "No position amounts to a whole lot; no order was proposed.\n" + "\n".join(en),
                           "没有任何持仓够一整手；没有提出订单。\n" + "\n".join(zh)))
    if "place_order" not in ctx.tools:
        return Answer(pick(ctx.language, "Trading is not configured here: there is no place_order tool.",
                           "此处未配置交易：没有 place_order 工具。"))
    head = (pick(ctx.language, f"Closing every held position ({len(calls)}), from the account:",
                 f"平掉全部持仓（{len(calls)} 个），按账户计算：") if share >= 1 else
            pick(ctx.language, f"Selling {share:.0%} of every held position ({len(calls)}), from the account:",
                 f"每个持仓卖出 {share:.0%}（{len(calls)} 个），按账户计算："))
    return CallTools(tuple(calls), "\n".join([head, *(zh if ctx.language == "zh" else en)]))


def order_costs_unused(step: StepSpec) -> list[tuple[str, str]]:
    """(en, zh) for each cost stated with an order ("佣金按万二点五算"): it cannot set what the broker
    charges, since the fill pays the broker's own rates. Said, not silently dropped."""
    from agents.planner._common import bp

    out = []
    for name, zh, rate in (("commission", "佣金", step.costs.commission), ("slippage", "滑点", step.costs.slippage)):
        if rate is not None:
            out.append((f"{name} {bp(rate.value)}: an order pays the broker's own rates (see `taorui broker status`); "
                        "a stated cost applies to backtests",
                        f"{zh} {bp(rate.value)}：订单按券商自己的费率成交（见 `taorui broker status`），您给的成本只用于回测"))
    return out


def unused_costs_text(spec: TaskSpec, lang: str) -> str:
    """The order steps' stated costs that are not used, as the waiting answer's last lines."""
    notes = [pick(lang, en, zh) for step in spec.steps if step.intent == "place_order"
             for en, zh in order_costs_unused(step)]
    return "\n".join(pick(lang, f"Not used: {n}.", f"未使用：{n}。") for n in notes)


def _costs_not_applied(ctx: PlanContext) -> None:
    for en, zh in order_costs_unused(ctx.step):
        ctx.said.ignored(en, zh)


def order_recipe(ctx: PlanContext) -> Action:
    """One order from the step: size it (a relative size from the account, shown), place_order,
    then report the gate's outcome. A computed size is always held for the person (the graph)."""
    if ctx.step.all_positions:
        return close_all_recipe(ctx)
    symbol = ctx.assets[0]
    lot, side = _lot(ctx, symbol), str(v(ctx.step.side, "buy"))
    kind = ctx.step.quantity.value.kind if ctx.step.quantity is not None else "units"
    if kind != "units" and kind != "lots":
        first = _needs(ctx, kind)
        if first is not None:
            return first
    condition = ctx.step.condition
    verdict = judge(condition.value, ctx) if condition is not None else None
    if verdict is not None and condition is not None:  # said whatever follows (even a size that computes to zero)
        ctx.said.stated(f"condition: {condition.value} - checked on the run before: {verdict.en}",
                        f"条件：{condition.value}——按前一步的运行结果判断：{verdict.zh}")
    if verdict is not None and not verdict.held and ctx.last("place_order") is None:
        return Answer(pick(ctx.language, f"Your condition did not hold ({verdict.en}); no order was proposed.",
                           f"您的条件不成立（{verdict.zh}）；没有提出订单。"))
    sized = _sized(ctx, symbol, lot)
    if isinstance(sized, Answer):
        return sized
    qty, how_en, how_zh = sized
    ctx.said.stated(f"{side} {symbol}: {how_en}", f"{'买入' if side == 'buy' else '卖出'} {symbol}：{how_zh}")
    _costs_not_applied(ctx)
    if qty <= 0:
        return Answer(pick(ctx.language, f"The computed size is zero ({how_en}); no order was proposed.",
                           f"计算出的数量为零（{how_zh}）；没有提出订单。"))  # the plan adds what was asked
    if ctx.last("place_order") is None:
        if "place_order" not in ctx.tools:
            return Answer(pick(ctx.language, "Trading is not configured here: there is no place_order tool.",
                               "此处未配置交易：没有 place_order 工具。"))
        limit = ctx.step.limit_price
        args = _order_args(symbol, side, float(qty))
        if limit is not None:  # a stated limit is the order's: never a market order in its place
            args.update({"order_type": "limit", "limit_price": float(limit.value)})
            ctx.said.stated(f"limit price {limit.value:g}", f"限价 {limit.value:g}")
        placed = call(ctx, "place_order", args)
        if condition is not None and verdict is not None:  # read off the run before it: held, and said how
            how_en += f"; your condition held ({verdict.en})"
            how_zh += f"；您的条件成立（{verdict.zh}）"
        elif condition is not None:  # not a fact this system holds: the person checks it, before approving
            ctx.said.stated(f"condition (not checked automatically): {condition.value}",
                            f"条件（系统不自动判断）：{condition.value}")
            how_en += f"; only if {condition.value.removeprefix('if ').strip()} (your condition; check it before approving)"
            how_zh += f"；条件：{condition.value}（您给出的条件，请在批准前确认）"
        elif kind in ("units", "lots") and ctx.step.quantity is not None and ctx.step.quantity.source == "stated":
            return placed
        return CallTools(placed.calls, pick(ctx.language, how_en, how_zh))
    return Answer(orders_answer(ctx, {}))


# --- orders from a signal -----------------------------------------------------------------
def _picks(ctx: PlanContext, handover: dict[str, Any]) -> list[dict[str, Any]]:
    """The signal's names ranked by score, cut by the selection rule (top N% or top k)."""
    payload = handover.get("payload") or {}
    signal = payload.get("signal") or {}
    scores = signal.get("scores") if isinstance(signal, dict) else signal
    if isinstance(scores, dict):
        ranked = sorted(({"symbol": s, "score": v} for s, v in scores.items()), key=lambda x: -float(x["score"]))
    else:
        ranked = sorted((dict(x) for x in scores or []), key=lambda x: -float(x.get("score", 0)))
    rule = payload.get("selection") or {}
    if rule.get("top_pct"):
        count = max(1, math.ceil(len(ranked) * float(rule["top_pct"]) / 100))
    else:
        count = int(rule.get("top_k") or 1)
    return [{**x, "rank": i + 1, "of": len(ranked)} for i, x in enumerate(ranked[:count])]


def _last_closes(ctx: PlanContext) -> dict[str, float]:
    seen = ctx.last("get_price")
    rows = (seen.result.get("rows") or seen.result.get("bars") or []) if seen and seen.ok else []
    closes: dict[str, float] = {}
    for row in rows:  # rows are sorted by date: the last one per symbol wins
        if isinstance(row, dict) and row.get("close") is not None:
            closes[str(row.get("symbol"))] = float(row["close"])
    return closes


def _size(ctx: PlanContext, picks: list[dict[str, Any]], equity: float, closes: dict[str, float]) -> list[ToolCall]:
    budget = equity * ctx.defaults.trade_budget_pct / 100
    ctx.said.add(f"{ctx.defaults.trade_budget_pct:g}% of account value ({fmt_num(budget)}) split equally over "
                 f"{len(picks)} names, whole lots", f"账户价值的 {ctx.defaults.trade_budget_pct:g}%（{fmt_num(budget)}）"
                 f"平均分配给 {len(picks)} 只股票，按整手下单")
    calls = []
    for pick_ in picks:
        symbol, price = pick_["symbol"], closes.get(pick_["symbol"])
        lot = _lot(ctx, symbol)
        qty = math.floor(budget / len(picks) / price / lot) * lot if price else 0
        if qty > 0:
            calls.append(ToolCall("place_order", _order_args(symbol, "buy", float(qty)), ctx.index))
    return calls


def _skipped(ctx: PlanContext, picks: dict[str, dict[str, Any]]) -> list[str]:
    """Picks without an order, and why (no price, or one lot costs more than their share)."""
    ordered = {str(o.args.get("symbol")) for o in ctx.all("place_order")}
    closes = _last_closes(ctx)
    out = []
    for symbol in picks:
        if symbol in ordered:
            continue
        price = closes.get(symbol)
        out.append(pick(ctx.language, f"- {symbol}: no order (" + (f"one lot of {_lot(ctx, symbol)} costs "
                                                                    f"{fmt_num(price * _lot(ctx, symbol))}, more than its share of the budget)"
                                                                    if price else "no recent price)"),
                        f"- {symbol}：未下单（" + (f"一手 {_lot(ctx, symbol)} 股需 {fmt_num(price * _lot(ctx, symbol))}，超过其预算份额）"
                                                  if price else "没有最近价格）")))
    return out


def _gap_note(ctx: PlanContext, picks: list[dict[str, Any]], calls: list[ToolCall], closes: dict[str, float]) -> str:
    """Before approval: the orders are not the backtested portfolio when picks cannot be bought
    (a lot costs more than a name's share of the budget, or no price) - said while the person decides."""
    from tools.caveats import order_gap  # loaded on use: a plan-only call imports no engine

    ordered = {str(c.args.get("symbol")) for c in calls}
    missing = [p["symbol"] for p in picks if p["symbol"] not in ordered]
    lot_word, no_price = ("一手", "无价格") if ctx.language == "zh" else ("one lot", "no price")
    reasons = [f"{sym}: " + (f"{lot_word} {fmt_num(closes[sym] * _lot(ctx, sym))}" if sym in closes else no_price)
               for sym in missing[:8]]
    gap = order_gap(len(picks), len(picks) - len(missing), reasons)
    if gap is None:
        return ""
    return gap.zh if ctx.language == "zh" else gap.en


def explain_recipe(ctx: PlanContext) -> Action:
    """"Why did the model buy these?": the cycle's picks, from the model's own numbers."""
    if ctx.may("explain_trades"):
        return call(ctx, "explain_trades", {"symbol": ctx.assets[0]} if ctx.assets else {})
    obs = ctx.last("explain_trades")
    if obs is None:
        return Answer(pick(ctx.language, "No trading desk is available to explain the picks.",
                           "没有可用的交易台来解释选股。"))
    if not obs.ok:
        return failure_answer(ctx, obs)
    return Answer(str(obs.result.get("text_zh" if ctx.language == "zh" else "text_en") or ""))


def cycle_trade_recipe(ctx: PlanContext, payload: dict[str, Any], run_id: str | None) -> Action:
    """The trading cycle itself (``run_trading_cycle``): the same cycle ``taorui trade run`` runs."""
    if ctx.may("run_trading_cycle"):
        args: dict[str, Any] = {"universe": str(payload.get("universe") or "csi_syn"),
                                "ask_before_orders": bool(payload.get("ask_approval"))}
        if payload.get("expression"):
            args["expression"] = str(payload["expression"])
        elif run_id:
            args["model_run_id"] = run_id
        if payload.get("window"):
            args["start"], args["end"] = payload["window"]
        costs = ctx.step.costs  # stated costs become the paper portfolio's own
        if costs.commission is not None:
            args["commission_rate"] = float(costs.commission.value)
        if costs.slippage is not None:
            args["slippage"] = float(costs.slippage.value)
        selection = payload.get("selection") or {}
        if selection.get("top_k") is not None:
            args["top_k"] = int(selection["top_k"])
        elif selection.get("top_pct") is not None:
            args["top_pct"] = float(selection["top_pct"])
        return call(ctx, "run_trading_cycle", args)
    obs = ctx.last("run_trading_cycle")
    if obs is None or not obs.ok:
        return failure_answer(ctx, obs) if obs is not None else Answer(pick(
            ctx.language, "No trading desk is available to run the cycle.", "没有可用的交易台来运行交易周期。"))
    result = obs.result
    text = str(result.get("text_zh" if ctx.language == "zh" else "text_en") or "")
    note = str(result.get("mode_note") or "")
    if ctx.language == "zh" and result.get("created"):
        note = f"组合 {result.get('portfolio')} 以监督模式运行（通过指令创建：每笔订单都需要人工批准）"
    research = str(payload.get("research") or "")
    waiting = ""
    if result.get("paused_on") and payload.get("window"):
        waiting = pick(ctx.language, "The replay stops at the first day that waits for you; after `taorui trade approve`, "
                       "`taorui trade run --portfolio {p} --from {a} --to {b}` goes on.",
                       "回放停在第一个等待批准的交易日；批准（taorui trade approve）后，用 "
                       "`taorui trade run --portfolio {p} --from {a} --to {b}` 继续。").format(
            p=result.get("portfolio"), a=payload["window"][0], b=payload["window"][1])
    return Answer("\n".join(part for part in (research, note, text, waiting) if part))


def signal_recipe(ctx: PlanContext) -> Action:
    """Account, last prices of the picks, one order per pick, then fills and reasons."""
    handover = ctx.brief.handover or {}
    if (handover.get("payload") or {}).get("cycle") and "run_trading_cycle" in ctx.tools:
        return cycle_trade_recipe(ctx, handover.get("payload") or {}, handover.get("run_id"))
    picks = _picks(ctx, handover)
    if not picks:
        return Answer(pick(ctx.language, "The hand-over carried no signal to trade on; no order was proposed.",
                           "交接中没有可交易的信号；没有提出任何订单。"))
    if ctx.may("get_account"):
        return call(ctx, "get_account", {})
    account = ctx.last("get_account")
    if account is not None and not account.ok:
        return failure_answer(ctx, account)
    if ctx.may("get_price"):
        end = ctx.brief.entry(picks[0]["symbol"])
        last = end.end if end else None
        return call(ctx, "get_price", {"symbols": [p["symbol"] for p in picks], "start": _days_before(last, 14),
                                       "end": last})
    if ctx.last("place_order") is None and ctx.can_call:
        equity = float((account.result if account else {}).get("equity") or 0)
        closes = _last_closes(ctx)
        calls = _size(ctx, picks, equity, closes)
        if not calls:
            return Answer(pick(ctx.language, "The budget buys no whole lot of any pick; no order was proposed.",
                               "预算不足以买入任何一只股票的整手；没有提出订单。"))
        return CallTools(tuple(calls), _gap_note(ctx, picks, calls, closes))
    return Answer(orders_answer(ctx, {p["symbol"]: p for p in picks}))


def _days_before(day: str | None, days: int) -> str | None:
    if day is None:
        return None
    from datetime import date, timedelta

    return (date.fromisoformat(day) - timedelta(days=days)).isoformat()


# --- reporting ----------------------------------------------------------------------------
def _decisions(ctx: PlanContext) -> dict[str, dict[str, Any]]:
    """Approval outcomes by approval id / order key (from the approval notes)."""
    out: dict[str, dict[str, Any]] = {}
    for note in ctx.all(APPROVAL_MESSAGE):
        for item in note.result.get("orders") or []:
            for key in (item.get("approval_id"), item.get("key")):
                if key:
                    out[str(key)] = {**item, "decision": note.result.get("decision"), "by": note.result.get("by"),
                                     "reason": note.result.get("reason")}
    return out


def _fill_text(lang: str, outcome: dict[str, Any]) -> str:
    fills = outcome.get("fills") or []
    if not fills:
        state = (outcome.get("order_state") or {}).get("status")
        return pick(lang, f"sent, not filled yet (broker status {state})" if state else "not sent",
                    f"已发送，尚未成交（券商状态 {state}）" if state else "未发送")
    qty = sum(float(f.get("qty", 0)) for f in fills)
    value = sum(float(f.get("qty", 0)) * float(f.get("price", 0)) for f in fills)
    fee = sum(float(f.get("commission", 0)) for f in fills)
    avg = value / qty if qty else float("nan")
    return pick(lang, f"filled {fmt_num(qty, 0)} @ {fmt_num(avg)} (commission {fmt_num(fee)})",
                f"成交 {fmt_num(qty, 0)} @ {fmt_num(avg)}（佣金 {fmt_num(fee)}）")


#: The gate's reason codes (guardrails.ReasonCode) in a Chinese reader's words; the gate's own
#: sentence (with its numbers) follows as a quoted system message.
REASON_ZH = {
    "malformed_order": "订单格式错误", "trading_halted": "交易已暂停", "reducing_only": "当前只允许减仓",
    "symbol_not_allowed": "该品种不在允许范围内", "unknown_instrument": "未知品种", "no_reference_price": "没有参考价格",
    "stale_price": "价格过旧", "no_account": "没有账户", "no_equity": "账户无净值", "max_qty": "超过单笔数量上限",
    "max_notional": "超过单笔金额上限", "price_collar": "限价偏离最新价过多", "max_position_weight": "超过单一品种仓位上限",
    "max_gross_exposure": "超过总敞口上限", "buying_power": "购买力不足", "short_not_allowed": "不允许做空",
    "rate_per_minute": "超过每分钟下单次数", "rate_per_day": "超过每日下单次数", "duplicate_key": "订单编号重复",
    "duplicate_order": "短时间内的重复订单", "min_qty": "低于最小下单量", "fractional_qty": "不允许零碎数量",
    "not_approved": "未获批准", "expired_request": "审批已过期", "broker_rejected": "券商拒绝",
    "approval_always": "策略要求每笔订单都需审批", "approval_notional": "金额超过审批阈值",
    "approval_aggregate_notional": "累计金额超过审批阈值", "approval_new_symbol": "新品种需审批",
    "approval_while_reducing": "减仓模式下需审批", "approval_first_order_of_day": "当日首笔订单需审批",
    "person_asked": "您要求下单前先确认", "computed_quantity": "数量是按持仓、权益或金额计算出来的，并非直接给出，需您确认",
    "inferred_order": "数量、方向或品种是推断出来的，并非直接给出，需您确认",
    "conditional_order": "订单附带您给出的条件，需您确认条件成立后再发送",
}


def waiting_text(approvals: list[dict[str, Any]], lang: str) -> str:
    """The answer while orders wait for a person: each order, how its size was computed, and why
    it waits (the CLI adds how to approve or reject)."""
    lines = [pick(lang, "Waiting for your approval; nothing has been sent:", "等待您的审批，尚未发送任何订单：")]
    notes = {str(a.get("note") or "") for a in approvals}
    shared = notes.pop() if len(approvals) > 1 and len(notes) == 1 else ""  # one note for the batch: said once
    for a in approvals:
        order = a.get("order") or {}
        side = str(order.get("side", ""))
        label = pick(lang, side.upper(), {"buy": "买入", "sell": "卖出"}.get(side, side))
        line = f"- {label} {fmt_num(order.get('qty'), 0)} {order.get('symbol')}"
        if a.get("note") and not shared:
            line += pick(lang, f" ({a['note']})", f"（{a['note']}）")
        lines.append(line)
        why = _reasons(a, lang)
        if why:
            lines.append(pick(lang, f"  why it waits: {why}", f"  等待原因：{why}"))
    if shared:
        lines.append(shared)
    return "\n".join(lines)


#: Reasons the graph gives itself: their Chinese label says everything the English message does.
_OWN_REASONS = frozenset({"person_asked", "computed_quantity", "inferred_order", "conditional_order"})


def _reasons(outcome: dict[str, Any], lang: str = "en") -> str:
    reasons = outcome.get("reasons") or []
    if lang == "zh":
        return "；".join(REASON_ZH.get(str(r.get("code")), code(r.get("code")))
                        + ("" if str(r.get("code")) in _OWN_REASONS else f"：{code(r.get('message'))}") for r in reasons)
    return "; ".join(f"{r.get('code')}: {r.get('message')}" for r in reasons)


def _decided_text(lang: str, later: dict[str, Any]) -> str:
    """What a person's decision actually did: the gate's settlement, never the wish alone."""
    outcome = later.get("outcome") or {}
    settle = outcome.get("settlement") or {}
    verdict, by = later.get("decision"), later.get("by")
    if settle and not settle.get("applied") and verdict != "expired" and settle.get("decided_by") != by:
        return _lost_race_text(lang, settle, outcome)
    if verdict == "approved" and outcome.get("decision") == "allow":
        return pick(lang, f"approved by {by}, ", f"经 {by} 批准，") + _fill_text(lang, outcome)
    if verdict == "approved":
        return pick(lang, f"approved by {by}, but the gate refused it when re-checked ({_reasons(outcome)}); "
                          "nothing was sent",
                    f"经 {by} 批准，但风控复核时拒绝（{_reasons(outcome, 'zh')}）；未发送")
    if settle.get("veto_of"):
        return pick(lang, f"rejected by {by} ({later.get('reason')}), overriding {settle['veto_of']}'s approval "
                          "before it was sent; nothing was sent",
                    f"被 {by} 否决（{later.get('reason')}），撤销了 {settle['veto_of']} 尚未执行的批准；未发送")
    why = later.get("reason") or _reasons(outcome, lang)
    zh = {"rejected": "被拒绝", "expired": "审批已过期"}.get(str(verdict), str(verdict))
    return pick(lang, f"{verdict} ({why}); nothing was sent", f"{zh}（{why}）；未发送")


def _lost_race_text(lang: str, settle: dict[str, Any], outcome: dict[str, Any]) -> str:
    """Another person (or process) decided first: say who, and what reached the broker."""
    who, status = settle.get("decided_by") or "someone else", str(settle.get("status"))
    mine = {"approve": pick(lang, "your approval", "您的批准"), "reject": pick(lang, "your rejection", "您的拒绝")}
    wanted = mine.get(str(settle.get("wanted")), "")
    if settle.get("sent_by_this_call"):
        return pick(lang, f"already approved by {who} (no second approval recorded) and sent now; ",
                    f"已由 {who} 批准（未重复记录批准），现已发送；") + _fill_text(lang, outcome)
    if settle.get("sent"):
        return pick(lang, f"already approved by {who} and sent before {wanted} arrived (not applied); ",
                    f"已由 {who} 批准并发送，{wanted}未生效；") + _fill_text(lang, outcome)
    if status == "approved":
        return pick(lang, f"already approved by {who}; {wanted} was not recorded twice; not sent yet",
                    f"已由 {who} 批准，{wanted}未重复记录；尚未发送")
    reason = settle.get("decision_reason") or ""
    zh = {"rejected": "拒绝", "expired": "过期", "failed": "失败"}.get(status, status)
    return pick(lang, f"already {status} by {who} ({reason}); {wanted} was not applied; nothing was sent",
                f"已被 {who} {zh}（{reason}），{wanted}未生效；未发送")


def _order_line(ctx: PlanContext, obs: Observation, decisions: dict[str, dict[str, Any]]) -> str:
    lang, r = ctx.language, obs.result
    order = r.get("order") or obs.args
    side = str(order.get("side", ""))
    label = pick(lang, side.upper(), {"buy": "买入", "sell": "卖出"}.get(side, side))
    head = f"- {label} {fmt_num(order.get('qty'), 0)} {order.get('symbol')}" + pick(lang, ": ", "：")
    if not obs.ok:
        return head + pick(lang, f"refused ({obs.error.get('message')})", f"被拒绝（{code(obs.error.get('message'))}）")
    decision = r.get("decision")
    later = decisions.get(str(r.get("approval_id"))) or decisions.get(str(order.get("key")))
    if later is not None:
        return head + _decided_text(lang, later)
    if decision == "allow":
        return head + _fill_text(lang, r)
    if decision == "needs_approval":
        return head + pick(lang, f"waiting for approval ({_reasons(r)})", f"等待审批（{_reasons(r, 'zh')}）")
    return head + pick(lang, f"rejected by the gate ({_reasons(r)})", f"被风控拒绝（{_reasons(r, 'zh')}）")


def _outcomes(ctx: PlanContext, decisions: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """Every gate outcome seen: direct results and those after a person's decision."""
    direct = [o.result for o in ctx.all("place_order") if o.ok]
    return direct + [d.get("outcome") or {} for d in decisions.values()]


def orders_answer(ctx: PlanContext, picks: dict[str, dict[str, Any]]) -> str:
    """Each order with the gate's decision and fills, then why these names."""
    lang = ctx.language
    decisions = _decisions(ctx)
    research = ((ctx.brief.handover or {}).get("payload") or {}).get("research")
    lines = [research, ""] if research else []
    lines.append(pick(lang, "Orders (every one through the guardrail gate):", "订单（全部经过风控闸门）："))
    lines += [_order_line(ctx, obs, decisions) for obs in ctx.all("place_order")]
    lines += _skipped(ctx, picks)
    rules = sorted({str(o.get("fill_rule")) for o in _outcomes(ctx, decisions) if o.get("fill_rule")})
    if rules:
        lines.append(pick(lang, "Fill rule: ", "成交规则：") + pick(lang, "; ", "；").join(_rule_text(lang, r) for r in rules))
    if picks:
        signal = ((ctx.brief.handover or {}).get("payload") or {}).get("signal") or {}
        as_of = signal.get("as_of") if isinstance(signal, dict) else None
        lines.append(pick(lang, f"Why these stocks (the model's scores as of {as_of}, highest first):",
                          f"为什么选这些股票（模型 {as_of} 的打分，从高到低）："))
        for p in picks.values():
            lines.append(pick(lang, f"- {p['symbol']}: rank {p['rank']} of {p['of']} by the model's latest score "
                                    f"({fmt_num(p.get('score'), 4)})",
                              f"- {p['symbol']}：模型最新打分 {fmt_num(p.get('score'), 4)}，排名 {p['rank']}/{p['of']}"))
    return "\n".join(line for line in lines if line is not None).strip()


_RULE = re.compile(r"paper fill at the last close known at (?P<at>.+?) UTC(?: \((?P<src>.+?)\))?(?:; not filled: (?P<why>.*))?$")


def _rule_text(lang: str, rule: str) -> str:
    """The gate's fill rule, in Chinese for a Chinese answer."""
    match = _RULE.match(rule)
    if lang != "zh" or match is None:
        return rule
    src = match.group("src") or ""
    src = src.replace("close of", "收盘价，").replace("SYNTHETIC", "合成数据").replace("synthetic", "").strip(" ,")
    text = f"按 {match.group('at')} UTC 时已知的最新收盘价模拟成交" + (f"（{src}）" if src else "")
    return text + (f"；未成交：{match.group('why')}" if match.group("why") else "")


TRADER_RECIPES = {"place_order": order_recipe, "account_status": account_recipe, "explain_trades": explain_recipe}
