"""Ticket-style instructions ("Task: backtest / Asset: SP500 / Cash: 100,000") read as sentences.

Desks paste requests as key-value lines (a form, a chat template, a trading ticket) in both
languages: "任务：下单 / 标的：黄金 / 数量：持仓的一半". The parsers read sentences, where a
number's meaning comes from the words around it; a bare "Cash: 100,000" or "预测周期：10日"
carries that meaning in its key. This rewrite turns each key into the words a person would
have said ("100,000 starting cash", "未来10日收益") and joins the lines into one sentence;
numbered items ("1. ... 2. ...") become sentences of their own, so they are separate steps.

Only text with at least two key-value lines (or two numbered items) is a ticket; anything
else passes unchanged. A key listed here as self-explaining ("Task", "Asset") gives its
value alone; any other key is kept with its value ("快线：8/12/16" -> "快线8/12/16"), so
nothing is dropped.
"""

from __future__ import annotations

import re
from collections.abc import Callable

__all__ = ["unfold"]

_LINE = re.compile(r"^\s*(?:[-*•]\s*)?([A-Za-z][A-Za-z0-9 _/\-()]{0,30}?|[\u4e00-\u9fffA-Za-z0-9]{1,10}?)\s*[:：]\s*(.*?)\s*$")
_NUMBERED = re.compile(r"^\s*(?:\d{1,2}|[一二三四五六七八九十])\s*[.)、．)]\s*(.+?)\s*$")
_BARE_NUMBER = re.compile(r"^\s*\$?\s*[\d,]+(?:\.\d+)?\s*(?:[kKmM]|万|千)?\s*$")
_YES = re.compile(r"\b(?:yes|y|required|require|needed|need|must|mandatory|ask|before|manual|human|true|on)\b|需要|需|要|是|必须|人工|审批|确认|先问")
_NO = re.compile(r"^\s*(?:no|none|not (?:needed|required)|n/a|false|off|不需要|无|否|不用)\s*$", re.I)

Rewrite = Callable[[str, str], str]


def _days(value: str, text: str) -> str:
    """A horizon value as forward returns ("5 days" -> "5-day forward returns"); "next day" stays."""
    if re.search(r"forward|fwd|ahead|未来|收益", value, re.I) or not re.match(r"^\s*\d", value):
        return value
    if re.search(r"[\u4e00-\u9fff]", value + text):
        number = re.sub(r"\s*(?:个交易日|交易日|日|天)\s*$", "", value)
        return f"未来{number}日收益"
    number = re.sub(r"\s*(?:trading\s+)?(?:days?|d)\s*$", "", value, flags=re.I)
    return f"{number}-day forward returns"


def _count(value: str, text: str) -> str:
    if _BARE_NUMBER.match(value.replace("个", "")) and re.search(r"factor|因子|alpha", text, re.I):
        number = value.replace("个", "").strip()
        return f"{number}个因子" if re.search(r"[\u4e00-\u9fff]", text) else f"{number} factors"
    return _quantity(value, text)


def _quantity(value: str, text: str) -> str:
    if _BARE_NUMBER.match(value):
        return f"{value}股" if re.search(r"[\u4e00-\u9fff]", text) else f"{value} units"
    return value


def _approval(value: str, text: str) -> str:
    if _NO.match(value):
        return ""
    if _YES.search(value.lower()):
        return "下单前先问我" if re.search(r"[\u4e00-\u9fff]", text) else "ask me before any order"
    return value


def _prefixed(en: str, zh: str) -> Rewrite:
    def rewrite(value: str, text: str) -> str:
        return f"{zh}{value}" if re.search(r"[\u4e00-\u9fff]", text) else f"{en} {value}"

    return rewrite


def _suffixed(en: str, zh: str) -> Rewrite:
    def rewrite(value: str, text: str) -> str:
        if en.split()[-1] in value.lower() or zh in value:
            return value  # "0.1% commission", "万三佣金": already says what it is
        if re.search(r"[\u4e00-\u9fff]", text):
            return f"{zh}{value}"
        number = re.match(r"^\s*\$?[\d,.]+\s*(?:%|bps?|bp|k|m|mm|million|thousand)?", value, re.I)
        if number is None:
            return f"{value} {en}"
        return f"{number.group(0).strip()} {en}{value[number.end():]}"  # "20000 each" -> "20000 timesteps each"

    return rewrite


def _keep(value: str, text: str) -> str:
    return value


