"""The quantities a quant states in an instruction, in English and Chinese.

Why this module exists: every value in an instruction must be read as stated or not at all.
Defects it replaces: "把原油仓位减掉一半" became "sell 1" (the 一 of 一半 read as a numeral,
半 ignored); a home-made numeral parser read 三十万 as 10030, 十二万 as 20010 and 一千二百万
as 11200; "commission of 3 bps" and "佣金万三" were ignored. So the rule throughout is: when a
reading is ambiguous, return nothing rather than a guess.

Public functions are pure (no I/O). Spans index the ORIGINAL text: normalisation (full-width
digits, letters and signs to ASCII) maps one character to one character so offsets hold.

Decisions, stated once:

- A :class:`NumberMention`'s span covers the numeral and its unit ("3 lots", "$10,000").
  Units are normalised; a relative unit is re-expressed so no value is misread: ``1‰`` and
  ``千分之一`` are 0.1 percent, ``万分之三`` and the cost jargon ``万三`` are 3 bp, ``三成`` is 30
  percent, ``一年半`` is 1.5 years.
- :func:`find_numbers` leaves out what is not an amount: dates (2021年, 3月, 2019-01-01, "since
  2019"), times, ordinals (第一), identifiers (SP500, SYN007, 600519.SH, 沪深300, T+1),
  approximations (十几, 三五天, 一百多万), fractions (一半, 三分之一, "two thirds") and words in
  which a numeral character is not a quantity (一些, 一起, 统一, 万一, 周一, 一个 as an article).
- "8,12,16" is a list of three numbers; "1,200" is 1200; "1/3" (one digit over one digit) is a
  fraction, "10/30" two parameters.
- Cost rates are per side (one leg): a round-trip total (来回, 一买一卖合计, "round trip") is halved, so
  "20bp round trip" is 0.001; 双边 / "both sides" says the rate is charged on each side
  ("手续费按万二点五双边收": 2.5 bp a side), so it is not halved. A percentage is a cost only next to a cost word ("0.1%" alone is not).
  Units that mean nothing but a cost (bp, ‰, 万分之, the jargon 万N / 千N standing alone between
  commas) are an unspecified ``cost`` without one ("bt sma spx 3bp"), unless a threshold word
  is next to them ("spread above 5bp"). Elsewhere 万一 means "in case" and is no number.
- :func:`find_quantity` returns the first order size it can read unambiguously. A target
  ("reduce to 10%"), a cap ("up to 10%"), a selection ("top 5%"), a threshold ("stop loss
  5%"), a price ("at $50") or a bare number without a trade verb right before it is not an
  order size. 仓位 with a buy (or no) verb is a share of equity (三成仓位 = 30 %); with a sell
  verb it is a fraction of the position.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal, NamedTuple

__all__ = [
    "CostMention",
    "NumberMention",
    "QuantityMention",
    "Span",
    "find_costs",
    "find_numbers",
    "find_quantity",
    "find_fractions",
    "order_sides",
    "parse_fraction",
    "relative_sizes",
    "parse_number",
]

CostKind = Literal["commission", "slippage", "cost"]
QuantityKind = Literal["units", "lots", "notional", "pct_equity", "fraction_of_position"]
Side = Literal["buy", "sell"]


@dataclass(frozen=True)
class Span:
    """A piece of the original text: ``text == original[start:end]``."""

    start: int
    end: int
    text: str


@dataclass(frozen=True)
class NumberMention:
    """A numeral found in a text, with the unit word that follows it, normalised."""

    span: Span
    value: float
    unit: str | None


@dataclass(frozen=True)
class CostMention:
    """A stated trading cost; ``rate`` is a fraction of traded value, per side."""

    span: Span
    kind: CostKind
    rate: float


@dataclass(frozen=True)
class QuantityMention:
    """The order size of a trading instruction, as the person put it."""

    span: Span
    kind: QuantityKind
    value: float
    side: Side | None


class _LazyRe:
    """A regex compiled on first use: the planner imports this module and must start fast.

    Compiling the ~80 patterns below costs about 25 ms, which only a parse should pay.
    """

    __slots__ = ("_compiled", "_flags", "_pattern")

    def __init__(self, pattern: str, flags: int = 0) -> None:
        self._pattern, self._flags = pattern, flags
        self._compiled: re.Pattern[str] | None = None

    def _rx(self) -> re.Pattern[str]:
        if self._compiled is None:
            self._compiled = re.compile(self._pattern, self._flags)
        return self._compiled

    def match(self, s: str, pos: int = 0, endpos: int = sys.maxsize) -> re.Match[str] | None:
        return self._rx().match(s, pos, endpos)

    def fullmatch(self, s: str, pos: int = 0, endpos: int = sys.maxsize) -> re.Match[str] | None:
        return self._rx().fullmatch(s, pos, endpos)

    def search(self, s: str, pos: int = 0, endpos: int = sys.maxsize) -> re.Match[str] | None:
        return self._rx().search(s, pos, endpos)

    def finditer(self, s: str, pos: int = 0, endpos: int = sys.maxsize) -> Iterator[re.Match[str]]:
        return self._rx().finditer(s, pos, endpos)

    def sub(self, repl: str, s: str) -> str:
        return self._rx().sub(repl, s)


# --------------------------------------------------------------------------------------------
# Normalisation
# --------------------------------------------------------------------------------------------

# Full-width ASCII (digits, letters, ％ ． ＄ ...) to ASCII, one character for one. Chinese
# clause punctuation (，；！？（）) is kept: "１００，２００" must not read as 100200.
_NORMALISE = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F) if chr(cp) not in "，；！？（）"}
_NORMALISE.update({0x3000: 0x20, 0xFFE5: ord("¥"), 0x2212: ord("-")})
_THOUSANDS_RE = _LazyRe(r"(?<=[0-9])，(?=[0-9]{3}(?![0-9]))")


def _normalise(text: str) -> str:
    """Map full-width forms to ASCII without changing the length (spans stay valid).

    A full-width comma is a thousands separator only between digit groups (１，２００).
    """
    return _THOUSANDS_RE.sub(",", text.translate(_NORMALISE))


# --------------------------------------------------------------------------------------------
# Chinese numerals
# --------------------------------------------------------------------------------------------

_ZEROS = "零〇○"
_CN_DIGIT = {c: i for i, cs in enumerate(
    ["", "一壹", "二贰貳两兩", "三叁參", "四肆", "五伍", "六陆陸", "七柒", "八捌", "九玖"]) for c in cs}
_CN_SMALL = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000}
_BIG_LEVELS = (("亿億", Decimal(10) ** 8), ("万萬", Decimal(10) ** 4))
_DIGITS = _ZEROS + "".join(_CN_DIGIT)
_UNITS = "".join(_CN_SMALL) + "万萬亿億"
_CN_NUM = _DIGITS + _UNITS
_UNIT_VALUE = {**{c: Decimal(v) for c, v in _CN_SMALL.items()}, "万": Decimal(10) ** 4,
               "萬": Decimal(10) ** 4, "亿": Decimal(10) ** 8, "億": Decimal(10) ** 8}

_ARABIC_TOKEN_RE = _LazyRe(r"(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]+)?")
_CN_ALLOWED_RE = _LazyRe(rf"[0-9.,{_CN_NUM}点點]+")
_CN_TAIL_RE = _LazyRe(rf"([0-9{_DIGITS}]+)([{_UNITS}]*)")
_MAX_NUMERAL = 40  # longer runs are not one numeral (and would recurse deeply)
_ARABIC_ONLY_RE = _LazyRe(r"[0-9.,]+")


class _Tok(NamedTuple):
    kind: Literal["arabic", "digit", "zero", "unit"]
    value: Decimal
    width: int


def _cn_tokens(s: str) -> list[_Tok] | None:
    """Split a Chinese (or mixed, "1.5万") numeral into digits, zeros, units and Arabic numbers."""
    tokens: list[_Tok] = []
    i = 0
    while i < len(s):
        m = _ARABIC_TOKEN_RE.match(s, i)
        if m:
            tokens.append(_Tok("arabic", Decimal(m.group().replace(",", "")), m.end() - i))
            i = m.end()
            continue
        ch = s[i]
        if ch in _ZEROS:
            tokens.append(_Tok("zero", Decimal(0), 1))
        elif ch in _CN_DIGIT:
            tokens.append(_Tok("digit", Decimal(_CN_DIGIT[ch]), 1))
        elif ch in _CN_SMALL:
            tokens.append(_Tok("unit", Decimal(_CN_SMALL[ch]), 1))
        else:
            return None
        i += 1
    return tokens


def _digit_sequence(tokens: list[_Tok]) -> Decimal | None:
    """A numeral without units: one number, or digits read one by one (二〇一九 = 2019)."""
    if len(tokens) == 1:
        return tokens[0].value
    if all(t.kind in ("digit", "zero") for t in tokens):
        if len(tokens) == 2 and tokens[0].kind == "digit" and (int(tokens[0].value), int(tokens[1].value)) in _ROUGHLY:
            return None  # "两三手", "三五百": a rough count (2 or 3), not 23 - the caller asks how many
        return Decimal("".join(str(int(t.value)) for t in tokens))
    return None


#: Neighbouring numerals said together ("一两", "两三", "三五", "七八"): a rough count, never a two-digit number.
_ROUGHLY = frozenset({(1, 2), (2, 3), (3, 4), (3, 5), (4, 5), (5, 6), (6, 7), (7, 8)})


def _apply_unit(pending: _Tok | None, unit: Decimal, last_unit: Decimal | None) -> Decimal | None:
    """The value one digit-and-unit pair adds (二百 -> 200); units must fall (千 before 百)."""
    if last_unit is not None and unit >= last_unit:
        return None
    if pending is None:
        return unit if unit == 10 else None  # 十二 = 12, but 千一 is jargon, not 1100
    if not 0 < pending.value < 10:
        return None
    return pending.value * unit


def _finish_section(total: Decimal, pending: _Tok | None, last_unit: Decimal, gap: bool) -> Decimal | None:
    """Add a trailing digit: literal after 零 or 十 (一百零五, 十五), else colloquial (三千五 = 3500)."""
    if pending is None:
        return total
    if gap or last_unit == 10:
        return total + pending.value if pending.value < last_unit else None
    if pending.width != 1 or pending.value != pending.value.to_integral_value():
        return None
    return total + pending.value * last_unit / 10


def _walk_section(tokens: list[_Tok]) -> Decimal | None:
    """Value of a numeral below 万 that has units, e.g. 一千零五十."""
    total, pending, last_unit, gap = Decimal(0), None, None, False
    for tok in tokens:
        if tok.kind == "unit":
            step = _apply_unit(pending, tok.value, last_unit)
            if step is None:
                return None
            total, pending, last_unit, gap = total + step, None, tok.value, False
        elif tok.kind == "zero":
            if last_unit is None or pending is not None:
                return None
            gap = True
        elif pending is not None:
            return None  # two digits in a row with units around: 三四十 is a range, not a number
        else:
            pending = tok
    return None if last_unit is None else _finish_section(total, pending, last_unit, gap)


def _parse_cn_section(s: str) -> Decimal | None:
    """Value of the part of a numeral below 万 (no 万 or 亿 in ``s``)."""
    tokens = _cn_tokens(s)
    if not tokens:
        return None
    if all(t.kind != "unit" for t in tokens):
        return _digit_sequence(tokens)
    if len(tokens) == 1:
        return tokens[0].value  # 百 / 千 alone, as in 百万, 千万
    return _walk_section(tokens)


def _parse_cn_low(right: str, mult: Decimal) -> Decimal | None:
    """The part after 万 or 亿: 一万五 = 15000 (colloquial), 一万零五 = 10005, 一万五千 = 15000."""
    if not right:
        return Decimal(0)
    if right[0] in _ZEROS:
        rest = right.lstrip(_ZEROS)
        low = _parse_cn_int(rest) if rest else None
        return low if low is not None and low < mult / 10 else None
    if len(right) == 1 and (right in _CN_DIGIT or right.isdigit()):
        return _digit_value(right) * mult / 10
    low = _parse_cn_int(right)
    return low if low is not None and low < mult else None


def _combine_big(left: str, right: str, mult: Decimal) -> Decimal | None:
    """Value of ``left`` 万/亿 ``right``; the multiplier applies to the whole left part (三十万)."""
    if not left:
        return mult if not right else None  # 万 alone = 10000, but 万三 is cost jargon
    high = _parse_cn_int(left)
    if high is None or high <= 0 or (high >= mult and not _ARABIC_ONLY_RE.fullmatch(left)):
        return None
    low = _parse_cn_low(right, mult)
    return None if low is None else high * mult + low


def _parse_cn_int(s: str) -> Decimal | None:
    """Value of a numeral without 点, split at its last 亿, then at its last 万."""
    for chars, mult in _BIG_LEVELS:
        idx = max(s.rfind(c) for c in chars)
        if idx >= 0:
            return _combine_big(s[:idx], s[idx + 1:], mult)
    return _parse_cn_section(s)


def _digit_value(ch: str) -> Decimal:
    """One Chinese or Arabic digit."""
    return Decimal(0) if ch in _ZEROS else Decimal(_CN_DIGIT[ch] if ch in _CN_DIGIT else int(ch))


def _unit_chain(units: str) -> Decimal:
    """The multiplier of trailing units, e.g. 百万 -> 10^6."""
    result = Decimal(1)
    for ch in units:
        result *= _UNIT_VALUE[ch]
    return result


def _parse_cn_decimal(s: str) -> Decimal | None:
    """零点五 = 0.5, 三点五万 = 35000: integer part, 点, digits read one by one, units."""
    head, _, tail = s.replace("點", "点").partition("点")
    m = _CN_TAIL_RE.fullmatch(tail)
    whole = _parse_cn_int(head) if head else None
    if m is None or whole is None or whole != whole.to_integral_value() or len(m.group(2)) > 2:
        return None
    digits = "".join(str(_digit_value(c)) for c in m.group(1))
    return Decimal(f"{int(whole)}.{digits}") * _unit_chain(m.group(2))


def _parse_cn(s: str) -> Decimal | None:
    """Value of a Chinese, Arabic or mixed numeral ("三十万", "1.5万", "5百万"), or None."""
    if not s or len(s) > _MAX_NUMERAL or not _CN_ALLOWED_RE.fullmatch(s):
        return None
    if "点" in s or "點" in s:
        return _parse_cn_decimal(s)
    return _parse_cn_int(s)


# --------------------------------------------------------------------------------------------
# English and Arabic numerals
# --------------------------------------------------------------------------------------------

_EN_SMALL = {w: i for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen".split())}
_EN_TENS = {w: 10 * i for i, w in enumerate("twenty thirty forty fifty sixty seventy eighty ninety".split(), 2)}
_EN_BIG = {"thousand": 10**3, "million": 10**6, "billion": 10**9, "trillion": 10**12}
_EN_WORD = "|".join(sorted([*_EN_SMALL, *_EN_TENS, *_EN_BIG, "hundred", "dozen"], key=len, reverse=True))
_SCALE = {"k": 10**3, "thousand": 10**3, "m": 10**6, "mm": 10**6, "mn": 10**6, "million": 10**6,
          "b": 10**9, "bn": 10**9, "billion": 10**9, "trillion": 10**12, "hundred": 100}
_ARABIC_FULL_RE = _LazyRe(
    r"([-+]?(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]+)?|[-+]?\.[0-9]+)([eE][-+]?[0-9]+)?"
    r"(?:\s*(thousand|million|billion|trillion|hundred|k|mm|mn|m|bn|b))?", re.IGNORECASE)


class _EnState(NamedTuple):
    total: int
    current: int
    prev: str | None
    last_big: int


def _en_step(st: _EnState, word: str) -> _EnState | None:
    """Read one English number word; None where the sequence is not one number."""
    total, current, prev, last_big = st
    if word in ("a", "an"):
        return _EnState(0, 1, "a", 0) if prev is None else None
    if word == "and":
        return st._replace(prev="and") if prev in ("hundred", "big") else None
    if word in _EN_SMALL:
        ok = prev in (None, "and", "hundred", "big") or (prev == "tens" and 0 < _EN_SMALL[word] < 10)
        return _EnState(total, current + _EN_SMALL[word], "small", last_big) if ok else None
    if word in _EN_TENS:
        ok = prev in (None, "and", "hundred", "big")
        return _EnState(total, current + _EN_TENS[word], "tens", last_big) if ok else None
    if word == "hundred":
        ok = prev in ("a", "small", "tens") and 0 < current < 100
        return _EnState(total, current * 100, "hundred", last_big) if ok else None
    if word == "dozen":
        return _EnState(total, current * 12, "dozen", last_big) if prev in ("a", "small") else None
    big = _EN_BIG.get(word)
    if big is None or current == 0 or prev == "and" or (last_big and big >= last_big):
        return None
    return _EnState(total + current * big, 0, "big", big)


def _parse_en_words(s: str) -> Decimal | None:
    """Value of an English numeral in words: "twenty-five", "a hundred", "two thousand and five"."""
    words = re.split(r"[\s-]+", s.strip().lower())
    state: _EnState | None = _EnState(0, 0, None, 0) if len(words) <= _MAX_NUMERAL else None
    for word in words:
        state = _en_step(state, word) if state is not None else None
    if state is None or state.prev in (None, "a", "and"):
        return None
    return Decimal(state.total + state.current)


def _parse_arabic(s: str) -> Decimal | None:
    """Value of "1,200", "2.5", "1e3", "2k", "1.2m", "1.2 million"; None for anything else."""
    m = _ARABIC_FULL_RE.fullmatch(s)
    if m is None:
        return None
    value = Decimal(m.group(1).replace(",", "") + (m.group(2) or ""))
    return value * _SCALE[m.group(3).lower()] if m.group(3) else value


def _as_float(value: Decimal) -> float:
    """The API's float, from the exact Decimal the parsers compute (1.1万 is 11000.0, not 11000.000000000002)."""
    return float(value)


