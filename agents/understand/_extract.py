"""Everything a piece of instruction states, with where it says it.

:func:`extract` runs every slot parser over one normalised segment (a whole instruction or
one of its clauses) and returns a :class:`Found`: each value with the span of the person's
words. The assembly decides which values belong to which step; the spans let the answer
quote the person and name parameter-like words that were not used.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from agents.understand import _lexicon as lex
from agents.understand._numbers import CostMention, QuantityMention, find_costs, find_numbers, find_quantity
from agents.understand._periods import PeriodMention, Role, find_periods
from agents.understand._text import blank

__all__ = ["Found", "Value", "extract", "expressions_in"]


@dataclass(frozen=True)
class Value:
    """A value and the span (start, end) of the words that stated it."""

    value: object
    start: int
    end: int
    said: str


@dataclass
class Found:
    """What one segment states. Lists keep text order."""

    instruments: list[Value] = field(default_factory=list)
    unknown_symbols: list[Value] = field(default_factory=list)
    universe: Value | None = None
    algos: list[Value] = field(default_factory=list)
    models: list[Value] = field(default_factory=list)
    features: Value | None = None
    all_features: list[Value] = field(default_factory=list)  # every feature set named ("alpha158 and another on alpha360")
    strategies: list[Value] = field(default_factory=list)
    params: dict[str, Value] = field(default_factory=dict)
    grid: dict[str, Value] = field(default_factory=dict)
    tune: list[str] = field(default_factory=list)
    spread: set[str] = field(default_factory=set)  # grid names whose points we spread over a stated range
    condition: Value | None = None  # "if it's down on the day": an order's condition (read per clause)
    limit_price: Value | None = None  # "with a limit at 1000", "限价1000": an order's limit
    periods: list[PeriodMention] = field(default_factory=list)
    costs: list[CostMention] = field(default_factory=list)
    horizon: Value | None = None
    forward_days: Value | None = None
    timesteps: Value | None = None
    seed: Value | None = None
    cash: Value | None = None
    quantity: QuantityMention | None = None
    #: the quantity was carried over from another order ("same size again on gold", "黄金再买一样多的"): inferred
    quantity_carried: bool = False
    #: what the person says they hold ("out of my 200 shares", "我手上只有300股"): context, never the order's size
    holding: QuantityMention | None = None
    #: shares of a split that add up to more than the whole ("训练集占70%，测试集占50%"): asked
    split_problem: str | None = None
    side: Value | None = None
    top_k: Value | None = None
    top_pct: Value | None = None
    expressions: list[Value] = field(default_factory=list)
    themes: list[Value] = field(default_factory=list)
    factor_count: Value | None = None
    approval: Value | None = None
    suggest: Value | None = None
    all_positions: Value | None = None  # "close everything", "清仓所有持仓": every held position (no instrument)
    each: bool = False
    scope: tuple[int, int] | None = None  # the part of the text one of several runs named in a clause was said in
    all_params: list[tuple[str, Value]] = field(default_factory=list)
    used: list[tuple[int, int]] = field(default_factory=list)

    def put(self, name: str, value: Value) -> None:
        """A parameter: the first of each name is the step's; all are kept for several strategies."""
        self.params.setdefault(name, value)
        self.all_params.append((name, value))

    def claim(self, start: int, end: int) -> None:
        """Mark a span as consumed by some slot."""
        self.used.append((start, end))


# --- expressions (taken out first: their numbers are not parameters) ---------------------
_QUOTED = re.compile(r"[\"“「`']([^\"”」`']*\$[A-Za-z][^\"”」`']*)[\"”」`']")
_EXPR_TOKEN = re.compile(r"\s*(\$[A-Za-z_]\w*|[A-Za-z_]\w*\s*\(|\d+(?:\.\d+)?(?:e-?\d+)?|[-+*/<>=!&|^]{1,2}|\(|\)|,)")


def expressions_in(original: str) -> list[Value]:
    """Qlib expressions: quoted ones, or formula runs (``$field``s, ``Func(`` calls, numbers and
    operators) read token by token; prose words end a run, a top-level comma splits two."""
    quoted = [Value(m.group(1).strip(), m.start(1), m.end(1), m.group(1).strip()) for m in _QUOTED.finditer(original)]
    if quoted:
        return quoted
    out: list[Value] = []
    i = 0
    while i < len(original):
        start = _formula_start(original, i)
        if start is None:
            break
        found = _formula_at(original, start)
        if found is None:
            i = start + 1
            continue
        out.append(found)
        i = found.end
    return out


def _formula_start(text: str, i: int) -> int | None:
    """The next place a formula may start: a ``$field`` or a ``Func(`` call (or ``-1*``, ``(``)."""
    pos = i
    while (match := _FORMULA_START.search(text, pos)) is not None:
        call = re.match(r"[A-Z][A-Za-z_]*(?=\s+\()", text[match.start():])
        if call is not None and call.group(0) not in _QLIB_OPS:
            pos = match.start() + call.end()  # "Evaluate ($close - ...)": an English verb before a bracket
            continue
        return match.start()
    return None


_FORMULA_START = re.compile(r"(?:-\s*\d+(?:\.\d+)?\s*\*\s*|(?<![\w)\]$.-])-(?=[($]|[A-Z][A-Za-z_]*\s*\())?"
                            r"(?:\(\s*)*(?:\$[A-Za-z_]|[A-Z][A-Za-z_]*\s*\()")  # "-($close/Ref($close,5)-1)": the sign is the factor's
#: Qlib's expression operators (a capitalised word before a spaced bracket is one of these or prose).
_QLIB_OPS = frozenset("Ref Mean Std Var Skew Kurt Max Min IdxMax IdxMin Quantile Med Mad Sum Count Delta Slope Rsquare Resi "
                      "Rank WMA EMA Corr Cov Abs Sign Log Power Add Sub Mul Div Greater Less Gt Ge Lt Le Eq Ne And Or Not "
                      "If Mask ChangeInstrument TResample".split())


def _formula_at(text: str, start: int) -> Value | None:
    """The longest well-formed run of formula tokens from ``start`` that names a ``$field``."""
    pos, depth, last_good, last_kind = start, 0, start, "op"
    while pos < len(text):
        match = _EXPR_TOKEN.match(text, pos)
        if match is None:
            break
        if depth == 0 and pos > start and "\n" in text[pos:match.start(1)]:
            break  # "评估下面三个因子：\n- A\n- B": a line break ends a formula (the next line's "-" is a bullet)
        token = match.group(1).replace(" ", "")
        if token == "--":
            break  # "... -- 1 day fwd": a dash in prose, not two minus signs
        kind = _token_kind(token)
        if kind == "comma" and depth == 0:
            break  # a top-level comma separates two expressions
        if kind == "close" and depth == 0:
            break
        if kind in ("field", "number", "call", "open") and last_kind in ("field", "number", "close"):
            break  # two operands in a row: prose between formulas ("... and Std(")
        depth += 1 if kind in ("call", "open") else -1 if kind == "close" else 0
        pos, last_kind = match.end(), kind
        if depth == 0 and kind in ("field", "number", "close"):
            last_good = pos
    piece = text[start:last_good].strip()
    if "$" not in piece or piece.count("(") != piece.count(")"):
        return None
    return Value(piece, start, start + len(piece), piece)


def _token_kind(token: str) -> str:
    if token.startswith("$"):
        return "field"
    if token.endswith("("):
        return "call" if len(token) > 1 else "open"
    if token == ")":
        return "close"
    if token == ",":
        return "comma"
    if token[0].isdigit():
        return "number"
    return "op"


# --- instruments ---------------------------------------------------------------------------
_TICKER = re.compile(r"(?<![A-Za-z0-9_$&])([A-Z][A-Z0-9.\-]{1,9})(?![A-Za-z0-9_])")
_NOT_TICKERS = frozenset({
    "RL", "PPO", "A2C", "SAC", "TD3", "DDPG", "MLP", "SMA", "EMA", "MA", "MACD", "RSI", "IC", "ICIR", "OOS", "IS",
    "USD", "CNY", "RMB", "BP", "BPS", "ETF", "AI", "ML", "LGBM", "LGB", "GBDT", "TOP", "P&L", "PNL", "YTD", "Q1",
    "Q2", "Q3", "Q4", "H1", "H2", "AND", "OR", "THE", "I", "A", "OK", "ALPHA", "DRL", "FINRL", "QLIB", "SB3", "BT",
    "CSV", "JSON", "API", "LLM", "GPT", "CN", "US", "UTC", "AM", "PM", "VS", "PK", "NAV", "TWAP", "VWAP", "ATR",
    "ROE", "PE", "PB", "EPS", "KDJ", "CCI", "OBV", "DMA", "ASAP", "FYI", "PX", "POS", "FX", "EOD", "SOD", "EOW",
    "EOM", "TBD", "TODO", "FY", "NB", "PS", "WIP", "RFC",
    # market episodes, desk and fund words (periods read them: "post-COVID", "through the GFC", "letter to my LPs")
    "COVID", "GFC", "LTCM", "QE", "QT", "FOMC", "FED", "CPI", "GDP", "LP", "LPS", "GP", "CIO", "HWM", "DD",
})
#: A ticket or issue key at the head of a note ("QR-1182 |", "Ticket JIRA-204:"): a reference, never a symbol.
_ISSUE_KEY = re.compile(r"[A-Z]{2,6}-\d{2,6}")


_SYMBOL_RANGE = re.compile(r"(?<![a-z])(syn)(\d{3})\s*(?:到|至|-|–|~|through|thru|to)\s*syn(\d{3})(?!\d)")


def _instruments(norm: str, original: str, symbols: Collection[str], found: Found) -> None:
    table = dict(lex.ASSETS)
    for symbol in symbols:
        key = symbol.upper()
        table[key] = (*table.get(key, ()), symbol.lower())
    for hit in lex.find_spans(norm, table):
        found.instruments.append(Value(hit.value, hit.start, hit.end, original[hit.start:hit.end]))
        found.claim(hit.start, hit.end)
    # "SYN005到SYN007各卖200股", "SYN010-SYN012", "syn020 through syn024": every name of the range, not its two ends
    for match in _SYMBOL_RANGE.finditer(norm):
        prefix, lo, hi = match.group(1).upper(), int(match.group(2)), int(match.group(3))
        inside = [f"{prefix}{n:0{len(match.group(2))}d}" for n in range(lo + 1, hi)]
        if not 0 < hi - lo <= 20 or not all(name in table for name in inside):
            continue
        at = next((k for k, v in enumerate(found.instruments) if v.start == match.start()), None)
        if at is None:
            continue
        added = [Value(name, match.start(), match.end(), original[match.start():match.end()]) for name in inside]
        found.instruments[at + 1:at + 1] = added
    for hit in lex.find_spans(norm, {"outside": lex.OUTSIDE}):  # "比特币", "Apple": not in the store - ask
        members = [v for v in found.instruments if hit.start <= v.start and v.end <= hit.end
                   and v.end - v.start < hit.end - hit.start]
        if members:  # "标普500成分股": the index's members, which the store lacks - not the index
            found.instruments = [v for v in found.instruments if v not in members]
        if not any(hit.start < v.end and v.start < hit.end for v in found.instruments):
            found.unknown_symbols.append(Value(original[hit.start:hit.end], hit.start, hit.end, original[hit.start:hit.end]))
    known = {s.upper() for s in symbols} | set(lex.ASSETS)
    spelled = {s.upper() for spellings in lex.ASSETS.values() for s in spellings}
    for match in _TICKER.finditer(original):
        word = match.group(1).rstrip(".-")  # "... but with SAC.": the sentence's full stop is not the ticker's
        if len(word) < 2 or word in known or word in spelled or word.upper() in _NOT_TICKERS:  # "P&L.": no "L"
            continue
        if _ISSUE_KEY.fullmatch(word) and not word.startswith("SYN"):
            continue
        if any(match.start() < v.end and v.start < match.end() for v in found.instruments):
            continue
        found.unknown_symbols.append(Value(word, match.start(), match.end(), word))
    for match in _A_SHARE.finditer(original):  # "train lightgbm on 600519 only": a stock code the store lacks
        if not _AMOUNT_BEFORE.search(original[:match.start()]):
            found.unknown_symbols.append(Value(match.group(0), match.start(), match.end(), match.group(0)))


#: A six-digit Shanghai/Shenzhen code ("600519", "000001.SZ") where a name goes - not an amount ("600000
#: shares", "$300000", "cash 600000", "seed 300001").
_A_SHARE = re.compile(r"(?<![\d.,$¥￥a-zA-Z_])[036]\d{5}(?:\.(?:SH|SZ|sh|sz|SS|ss))?(?![\d,.]\d)(?!\s*(?:shares?|units?|lots?"
                      r"|contracts?|股|手|份|元|块|美元|dollars?|bucks|usd|rmb|cny|k\b|steps?|步|timesteps|iterations?|episodes?"
                      r"|次|rows?|bars?|of\b|%|bps?|万|千|百))")
_AMOUNT_BEFORE = re.compile(r"(?:[$¥￥]|\b(?:cash|capital|budget|equity|seed|steps?|timesteps|notional|worth|usd|rmb)"
                            r"|资金|本金|种子|步数|金额)\s*[:=：]?\s*$", re.I)


# --- parameters ------------------------------------------------------------------------------
_NUM = r"(\d+(?:\.\d+)?)"
_NAMED = re.compile(
    r"(fast(?:\s+ma|\s+sma|\s+ema|\s+line|\s+period|\s+length|\s+window)?|slow(?:\s+ma|\s+sma|\s+ema|\s+line|\s+period"
    r"|\s+length|\s+window)?|signal(?:\s+line|\s+period)?|period|window|lookback|length|entry|exit|lower|upper"
    r"|oversold|overbought|devs?|devfactor|std|sigma|width|快线|慢线|短期|长期|短均线|长均线|快均线|慢均线|信号线|信号(?=\s*\d)|周期|窗口|回看期|回看"
    r"|超卖|超买|下轨|上轨|标准差倍数|通道长度|channel\s+length|快(?=\s*\d)|慢(?=\s*\d)|短的(?=\s*\d)|长的(?=\s*\d))\s*(?:线|水平|阈值)?\s*(?:=|:|：|of|at|is|fixed\s+at|set\s+to|held\s+at|kept\s+at|为|设为|设成|设置为|设置成|改成|改为|换成|调成|调到|改到|固定在|固定为?|定在|设在|设|取|用|changed\s+to)?\s*"
    r"(\d+(?:\.\d+)?|[一二两三四五六七八九十百]+)"
    r"(?!\s*(?:%|年|月|bp|万|千|,\d{3}\b|个|种|项))")
_PARAM_ALIAS = {"快": "fast", "慢": "slow", "短的": "fast", "长的": "slow", "window": "period", "lookback": "period", "length": "period", "lengths": "period", "channel": "period",
                "channel length": "period", "channel lengths": "period", "通道长度": "period", "通道": "period",
                "周期": "period", "窗口": "period",
                "回看期": "period", "回看": "period", "回看窗口": "period", "oversold": "lower", "overbought": "upper", "超卖": "lower",
                "超买": "upper", "超卖阈值": "lower", "超买阈值": "upper", "超卖线": "lower", "超买线": "upper", "下轨": "lower", "上轨": "upper", "dev": "devs", "devfactor": "devs", "std": "devs",
                "sigma": "devs", "width": "devs", "标准差倍数": "devs", "快线": "fast", "慢线": "slow", "短期": "fast",
                "长期": "slow", "短均线": "fast", "长均线": "slow", "快均线": "fast", "慢均线": "slow", "信号线": "signal", "信号": "signal"}
#: (a blanked strategy word is a run of spaces: "sma 10/30 and macd 12" is no triple)
_TRIPLE = re.compile(r"(?<![\d.$-])(\d{1,3})\s*[/,、，]\s*(\d{1,3})\s*(?:[/,、，]|,?\s*and|和|与)\s{0,2}(\d{1,3})(?![\d.])")
_PAIR = re.compile(r"(?<![\d.$-])(\d{1,3})\s*(?:/|and|&|和|与|,|、|-|vs\.?)\s*(\d{1,3})(?![\d.]|\s*(?:%|％|bp|年|月|日\s*(?:到|至)))")
_MA_PAIR = re.compile(r"ma\s*\(?\s*(\d{1,3})\s*\)?\s*(?:/|and|,|&|和|与|、|-|over|above|vs\.?|versus|crossing(?:\s+(?:over|above))?"
                      r"|cross(?:es)?(?:\s+(?:over|above))?|上穿|穿过)\s*(?:the\s+)?(?:s|e)?ma\s*\(?\s*(\d{1,3})")
_ZH_CROSSING = re.compile(r"上穿|穿过|站上|下穿|线$")
#: A length in digits or Chinese numerals ("5", "二十", "一百二十"): "五日线上穿二十日线" is a 5/20 cross.
_LEN = r"(?<![\d一二两三四五六七八九十百千万第])(\d{1,3}|[一二两三四五六七八九十百]{1,5})"
_OVER_PAIR = re.compile(r"(?<![\d.])" + _LEN + r"\s*(?:-?\s*days?|日|天)?\s*-?\s*(?:over|above|crossing\s+(?:above|over)|cross(?:es|ing)?\s+"
                        r"(?:above|over)|上穿|穿过|突破)\s*-?\s*(?:the\s+)?" + _LEN + r"\s*(?:-?\s*days?|日|天)?(?![\d.%])")
_ZH_MA_PAIR = re.compile(_LEN + r"\s*日(?:均线|线)?\s*(?:和|与|、|/|,|，|-|跟|上穿|穿过|站上|突破)\s*" + _LEN
                         + r"\s*日(?:均线|线|的?金叉|的?均线交叉|的?双均线)")
#: "50日上穿200日": one length crossing another is a cross, even without 线.
_ZH_CROSS_BARE = re.compile(_LEN + r"\s*日(?:均线|线)?\s*(?:上穿|穿过|站上|下穿)\s*" + _LEN + r"\s*日")
_SINGLE = re.compile(r"(?<![\d.])(\d{1,3}|[一二两三四五六七八九十百]+)\s*[-\s]?(?:day|days|d|bar|日|天)\s*"
                     r"(?:simple\s+|exponential\s+|price\s+|time[- ]series\s+|cross[- ]sectional\s+)?"
                     r"(?:ma\b|sma|ema|moving average|均线|rsi|bollinger|布林|channel|通道|donchian|唐奇安|lookback|window|回看"
                     r"|breakout|突破|momentum|动量|mean reversion|均值回归|high|低点|高点|新高|新低|average|avg\b|mean\b|均值|平均价?"
                     r"|reversal|反转|volatility|vol\b|波动率?|turnover|换手率?"
                     r"|z-?\s?score|z值|deviation\s+from\s+the\s+mean|乖离率?)")
#: "布林带…参数用20天", "parameter 20 days": a one-length rule's length said as its parameter.
_PARAM_DAYS = re.compile(r"参数\s*(?:用|是|为|设为|设成|取|就)?\s*(\d{1,3})(?:\s*(?:天|日|个交易日)"
                         # "布林带回测 参数20": one number, the rule's one length (not "参数20和2", "参数20%")
                         r"|(?![\d.]|\s*(?:[,，/、和与-]\s*\d|%|年|月|万|bp|个|倍|手|股)))"
                         r"|(?<![a-z])param(?:eter)?\s*(?:of\s+|=\s*|:\s*)?(\d{1,3})\s*(?:-?\s*days?|d)(?![a-z])")