_KEYS: dict[str, Rewrite] = {
    # what the value is says itself
    **{k: _keep for k in ("task", "asset", "assets", "instrument", "instruments", "symbol", "ticker", "universe",
                          "strategy", "strategy a", "strategy b", "strategies", "model", "models", "features",
                          "feature set", "theme", "side", "direction", "factor", "factors", "expression", "ref",
                          "reference", "need", "needs", "note", "notes", "comment", "request", "question", "algo",
                          "algorithm", "algorithms", "date", "period", "periods", "dates", "range", "window", "data",
                          "sample", "recipients", "topic", "params", "parameters",
                          "任务", "标的", "品种", "资产", "股票池", "策略", "策略a", "策略b", "模型", "特征", "主题", "方向",
                          "因子", "表达式", "算法", "区间", "时间", "日期", "数据", "评估区间", "回测区间", "参数", "要求",
                          "备注", "说明", "问题", "需求", "引用", "股票")},
    "cash": _suffixed("starting cash", "初始资金"), "capital": _suffixed("starting cash", "初始资金"),
    "starting cash": _suffixed("starting cash", "初始资金"), "initial capital": _suffixed("starting cash", "初始资金"),
    "初始资金": _prefixed("starting cash", "初始资金"), "本金": _prefixed("starting cash", "初始资金"),
    "资金": _prefixed("starting cash", "初始资金"),
    "commission": _suffixed("commission", "佣金"), "fees": _suffixed("commission", "佣金"),
    "fee": _suffixed("commission", "佣金"), "costs": _suffixed("commission", "佣金"), "cost": _suffixed("commission", "佣金"),
    "手续费": _prefixed("commission", "佣金"), "佣金": _prefixed("commission", "佣金"), "费用": _prefixed("commission", "佣金"),
    "slippage": _suffixed("slippage", "滑点"), "滑点": _prefixed("slippage", "滑点"),
    "grid": _prefixed("grid search", "网格搜索"), "search": _prefixed("grid search", "网格搜索"),
    "params to search": _prefixed("tune", "调参"), "parameters to search": _prefixed("tune", "调参"),
    "tune": _prefixed("tune", "调参"), "搜索参数": _prefixed("tune", "调参"), "调参": _prefixed("tune", "调参"),
    "参数网格": _prefixed("grid search", "网格搜索"), "网格": _prefixed("grid search", "网格搜索"),
    "in-sample": _prefixed("in-sample", "样本内"), "in sample": _prefixed("in-sample", "样本内"),
    "is": _prefixed("in-sample", "样本内"), "train": _prefixed("train on", "训练集"),
    "training": _prefixed("train on", "训练集"), "样本内": _prefixed("in-sample", "样本内"),
    "训练": _prefixed("train on", "训练集"), "训练集": _prefixed("train on", "训练集"),
    "valid": _prefixed("validate on", "验证集"), "validation": _prefixed("validate on", "验证集"),
    "验证": _prefixed("validate on", "验证集"), "验证集": _prefixed("validate on", "验证集"),
    "test": _prefixed("test on", "测试集"), "testing": _prefixed("test on", "测试集"),
    "测试": _prefixed("test on", "测试集"), "测试集": _prefixed("test on", "测试集"),
    "out-of-sample": _prefixed("out-of-sample", "样本外"), "out of sample": _prefixed("out-of-sample", "样本外"),
    "oos": _prefixed("out-of-sample", "样本外"), "hold-out": _prefixed("hold out", "样本外"),
    "holdout": _prefixed("hold out", "样本外"), "样本外": _prefixed("out-of-sample", "样本外"),
    "horizon": _days, "forward horizon": _days, "forward": _days, "forward returns": _days, "label": _days,
    "prediction horizon": _days, "预测周期": _days, "预测期": _days, "持有期": _days, "标签": _days, "预测窗口": _days,
    "count": _count, "number": _count, "how many": _count, "数量": _count, "个数": _count,
    "quantity": _quantity, "qty": _quantity, "size": _quantity, "shares": _quantity, "units": _quantity,
    "notional": _prefixed("worth", "金额"), "amount": _prefixed("worth", "金额"), "金额": _prefixed("worth", "金额"),
    "approval": _approval, "approve": _approval, "审批": _approval, "确认": _approval, "人工审批": _approval,
    "follow-up": _prefixed("then", "然后"), "follow up": _prefixed("then", "然后"), "then": _prefixed("then", "然后"),
    "next": _prefixed("then", "然后"), "后续": _prefixed("then", "然后"), "然后": _prefixed("then", "然后"),
    "timesteps": _suffixed("timesteps", "训练步数"), "steps": _suffixed("timesteps", "训练步数"),
    "训练步数": _prefixed("timesteps", "训练步数"), "seed": _prefixed("seed", "随机种子"),
    "随机种子": _prefixed("seed", "随机种子"), "种子": _prefixed("seed", "随机种子"),
    "suggestion": _keep, "advice": _keep, "建议": _keep,
}


def _key(raw: str) -> str:
    key = raw.strip().lower()
    key = re.sub(r"\s*\(.*?\)\s*$", "", key)
    return key


#: Pieces of one line: " | " separated, or "key：value；key：value" on a single line.
_PIECES = re.compile(r"\s+\|\s+|\s*[;；]\s*(?=[\u4e00-\u9fffA-Za-z][\u4e00-\u9fffA-Za-z0-9 _]{0,12}\s*[:：])")


def unfold(text: str) -> str:
    """``text`` with a ticket's lines rewritten as one sentence (numbered items as sentences)."""
    lines = [piece for line in text.splitlines() for piece in _PIECES.split(line) if piece.strip()]
    keyed = [_LINE.match(line) for line in lines]
    if sum(1 for m in keyed if m is not None) < 2 and sum(1 for line in lines if _NUMBERED.match(line)) < 2:
        return text
    zh = bool(re.search(r"[\u4e00-\u9fff]", text))
    numbered_items = any(_NUMBERED.match(line) for line in lines)
    sentences: list[list[str]] = [[]]
    for line, match in zip(lines, keyed, strict=True):
        numbered = _NUMBERED.match(line)
        if numbered is not None:
            sentences += [[numbered.group(1).rstrip("。.;；")], []]
            continue
        if match is None:
            sentences[-1].append(line.strip())
            continue
        key, value = _key(match.group(1)), match.group(2).strip().replace(";", ",").replace("；", "，")
        if not value or (numbered_items and key in ("task", "任务")):
            continue  # the items say what to do; the header only summarises them
        rewrite = _KEYS.get(key)
        said = rewrite(value, text) if rewrite is not None else (f"{match.group(1).strip()}{value}" if zh
                                                                   else f"{match.group(1).strip()} {value}")
        if said:
            sentences[-1].append(said)
    comma, stop = ("，", "。") if zh else (", ", "; ")
    return stop.join(comma.join(parts) for parts in sentences if parts)
