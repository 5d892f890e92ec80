"""What a careful quant would raise about a result, computed from the run and never written by hand.

Each check reads numbers a run already holds (its metrics, its benchmark's, the relative
figures, the training it did) and returns a :class:`Caveat` only when its condition holds, with
the measured value and the threshold it crossed, in English and in Chinese. The thresholds are
module constants, listed in docs/honesty.md; tests pin each caveat to its condition.

Why from the run: an answer that is true number by number can still mislead (a near-zero
drawdown that comes from sitting in cash, a win over buy and hold that is noise); these are
the numbers that decide how to read the headline, so they travel with it, in the JSON of every
result and in every answer.
"""

from __future__ import annotations

import math
from datetime import date, timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "COST_DRAG_SHARE",
    "FEW_TRADES",
    "FEW_TREES",
    "LOW_EXPOSURE",
    "NOISE_T",
    "SHORT_TRAINING",
    "STALE_DAYS",
    "TIED_SHARE",
    "Caveat",
    "backtest_caveats",
    "comparison_caveats",
    "search_caveats",
    "freshness",
    "last_trading_day",
    "model_caveats",
    "order_gap",
    "rl_caveats",
]

#: Average exposure (|position value| / equity) below which a low drawdown mostly reflects cash.
LOW_EXPOSURE = 0.20
#: Fewer trades than this are too few to judge a rule or a policy by.
FEW_TRADES = 10
#: |t| of the excess over the benchmark below this: indistinguishable from noise (about 5 %, two-sided).
NOISE_T = 2.0
#: Costs that take at least this share of the gross annual return (and at least 1 % a year) are named.
COST_DRAG_SHARE = 0.25
#: A gradient-boosted model with fewer trees than this barely learned (early stopping at once).
FEW_TREES = 10
#: Share of a day's names that share their score with another name above which rankings are ties.
TIED_SHARE = 0.10
#: RL training shorter than this many timesteps is short for PPO/A2C/SAC on daily bars.
SHORT_TRAINING = 50_000
#: A suggestion's bar older than the market's last trading day by more than this many days is stale.
STALE_DAYS = 3