#: "过去120天涨了就持有": a momentum rule's lookback said as "the past N days".
_PAST_DAYS = re.compile(r"过去\s*(\d{1,3})\s*(?:天|日|个交易日)|(?<![a-z])past\s+(\d{1,3})\s+(?:trading\s+)?days")
_AFTER_STRATEGY = re.compile(r"(?:均值回归|突破|动量|momentum|breakout|mean[- ]reversion|mean[- ]rev\b|\bmr\b|channel|通道|lookback|回看期?|rsi"
                             r"|donchian|唐奇安|bollinger|布林带?)"
                             r"(?:\s*(?:strategy|策略|thing|bands?|based|指标|线))?\s*[,，]?\s*(?:like\s+|say\s+|with\s+(?:a|an)\s+|using\s+(?:a|an)\s+)?"
                             r"(?:of|为|取|用)?\s*[\(（]?\s*(\d{1,3}|[一二两三四五六七八九十百]+)\s*(?:-?\s*(?:days?|d|日|天|bars?))")
#: "momentum 10", "mean reversion (20)", "breakout 55 on gold": a style's length said as a bare number after its name
#: (not a count of factors or names, a size, a range or a Bollinger pair).
_BARE_AFTER = re.compile(r"(?:均值回归|突破|动量|momentum|breakout|mean[- ]reversion|mean[- ]rev\b|bollinger|布林带?)\s*[\(（]?\s*"
                         r"(\d{1,3})\s*[\)）]?"
                         r"(?![\d.,/%]|\s*(?:-|–|to\b|到|至|factors?|个|stocks?|names|只|lots?|shares?|手|股|percent|倍|/|"
                         r"days?|d\b|日|天|bars?))")
#: "twenty period", "a 14-period RSI", "55 bar lookback": the number before the word that names it.
_PERIOD_WORD = re.compile(r"(?<![\d.])(\d{1,3})\s*-?\s*(?:periods?\b|bars?\s+lookback|days?\s+lookback|days?\s+window"
                          r"|(?:days?|bars?)\s+(?:look-?back\s+)?period\b"
                          r"|day\s+lookback|日周期|周期)")
_LEADING_PERIOD = re.compile(r"(?<![\d.])(\d{1,3})\s*-?\s*(?:day|日|天)(?=\s*(?:,|，|、|\s)\s*\d(?:\.\d)?\s*(?:-?\s*(?:sigma|std|"
                             r"standard deviations?|sd)|倍标准差|个标准差))")
_RSI = re.compile(r"rsi\s*[\(（]?\s*(\d{1,3})\s*[\)）]?")
#: "Donchian 20", "唐奇安通道 55": a channel's name, then its length as a bare number.
_CHANNEL_NUMBER = re.compile(r"(?:donchian|唐奇安)(?:\s*(?:channels?|breakout|通道突破|通道))?\s*[\(（]?\s*(\d{1,3})(?![\d.])"
                             r"(?!\s*(?:%|％|bps?|基点|年|月|[-/~到至]\s*\d|y\b|yrs?\b|years?\b|months?\b|weeks?\b))")
_BAND_PAIR = re.compile(r"(?:bollinger(?:\s+bands?)?|bolinger|\bboll\b|\bbb|布林带?|布林线|布林通道)[^\d]{0,8}?[\(（]?\s*(\d{1,3})\s*"
                        r"(?:-?\s*(?:days?|d|日|天))?\s*[,，、/和与]?\s*(?:and\s+)?(\d(?:\.\d+)?)\s*(?:sd|std|sigma|"
                        r"standard deviations?|倍标准差|个标准差|倍)?\s*[\)）]?")
_AVERAGES = re.compile(_LEN + r"\s*-?\s*(?:day|日|天)\s*(?:and|和|与|&|,|、|/)?\s*" + _LEN + r"\s*-?\s*(?:day|日|天)"
                       r"(?:\s*(?:moving\s+)?(?:averages?|ma|sma|ema|均线|移动平均))?")
#: "双均线 5 20", "sma cross 10 50": a cross's two lengths after its name, parted by a space only.
_SPACED_MA_PAIR = re.compile(r"(?:(?:双均线|均线交叉|均线)\s*|(?<![a-z])(?:sma|ema|ma)(?:\s*cross(?:over)?)?\s+)(\d{1,3})\s+(\d{1,3})"
                             r"(?![\d.]|\s*(?:%|％|bps?|年|月|日|天|days?|years?|k\b|steps?))")
#: "a 10 30 moving average cross", "10 30 均线": the two lengths said before the name.
_SPACED_PAIR_BEFORE = re.compile(r"(?<![\d.$])(\d{1,3})\s+(\d{1,3})\s*(?:-?\s*day\s+)?(?:(?:simple\s+|exponential\s+)?moving\s+averages?"
                                 r"|sma|ema|ma|双均线|均线)(?![a-z])")
#: "双均线5 30和10 60", "sma 10 30 vs 20 60": a second spaced pair said right after the first is a setting of its own.
_SPACED_NEXT = re.compile(r"\s*(?:和|与|跟|对比|还是|、|,|，|vs\.?|versus|and|or)\s*(\d{1,3})\s+(\d{1,3})"
                          r"(?![\d.]|\s*(?:%|％|bps?|年|月|日|天|days?|years?|k\b|steps?))")
_PAREN_PAIR = re.compile(r"[\(（]\s*(\d{1,3})\s*[,，、/]\s*(\d{1,3})\s*[\)）]")
_RSI_LEVELS = re.compile(r"rsi\s*[\(（]?\s*\d{1,3}(?!\d)\s*[\)）]?\s*(?:[,，/]\s*)?(\d{1,2})(?:\s*/\s*|\s+)(\d{2})"
                         r"(?![\d.%]|\s*(?:days?|d|日|天|bars?)(?![a-z]))")  # "rsi(14) 30/70", "rsi 14 30 70"
_RSI_TRIPLE = re.compile(r"rsi\s*[\(（]\s*\d{1,3}\s*[,，、]\s*(\d{1,2})\s*[,，、]\s*(\d{2})\s*[\)）]")
_DEVS = re.compile(r"(\d(?:\.\d+)?|[一二两三](?:点五)?)\s*(?:-?\s*(?:sigma|std|standard deviations?|sd)\b|倍标准差|个标准差|倍)|"
                   r"(?:倍数|标准差倍数|宽度|(?<![a-z])(?:devs?|std|sigma|width|multiplier|k)(?![a-z]))\s*(?:固定|定|设|取|(?:fixed|set|kept|held)(?![a-z]))?\s*"
                   r"(?:为|是|在|成|=|:|：|at|of|to)?\s*(\d(?:\.\d+)?|[一二两三](?:点五)?)(?![\d%])")  # "倍数固定为2", "devs at 2.5"
_THRESHOLDS = re.compile(r"(?:阈值|thresholds?|bands?)\D{0,4}?(\d{1,2})\s*(?:与|和|、|,|，|/|and|-)\s*(\d{2})|"
                         r"(?:under|below|<|低于|跌破|小于)\s*(\d{1,2})\D{1,40}?(?:over|above|>|高于|超过|大于|涨破|突破|站上"
                         r"|cross(?:es|ing)?(?:\s+(?:above|over|back\s+above))?|(?:rises?|goes|gets|climbs?)\s+(?:above|over|past)"
                         r"|exceeds?|tops?|hits?|reaches?)\s*(\d{2})|"
                         r"(?<![\d.])(\d{1,2})\s*(?:以下|之下)?\s*(?:买入?|做多|开仓)\s*[,，、；;]?\s*(\d{2})\s*(?:以上|之上)?\s*(?:卖|平仓|离场)|"
                         r"(\d{1,2})\s*/\s*(\d{2})\s*(?:rsi|thresholds?|levels?|bands?|阈值|超买超卖)|"
                         r"(?:rsi|thresholds?|levels?|阈值|超买超卖)\D{0,12}(\d{1,2})\s*(?:/|and|和|-)\s*(\d{2})")
_PAIR_CONTEXT = re.compile(r"ma|sma|ema|cross|均线|快|慢|moving|macd|crossover|交叉|短|长|day|日|golden|金叉|参数")


#: "go long whenever its trailing 60-day return is positive", "过去120天涨了就持有", "过去20日收益为正就做多": the
#: lookback of a momentum rule, said as the days its return is judged over (not a data window).
_LOOKBACK_RULE = re.compile(
    r"(?:过去|最近|近|前)\s*(\d{1,3})\s*(?:天|日|个交易日)\s*(?:的)?\s*(?:收益率?|涨幅|回报|累计收益)?\s*(?:为正|为负|大于0|小于0|>\s*0|"
    r"是正的|是负的|涨了|跌了|上涨|下跌|转正|转负)|"
    r"(?<![a-z])(?:trailing|past|last|prior|previous|lookback)\s+(\d{1,3})\s*-?\s*(?:trading\s+)?(?:days?|d|bars?)(?:'s?)?\s+"
    r"(?:total\s+)?(?:returns?|performance|change|price\s+change)\s+(?:is\s+|was\s+|are\s+|turns\s+)?(?:positive|negative|above|"
    r"below|up|down|greater|less|over|under)|"
    r"(?<![a-z])(?:trailing|past|prior)\s+(\d{1,3})\s*-?\s*(?:trading\s+)?(?:days?|d)(?:'s?)?\s+returns?")


#: "closes above the highest close of the previous 40 days", "创20日新高就买": a breakout of an N-day
#: channel (Donchian), its window N.
_CHANNEL = re.compile(
    r"(?:above|over|through|beyond|exceeds?|tops?|breaks?|below|under)\s+(?:the\s+|its\s+)?(?:highest|lowest|max(?:imum)?|min(?:imum)?)"
    r"\s+(?:close|closing\s+price|high|low|price|level)s?\s+(?:of|over|in|for|during)\s+(?:the\s+)?(?:previous|prior|past|last|"
    r"preceding a?)\s*(\d{1,3})\s*(?:trading\s+)?(?:days?|sessions?|bars?)"
    r"|\b(?:new\s+)?(\d{1,3})\s*-?\s*day\s+(?:highs?|lows?)\b(?=[^.;]{0,40}\b(?:buy|sell|long|short|enter|exit|go)\b)"
    r"|创\s*(\d{1,3})\s*(?:日|天|个交易日)\s*(?:新高|新低)|(?:突破|跌破|站上)\s*(?:过去|前|近)?\s*(\d{1,3})\s*(?:日|天|个交易日)\s*(?:的)?\s*"
    r"(?:最高价?|最低价?|高点|低点|新高|新低)")


def _channel_rule(norm: str, found: Found) -> Value | None:
    """The window of a channel breakout said as a rule, and the strategy it names."""
    match = _CHANNEL.search(blank(norm, found.used))
    if match is None:
        return None
    group = next(i for i in range(1, 5) if match.group(i))
    found.put("period", Value(float(match.group(group)), match.start(), match.end(), match.group(0)))
    found.claim(match.start(), match.end())
    return Value("donchian_breakout", match.start(), match.end(), match.group(0))


def _lookback_rule(norm: str, found: Found) -> None:
    """A momentum rule's lookback (read before periods: "过去120天" is then not a window)."""
    if lex.has_any(norm, lex.CUES["factor"]) or not (lex.find_spans(norm, lex.STRATEGIES)
                                                      or lex.has_any(norm, lex.THEMES["momentum"])):
        return  # a factor's "20日收益" is its forward horizon
    match = _LOOKBACK_RULE.search(blank(norm, found.used))
    if match is None:
        return
    group = next(i for i in range(1, 4) if match.group(i))
    found.put("period", Value(float(match.group(group)), match.start(), match.end(), match.group(0)))
    found.claim(match.start(), match.end())


#: A setting said as changed ("把快线换成10", "slow changed to 100"): what a rerun changes.
CHANGED_TO = re.compile(r"换成|改成|改为|调成|调到|换到|改到|changed?\s+to|switch(?:ed)?\s+to")


def _params(norm: str, context: str, found: Found) -> None:
    """Strategy parameters from ``norm`` (blanked of used spans); ``context`` is the full text."""
    from agents.understand._numbers import parse_number

    for match in _NAMED.finditer(norm):
        word = match.group(1).split()[0]
        name = _PARAM_ALIAS.get(word, _PARAM_ALIAS.get(match.group(1), word))
        value = parse_number(match.group(2))
        if value is None:
            continue
        if CHANGED_TO.search(match.group(0)) and any(_pair_is_params(context, m) for m in _PAIR.finditer(norm, 0, match.start())):
            continue  # "双均线5/30回测…，然后把快线换成10再跑一次": the pair is the run; the change is the rerun's
        found.put(name, Value(float(value), match.start(), match.end(), match.group(0)))
        found.claim(match.start(), match.end())
    _threshold_params(blank(norm, found.used), found)
    _rsi_levels(context, found)
    _macd_triple(blank(norm, found.used), context, found)
    _band_pair(context, found)
    distinct = len({str(v.value) for v in found.strategies}) >= 2  # "双均线（5日/20日）和布林带（20，2）": each its own
    for pattern in (_AVERAGES, _PAREN_PAIR):
        if "fast" not in found.params and ("period" not in found.params or distinct):
            for match in pattern.finditer(context):
                if not any(u[0] <= match.start(1) < u[1] for u in found.used) and _pair_is_params(context, match):
                    _fast_slow(found, match)
                    break
    for pattern in (_MA_PAIR, _ZH_MA_PAIR, _ZH_CROSS_BARE, _SPACED_MA_PAIR, _SPACED_PAIR_BEFORE):
        for match in pattern.finditer(context):
            if not any(u[0] <= match.start(1) < u[1] for u in found.used):
                _fast_slow(found, match)
                after = _SPACED_NEXT.match(context, match.end()) if pattern is _SPACED_MA_PAIR else None
                if after is not None:
                    _fast_slow(found, after)
                if pattern in (_ZH_MA_PAIR, _ZH_CROSS_BARE) and not found.strategies and _ZH_CROSSING.search(match.group(0)):
                    # "5日线上穿30日线就买，下穿就卖": one average crossing another is a moving-average cross rule
                    found.strategies.append(Value("sma_cross", match.start(), match.end(), match.group(0)))
    if "fast" not in found.params and any(str(v.value) in ("sma_cross", "ema_cross") for v in found.strategies):
        over = _OVER_PAIR.search(blank(context, found.used))
        if over is not None and _length(over.group(1)) < _length(over.group(2)):
            _fast_slow(found, over)  # "a golden cross, 50 over 200", "50日上穿200日": the fast average over the slow
    several = len({str(v.value) for v in found.strategies}) >= 2
    repeated = len(found.strategies) >= 2  # "sma 10/30, sma 20/60 and sma 50/200": one rule said per setting
    if found.strategies and ("fast" not in found.params or several or repeated):
        # with several strategies ("MACD 12, 26 and 9, then a 10/30 SMA cross") each may state its own pair
        pairs = [m for m in _PAIR.finditer(blank(norm, found.used)) if _pair_is_params(context, m)]
        joins = r"^\s*(?:vs\.?|versus|against|or|and|对比|和|与|还是|或)\s*$"
        for k, match in enumerate(pairs):
            between = norm[pairs[k - 1].end():match.start()] if k else ""
            if repeated and not several:
                between = re.sub(r"^[\s,，、]*(?:(?:and|or|vs\.?|versus|和|与|或)\s+)?", " and ", _strategy_words(between, found))
            if k and not re.search(joins, between):
                break  # "SMA 10/50 vs 20/100": two settings to set side by side; otherwise the first
            _fast_slow(found, match)
    _single_params(norm, context, found)


def _strategy_words(text: str, found: Found) -> str:
    """``text`` without the words of the strategies named in it ("、sma " between two settings)."""
    for v in found.strategies:
        text = text.replace(v.said, " ")
    return text


def _rsi_levels(context: str, found: Found) -> None:
    """"RSI(14) 30/70", "RSI(14, 30, 70)": the period, then the oversold/overbought levels."""
    match = _RSI_LEVELS.search(context) or _RSI_TRIPLE.search(context)  # "RSI(14, 30, 70)": period, lower, upper
    if match and not any(u[0] <= match.start(1) < u[1] for u in found.used):
        found.put("lower", Value(float(match.group(1)), match.start(1), match.end(2), match.group(0)))
        found.put("upper", Value(float(match.group(2)), match.start(1), match.end(2), match.group(0)))
        found.claim(match.start(1), match.end(2))


def _band_pair(context: str, found: Found) -> None:
    """"Bollinger (20, 2)", "布林带（20，2.5）", "bollinger 20, 2sd": the period and the width."""
    for match in _BAND_PAIR.finditer(context):
        if any(u[0] <= match.start(1) < u[1] for u in found.used):
            continue
        period, devs = float(match.group(1)), float(match.group(2))
        if period < 2 or not 0 < devs <= 5:
            continue
        found.put("period", Value(period, match.start(1), match.end(1), match.group(0)))
        found.put("devs", Value(devs, match.start(2), match.end(2), match.group(0)))
        found.claim(match.start(1), match.end(2))


_SPACED_TRIPLE = re.compile(r"macd\D{0,6}?(?<![\d.])(\d{1,3})\s+(\d{1,3})\s+(\d{1,3})(?![\d.%])"
                            # "MACD on gold 12 26 9": the name, where it runs, then its three lengths
                            r"|macd\s+(?:on|for)\s+(?:the\s+)?[a-z&]+(?:\s+[a-z&]+)?\s+(\d{1,2})\s+(\d{1,3})\s+(\d{1,2})(?![\d.%])")


#: "MACD 12-26-9": fast-slow-signal joined by hyphens (only read beside "macd").
_HYPHEN_TRIPLE = re.compile(r"(?<![\d.$-])(\d{1,2})\s*-\s*(\d{1,2})\s*-\s*(\d{1,2})(?![\d.-])")


def _macd_triple(norm: str, context: str, found: Found) -> None:
    if "fast" in found.params or "macd" not in context:
        return
    match = _TRIPLE.search(norm) or _HYPHEN_TRIPLE.search(norm)
    if match is None:  # "MACD 12 26 9": the name is claimed (blanked) in ``norm``; find it in the context
        spaced = _SPACED_TRIPLE.search(context)
        k = 1 if spaced is not None and spaced.group(1) else 4
        if spaced is not None and norm[spaced.start(k):spaced.end(k + 2)] == context[spaced.start(k):spaced.end(k + 2)]:
            a, b, c = (float(spaced.group(i)) for i in (k, k + 1, k + 2))
            if k == 4 and not (a < b and c < b):
                return  # three numbers after the instrument that are no MACD's fast < slow, signal < slow
            for name, value in (("fast", a), ("slow", b), ("signal", c)):
                found.put(name, Value(value, spaced.start(k), spaced.end(k + 2), spaced.group(0)))
            found.claim(spaced.start(k), spaced.end(k + 2))
        return
    if match:
        a, b, c = (float(match.group(i)) for i in (1, 2, 3))
        for name, value in (("fast", a), ("slow", b), ("signal", c)):
            found.put(name, Value(value, match.start(), match.end(), match.group(0)))
        found.claim(match.start(), match.end())


def _threshold_params(norm: str, found: Found) -> None:
    for match in _THRESHOLDS.finditer(norm):
        if "band" in match.group(0) and not any(v.value == "rsi_reversion" for v in found.strategies):
            continue  # "RSI (period 14, bands 30/70)": an RSI's bands are its levels; a Bollinger's are not
        groups = [g for g in match.groups() if g is not None]
        lo, hi = groups[0], groups[1]
        found.put("lower", Value(float(lo), match.start(), match.end(), match.group(0)))
        found.put("upper", Value(float(hi), match.start(), match.end(), match.group(0)))
        found.claim(match.start(), match.end())


def _pair_is_params(context: str, match: re.Match[str]) -> bool:
    """``10/30`` near a strategy word; not a date, a ratio of money or a threshold."""
    a, b = _length(match.group(1)), _length(match.group(2))
    if a == b or a == 0 or b == 0 or max(a, b) > 400:
        return False
    around = context[max(0, match.start() - 30):match.end() + 30]
    return bool(_PAIR_CONTEXT.search(around))


def _length(raw: str) -> float:
    """A length said in digits or Chinese numerals ("二十" is 20)."""
    from agents.understand._numbers import parse_number

    value = parse_number(raw)
    return float(value) if value is not None else 0.0


