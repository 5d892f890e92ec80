"""Required slots per intent, and the one clarifying question asked when some are missing.

The planner never guesses a required value: an order without a quantity, a backtest
without an instrument or a model without a universe comes back as one question that names
everything still needed, with the choices the store offers.
"""

from __future__ import annotations

from agents.planner._models import Intent, Language, Slots

__all__ = ["missing_slots", "question_for"]

_ASSETS = "GOLD, SP500, NASDAQ, WTI"

_ASK: dict[str, tuple[str, str]] = {
    "asset": (f"which instrument ({_ASSETS})", f"哪个品种（{_ASSETS}）"),
    "universe": ("which universe (for example csi_syn)", "哪个股票池（例如 csi_syn）"),
    "strategy": ("which strategy (sma_cross, ema_cross, macd, rsi_reversion, bollinger_breakout, "
                 "bollinger_reversion, donchian_breakout, buy_and_hold)",
                 "哪种策略（均线交叉、指数均线、MACD、RSI、布林带、唐奇安通道、买入持有）"),
    "side": ("buy or sell", "买入还是卖出"),
    "quantity": ("how many units", "多少数量（手/股）"),
    "expressions": ("which factor expressions (for example \"Mean($close, 5) / $close\")",
                    "哪些因子表达式（例如 \"Mean($close, 5) / $close\"）"),
    "task": ("what you would like me to do: train an RL strategy, train a model, backtest a "
             "strategy, evaluate factors, or place an order",
             "您想让我做什么：训练强化学习策略、训练模型、回测策略、评估因子，还是下单"),
}


def missing_slots(intent: Intent, slots: Slots) -> tuple[str, ...]:
    """Names of the required slots that ``slots`` lacks for ``intent``."""
    need: list[str] = []
    if intent == "unknown":
        return ("task",)
    if intent in ("train_rl", "backtest_strategy", "optimize_strategy", "show_price") and not slots.assets:
        need.append("asset")
    if intent in ("backtest_strategy", "optimize_strategy") and not slots.strategy:
        need.append("strategy")
    if intent == "train_model" and not slots.universe:
        need.append("universe")
    if intent == "evaluate_factors" and not slots.expressions:
        need.append("expressions")
    if intent == "place_order":
        need += [name for name, value in (("asset", slots.assets), ("side", slots.side),
                                          ("quantity", slots.quantity)) if not value]
    return tuple(need)


def question_for(intent: Intent, missing: tuple[str, ...], language: Language) -> str:
    """One question naming every missing slot."""
    index = 1 if language == "zh" else 0
    parts = [_ASK[name][index] for name in missing]
    if language == "zh":
        return "在开始之前请告诉我：" + "；".join(parts) + "？"
    if len(parts) > 1:
        joined = ", ".join(parts[:-1]) + " and " + parts[-1]
    else:
        joined = parts[0]
    return f"Before I start, please tell me {joined}."