class Caveat(BaseModel):
    """One thing to read the result by: what was measured, against which threshold, in both languages."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    code: str = Field(description="Stable identifier, e.g. low_exposure, noise, cost_drag, stale_data.")
    severity: Literal["info", "warn"]
    en: str
    zh: str
    value: float | None = None
    threshold: float | None = None


def _num(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(
        float(value)) else None


def _pct(x: float) -> str:
    return f"{x * 100:.1f}%"


def _exposure(metrics: dict[str, Any]) -> float | None:
    """Average exposure, whichever name the engine uses for it."""
    return _num(metrics.get("avg_gross_exposure", metrics.get("exposure")))


def _common(metrics: dict[str, Any], benchmark: dict[str, Any] | None, relative: dict[str, Any] | None,
            what_en: str, what_zh: str, bench_en: str = "buy and hold", bench_zh: str = "买入持有") -> list[Caveat]:
    out: list[Caveat] = []
    exposure = _exposure(metrics)
    if exposure is not None and exposure < LOW_EXPOSURE:
        out.append(Caveat(
            code="low_exposure", severity="warn", value=exposure, threshold=LOW_EXPOSURE,
            en=f"The {what_en} was invested {_pct(exposure)} of its capital on average: its low volatility and drawdown "
               "mostly reflect cash, not timing.",
            zh=f"该{what_zh}平均只投入了 {_pct(exposure)} 的资金：波动和回撤低主要是因为持有现金，而不是择时能力。"))
    trades = _num(metrics.get("n_trades"))
    if trades is not None and trades < FEW_TRADES:
        out.append(Caveat(
            code="few_trades", severity="warn", value=trades, threshold=FEW_TRADES,
            en=f"Only {trades:.0f} trade{'' if trades == 1 else 's'} in the window: too few to judge the {what_en} by.",
            zh=f"区间内只有 {trades:.0f} 笔交易，样本太少，不足以评价该{what_zh}。"))
    if benchmark:
        mine = _num(metrics.get("total_return", metrics.get("cumulative_return")))
        theirs = _num(benchmark.get("total_return", benchmark.get("cumulative_return")))
        if mine is not None and theirs is not None and mine < theirs:
            out.append(Caveat(
                code="trails_benchmark", severity="warn", value=mine - theirs, threshold=0.0,
                en=f"It returned {_pct(mine)} while buy and hold of the same instrument returned {_pct(theirs)} over the "
                   "same window with the same costs.",
                zh=f"同一区间、同样成本下，它的收益为 {_pct(mine)}，而同一标的买入持有为 {_pct(theirs)}。"))
    t = _num((relative or {}).get("excess_t"))
    if t is not None and abs(t) < NOISE_T:
        out.append(Caveat(
            code="noise", severity="warn", value=t, threshold=NOISE_T,
            en=f"The difference from {bench_en} is indistinguishable from noise (t = {t:.2f} on daily active returns, "
               "Newey-West standard error; |t| < 2).",
            zh=f"与{bench_zh}的差异在统计上与噪声无法区分（日度超额收益的 t 值 = {t:.2f}，自相关稳健标准误；|t| < 2）。"))
    drag = _num((relative or {}).get("cost_drag"))
    gross = _num((relative or {}).get("gross_annualized_return"))
    if drag is not None and drag >= 0.01 and (gross is None or drag >= COST_DRAG_SHARE * abs(gross)):
        out.append(Caveat(
            code="cost_drag", severity="warn", value=drag, threshold=COST_DRAG_SHARE,
            en=f"Costs take {_pct(drag)} a year" + (f" of a gross {_pct(gross)}" if gross is not None else "") + ".",
            zh=f"交易成本每年吃掉 {_pct(drag)}" + (f"（扣费前年化 {_pct(gross)}）" if gross is not None else "") + "。"))
    return out


def backtest_caveats(metrics: dict[str, Any], benchmark: dict[str, Any] | None,
                     relative: dict[str, Any] | None) -> list[Caveat]:
    """A rule backtest read against buy and hold of the same instruments."""
    return _common(metrics, benchmark, relative, "strategy", "策略")


def search_caveats(n_combos: int, best_oos: dict[str, Any] | None, benchmark_oos: dict[str, Any] | None
                   ) -> list[Caveat]:
    """A parameter search: the in-sample winner is the best of many tries, so only its out-of-sample
    run (against buy and hold over the same out-of-sample window) says anything."""
    out: list[Caveat] = []
    if n_combos > 1:
        out.append(Caveat(
            code="best_of_grid", severity="info", value=float(n_combos), threshold=1.0,
            en=f"The in-sample ranking picks the best of {n_combos} combinations: its in-sample figures are optimistic "
               "by construction; read the out-of-sample ones.",
            zh=f"样本内排名是从 {n_combos} 组参数中挑出的最好结果：样本内数字必然偏乐观，请以样本外结果为准。"))
    if best_oos:
        out += [c for c in _common(best_oos, benchmark_oos, None, "best setting", "最优参数")
                if c.code in ("trails_benchmark", "few_trades", "low_exposure")]
    return out


def rl_caveats(result: dict[str, Any], seeds: int = 1) -> list[Caveat]:
    """An RL run: the common checks on its test window, plus its training and its seeds."""
    metrics, bench = result.get("metrics") or {}, result.get("benchmark") or {}
    out = _common(metrics, bench, result.get("relative"), "agent", "策略")
    asked, taken = _num(result.get("timesteps")), _num(result.get("trained_timesteps"))
    if asked is not None and taken is not None and taken < asked:
        out.append(Caveat(
            code="steps_short", severity="warn", value=taken, threshold=asked,
            en=f"Training stopped after {taken:.0f} of the {asked:.0f} timesteps asked.",
            zh=f"训练在 {taken:.0f} 步时停止，少于要求的 {asked:.0f} 步。"))
    if asked is not None and taken is not None and taken > asked:
        out.append(Caveat(
            code="steps_rounded", severity="info", value=taken, threshold=asked,
            en=f"Trained {taken:.0f} timesteps for the {asked:.0f} asked: the algorithm learns in whole rollouts, "
               "so training ends at the first rollout boundary at or past the number asked.",
            zh=f"实际训练 {taken:.0f} 步（要求 {asked:.0f} 步）：该算法按完整的采样批次学习，"
               "训练在达到要求步数后的第一个批次边界结束。"))
    if taken is not None and taken < SHORT_TRAINING:
        out.append(Caveat(
            code="short_training", severity="info", value=taken, threshold=SHORT_TRAINING,
            en=f"{taken:.0f} timesteps is short for an RL agent on daily bars; results this short say little about "
               "what longer training would learn.",
            zh=f"{taken:.0f} 步对日线强化学习来说偏少，这样的结果很难说明更长时间训练会学到什么。"))
    if seeds <= 1:
        out.append(Caveat(
            code="one_seed", severity="info", value=float(seeds), threshold=2.0,
            en="One seed: RL results vary from seed to seed; rerun with other seeds (--seed) to see the spread.",
            zh="只用了一个随机种子：强化学习的结果随种子变化，可换几个种子（--seed）重跑以查看离散程度。"))
    return out


def model_caveats(result: dict[str, Any]) -> list[Caveat]:
    """A Qlib model and its top-k backtest: degenerate fits, ties, costs, significance of the excess."""
    out: list[Caveat] = []
    fit = result.get("fit") or {}
    trees = _num(fit.get("n_trees"))
    if trees is not None and trees < FEW_TREES:
        out.append(Caveat(
            code="few_trees", severity="warn", value=trees, threshold=FEW_TREES,
            en=f"The model holds {trees:.0f} trees (early stopping at once): it barely learned from the features.",
            zh=f"模型只有 {trees:.0f} 棵树（早停几乎立即触发）：它几乎没有从特征中学到东西。"))
    spread = _num(fit.get("prediction_std"))
    if spread is not None and spread < 1e-6:
        out.append(Caveat(
            code="constant_predictions", severity="warn", value=spread, threshold=1e-6,
            en="Its predictions are nearly constant across names: the ranking is arbitrary.",
            zh="模型对各股票的预测几乎相同：排序没有意义。"))
    tied = _num(fit.get("tied_share"))
    if tied is not None and tied >= TIED_SHARE:
        out.append(Caveat(
            code="tied_scores", severity="warn", value=tied, threshold=TIED_SHARE,
            en=f"{_pct(tied)} of the names share their score with another on a typical day: the top picks are partly "
               "a tie-break, not a ranking.",
            zh=f"平均每天有 {_pct(tied)} 的股票与其他股票得分相同：选出的前几名部分是打平后的次序，而不是真正的排序。"))
    report = result.get("backtest") or {}
    before, after = _num(report.get("annualized_return")), _num(report.get("annualized_return_with_cost"))
    relative = {"cost_drag": (before - after) if before is not None and after is not None else None,
                "gross_annualized_return": before, "excess_t": report.get("excess_t_with_cost")}
    out += _common({}, None, relative, "model", "模型", "the equal-weight universe (after costs)", "等权基准（扣除成本后）")
    return out


def comparison_caveats(rank_ic_t: float | None, excess_t_with_cost: float | None) -> list[Caveat]:
    """Two models compared on the same test days: is the difference more than noise?

    ``rank_ic_t`` is the Newey-West t of the mean daily difference in Rank IC, ``excess_t_with_cost``
    that of the daily difference in returns after costs (second model minus first, paired by day).
    """
    out: list[Caveat] = []
    t_ic = _num(rank_ic_t)
    if t_ic is None or abs(t_ic) < NOISE_T:
        shown = "undefined" if t_ic is None else f"{t_ic:.2f}"
        out.append(Caveat(
            code="ic_difference_noise", severity="warn", value=t_ic, threshold=NOISE_T,
            en=f"The difference in test Rank IC is indistinguishable from noise (t = {shown} on the daily difference, "
               "Newey-West standard error; |t| < 2).",
            zh=f"测试期 Rank IC 的差异在统计上与噪声无法区分（逐日差值的 t 值 = {shown}，自相关稳健标准误；|t| < 2）。"))
    t_ret = _num(excess_t_with_cost)
    if t_ret is None or abs(t_ret) < NOISE_T:
        shown = "undefined" if t_ret is None else f"{t_ret:.2f}"
        out.append(Caveat(
            code="return_difference_noise", severity="warn", value=t_ret, threshold=NOISE_T,
            en=f"The difference in backtest returns after costs is indistinguishable from noise (t = {shown} on the "
               "daily difference, Newey-West standard error; |t| < 2).",
            zh=f"扣除成本后回测收益的差异在统计上与噪声无法区分（逐日差值的 t 值 = {shown}，自相关稳健标准误；|t| < 2）。"))
    return out


def order_gap(picks: int, sendable: int, reasons: list[str] | None = None) -> Caveat | None:
    """The orders proposed are not the backtested portfolio (lots, cash): said before approval."""
    if sendable >= picks:
        return None
    why = "; ".join(reasons or [])
    return Caveat(
        code="order_gap", severity="warn", value=float(sendable), threshold=float(picks),
        en=f"Only {sendable} of the {picks} names the backtest held can be ordered with this account"
           + (f" ({why})" if why else "") + ": the orders are not the portfolio that was backtested.",
        zh=f"回测持有 {picks} 只股票，而按当前账户只能下单其中 {sendable} 只" + (f"（{why}）" if why else "")
           + "：实际订单并不是回测中的组合。")


def last_trading_day(today: date) -> date:
    """The last weekday on or before ``today`` (exchange holidays are not known here: said as such)."""
    day = today
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return day


def freshness(bar: date, today: date) -> Caveat | None:
    """A suggestion from an old bar is a replay, not a live view: say how old and what that means."""
    market = last_trading_day(today)
    age = (market - bar).days
    if age <= STALE_DAYS:
        return None
    return Caveat(
        code="stale_data", severity="warn", value=float(age), threshold=float(STALE_DAYS),
        en=f"This is based on the bar of {bar.isoformat()}, {age} days before the market's last trading day "
           f"({market.isoformat()}, by the weekday calendar): it is a replay of that day, not a view of today's market.",
        zh=f"这是基于 {bar.isoformat()} 的K线得出的，比市场最近的交易日（{market.isoformat()}，按工作日日历）早 {age} 天："
           "这是对当时的回放，而不是对当前市场的判断。")