def _fast_slow(found: Found, match: re.Match[str]) -> None:
    fast, slow = sorted((_length(match.group(1)), _length(match.group(2))))
    found.put("fast", Value(fast, match.start(), match.end(), match.group(0)))
    found.put("slow", Value(slow, match.start(), match.end(), match.group(0)))
    found.claim(match.start(), match.end())


def _single_params(norm: str, context: str, found: Found) -> None:
    """One-number parameters ("RSI(14)", "20-day breakout", "2 standard deviations"), read in the
    full text (strategy words were claimed) from numbers no other slot used."""
    from agents.understand._numbers import parse_number

    several = len({str(v.value) for v in found.strategies}) >= 2  # "55日突破 vs MACD 12/26/9": each its own
    several = several or _REPEATED_STEP.search(norm) is not None  # "rsi(14) ... then the same with period 21"
    past = (_PAST_DAYS, _PARAM_DAYS) if found.strategies else ()
    for pattern, name in ((_RSI, "period"), (_CHANNEL_NUMBER, "period"), (_LEADING_PERIOD, "period"), (_SINGLE, "period"),
                          (_AFTER_STRATEGY, "period"), (_BARE_AFTER, "period"), (_PERIOD_WORD, "period"), (_DEVS, "devs"),
                          *((p, "period") for p in past)):
        if not several and (name in found.params or ("fast" in found.params and name == "period")):
            continue
        for match in pattern.finditer(context):
            group = next((i for i in range(1, (match.re.groups or 0) + 1) if match.group(i)), 1)
            at = match.start(group)
            if any(u[0] <= at < u[1] for u in found.used):
                continue
            number = parse_number(match.group(group))
            if number is None:
                continue
            value = float(number)
            if name == "devs" and not 0 < value <= 5:
                continue
            found.put(name, Value(value, match.start(), match.end(), match.group(0)))
            found.claim(match.start(group), match.end(group))
            if not several:
                break


#: An instruction that repeats a step with another setting ("same with period 21", "同样...", a numbered
#: list's later item): each step may state its own value of one parameter.
_REPEATED_STEP = re.compile(r"(?<![a-z])same\s+(?:with|thing|for|but|again)(?![a-z])|同样|照此|(?:^|\s)\(?2\s*[).、]\s*\S")


_PNAME = (r"(fast|slow|period|window|lookback|entry|exit|signal|channel\s+lengths?|channel|lengths?|devs?|widths?|std"
          r"|\bk(?=\s+in\b)|lower(?:\s+thresholds?)?"
          r"|upper(?:\s+thresholds?)?|oversold(?:\s+(?:levels?|thresholds?|lines?))?|overbought(?:\s+(?:levels?|thresholds?|lines?))?"
          r"|超卖阈值|超买阈值|超卖线|超买线|超卖|超买|快线|慢线|周期|窗口|通道长度|通道|回看期|回看窗口|回看|标准差倍数|倍数|下阈值|上阈值)")
_RANGE = re.compile(_PNAME + r"(?:[^\d。;；]|(?<![a-z])syn\d{3}(?!\d)){0,16}?(?<![a-z\d])(\d{1,3})\s*(?:试|测|调|扫|跑)?\s*(?:to|-|~|through|到|至|:)\s*(\d{1,3})\s*(?:days?|日|天)?"
                    r"(?:\s*(?:之间|以内|范围内)[^\d，,。;；]{0,6}?(?=\s*[,，]\s*(?:步长|步进|间隔|每隔)))?"  # "10到60之间搜一下，步长10"
                    r"(?:\s*(?:,|，|、)?\s*(?:in\s+)?(?:steps?\s+of|step|(?:in\s+)?increments?\s+of|incrementing\s+by|by|every|,?\s*step\s*size|步长为?|步进|间隔|每隔|隔|每次(?:增加|加|递增|增)?|每步(?:加)?|每|:)\s*(\d{1,3})(?:\s*一档)?)?")
_ITEM = r"\d{1,3}(?:\.\d+)?(?!\d)(?:\s*(?:日|天|个交易日)|-?days?(?![a-z]))?"
_SEP = r"(?:\s*[,，、/]\s*(?:and\s+|or\s+|和|或)?|\s+(?:and\s+|or\s+)?|\s*(?:和|或)\s*)"
_LIST = re.compile(_PNAME + r"[^\d;；。]{0,20}?[\[{(（]?\s*(" + _ITEM + r"(?:" + _SEP + _ITEM + r"){1,})")
_BARE_LIST = re.compile(r"(?:try|trying|tried|testing|over|across|among|values?|在|试|取|用)\s*[\[({]?\s*(\d{1,3}(?:\s*(?:,|，|、|/|and|和|or|或)\s*\d{1,3}){2,}"
                        r"|\d{1,3}(?:\s+\d{1,3}){2,}(?![\d.%]))")
_TUNE_BOTH = ("two moving-average lengths", "two moving average lengths", "both lengths", "the lengths", "lengths",
              "both moving averages", "fast and slow", "fast/slow", "快慢线", "快线和慢线", "快线慢线", "两条均线", "均线参数",
              "均线长度", "两个均线", "均线周期")
TUNE_WORDS = (("period", "period"), ("周期", "period"), ("window", "period"), ("lookback", "period"), ("回看", "period"),
               ("窗口", "period"), ("width", "devs"), ("std", "devs"), ("devs", "devs"), ("dev", "devs"),
               ("deviations", "devs"), ("sigma", "devs"), ("标准差", "devs"), ("宽度", "devs"), ("倍数", "devs"),
               ("oversold", "lower"), ("overbought", "upper"), ("超卖", "lower"), ("超买", "upper"),
               ("threshold", "lower"), ("thresholds", "lower"), ("thresholds", "upper"), ("阈值", "lower"),
               ("阈值", "upper"), ("上下阈值", "lower"), ("上下阈值", "upper"),
               ("lower", "lower"), ("upper", "upper"), ("上轨", "upper"), ("下轨", "lower"),
               ("fast", "fast"), ("slow", "slow"), ("快线", "fast"), ("慢线", "slow"), ("signal", "signal"),
               ("信号线", "signal"), ("moving average setting", "fast"), ("moving average setting", "slow"),
               ("ma setting", "fast"), ("ma setting", "slow"), ("均线参数", "fast"), ("均线参数", "slow"))


def _grid_name(word: str) -> str:
    head = word.split()[0]
    if head in ("dev", "devs", "width", "widths", "std", "标准差倍数", "倍数", "k"):
        return "devs"
    if head in ("下阈值",):
        return "lower"
    if head in ("上阈值",):
        return "upper"
    return _PARAM_ALIAS.get(word, _PARAM_ALIAS.get(head, head))


def _list_name(match: re.Match[str]) -> str:
    """The parameter a list of values belongs to: the name said nearest before the values ("the fast
    and slow lengths on the S&P, fast 8, 12, 16": fast, not lengths)."""
    gap = match.string[match.end(1):match.start(2)]
    names = [n for n in re.finditer(_PNAME, gap)  # "the fast length over 8, 12": a length of the fast one
             if not (gap[:n.start()].strip() == "" and match.group(1) in ("fast", "slow", "signal")
                     and re.fullmatch(r"lengths?|period|window|lookback", n.group(1)))]
    return _grid_name(names[-1].group(1) if names else match.group(1))


def _values(raw: str) -> tuple[float, ...]:
    return tuple(float(v) for v in re.findall(r"\d{1,3}(?:\.\d+)?", raw))


#: A condition attached to an order. "see if", "tell me if I should", "whether" ask; they set no condition.
_CONDITION = re.compile(r"(?<![a-z])(?<!see )(?<!me )(?:only\s+if|if|unless|provided(?:\s+that)?|as\s+long\s+as|once|in\s+case)\s+"
                        r"(?!i\s+should|we\s+should|you\s+can|possible|needed|necessary|so\b)[^,.;:!?]{3,80}?"
                        r"(?=\s+(?:buy(?![\s-]*(?:and|&|n|'n')[\s-]*hold)|sell|short|close|cut|trim|reduce|add|dump|get\s+rid|exit|then|put|invest"
                        r"|allocate|park|go\s+long)\b|\s*[,.;:!?]|\s*$)"
                        r"|(?:如果|要是|若是?|假如|一旦|万一|(?<![例比假诸])如(?![下何今此同]))[^,，。；;！？!?]{1,40}?(?=就|则|那么|那就|的话|[,，。；;！？!?]|$)"
                        r"|(?<![a-z])should\s+(?:the|it|its|our|my|this|that)\s+[^,.;:!?]{3,80}?(?=\s*,)"
                        # "亏了就割一半", "跌破1800就买", "是的话…": a condition said without 如果
                        r"|(?:亏了|赚了|跌了|涨了|(?:跌破|涨破|突破|跌到|涨到)\s*\d[\d.]*)(?=\s*(?:就|的话|那就))|(?<![\u4e00-\u9fff])不?是的话"
                        # "ok就买50", "不行就空2手", "双均线更好的话就买入1手原油", "收益为正就加仓1手": a condition said before
                        # an order with its size, without 如果
                        r"|(?:^|(?<=[\s,，;；]))(?:(?!如果|要是|若|假如|一旦|万一|跌破|涨破|突破|跌到|涨到|亏了|赚了|跌了|涨了|是的话)[^\s,，。；;！？!?]){1,16}?(?=\s*(?:的话\s*(?:就|则)?|就|则)\s*"
                        r"(?:买|卖|加仓|减仓|清|空|多|平|做多|做空)[^,，。;；]{0,10}?(?:\d|[一二两三四五六七八九十半]\s*(?:手|股|成|万|千)))")


#: A limit price stated with an order: "limit at 1000", "limit price 1,025.5", "限价1000", "@ 1000".
_LIMIT = re.compile(r"(?<![a-z])limit(?:\s+price)?\s*(?:at|of|=|:|@)?\s*\$?\s*(\d[\d,]*(?:\.\d+)?)"
                    r"|限价\s*(?:为|是|:|：)?\s*(\d[\d,]*(?:\.\d+)?)|(?<![\w@])@\s*\$?(\d[\d,]*(?:\.\d+)?)")


def find_limit(text: str) -> tuple[float, int, int, str] | None:
    """The limit price stated in ``text`` (value, span, words), or None."""
    match = _LIMIT.search(text)
    if match is None:
        return None
    raw = next(g for g in match.groups() if g)
    return float(raw.replace(",", "")), match.start(), match.end(), match.group(0)


def find_condition(text: str) -> tuple[int, int] | None:
    """Where an order's condition is stated in ``text``, or None."""
    match = _CONDITION.search(text)
    return match.span() if match else None


#: A person correcting themselves mid-instruction: what follows replaces what came before.
_CORRECTION = re.compile(r"(?<![a-z])(?:actually|no wait|scratch that|make that|on second thought|instead)(?![a-z])"
                         r"|不对|改成|算了|更正")


def _spread(lo: int, hi: int, points: int = 5) -> tuple[float, ...]:
    """Up to ``points`` whole numbers evenly across ``lo..hi``, both ends included."""
    step = (hi - lo) / (points - 1)
    return tuple(dict.fromkeys(float(round(lo + i * step)) for i in range(points)))


def _grid(norm: str, found: Found) -> None:
    searching = lex.has_any(norm, lex.CUES["optimize"]) or re.search(r"\b(try|test|search)\b.{0,40}\d+\s*,\s*\d+", norm) \
        or re.search(r"\b(?:search|sweep|scan|try|test)\b.{0,40}?\d+\s*(?:to|through|-)\s*\d+\s*(?:,\s*)?(?:in\s+)?(?:steps?|by|every|increments?)\b", norm) \
        or re.search(r"\d+\s*(?:试|测|调|扫|跑)?\s*(?:到|至|~|-)\s*\d+\s*[,，、]?\s*(?:步长|步进|每隔|间隔)\s*为?\s*\d", norm) \
        or re.search(r"(?<![a-z])(?:from\s+)?\d+\s*(?:to|through)\s*\d+\s*,?\s*(?:in\s+)?(?:steps?\s+(?:of\s+)?|increments?\s+of\s+)\d", norm)
    if not searching:
        lists = [(m, _values(m.group(2))) for m in _LIST.finditer(norm)]
        if not any(len(values) >= 3 for _, values in lists):
            return
        for match, values in lists:  # "fast 取 5/10/15, slow 取 30/60": one list of three makes it a search
            if len(values) >= 2 and _list_name(match) not in found.grid:
                found.grid[_list_name(match)] = Value(values, match.start(), match.end(), match.group(0))
                found.claim(match.start(), match.end())
        return
    for match in _RANGE.finditer(norm):
        name = _grid_name(match.group(1))
        lo, hi = int(match.group(2)), int(match.group(3))
        step = int(match.group(4)) if match.group(4) else None
        if lo >= hi or (name in found.grid):
            continue
        values = tuple(float(v) for v in range(lo, hi + 1, step)) if step else _spread(lo, hi)
        found.grid[name] = Value(values, match.start(), match.end(), match.group(0))
        found.claim(match.start(), match.end())
        if not step:  # "快线在5到20之间": the range is stated, the points inside it are ours
            found.spread.add(name)
            found.tune.append(name)
    correction = _CORRECTION.search(norm)
    for match in _LIST.finditer(norm):
        name = _list_name(match)
        if name in found.grid and correction is not None and found.grid[name].start < correction.start() < match.start():
            del found.grid[name]  # "sweep fast 8-12 ... actually just fast in 8, 10, 12": the correction stands
            found.spread.discard(name)
        if name not in found.grid and len(_values(match.group(2))) >= 2:  # with a search said, two values are a list
            found.grid[name] = Value(_values(match.group(2)), match.start(), match.end(), match.group(0))
            found.claim(match.start(), match.end())
    if not found.grid:
        bare = _BARE_LIST.search(blank(norm, found.used))
        if bare:
            name = "period" if not lex.has_any(norm, ("fast", "slow", "快线", "慢线")) else "fast"
            found.grid[name] = Value(_values(bare.group(1)), bare.start(), bare.end(), bare.group(0))
            found.claim(bare.start(), bare.end())
    for name in found.grid:
        found.params.pop(name, None)


def _tune(norm: str, found: Found) -> None:
    if not lex.has_any(norm, lex.CUES["optimize"]):
        return
    if lex.has_any(norm, _TUNE_BOTH):
        found.tune += [p for p in ("fast", "slow") if p not in found.grid and p not in found.tune]
    for word, name in TUNE_WORDS:
        if lex.has_any(norm, (word,)) and name not in found.grid and name not in found.params and name not in found.tune:
            found.tune.append(name)


# --- counts and settings ---------------------------------------------------------------------
_AMOUNT = (r"((?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:e\d+)?\s*(?:[km]\b|k|m\b|w(?=\s*(?:步|steps?\b|timesteps\b))|万|百万|千万|亿|million|thousand|mm)?"
           r"|[零一二两三四五六七八九十百千万亿点]+)")
_TIMESTEPS = re.compile(_AMOUNT + r"\s*(?:total\s+)?(?:time\s*-?steps?|timesteps|env\s+steps|training\s+steps|steps|step\s+budget|ts\b|"
                        r"步(?![长数]))|"
                        r"(?:time\s*-?steps?|timesteps|steps?\s*数|step\s+count|steps|训练步数|时间步数?|步数)\s*(?:各|均|都|每个)?\s*(?:=|:|of|为|to|at|拉到|提到|加到|调到|设到|增加到|"
                        r"提高到|改成|改为|设为|设成|定为|用|取)?\s*" + _AMOUNT)
SEED = re.compile(r"(?:random\s+)?(?:seed|种子|随机种子)\s*(?:都|均|统一|全|就|还是)?\s*(?:=|:|：|of|固定(?:为|成|在|用)?|为|设为|设成|设置为|设定为|换成|改成|改为|换为|设|取|is|用|at|to"
                  r"|fixed\s+(?:at|to)|set\s+to)?\s*[(（]?\s*(\d+|(?<=[种子取为设用是])[零〇一二两三四五六七八九十百千]+)")
_CASH = re.compile(
    r"(?:(?:initial|starting|opening)\s+(?:cash|capital|account)\s+balance|cash\s+balance|initial\s+cash|starting\s+cash|starting\s+capital|initial\s+capital|capital\s+of|cash\s+of|capital|cash(?=\s*[=:])|"
    r"cash(?=\s+\$?\d)|"
    r"本金|初始资金|起始资金|资金量|资金|账户资金)\s*(?:=|:|of|为|是|用|按|设为|设成|设置为)?\s*(?:人民币|美元|rmb|cny|usd)?\s*\$?\s*"
    + _AMOUNT +
    r"(?:\s*(?:元|块|美元|刀|dollars?|usd))?|"
    r"\$?\s*" + r"(?<![\d.,])(?!(?:19|20)\d\d\s+(?:starting|initial|cash|capital|start))((?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:e\d+)?\s*(?:[km]\b|million|mm)?)" + r"\s*(?:dollars?\s+|usd\s+|bucks\s+)?(?:of\s+|in\s+|as\s+(?:the\s+|our\s+|my\s+)?)?(?:starting\s+|initial\s+)?"
    r"(?:cash|capital|cap\b|book|bankroll|start(?!\s*(?:date|in|on|at|from|of|=|:)))(?!\s+(?:flow|position))(?!\s*[=:])|"
    # "50万本金", "百万资金" (a round million said as a word alone)
    r"((?:(?:\d+(?:\.\d+)?|[一二两三四五六七八九十]+)(?:百万|千万|万|亿)|(?<![\d一二两三四五六七八九十])(?:百万|千万))(?:元|块)?)"
    r"\s*(?:的)?(?:初始资金|本金|起始资金|资金)|"
    # "initial account value: 1,000,000", "account size 500k"
    r"(?:initial|starting|opening)\s+(?:account\s+)?(?:value|equity|nav|size)\s*(?:=|:|of|is)?\s*\$?\s*"
    r"(\d[\d,_]*(?:\.\d+)?\s*(?:[km]\b|million|mm)?)|"
    r"(?:put|with|start(?:ing)?\s+with)\s+\$?\s*(\d[\d,_]*(?:\.\d+)?\s*(?:[km]\b|million)?)\s*(?:of\s+cash|in\s+cash|capital)|"
    r"(?:start(?:ing|ed)?\s+(?:out\s+|from\s+scratch\s+)?with|(?:starting\s+|initial\s+)?bankroll(?:\s+of)?)\s+\$?\s*"
    r"(\d[\d,_]*(?:\.\d+)?\s*(?:[km]\b|million|mm)|\d{1,3}(?:,\d{3})+|\d{4,})(?!\s*(?:shares?|lots?|units?|contracts?|steps?))")
_FORWARD = re.compile(
    r"(?:horizon|forward(?:\s+returns?)?|fwd(?:\s+returns?)?|holding period|look-?ahead)\s*(?:of|=|:|is)?\s*(\d+)\s*"
    r"(?:-?\s*(?:trading\s+)?days?|d\b)?|"
    r"(\d+)\s*-?\s*(?:trading\s+)?(?:days?|d)\s*-?\s*(?:forward|ahead|holding|horizon|returns?|fwd|forecast)|"
    r"(\d+)\s*(?:trading\s+)?days?\s+(?:forward|ahead|fwd)|"
    r"(?:未来|持有期?|预测期限|预测区间|预测窗口|预测期|预测周期|前瞻收益(?:周期|期)?用?|前瞻期|前瞻|远期收益(?:率)?(?:看|用|取)?|远期|收益期|预测)\s*[:：=]?\s*(?:都|均|全)?(?:为|是|用|取)?\s*(?:未来)?\s*(?:一周\s*[\(（])?\s*"
    r"(\d+|[一二两三四五六七八九十]+)(?!\d|\s*(?:手|股|份|张|桶|成|%|万|元|块))\s*(?:日|天|个交易日)?|"
    r"(\d+|[一二两三四五六七八九十]+)\s*(?:日|天|个交易日)\s*(?:后|之后|以后)?\s*(?:的)?(?:收益|远期收益|持有|前瞻|预测周期|预测期|预测窗口|预测区间)|"
    r"未来收益(?:率)?\s*(?:的)?(?:周期|期|窗口|区间)?\s*(?:看|取|用|按|为|是)?\s*(\d+|[一二两三四五六七八九十]+)\s*(?:日|天|个交易日)|"
    r"(?<![\d一二两三四五六七八九十])(\d+|[一二两三四五六七八九十]+)\s*(?:日|天|个交易日)\s*(?:的)?\s*(?:远期|前瞻)|"
    r"next[- ](day)(?:'s)?\s+returns?|次日(收益)|"
    r"(?<![a-z])(?:rank\s+)?ic(?:ir)?\s+(?:at|over|on|for|with)\s+(?:a\s+|the\s+)?(\d+)\s*-?\s*(?:trading\s+)?(?:days?|d)\b|"
    r"(?<![\d.])(\d+)\s*-?\s*(?:trading\s+)?(?:days?|d)\s+(?:rank\s+)?ic(?:ir)?\b")