def parse_number(text: str) -> float | None:
    """Read ``text`` as one numeral (English, Chinese or mixed); None if it is not exactly one.

    Relative amounts ("30%", "一半", "三成") are not numerals here: see :func:`parse_fraction`.
    """
    s = _normalise(text).strip()
    if not s:
        return None
    for parse in (_parse_arabic, _parse_cn, _parse_en_words):
        value = parse(s)
        if value is not None:
            return _as_float(value)
    return None


# --------------------------------------------------------------------------------------------
# Finding numerals in a text
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Num:
    start: int
    end: int
    value: Decimal
    unit: str | None
    source: str  # "run", "word", "per", "cheng", "jargon", "half"
    numeral: str  # the numeral's own text, without unit: tells "0.001" from "1"


@dataclass(frozen=True)
class _Term:
    start: int
    end: int
    kind: CostKind
    modifier: Literal["single", "double"] | None


_I = re.IGNORECASE
_EN_UNITS: list[tuple[_LazyRe, str | None, Decimal]] = [
    (_LazyRe(p, _I), unit, Decimal(f)) for p, unit, f in [
        (r"\s*%", "percent", "1"), (r"\s*‰", "percent", "0.1"), (r"\s*‱", "bp", "1"),
        (r"[\s-]*(?:trading|business)[\s-]+days?(?![a-z])", "day", "1"),
        (r"[\s-]*(?:days?|sessions?)(?![a-z])", "day", "1"), (r"d(?![a-z])", "day", "1"),
        (r"[\s-]*weeks?(?![a-z])|wk(?![a-z])|w(?![a-z])", "week", "1"),
        (r"[\s-]*(?:months?|mths?)(?![a-z])|mo(?![a-z])", "month", "1"),
        (r"[\s-]*(?:years?|yrs?)(?![a-z])|y(?![a-z])", "year", "1"),
        (r"[\s-]*(?:time[\s-]?steps?|timesteps?|steps)(?![a-z])", "step", "1"),  # not "20 step 5"
        (r"[\s-]*shares?(?![a-z])", "share", "1"),
        (r"[\s-]*(?:lots?|contracts?)(?![a-z])", "lot", "1"),
        (r"[\s-]*units?(?![a-z])", "unit", "1"),
        (r"[\s-]*(?:per\s*cent|percent|pct)(?![a-z])", "percent", "1"),
        (r"[\s-]*个?\s*(?:basis[\s-]+points?|bps?|bips?)(?![a-z])", "bp", "1"),
        (r"[\s-]*(?:yuan|rmb|cny|renminbi)(?![a-z])", "yuan", "1"),
        (r"[\s-]*(?:usd|us\s+dollars?|dollars?|bucks)(?![a-z])", "usd", "1"),
        (r"[\s-]*grand(?![a-z])", "usd", "1000"),  # "ten grand of SYN066": $10,000, never 10,000 shares
        (r"x(?![a-z])", None, "1"),  # leverage, "3x": a number, not an identifier
    ]
]
_CN_UNITS: list[tuple[_LazyRe, str | None, Decimal]] = [
    (_LazyRe(r"\s*" + p), unit, Decimal(1)) for p, unit in [
        (r"个?(?:交易日|工作日)", "day"), (r"天|日(?!期)", "day"), (r"个?(?:星期|礼拜)|周", "week"),
        (r"个月", "month"), (r"年(?![化度报])", "year"), (r"步(?!长|骤|伐)", "step"),
        (r"股(?![票价息东份指本权市])", "share"), (r"手(?![续机里中动法段])", "lot"),
        (r"张|个?合约", "lot"), (r"份(?!额)|个?单位", "unit"), (r"个?百分点", "percent"),
        (r"个?基点", "bp"), (r"元|块钱?|人民币", "yuan"), (r"美元|美金|刀", "usd"), (r"倍", None),
    ]
]
_HALF_UNIT_RE = _LazyRe(r"\s*(?:个\s*)?半\s*(?:个\s*)?(年|月|天|日|周|星期|礼拜)")
_HALF_UNIT = {"年": "year", "月": "month", "天": "day", "日": "day", "周": "week", "星期": "week", "礼拜": "week"}
_MORE_RE = _LazyRe(r"\s+(?:more|additional|extra|further|new)(?=\s)", _I)
_TRAILING_HALF_RE = _LazyRe(r"半(?![导价路夜成场数])")
_CURRENCY_PREFIX_RE = _LazyRe(r"(?:US\$|\$|¥|\b(?:USD|RMB|CNY)\s?)$", _I)
_SUFFIX_RE = _LazyRe(
    r"[eE][-+]?[0-9]+(?![A-Za-z0-9])|\s?(thousand|million|billion|trillion|hundred)\b|(k|mm|mn|m|bn|b)(?![A-Za-z])", _I)
