"""Words the offline planner understands, in English and Chinese, mapped to canonical names.

Each table maps a canonical value to the spellings that name it. Matching is done on a
lower-cased instruction; English spellings match on word boundaries (so "rsi" does not fire
inside "versions"), Chinese ones as substrings (Chinese has no spaces). Longer spellings are
tried first so "布林带回归" wins over "布林".
"""

from __future__ import annotations

import re
from collections.abc import Mapping

__all__ = [
    "ALGOS",
    "ASSETS",
    "FEATURE_SETS",
    "MODELS",
    "NEXT_PERIODS",
    "RL_WORDS",
    "STRATEGIES",
    "UNIVERSES",
    "find_all",
    "find_first",
    "has_any",
]

#: Instruments of the sample store and the words people use for them.
ASSETS: Mapping[str, tuple[str, ...]] = {
    "GOLD": ("gold", "xau", "xauusd", "黄金", "金价", "金子"),
    "SP500": ("sp500", "s&p 500", "s&p500", "s&p", "sp 500", "spx", "标普500", "标普", "标准普尔"),
    "NASDAQ": ("nasdaq", "ndx", "纳斯达克", "纳指"),
    "WTI": ("wti", "crude oil", "crude", "oil", "原油", "石油"),
}

#: Named universes.
UNIVERSES: Mapping[str, tuple[str, ...]] = {
    "csi_syn": ("csi_syn", "csi syn", "synthetic universe", "sample universe", "合成股票池",
                "样本股票池", "合成股票", "合成a股"),
}

#: Reinforcement-learning algorithms (Stable-Baselines3 names).
ALGOS: Mapping[str, tuple[str, ...]] = {
    "ppo": ("ppo",),
    "a2c": ("a2c",),
    "sac": ("sac",),
    "td3": ("td3",),
    "ddpg": ("ddpg",),
}

#: Words that mean "reinforcement learning" without naming an algorithm.
RL_WORDS: tuple[str, ...] = (
    "reinforcement learning", "reinforcement-learning", "rl agent", "rl strategy", "rl policy",
    "rl", "drl", "finrl", "强化学习", "深度强化学习",
)

#: Qlib model families.
MODELS: Mapping[str, tuple[str, ...]] = {
    "lightgbm": ("lightgbm", "lgbm", "lgb", "gbdt", "gradient boosting", "梯度提升"),
    "linear": ("linear model", "linear regression", "linear", "ridge", "线性模型", "线性回归", "线性"),
    "mlp": ("mlp", "neural network", "neural net", "多层感知机", "神经网络"),
}

#: Feature sets for Qlib models.
FEATURE_SETS: Mapping[str, tuple[str, ...]] = {
    "alpha158": ("alpha158", "alpha 158"),
    "alpha360": ("alpha360", "alpha 360"),
    "custom": ("custom features", "custom factors", "my own features", "自定义特征", "自定义因子"),
}

#: Rule strategies (Backtrader library names).
STRATEGIES: Mapping[str, tuple[str, ...]] = {
    "buy_and_hold": ("buy and hold", "buy-and-hold", "buy & hold", "买入持有", "买入并持有"),
    "sma_cross": ("sma cross", "sma crossover", "sma", "moving average crossover",
                  "moving average cross", "moving-average", "moving average", "ma cross",
                  "均线交叉", "双均线", "均线", "移动平均"),
    "ema_cross": ("ema cross", "ema crossover", "ema", "exponential moving average",
                  "指数均线", "指数移动平均"),
    "macd": ("macd", "异同移动平均"),
    "rsi_reversion": ("rsi mean reversion", "rsi reversion", "rsi", "相对强弱"),
    "bollinger_reversion": ("bollinger reversion", "bollinger mean reversion",
                            "布林带回归", "布林带均值回归", "布林回归"),
    "bollinger_breakout": ("bollinger breakout", "bollinger bands", "bollinger", "布林带突破",
                           "布林突破", "布林带", "布林"),
    "donchian_breakout": ("donchian breakout", "donchian channel", "donchian", "channel breakout",
                          "唐奇安通道", "唐奇安", "通道突破"),
}

#: "next week" and friends: the period a suggestion is for.
NEXT_PERIODS: Mapping[str, tuple[str, ...]] = {
    "day": ("tomorrow", "next day", "next session", "明天", "明日", "下一个交易日"),
    "week": ("next week", "coming week", "下周", "下一周", "下星期"),
    "month": ("next month", "coming month", "下个月", "下月"),
}

_CJK = re.compile(r"[\u3400-\u9fff]")


def _pattern(spelling: str) -> re.Pattern[str]:
    if _CJK.search(spelling):
        return re.compile(re.escape(spelling))
    return re.compile(r"(?<![a-z0-9_])" + re.escape(spelling) + r"(?![a-z0-9_])")


def _ordered(table: Mapping[str, tuple[str, ...]]) -> list[tuple[str, str, re.Pattern[str]]]:
    rows = [(canonical, s, _pattern(s)) for canonical, spellings in table.items() for s in spellings]
    return sorted(rows, key=lambda row: -len(row[1]))


def find_all(text: str, table: Mapping[str, tuple[str, ...]]) -> list[str]:
    """Canonical values named in ``text``, in order of first appearance, without repeats.

    A span claimed by a longer spelling is not matched again by a shorter one, so
    "bollinger reversion" yields only ``bollinger_reversion``.
    """
    taken: list[tuple[int, int]] = []
    hits: list[tuple[int, str]] = []
    for canonical, _, pattern in _ordered(table):
        for match in pattern.finditer(text):
            span = match.span()
            if any(span[0] < end and start < span[1] for start, end in taken):
                continue
            taken.append(span)
            hits.append((span[0], canonical))
    seen: dict[str, None] = {}
    for _, canonical in sorted(hits):
        seen.setdefault(canonical, None)
    return list(seen)


def find_first(text: str, table: Mapping[str, tuple[str, ...]]) -> str | None:
    """The first canonical value named in ``text``, or None."""
    found = find_all(text, table)
    return found[0] if found else None


def has_any(text: str, words: tuple[str, ...]) -> bool:
    """True when any of ``words`` occurs in ``text`` (word-bounded for Latin spellings)."""
    return any(_pattern(w).search(text) for w in words)