_COUNT = re.compile(
    r"(?:数量|个数|count|number of factors)\s*[=:：]?\s*(\d+)(?!\s*(?:%|年|月|日|天))|[\(（]\s*(?:say|maybe|about|around|~|约|大概)\s*(\d{1,2})\s*[\)）]|(?:factors?|alphas?|signals?|因子)\s*[x×*]\s*(\d{1,2})\b|"
    r"(\d+|[一二两三四五六七八九十]+(?![些起下点批组堆系套类种打次遍回])|a few|a couple of|several|some|few|几|half a dozen|a dozen|three|four|five|six"
    r"|seven|eight|nine|ten|eleven|twelve|two)"
    r"\s*(?:个|条)?\s*(?:new\s+|more\s+|different\s+|candidate\s+)?(?:[\w\-]+\s+|[a-z\-]+(?=[\u4e00-\u9fff])){0,2}[\u4e00-\u9fff]{0,6}"
    r"(?:factors|alphas|signals|因子|alpha)|(?:give me|show me|want)\s*(\d+|[一二两三四五六七八九十]+|half a dozen|a dozen|two|three|four|five|six|seven|eight"
    r"|nine|ten|eleven|twelve)\b(?!\s*(?:days?|weeks?|months?|years?|stocks?|names?|picks?|shares?|lots?|%))|"
    r"(?:要|给我|给)\s*(\d+|[一二两三四五六七八九十]+)\s*个(?![月日天年])|"
    r"(?:挖掘|发掘|挖|找|给|来|要|构造|构建|推荐|出|整|弄|搞)\s*(\d+|[一二两三四五六七八九十]+)\s*个|"
    r"(\d+|[一二两三四五六七八九十]+)\s*个\s*(?:左右|上下)?\s*(?:就行|就够|即可|就好|吧)|因子\s*(\d+|[一二两三四五六七八九十]+)\s*个|"
    r"[,，]\s*(\d+|[一二两三四五六七八九十]+)\s*个\s*(?=[,，。；]|$)|(?:mine|find|propose|build)\s+(\d+|two|three|four|five)\s+more|"
    r"(?:mine|find|propose|build|give me|generate|,)\s*(\d+|two|three|four|five|six)\s+of\s+them|"
    r"(?<=[,，])\s*(half a dozen|a dozen|a couple|a few)\s*(?:of\s+them\s*)?(?=[,，.;]|$)")
_COUNT_WORDS = {"a couple of": 2, "a couple": 2, "a pair of": 2, "a few": 3, "several": 3, "one": 1, "a single": 1,
                "fifteen": 15, "twenty": 20, "一打": 12, "半打": 6, "俩": 2, "仨": 3, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
                "seven": 7, "eight": 8, "nine": 9, "ten": 10,
                "eleven": 11, "twelve": 12, "a dozen": 12, "half a dozen": 6}


def timesteps_in(norm: str, start: int, end: int) -> Value | None:
    """The training length stated inside ``norm[start:end]`` (a clause), or None."""
    for match in _TIMESTEPS.finditer(norm, start, end):
        raw = next((g for g in match.groups() if g), None)
        value = _amount(raw) if raw else None
        if value and value >= 100:
            return Value(int(value), match.start(), match.end(), match.group(0))
    return None


def _amount(raw: str) -> float | None:
    from agents.understand._numbers import parse_number

    text = raw.replace(" ", "").replace(",", "").replace("_", "")
    scale = 1.0
    for suffix, factor in (("million", 1e6), ("thousand", 1e3), ("mm", 1e6), ("k", 1e3), ("m", 1e6), ("w", 1e4)):
        if text.endswith(suffix) and text[:-len(suffix)].replace(".", "").replace("e", "").isdigit():
            text, scale = text[:-len(suffix)], factor
            break
    try:
        return float(text) * scale
    except ValueError:
        value = parse_number(text)
        return None if value is None else value * scale


def _settings(norm: str, found: Found) -> None:
    """Timesteps, seed and cash (before periods: "种子2024" is not a year)."""
    text = norm
    for name, pattern in (("timesteps", _TIMESTEPS), ("seed", SEED), ("cash", _CASH)):
        match = pattern.search(blank(text, found.used))
        if not match:
            continue
        raw = next(g for g in match.groups() if g)
        number = _amount(raw)
        if number is not None and number > 0 and (name not in ("cash", "timesteps") or number >= 100):
            setattr(found, name, Value(int(number) if name != "cash" else float(number), match.start(), match.end(),
                                       match.group(0)))
            found.claim(match.start(), match.end())
    if found.timesteps is None and found.algos and not _ORDER_WORD.search(norm):
        bare = _BARE_STEPS.search(blank(norm, found.used))
        if bare is not None:  # "td3 gold seed 11 200k", "a2c on crude for 50k": an RL run's length, said bare
            number = _amount(bare.group(1))
            if number is not None and number >= 1000:
                found.timesteps = Value(int(number), bare.start(1), bare.end(1), bare.group(1))
                found.claim(bare.start(1), bare.end(1))


#: A bare "200k" / "1.5m" beside an RL algorithm (no currency, no unit after it): its training length.
_BARE_STEPS = re.compile(r"(?<![\w$¥.,])(\d+(?:\.\d+)?\s*k|\d+\.\d+\s*m)(?![\w%])"
                         r"(?!\s*(?:shares?|lots?|units?|contracts?|of\s+cash|cash|capital|dollars?|usd|rmb|book|bankroll|account|"
                         r"portfolio|notional|aum|nav|元|块|美元|资金|本金))")
_ORDER_WORD = re.compile(r"(?<![a-z])(?:buy|sell|short|order|cash|capital|bankroll)(?![a-z])|买|卖|资金|本金")


_BARE_MONEY = re.compile(r"(?<![\w$])\$\s*((?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?\s*(?:k|m|mm|million)?)(?![\w%]|[.,]\d)"
                         r"(?!\s*(?:worth|of|in(?!\s+(?:19|20)\d\d)|into|for))|(?<![\d.])(\d+(?:\.\d+)?\s*(?:万|百万|千万)\s*(?:元|块)?)"
                         r"(?=\s*(?:[,，。]|$|的?(?:本金|资金)))")


def _bare_cash(norm: str, found: Found) -> None:
    """"$250k" or "50万" alone in a research instruction is the starting capital (never in an order)."""
    if found.cash is not None or found.side is not None or found.quantity is not None:
        return
    match = _BARE_MONEY.search(blank(norm, found.used))
    if match:
        number = _amount(match.group(1) or match.group(2))
        if number is not None and number >= 1000:
            found.cash = Value(float(number), match.start(), match.end(), match.group(0))
            found.claim(match.start(), match.end())


def _counts(norm: str, found: Found) -> None:
    _selection(norm, found)
    _count(norm, found)


def _selection(norm: str, found: Found) -> None:
    from agents.understand._numbers import parse_number

    match = _TOP_PCT.search(blank(norm, found.used))
    if match:
        raw = match.group(1) or match.group(2)
        value = float(raw) if match.group(1) else (parse_number(raw.replace("百分之", "")) or 0.0)
        if 0 < value <= 100:
            found.top_pct = Value(value, match.start(), match.end(), match.group(0))
            found.claim(match.start(), match.end())
            return
    match = _TOP_K.search(blank(norm, found.used))
    if match:
        count = parse_number(next(g for g in match.groups() if g))
        if count and 0 < count <= 500:
            found.top_k = Value(int(count), match.start(), match.end(), match.group(0))
            found.claim(match.start(), match.end())


_TOP_PCT = re.compile(r"(?:top|best|highest|前|排名前|最高的?)\s*(\d+(?:\.\d+)?)\s*(?:%|percent|pct|％)|"
                      r"(?:top|前)\s*(百分之[一二三四五六七八九十]+)")
_TOP_K = re.compile(r"top_?k\s*[=:]\s*(\d+)()|(\d{1,3})\s+(?:best|highest|top)[- ](?:ranked|rated|scored)\s+(?:names|stocks)|(?:top|best|highest|前|排名前|最高的?|最好的?|最强的?|最优的?|挑|选|哪|持有)\s*(\d+|[一二两三四五六七八九十]+)\s*"
                    r"(?:stocks?|names?|picks?|只|个|支|名|家|equities|shares)(?!\s*(?:%|percent|pct|日|天|年|月|days?|years?))|"
                    r"(?:top|best|highest|前|排名前)\s*(\d+|[一二两三四五六七八九十]+)(?!\s*(?:%|percent|pct|日|天|年|月|days?|years?|\d))")


#: "这个因子行不行，看5天的", "IC 看10日": with a factor, the days it is judged over are its forward horizon.
_LOOK_DAYS = re.compile(r"看\s*(\d+|[一二两三四五六七八九十]+)\s*(?:日|天|个交易日)(?:后|之后|以后)?(?:的|收益)?(?=\s*(?:[,，。；;!！?？]|$|收益|表现))")


_FORWARD_WEEKS = re.compile(r"(?<![\d.])([1-4])\s*-?\s*(?:trading\s+)?weeks?\s*-?\s*(?:forward|ahead|fwd|horizon|holding"
                            r"|(?:forward\s+)?returns?)\b")


_JOINED_DAYS = re.compile(r"(?<![\d.])(\d{1,2})\s*-?\s*(?:d|days?|trading\s+days?|日|天)\s*(?:and|or|,|和|与|及|、)\s*(?:on\s+)?$")


def forward_horizons(norm: str) -> list[Value]:
    """Every forward horizon said ("未来1天和未来5天收益各算一次", "5d and 20d forward returns"), in order."""
    from agents.understand._numbers import parse_number

    out: list[Value] = []
    for match in _FORWARD.finditer(norm):
        joined = _JOINED_DAYS.search(norm, max(0, match.start() - 24), match.start())
        if joined is not None:  # "5d and 20d forward returns": the first shares the second's words
            out.append(Value(int(joined.group(1)), joined.start(), joined.end(), joined.group(0)))
        raw = next(g for g in match.groups() if g)
        days = 1 if raw in ("day", "收益") else int(parse_number(raw) or 0)
        if 0 < days <= 60:
            out.append(Value(days, match.start(), match.end(), match.group(0)))
    return [v for k, v in enumerate(out) if v.value not in [w.value for w in out[:k]] and 0 < int(str(v.value)) <= 60]


_NEXT_WEEK_RETURNS = re.compile(r"(?<![a-z])next[- ]week(?:'s)?\s+returns?(?![a-z])|(?:预测)?(?:下周|下一周|下个星期)的?(?:收益|回报|涨跌)")


def _forward(norm: str, found: Found) -> None:
    from agents.understand._numbers import parse_number

    match = _FORWARD.search(blank(norm, found.used))
    if match is None and (found.expressions or lex.has_any(norm, lex.CUES["factor"])):
        match = _LOOK_DAYS.search(blank(norm, found.used))
    weeks = None
    if match is None and (found.expressions or lex.has_any(norm, lex.CUES["factor"]) or found.themes
                          or lex.find_spans(norm, lex.THEMES)):  # read before the tables: a theme word says factors
        weeks = _FORWARD_WEEKS.search(norm)
    if match is None and weeks is None and (found.expressions or lex.has_any(norm, lex.CUES["factor"]) or found.themes
                                            or lex.find_spans(norm, lex.THEMES)):
        week = _NEXT_WEEK_RETURNS.search(blank(norm, found.used))
        if week is not None:  # "on next-week returns", "预测下周收益": a factor judged on the five days ahead
            found.forward_days = Value(5, week.start(), week.end(), week.group(0))
            found.claim(week.start(), week.end())
            return
    if weeks is not None:  # "a one-week horizon", "2-week forward returns": five trading days a week
        found.forward_days = Value(5 * int(weeks.group(1)), weeks.start(), weeks.end(), weeks.group(0))
        found.claim(weeks.start(), weeks.end())
    if match:
        raw = next(g for g in match.groups() if g)
        days = 1 if raw in ("day", "收益") else int(parse_number(raw) or 0)  # "next-day returns", "次日收益"
        if 0 < days <= 60:
            found.forward_days = Value(days, match.start(), match.end(), match.group(0))
            found.claim(match.start(), match.end())


_POINTED = re.compile(r"(?:这|那|(?<![a-z])(?:these|those|both\s+of\s+these|the\s+above))\s*$")


def _count(norm: str, found: Found) -> None:
    text = blank(norm, found.used)
    factors = lex.has_any(norm, lex.CUES["factor"]) or (found.themes and _SIGNALS.search(norm))
    for pattern in (_COUNT, *((_MORE_COUNTS,) if factors else ())):
        for match in pattern.finditer(text):  # "几个 ... 3 个就行": the first count with a number
            raw = next(g for g in match.groups() if g)
            if _POINTED.search(text, max(0, match.start() - 7), match.start()):
                continue  # "这两个因子", "these two factors": the ones given, counted, not a number to mine
            value = _count_value(raw)
            if value and 0 < value <= 20:
                found.factor_count = Value(int(value), match.start(), match.end(), match.group(0))
                found.claim(match.start(), match.start() + len(raw))
                return


_STOCKS_PICKED = re.compile(r"stocks?|names?|picks?|equities|shares|只|支|家|股|名")


def _top_factors(norm: str, found: Found) -> None:
    """"top 5 reversal factors", "挑8个动量因子", "挖一批价值因子，挑出最好的前5个": with factors as the subject
    and nothing bought or modelled, a "top N" is how many factors are wanted, not stocks to hold."""
    top = found.top_k
    if top is None or found.factor_count is not None or found.side is not None or found.models \
            or not lex.has_any(norm, lex.CUES["factor"]) or _STOCKS_PICKED.search(top.said) \
            or lex.has_any(norm, lex.CUES["model"]) or lex.has_any(norm, lex.CUES["cycle"]):
        return
    found.factor_count, found.top_k = Value(top.value, top.start, top.end, top.said), None


_SIGNALS = re.compile(r"(?<![a-z])(?:signals?|indicators?|features?|predictors?|candidates?)(?![a-z])|信号|指标")


def _count_value(raw: str) -> float | None:
    """"seven", "a dozen", "一打", "俩", "8": how many; "some", "a few", "several", "几", "a handful": no
    number (the person named no count: the default applies and is named as the default)."""
    from agents.understand._numbers import parse_number

    if raw.strip() in ("some", "few", "几", "a few", "several"):
        return None
    return _COUNT_WORDS.get(raw.strip()) or parse_number(raw)


#: How many factors, said in more ways (read only where factors are the subject): a count before
#: "candidates / ideas / signals" ("5 candidates for a value factor", "nine volume-driven factor
#: ideas"), after a verb of asking ("find me seven of them", "build just one value factor", "up to
#: ten", "at least 4"), or in Chinese words (一打, 半打, 俩, 仨, "来七个", "整俩出来").
_EN_COUNT = (r"\d{1,2}|one|a single|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|a dozen"
             r"|half a dozen|a couple of|a couple|a pair of")
_ZH_COUNT = r"一打|半打|俩|仨|\d{1,2}|[一二两三四五六七八九十]{1,3}(?![些起下点批组堆系套类种])"
_UNIT_AFTER = (r"(?!\s*-?\s*(?:trading[- ])?(?:days?|d\b|weeks?|months?|years?|yrs?|bars?|periods?|%|percent|bps?|stocks?|"
               r"names?|picks?|shares?|lots?|times?|sigma|std)\b)")
_MORE_COUNTS = re.compile(
    r"(?<![\w.$])(" + _EN_COUNT + r")" + _UNIT_AFTER + r"\s+(?:new\s+|more\s+|different\s+|distinct\s+|fresh\s+|extra\s+)?"
    r"(?:(?!(?:days?|weeks?|months?|years?|of)\b)[\w\-]+\s+){0,3}?(?:candidate|factor|alpha|signal)?\s*(?:candidates|ideas|"
    r"factors?|alphas?|signals|variants|versions|expressions|formulas)\b|"
    r"(?<![a-z])(?:find|give|generate|build|propose|mine|want|pick|select|keep|show|produce|create|make|return|list|"
    r"come\s+up\s+with|construct|design|suggest|rank|need|like|choose|shortlist)\s+(?:me\s+|us\s+)?(?:just\s+|only\s+|"
    r"up\s+to\s+|at\s+least\s+|at\s+most\s+|no\s+more\s+than\s+|exactly\s+|about\s+|around\s+)?(?:the\s+)?"
    r"(?:best\s+|top\s+|strongest\s+)?(" + _EN_COUNT + r")\b" + _UNIT_AFTER + r"(?!\s*(?:-|to|and|or)\s*\d)|"
    r"(?<![a-z])(?:up\s+to|at\s+least|at\s+most|no\s+more\s+than)\s+(" + _EN_COUNT + r")\b" + _UNIT_AFTER +
    r"(?=\s+(?:[\w\-]+\s+){0,3}?(?:factors?|alphas?|signals|candidates|ideas))|"
    r"(?:挖|找|给|来|要|构造|构建|推荐|出|整|弄|搞|挑|选|留|保留|筛|前|生成|设计|提)\s*(?:我|出|个)?\s*(?:出)?\s*(" + _ZH_COUNT +
    r")\s*(?:个|条|只)?(?![\d日天年月周%只支股名家])|"
    r"(?<![\d一二两三四五六七八九十])(一打|半打|俩|仨)|"
    r"(?<![\w.$])(" + _EN_COUNT + r")\s+of\s+(?:them|those|these)\b|"
    r"(?<![\w.$])(" + _EN_COUNT + r")\s+(?:would|will|should)\s+(?:do|suffice|be\s+(?:enough|plenty|fine))\b|"
    r"(?<![\w.$])(" + _EN_COUNT + r")\s+(?:is|are)\s+(?:enough|plenty)\b|"
    r"(?:factors?|alphas?|signals?|ideas?)\s*[x×*]\s*(" + _EN_COUNT + r")\b|"
    r"(?<![\d一二两三四五六七八九十百])(" + _ZH_COUNT + r")\s*(?:个|条)\s*[\u4e00-\u9fff]{0,6}?(?:因子|信号|候选)")


# --- the rest -----------------------------------------------------------------------------------
_GLUED = re.compile(r"(?<![a-z])(rsi|sma|ema|ma|macd)(?=\d)|(?<=\d)\s*(cross)\b(?!-)")
_GLUED_NAME = {"rsi": "rsi_reversion", "sma": "sma_cross", "ma": "sma_cross", "ema": "ema_cross", "macd": "macd"}


#: A market remark made with a strategy's word ("the momentum's gone", "动量起来了", "这票动量太强了", "pure momentum
#: lol"): how the market feels to the person, not a rule to backtest.
_MARKET_REMARK = re.compile(r"(?:'s|\s+is|\s+has|\s+was|\s+has\s+been)?\s*(?:gone|dead|fading|faded|died|"
                            r"ripping|back|crazy|insane|lol|picking\s+up|kicking\s+in)(?![a-z])"
                            r"|\s*(?:起来了|没了|太强|很强|好强|不行了|消失了|减弱|衰竭|来了|走了|没有了|很猛|太猛|爆发)")