_BAR_RE = _LazyRe(r"\s*(?:bars?|candles?|k线|klines?|intervals?|timeframes?|charts?|min)", _I)


def _attach_unit(norm: str, end: int) -> tuple[int, str | None, Decimal, Decimal]:
    """The unit after a numeral ending at ``end``: (new end, unit, factor, added half)."""
    m = _HALF_UNIT_RE.match(norm, end)
    if m:
        return m.end(), _HALF_UNIT[m.group(1)], Decimal(1), Decimal("0.5")
    more = _MORE_RE.match(norm, end)  # "3 more lots" is 3 lots
    for table in (_EN_UNITS, _CN_UNITS):
        for pattern, unit, factor in table:
            m = pattern.match(norm, more.end() if more and table is _EN_UNITS else end)
            if m and (unit is not None or not more):
                return _trailing_half(norm, m.end(), unit, factor)
    return end, None, Decimal(1), Decimal(0)


def _trailing_half(norm: str, end: int, unit: str | None, factor: Decimal) -> tuple[int, str | None, Decimal, Decimal]:
    """一年半 = 1.5 years: a 半 right after a time unit adds a half."""
    if unit in ("year", "day", "week") and _TRAILING_HALF_RE.match(norm, end):
        return end + 1, unit, factor, Decimal("0.5")
    return end, unit, factor, Decimal(0)


def _with_unit(norm: str, start: int, end: int, value: Decimal, source: str) -> _Num:
    """A numeral with its unit and any currency sign before it ("$10,000", "5万元")."""
    numeral = norm[start:end]
    new_end, unit, factor, half = _attach_unit(norm, end)
    prefix = _CURRENCY_PREFIX_RE.search(norm, max(0, start - 5), start)
    if prefix and unit is None:
        unit = "usd" if "$" in prefix.group() or prefix.group().strip().upper() == "USD" else "yuan"
        start = prefix.start()
    return _Num(start, new_end, (value + half) * factor, unit, source, numeral)


_RUN_RE = _LazyRe(
    rf"(?=[0-9{_DIGITS}十拾])(?:[0-9]|(?<=[0-9])[.,](?=[0-9])|[{_CN_NUM}]|[点點](?=[0-9{_DIGITS}]))+")
_CN_DIGITS_ONLY_RE = _LazyRe(rf"[{_DIGITS}]+")
_COMMA_LIST_RE = _LazyRe(r"[0-9]+(?:\.[0-9]+)?(?:,[0-9]+(?:\.[0-9]+)?)+")
_SIGN_BEFORE_RE = _LazyRe(r"(?:^|(?<=[\s(:=（]))[-+]$")


def _run_value(s: str) -> Decimal | None:
    """Value of a numeral run, or None; 三五 (three or five) is an approximation, not 35."""
    if len(s) > 1 and _CN_DIGITS_ONLY_RE.fullmatch(s) and not any(z in s for z in _ZEROS):
        return None
    return _parse_cn(s)


def _arabic_suffix(norm: str, end: int, value: Decimal) -> tuple[int, Decimal] | None:
    """Apply "e3", "k", "m", "million" after an Arabic numeral; None for "5m bars" (5 minutes)."""
    m = _SUFFIX_RE.match(norm, end)
    if m is None:
        return end, value
    word = (m.group(1) or m.group(2) or "").lower()
    if not word:
        return m.end(), value * Decimal(10) ** int(m.group()[1:])
    if word == "m" and _BAR_RE.match(norm, m.end()):
        return None
    return m.end(), value * _SCALE[word]


def _letter_before(norm: str, start: int) -> bool:
    """Digits glued to letters belong to a name: SP500, SYN007, SH.600519."""
    return re.search(r"[A-Za-z_]$|[A-Za-z]\.$", norm[max(0, start - 2):start]) is not None


def _letter_after(norm: str, end: int) -> bool:
    """Digits followed by letters that are no unit belong to a name: 600519.SH, 3rd."""
    return re.match(r"[A-Za-z_]|\.[A-Za-z]", norm[end:end + 2]) is not None


def _run_pieces(norm: str, m: re.Match[str]) -> list[tuple[int, int]]:
    """A run, or its comma-separated parts when it is a list ("fast 8,12,16"), not "1,200"; a name's digits and a
    Chinese numeral said right after it ("SYN078两万元") are two runs (the name, then the amount)."""
    named = re.match(r"[0-9]+(?=[一二两三四五六七八九十百千万亿])", m.group()) if _letter_before(norm, m.start()) else None
    if named is not None:
        return [(m.start(), m.start() + named.end()), (m.start() + named.end(), m.end())]
    if _run_value(m.group()) is not None or not _COMMA_LIST_RE.fullmatch(m.group()):
        return [(m.start(), m.end())]
    return [(p.start() + m.start(), p.end() + m.start()) for p in re.finditer(r"[0-9.]+", m.group())]


def _run_number(norm: str, start: int, end: int) -> _Num | None:
    """One numeral run with its sign, suffix ("2k", "1e3") and unit; None inside a name (SYN007)."""
    raw = norm[start:end]
    value = _run_value(raw)
    if value is None or _letter_before(norm, start):
        return None
    if raw[-1].isdigit() and _ARABIC_ONLY_RE.fullmatch(raw):
        suffixed = _arabic_suffix(norm, end, value)
        if suffixed is None:
            return None
        end, value = suffixed
    sign = _SIGN_BEFORE_RE.search(norm, max(0, start - 2), start)
    if sign:
        start, value = sign.start(), -value if sign.group() == "-" else value
    num = _with_unit(norm, start, end, value, "run")
    return None if num.unit is None and _letter_after(norm, num.end) else num


def _run_numbers(norm: str) -> list[_Num]:
    """Arabic, Chinese and mixed numerals ("1,200", "三十万", "1.5万"), with sign and suffix."""
    found: list[_Num] = []
    for m in _RUN_RE.finditer(norm):
        for start, end in _run_pieces(norm, m):
            num = _run_number(norm, start, end)
            if num is not None:
                found.append(num)
    return found


_EN_NUM_RE = _LazyRe(
    rf"\b(?:(?:a|an)[\s-]+(?=(?:hundred|thousand|million|billion|trillion|dozen)\b))?(?:{_EN_WORD})\b"
    rf"(?:(?:[\s-]+and[\s-]+|[\s-]+)(?:{_EN_WORD})\b)*", _I)


def _word_numbers(norm: str) -> list[_Num]:
    """English numerals in words; an invalid sequence ("one two") is cut to its longest valid start."""
    found: list[_Num] = []
    pos = 0
    while (m := _EN_NUM_RE.search(norm, pos)) is not None:
        pos = m.end()
        words = list(re.finditer(r"[A-Za-z]+", m.group()))[:_MAX_NUMERAL]
        for n in range(len(words), 0, -1):
            end = m.start() + words[n - 1].end()
            value = _parse_en_words(norm[m.start():end])
            if value is not None:
                found.append(_with_unit(norm, m.start(), end, value, "word"))
                pos = end
                break
    return found


_NUMERAL = rf"(?:[0-9]+(?:\.[0-9]+)?|[{_CN_NUM}]+(?:[点點][{_DIGITS}]+)?)"
_PER_RE = _LazyRe(rf"([百千万])分之\s*({_NUMERAL})|百分(?:之)?百")
_PER_UNIT = {"百": ("percent", Decimal(1)), "千": ("percent", Decimal("0.1")), "万": ("bp", Decimal(1))}
_CHENG_RE = _LazyRe(
    rf"(?<![0-9{_CN_NUM}])(十|[一二三四五六七八九两]|10|[1-9])\s*成(半|[一二三四五六七八九]|[1-9](?![0-9]))?"
    r"(?!不变|本|交|功|为|立|长|熟|分|员|果|就|都|型|绩)")


def _per_numbers(norm: str) -> list[_Num]:
    """百分之三十 = 30 percent, 千分之二 = 0.2 percent, 万分之三 = 3 bp, 百分百 = 100 percent."""
    found: list[_Num] = []
    for m in _PER_RE.finditer(norm):
        if m.group(1) is None:
            found.append(_Num(m.start(), m.end(), Decimal(100), "percent", "per", m.group()))
            continue
        value = _parse_cn(m.group(2))
        if value is not None:
            unit, factor = _PER_UNIT[m.group(1)]
            found.append(_Num(m.start(), m.end(), value * factor, unit, "per", m.group()))
    return found


def _cheng_numbers(norm: str) -> list[_Num]:
    """三成 = 30 percent, 七成五 = 75 percent, 三成半 = 35 percent."""
    found: list[_Num] = []
    for m in _CHENG_RE.finditer(norm):
        tens = _parse_cn(m.group(1))
        extra = m.group(2)
        ones = Decimal(0) if not extra else Decimal(5) if extra == "半" else _digit_value(extra)
        if tens is not None and 0 < tens <= 10 and (tens < 10 or ones == 0):
            found.append(_Num(m.start(), m.end(), tens * 10 + ones, "percent", "cheng", m.group()))
    return found


_HALF_TIME_RE = _LazyRe(r"(?<![上下大多一两二三四五六七八九十个0-9])半\s*(?:个\s*)?(年|月|天|日|周|星期)(?!报|线|导)")


def _half_time_numbers(norm: str) -> list[_Num]:
    """半年 = 0.5 year, 半个月 = 0.5 month (上半年 is a date, 半年报 a report: left out)."""
    return [_Num(m.start(), m.end(), Decimal("0.5"), _HALF_UNIT[m.group(1)], "half", "半")
            for m in _HALF_TIME_RE.finditer(norm)]


# --------------------------------------------------------------------------------------------
# What is not an amount
# --------------------------------------------------------------------------------------------

