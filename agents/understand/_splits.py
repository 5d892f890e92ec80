"""Splits of the history said as shares of it: "first 70% for training, next 15% validation, last
15% test", "60/20/20 train/valid/test", "前80%的数据做样本内，后20%做样本外", "按7:3划分训练集和测试集".

A researcher often names the split, not the dates; the dates then depend on the data, so the
parts are cut here from the instrument's first and last bar (calendar days, in time order: the
training part first, then validation, then test). The percentages are claimed, so "前70%" is
never read as the top 70 % of a ranking or 70 % of the account.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from agents.understand._numbers import Span
from agents.understand._periods import PeriodMention, Role

__all__ = ["SplitPart", "find_splits", "split_periods"]


@dataclass(frozen=True)
class SplitPart:
    """One part of a split: its role, its share of the history (None: "the rest") and the words."""

    role: Role
    share: float | None
    span: Span


_PCT = (r"(?:(?P<pct>\d{1,2}(?:\.\d+)?)\s*(?:%|％|percent|pct)"
        r"|(?P<frac>(?:a\s+|one\s+|the\s+)?half|(?:(?:a|one|two)\s+)?thirds?|(?:(?:a|one|three)\s+)?quarters?|一半|[二三四]分之[一二三]))")
_ROLE_EN = (r"(?P<role>train(?:ing)?(?:\s+set)?|fit(?:ting)?|in[- ]sample|(?<![a-z])is(?![a-z])|valid(?:ation|ate)?(?:\s+set)?"
            r"|val(?![a-z])|dev(?:\s+set)?|test(?:ing)?(?:\s+set)?|out[- ]of[- ]sample|(?<![a-z])oos(?![a-z])"
            r"|hold(?:ing)?[- ]?out|held[- ]?out|hold(?:ing)?\s+back|keep(?:ing)?\s+back|set(?:ting)?\s+aside"
            r"|optimi[sz](?:e|ing|ation)|tun(?:e|ing))")
_ROLE_ZH = r"(?P<role>训练集?|样本内|验证集?|测试集?|样本外|回测|优化|调参|检验|留出|留作)"
_OF_DATA = (r"(?:\s+of\s+(?:the\s+|that\s+|this\s+)?(?:[\w&]+\s+)?(?:data|history|dates|sample|period|series|days|bars|timeline"
            r"|observations|window|range|span))?(?:\s+(?:by\s+time|chronologically))?")
_LINK_EN = (r"\s*(?:,\s*)?(?:(?:is|are|goes|go|used|use|reserved|kept|set\s+aside)\s+)?(?:(?:for|as|to|into|in|on)\s+)?"
            r"(?:the\s+)?")
_LINK_ZH = r"(?:的?(?:数据|样本|历史|时间|日期|区间))?\s*(?:来|拿来|拿去|用来|用于|用作|作为|做|作|当|当作|为|给|留作|留给)?\s*"

#: Where in the history a part lies ("the first 70%", "the final third").
_WHERE_EN = r"first|initial|earliest|next|following|middle|last|final|latest|most\s+recent|remaining"
#: "first 70% (of the data) for training", "the last 15% as test", "next 15% validation".
_PART_EN = re.compile(rf"(?<![a-z])(?:the\s+)?(?P<where>{_WHERE_EN}|opening|then|trailing)\s+{_PCT}{_OF_DATA}{_LINK_EN}{_ROLE_EN}")
#: "70% train", "15% for validation", "20% out-of-sample".
_BARE_EN = re.compile(rf"(?<![\d.]){_PCT}{_OF_DATA}{_LINK_EN}{_ROLE_EN}")
#: "train on the first 70%", "test on the last 20%", "hold out the final 25%".
_ROLE_FIRST_EN = re.compile(rf"{_ROLE_EN}\s+(?:on|with|using|over)?\s*(?:the\s+)?(?P<where>{_WHERE_EN})\s+{_PCT}{_OF_DATA}")
#: "训练集占70%，测试集占50%", "样本外用30%".
_ROLE_FIRST_ZH = re.compile(rf"{_ROLE_ZH}\s*(?:占|为|是|用|取|拿)\s*{_PCT}")
#: "前70%训练", "中间15%验证", "最后15%测试", "后20%做样本外", "剩下30%测试".
_PART_ZH = re.compile(rf"(?P<where>前|开头的?|最早的?|中间的?|接下来的?|随后的?|之后的?|然后|再|最后的?|后面的?|后|剩下的?|剩余的?|其余的?)"
                      rf"\s*{_PCT}{_LINK_ZH}{_ROLE_ZH}")
#: "70%训练，30%测试".
_BARE_ZH = re.compile(rf"(?<![\d.]){_PCT}{_LINK_ZH}{_ROLE_ZH}")
#: "60/20/20 train/valid/test", "80/20 train-test split", "train/valid/test 70/15/15", "6:2:2", "按7:3划分训练集和测试集".
_RATIO = r"(?P<a>\d{1,2})\s*[/:：比]\s*(?P<b>\d{1,2})(?:\s*[/:：比]\s*(?P<c>\d{1,2}))?(?![\d/])"
_RATIO_RE = re.compile(rf"(?<![\d/.:]){_RATIO}")
_RATIO_ROLES = re.compile(r"train(?:ing)?|valid(?:ation)?|val(?![a-z])|dev(?![a-z])|test(?:ing)?|in[- ]sample|out[- ]of[- ]sample"
                          r"|(?<![a-z])(?:is|oos)(?![a-z])|in\s*/\s*out(?:\s+of)?(?:[- ]sample)?|样本内外|训练集?|验证集?|测试集?|样本内|样本外")
_SPLIT_WORD = re.compile(r"split|partition|divide|划分|切分|分成|拆分|比例|分割|切|分(?=训练|样本)|按")
#: "the rest for testing", "剩下的做测试" after a share.
_REST_EN = re.compile(rf"(?<![a-z])(?:the\s+)?(?:rest|remainder|remaining(?:\s+(?:data|part|dates|period))?|everything\s+else)"
                      rf"{_OF_DATA}{_LINK_EN}{_ROLE_EN}")
_REST_ZH = re.compile(rf"(?:剩下的|剩余的?|其余的?|余下的|后面的|其他的)(?:部分|数据|全部)?{_LINK_ZH}{_ROLE_ZH}")


def _role(word: str) -> Role:
    word = word.strip()
    if re.match(r"valid|val|dev|验证", word):
        return "valid"
    if re.match(r"test|out|oos|hold|held|keep|set|测试|样本外|回测|检验|留", word):
        return "test"
    return "train"


_FRACTIONS = {"half": 50.0, "一半": 50.0, "二分之一": 50.0, "三分之一": 100 / 3, "三分之二": 200 / 3, "四分之一": 25.0,
              "四分之二": 50.0, "四分之三": 75.0}


def _share(m: re.Match[str]) -> float | None:
    """The share a match states, in percent ("70%", "a third", "四分之三")."""
    if m.group("pct"):
        return float(m.group("pct"))
    words = re.sub(r"^(?:a|one|the)\s+", "", m.group("frac")).strip()
    if words in _FRACTIONS:
        return _FRACTIONS[words]
    count = 2 if words.startswith("two") else 3 if words.startswith("three") else 1
    return count * (100 / 3 if "third" in words else 25.0 if "quarter" in words else 50.0)


def _ratio_roles(norm: str, start: int, end: int) -> list[Role]:
    """The roles named beside a ratio, in the order said ("train/valid/test 60/20/20")."""
    around = norm[max(0, start - 40):min(len(norm), end + 40)]
    roles: list[Role] = []
    for m in _RATIO_ROLES.finditer(around):
        for role in (("train", "test") if re.match(r"in\s*/\s*out|样本内外", m.group(0)) else (_role(m.group(0)),)):
            if role not in roles:
                roles.append(role)  # type: ignore[arg-type]
    return roles


def find_splits(norm: str) -> list[SplitPart]:
    """The parts of a split said as shares of the history, in the order of the text."""
    parts: list[SplitPart] = []
    taken: list[tuple[int, int]] = []

    def add(role: Role, share: float | None, start: int, end: int, shared: bool = False) -> None:
        if (not shared and any(a < end and start < b for a, b in taken)) or any(p.role == role for p in parts):
            return
        if share is not None and not 0 < share < 100:
            return
        taken.append((start, end))
        parts.append(SplitPart(role, share, Span(start, end, norm[start:end])))

    for pattern in (_ROLE_FIRST_EN, _ROLE_FIRST_ZH, _PART_EN, _BARE_EN, _PART_ZH, _BARE_ZH):
        for m in pattern.finditer(norm):
            frac = m.group("frac") or ""
            if re.fullmatch(r"thirds?|quarters?", frac) and " of " not in m.group(0):
                continue  # "hold out the last quarter": a calendar quarter, unless said "of the data"
            add(_role(m.group("role")), _share(m), m.start(), m.end())
    if not parts:
        for m in _RATIO_RE.finditer(norm):
            shares = [float(g) for g in (m.group("a"), m.group("b"), m.group("c")) if g]
            roles = _ratio_roles(norm, m.start(), m.end())
            near_split = _SPLIT_WORD.search(norm[max(0, m.start() - 30):m.end() + 30]) is not None
            if len(roles) < len(shares) or not (90 <= sum(shares) <= 110 or near_split) or max(shares) <= 0:
                continue
            scale = 100.0 / sum(shares)
            for role, share in zip(roles, shares, strict=False):
                add(role, share * scale, m.start(), m.end(), shared=True)
            break
    if parts and len(parts) < 3:
        after = max(p.span.end for p in parts)
        rest = _REST_EN.search(norm, after) or _REST_ZH.search(norm, after)
        if rest is not None:
            add(_role(rest.group("role")), None, rest.start(), rest.end())
    return sorted(parts, key=lambda p: p.span.start)


_ORDER: dict[str, int] = {"train": 0, "valid": 1, "test": 2}


def overfull(parts: list[SplitPart]) -> bool:
    """Shares that add up to more than the whole ("训练集占70%，测试集占50%"): asked, never cut."""
    return sum(p.share or 0.0 for p in parts) > 100.5


def split_periods(parts: list[SplitPart], first: date, last: date) -> list[PeriodMention]:
    """The parts as windows of ``first..last``: cut by calendar days, training first, then
    validation, then test; a part said as "the rest", or missing from a two-part split whose
    shares fall short, takes what is left."""
    if not parts or last <= first:
        return []
    ordered = sorted(parts, key=lambda p: _ORDER[p.role])
    days = (last - first).days
    if len(ordered) == 1:
        # one part said ("hold out the last 20%", "first 80% for training"): the other one is the rest
        only = ordered[0]
        if only.share is None or only.role == "valid":
            return []
        train_share = only.share if only.role == "train" else 100.0 - only.share
        cut = first + timedelta(days=round(days * train_share / 100))
        return [PeriodMention("train", first, cut, only.span), PeriodMention("test", cut + timedelta(days=1), last, only.span)]
    known = sum(p.share or 0.0 for p in ordered)
    if known > 100.5:
        return []
    out: list[PeriodMention] = []
    begin, used = first, 0.0
    for i, part in enumerate(ordered):
        used += part.share if part.share is not None else 100.0 - known
        end = last if i == len(ordered) - 1 else first + timedelta(days=round(days * used / 100))
        if end < begin:
            return []
        out.append(PeriodMention(part.role, begin, min(end, last), part.span))
        begin = end + timedelta(days=1)
    return out