_PURE_REMARK = re.compile(r"(?<![a-z])pure\s+$")
_HELD_OUT_WORDS = re.compile(r"(?<![a-z])(?:hold|holds|holding|held)\s+(?:back|out)(?![a-z])")


def _tables(norm: str, original: str, found: Found) -> None:
    def hits(table: dict[str, tuple[str, ...]] | object) -> list[Value]:
        return [Value(h.value, h.start, h.end, original[h.start:h.end]) for h in lex.find_spans(norm, table)]  # type: ignore[arg-type]

    found.algos = hits(lex.ALGOS)
    found.models = hits(lex.MODELS)
    features = hits(lex.FEATURE_SETS)
    found.features = features[0] if features else None
    found.all_features = features
    held_out = [m.span() for m in _HELD_OUT_WORDS.finditer(norm)]
    found.strategies = [v for v in hits(lex.STRATEGIES)  # "just hold out 2018": a test window, not buy and hold
                        if not (v.value == "buy_and_hold" and any(a <= v.end <= b for a, b in held_out))
                        and not _MARKET_REMARK.match(norm, v.end) and not _PURE_REMARK.search(norm, 0, v.start)]
    for match in _GLUED.finditer(norm):  # "rsi2 10/90", "ma10/30": a strategy word glued to its number
        if not any(v.start <= match.start() < v.end for v in found.strategies):
            found.strategies.append(Value(_GLUED_NAME[match.group(1) or "ma"], match.start(), match.end(),
                                          match.group(0).strip()))
    for v in found.strategies:  # claimed as named, before two may merge into one value spanning both
        found.claim(v.start, v.end)
    found.strategies = _styled(norm, sorted(found.strategies, key=lambda v: v.start))
    universes = hits(lex.UNIVERSES)
    found.universe = universes[0] if universes else None
    # "优化一下周期": the 下周 of 一下 + 周期 is no week ahead
    horizons = [v for v in hits(lex.HORIZONS) if not (str(v.said).endswith(("下周", "下星期")) and norm[v.end:v.end + 1] == "期")
                and not (found.forward_days is not None and found.forward_days.start <= v.start < found.forward_days.end)]
    found.horizon = horizons[0] if horizons else None
    found.themes = [v for v in hits(lex.THEMES) if not _MARKET_REMARK.match(norm, v.end) and not _PURE_REMARK.search(norm, 0, v.start)]
    for group in (found.algos, found.models, universes, horizons, features):
        for v in group:
            found.claim(v.start, v.end)


#: A style word ("mean reversion", "breakout") beside an indicator names one strategy: the
#: indicator's variant of that style ("an RSI mean-reversion strategy" is rsi_reversion).
_STYLE_OF = {"bollinger_reversion": "reversion", "donchian_breakout": "breakout"}
_GENERIC = {"mean reversion", "mean-reversion", "均值回归", "均值回复", "breakout", "break-out", "突破", "突破策略"}
_STYLED = {("reversion", "rsi_reversion"): "rsi_reversion", ("reversion", "bollinger_breakout"): "bollinger_reversion",
           ("reversion", "bollinger_reversion"): "bollinger_reversion",
           ("breakout", "bollinger_breakout"): "bollinger_breakout", ("breakout", "donchian_breakout"): "donchian_breakout",
           ("reversion", "sma_cross"): "bollinger_reversion"}  # "偏离20日均线太多就反向": reverting to an average
_APART = re.compile(r"\b(?:vs\.?|versus|against|compare[ds]?|or|and|then)\b|对比|比较|还是|和|与|或|跟")


#: "fade the bands", "高抛低吸": a reversion style said without naming an indicator.
_NAMES_INDICATOR = re.compile(r"bollinger|bolinger|布林|rsi|z-?\s?score|z值")
#: "dual moving-average crossover (EMA 5 over EMA 35)": a generic crossing phrase, then the averages it crosses.
_CROSSING = re.compile(r"cross|交叉|双均线|dual|double")


def _crossing(said: str, between: str) -> bool:
    low = said.lower()
    return bool(_CROSSING.search(low)) and not re.search(r"sma|simple|简单", low) and not re.search(r"[,，、]", between)


def _generic_style(said: str, name: str) -> bool:
    low = said.lower()
    return low in _GENERIC or (name == "bollinger_reversion" and not _NAMES_INDICATOR.search(low))


def _styled(norm: str, strategies: list[Value]) -> list[Value]:
    out: list[Value] = []
    for v in strategies:
        prev = out[-1] if out else None
        if prev is not None and v.start - prev.end <= 70 and not _APART.search(norm[prev.end:v.start]) \
                and not re.search(r"[;；。?？!！]", norm[prev.end:v.start]):
            pair = [(prev, str(prev.value)), (v, str(v.value))]
            generic = [(x, name) for x, name in pair if _generic_style(str(x.said), name)]
            specific = [(x, name) for x, name in pair if not _generic_style(str(x.said), name)]
            if len(generic) == 1 and len(specific) == 1:
                merged = _STYLED.get((_STYLE_OF.get(generic[0][1], ""), specific[0][1]))
                if merged is not None:
                    out[-1] = Value(merged, prev.start, v.end, norm[prev.start:v.end])
                    continue
            crossing = [x for x, name in pair if name == "sma_cross" and (str(x.said).lower() in _CROSS_WORDS
                                                                           or _crossing(str(x.said), norm[prev.end:v.start]))]
            named = [(x, name) for x, name in pair if name in ("ema_cross", "macd")]
            if len(crossing) == 1 and len(named) == 1 and v.start - prev.end <= 25:
                # "EMA 20/50 crossover", "EMA 12/26 金叉": the crossing of those averages, one strategy
                out[-1] = Value(named[0][1], prev.start, v.end, norm[prev.start:v.end])
                continue
        out.append(v)
    return out


_CROSS_WORDS = {"crossover", "cross over", "金叉", "golden cross", "cross", "金叉策略", "均线交叉", "双均线", "均线",
                "death cross", "golden/death cross", "golden and death cross", "死叉", "金叉死叉", "金叉/死叉"}


_APPROVAL_RE = re.compile(
    r"(?:ask|ping|check with|confirm with|tell|notify|message|text|call|show|let|wait for|run (?:it|them|the orders?) by)"
    r"\s+me\s+(?:first|before|b4|prior)|"
    r"(?:run|put|pass)\s+(?:it|them|that|this|the\s+(?:orders?|trades?))\s+(?:past|by)\s+me\b|(?:subject to|with|pending|needs?|requires?|after|until|w/)\s+(?:my|our)\s+"
    r"(?:approval|ok|okay|sign[- ]?off|go[- ]ahead|confirmation|consent)|(?:don'?t|do not|never)\s+(?:send|place|submit|"
    r"execute|trade)\b.{0,30}\b(?:without|until|before)\b|(?:下单|买入?|卖出?|交易|发单|成交|(?<![一两三四五六七八九十\d上])下(?=之前|以前))(?:之?前|以前)\s*(?:先|请|要)?"
    r"\s*(?:问我|告诉我|让我|给我|等我|请示|找我|通知我|跟我确认|和我确认|确认|跟我说|和我说|跟我讲|说一声)|"
    r"(?<![a-z])(?:in|with|under|using)\s+(?:an?\s+|the\s+)?(?:approval|supervised|sign-?off)[- ]mode(?![a-z])|审批模式|"
    r"(?:单子|订单|委托)[^,，。;；]{0,4}?(?:先)?(?:给我|让我|等我|交给我)\s*(?:审|看|确认|过目|批)|(?:我|经我|等我|让我|需要我|由我)\s*"
    r"(?:确认|批准|同意|审批|点头|拍板)(?:后|之后|了)?(?:再|才)?")


#: Approval said in the person's own words: "my approval" / "I must approve" / "approval is required"
#: / "approval=true" / "等我审批" - a person wants to see orders before they go out.
_MY_APPROVAL = re.compile(
    r"\b(?:my|me|i|we|our)\b[^.;!?\n]{0,25}?\b(?:approv(?:e|al|es|ed)|sign[- ]?off|explicit ok|confirm(?:ation)?)\b|"
    r"\b(?:approv(?:al|e)|sign[- ]?off|confirmation)\b[^.;!?\n]{0,20}?\b(?:required|needed|necessary|mandatory|first|"
    r"before|b4)\b|\bapproval\s*[=:]\s*(?:true|yes|on|required|needed)\b|\bfor\s+(?:my\s+)?approval\b|"
    r"(?:等|经|须|需|要|由)?(?:我|本人)\s*(?:的)?\s*(?:审批|确认|批准|同意|过目|confirm|approve|ok\b)|"
    r"(?:挂起|挂起来|先挂着).{0,6}(?:审批|确认)|\bhold\s+(?:it|them|this|that|the\s+orders?)?\s*(?:for|until)\s+"
    r"(?:my|our)\s+(?:approval|ok|okay|sign[- ]?off|confirmation|go[- ]?ahead)|\bping\s+me\s+(?:first|before|b4)|"
    r"\b(?:before|b4)\s+(?:anything|it|they|orders?)\s+goes?\s+out|approval\s*(?:开着|打开|开启|on\b)|hold\s*住|"
    r"\bapprovals?\s+(?:on|pls|please|needed|required|mode|first)\b|\b(?:w/|with)\s*(?:an?\s+)?approvals?\b(?!\s+(?:of|from|rate))|"
    r"(?:要|需要|得|走|须|需|先)\s*审批|审批(?:一下|下)?再(?:下|买|卖|发)|"
    # "跑完把订单清单给我，先别成交", "approval 走一下流程，别直接成交", "先 pending 给我 approve"
    r"(?:先|暂时|暂)?(?:别|不要)(?:直接)?成交|approval\s*走(?:一下|下)?(?:流程)?|pending\s*(?:给我|让我|等我)\s*approve|"
    r"\blet\s+me\s+(?:ok|okay|approve|sign\s+off(?:\s+on)?|green[- ]?light|eyeball|vet)\b|"
    r"\bwait\s+(?:for|on)\s+(?:my|our)\s+(?:go|ok|okay|nod|word|signal|say[- ]so|green\s+light)\b|"
    # "only after I OK it", "once we've signed off"
    r"\b(?:only\s+)?(?:after|once|when)\s+(?:i|we)(?:'ve|\s+have)?\s+(?:ok|okay|ok'd|okayed|approve|approved|sign(?:ed)?\s+off|"
    r"confirm(?:ed)?|green[- ]?light(?:ed)?|say\s+so)\b|"
    # "show me the proposed orders before anything executes", "下单前我要审一下"
    r"\b(?:before|b4)\s+(?:anything|it|they|any(?:thing)?\s+orders?|orders?|the\s+orders?)\s+(?:executes?|is\s+executed|"
    r"are\s+executed|gets?\s+(?:sent|placed|executed)|fills?|is\s+sent|are\s+sent)\b|"
    # ("帮我看一下标普", "给我看一下黄金": a look asked for, not an approval)
    r"(?:(?<![帮给替])我|让我|等我)\s*(?:要|得|先)?\s*(?:审|看|过目|过一遍|检查)\s*(?:一下|一遍|一眼|下)|"
    r"给我\s*(?:要|得|先)?\s*(?:审|过目|过一遍|检查)\s*(?:一下|一遍|一眼|下)|"
    # desk shorthand: "hold orders till i ok them", "confirm w/ me 1st"
    r"\bhold\s+(?:the\s+|all\s+)?orders?\s+(?:till|until|til)\s+(?:i|we)\s+(?:ok|okay|approve|sign|confirm|check)|"
    r"\b(?:confirm|check|clear\s+it)\s+(?:w/|with)\s*(?:me|us)\s+(?:1st|first|before|b4)|"
    # "ask b4 u send", "confirm w me b4 placing anything", "确认后再下", "每只买2万块 先确认"
    r"\b(?:ask|confirm|check)(?:\s+(?:w/?|with)?\s*(?:me|us))?\s+(?:b4|before)\s+(?:u\s+|you\s+)?(?:send|plac|submit|execut"
    r"|trad|order|buy|sell|go|anything|it\s+goes)|"
    r"(?:确认|確認)(?:后|後|之后|之後|了)\s*再\s*(?:下|买|買|卖|賣|发|發|执行|執行|操作)|"
    r"先\s*(?:跟我|和我|让我|讓我)?\s*(?:确认|確認)(?:一下)?(?=\s*(?:$|[,，。.!！;；]|再))")


#: "no need to check with me", "不用问我，直接下单": the person waives the approval in so many words.
_NO_APPROVAL = re.compile(r"(?:no need to|don'?t need to|do not need to|needn'?t|no)\s+(?:check(?:ing)?|ask(?:ing)?|"
                          r"confirm(?:ing)?|approv(?:e|al|ing))(?:\s+with)?(?:\s+me)?|"
                          r"(?:不用|无需|不需要|不必|别)(?:问我|确认|审批|请示|经过我)")


#: "tell me which one worked better", "which of the two held up best": the runs are set side by side.
_WHICH_BETTER = re.compile(r"(?<![a-z])which(?:\s+one|\s+of\s+(?:them|the\s+two|those|these))?\s+(?:worked|did|performed|was|is|"
                           r"held\s+up|came\s+out|does|works|performs)\s+(?:better|best)(?![a-z])")


def asks_better(norm: str) -> bool:
    """Whether ``norm`` asks which of several runs worked better ("tell me which one held up best")."""
    return _WHICH_BETTER.search(norm) is not None


#: "on SYN042 and on SYN043", "for march 2008 and for march 2009", "在黄金上和在原油上": the preposition said again
#: before the second item sets the items apart, as "each" does (one run per instrument or window).
_PREP_AGAIN = re.compile(r"(?<![a-z])(on|for|in|over|during)\s+(?:the\s+)?(?:[\w&.-]+\s+){0,3}?[\w&.-]+(?:\s+\d{4})?\s+and\s+"
                         r"(?:again\s+|also\s+|then\s+)?\1(?![a-z])|"
                         r"在[^,，。;；在]{1,8}上?(?:和|跟|与)在")


#: What "先给我看(一下)" shows when it is a look, not the orders held for approval ("先给我看下它最近一个月的k线").
_LOOK_OBJECT = re.compile(r"\s*(?:一?下|一眼|看)?\s*[^,，。;；!！?？]{0,12}?(?:k线|走势|价格|行情|图|报价|现价|持仓|账户|仓位|现金|盈亏)")


def _flags(norm: str, found: Found) -> None:
    span = lex.span_of(norm, lex.CUES["approval"])
    if span is not None and norm[span[0]:span[1]].endswith("给我看") and _LOOK_OBJECT.match(norm, span[1]):
        span = None  # "先给我看下它的k线": a look asked first, not the orders shown before they go
    match = _APPROVAL_RE.search(norm) or _MY_APPROVAL.search(norm)
    if span is None and match is not None:
        span = match.span()
    if span is not None and not _NO_APPROVAL.search(norm):
        found.approval = Value(True, span[0], span[1], norm[span[0]:span[1]])
    found.each = lex.has_any(norm, ("each", "both", "separately", "respectively", "vs", "versus", "against", "compare",
                                    "compare the two", "which worked better", "which did better",
                                    "which one did better", "which performed better", "which came out ahead", "rank the two",
                                    "rank them", "rank both", "side-by-side", "一起比",
                                    "各", "分别", "哪个", "对比", "比较", "比一下", "还是", "side by side", "next to each other",
                                    "放一起", "放在一起", "并排", "比一比", "都搞一下", "都跑一下", "都做一下", "都来一遍",
                                    "都测一下", "都回测一下")) or bool(_WHICH_BETTER.search(norm)) \
        or bool(_PREP_AGAIN.search(norm))
    # "SYN031 - 200 shares, you know what to do": the order left to us, not advice asked for
    span = lex.span_of(re.sub(r"you\s+know\s+what\s+to\s+do", lambda m: " " * len(m.group(0)), norm), lex.CUES["suggest"])
    if span is not None or found.horizon is not None:
        where = span or (found.horizon.start, found.horizon.end)  # type: ignore[union-attr]
        found.suggest = Value(True, where[0], where[1], norm[where[0]:where[1]])


_DOUBLE = re.compile(r"\bdouble\s+(?:my|the|our)\s+(?:[\w&]+\s+){0,2}(?:position|pos|holding|stake)|\bdouble\s+down\b|"
                     # "double my gold", "double up on SYN003": as much again as is held
                     r"\bdouble\s+(?:up\s+on\s+)?(?:my|our)\s+[\w&]+(?:\s+[\w&]+)?\s*$|\bdouble\s+up\s+on\s+[\w&]+|"
                     r"(?:仓位|持仓)\s*(?:翻倍|加倍|翻一倍)|(?:翻倍|加倍)\s*(?:仓位|持仓)|加一倍|加仓到两倍|加到两倍|仓位?翻一番")
_BARRELS = re.compile(r"(?:买入?|卖出?|buy|sell)\s*(\d+(?:\.\d+)?)\s*(?:桶|barrels?|bbl|盎司|oz|ounces?"
                      # "买10个黄金", "卖5个单位原油": units of the instrument named right after (read before the
                      # instrument's words are blanked: a run of spaces to the clause's end is where they were)
                      r"|个(?:单位)?(?:的)?(?=\s*(?:黄金|原油|标普|纳指|纳斯达克|(?:gold|wti|sp500|nasdaq|syn\d{3})(?![a-z\d]))"
                      r"|\s{2,}(?:[,，。;；!！?？]|$)))")


#: A past that did not happen ("if I had started with $100,000, how would buy and hold have done", "要是当初
#: 投了10万黄金现在多少钱"): a backtest with that starting capital - never an order.
HYPOTHETICAL = re.compile(
    r"(?<![a-z])(?:(?:if|had|suppose|supposing|imagine|say)\s+(?:i|we|you|someone)\s+had|what\s+if\s+(?:i|we)\s+had"
    r"|(?:i|we)\s+had\s+(?:started|invested|put|bought|begun)|would\s+(?:\w+\s+){0,4}?have\s+(?:done|made|returned|performed"
    r"|been|grown|turned|ended|gained|lost|fared|become))(?![a-z])"
    r"|(?:假如|如果|要是|假设|若是?)(?:我|我们)?当初|当初(?:要是|如果)?(?:投|买|拿|放)|会(?:变成|变为|涨到|跌到)多少|现在(?:值|会有|能有)多少"
    # "what would've happened if I'd sold all my S&P in March 2009", "if we'd bought gold then"
    r"|(?<![a-z])(?:if|had)\s+(?:i|we|you)(?:'d|\s+had)\s+(?:sold|bought|held|kept|dumped|closed|cut|trimmed|exited|"
    r"shorted|stayed|gone|put|invested)(?![a-z])|(?<![a-z])what\s+would(?:'ve|\s+have)\s+happened(?![a-z])"
    # "假设2015年8月我把标普卖掉一半", "我要是去年把SYN020全卖了，现在会是什么情况", "如果我2020年初买入黄金一直拿到现在，收益是多少"
    r"|(?:假设|假如)(?:说)?(?:我|我们)?[^。？?；;]{0,30}?(?:买|卖|清|投|拿|持有)"
    r"|(?:如果|要是|若是?)(?:我|我们)?[^,，。;；?？]{0,20}?(?:买|卖|清|投|拿)[^。？?；;]{0,30}?"
    r"(?:会是什么|会怎么样|会怎样|会有多少|能少亏|能多赚|少亏多少|多赚多少|收益是多少|收益多少|收益有多少|赚多少|亏多少|现在会)")


_PUT_IN = re.compile(r"(?:投了?|投入了?|拿了?|放了?|买了?|invested|put|bought|with)\s*\$?\s*(\d[\d,]*(?:\.\d+)?)\s*(万|千|k|m|million)?"
                     r"(?![\d%])")
_UNTIL_NOW = re.compile(r"现在|至今|到今天|如今|(?<![a-z])(?:now|today|held\s+(?:it|on)|still\s+hold)(?![a-z])")