_CN = _CN_NUM
_BLOCK_PATTERNS = [
    # ordinals, approximations, ranges
    rf"第\s*[0-9{_CN}]+",
    rf"(?:[几数]+|好几|上(?=[百千万亿](?![一二三四五六七八九]的?(?:手续费|佣金|滑点|费率|成本))))[{_UNITS}]+",  # not "加上万二的滑点"
    rf"(?<![0-9{_CN}])[0-9{_CN}]+(?:多|余|几)(?![头单空仓])",
    rf"[一二三四五六七八九两][一二三四五六七八九两][{_UNITS}]",
    # words in which 一 (or another numeral character) is not a quantity
    r"一(?:半|些|下|起|直|定|样|般|切|旦|致|共|律|边|再|向|并|同|面|味|时|会|番|阵|概|贯|流|线|带|举|口气"
    r"|揽子|键|字|阳|阴|旁|连|经|开始|度|体|心|路|气|丝|次|股脑|股劲|成不变|模一样|目了然|如既往|手资料"
    r"|步到位|刀切|概而论|鼓作气|遍|把|对|篮子|部分|小部分|大部分|大半|小半|大批|大笔|小笔|点(?![0-9" + _DIGITS + r"]))",
    r"([\u4e00-\u9fff])一\1",  # 看一看, 试一试
    r"\b(?:Q[1-4]|H[12]|FY)\s*'?(?:19|20)?[0-9]{2}\b",
    r"一(?:个|只|支|种|条|项|位|家|篇|套|组|批|波|轮|段|根|堆|笔|款|类|封|首|句|道|场|件|台|门|部|则|名)"
    r"(?!\s*(?:半|月|星期|礼拜|季度|交易日|工作日|小时|钟头|合约|单位|百分点|基点))",
    r"(?:统|唯|单|逐|专|同|某|任|其|每|这|那|哪|划|合|不|归|(?<!分)之)一",
    rf"(?<![0-9{_CN}个])(?:周|星期|礼拜)[一二三四五六日天]",
    r"两(?:者|边|面|岸|极|市|融|会|难|回事|手准备|手抓)",
    r"二(?:手(?!续)|级|线)|一级|三级|一线|三线|新?三板|三角|三思|四舍五入|四处|五花八门|七上八下|乱七八糟",
    r"十(?:分(?!钟|之)|足|字星?)|万(?:分(?!之)|万|能|物)",
    r"三只乌鸦|[红黑]三兵|三重[顶底]|一阳穿三线",
    r"五粮液|三一重工|三六零|中国一重|一汽|九阳|七匹狼|四维图新|三安光电|三花智控|一心堂|三七互娱|三星|万科|五矿",
    # identifiers
    # ("标普500", "中证1000"; not "纳指 5万美元" or "标普 200股": an amount of an order on the index)
    r"(?:沪深|中证|上证|深证|创业板指?|科创|国证|深成指?|中小板指?|标普|纳斯达克|纳指|道琼斯|道指|日经|富时)\s*[0-9]+"
    r"(?![0-9.]|\s*(?:万|千|亿|元|块|美元|美金|手|股|份|成|%|k(?![a-z])))",
    r"\b(?:S&P|SP|CSI|SSE|SZSE|FTSE|Nikkei|Russell|Stoxx|Euro\s*Stoxx|Nasdaq|Dow|Hang\s+Seng|MSCI|ASX|DAX|CAC"
    r"|TOPIX|KOSPI|NIFTY|Sensex|Wilshire)\s*[0-9]+",
    r"\b[Tt]\s*\+\s*[0-9]+",
    r"(?<![0-9.,])0[0-9]+(?![0-9.,])",
    r"(?<![0-9.,])[0368][0-9]{5}(?![0-9.,])(?!\s*(?:[A-Z]{2,}|(?i:shares?|lots?|units?|contracts?|usd|dollars?"
    r"|yuan|rmb|k\b|m\b)|[股手张元块份个万千百亿%]))",
    # English words that are not numbers here
    r"\b(?:this|that|the|which|each|every|any|no|some|another|only|a)\s+one\b",
    r"\bone(?=\s+(?:of|another|by\s+one)\b|-(?:off|time|way|sided|liner)\b)",
    r"\b(?:a|an|one|two|three|four|five|six|seven|eight|nine|ten)[\s-]+(?:halves|half|thirds?|quarters?|fourths?"
    r"|fifths?|sixths?|sevenths?|eighths?|ninths?|tenths?)\b",
    rf"(?<![0-9{_DIGITS}十])[0-9{_DIGITS}十]+\s*分之\s*[0-9{_CN}点.]+",
    r"(?<![0-9/.])[1-8]\s*/\s*[2-9](?![0-9/])",  # 1/3; but "sma 10/30" is two parameters
    # dates and times
    # "2009.3", "2009-03", "2009年3月": a date; "2005 through 2009. 3 bps": a sentence ends, a number follows
    r"(?<![0-9])(?:19|20)[0-9]{2}(?:\s*[-/年]\s*|\.(?!\s))[0-9]{1,2}(?:\s*[-/.月]\s*[0-9]{1,2}\s*[日号]?)?(?![0-9])",
    r"(?<![0-9])(?:19|20)[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])(?![0-9])",
    r"(?<![0-9])(?:19|20)[0-9]{2}\s*(?:[-–~～至到]|to)\s*(?:19|20)[0-9]{2}(?![0-9])",
    rf"(?:(?<![0-9])(?:19|20)[0-9]{{2}}|[{_DIGITS}]{{4}})\s*年",
    rf"(?<![0-9{_CN}个])(?:1[0-2]|0?[1-9]|十[一二]?|[一二三四五六七八九])\s*月(?:份|初|中旬|上旬|下旬|底|末|中)?"
    rf"(?:\s*(?:[0-3]?[0-9]|[{_CN}]+)\s*[日号])?",
    rf"(?<![个0-9{_CN}])[一二三四1-4]\s*季度",
    r"(?<![0-9])[0-9]{1,2}:[0-9]{2}(?::[0-9]{2})?(?![0-9])",
    r"\b(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|(?-i:May)|june?|july?|aug(?:ust)?|sept?(?:ember)?"
    r"|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\b\.?\s+[0-9]{1,4}(?:st|nd|rd|th)?(?:,?\s+[0-9]{4})?\b",
    r"\b[0-9]{1,2}(?:st|nd|rd|th)?\s+(?:jan|feb|mar|apr|(?-i:May)|jun|jul|aug|sep|oct|nov|dec)[a-z]*\b\.?"
    r"(?:,?\s+[0-9]{4})?",
    r"\b(?:since|from|in|until|till|through|thru|before|after|during|between|to|and|year|fy|by|of|as\s+of)\s+"
    r"(?:19|20)[0-9]{2}\b(?![-\s]*(?:shares?|lots?|units?|contracts?|usd|dollars?|yuan|rmb|%|percent|bps?)\b)",
    r"(?:从|自从?|截至|截止|到|至|直到|始于)\s*(?:19|20)[0-9]{2}(?![0-9]|\s*[股手张元块份%万千百])",
    r"(?<![0-9])(?:19|20)[0-9]{2}(?=\s*(?:以来|至今|起|开始|之后|以后|之前|以前))",
]
_BLOCK_RE = _LazyRe("|".join(f"(?:{p})" for p in _BLOCK_PATTERNS), _I)


def _blocked_spans(norm: str) -> list[tuple[int, int]]:
    """Spans in which no numeral is read (dates, identifiers, idioms...); overlapping matches too."""
    spans: list[tuple[int, int]] = []
    pos = 0
    while pos < len(norm):
        m = _BLOCK_RE.search(norm, pos)
        if m is None:
            break
        if m.end() > m.start():
            spans.append((m.start(), m.end()))
        pos = m.start() + 1
    return spans


# --------------------------------------------------------------------------------------------
# Cost words and the 万三 / 千一 jargon
# --------------------------------------------------------------------------------------------

_COST_TERM_RE = _LazyRe(
    r"(?P<slippage>\bslippages?(?![a-z])|\bslip(?![a-z])|\bmarket[\s-]+impact\b|\bimpact[\s-]+costs?\b|滑点|滑价|冲击成本)"
    r"|(?P<cost>\b(?:transaction|trading|execution)[\s-]+costs?\b|\bt-?costs?\b|\btc\b|交易成本|交易费用|费用"
    r"|(?<!持仓)(?<!平均)(?<!持股)成本(?!价|线|均价|区)|\bcosts?(?![a-z])(?!\s+(?:basis|price))|印花税|\bstamp\s+duty\b)"
    r"|(?P<commission>\bcommissions?(?![a-z])|\bcommision\b|\bcomms?\b|\bbrokerage(?:\s+fees?)?\b|\b(?:transaction|trading)\s+fees?\b"
    r"|\bfees?\b|佣金(?:费率|率)?|手续费(?:率|用)?|交易费率?|过户费|费率)"
    r"|(?P<double>来回|一买一卖|一进一出|买卖合计|买卖一共|买卖加起来|\bround[\s-]?(?:trip|turn)\b|\bin\s+and\s+out\b"
    r"|\b(?:buy|entry)\s+(?:and|plus|\+)\s+(?:sell|exit)\s+(?:combined|together|total)\b)"
    r"|(?P<single>单边|单向|每边|双边|双向|\bboth[\s-]+(?:ways|sides)\b|\bper[\s-]+(?:side|leg)\b|\beach[\s-]+way\b"
    r"|\bone[\s-]+way\b)", _I)
_FILLER_RE = _LazyRe(
    r"(?:\s|[:=~≈()（）：]|\b(?:of|is|are|at|to|be|set|assumed?|assuming|around|about|approx(?:imately)?|roughly|please|pls|kindly|take|put|make|consider"
    r"|rate|rates|ratio|per|side|each|way|one|round|trip|both|ways|sides|leg|the|a|an|in|with|for|trade|trades"
    r"|order|orders|transaction|transactions|applied|charged?|pay|use|using|say|just|call\s+it|like|maybe)\b|为|是|按照?|设(?:置|定)?(?:为|成)?"
    r"|就|给个?|给到|来个?|先|暂且|差不多|大概|一般|直接|还是"
    r"|取|用|率|费率|的|约|大约|收取?|算|计|考虑|单边|双边|单向|双向|每边|来回|每笔|每次|都|统一|暂定|定为|假设"
    r"|假定|标准|交易|合计|一共|总共|加起来|共|改成|改为|改到|换成|调成|调到|调整为|调整到|降到|降为|提到|提高到|上调到|下调到|combined|total|together|changed?|-)*", _I)
_JARGON_RE = _LazyRe(
    rf"(?<![0-9{_CN}.])(?<![0-9{_CN}][点點])([万千])([0-9]+(?:\.[0-9]+)?|[{_DIGITS}]{{1,2}}(?:[点點][{_DIGITS}]+)?)(?![0-9{_CN}点])")


_TERM_KIND: dict[str, tuple[CostKind, Literal["single", "double"] | None]] = {
    "slippage": ("slippage", None), "cost": ("cost", None), "commission": ("commission", None),
    "double": ("cost", "double"), "single": ("cost", "single"),
}


def _cost_terms(norm: str) -> list[_Term]:
    """Cost words (commission, 滑点, ...) and side words (单边, 双边, round trip), in order."""
    return [_Term(m.start(), m.end(), *_TERM_KIND[m.lastgroup or "cost"]) for m in _COST_TERM_RE.finditer(norm)]


def _is_filler(gap: str) -> bool:
    """Only linking words between a cost word and its rate ("of", "为", "rate", "单边")."""
    return len(gap) <= 25 and _FILLER_RE.fullmatch(gap) is not None


def _next_to_cost_term(norm: str, start: int, end: int, terms: list[_Term]) -> bool:
    """A cost word (or 单边/双边) right before or right after the span, linked by filler only."""
    for t in terms:
        if t.end <= start and _is_filler(norm[t.end:start]):
            return True
        if t.start >= end and _is_filler(norm[end:t.start]):
            return True
    return False


_DELIMITED_RE = _LazyRe(r"(?:^|[\s,，;；:：、(（])\|(?:$|[\s,，;；。.!?！？、)）])")


def _jargon_value(digits: str) -> Decimal | None:
    """The N of 万N: 三 = 3, 2.5 = 2.5, 二点五 = 2.5, 一五 = 1.5 (brokers' 万一五); 万25 is ambiguous."""
    if "." in digits:
        return Decimal(digits)
    if digits.isdigit():
        return Decimal(digits) if len(digits) == 1 else None
    if len(digits) == 2 and digits[1] in _CN_DIGIT:
        return _digit_value(digits[0]) + _digit_value(digits[1]) / 10
    return _parse_cn(digits)


_JOINED_RATE = _LazyRe(rf"\s*(?:和|与|或|、|跟|到|至|还是)\s*[万千][0-9{_DIGITS}]{{1,2}}")
_RUN_AT = _LazyRe(r"(?:按|用|以|换成|改成|改为|降到|降至|加到|提到|调到|升到)\s*$")


