"""Required values per step, and the one clarifying question asked when some are missing.

Nothing runs on a guess: an order without a quantity, a backtest without an instrument, a
symbol the store does not hold comes back as one question, in the person's language, naming
everything still needed with the choices the store offers (and the closest symbols to a
word it did not recognise).
"""

from __future__ import annotations

from collections.abc import Sequence

from agents.brief import CatalogEntry
from agents.spec import StepSpec

__all__ = ["missing_of", "question_for"]

_STRATEGIES_EN = ("sma_cross, ema_cross, macd, rsi_reversion, bollinger_breakout, bollinger_reversion, "
                  "donchian_breakout, buy_and_hold")
_STRATEGIES_ZH = "均线交叉、指数均线、MACD、RSI、布林带突破、布林带回归、唐奇安通道、买入持有"


def missing_of(step: StepSpec) -> list[str]:
    """Names of the values ``step`` needs and lacks."""
    need: list[str] = []
    if step.intent == "unknown":
        return ["task"]
    signal = step.intent == "backtest_strategy" and step.strategy is not None and step.strategy.value == "signal" \
        and step.universe is not None  # a factor or model signal runs on a universe, not one instrument
    if step.intent in ("train_rl", "backtest_strategy", "optimize_strategy", "show_price") and not step.instruments \
            and not signal:
        need.append("asset")
    if step.intent in ("backtest_strategy", "optimize_strategy") and step.strategy is None:
        need.append("strategy")
    if step.intent == "evaluate_factors" and not step.expressions and step.theme is None:
        need.append("expressions")  # "the 20-day momentum factor" names one the executor can write
    if step.intent == "train_model" and step.model is None and step.features is None and not step.suggest and (
            step.universe is None or step.universe.source != "stated") and step.top_k is None and step.top_pct is None \
            and not step.expressions and step.windows == type(step.windows)():
        need.append("model_kind")  # "帮我训练个模型": an RL strategy on an asset, or a stock-selection model?
    if step.intent == "place_order" and step.all_positions:
        return []  # "close everything": every held position, sized from the account (and approved)
    if step.intent == "place_order" and step.top_k is None and step.top_pct is None:
        need += [name for name, value in (("asset", step.instruments), ("side", step.side),
                                          ("quantity", step.quantity)) if not value]
    return need


def _ask(name: str, language: str, catalog: Sequence[CatalogEntry]) -> str:
    assets = ", ".join(e.name for e in catalog if e.kind == "instrument" and e.members is None
                       and not e.name.startswith("SYN")) or "GOLD, SP500, NASDAQ, WTI"
    table = {
        "asset": (f"which instrument ({assets}, or a csi_syn stock SYN000..SYN119)", f"哪个品种（{assets}，或合成股票 SYN000..SYN119）"),
        "strategy": (f"which strategy ({_STRATEGIES_EN})", f"哪种策略（{_STRATEGIES_ZH}）"),
        "side": ("buy or sell", "买入还是卖出"),
        "quantity": ("how much (units, lots, an amount of money, or a share of the position)",
                     "多少数量（股、手、金额，或持仓的比例）"),
        "model_kind": ("which kind of model: a reinforcement-learning strategy on an instrument (PPO, A2C, SAC, TD3, "
                       "DDPG) or a stock-selection model on the csi_syn universe (LightGBM, linear, MLP)",
                       "哪种模型：在某个品种上训练强化学习策略（PPO、A2C、SAC、TD3、DDPG），还是在 csi_syn 股票池上训练"
                       "选股模型（LightGBM、线性、MLP）"),
        "expressions": ("which factor expressions (for example \"Mean($close, 5) / $close\")",
                        "哪些因子表达式（例如 \"Mean($close, 5) / $close\"）"),
        "proceeds": ("how much to buy with the sale's proceeds - they are known only once the sale fills, so "
                     "give an amount of money, units or a share of equity",
                     "用卖出所得买入多少——所得要等卖单成交后才知道，请给出金额、股数或占权益的比例"),
        "picks": ("how many of the model's top-ranked stocks to buy (for example the top 10, or the top 5%)",
                  "买入模型排名前多少的股票（例如前 10 只，或前 5%）"),
        "compared": ("what to compare: the runs to make (for example PPO against SAC on GOLD) or earlier runs to "
                     "look up (for example yesterday's gold model and last week's crude model)",
                     "要比较什么：要跑的几个（例如黄金上 PPO 对比 SAC），或要调出的之前的运行（例如昨天的黄金模型和上周的原油模型）"),
        "task": ("what you would like me to do: train an RL strategy, train a model, backtest or tune a strategy, "
                 "evaluate or mine factors, run the daily trading cycle, or place an order",
                 "您想让我做什么：训练强化学习策略、训练模型、回测或优化策略、评估或挖掘因子、运行每日交易周期，还是下单"),
    }
    return table[name][1 if language == "zh" else 0]