def _hypothetical(norm: str, found: Found, today: date) -> None:
    """What a past investment would have done: its money is the starting cash, its buy a buy and hold,
    "since then" runs to the data's end; the order words in it ("had bought") place nothing. Only the
    sentence that says it is read so: an order in another sentence stays an order."""
    from dataclasses import replace as _replace

    said = HYPOTHETICAL.search(norm)
    if said is None:
        return
    head = max(norm.rfind(c, 0, said.start()) for c in ".。!！?？;；\n") + 1
    tail = min((i for i in (norm.find(c, said.end()) for c in ".。!！?？;；\n") if i >= 0), default=len(norm))

    def inside(start: int) -> bool:
        return head <= start < tail

    quantity, side = found.quantity, found.side
    if quantity is not None and inside(quantity.span.start) and quantity.kind == "notional":
        found.cash = Value(float(quantity.value), quantity.span.start, quantity.span.end, quantity.span.text)
    elif found.cash is None:
        put = _PUT_IN.search(blank(norm, found.used), head, tail)
        if put is not None:
            scale = {"万": 1e4, "千": 1e3, "k": 1e3, "m": 1e6, "million": 1e6}.get(put.group(2) or "", 1.0)
            found.cash = Value(float(put.group(1).replace(",", "")) * scale, put.start(1), put.end(), put.group(0))
    if quantity is not None and inside(quantity.span.start) and quantity.kind in ("notional", "units", "lots"):
        found.quantity = None
    if side is not None and inside(side.start):
        found.side = None
    bought = side if side is not None and inside(side.start) else side_word(norm[head:tail])
    # a sale that did not happen is measured the same way: what holding on did over that time is what it avoided
    # ("if I'd sold all my S&P in March 2009", "假设2015年8月我把标普卖掉一半") - never an order, never a strategy asked
    if bought is not None and not any(inside(v.start) for v in found.strategies):
        at = bought.start if inside(bought.start) else head + bought.start
        words = bought.said if bought.value == "buy" else norm[head:tail].strip(" ,，")  # a sale: its sentence says so
        found.strategies = [*found.strategies, Value("buy_and_hold", at, at + len(bought.said), words)]
    mine = [p for p in found.periods if inside(p.span.start)]
    if len(mine) == 2 and mine[1].open_start and mine[0].start <= mine[1].end:
        # "当初在2015年投了…，持有到2018年底": from the first to the end of the second
        joined = _replace(mine[0], end=mine[1].end)
        found.periods = [joined if p is mine[0] else p for p in found.periods if p is not mine[1]]
    elif len(mine) == 1 and _UNTIL_NOW.search(norm, head, tail) and mine[0].end < today:
        found.periods = [_replace(p, end=today, open_end=True) if p is mine[0] else p for p in found.periods]


def _trading(norm: str, found: Found) -> None:
    from agents.understand._numbers import QuantityMention, Span

    double = _DOUBLE.search(norm)
    if double and found.quantity is None:  # "double my gold position": buy as much again as is held
        found.quantity = QuantityMention(Span(double.start(), double.end(), double.group(0)),
                                         "fraction_of_position", 1.0, "buy")
        found.side = Value("buy", double.start(), double.end(), double.group(0))
        found.claim(double.start(), double.end())
        return
    barrels = _BARRELS.search(blank(norm, found.used))
    if barrels and found.quantity is None:  # barrels / ounces: units of the instrument
        found.quantity = QuantityMention(Span(barrels.start(1), barrels.end(), barrels.group(0)), "units",
                                         float(barrels.group(1)), None)
        found.claim(barrels.start(1), barrels.end())
    if found.quantity is None:
        quantity, held = order_size(blank(norm, found.used))
        if held is not None:
            found.holding = held
            found.claim(held.span.start, held.span.end)
    else:
        quantity = found.quantity
    if quantity is not None:
        if quantity.kind == "pct_equity" and re.search(r"(?:现有|当前|已有|目前的?)(?:仓位|持仓)|existing\s+(?:position|holding)",
                                                       norm[max(0, quantity.span.start - 12):quantity.span.start]):
            quantity = QuantityMention(quantity.span, "fraction_of_position", quantity.value / 100, quantity.side)
        found.quantity = quantity
        found.claim(quantity.span.start, quantity.span.end)
        if quantity.side is not None:
            found.side = Value(quantity.side, quantity.span.start, quantity.span.end, quantity.span.text)
    if found.side is None:
        # "手续费一买一卖合计千分之二", "fees 20bp for buy and sell combined": words of a cost are no order's side
        side = side_word(blank(norm, [(c.span.start, c.span.end) for c in found.costs]))
        if side is not None:
            found.side = side
    meant = side_put_right(norm)
    if meant is not None:
        found.side = meant
    _trading_phrases(norm, found)
    _every_position(norm, found)
    q = found.quantity
    if q is not None and any(m.start() <= q.span.start < m.end() for m in DONE_TRADE.finditer(norm)):
        found.quantity = None  # "SYN031已经卖了一半": a sale already made sizes no order
    elif q is not None and found.holding is None and any(m.start() <= q.span.start < m.end() for m in HOLDING.finditer(norm)) \
            and not re.match(r"\s*(?:sell|close|dump|exit|unload|卖|清|平)", norm[max(0, q.span.start - 12):q.span.start][-8:]) \
            and side_word(norm[:q.span.start]) is None:
        found.quantity = None  # "out of my 300 SYN012 shares, sell …": what is held is no size (asked when nothing else sizes it)


def order_size(text: str) -> tuple[QuantityMention | None, QuantityMention | None]:
    """The order's size and the holding it is taken from ("Out of my 200 SYN041 shares, sell 50",
    "SYN020现在持有300股，卖掉其中三分之一"): a size said as what is held is never the order's size,
    unless it is the only size and a trade verb takes it ("sell my 200 shares")."""
    quantity = find_quantity(text)
    done = DONE_TRADE.search(text) if quantity is not None else None
    if quantity is not None and done is not None and done.start() <= quantity.span.start < done.end():
        # "SYN031上周已经卖了一半，剩下的这周全部出掉吧": what was already sold is no size of this order
        rest = blank(text, [done.span()])
        left = _THE_REST.search(rest)
        if find_quantity(rest) is None and left is not None:  # "... sell the rest now": all of what is left
            from agents.understand._numbers import Span

            return QuantityMention(Span(left.start(), left.end(), text[left.start():left.end()]), "fraction_of_position",
                                   1.0, "sell"), None
        return find_quantity(rest), None
    held = HOLDING.search(text) if quantity is not None else None
    if quantity is None or held is None:
        return quantity, None
    if not held.start() <= quantity.span.start < held.end():  # "I'm holding 200 SYN041, sell 500 of them"
        return quantity, _held_size(text, held)
    other = find_quantity(blank(text, [(held.start(), held.end())]))
    if other is not None or quantity.side is None:  # a clause that only says what is held sizes nothing
        return other, quantity
    return quantity, None


def _held_size(text: str, held: re.Match[str]) -> QuantityMention | None:
    from agents.understand._numbers import Span, parse_number

    number = re.search(r"\d[\d,]*(?:\.\d+)?(?:\s*k)?|[零一二两三四五六七八九十百千万]+", held.group(0))
    value = parse_number(number.group(0).replace(" ", "")) if number is not None else None
    if number is None or not value:
        return None
    lots = re.search(r"lots?|contracts?|手", held.group(0)) is not None
    start = held.start() + number.start()
    return QuantityMention(Span(start, held.end(), text[start:held.end()]), "lots" if lots else "units", float(value), None)


#: The side an order was put right to ("... but I meant SELL", "不是买SYN033，是卖").
MEANT_SIDE = re.compile(r"(?<![a-z])(?:but\s+(?:i\s+)?meant|i\s+mean[t]?)\s+(?:to\s+)?(?P<en>buy|sell|short|long)(?![a-z])|"
                         r"不是(?:要)?[买卖][^,，。!！;；]{0,12}?[,，]?\s*(?:而)?是(?:要)?(?P<zh>[买卖])")
#: What is left of a position after a part was sold ("sell the rest", "卖掉剩下的").
_THE_REST = re.compile(r"(?<![a-z])(?:sell|close|dump|exit|unload|get\s+rid\s+of)\s+(?:the\s+)?(?:rest|remainder|remaining(?:\s+\w+)?|"
                       r"what'?s\s+left|what\s+is\s+left)(?![a-z])|(?:卖掉|卖出|清掉|出掉|平掉)剩(?:下|余)的|剩(?:下|余)的(?:都|也)?(?:卖掉|卖了|清掉|出掉)")
#: A trade already done ("上周已经卖了一半", "已经减了三成", "I already sold half last week"): context for the order after it.
DONE_TRADE = re.compile(r"已经?\s*(?:卖|减|清|抛|买|加)(?:出|掉|仓|持)?了\s*(?:一半|半仓|[一二两三四五六七八九]成|[一二三四五]分之[一二三四]|"
                         r"\d+(?:\.\d+)?\s*(?:%|股|手|成))|(?<![a-z])already\s+(?:sold|trimmed|cut|dumped|bought|added)\s+"
                         r"(?:half|a\s+third|a\s+quarter|\d+(?:\.\d+)?\s*(?:%|shares?|lots?|units?))")


def side_put_right(text: str, offset: int = 0) -> Value | None:
    """The side an order was corrected to ("I said buy 500 of SYN088 but I meant sell", "不是买，是卖"), or None."""
    meant = MEANT_SIDE.search(text)
    if meant is None:
        return None
    said = meant.group("en") or meant.group("zh")
    return Value("buy" if said in ("buy", "买", "long") else "sell", meant.start() + offset, meant.end() + offset,
                 meant.group(0))


#: A size the person says they hold: "out of my 200 shares", "I'm holding 200 SYN041", "my 300 shares of gold",
#: "持有300股", "手上只有300股", "仓里有5手".
_HELD_NUM = r"(?:\d[\d,]*(?:\.\d+)?(?:\s*k)?|[零一二两三四五六七八九十百千万]+)"
_HELD_UNIT = r"(?:shares?|lots?|units?|contracts?|barrels?|ounces?|oz)"
HOLDING = re.compile(
    r"(?<![a-z])(?:out\s+of|of|from)\s+(?:my|our|the)\s+(?:current\s+)?" + _HELD_NUM + r"\s*(?:[a-z]{2,6}\d{0,3}\s+)?"
    + _HELD_UNIT + r"(?![a-z])|"
    r"(?<![a-z])(?:i'?m\s+(?:holding|sitting\s+on)|i\s+(?:currently\s+|already\s+|still\s+)?(?:hold|own|have|got)|i'?ve\s+got|"
    r"we\s+(?:hold|own|have))\s+(?:(?:only|just|about|around)\s+)?" + _HELD_NUM + r"(?![\d.])(?:\s*" + _HELD_UNIT + r")?|"
    r"(?:持有|只有|仅有|还有|拿着|持仓|手上有|手里有|手上|手里|仓里有|账户里有|现有|共有|(?<![买卖])我有|我们有|我拿了|拿了)\s*"
    r"(?:只有|就)?\s*(?:[a-z]{2,6}\d{0,3}\s*|(?:黄金|原油|标普(?:500)?|纳指|纳斯达克)\s*)?"
    + _HELD_NUM
    + r"\s*(?:股|手|份|张|桶)")


#: Every held position named as such ("close everything", "sell all my positions", "清仓所有持仓",
#: "全部平仓"). "sell it all" names one position that was not said, and is asked about.
_ALL_POSITIONS = re.compile(
    r"(?<![a-z])(?:all|every(?:\s+one\s+of|\s+single)?|each(?:\s+of)?|the\s+(?:whole|entire)|entire|whole)\s+"
    r"(?:of\s+)?(?:(?:my|our|the|your|open|current|existing)\s+){0,2}(?:positions?|holdings?|stocks?\s+i\s+(?:own|hold)|"
    r"book|portfolio)(?![a-z])|"
    r"(?<![a-z])(?:close|sell|liquidate|dump|exit|flatten|unwind|clear\s+out|get\s+out\s+of|get\s+rid\s+of)\s+"
    r"(?:out\s+)?(?:of\s+)?(?:everything|it\s+all\s+(?:out|in\s+the\s+(?:account|portfolio|book))|the\s+(?:book|portfolio))"
    r"(?![a-z])|everything\s+(?:i|we)\s+(?:own|hold|have)|(?<![a-z])go\s+(?:completely\s+|fully\s+|all\s+)?(?:flat|to\s+cash)"
    r"(?:\s+on\s+everything)?(?!\s+(?:on|in)\s+(?!everything))|"
    r"(?:所有|全部|一切|全体|整个)\s*(?:的)?\s*(?:持仓|仓位|头寸|股票|品种|账户|组合)|(?:持仓|仓位|头寸)\s*(?:全部|都|全都|统统|一律)|"
    r"全部\s*(?:平仓|清仓)|一键\s*(?:清仓|平仓)|(?:清空|平掉)\s*(?:账户|组合|仓位|持仓)")


def _every_position(norm: str, found: Found) -> None:
    """An order on every held position: only when no instrument, universe or pick is named, and the
    words say positions / everything rather than "it"."""
    match = _ALL_POSITIONS.search(norm)
    if match is None or found.instruments or found.unknown_symbols or found.universe or found.top_k or found.top_pct:
        return
    if found.side is not None and found.side.value != "sell":
        return  # "buy all the stocks in the pool" is not a liquidation
    if found.quantity is not None and found.quantity.kind != "fraction_of_position":
        return  # "sell 100 shares of all my positions": no one size fits every position; asked
    if found.side is None and not _LIQUIDATE.search(norm):
        return  # "show all my positions": a look, not an order
    if _IT.search(norm):
        return  # "把它全部清掉", "sell it all": one position that was not named
    from agents.understand._numbers import QuantityMention, Span

    said = Value(True, match.start(), match.end(), match.group(0))
    found.all_positions = said
    found.side = found.side or Value("sell", match.start(), match.end(), match.group(0))
    if found.quantity is None:
        found.quantity = QuantityMention(Span(match.start(), match.end(), match.group(0)), "fraction_of_position",
                                         1.0, "sell")
    found.claim(match.start(), match.end())


#: "the position we talked about", "就是上次聊的那个": one position meant, not named (asked about, never guessed).
MEANT_NOT_NAMED = (r"(?<![a-z])(?:we|i|you)\s+(?:talked|spoke|discussed|chatted|mentioned)(?![a-z])|聊的|说的那个|提到的"
                   r"|就是[^,，。;；]{0,12}(?:那个|那只|那笔)")
_IT = re.compile(r"(?:把|将)\s*(?:它|它们|这个|那个|这只|那只|这些|那些)|(?<![a-z])(?:close|sell|liquidate|dump|exit|unload|"
                 r"get\s+rid\s+of|get\s+out\s+of)\s+(?:it|this|that|them|those|these)(?![a-z'])"
                 r"|(?<![a-z])(?:in|of|from)\s+(?:the|that|this)\s+(?:one|position|holding|name|stock|trade)(?![a-z])"
                 rf"|{MEANT_NOT_NAMED}|那个$|那只$")
_LIQUIDATE = re.compile(r"(?<![a-z])(?:close|sell|liquidate|dump|exit|flatten|unwind|clear\s+out|get\s+out|get\s+rid|"
                        r"go\s+(?:completely\s+|fully\s+|all\s+)?(?:flat|to\s+cash))|平仓|清仓|卖|平掉|清掉|清空|出掉")


#: Order sizes said as phrases rather than numbers (all of it, "加到两成仓", "来两手", "add 20% to my ...").
CLOSE_ALL = re.compile(r"\b(?:get rid of(?: all| everything)?|close out|go flat|flatten|flat\s+(?:the|my|our)(?=\s+[\w&]+(?:\s+pos(?:ition)?)?\b)|dump everything|liquidate"
                        r"|get (?:me |us )?out of(?! half| a | \d)|exit (?:all|everything|the whole)"
                        r"|(?:close|sell|exit|liquidate|dump|unload)\s+(?:out\s+)?(?:of\s+)?(?:the\s+|my\s+|our\s+)?[\w&]+(?:\s+position)?"
                        r"\s+(?:completely|entirely|fully|in\s+full|altogether|outright))\b"
                        # "close gold.", "exit the nasdaq and buy ...": the verb and a bare name end the clause
                        r"|\b(?:close|exit|dump|unload|liquidate|flatten)\s+(?:out\s+)?(?:the\s+|my\s+|our\s+|all\s+(?:of\s+)?(?:my\s+|our\s+)?)?(?!(?:price|prices|px|data|above|below|at|to"
                        r"|higher|lower|up|down|it|is|was|of|on|in|for|from|the|a|an)\b)[a-z][\w&]*(?=\s*(?:$|[.;,!?，。；]"
                        r"|\band\b|\bthen\b|\bnow\b|\btoday\b|\bplease\b))|全清|清掉|清了|清空"
                        r"|全部\s*(?:close|平|卖|清)|平掉所有|全平|全部出掉|全卖")
_ADD_TO_MINE = re.compile(r"\badd\b.{0,25}?\bto\s+(?:my|our|the)\b|(?:加仓|加)\s*(?:持仓的|现有的)")
_OF_EQUITY = re.compile(r"\s*of\s+(?:(?:my|our|the|your|total|whole|entire|available)\s+){0,3}(?:equity|capital"
                        r"|portfolio|account|nav|cash|funds?|money|buying\s+power|balance|aum|net\s+assets?|net\s+worth)\b")
_LOTS_ZH = re.compile(r"来\s*(\d+|[一二两三四五六七八九十]+)\s*(手|股)")
_TARGET_CANG = re.compile(r"加到\s*(\d+|[一二两三四五六七八九十]+)\s*成仓?|加到\s*(\d+(?:\.\d+)?)\s*%")
_MONEY_K = re.compile(r"\d+(?:\.\d+)?\s*(?:k|m|mm|bn)\b")


#: What a share bought is of, when said ("half of the account", "a third of my cash", "一半资金").
_OF_THE_ACCOUNT = re.compile(r"(?<![a-z])(?:equity|account|portfolio|cash|capital|buying\s+power|nav|money|funds?)(?![a-z])"
                             r"|资金|本金|现金|账户|总资产|净值|仓位|仓")


_BARE_PART = re.compile(r"(?:a\s+|one\s+)?(?:half|third|quarter)|一半|[一二三四五]分之[一二三四]")