def _jargon(norm: str, terms: list[_Term]) -> tuple[list[tuple[int, int]], list[_Num]]:
    """万三 (3 bp) and 千一 (0.1 %) next to a cost word, or standing alone between commas, are rates;
    anywhere else (万一 = "in case") they are words."""
    blocks: list[tuple[int, int]] = []
    found: list[_Num] = []
    for m in _JARGON_RE.finditer(norm):
        value = _jargon_value(m.group(2))
        # "万一" alone is also "in case" ("万一跌了"), so a bare 万一 must stand apart on both sides ("2000-2002 万一")
        stands_alone = _DELIMITED_RE.match(norm[max(0, m.start() - 1):m.start()] + "|"
                                           + norm[m.end():m.end() + 1]) is not None and (
            value != 1 or m.group(1) == "千" or re.search(r"\d", norm[max(0, m.start() - 16):m.start()]) is not None)
        # "分别按万三和千一的手续费": one of two rates joined before their cost word; "…滑点按千分之一跑一次，再按万五跑
        # 一次": a rate said as what to run at, in an instruction that names a cost
        nxt = _JOINED_RATE.match(norm, m.end())
        joined = nxt is not None and _next_to_cost_term(norm, nxt.end() - 2, nxt.end(), terms)
        run_at = value != 1 and bool(terms) and _RUN_AT.search(norm, max(0, m.start() - 4), m.start()) is not None
        if not value or not (stands_alone or joined or run_at or _next_to_cost_term(norm, m.start(), m.end(), terms)):
            blocks.append((m.start(), m.end()))
            continue
        unit, factor = ("bp", Decimal(1)) if m.group(1) == "万" else ("percent", Decimal("0.1"))
        found.append(_Num(m.start(), m.end(), value * factor, unit, "jargon", m.group()))
    return blocks, found


def _select(cands: list[_Num], blocks: list[tuple[int, int]]) -> list[_Num]:
    """Keep candidates outside blocked spans, earliest first, longest at a tie, without overlap."""
    chosen: list[_Num] = []
    last_end = -1
    for c in sorted(cands, key=lambda c: (c.start, -c.end)):
        if c.start < last_end or any(s < c.end and c.start < e for s, e in blocks):
            continue
        chosen.append(c)
        last_end = c.end
    return chosen


def _numbers(norm: str) -> list[_Num]:
    """Every numeral of a normalised text, in order."""
    blocks, cands = _jargon(norm, _cost_terms(norm))
    # an idiom starting inside a cost jargon is not one ("万二手续费": 万二 + 手续费, not 二手)
    blocks += [b for b in _blocked_spans(norm) if not any(j.start < b[0] < j.end for j in cands)]
    for scan in (_run_numbers, _word_numbers, _per_numbers, _cheng_numbers, _half_time_numbers):
        cands += scan(norm)
    return _select(cands, blocks)


def _span(text: str, start: int, end: int) -> Span:
    """A span of the original text (offsets are shared with the normalised text)."""
    return Span(start, end, text[start:end])


def find_numbers(text: str) -> list[NumberMention]:
    """Every numeral stated in ``text``, in order, not overlapping, with its unit.

    Leaves out what is not an amount (see the module docstring): dates, identifiers, ordinals,
    approximations, fractions and words such as 一半, 一些, 万一, "a" and "an".
    """
    return [NumberMention(_span(text, n.start, n.end), _as_float(n.value), n.unit)
            for n in _numbers(_normalise(text))]


# --------------------------------------------------------------------------------------------
# Fractions
# --------------------------------------------------------------------------------------------

FracForm = Literal["ratio", "percent", "all", "close", "cang"]


@dataclass(frozen=True)
class _Frac:
    start: int
    end: int
    value: float
    form: FracForm
    side: Side | None = None  # for "close": which side closes (平空 / "close my short" buys)


_DENOMS = {"half": 2, "halves": 2, **{w + s: n for w, n in [
    ("third", 3), ("quarter", 4), ("fourth", 4), ("fifth", 5), ("sixth", 6), ("seventh", 7), ("eighth", 8),
    ("ninth", 9), ("tenth", 10)] for s in ("", "s")}}
_EN_FRAC_RE = _LazyRe(
    r"\b(a|an|one|two|three|four|five|six|seven|eight|nine|[1-9])[\s-]+"
    r"(halves|half|(?:third|quarter|fourth|fifth|sixth|seventh|eighth|ninth|tenth)s?)\b"
    r"|(?<=\bby\s)()(third|quarter)\b", _I)  # "reduce SYN101 by quarter": the article left out
_HALF_RE = _LazyRe(
    r"(?<![\w-])(?<!first )(?<!second )half\b(?![\s-]*(?:lives?|life|years?|yearly|hours?|days?|an?\s+(?:hour|year|day|month)"
    r"|way|time|point|-?hourly))|(?<!the )(?<!both )(?<!two )(?<!these )(?<!those )\bhalve[sd]?\b", _I)
_CN_FRAC_RE = _LazyRe(rf"(?<![0-9{_DIGITS}十])([0-9]+|[{_DIGITS}十]+)\s*分之\s*([0-9]+|[{_DIGITS}十]+)")
_SLASH_RE = _LazyRe(r"(?<![0-9/.])([1-8])\s*/\s*([2-9])(?![0-9/])")
_WORD_FRACS: list[tuple[_LazyRe, float, FracForm]] = [
    (_LazyRe(r"全仓|满仓|梭哈|\ball[\s-]in\b|\bfull\s+position\b", _I), 1.0, "cang"),
    (_LazyRe(r"半仓"), 0.5, "cang"),
    (_LazyRe(r"一半|对半|减半|砍半|折半"), 0.5, "ratio"),
    (_LazyRe(r"\ball(?:\s+of\s+it)?\b|\beverything\b|\bentire(?:ly)?\b|\bwhole\b|全部|所有|全都|全数|统统|通通", _I),
     1.0, "all"),
]
_CLOSE_RE = _LazyRe(
    r"(?P<cover>平空|空单\s*(?:平掉|平了|平仓|全平|全部平掉|回补|买回)|回补空单|空头回补"
    r"|\b(?:cover|buy\s+back)(?:s|ed|ing)?(?:\s+(?:the|my|our|all|entire|whole|of|[a-z0-9&]+)){0,4}?\s+shorts?"
    r"(?:\s+(?:positions?|entirely|completely|fully|in\s+full|altogether|outright))?\b)"
    r"|清仓|清掉|清空|出清|卖光|卖完|全卖|全抛|抛光|平仓|平掉|平多|全平|全清|清光|全部清|全出掉"
    r"|\b(?:liquidate[sd]?|flatten|unwind)\b(?:\s+(?:my|our|the|all|entire|whole)?\s*(?P<short1>short)\b)?"
    r"|\b(?:close|exit|get\s+out\s+of)(?:\s+(?:out|out\s+of|of|my|the|our|all|entire|whole|this|that|existing"
    r"|current|long|(?P<short2>short)|[A-Za-z0-9]+)){0,4}?\s+(?:positions?|holdings?|stake|exposure|longs?|ones?|trades?|bets?|legs?"
    r"|(?P<short3>shorts)|everything|it|all)\b"
    r"|\b(?:close|exit|get)\s+out\b(?:\s+of\b)?|\b(?:close|exit)\s+(?:all\s+of\s+)?(?:my|our)\b(?:\s+(?P<short4>short)\b)?"
    r"|\bgo\s+flat\b|\b(?:get|go|be)\s+(?:us\s+|me\s+)?(?:completely\s+|fully\s+)?flat\s+(?:in|on)\b", _I)


def _ratio(num: Decimal | None, den: Decimal | None) -> float | None:
    """num/den when it is a proper fraction (at most 1)."""
    if num is None or den is None or den == 0 or not 0 < num <= den:
        return None
    return float(num / den)


def _ratio_fractions(norm: str) -> list[_Frac]:
    """"a third", "two thirds", "half", "三分之一", "1/3"."""
    found: list[_Frac] = []
    for m in _EN_FRAC_RE.finditer(norm):
        said, denom = (m.group(1), m.group(2)) if m.group(1) is not None else ("a", m.group(4))
        num = Decimal(1) if said.lower() in ("a", "an") else _parse_en_words(said) or _parse_cn(said)
        value = _ratio(num, Decimal(_DENOMS[denom.lower()]))
        if value is not None:
            found.append(_Frac(m.start(), m.end(), value, "ratio"))
    found += [_Frac(m.start(), m.end(), 0.5, "ratio") for m in _HALF_RE.finditer(norm)]
    for m in _CN_FRAC_RE.finditer(norm):
        value = _ratio(_parse_cn(m.group(2)), _parse_cn(m.group(1)))
        if value is not None:
            found.append(_Frac(m.start(), m.end(), value, "ratio"))
    for m in _SLASH_RE.finditer(norm):
        value = _ratio(Decimal(m.group(1)), Decimal(m.group(2)))
        if value is not None and value < 1:
            found.append(_Frac(m.start(), m.end(), value, "ratio"))
    return found


def _word_fractions(norm: str) -> list[_Frac]:
    """Whole-position words (全部, all, 清仓, "close my position") and 半仓 / 满仓."""
    found = [_Frac(m.start(), m.end(), value, form)
             for pattern, value, form in _WORD_FRACS for m in pattern.finditer(norm)]
    for m in _CLOSE_RE.finditer(norm):
        covers = any(m.group(g) for g in ("cover", "short1", "short2", "short3", "short4"))
        found.append(_Frac(m.start(), m.end(), 1.0, "close", "buy" if covers else "sell"))
    return found


def _percent_fractions(numbers: list[_Num]) -> list[_Frac]:
    """Percentages (30%, 百分之三十, 三成) and basis points as fractions."""
    found: list[_Frac] = []
    for n in numbers:
        if n.unit in ("percent", "bp"):
            scale = Decimal(100) if n.unit == "percent" else Decimal(10000)
            form: FracForm = "ratio" if n.source == "cheng" else "percent"
            found.append(_Frac(n.start, n.end, float(n.value / scale), form))
    return found


def _fractions(norm: str, numbers: list[_Num]) -> list[_Frac]:
    """Every relative amount of a normalised text, in order, longest first at a tie."""
    found = _percent_fractions(numbers) + _ratio_fractions(norm) + _word_fractions(norm)
    return sorted(found, key=lambda f: (f.start, -f.end))


def parse_fraction(text: str) -> float | None:
    """Read ``text`` as one relative amount and return it as a fraction (30% -> 0.3, 一半 -> 0.5).

    All-words (all, entire, 全部, 全仓, 清仓) are 1.0. None if ``text`` is not exactly one.
    """
    s = _normalise(text).strip()
    if s == "半":
        return 0.5
    for f in _fractions(s, _numbers(s)):
        if f.start == 0 and f.end == len(s):
            return f.value
    return None


def find_fractions(text: str) -> list[tuple[int, int, float]]:
    """Every relative amount in ``text`` as (start, end, fraction): "a third" -> 1/3, "30%" -> 0.3."""
    norm = _normalise(text)
    return [(f.start, f.end, f.value) for f in _fractions(norm, _numbers(norm)) if f.form != "close"]


# --------------------------------------------------------------------------------------------
# Costs
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Rate:
    start: int
    end: int
    rate: Decimal
    bare: bool  # a plain decimal ("commission rate 0.001"): read only right after a cost word
    cost_unit: bool  # bp, ‰, 万分之, 万三: a cost even without a cost word ("bt sma spx 3bp")