def _unknown_text(words: Sequence[str], options: Sequence[Sequence[str]], language: str) -> str:
    parts = []
    for word, near in zip(words, options, strict=False):
        hint_en = f"; did you mean {' or '.join(near)}?" if near else ""
        hint_zh = f"；您是指 {' 或 '.join(near)} 吗？" if near else ""
        parts.append(f"{word} 不在数据库中{hint_zh}" if language == "zh" else f"{word} is not in the data store{hint_en}")
    how = ("（可以用 `taorui data ingest --csv 文件 --symbol 代码` 导入自己的数据）" if language == "zh"
           else " (you can add your own data with `taorui data ingest --csv FILE --symbol NAME`)")
    return ("；".join(parts) if language == "zh" else "; ".join(parts)) + how


#: What a run right after a recall ("same as before but with SAC") takes from the recalled run.
_RECALLED = frozenset({"asset", "strategy", "model_kind"})


def question_for(steps: Sequence[StepSpec], unknown: Sequence[str], options: Sequence[Sequence[str]],
                 language: str, catalog: Sequence[CatalogEntry]) -> str | None:
    """One question covering every step's missing values, or None when nothing is missing."""
    missing = list(dict.fromkeys(name for i, step in enumerate(steps) for name in missing_of(step)
                                 if not (name in _RECALLED and i > 0 and steps[i - 1].intent == "recall")))
    for i, step in enumerate(steps):
        if step.intent == "place_order" and i > 0 and steps[i - 1].intent == "train_model" and not step.instruments \
                and step.top_k is None and step.top_pct is None and step.quantity is None:
            # "... and buy some of the best ones": how many of the model's picks, not which instrument
            missing = [name for name in missing if name not in ("asset", "quantity")] + ["picks"]
    for i, step in enumerate(steps):
        before = steps[i - 1] if i > 0 else None
        if step.intent == "place_order" and before is not None and before.intent == "place_order" \
                and step.quantity is None and step.side is not None and step.side.value == "buy" \
                and before.side is not None and before.side.value == "sell" and "quantity" in missing:
            # "sell all our Nasdaq and put the proceeds into the S&P": what the sale brings in is known once it fills
            missing[missing.index("quantity")] = "proceeds"
    if steps and steps[0].intent == "compare":
        missing.insert(0, "compared")  # "帮我比较一下" with nothing before it: nothing to compare yet
    if unknown and "asset" in missing:
        missing.remove("asset")
    if not missing and not unknown:
        return None
    asks = [_ask(name, language, catalog) for name in missing]
    head = _unknown_text(unknown, options, language) if unknown else ""
    if language == "zh":
        body = ("请告诉我：" + "；".join(asks) + "？") if asks else ""
        return "在开始之前，" + "。".join(p for p in (head, body) if p)
    if not asks:
        return f"Before I start: {head}."
    joined = ", ".join(asks[:-1]) + " and " + asks[-1] if len(asks) > 1 else asks[0]
    if head:  # a sentence of its own: "... NAME`). Please tell me how much."
        return f"Before I start: {head.rstrip('.')}. Please tell me {joined}."
    return f"Before I start: please tell me {joined}."
