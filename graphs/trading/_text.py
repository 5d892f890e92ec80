"""What a person reads about a cycle run, an explanation or a portfolio, in English or Chinese."""

from __future__ import annotations

from graphs.trading._desk import CycleRun, Explanation, PortfolioStatus
from graphs.trading._state import GatePending, PersonPending
from taorui_engines.trading import TradeReport

__all__ = ["explanation_text", "pending_text", "report_text", "run_text", "status_text"]


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:+.2%}"


def _money(value: float) -> str:
    return f"{value:,.0f}"


def report_text(report: TradeReport, language: str = "en") -> str:
    """The report's headline numbers, the benchmark beside them, blocked orders and caveats."""
    r = report
    if r.days == 0:
        return "还没有完成任何交易日。" if language == "zh" else "No day has finished yet."
    if language == "zh":
        lines = [
            f"组合 {r.portfolio}（{r.mode}）：{r.strategy}；{r.first_day} 至 {r.last_day}，共 {r.days} 个交易日。",
            f"扣费后盈亏 {_money(r.pnl_after_costs)}（{_pct(r.total_return)}），扣费前 {_money(r.pnl_before_costs)}；"
            f"佣金 {_money(r.commissions)}，滑点约 {_money(r.slippage_estimate)}（已含在成交价中）。",
            f"基准（等权买入持有）收益 {_pct(r.benchmark_return)}，超额 {_pct(r.excess_return)}"
            + (f"，Newey-West t = {r.excess_t:.2f}" if r.excess_t is not None else "") + "；"
            f"最大回撤 {r.max_drawdown:.2%}（基准 {_pct(r.benchmark_max_drawdown)}）。",
            f"订单：已发送 {r.orders_sent}，成交 {r.fills} 笔，未发送 {len(r.blocked)}，待批准 {r.pending}。",
        ]
        for b in r.blocked[:5]:
            lines.append(f"  未发送 {b.day} {b.side} {b.qty:g} {b.symbol}（{b.decision}）：{'；'.join(b.reasons)[:160]}")
        if r.picture:
            lines.append(f"净值与回撤图：{r.picture}")
        lines.append("注意：" + "；".join(_zh_caveat(c) for c in r.caveats))
        return "\n".join(lines)
    lines = [
        f"Portfolio {r.portfolio} ({r.mode}): {r.strategy}; {r.first_day} to {r.last_day}, {r.days} trading day(s).",
        f"P&L after costs {_money(r.pnl_after_costs)} ({_pct(r.total_return)}), before costs "
        f"{_money(r.pnl_before_costs)}; commissions {_money(r.commissions)}, slippage about "
        f"{_money(r.slippage_estimate)} (inside the fill prices).",
        f"Benchmark ({r.benchmark}): {_pct(r.benchmark_return)}; excess {_pct(r.excess_return)}"
        + (f", Newey-West t = {r.excess_t:.2f}" if r.excess_t is not None else "")
        + f"; max drawdown {r.max_drawdown:.2%} (benchmark {_pct(r.benchmark_max_drawdown)}).",
        f"Orders: {r.orders_sent} sent, {r.fills} fill(s), {len(r.blocked)} not sent, {r.pending} waiting for approval.",
    ]
    for b in r.blocked[:5]:
        lines.append(f"  not sent {b.day} {b.side} {b.qty:g} {b.symbol} ({b.decision}): {'; '.join(b.reasons)[:160]}")
    if len(r.blocked) > 5:
        lines.append(f"  ... and {len(r.blocked) - 5} more (taorui trade history --portfolio {r.portfolio})")
    if r.positions:
        held = ", ".join(f"{s} {q:g}" for s, (q, _) in sorted(r.positions.items()))
        lines.append(f"Holding: {held}; cash {_money(r.cash)}.")
    if r.picture:
        lines.append(f"Equity and drawdown: {r.picture}")
    lines.append("Caveats: " + "; ".join(r.caveats))
    return "\n".join(lines)


_ZH = {
    "SYNTHETIC data": "合成数据（非真实行情）",
    "too short to judge": "交易日太少，不足以评价策略",
    "indistinguishable from noise": "相对基准的超额与噪声无法区分",
    "nothing was filled": "没有任何成交",
    "did not go": "有订单未发送，结果不完全是策略本身的",
    "paper fills": "模拟成交：次日开盘价成交，含滑点与佣金",
}


def _zh_caveat(text: str) -> str:
    for key, zh in _ZH.items():
        if key in text:
            return zh + ("（" + text.split("(")[-1].rstrip(")") + "）" if "t = " in text else "")
    return text