_COST_UNIT_RE = _LazyRe(r"bps?\b|bips?\b|basis|‰|‱|基点|千分之|万分之", _I)


def _rates(norm: str, numbers: list[_Num]) -> list[_Rate]:
    """Numbers that can be a cost rate: percent, bp, or a plain decimal of at most 5 %."""
    rates: list[_Rate] = []
    for n in numbers:
        cost_unit = n.source == "jargon" or _COST_UNIT_RE.search(norm, n.start, n.end) is not None
        if n.unit == "percent":
            rates.append(_Rate(n.start, n.end, n.value / 100, False, cost_unit))
        elif n.unit == "bp":
            rates.append(_Rate(n.start, n.end, n.value / 10000, False, cost_unit))
        elif n.unit is None and "." in n.numeral and 0 < n.value <= Decimal("0.05"):
            rates.append(_Rate(n.start, n.end, n.value, True, False))
    return rates


def _pair_forward(norm: str, terms: list[_Term], rates: list[_Rate], pairs: dict[int, int]) -> None:
    """Cost word then rate: "commission of 3 bps", "佣金万三"."""
    for ti, t in enumerate(terms):
        nxt = next((ri for ri, r in enumerate(rates) if r.start >= t.end), None)
        if nxt is not None and nxt not in pairs and ti not in pairs.values() \
                and _is_filler(norm[t.end:rates[nxt].start]):
            pairs[nxt] = ti


def _pair_backward(norm: str, terms: list[_Term], rates: list[_Rate], pairs: dict[int, int]) -> None:
    """Rate then cost word: "3bp commission", "万三佣金"; a plain decimal never goes first."""
    for ri, r in enumerate(rates):
        if ri in pairs or r.bare:
            continue
        nxt = next((ti for ti, t in enumerate(terms) if t.start >= r.end), None)
        if nxt is not None and nxt not in pairs.values() and _is_filler(norm[r.end:terms[nxt].start]):
            pairs[ri] = nxt


def _pair(norm: str, terms: list[_Term], rates: list[_Rate]) -> dict[int, int]:
    """Rate index -> term index. Cost words first, then 单边/双边 alone ("单边万三")."""
    pairs: dict[int, int] = {}
    words = [t for t in terms if t.modifier is None]
    rate_first = bool(rates and words and rates[0].start < words[0].start)
    order = (_pair_backward, _pair_forward) if rate_first else (_pair_forward, _pair_backward)
    word_pairs: dict[int, int] = {}
    for step in order:
        step(norm, words, rates, word_pairs)
    pairs.update({ri: terms.index(words[ti]) for ri, ti in word_pairs.items()})
    mods = [t for t in terms if t.modifier is not None]
    mod_pairs: dict[int, int] = {}
    free = [r if ri not in pairs else _Rate(-1, -1, r.rate, True, False) for ri, r in enumerate(rates)]
    for step in (_pair_forward, _pair_backward):
        step(norm, mods, free, mod_pairs)
    pairs.update({ri: terms.index(mods[ti]) for ri, ti in mod_pairs.items() if ri not in pairs})
    return pairs


def _round_trip(norm: str, start: int, end: int, terms: list[_Term]) -> bool:
    """A round-trip word inside the mention or linked to it by filler ("双边千二", "10bp round trip")."""
    for t in terms:
        if t.modifier != "double":
            continue
        inside = start <= t.start and t.end <= end
        before = t.end <= start and start - t.end <= 12 and _is_filler(norm[t.end:start])
        after = t.start >= end and t.start - end <= 12 and _is_filler(norm[end:t.start])
        if inside or before or after:
            return True
    return False


def _costs(norm: str, numbers: list[_Num]) -> list[tuple[int, int, CostKind, Decimal]]:
    """(start, end, kind, per-side rate) for each stated cost of a normalised text."""
    terms, rates = _cost_terms(norm), _rates(norm, numbers)
    pairs = _pair(norm, terms, rates)
    found: list[tuple[int, int, CostKind, Decimal]] = []
    for ri, r in enumerate(rates):
        if ri in pairs:
            t = terms[pairs[ri]]
            start, end, kind = min(r.start, t.start), max(r.end, t.end), t.kind
        elif r.cost_unit and (not _selection_threshold_or_target(norm, r.start, r.end)
                              or (re.search(r"\bat\s*$", norm[max(0, r.start - 6):r.start])  # "... at 3 bps": a cost
                                  and not _THRESHOLD_RE.search(norm[max(0, r.start - 30):r.start]))):
            start, end, kind = r.start, r.end, "cost"  # "bt sma spx 3bp": bp is a cost unit
        else:
            continue
        rate = r.rate / 2 if _round_trip(norm, start, end, terms) else r.rate
        found.append((start, end, kind, rate))
    return found


def find_costs(text: str) -> list[CostMention]:
    """Stated trading costs (commission, slippage, unspecified transaction cost), per side.

    A rate counts only next to a cost word: a bare "0.1%" is not a cost.
    """
    norm = _normalise(text)
    found = [CostMention(_span(text, s, e), kind, _as_float(rate)) for s, e, kind, rate in _costs(norm, _numbers(norm))]
    for match in _ZERO_COST.finditer(text):  # "no commission", "免佣金", "frictionless": a stated zero
        slip = match.group("slip") or match.group("slip2")
        comm = match.group("comm") or match.group("comm2") or match.group("comm3")
        kind: CostKind = "slippage" if slip else "commission" if comm else "cost"
        # "先不加滑点跑一次，再加上万二的滑点跑一次", "3bp commission vs zero commission": both runs' costs are said
        if not any(c.kind == kind for c in found) or _TWO_RUNS.search(norm):
            found.append(CostMention(Span(match.start(), match.end(), match.group(0)), kind, 0.0))
    return sorted(found, key=lambda c: c.span.start)


_TWO_RUNS = re.compile(r"(?<![a-z])(?:vs\.?|versus|both\s+ways|then\s+again|once\s+with)(?![a-z])|一次[^。]*再[^。]*一次|分别|各跑|各回测")
_ZERO_COST = re.compile(
    r"(?i)(?:\b(?:no|zero|without|0)\s+(?:(?P<comm>commissions?|fees?|brokerage)|(?P<slip>slippage)|(?:transaction\s+)?costs?)\b"
    r"|\b(?P<comm2>commission|fee)[- ]free\b|\bfrictionless\b"
    r"|(?:免|零|不收|没有|不计|不算|不加|不考虑|无)(?:(?P<comm3>佣金|手续费)|(?P<slip2>滑点)|交易成本|成本))")


# --------------------------------------------------------------------------------------------
# Order size
# --------------------------------------------------------------------------------------------

_VERB_RE = _LazyRe(
    r"(?P<sell>(?<![A-Za-z])(?:sell|sells|selling|sold|reduce[sd]?|reducing|cut|cuts|cutting|trim|trims|trimmed|trimming"
    r"|dump|dumps|dumped|unload|offload|lighten|decrease[sd]?|lower"
    r"|(?<!the )(?<!both )(?<!two )(?<!these )(?<!those )halve[sd]?|exit|liquidate[sd]?|liquidating"
    r"|dispose|get\s+rid\s+of|take\s+profits?|scal(?:e|es|ed|ing)\s+(?:out|back|down)|pare[sd]?(?:\s+back)?|paring"
    r"|(?:take|bring)(?=\s+(?:[\w&]+\s+){0,2}down\s+by)"
    r"|close(?!\s*(?:price|prices|px|above|below|of\s+the|data|>|<))"
    r"|short(?![\s-]*(?:term|window|period|ma\b|moving|run|side|leg|horizon|lookback|position|interest|squeeze"
    r"|entirely|completely|fully|in\s+full|altogether|outright"
    r"|selling|sma|ema|list|er\b)))(?![A-Za-z])"
    r"|(?<!超)(?:卖出|卖掉|卖)|抛售|抛出|抛|减仓|减持|减掉|减少|减|清仓|清掉|清空|出清|平仓|平掉|平多|砍仓|砍|降低|下调|止盈|止损|出掉|割肉|割掉"
    r"|割(?=\s*(?:一半|[一二两三四五六七八九]成|三分之|四分之|[0-9]+\s*%))|出货|做空"
    r"|(?<![做开平])空(?=\s*(?:[0-9]+|[一二两三四五六七八九十]+)\s*(?:手|股|个|单))"
    r"|开空|空单(?!\s*(?:平|回补|买回))|hit\s+the\s+bid(?:\s+(?:on|for|in))?|unwind|unwinds|unwinding"
    r"|[清平](?=\s*(?:[一二两三四五六七八九十]成|一半|三分之|四分之|[0-9]+\s*(?:%|成))))"
    r"|(?P<buy>(?<![A-Za-z])(?:lift\s+the\s+(?:offer|ask)(?:\s+(?:on|for|in))?|buy|buys|buying|bought|purchase[sd]?|purchasing|add|adds|added|adding|acquire[sd]?"
    r"|increase[sd]?|invest|invests|investing|allocate[sd]?|allocating|spend|spending|spent|cover"
    r"|grab|grabs|grabbing|pick\s+up|scoop\s+up|load\s+up\s+on|park|parks|parked|parking|throw|throws|throwing|scal(?:e|es|ed|ing)\s+in(?:to)?"
    r"|(?:take|bring)(?=\s+(?:[\w&]+\s+){0,2}up\s+by)"
    r"|(?:(?<=i'll\s)|(?<=i\swill\s)|(?<=we'll\s)|(?<=i'd\s))take(?=\s+\d)"  # "... I'll take 300 shares": a buy
    r"|(?:initiate|establish|take|put\s+on)(?=\s+(?:an?\s+|the\s+|new\s+|equal[- ]weight(?:ed)?\s+)*long\s+positions?"
    r"|\s+(?:an?\s+|new\s+|equal[- ]weight(?:ed)?\s+)*positions?\s+(?:in|on)\s)|open(?=\s+an?\s+(?:new\s+)?(?:long\s+)?position)"
    r"|put(?!\s*(?:options?|contracts?|spreads?|calls?|-call|through|in\s+(?:an?\s+|the\s+)?orders?|an?\s+orders?"
    r"|(?:it|this|that|them|these|those)\s+through))"  # "put through 10 lots of WTI": an order, its side not said
    r"|(?<!a )(?<!so )(?<!too )(?<!how )(?<!as )(?<!very )(?<!all day )long(?![\s-]*(?:term|window|period|ma\b|moving|run|side|leg"
    r"|horizon|lookback|position|only|er\b|one\b|time|story|list|message|day|week|while|way|e-?mail|note|shot|haul|weekend)))(?![A-Za-z])"
    r"|(?<!超)(?:买入|买进|买)|购入|购买|加仓|加码|增持|增加|加到|加至|建仓|补仓|开仓|做多|开多|多单|平空|投入|配置|抄底|梭哈|满仓(?=\s*(?:干|上|买|冲|搞))"
    r"|(?<=[就则话])多(?=\s*(?:[0-9]+|[一二两三四五六七八九十]+)\s*(?:手|股|个|单))"  # "ok的话多2手": long 2 lots
    r"|(?<=给我|帮我)来(?=\s*(?:[0-9]|[一两二三四五六七八九十半]\s*(?:手|股|万|千|块|元|成)))"  # "给我来5万块的": buy 50k
    # "我看涨原油，直接上两手", "再上3手": lots put on, a buy
    r"|(?:(?<=直接)|(?<=先)|(?<=再)|(?<=就)|(?<=马上)|(?<=立刻)|(?<=给我)|(?<=帮我)|(?<=^)|(?<=[,，。;；\s]))上(?=\s*(?:[0-9]+|[一二两三四五六七八九十]+)\s*手)"
    r"|加(?=\s*(?:[0-9零〇一二两三四五六七八九十半]|点|些)))", _I)