def _trading_phrases(norm: str, found: Found) -> None:
    from agents.understand._numbers import (
        QuantityKind,
        QuantityMention,
        Side,
        Span,
        find_fractions,
        parse_number,
    )

    q = found.quantity
    if q is not None and q.kind == "units" and _MONEY_K.fullmatch(q.span.text.strip()):
        found.quantity = QuantityMention(q.span, "notional", q.value, q.side)  # "buy 10k of nasdaq": money
    if q is not None and q.kind == "pct_equity" and _ADD_TO_MINE.search(norm) \
            and not _OF_EQUITY.match(norm, q.span.end):  # "add to my gold position, 5% of equity": of equity, as said
        found.quantity = QuantityMention(q.span, "fraction_of_position", q.value / 100, "buy")  # "add 20% to my S&P"
    if found.quantity is not None:
        return
    lots = _LOTS_ZH.search(norm)
    target = _TARGET_CANG.search(norm)
    close = CLOSE_ALL.search(norm)
    costs = [(c.span.start, c.span.end) for c in found.costs]
    # not a cost ("千分之二") nor a span another slot read ("买入前5%的股票": a selection, not 5% of equity)
    fractions = [f for f in find_fractions(blank(norm, found.used)) if not any(a <= f[0] < b for a, b in costs)]
    if lots is not None:
        count = parse_number(lots.group(1)) or 0
        unit: QuantityKind = "lots" if lots.group(2) == "手" else "units"
        found.quantity = QuantityMention(Span(lots.start(), lots.end(), lots.group(0)), unit, float(count), "buy")
        found.side = found.side or Value("buy", lots.start(), lots.end(), lots.group(0))
    elif target is not None:
        pct = float(target.group(2)) if target.group(2) else (parse_number(target.group(1)) or 0) * 10
        found.quantity = QuantityMention(Span(target.start(), target.end(), target.group(0)), "pct_equity", pct, "buy")
        found.side = Value("buy", target.start(), target.end(), target.group(0))
    elif close is not None and found.side is not None and found.side.value == "sell" and not fractions:
        found.quantity = QuantityMention(Span(close.start(), close.end(), close.group(0)), "fraction_of_position",
                                         1.0, "sell")
    elif close is not None and found.side is None:
        found.quantity = QuantityMention(Span(close.start(), close.end(), close.group(0)), "fraction_of_position",
                                         1.0, "sell")
        found.side = Value("sell", close.start(), close.end(), close.group(0))
    elif fractions and found.side is not None and not (
            found.side.value == "buy" and not _ADD_TO_MINE.search(norm) and not _COVER.search(norm)
            and not _OF_THE_ACCOUNT.search(norm) and _BARE_PART.fullmatch(norm[fractions[0][0]:fractions[0][1]].strip())):
        # "pls buy SYN093, half": half of what - the account, the cash, a position? asked, never guessed
        start, end, value = fractions[0]  # "take a third off crude": a share of the position
        kind: QuantityKind = ("fraction_of_position" if found.side.value == "sell" or _ADD_TO_MINE.search(norm)
                              or _COVER.search(norm) else "pct_equity")  # "cover half of the gold short": of the short
        amount = value if kind == "fraction_of_position" else value * 100
        side: Side = "sell" if found.side.value == "sell" else "buy"
        found.quantity = QuantityMention(Span(start, end, norm[start:end]), kind, amount, side)
    if found.quantity is not None:
        found.claim(found.quantity.span.start, found.quantity.span.end)


_SELL = ("sell", "short", "reduce", "trim", "cut", "close", "liquidate", "exit", "dump", "unload", "offload", "get out of", "get me out of",
         "get us out of", "take me out of", "take profits on", "take profit on", "take some profits on", "take some profit on",
         "take some off", "bank some profit", "bank profits on",
         "unwind", "hit the bid", "开空", "空单", "降至合适", "降到合适",
         "get rid of", "go flat", "flatten", "flat the", "flat my", "flat out", "全清", "清掉", "清了",
         "卖出", "卖掉", "减仓", "减码", "做空", "平仓", "清仓", "减掉", "砍", "减半", "止盈", "割肉", "减一点", "减点", "下车", "跑路", "止损", "出掉", "lighten up", "lighten", "卖")
_BUY = ("buy", "purchase", "go long", "add to", "load up", "pick up", "put money into", "put money in", "invest in", "get into",
        "initiate a long", "initiate a position", "initiate positions", "initiate equal-weight", "initiate equal weight",
        "open a long", "open a position", "open a new position", "establish a long", "establish a position", "take a long",
        "满仓干", "满仓上", "加仓到两倍", "加到两倍", "翻倍",
        "lift the offer", "lift the ask", "多单", "开多", "做多",
        "throw some money at", "throw a little money at", "throw a lil money at", "throw money at", "size me in", "size in",
        "put some money into", "put some money in", "put a little money into", "put some cash into",
        "put on the usual size", "put on a position", "上点仓",
        "allocate to", "buy into", "ape into", "aping into", "aping", "ape in", "scoop up", "grab", "snap up", "all in on", "go all in", "买入", "买进", "购买", "加仓", "加码", "加点仓", "加一点仓", "加点", "加一点", "加些", "建仓", "建个仓", "配置",
        "梭哈", "全仓买", "满仓买", "抄底", "上车", "add a bit more", "add a little more", "add some more", "add more",
        "建点仓", "适当建", "适当加", "多买", "i'll take", "i will take", "买")


#: "清一半", "清三成": clearing a part of a position is a sell of that part (as the sizes of _numbers read it).
_CLEAR_PART = re.compile(r"清(?=\s*(?:[一二两三四五六七八九十]成|一半|[二三四五]分之|\d+\s*(?:%|成)))")
#: "上三成仓位", "纳指上半仓": putting on a share of the account is a buy of that share.
_PUT_ON_PART = re.compile(r"(?:上|建(?:个|一个)?)(?=\s*(?:[一二两三四五六七八九十]成|一半|半|[二三四五]分之[一二三四]|\d+\s*(?:%|成))\s*(?:的)?\s*仓)")
_TAKE_OFF = re.compile(r"\b(?:take|took|taking|knock|shave)\b[^.;,!?]{0,40}?\boff\b(?!\s+(?:the\s+)?(?:table|hold))")


#: "put 40k into SYN111", "park $5,000 in gold": money put into a name is a buy.
#: "卖的钱", "卖出来的资金", "the money from the sale": what a sale brings in, named as what to buy with - not a sale.
_SALE_MONEY = re.compile(r"卖(?:出|掉)?(?:的|来的|出来的)(?:钱|资金|现金)|money\s+from\s+(?:the|that|this)\s+sale")
#: "put the proceeds into the S&P", "use the money to buy ...": the money of a sale moved into something - a buy.
_PROCEEDS_INTO = re.compile(r"\b(?:put|park|invest|reinvest|move|rotate|switch|deploy)\s+"
                            r"(?:all|half|a\s+(?:third|quarter)|\d+\s*%|\d+\s*percent)?\s*(?:of\s+)?"
                            r"(?:the|that|this|those)\s+(?:proceeds|money|cash|funds)\s+(?:into|in|to|on)\b")
#: "throw a bit of money at SYN044", "throw some cash into gold": a buy whose size is still to be asked.
_THROW_AT = re.compile(r"\bthrow\s+(?:[\w']+\s+){0,3}?(?:money|cash|capital|dollars|bucks)\s+(?:at|into|in|on)\b")
_PUT_INTO = re.compile(r"\b(?:put|park|throw|deploy|stick)\s+(?:another\s+|an?\s+(?:extra|further)\s+)?(?:\$|usd\s*|¥)?"
                       r"\d[\d,.]*\s*(?:k|m|mm|bn|thousand|million|grand)?\b(?:\s+(?:dollars|usd|bucks|yuan|rmb))?"
                       r"(?:\s+(?:more|extra|of\s+(?:cash|capital)))?\s+(?:into|in|on|at)\b|"
                       # "move 10% of equity into it": a share of the account moved into a name, a buy
                       r"\bmove\s+\d[\d,.]*\s*(?:%|percent|pct)\s+of\s+(?:equity|the\s+account|my\s+account|the\s+book|nav|cash)\s+into\b")


#: "the close of gold", "plot gold close", "where will it close", "closed higher": the closing price, not an order.
_CLOSE_NOUN = re.compile(
    r"\b(?:the|a|its|their|daily|weekly|monthly|last|previous|prior|today's|yesterday's|adjusted|adj|official|settlement)"
    r"\s+clos(?:e|ing)\b|\bclos(?:e|es|ed|ing)\s+(?:of|price|prices|px|data|series|chart|values?|levels?|higher|lower|up|down"
    r"|above|below|flat|near|around|at\s+\$?\d)\b|\b(?:will|would|did|does|might|could|should)\s+(?:\w+\s+)?close\b"
    r"|\b(?:gold|oil|crude|wti|nasdaq|s&p|sp500|spx|syn\d{3})(?:'s)?\s+close\b(?=\s*(?:$|[.,;?!]|\b(?:prices?|data|for|in|over"
    r"|from|since|series|chart|values?)\b))|\bcloses\b|\bclosed\b(?!\s+(?:out|my|our|the|it|all|half))")


_COVER = re.compile(r"(?<![a-z])(?:cover(?:s|ed|ing)?|buy(?:ing)?\s+back|close\s+(?:out\s+)?(?:the\s+|my\s+|our\s+)?(?:[\w&]+\s+)?short)"
                    r"(?![a-z])|空单\s*(?:平掉|平了|平仓|全平|回补|买回)|平空|回补空单|空头回补")
_GET_ME = re.compile(r"(?:给我|帮我)来\s*(?=\d|[一两二三四五六七八九十半]\s*(?:手|股|万|千|块|元|成))|"
                     r"(?<![a-z])get\s+(?:me|us)\s+(?:another\s+)?(?:[$¥]\s*)?\d[\d,.]*\s*(?:k|m|mm|million)?\s*"
                     r"(?:(?:shares?|units?|lots?|contracts?)\s+)?(?:of|worth\s+of|in)?\s"
                     # "then put on the top 10 names": a desk's word for opening the positions
                     r"|(?<![a-z])put\s+on\s+(?:the\s+)?(?:top|best|highest)(?![a-z])")


#: "账户里还有多少购买力", "how much buying power", "selling pressure": the account's or the market's, no order's side.
#: "how close are we to the drawdown limit": near, not closing a position.
_NO_SIDE = re.compile(r"(?<![a-z])(?:buying|purchasing|selling)\s+(?:power|pressure)(?![a-z])|购买力|买盘|卖盘|买压|卖压|抛压|"
                      # "short-term reversal", "a short window": a length, not a short sale
                      r"(?<![a-z])short[- ](?:term|run|window|lookback|horizon|dated|side\s+of)(?![a-z])|"
                      r"(?<![a-z])(?:how\s+close|close\s+to)(?![a-z])|"
                      # "有没有靠谱的买入信号", "a buy signal": a signal, not an order
                      r"超卖|超买|买入信号|卖出信号|买卖点|(?<![a-z])(?:buy|sell|long|short)\s+signals?(?![a-z])|"
                      # "我上周把SYN030卖了，卖得对不对": a trade already done, asked about
                      r"(?:上周|上个?月|上礼拜|昨天|前天|去年|之前|前几天|早些时候|当时|那时)[^,，。；;？?]{0,12}?(?:卖|买)(?:掉|入|出)?了|"
                      r"(?:卖|买)得(?:对不对|对吗|对不|早了|晚了|太早|太晚|值不值)")


#: "标普满仓", "黄金满仓吧": all in, said as the wish (not "已经满仓了", a state).
_FULL_IN = re.compile(r"(?<![已都经是])满仓(?![了的着])(?=\s*(?:$|[,，。!！;；]|吧|干|上|买|冲|搞))")


def side_word(norm: str) -> Value | None:
    norm = blank(norm, [m.span() for m in _NO_SIDE.finditer(norm)])
    if lex.has_any(norm, lex.STRATEGIES["buy_and_hold"]):
        norm = blank(norm, [m.span() for w in lex.STRATEGIES["buy_and_hold"] for m in re.finditer(re.escape(w), norm)])
    norm = blank(norm, [m.span() for m in _SALE_MONEY.finditer(norm)])  # "卖的钱全部买原油": the sale's money buys
    norm = blank(norm, [m.span() for m in _CLOSE_NOUN.finditer(norm)])  # "plot gold close": a price, not a sale
    sell, buy = lex.span_of(norm, _SELL), lex.span_of(norm, _BUY)
    put = _PUT_INTO.search(norm) or _PROCEEDS_INTO.search(norm) or _THROW_AT.search(norm)
    if put is not None and (buy is None or put.start() < buy[0]):
        buy = put.span()
    cover = _COVER.search(norm)  # "cover the Nasdaq short", "纳指空单平掉": buying back what was sold short
    if cover is not None and (buy is None or cover.start() < buy[0]):
        buy = cover.span()
        if sell is not None and cover.start() <= sell[0] < cover.end() + 12:
            sell = None
    got = _GET_ME.search(norm) or _PUT_ON_PART.search(norm) or _FULL_IN.search(norm)  # "get me $50k of gold", "上三成仓位", "标普满仓": a buy
    if got is not None and (buy is None or got.start() < buy[0]):
        buy = got.span()
    taken = _TAKE_OFF.search(norm) or _CLEAR_PART.search(norm)  # "take a third off my gold", "清一半": a sell
    if taken is not None and (sell is None or taken.start() < sell[0]):
        sell = taken.span()
    chosen = min((s for s in ((sell, "sell"), (buy, "buy")) if s[0] is not None), key=lambda s: s[0][0], default=None)  # type: ignore[index]
    if chosen is None:
        return None
    (start, end), side = chosen  # type: ignore[misc]
    return Value(side, start, end, norm[start:end])


#: A number compared against in a condition ("if it's under 2000", "跌破1800就买"): a price level.
_LEVEL = re.compile(r"(?<![a-z])(?:under|below|above|over|beneath|less\s+than|more\s+than|greater\s+than|higher\s+than|"
                    r"lower\s+than|drops?\s+(?:to|below|under)|falls?\s+(?:to|below|under)|rises?\s+(?:to|above)|"
                    r"breaks?\s+(?:above|below)?|hits?|reaches)\s*\$?\s*(\d{3,6}(?:\.\d+)?)(?!\s*(?:-|–|to|到|至|年)\s*\d)"
                    r"(?!\d|\s*(?:年|-\d|/\d))|(?:低于|高于|跌破|突破|跌到|涨到|站上|站稳|跌至|涨至|超过|不到)\s*\$?\s*(\d{3,6}(?:\.\d+)?)"
                    r"(?!\d|\s*(?:年|-|到|至)\s*\d?)")
_IF = re.compile(r"(?<![a-z])(?:if|when|once|unless|whenever)(?![a-z])|如果|要是|一旦|若|的话")


def _price_levels(norm: str, found: Found) -> None:
    """Claim the price levels of conditions, so no window is read from them."""
    if not _IF.search(norm):
        return
    for m in _LEVEL.finditer(norm):
        group = 1 if m.group(1) else 2
        found.claim(m.start(group), m.end(group))


def extract(norm: str, original: str, symbols: Collection[str], today: date,
            today_of: dict[str, date] | None = None, start_of: dict[str, date] | None = None) -> Found:
    """Every slot ``norm`` states (``original``: the same text unnormalised, for quoting).

    ``today`` is the reference of relative windows when no instrument is named; ``today_of``
    gives each instrument's last bar, so "the last two years" of crude ends where crude ends.
    """
    found = Found()
    found.expressions = expressions_in(original)
    expression_spans = [(e.start, e.end) for e in found.expressions]
    expression_spans += [m.span() for m in _ISSUE_KEY.finditer(original)  # "QR-2031：黄金 PPO": no year 2031
                         if not m.group(0).startswith("SYN") and len(original) == len(norm)]
    norm = blank(norm, expression_spans)
    found.used += expression_spans
    _instruments(norm, original, symbols, found)
    channel = _channel_rule(norm, found)  # before the windows: "the previous 40 days" is the channel, not a window
    _lookback_rule(norm, found)  # before the horizon: "trailing 60-day return is positive" is a rule's lookback
    _forward(norm, found)  # before the tables: "预测期为未来一周(5个交易日)" is a forward horizon, not advice
    _tables(norm, original, found)
    if channel is not None and not found.strategies:
        found.strategies.append(channel)
    for cost in find_costs(blank(norm, found.used)):
        found.costs.append(cost)
        found.claim(cost.span.start, cost.span.end)
    _settings(norm, found)
    _grid(blank(norm, found.used), found)
    _price_levels(norm, found)  # before the windows: "if it's under 2000" is a price, not the year 2000
    reference = _reference(found, today, today_of or {})
    # Periods read the words around a window for its role: only number-bearing spans are
    # blanked for them (a blanked word would turn "train an MLP ... as the test set" into filler).
    numeric = [u for u in found.used if any(ch.isdigit() for ch in norm[u[0]:u[1]]) or u in expression_spans]
    for period in find_periods(blank(norm, numeric), reference):
        found.periods.append(period)
        found.claim(period.span.start, period.span.end)
    found.periods = _anchored(norm, _restated(norm, found.periods))
    found.periods = [p for p in found.periods if not _names_a_run(norm, p)]
    found.periods = _short_year_ranges(norm, found)
    found.periods = _parts_of_total(norm, found, reference, _first_day(found, start_of or {}))
    found.periods = _next_to_named(norm, found.periods, reference)
    found.periods = _train_before_held_out(norm, found.periods, _first_day(found, start_of or {}))
    found.periods = _shares_of_history(norm, found, reference, _first_day(found, start_of or {}))
    for double in _DOUBLE.finditer(norm):  # "加仓到两倍": a size, not a band's width
        found.claim(double.start(), double.end())
    _params(blank(norm, found.used), norm, found)
    _tune(norm, found)
    _counts(norm, found)
    _trading(norm, found)
    _hypothetical(norm, found, reference)
    _top_factors(norm, found)
    _bare_cash(norm, found)
    _flags(norm, found)
    return found


#: A day word that says which earlier run ("the PPO gold agent from last week", "the one from yesterday",
#: "上周那个黄金PPO", "上个月训练的模型"): it picks a run to look up, it is not a window of data.
_RUN_OF_DAY = re.compile(r"(?<![a-z])(?:run|model|backtest|agent|policy|result|training|experiment|one|version)s?\s+(?:from|of)\s+"
                         r"(?P<d>last\s+(?:week|month|quarter)|this\s+(?:week|month)|the\s+week\s+before)(?![a-z])"
                         r"|(?P<z>上周|上个?月|本周|这周)(?:的)?(?:那个|那次|那版|训练的|跑的|回测的|训的|做的)")


def _names_a_run(norm: str, period: PeriodMention) -> bool:
    for m in _RUN_OF_DAY.finditer(norm):
        start, end = m.span("d") if m.group("d") else m.span("z")
        if period.span.start < end and start < period.span.end:
            return True
    return False


_OF_THAT = re.compile(r"^\s*(?:of\s+(?:that|it|this|those|the\s+(?:window|period|data|sample))|thereof)\b")
_ZH_OF_THAT = re.compile(r"(?:其中|里面|当中)的?\s*$")


def _anchored(norm: str, periods: list[PeriodMention]) -> list[PeriodMention]:
    """"The last two years of that" is relative to the window just named, not to the data's end."""
    from dataclasses import replace as _replace

    out: list[PeriodMention] = []
    for period in periods:
        earlier = [p for p in out if p.span.end <= period.span.start and not p.open_end]
        after, before = norm[period.span.end:period.span.end + 25], norm[max(0, period.span.start - 6):period.span.start]
        if earlier and (_OF_THAT.match(after) or _ZH_OF_THAT.search(before)):
            anchor = earlier[-1]
            again = find_periods(period.span.text, anchor.end)
            if again and anchor.start <= again[0].start:
                period = _replace(period, start=again[0].start, end=again[0].end)
        out.append(period)
    return out


#: "from the 2009 low onward (call it March 2009 to the end of the data)": the window after the
#: marker says precisely what the one before it named loosely.
_RESTATE = re.compile(r"(?:[(（,，:：]|\s-{1,2}|—)\s*(?:call\s+it|let'?s\s+say|say|i\.?e\.?,?|that\s+is,?|namely|specifically"
                      r"|precisely|meaning|concretely|即|也就是|具体(?:是|来说|为)?|准确(?:地)?说)\s*$")


def _restated(norm: str, periods: list[PeriodMention]) -> list[PeriodMention]:
    from dataclasses import replace as _replace

    out: list[PeriodMention] = []
    for period in periods:
        if out and period.span.start - out[-1].span.end <= 40 \
                and _RESTATE.search(norm[out[-1].span.end:period.span.start]) \
                and period.start <= out[-1].end and out[-1].start <= period.end:
            loose = out.pop()
            role = period.role if period.role != "data" else loose.role
            period = _replace(period, role=role)
        out.append(period)
    return out


#: "train on everything before that", "剩下的全部做训练", "up to that point": the training window
#: is the data before the held-out windows just named.
_BEFORE_THAT = re.compile(r"(?<![a-z])(?:everything|all(?:\s+the\s+data)?|the\s+data|whatever\s+is)\s+(?:before|prior\s+to|up\s+to|"
                          r"until|preceding)\s+(?:that|it|this|those|them|then)(?![a-z])|(?<![a-z])(?:everything|all)\s+(?:else|earlier)"
                          r"(?![a-z])|(?<![a-z])(?:the\s+)?(?:rest|remainder|remaining\s+(?:data|years|history))(?![a-z])"
                          r"|剩下的|剩余的?|其余的?|余下的|之前的(?:全部|所有|数据)|此前的?(?:全部|所有|数据)?|前面的(?:全部|所有|数据)")
