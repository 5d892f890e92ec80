"""A Chinese-English glossary of quant terms, to bridge an English-first embedding model.

all-MiniLM-L6-v2 was trained on English; it sees Chinese as single characters with little
meaning, so a Chinese query ("黄金强化学习策略的收益") lands far from an English record
("Run train_rl ... GOLD ... ppo"), and an English query far from a record whose instruction
was written in Chinese. :func:`bridge` closes part of that gap in plain sight: text that
contains Chinese gets the English terms of the Chinese terms it contains, in brackets.
The store applies it to queries and to documents (``MemoryConfig.bilingual``).

It is a dictionary look-up over :data:`GLOSSARY` (general quant vocabulary, written before
the labelled test questions and not tuned to them); docs/memory.md gives the hit rates
measured with and without it.
"""

from __future__ import annotations

import re

__all__ = ["GLOSSARY", "bridge", "has_cjk"]

#: (English terms as ``|`` alternatives, the first one being what is added; Chinese terms).
GLOSSARY: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("gold|xau", ("黄金", "金价")),
    ("crude|oil|wti", ("原油", "石油")),
    ("s&p ?500|sp500|spx", ("标普500", "标普")),
    ("nasdaq", ("纳斯达克", "纳指")),
    ("stock|stocks|equity|equities|share|shares", ("股票",)),
    ("index", ("指数",)),
    ("futures?", ("期货",)),
    ("reinforcement learning|rl|ppo|a2c|sac|td3|ddpg|finrl", ("强化学习",)),
    ("lightgbm|lgbm|gbdt|boosting", ("梯度提升", "机器学习")),
    ("model|models", ("模型",)),
    ("train|training|trained|train_rl|train_model", ("训练",)),
    ("backtest|backtests|backtesting|backtrader", ("回测",)),
    ("strategy|strategies", ("策略",)),
    ("factor|factors|alpha", ("因子",)),
    ("momentum", ("动量",)),
    ("reversal|mean reversion|mean-reversion", ("反转", "均值回归")),
    ("volatility|vol|std", ("波动率", "波动")),
    ("volume|turnover", ("成交量", "换手")),
    ("moving average|sma|ema|ma", ("均线", "移动平均")),
    ("crossover|cross", ("交叉", "金叉")),
    ("rsi", ("相对强弱",)),
    ("macd", ("指数平滑异同",)),
    ("bollinger", ("布林带",)),
    ("breakout", ("突破",)),
    ("trend", ("趋势",)),
    ("value|valuation", ("价值", "估值")),
    ("size", ("市值",)),
    ("liquidity", ("流动性",)),
    ("price|prices|close", ("价格", "收盘价")),
    ("return|returns", ("收益", "收益率")),
    ("annual return|annualized return|annual_return|cagr", ("年化收益",)),
    ("sharpe", ("夏普", "夏普比率")),
    ("drawdown|max_drawdown|mdd", ("回撤", "最大回撤")),
    ("information coefficient|ic|rank ic|rank_ic|icir|rank_icir", ("信息系数", "IC")),
    ("win rate|win_rate", ("胜率",)),
    ("transaction costs?|commission|fees?", ("交易成本", "手续费")),
    ("in-sample|in_sample|training period", ("样本内",)),
    ("out-of-sample|out_of_sample|oos|test period", ("样本外",)),
    ("accepted", ("通过", "接受")),
    ("rejected", ("拒绝", "未通过")),
    ("failed|failure|error", ("失败", "错误")),
    ("done|finished|completed", ("完成",)),
    ("order|orders", ("订单", "下单")),
    ("buy|long", ("买入", "做多")),
    ("sell|short", ("卖出", "做空")),
    ("fill|filled|fills", ("成交",)),
    ("approval|approved|approve", ("审批", "批准")),
    ("denied|deny", ("拒绝",)),
    ("decision|decisions", ("决策",)),
    ("position|positions", ("持仓", "仓位")),
    ("portfolio", ("组合", "投资组合")),
    ("risk", ("风险",)),
    ("limit|limits", ("限额", "限制")),
    ("daily|day", ("日线", "每日")),
    ("weekly|week", ("每周", "周")),
    ("monthly|month", ("每月", "月")),
    ("synthetic", ("合成", "模拟数据")),
    ("universe", ("股票池",)),
    ("csi|a-share|a-shares|china", ("A股", "中国")),
    ("forecast|prediction|predict|signal", ("预测", "信号")),
    ("suggestion|advice|recommendation", ("建议",)),
    ("reward", ("奖励",)),
    ("timesteps|steps", ("步数",)),
    ("learning rate|learning_rate|lr", ("学习率",)),
    ("window|lookback|period", ("窗口", "周期")),
)

_CJK = re.compile(r"[\u3400-\u9fff]")


def has_cjk(text: str) -> bool:
    """True when ``text`` contains Chinese characters."""
    return bool(_CJK.search(text))


def _english_word(pattern: str) -> str:
    """The first alternative of an English pattern, in plain words (``s&p ?500`` -> ``s&p 500``)."""
    return pattern.split("|")[0].replace(" ?", " ")


def bridge(text: str) -> str:
    """``text``, plus the English terms of the Chinese ones it contains when it has Chinese."""
    if not has_cjk(text):
        return text
    words: list[str] = []
    for pattern, chinese in GLOSSARY:
        if any(term in text for term in chinese) and _english_word(pattern) not in words:
            words.append(_english_word(pattern))
    return f"{text} ({' '.join(words)})" if words else text