#: An order verb right before an amount, and the units a counted amount names after it.
_ORDER_VERB_BEFORE_RE = _LazyRe(r"(?:买入|买进|买|购入|购买|加仓|加码|建仓|补仓|卖出|卖掉|卖|减仓|减码|减持)\s*$")
_COUNTED_AFTER_RE = _LazyRe(r"\s*(?:股|手|份|张|只|units?|shares?|lots?|contracts?)", _I)
_BREAK_RE = _LazyRe(r"[;；。！？!?\n，＋]|(?<![0-9]),|,(?![0-9])|\.(?=\s|$)|\s[+&/]\s")
_SENTENCE_RE = _LazyRe(r"[;；。！？!?\n]|\.(?=\s|$)")
#: Clause breaks for what a relative amount is of and what follows it: the hard breaks, plus a
#: space between Chinese words (chat style: "先看看账户 再把黄金减仓一半") and sequencing words.
_SOFT_BREAK_RE = _LazyRe(r"[;；。！？!?\n，＋]|(?<![0-9]),|,(?![0-9])|\.(?=\s|$)|\s[+&/]\s"
                         r"|(?<=[\u4e00-\u9fff])\s+(?=[\u4e00-\u9fff])|再|然后|接着|\bthen\b"
                         r"|\band\s+(?=(?:put|park|buy|sell|add|allocate|invest|trim|reduce|cut|close|short|dump|use|take"
                         r"|spend|move|rotate|switch|roll|reinvest|redeploy|plough|plow)\b)"
                         # "trim my S&P by 40% and tell me what cash I have left": the cash is another request's
                         r"|\band\s+(?=(?:then\s+)?(?:tell|show|let|give|check|send|report|pull|list|what|how|email|ping)\b)"
                         r"|(?:并且?|同时)?(?=(?:告诉我|给我看|看一?下|查一?下))", _I)
_CONDITION_RE = _LazyRe(
    r"\b(?:if|when|whenever|unless|once|after|before|until)\b"
    r"|如果|若|当|一旦|假如|要是|除非|直到|之后|以后", _I)
_ANCHOR_RES: list[tuple[str, _LazyRe]] = [
    ("equity", _LazyRe(r"\b(?:equity|capital|portfolio|account|nav|cash|funds?|money|buying\s+power|balance|aum"
                          r"|net\s+assets?|net\s+worth|wealth)\b|资金|资产|本金|账户|净值|现金|钱|总仓位|可用|权益|总资产", _I)),
    ("position", _LazyRe(r"\b(?:positions?|holdings?|stakes?|exposure)\b|持仓|头寸|持有|持股|底仓", _I)),
    ("cang", _LazyRe(r"仓位|(?<![加减清平建补开持调总])仓(?!库)")),
]
_SELECT_BEFORE_RE = _LazyRe(
    r"(?:\b(?:top|bottom|best|worst|highest|lowest|largest|smallest|first|last)\b(?:\s+[a-z-]+)?|前|后|排名前?)\s*$", _I)
_THRESHOLD_RE = _LazyRe(
    r"stop|loss|profit|止损|止盈|drawdown|回撤|returns?|收益|涨|跌|\b(?:rise[sn]?|rising|fall[sn]?|falling|drops?"
    r"|dropped|dropping|gains?|declines?|declined|vol|volatility|threshold|above|below|over|under|exceeds?|exceeding"
    r"|beyond|more\s+than|less\s+than|at\s+least|at\s+most|up\s+to|higher|target|annuali[sz]ed|alpha|sharpe"
    r"|turnover|leverage|margin|tax|interest|yield|weight|cap|limit|max(?:imum)?|min(?:imum)?|moves?|move[sd])\b"
    r"|波动|阈值|超过|高于|低于|大于|小于|不超过|至少|最多|最少|目标|年化|胜率|换手|杠杆|保证金|税|利率|权重|上限|下限|突破|跌破|达到"
    r"|[<>≥≤]", _I)
_TAKE_PROFIT_RE = _LazyRe(r"take\s+profits?(?:\s+on)?", _I)
_ZH_TAKE_RE = _LazyRe(r"(?:止盈|止损|割肉)\s*$")
_TARGET_BEFORE_RE = _LazyRe(r"(?:\b(?:to|down\s+to|up\s+to|until|at)\b|到|至|为|成|在)\s*$", _I)
_PRICE_BEFORE_RE = _LazyRe(
    r"(?:\b(?:at|price[sd]?|limit|above|below|under|over|near|around)\b|@|价格|价位|限价|单价|股价|每股|均价|成本价|以|在|跌破"
    r"|突破|涨到|跌到|涨至|跌至|高于|低于|超过|大于|小于|到达|达到)\s*(?:of\s*|为\s*|是\s*|:\s*)?$", _I)
_PRICE_AFTER_RE = _LazyRe(
    r"\s*(?:/|\bper\s+(?:share|unit|contract)\b|\beach\b(?!\s+(?:of|on|in|into|for)\b)|\ba\s+share\b|一股|每股|的价格|的价位|价位|以下|以上|附近|左右|时)", _I)
_CAPITAL_BEFORE_RE = _LazyRe(
    r"(?:\b(?:initial|starting|start|capital|cash|equity|balance|with\s+an?|budget)\b|本金|资金|初始|起始|账户)"
    r"[\sA-Za-z:=为是的]{0,12}$", _I)
_CAPITAL_AFTER_RE = _LazyRe(r"\s*(?:of\s+|in\s+|as\s+)?(?:cash|capital|starting|initial|equity)\b", _I)
_WORTH_AFTER_RE = _LazyRe(r"\s*(?:worth|in\s+value|notional|(?:的)?名义(?:金额|本金)?)(?![a-z])", _I)  # "加 200 万 notional 的多头"
_MONEY_BEFORE_RE = _LazyRe(r"(?:用|拿出?|花费?|动用|出资|投入|投资|\bwith\b|\bspend(?:ing)?\b)\s*$", _I)
_MONEY_AFTER_RE = _LazyRe(r"\s*(?:的?(?:资金|现金|本金)|买|购|加仓|建仓|投|做多|配置|(?i:to\s+buy)\b|$|[,，。;；!?！？])")
_ORDER_WORDS_RE = _LazyRe(r"\b(?:order|size|quantity|qty)\b|数量|下单|委托", _I)
_BARE_GAP_RE = _LazyRe(r"\s*(?:(?:another|an?\s+additional|additional|more|extra|of|入|进|出|了|掉)\s*)?", _I)
_BARE_AFTER_RE = _LazyRe(r"\s*(?:$|[,，。;；.!?！？])|\s+[—–-]{1,2}\s|\s+(?!(?i:times?|bars?|ticks?|points?|pips?|minutes?|mins?|hours?"
                         r"|hrs?|seconds?|sigma|std|atr|periods?|windows?|lookback|stocks|names|tickers|assets|symbols"
                         r"|equities|securities|best|worst|top)\b)[A-Za-z@$]"
                         # "ok就买50 不ok就算了", "买50 然后…": desk shorthand, the next words after a space
                         r"|\s+(?=不|然后|再|之后|否则|别|如果|要是|没|尽快|马上|谢|顺便|另外)")
_MONEY_VERB_RE = _LazyRe(r"put|throw\w*|invest\w*|allocat\w*|spend\w*|spent|投入|配置", _I)


class _Verb(NamedTuple):
    start: int
    end: int
    side: Side


class _Ctx(NamedTuple):
    norm: str
    verbs: list[_Verb]
    excluded: list[tuple[int, int]]


def relative_sizes(text: str) -> int:
    """How many relative sizes ``text`` states, "close out" and "清掉" included ("黄金减1/3，标普清掉": two)."""
    norm = _normalise(text)
    return len(_fractions(norm, _numbers(norm)))


def order_sides(text: str) -> set[str]:
    """The sides the trade verbs of ``text`` imply ("sell all our Nasdaq and put the proceeds into the S&P":
    both): one size is never spread over instruments whose verbs disagree."""
    return {v.side for v in _verbs(text)}


def _verbs(norm: str) -> list[_Verb]:
    """Every trade verb of the text with the side it implies."""
    return [_Verb(m.start(), m.end(), "sell" if m.lastgroup == "sell" else "buy") for m in _VERB_RE.finditer(norm)]


def _bounds(norm: str, start: int, end: int, breaks: _LazyRe) -> tuple[int, int]:
    """The clause (or sentence) around a span."""
    left = max((m.end() for m in breaks.finditer(norm, 0, start)), default=0)
    m = breaks.search(norm, end)
    return left, m.start() if m else len(norm)


def _distance(v: _Verb, start: int, end: int) -> int:
    """Characters between a verb and a span (0 when they overlap, as in 减半)."""
    return start - v.end if v.end <= start else v.start - end if v.start >= end else 0


def _nearest_verb(ctx: _Ctx, start: int, end: int, breaks: _LazyRe = _BREAK_RE) -> _Verb | None:
    """The trade verb nearest a span in its clause (the one before wins a tie), not across "if"."""
    left, right = _bounds(ctx.norm, start, end, breaks)
    best: _Verb | None = None
    for v in ctx.verbs:
        if v.start < left or v.end > right:
            continue
        gap = ctx.norm[min(v.end, end):max(v.start, start)]
        if _CONDITION_RE.search(gap) or len(gap) > 30:
            continue
        if best is None or _distance(v, start, end) < _distance(best, start, end):
            best = v
    return best


def _side(ctx: _Ctx, start: int, end: int) -> Side | None:
    """Buy or sell, from the nearest trade verb in the clause, else in the sentence."""
    verb = _nearest_verb(ctx, start, end) or _nearest_verb(ctx, start, end, _SENTENCE_RE)
    return verb.side if verb else None


#: What a relative amount names as its base right beside it: "5% of equity", "half of my position",
#: "总资产的10%", "持仓的一半" - said outright, it wins over a nearer word of the clause ("add to my
#: gold position, 5% of equity").
_OF_AFTER_RE = _LazyRe(r"\s*of\s+(?:(?:my|our|the|your|total|whole|entire|current|available)\s+){0,3}", _I)
_OF_BEFORE_RE = _LazyRe(r"的\s*$")


def _anchor(norm: str, start: int, end: int) -> str | None:
    """What a relative amount is of: "equity" (资金), "position" (持仓), "cang" (仓位) or None."""
    left, right = _bounds(norm, start, end, _SOFT_BREAK_RE)
    of = _OF_AFTER_RE.match(norm, end, right)
    before = _OF_BEFORE_RE.search(norm, left, start)
    for name, pattern in _ANCHOR_RES:
        if of is not None and pattern.match(norm, of.end(), right):
            return name
        if before is not None and any(m.end() == before.start() for m in pattern.finditer(norm, left, before.start())):
            return name
    best: tuple[int, str] | None = None
    taken: list[tuple[int, int]] = []
    for name, pattern in _ANCHOR_RES:
        for m in pattern.finditer(norm, left, right):
            if any(s <= m.start() < e for s, e in taken):
                continue
            taken.append((m.start(), m.end()))
            dist = start - m.end() if m.end() <= start else m.start() - end if m.start() >= end else 0
            if best is None or dist < best[0]:
                best = (dist, name)
    return best[1] if best else None