_UP_TO_THAT = re.compile(r"^\s*(?:up\s+(?:to|until)|until|till|through|to)\s+(?:that\s+point|then|there|that|it|the\s+(?:test|hold[- ]?out)"
                         r"(?:\s+(?:set|period|window))?)(?![a-z])|^\s*(?:到|至|直到)(?:那时|那里|测试(?:集|期)?(?:开始)?(?:之?前)?)(?:为止)?")


_TRAIN_BEFORE = re.compile(r"(?:(?<![a-z])(?:train(?:ing|ed)?|in[- ]sample|fit)|训练(?:集|期)?|样本内)\s*(?:on|用|从)?\s*$")


def _named_training(norm: str, period: PeriodMention, held: list[PeriodMention]) -> bool:
    """Whether an open window is the training part by how it is said: right after "train", or after
    the held-out part ("最后一年留作样本外，前面从2016年开始训练")."""
    return period.span.start > min(p.span.start for p in held) or bool(
        _TRAIN_BEFORE.search(norm, max(0, period.span.start - 24), period.span.start))


def _train_before_held_out(norm: str, periods: list[PeriodMention], first_day: date | None) -> list[PeriodMention]:
    from dataclasses import replace as _replace

    from agents.understand._numbers import Span

    held = [p for p in periods if p.role in ("test", "valid") and p.start <= p.end]
    if not held:
        return periods
    cut = min(p.start for p in held) - timedelta(days=1)
    out = []
    for period in periods:  # "train on everything from 2005 up to that point": an open training window ends there
        up_to = _UP_TO_THAT.match(norm[period.span.end:]) is not None  # "2005 up to that point in sample" too
        if period.role == "train" and period.start <= cut and ((up_to and (period.open_end or period.end < cut)) or (
                period.open_end and period.end > cut and _named_training(norm, period, held))):
            # also "train from 2005 onward and keep the last 2 years out of sample", "最后一年留作样本外，前面从
            # 2016年开始训练": a window named as the training part never runs into the held-out data
            period = _replace(period, end=cut, open_end=False)
        out.append(period)
    if any(p.role == "train" for p in out) or first_day is None or first_day > cut:
        return out
    if len(out) == 1 and out[0].role == "test" and _HOLD_OUT.search(norm):
        # "retrain linear on alpha360, hold out 2025", "留出2025年做测试": only the held-out part is named; the
        # training part is everything before it
        said = Span(held[0].span.start, held[0].span.end, held[0].span.text)
        return sorted([*out, PeriodMention("train", first_day, cut, said)], key=lambda p: p.span.start)
    for match in _BEFORE_THAT.finditer(norm):
        if any(p.span.start <= match.start() < p.span.end for p in out):
            continue
        if _part_role(norm, match.start(), match.end()) == "train":
            said = Span(match.start(), match.end(), match.group(0))
            return sorted([*out, PeriodMention("train", first_day, cut, said)], key=lambda p: p.span.start)
    return out


#: "hold out 2025", "keep 2024-2025 out", "留出2025年": a held-out part carved from the data, not a test window alone.
_HOLD_OUT = re.compile(r"(?<![a-z])(?:hold(?:ing)?\s+out|held\s+out|hold-?out|keep\s+\S+(?:\s+\S+)?\s+out|set\s+aside|"
                       r"leave\s+out)(?![a-z])|留出|留作|预留|拿出")
_N = r"(\d{1,2}|[一二两三四五六七八九十])"
_FIRST_PART = re.compile(rf"(?<![a-z])(?:the\s+)?first\s+{_N}\s*-?\s*(?:y|yrs?|years?)(?![a-z])|(?<!往)(?<!推)(?<!之)前\s*{_N}(?!\d)\s*年(?!前|以前|之前|以后|之后)")
_LAST_PART = re.compile(rf"(?<![a-z])(?:the\s+)?(?:last|final)\s+{_N}\s*-?\s*(?:y|yrs?|years?)(?![a-z])|(?:最后|后面的?|后)\s*{_N}(?!\d)\s*年(?!前|以前|之前)")
_REST_PART = re.compile(r"(?<![a-z])(?:the\s+rest|the\s+remainder|(?:all\s+)?the\s+remaining(?:\s+(?:data|years|period))?|everything\s+after"
                        # "1990-2010 in-sample, rest out-of-sample", "…之后的做样本外": the rest, said bare before its role
                        r"|rest(?=\s+(?:(?:for|as|is|=|goes\s+to)\s+)?(?:test|testing|oos|out[- ]of[- ]sample|hold[- ]?out)))"
                        r"(?![a-z])|剩下的|剩余的?|其余的?|余下的|后面的(?:全部|所有)?|之后的全部|(?:之后|此后|以后|往后)的(?=\s*(?:都|全部)?\s*(?:做|作|当|用作|作为|拿来)?\s*(?:测试|样本外|验证))")
_SPAN_PART = re.compile(rf"(?<![a-z\d]){_N}\s*-?\s*(?:y|yrs?|years?)\s+(?:is|in[- ]sample|train(?:ing)?)(?![a-z])|(?<![\d一二两三四五六七八九十零〇到至-]){_N}\s*年\s*(?:样本内|训练)")
_TRAIN_ROLE = re.compile(r"train|training|fit|in[- ]sample|(?<![a-z])is(?![a-z])|训练|样本内")
_TEST_ROLE = re.compile(r"test|testing|(?<![a-z])oos(?![a-z])|out[- ]of[- ]sample|hold[- ]?out|测试|样本外|留出|留作")


def _first_day(found: Found, start_of: dict[str, date]) -> date | None:
    names = [str(v.value) for v in found.instruments] + ([str(found.universe.value)] if found.universe else [])
    return next((start_of[n] for n in names if n in start_of), None)


def _years_after(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


_PART_FILLER = re.compile(r"\s*(?:of\s+(?:the\s+)?(?:data|history|sample|prices)|of\s+it)\b")


#: "the following 2 years", "接下来的两年": the years right after a first part.
_NEXT_PART = re.compile(rf"(?<![a-z])(?:the\s+)?(?:following|next|subsequent)\s+{_N}\s*-?\s*(?:y|yrs?|years?)(?![a-z])"
                        rf"|(?:接下来|随后|其后|紧接着)的?\s*{_N}(?!\d)\s*年")
#: "the first 5 years of data", "用前五年的数据": the data a run uses.
_DATA_AFTER = re.compile(r"\s*(?:的)?(?:数据|历史|行情)|\s+of\s+(?:the\s+)?(?:data|history|prices|series)")


def _unnamed_first_role(norm: str, match: re.Match[str]) -> Role | None:
    """The role of a first part said with no role word: training when the following years are then
    tested ("using the first 5 years, then test it on the following 2 years"), the data a run uses
    when said as data or used ("用前五年的数据"), else none (left to the other readings)."""
    if _NEXT_PART.search(norm, match.end()) and _TEST_ROLE.search(norm, match.end()):
        return "train"
    used = re.search(r"(?:using|use|with|on|用|拿|取)\s*(?:the\s+)?$", norm[max(0, match.start() - 8):match.start()])
    if _DATA_AFTER.match(norm, match.end()) or used:
        return "data"
    return None


def _part_role(norm: str, start: int, end: int) -> Role | None:
    """The role word right after a part ("前三年做训练"), else right before it ("IS: the first 8y")."""
    after = norm[end:end + 14]
    filler = _PART_FILLER.match(norm, end)
    if filler is not None:  # "the first 4 years of data for training": the role after a little filler
        after = norm[end:filler.end() + 14]
    for near in (re.split(r"[,，;；。]", after)[0], re.split(r"[,，;；。]", norm[max(0, start - 10):start])[-1]):
        hits = [(m.start(), "test") for m in _TEST_ROLE.finditer(near)] + [(m.start(), "train") for m in _TRAIN_ROLE.finditer(near)]
        if hits:
            return min(hits)[1]  # type: ignore[return-value]
    return None


def _parts_of_total(norm: str, found: Found, today: date, first_day: date | None) -> list[PeriodMention]:
    """"总共用2013到2016年的数据，前三年训练，最后一年测试", "前五年的数据训练，后面的全部做测试",
    "3y IS then the last 1y OOS": parts of a whole window (the one stated, else the data), with roles."""
    from dataclasses import replace as _replace

    from agents.understand._numbers import Span, parse_number

    periods = list(found.periods)
    whole = next((p for p in periods if p.role == "data" and not p.open_end and not p.open_start), None)
    parts: list[PeriodMention] = []
    for pattern, where in ((_FIRST_PART, "first"), (_LAST_PART, "last"), (_SPAN_PART, "span")):
        for match in pattern.finditer(norm):
            role = "train" if where == "span" else _part_role(norm, match.start(), match.end())  # "3y IS": said inside
            inside = whole is not None and whole.span.start < match.end() and match.start() < whole.span.end
            if role is None and where == "first" and (whole is None or inside):
                role = _unnamed_first_role(norm, match)  # "using the first 5 years", "用前五年的数据"
                if role is not None and inside:
                    whole = None  # "五年的数据" was read as the last five years: it is this part
            years = parse_number(next(g for g in match.groups() if g))
            if role is None or not years or years != int(years):
                continue
            n = int(years)
            span = Span(match.start(), match.end(), match.group(0))
            if where == "first" and (whole is not None or first_day is not None):
                begin = whole.start if whole is not None else first_day
                assert begin is not None
                parts.append(PeriodMention(role, begin, _years_after(begin, n) - timedelta(days=1), span))
            elif where == "last" and whole is not None:
                parts.append(PeriodMention(role, _years_after(whole.end, -n) + timedelta(days=1), whole.end, span))
            elif where == "span":
                test = next((p for p in periods if p.role == "test"), None)
                if test is not None and role == "train":
                    parts.append(PeriodMention("train", _years_after(test.start, -n), test.start - timedelta(days=1), span))
    following = _NEXT_PART.search(norm, parts[0].span.end) if len(parts) == 1 and parts[0].role == "train" else None
    if following is not None:
        # "the first 5 years, then test it on the following 2 years": the years right after the first part
        count = parse_number(next(g for g in following.groups() if g))
        if count and count == int(count):
            begin = parts[0].end + timedelta(days=1)
            parts.append(PeriodMention("test", begin, _years_after(begin, int(count)) - timedelta(days=1),
                                       Span(following.start(), following.end(), following.group(0))))
    if len(parts) == 1:
        rest = _REST_PART.search(norm, parts[0].span.end)
        role = _part_role(norm, rest.start(), rest.end()) if rest else None
        if rest is not None and role is not None and role != parts[0].role:
            end = whole.end if whole is not None else today
            if parts[0].start == (whole.start if whole else first_day):
                begin = _after_named(rest.start(), [parts[0], *(p for p in periods if not _overlaps(p, parts[0]))])
                parts.append(PeriodMention(role, begin, end, Span(rest.start(), rest.end(), rest.group(0))))
    if not parts and not any(p.role == "test" for p in periods):
        # "in-sample 2005-2014 and test on everything after": the rest of the data after a stated training window
        train = next((p for p in periods if p.role == "train" and not p.open_end), None)
        rest = _REST_PART.search(norm, train.span.end) if train is not None else None
        rest = rest or (re.compile(r"(?<![a-z])(?:everything|all|the\s+data)\s+(?:after|since|thereafter)(?![a-z])|之后的全部|此后")
                        .search(norm, train.span.end) if train is not None else None)
        if train is not None and rest is not None and _part_role(norm, rest.start(), rest.end()) in ("test", None):
            parts.append(PeriodMention("test", _after_named(rest.start(), periods), today,
                                       Span(rest.start(), rest.end(), rest.group(0))))
            return sorted([*periods, *parts], key=lambda p: p.span.start)
    if not parts:
        return periods
    kept = [p for p in periods if not any(p.span.start < q.span.end and q.span.start < p.span.end for q in parts)]
    return sorted([*kept, *[_replace(q) for q in parts]], key=lambda p: p.span.start)


#: "2000-2012 train, 13-15 valid, rest test": a range of two-digit years said with its role, in a list whose other
#: windows are said in full (the century is theirs).
_SHORT_RANGE = re.compile(r"(?<![\d.$%/:-])(\d{2})\s*[-–~]\s*(\d{2})(?![\d.%/:])\s*(?:for\s+|as\s+)?"
                          r"(?P<role>train(?:ing)?|valid(?:ation)?|val|test(?:ing)?|in[- ]sample|oos|out[- ]of[- ]sample"
                          r"|训练|验证|测试|样本内|样本外)(?![a-z])")


def _short_year_ranges(norm: str, found: Found) -> list[PeriodMention]:
    from agents.understand._numbers import Span

    full = [p for p in found.periods if p.start.year > 1900 and not p.open_start and not p.open_end]
    if not full:
        return found.periods
    century = full[0].start.year // 100 * 100
    added = []
    for m in _SHORT_RANGE.finditer(blank(norm, found.used)):
        first, last = century + int(m.group(1)), century + int(m.group(2))
        if last < first or any(p.span.start <= m.start() < p.span.end for p in found.periods):
            continue
        word = m.group("role")
        role: Role = "valid" if word.startswith(("val", "验证")) else "train" if word.startswith(("train", "in", "训练", "样本内")) \
            else "test"
        added.append(PeriodMention(role, date(first, 1, 1), date(last, 12, 31), Span(m.start(), m.end(), m.group(0))))
        found.claim(m.start(), m.end())
    return sorted([*found.periods, *added], key=lambda p: p.span.start) if added else found.periods


def _shares_of_history(norm: str, found: Found, today: date, first_day: date | None) -> list[PeriodMention]:
    """"First 70% for training, next 15% validation, last 15% test", "60/20/20 train/valid/test",
    "前80%的数据做样本内": the split cut from the stated window, else from the instrument's history
    (``_splits``). The percentages are claimed: they are no ranking's top share and no order's size."""
    from agents.understand._splits import find_splits, overfull, split_periods

    parts = find_splits(norm)
    if not parts:
        return found.periods
    for part in parts:
        found.claim(part.span.start, part.span.end)
    if overfull(parts):
        found.split_problem = " + ".join(p.span.text.strip() for p in parts)
        return found.periods
    closed = [p for p in found.periods if not p.open_end and not p.open_start]
    # "用2010年到2019年的黄金数据训练PPO，按8:2分": the window said is the whole that is split
    whole = next((p for p in closed if p.role == "data"), None) or (
        closed[0] if len(closed) == 1 and closed[0].role == "train" else None)
    first, last = (whole.start, whole.end) if whole is not None else (first_day, today)
    if first is None:
        return found.periods
    cut = split_periods(parts, first, last)
    if not cut:
        return found.periods
    roles = {p.role for p in cut}
    kept = [p for p in found.periods if p.role not in roles and not any(_overlaps(p, q) for q in cut)]
    return sorted([*kept, *cut], key=lambda p: p.span.start)


def _overlaps(a: PeriodMention, b: PeriodMention) -> bool:
    return a.span.start < b.span.end and b.span.start < a.span.end


def _after_named(at: int, periods: Sequence[PeriodMention]) -> date:
    """The day after the latest-ending window named before ``at`` ("train through 2021, validate on
    the first half of 2022, and test on the rest": the rest starts after the validation)."""
    return max(p.end for p in periods if p.span.end <= at and p.role != "data") + timedelta(days=1)


_NUMW = r"(\d{1,2}|one|two|three|four|five|six|seven|eight|nine|ten|[一二两三四五六七八九十])"
#: A window placed next to the one just named: "the five years before that", "再往前五年", "之后的十年",
#: "the 3 years after that"; and "倒数第二年" / "the second-to-last year" counted back from the end.
_BEFORE_N = re.compile(rf"(?<![a-z])(?:the\s+)?{_NUMW}\s*-?\s*(?:y|yrs?|years?)\s+(?:just\s+)?(?:before|prior\s+to|preceding|"
                       rf"leading\s+up\s+to)\s+(?:that|it|this|then|them|those)(?![a-z])|(?:再往前推?|往前推?|再之前的?|此前的?)\s*{_NUMW}\s*年")
_AFTER_N = re.compile(rf"(?<![a-z])(?:the\s+)?{_NUMW}\s*-?\s*(?:y|yrs?|years?)\s+(?:after\s+(?:that|it|this|then)|thereafter|"
                      rf"following\s+(?:that|it|this))(?![a-z])|(?<![a-z])(?:the\s+)?(?:following|next|subsequent|ensuing)\s+"
                      rf"{_NUMW}\s*-?\s*(?:y|yrs?|years?)(?![a-z])|(?:之后|此后|往后|再往后|随后|接下来)的?\s*{_NUMW}\s*年")
_NTH_LAST = re.compile(r"倒数第\s*([一二两三四五六七八九十\d])\s*年|(?<![a-z])(?:the\s+)?(second|third|2nd|3rd)[- ]to[- ]last\s+years?"
                       r"|(?<![a-z])(?:the\s+)?(penultimate)\s+year")
_VALID_AFTER = re.compile(r"\s*(?:做|作为|用作|用来|用于|当|for|as)?\s*(?:the\s+)?(?:验证|valid(?:ation)?(?![a-z]))")
_ORDINAL = {"second": 2, "2nd": 2, "third": 3, "3rd": 3, "penultimate": 2}


def _next_to_named(norm: str, periods: list[PeriodMention], today: date) -> list[PeriodMention]:
    """Windows said relative to the one just named, and years counted back from the end."""
    from agents.understand._numbers import Span, parse_number

    added: list[PeriodMention] = []
    for pattern, side in ((_BEFORE_N, "before"), (_AFTER_N, "after"), (_NTH_LAST, "nth")):
        for match in pattern.finditer(norm):
            raw = next(g for g in match.groups() if g)
            n = _ORDINAL.get(raw) or _COUNT_WORDS.get(raw) or parse_number(raw)
            role = "valid" if _VALID_AFTER.match(norm, match.end()) else _part_role(norm, match.start(), match.end())
            if not n or n != int(n) or role is None:
                continue
            span, years = Span(match.start(), match.end(), match.group(0)), int(n)
            if side == "nth":
                year = today.year - years + 1
                added.append(PeriodMention(role, date(year, 1, 1), date(year, 12, 31), span))
                continue
            named = [p for p in periods if p.span.end <= match.start() and not p.open_end and p.role != "data"]
            if not named:
                continue
            anchor = named[-1]
            if side == "before":
                added.append(PeriodMention(role, _years_after(anchor.start, -years), anchor.start - timedelta(days=1), span))
            else:
                added.append(PeriodMention(role, anchor.end + timedelta(days=1), min(today, _years_after(anchor.end, years)),
                                           span))
    if not added:
        return periods
    kept = [p for p in periods if not any(_overlaps(p, q) for q in added)]
    return sorted([*kept, *added], key=lambda p: p.span.start)


def _reference(found: Found, today: date, today_of: dict[str, date]) -> date:
    for value in found.instruments:
        if str(value.value) in today_of:
            return today_of[str(value.value)]
    if found.universe is not None and str(found.universe.value) in today_of:
        return today_of[str(found.universe.value)]
    return today


_SCALED = re.compile(r"\d\s*(?:k|m|mm|million|thousand|万|亿|百万|千万)\s*$")


def unused_numbers(norm: str, found: Found) -> list[str]:
    """Numbers with a unit (or dates) that no slot consumed: named in the answer as ignored."""
    out = []
    for mention in find_numbers(blank(norm, found.used)):
        if mention.unit is None and not _SCALED.search(mention.span.text):  # "with 200k": a size, of something
            continue
        out.append(mention.span.text.strip())
    return out
