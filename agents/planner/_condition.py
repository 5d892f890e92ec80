"""Judging an order's stated condition against the run the same instruction made before it.

"Backtest RSI on the S&P, and if the Sharpe is above 1 cut the position by two fifths": the
condition is about a number the backtest just produced, so it can be read off that result
instead of being left to the person. Only conditions of that shape are judged - a metric of
the run before (Sharpe, return, drawdown) against a stated threshold, or the run against its
buy-and-hold benchmark. Anything else ("if gold drops below 1800", "if the Fed cuts") is not
a fact this system holds, and stays for the person to check before approving.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from agents.planner._context import PlanContext
from agents.planner._text import fmt_num, fmt_pct

__all__ = ["Verdict", "headline", "judge"]


@dataclass(frozen=True)
class Verdict:
    """Whether the condition held, and the numbers that decided it, in both languages."""

    held: bool
    en: str
    zh: str


_METRICS = (
    ("sharpe", re.compile(r"sharpe|夏普")),
    ("max_drawdown", re.compile(r"draw\s*-?\s*down|\bdd\b|\bmdd\b|回撤")),
    ("total_return", re.compile(r"\breturns?\b|\bpnl\b|\bp&l\b|\bgain|\bprofit|收益|回报|盈利|赚")),
)
_METRIC_NAME = {"sharpe": ("Sharpe", "夏普"), "max_drawdown": ("max drawdown", "最大回撤"),
                "total_return": ("total return", "总收益")}
_ABOVE = re.compile(r">=?|\babove\b|\bover\b|\bgreater\s+than\b|\bmore\s+than\b|\bhigher\s+than\b|\bexceeds?\b|"
                    r"\bat\s+least\b|\bbeyond\b|\btops\b|大于|超过|高于|不低于|至少|以上")
_BELOW = re.compile(r"<=?|\bbelow\b|\bunder\b|\bless\s+than\b|\blower\s+than\b|\bat\s+most\b|\bwithin\b|\bsmaller\s+than\b|"
                    r"小于|低于|不到|不超过|以内|以下|控制在")
_NUMBER = re.compile(r"(-?\d+(?:\.\d+)?)\s*(%|个点|percent|pct)?")
_HIGHER = re.compile(r"\bhigher\b|\bbetter\b|\bgreater\b|\bbigger\b|\bsmaller\b|\blower\b|更高|更好|更大|更小|更低|较高|较好")
_BENCH = re.compile(r"buy[\s-]*(?:and|&|n)[\s-]*hold|\bholding\b|\bjust\s+holding\b|benchmark|买入持有|持有不动|拿着不动|基准|大盘")
_WINS = re.compile(r"\bbeats?\b|\boutperform\w*|\bbetter\s+than\b|\bahead\s+of\b|\btops\b|\bwins?\b|跑赢|战胜|好于|优于|强于|超过|"
                   r"比[^,，。]{0,12}?(?:好|强|高)")
_LOSES = re.compile(r"\bunderperform\w*|\blags?\b|\bworse\s+than\b|\btrails?\b|(?:doesn'?t|does\s+not|fails?\s+to|didn'?t)\s+beat|"
                    r"跑输|不如|没跑赢|没有跑赢|比[^,，。]{0,12}?(?:差|低)")


def headline(observations: Sequence[Any], before: int) -> dict[str, float] | None:
    """Sharpe, total return, max drawdown and the benchmark's return of the latest run (a backtest,
    an RL training, a parameter search) among ``observations`` of steps before ``before``. The
    planner hands this on with the next agent's turn, since that agent does not see the run."""
    names = ("backtest_strategy", "train_rl_agent", "optimize_strategy")
    seen = [o for o in observations if o.step < before and o.name in names and o.ok]
    if not seen:
        return None
    # "backtest MACD, compare it with buy and hold, and if MACD's Sharpe is higher ...": the condition is about the
    # strategy, not the buy-and-hold yardstick run beside it
    ruled = [o for o in seen if o.result.get("strategy") != "buy_and_hold"]
    obs = (ruled or seen)[-1]
    r: dict[str, Any] = obs.result
    if obs.name == "backtest_strategy":
        m, b = r.get("metrics") or {}, r.get("benchmark") or {}
        out = {"sharpe": m.get("sharpe"), "total_return": m.get("total_return"), "max_drawdown": m.get("max_drawdown"),
               "bench": b.get("total_return"), "bench_sharpe": b.get("sharpe"), "bench_max_drawdown": b.get("max_drawdown")}
    elif obs.name == "train_rl_agent":
        m, b = r.get("metrics") or {}, r.get("benchmark") or {}
        out = {"sharpe": m.get("sharpe"), "total_return": m.get("cumulative_return"), "max_drawdown": m.get("max_drawdown"),
               "bench": b.get("cumulative_return") if isinstance(b, dict) else None,
               "bench_sharpe": b.get("sharpe") if isinstance(b, dict) else None,
               "bench_max_drawdown": b.get("max_drawdown") if isinstance(b, dict) else None}
    else:
        top = ((r.get("top") or [{}])[0] or {}).get("out_of_sample") or {}
        out = {"sharpe": top.get("sharpe"), "total_return": top.get("total_return"), "max_drawdown": top.get("max_drawdown"),
               "bench": (r.get("benchmark") or {}).get("total_return") if isinstance(r.get("benchmark"), dict) else None}
    return {k: float(x) for k, x in out.items() if isinstance(x, int | float) and math.isfinite(float(x))}