def _selection_threshold_or_target(norm: str, start: int, end: int) -> bool:
    """Selection (top 5%), threshold (stop loss 5%), target (reduce to 10%) around a relative amount."""
    left, right = _bounds(norm, start, end, _BREAK_RE)
    before = _TAKE_PROFIT_RE.sub("", norm[max(left, start - 30):start])[-14:]  # "take profit on half" sells
    if not re.search(r"%|百分|个点|bp", norm[start:end]):
        before = _ZH_TAKE_RE.sub("", before)  # "止盈一半", "割肉三分之一": a share of the position sold, not a stop level
    before = re.split(r"就|则|那么|\bthen\b", before)[-1]  # "要是收益是正的就加三成仓": the condition's words are not the amount's
    after = norm[end:min(_bounds(norm, start, end, _SOFT_BREAK_RE)[1], end + 12)]
    return bool(_SELECT_BEFORE_RE.search(before) or _THRESHOLD_RE.search(before)
                or _THRESHOLD_RE.search(after.split(" of ")[0]) or _TARGET_BEFORE_RE.search(before[-10:]))


def _fraction_kind(f: _Frac, side: Side | None, anchor: str | None) -> tuple[QuantityKind, float] | None:
    """Decide what a relative amount is of; None when the words do not say."""
    pct = round(f.value * 100, 12)
    if anchor == "equity":
        return "pct_equity", pct
    if f.form == "cang" or anchor == "cang":
        return ("fraction_of_position", f.value) if side == "sell" else ("pct_equity", pct)
    if anchor == "position" or side == "sell":
        return "fraction_of_position", f.value
    if side == "buy" and f.form == "percent":
        return "pct_equity", pct
    return None


_POSITION_THEN_SHARE_RE = _LazyRe(r"仓位\s*(?:再|各)?\s*(?:加|增加|加上|减|减少|减掉|砍|降)\s*$")


def _from_fraction(ctx: _Ctx, f: _Frac) -> tuple[QuantityKind, float, Side | None] | None:
    """A relative amount as an order size ("sell half", "三成仓位买入"), or None."""
    if f.form == "close":
        return "fraction_of_position", 1.0, f.side
    if _selection_threshold_or_target(ctx.norm, f.start, f.end):
        return None
    verb = _nearest_verb(ctx, f.start, f.end)
    anchor = _anchor(ctx.norm, f.start, f.end)
    if anchor == "cang" and f.form == "ratio" and _POSITION_THEN_SHARE_RE.search(ctx.norm[max(0, f.start - 12):f.start]):
        anchor = "position"  # "把我原油仓位加三分之一": a third of that position, not a third of the account ("三成仓位")
    if f.form == "all" and anchor is None and (verb is None or _distance(verb, f.start, f.end) > 12):
        return None  # "all" far from its verb is "all stocks", not "all of it"
    if anchor == "equity" and _of_proceeds(ctx.norm, f.start, f.end):
        return None  # "把纳指全卖了，钱全部买标普": all of what the sale brings in - known after it fills, asked
    kind_value = _fraction_kind(f, verb.side if verb else None, anchor)
    if kind_value is None:
        return None
    side = verb.side if verb else _side(ctx, f.start, f.end)
    return kind_value[0], kind_value[1], side


#: The money a sale brings in, named as what to buy with ("the proceeds", "卖的钱", "这笔钱").
_PROCEEDS_RE = _LazyRe(r"\bproceeds\b|\bmoney\s+from\s+(?:the|that|this)\s+sale\b|卖(?:出|掉)?(?:的|来的|出来的)钱"
                       r"|所得|回笼的?资金|这笔钱|那笔钱|这部分钱|卖出所得", _I)

def _of_proceeds(norm: str, start: int, end: int) -> bool:
    """Whether a share "of the money" at ``start..end`` is of a sale's proceeds, named in its clause ("卖的钱全部");
    "，钱全部买标普" after a sale in an earlier clause is the assembly's to see (``_of_the_sale``)."""
    left, right = _bounds(norm, start, end, _SOFT_BREAK_RE)
    return _PROCEEDS_RE.search(norm, left, right) is not None


_UNIT_KIND: dict[str, QuantityKind] = {"share": "units", "unit": "units", "lot": "lots", "yuan": "notional",
                                       "usd": "notional"}


def _is_price_or_threshold(norm: str, n: _Num) -> bool:
    """"at $50", "以10元的价格", "10元/股", "above $2000": a price, not an amount to trade."""
    before = norm[max(0, n.start - 8):n.start]
    return bool(_PRICE_BEFORE_RE.search(before) or _PRICE_AFTER_RE.match(norm, n.end))


def _from_unit_number(ctx: _Ctx, n: _Num, verb: _Verb | None) -> tuple[QuantityKind, float, Side | None] | None:
    """"200 shares", "3 lots", "一手", "$10,000", "5万块" as an order size, or None."""
    kind = _UNIT_KIND.get(n.unit or "")
    if kind is None or _is_price_or_threshold(ctx.norm, n):
        return None
    if kind == "notional" and (verb is None or _CAPITAL_BEFORE_RE.search(ctx.norm[max(0, n.start - 20):n.start])):
        return None
    if verb is None and not _ORDER_WORDS_RE.search(ctx.norm):
        return None
    return kind, float(n.value), verb.side if verb else None


def _is_money(norm: str, n: _Num) -> bool:
    """"10k worth", "用20万买入", "拿出5万的资金", "卖出十二万的纳指": an amount of money stated without a
    currency (a 万/亿 amount "of" an instrument is money: shares are counted in 股 or 手)."""
    if _WORTH_AFTER_RE.match(norm, n.end):
        return True
    if re.search(r"\d\s?(?:k|mm|m|bn|thousand|million)$", norm[n.start:n.end], re.I) and re.match(r"\s+of\s", norm[n.end:]):
        return True  # "sell 40k of S&P", "buy 100k of gold": thousands of money (shares are said as shares)
    if any(c in n.numeral for c in "万亿") and norm[n.end:n.end + 3].lstrip()[:1] == "的":  # "买 20万 的 gold"
        return True
    if any(c in n.numeral for c in "万亿") and _ORDER_VERB_BEFORE_RE.search(norm[max(0, n.start - 4):n.start]) \
            and not _COUNTED_AFTER_RE.match(norm, n.end):
        return True  # "纳指加仓50万", "买入三十万": a 万-sized amount with no 股/手 counts money, not units
    return bool(_MONEY_BEFORE_RE.search(norm, max(0, n.start - 6), n.start) and _MONEY_AFTER_RE.match(norm, n.end))


def _from_bare_number(ctx: _Ctx, n: _Num) -> tuple[QuantityKind, float, Side | None] | None:
    """"buy 100 SYN001": a number right after a trade verb, or an amount of money ("用20万买入")."""
    norm = ctx.norm
    verb = next((v for v in ctx.verbs if v.end <= n.start and _BARE_GAP_RE.fullmatch(norm, v.end, n.start)), None)
    if _is_money(norm, n):
        side = _side(ctx, n.start, n.end)
        return ("notional", float(n.value), side) if side else None
    if _CAPITAL_AFTER_RE.match(norm, n.end):
        return None  # "put 1,000,000 of cash behind the top 5%": the account, not an order
    if verb is None or n.source not in ("run", "word") or not _BARE_AFTER_RE.match(norm, n.end):
        return None
    money = _MONEY_VERB_RE.fullmatch(norm, verb.start, verb.end) is not None
    return "notional" if money else "units", float(n.value), verb.side


def _number_quantity(ctx: _Ctx, n: _Num) -> tuple[QuantityKind, float, Side | None] | None:
    """An order size from a numeral with a unit of amount, or a bare one after a trade verb."""
    if n.unit is None:
        return _from_bare_number(ctx, n)
    verb = _nearest_verb(ctx, n.start, n.end) or _nearest_verb(ctx, n.start, n.end, _SENTENCE_RE)
    return _from_unit_number(ctx, n, verb)


def _in_bounds(kind: QuantityKind, value: float) -> bool:
    """A quantity is positive; a fraction of a position at most 1; a share of equity at most 100 %."""
    limit = {"fraction_of_position": 1.0, "pct_equity": 100.0}.get(kind, float("inf"))
    return 0 < value <= limit


def _candidates(ctx: _Ctx, numbers: list[_Num]) -> list[tuple[int, int, int, QuantityKind, float, Side | None]]:
    """(rank, start, end, kind, value, side) of every reading as an order size; rank 1 = bare number."""
    found: list[tuple[int, int, int, QuantityKind, float, Side | None]] = []
    fractions = _fractions(ctx.norm, numbers)
    covers = [f for f in fractions if f.form == "close" and f.side == "buy"]
    for f in fractions:
        skip = _excluded(ctx, f.start, f.end) or _partial_close(f, fractions) or (f.form == "close" and any(
            n.unit is not None and n.unit not in ("percent", "bp") and f.start <= n.start < f.end for n in numbers))
        got = None if skip else _from_fraction(ctx, f)
        if got and f.form in ("ratio", "percent") and any(c.start <= f.start <= c.end + 4 for c in covers):
            got = ("fraction_of_position", f.value, "buy")  # "cover half of the gold short": half of the short
        if got:
            found.append((0, f.start, f.end, *got))
    for n in numbers:
        if n.unit in ("percent", "bp") or _excluded(ctx, n.start, n.end):
            continue
        got = _number_quantity(ctx, n)
        if got:
            found.append((1 if n.unit is None else 0, n.start, n.end, *got))
    return [c for c in found if _in_bounds(c[3], c[4])]


def _partial_close(f: _Frac, fractions: list[_Frac]) -> bool:
    """"平掉一半", "close half of my position": the close word is the verb, the amount is the half; "所有持仓减半",
    "sell half of all my positions": "all" says which positions, the half is the amount."""
    if f.form == "all":
        return any(g.form in ("ratio", "percent") and g.value < 1 and abs(g.start - f.start) <= 16 for g in fractions)
    return f.form == "close" and any(
        g.form in ("ratio", "percent") and g.value < 1 and f.start <= g.start <= f.end + 4 for g in fractions)


def _excluded(ctx: _Ctx, start: int, end: int) -> bool:
    """The span is part of a stated cost: "万三" in 佣金万三 is no order size."""
    return any(s < end and start < e for s, e in ctx.excluded)


def find_quantity(text: str) -> QuantityMention | None:
    """The order size of a trading instruction, or None when the text states none unambiguously.

    Fractions of a position ("sell half", "减仓三分之一", "清仓") are sells unless the words say
    otherwise; percentages of equity, units, lots and money take their side from the nearest
    trade verb. Dates, windows, parameters, symbols, selections and costs are never read.
    """
    norm = _normalise(text)
    numbers = _numbers(norm)
    excluded = [(s, e) for s, e, _, _ in _costs(norm, numbers)]
    ctx = _Ctx(norm, _verbs(norm), excluded)
    found = _candidates(ctx, numbers)
    if not found:
        return None
    _, start, end, kind, value, side = min(found, key=lambda c: (c[0], c[1]))
    return QuantityMention(_span(text, start, end), kind, value, side)