def pending_text(pending: list[GatePending | PersonPending], portfolio: str, language: str = "en") -> str:
    """The orders waiting for a person, and the command that decides them."""
    if not pending:
        return ""
    if language == "zh":
        lines = [f"{len(pending)} 笔订单等待批准："]
        for p in pending:
            lines.append(f"  {p.intent.side} {p.intent.qty:g} {p.intent.symbol}（参考价 {p.intent.price:,.2f}）："
                         + "；".join(r.message for r in p.reasons)[:200])
        lines.append(f"批准：taorui trade approve --portfolio {portfolio} --approve；拒绝：加 --reject --reason 原因")
        return "\n".join(lines)
    lines = [f"{len(pending)} order(s) wait for a person:"]
    for p in pending:
        lines.append(f"  {p.intent.side} {p.intent.qty:g} {p.intent.symbol} at about {p.intent.price:,.2f} "
                     f"({p.intent.reason}): " + "; ".join(r.message for r in p.reasons)[:200])
    lines.append(f"Approve with `taorui trade approve --portfolio {portfolio} --approve`, or "
                 f"`--reject --reason WHY` (per order: --order KEY=yes|no).")
    return "\n".join(lines)


def run_text(run: CycleRun, language: str = "en") -> str:
    """What a run did, the report, and what waits."""
    head = (f"运行了 {len(run.days_run)} 个交易日（{run.window[0]} 至 {run.window[1]}，此前已完成 {run.already_done} 天），"
            f"模式 {run.mode}。" if language == "zh" else
            f"Ran {len(run.days_run)} day(s) of {run.window[0]}..{run.window[1]} ({run.already_done} done before), "
            f"mode {run.mode}.")
    parts = [head]
    if run.live_note:
        parts.append(run.live_note)
    if run.sizing:
        head_s = f"{run.days_run[-1]} 的目标持仓说明：" if language == "zh" else f"Sizing on {run.days_run[-1]}:"
        parts.append(head_s + "\n" + "\n".join(f"  {s}" for s in run.sizing[:8]))
    parts.append(report_text(run.report, language))
    if run.paused_on:
        parts.append(("在 " if language == "zh" else "Paused on ") + str(run.paused_on)
                     + ("暂停。" if language == "zh" else "."))
        parts.append(pending_text(run.pending, run.portfolio, language))
    return "\n".join(parts)


def explanation_text(items: list[Explanation], language: str = "en") -> str:
    """Why the strategy wanted each name, from the model's own numbers."""
    if not items:
        return "没有可解释的买入。" if language == "zh" else "Nothing to explain."
    first = items[0]
    if language == "zh":
        lines = [f"{first.day} 的信号来自 {first.source}（共 {first.n_scored} 只股票打分）。方法：" + _zh_method(first.method)]
        for e in items:
            rank = f"排名第 {e.rank}" if e.rank else "不在前列"
            chosen = "入选" if e.selected else "未入选"
            decision = f"，订单结果：{e.decision}" if e.decision else ""
            score = f"{e.score:.4f}" if e.score is not None else "n/a"
            lines.append(f"{e.symbol}：{rank}（{chosen}{decision}），得分 {score}。主要因素：")
            for name, contribution, value, pct in e.drivers:
                shown = "n/a" if value is None else f"{value:.4g}"
                where = f"，在全市场当天位于第 {pct:.0f} 百分位" if pct is not None else ""
                lines.append(f"  {name}：贡献 {contribution:+.4f}，取值 {shown}{where}")
        return "\n".join(lines)
    lines = [f"Signal of {first.day} from {first.source} ({first.n_scored} names scored). Method: {first.method}."]
    for e in items:
        rank = f"rank {e.rank}" if e.rank else "not near the top"
        chosen = "selected" if e.selected else "not selected"
        decision = f", order: {e.decision}" if e.decision else ""
        score = f"{e.score:.4f}" if e.score is not None else "n/a"
        lines.append(f"{e.symbol}: {rank} ({chosen}{decision}), score {score}. Largest drivers:")
        for name, contribution, value, pct in e.drivers:
            shown = "n/a" if value is None else f"{value:.4g}"
            where = f" ({pct:.0f}th percentile of the universe that day)" if pct is not None else ""
            lines.append(f"  {name}: contribution {contribution:+.4f}, value {shown}{where}")
    return "\n".join(lines)


def _zh_method(method: str) -> str:
    if "pred_contrib" in method:
        return "模型自身给出的逐特征贡献（LightGBM pred_contrib，各项之和等于得分；线性模型为系数×取值）"
    if "policy" in method:
        return "把每个输入设为中性值时策略动作的变化幅度"
    return "因子取值、当天在全市场的 z 分数（作为贡献）及其分位"


def status_text(status: PortfolioStatus) -> str:
    """Where a portfolio stands."""
    held = ", ".join(f"{s} {q:g} @ {p:,.2f}" for s, (q, p) in sorted(status.positions.items())) or "nothing"
    lines = [f"Portfolio {status.portfolio} ({status.mode}): {status.strategy}",
             f"Trading state {status.trading_state}; cash {_money(status.cash)}, value {_money(status.value)}; "
             f"last day {status.last_day or 'none'} ({status.days} day(s), {status.events} event(s)).",
             f"Holding: {held}."]
    if status.pending:
        lines.append(pending_text(status.pending, status.portfolio))
    return "\n".join(lines)