def _ran_before(ctx: PlanContext) -> dict[str, float] | None:
    mine = headline(ctx.everything, ctx.index)
    if mine:
        return mine
    handed = ((ctx.brief.handover or {}).get("payload") or {}).get("ran")
    if not isinstance(handed, dict):
        return None
    return {str(k): float(x) for k, x in handed.items() if isinstance(x, int | float) and math.isfinite(float(x))}


def _shown(metric: str, value: float) -> str:
    return fmt_pct(value, signed=metric == "total_return") if metric != "sharpe" else fmt_num(value)


def judge(condition: str, ctx: PlanContext) -> Verdict | None:
    """The condition judged on the run before this step, or None when it is not of a shape read here
    (or there is no such run, or the run lacks the number): then the person checks it."""
    text = condition.lower()
    values = _ran_before(ctx)
    if not values:
        return None
    if _BENCH.search(text):
        if "total_return" not in values or "bench" not in values:
            return None
        lose = _LOSES.search(text) is not None
        if not lose and _WINS.search(text) is None:
            return None
        mine, bench = values["total_return"], values["bench"]
        held = mine < bench if lose else mine > bench
        return Verdict(held, f"the run returned {fmt_pct(mine)}, buy and hold {fmt_pct(bench)}",
                       f"该运行收益 {fmt_pct(mine)}，买入持有 {fmt_pct(bench)}")
    metric = next((name for name, said in _METRICS if said.search(text)), None)
    if metric is None or metric not in values:
        return None
    if _NUMBER.search(text) is None and _HIGHER.search(text) and f"bench_{metric}" in values:
        # "如果MACD夏普更高" (than the buy and hold set beside it), "if its Sharpe is better": against the benchmark
        mine, bench = values[metric], values[f"bench_{metric}"]
        smaller = metric == "max_drawdown"
        held = abs(mine) < abs(bench) if smaller else mine > bench
        name_en, name_zh = _METRIC_NAME[metric]
        return Verdict(held, f"{name_en} {_shown(metric, mine)}, buy and hold {_shown(metric, bench)}",
                       f"{name_zh} {_shown(metric, mine)}，买入持有 {_shown(metric, bench)}")
    above, below = _ABOVE.search(text), _BELOW.search(text)
    if (above is None) == (below is None):
        return None  # neither, or both ("between 1 and 2"): not read here
    number = _NUMBER.search(text, (above or below).end())  # type: ignore[union-attr]
    if number is None:
        return None
    limit = float(number.group(1))
    if metric != "sharpe" and (number.group(2) or abs(limit) > 1):
        limit /= 100  # "return above 10%", "回撤小于20": percentages
    value = values[metric]
    if metric == "max_drawdown":
        value, limit = abs(value), abs(limit)  # "drawdown under 20%": its size, whatever sign the engine reports
    held = value > limit if above is not None else value < limit
    op_en = ">" if above is not None else "<"
    name_en, name_zh = _METRIC_NAME[metric]
    shown, bound = _shown(metric, value), _shown(metric, limit)
    return Verdict(held, f"{name_en} {shown}, {'' if held else 'not '}{op_en} {bound}",
                   f"{name_zh} {shown}，{'' if held else '不'}{'大于' if above is not None else '小于'} {bound}")
