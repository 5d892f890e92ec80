"""From an instruction (and replies to a question) to one :class:`~agents.spec.TaskSpec`.

The order of work: extract every stated value with its span (``_extract``), cut the
instruction into clauses and give each an intent (``_intents``), turn clauses into steps
(several algorithms or strategies to compare become one step each plus a comparison),
hand each step the values its clause states and the instruction-wide ones, and finally ask
one question when a required value is missing. Every value is ``stated`` with the person's
words; a value the assembly supplies itself (an instrument shared by the steps, a model step
implied by "buy the top 5%") is ``inferred``. Defaults are the executor's: it names them.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

from agents.brief import CatalogEntry
from agents.spec import (
    AGENT_OF,
    INTENTS,
    Costs,
    Quantity,
    RunRef,
    Sourced,
    StepSpec,
    TaskSpec,
    Window,
    Windows,
)
from agents.understand import _lexicon as lex
from agents.understand._conflicts import CALLED_OFF, conflict_of, opposite_orders
from agents.understand._extract import (
    CHANGED_TO,
    CLOSE_ALL,
    TUNE_WORDS,
    Found,
    Value,
    _amount,
    asks_better,
    extract,
    find_condition,
    find_limit,
    forward_horizons,
    unused_numbers,
)
from agents.understand._hant import fold_traditional, mandarin
from agents.understand._intents import (
    BACKGROUND,
    NOT_AGAIN,
    RESULT_LOOK,
    Clause,
    RouterLike,
    classify,
    clauses_of,
)
from agents.understand._numbers import QuantityMention, Span, find_numbers, find_quantity, order_sides
from agents.understand._periods import PeriodMention, find_periods
from agents.understand._questions import question_for
from agents.understand._segment import (
    ALSO_RUN,
    ASKED,
    BEST_FACTOR_RUN,
    LOOK,
    SAME,
    WINNER_RUN,
    asks_which,
    inherit,
    listed_steps,
    looks_back,
    segments,
)
from agents.understand._spoken import canonical
from agents.understand._text import blank, detect_language, normalise
from agents.understand._tickets import unfold
from taorui_engines.errors import InvalidInputError

__all__ = ["understand"]

#: Intents that work on one or more instruments.
NEEDS_INSTRUMENT = frozenset({"train_rl", "backtest_strategy", "optimize_strategy", "show_price", "place_order"})


def _stated(value: Any, said: str) -> Sourced[Any]:
    return Sourced[Any](value=value, source="stated", said=said.strip()[:200] or None)


def _inferred(value: Any, said: str | None = None) -> Sourced[Any]:
    return Sourced[Any](value=value, source="inferred", said=said)


def _within(found: Found, start: int, end: int, norm: str = "") -> Found:
    """The values of ``found`` stated inside ``start:end`` (a clause); the clause's own order size
    and side are read again inside it (the instruction-wide reading keeps only the first)."""
    local = _clause_values(found, start, end, norm)
    if norm and local.quantity is not None and local.quantity.side is not None:
        # read over the whole instruction, "trim X by 25% and buy 2,000 Y" pairs the 25% with the later
        # "buy" (25% of equity, bought): when the clause's own verb says otherwise, its own reading wins
        from agents.understand._extract import side_word

        own = side_word(norm[start:end])
        if own is not None and own.value != local.quantity.side:
            local.quantity, local.side = None, None
            _clause_order(norm, start, end, local)
    if norm and local.quantity is None:
        _clause_order(norm, start, end, local)
    if norm and local.quantity is not None and _NEGATIVE.search(norm[max(0, local.quantity.span.start - 3):
                                                                      local.quantity.span.start + 1]):
        local.quantity = None  # "买入-100单位黄金": a negative size is no size; the person is asked, nothing is sent
    if norm and local.seed is None:  # "seed 1, then again with seed 2": the instruction-wide reading keeps one
        from agents.understand._extract import SEED

        seed = SEED.search(norm, start, end)
        if seed is not None:
            local.seed = Value(int(seed.group(1)), seed.start(), seed.end(), seed.group(0))
    if norm and local.timesteps is None:  # "I ran 20k steps last week ... try again with 150k steps"
        from agents.understand._extract import timesteps_in

        local.timesteps = timesteps_in(norm, start, end)
    if norm and local.limit_price is None:
        limit = find_limit(norm[start:end])
        if limit is not None:
            local.limit_price = Value(limit[0], start + limit[1], start + limit[2], limit[3])
    if norm:
        where = find_condition(norm[start:end])
        if where is not None:
            said = norm[start + where[0]:start + where[1]].strip()
            local.condition = Value(said, start + where[0], start + where[1], said)
            inside = (start + where[0], start + where[1])
            if local.side is not None and not inside[0] <= local.side.start < inside[1]:
                # "if it outperforms buy and hold, buy 5 GOLD": a rule named in an order's condition is what the
                # run is measured against, not another run to make
                local.strategies = [v for v in local.strategies if not inside[0] <= v.start < inside[1]]
            if local.quantity is not None:
                # "if gold is more than 40% of equity sell a third of it", "如果亏损超过10%就清一半": the condition's
                # words do not size the order (a third, a half of the position; not of equity, not 10 %)
                kept = local.quantity, local.side
                local.quantity, local.side = None, None
                _clause_order(blank(norm, [(start + where[0], start + where[1])]), start, end, local)
                if local.quantity is None:
                    local.quantity, local.side = kept  # read elsewhere ("就买一成"): the earlier reading stands
        elif local.side is not None or local.quantity is not None:
            gate = _GATE_BEFORE.search(norm, max(0, start - 40), start)
            if gate is not None:  # "... since 2005 - if it does, put 30% of equity into it": the gate said before the cut
                said = gate.group(1).strip()
                local.condition = Value(said, gate.start(1), gate.end(1), said)
    return local


#: A gate that ends right where an order's clause begins ("… - if it does, | put 30% into it", "…，行的话，| 买两手").
_GATE_BEFORE = re.compile(r"(?<![a-z])((?:if|when|once|provided)\s+(?:it|so|that|they|this|yes)(?:\s+\w+){0,3}?|if\s+so"
                          r"|(?:如果|要是)?(?:是|行|可以|有效|赚钱|跑赢了?|好)的话(?:就)?)\W*$")


#: "金额50万", "amount 200k": an order's size in money, named as an amount.
_AMOUNT_SAID = re.compile(r"(?:金额|总金额|总额|(?<![a-z])(?:amount|notional))\s*(?:of|为|是|[:=])?\s*(\d[\d,]*(?:\.\d+)?)\s*"
                          r"(百万|万|千|亿|k|m|million)?")
#: "20% into gold", "黄金两成": a share of equity for an order whose verb was said with the order before.
_BARE_SHARE = re.compile(r"(?<![\d.])(\d{1,3}(?:\.\d+)?)\s*%\s+(?:into|in|of|on|to)\s|(?<![一二两三四五六七八九十])"
                         r"([一二两三四五六七八九])成(?:仓位?)?(?![本交])")
#: "，用三成仓位", "，仓位两成": a clause that only sizes the order said before it.
_SIZE_ONLY = re.compile(r"[\s,，;；]*(?:(?:用|以|按|仓位)\s*[一二两三四五六七八九]成(?:仓位?)?|(?:金额|总金额|总额)\s*(?:为|是)?\s*\d[\d,]*"
                        r"(?:\.\d+)?\s*(?:万|百万|千|亿)?(?:元|块)?)\s*[,，。;；]?\s*$")
def _sizes_only(text: str) -> bool:
    """Whether the first part of ``text`` (to its first comma) only sizes an order ("，用两成仓位，下单前问我")."""
    head = re.match(r"[\s,，;；]*[^,，。;；]*", text)
    return head is not None and _SIZE_ONLY.match(head.group(0)) is not None


#: "超过两成", "more than 20% in": a share compared against is a condition's threshold, not an order's size.
_THRESHOLD = re.compile(r"(?:超过|超出|高于|低于|大于|小于|不到|不足|多于|少于|above|over|below|under|than|exceeds?|"
                        r"beyond|least|most)\s*$")
#: A minus sign (or 负) right before an order's size.
_NEGATIVE = re.compile(r"(?:[-−–]|负)\s*\d")


def _clause_order(norm: str, start: int, end: int, local: Found) -> None:
    from agents.understand._extract import DONE_TRADE, HOLDING, order_size, side_put_right, side_word

    # a cost ("一买一卖合计万六") or the starting cash ("初始资金三百万元") is no order's size or side
    said = [(c.span.start, c.span.end) for c in local.costs] + ([(local.cash.start, local.cash.end)] if local.cash else [])
    piece = blank(norm[start:end], [(a - start, b - start) for a, b in said])
    quantity, held = order_size(piece)
    if held is not None:  # "我手上SYN020只有300股": what is held, not what is ordered
        local.holding = QuantityMention(Span(held.span.start + start, held.span.end + start, held.span.text), held.kind,
                                        held.value, held.side)
        piece = blank(piece, [(held.span.start, held.span.end)])
    elif quantity is None:  # "SYN020现在持有300股" on its own: no size of any order (not for the bare reading below)
        piece = blank(piece, [m.span() for m in HOLDING.finditer(piece)] + [m.span() for m in DONE_TRADE.finditer(piece)])
    amount_said = _AMOUNT_SAID.search(piece) if local.top_k is not None or local.top_pct is not None else None
    if amount_said is not None and (quantity is None or quantity.kind != "notional"):
        quantity = None  # "买入前5%的股票，金额50万": the picks are chosen by the 5 %, the money is the 50万
    if quantity is None and (local.instruments or _sizes_only(piece) or amount_said is not None):
        money = re.search(r"\$\s*(\d[\d,]*(?:\.\d+)?)\s*([km]|mm|million)?\s+(?:of|in|worth\s+of)\s", piece) or \
            _AMOUNT_SAID.search(piece)  # "再买入标普500，金额50万": the amount named as such
        if money is not None:
            scale = {"k": 1e3, "m": 1e6, "mm": 1e6, "million": 1e6, "万": 1e4, "千": 1e3, "亿": 1e8,
                     "百万": 1e6}.get(money.group(2) or "", 1.0)
            quantity = QuantityMention(Span(money.start(), money.end(), money.group(0)), "notional",
                                       float(money.group(1).replace(",", "")) * scale, None)
    if quantity is None:
        bare = re.search(r"((?<![\d.])\d+(?:\.\d+)?|[一二两三四五六七八九十]+)\s*(shares?|lots?|units?|contracts?|股(?![票价息])"
                         r"|手(?![续机里中动法段]))(?![a-z])",  # "千分之二手续费" is a cost, not two lots
                         piece) or \
            re.search(r"(?<![a-z])(?:qty|quantity|size|数量)\s*[:=：]?\s*(\d+(?:\.\d+)?)()", piece) or \
            re.search(r"(?<![a-z])(?:do|work|execute|trade)\s+(\d+)()\s+(?=syn\d{3}(?![a-z\d]))", piece)  # "trade 500 SYN042"
        if bare is not None and local.instruments:
            lots = bool(bare.group(2)) and bare.group(2).startswith(("lot", "contract", "手"))
            from agents.understand._numbers import parse_number

            amount = parse_number(bare.group(1))
            quantity = QuantityMention(Span(bare.start(), bare.end(), bare.group(0)), "lots" if lots else "units",
                                       float(amount or 0), None) if amount else None
    if quantity is None and (local.instruments or _SIZE_ONLY.match(piece)):
        # "... and 20% into gold", "，黄金两成": a share of equity said bare; "，用三成仓位": the size of the order before
        share = _BARE_SHARE.search(piece)
        if share is not None and not _THRESHOLD.search(piece[max(0, share.start() - 12):share.start()]):
            from agents.understand._numbers import parse_number

            tenths = share.group(2)
            value = float(share.group(1)) if share.group(1) else 10.0 * float(parse_number(tenths) or 0)
            if value > 0:
                quantity = QuantityMention(Span(share.start(), share.end(), share.group(0)), "pct_equity", value, None)
    if quantity is None and local.instruments and not re.search(r"\d\s*%|%|percent|成|equity|权益|总资产|资金", piece):
        from agents.understand._extract import side_word
        from agents.understand._numbers import find_fractions

        said_side = side_word(piece)
        parts = find_fractions(piece)
        if said_side is not None and said_side.value == "sell" and len(parts) == 1:
            # "SYN088 buy 500股，SYN089 sell一半": the second order's own share of its position (never the first's size)
            a, b, value = parts[0]
            quantity = QuantityMention(Span(a, b, piece[a:b]), "fraction_of_position", value, "sell")
    if quantity is None and local.instruments:
        close = CLOSE_ALL.search(piece)  # "then close SYN077 completely and buy ...": the whole of that position
        if close is not None:
            quantity = QuantityMention(Span(close.start(), close.end(), close.group(0)), "fraction_of_position", 1.0,
                                       "sell")
    if quantity is not None and ((local.top_k is None and local.top_pct is None) or amount_said is not None):
        span = Span(quantity.span.start + start, quantity.span.end + start, quantity.span.text)
        local.quantity = QuantityMention(span, quantity.kind, quantity.value, quantity.side)
        if quantity.side is not None:
            local.side = Value(quantity.side, span.start, span.end, span.text)
    if local.side is None:
        side = side_word(piece)
        if side is not None:
            local.side = Value(side.value, side.start + start, side.end + start, side.said)
    meant = side_put_right(piece, start)  # "I said buy 500 of SYN088 but I meant sell": the side put right
    if meant is not None:
        local.side = meant


def _first_of_each(found: Found, start: int, end: int) -> dict[str, Value]:
    """The clause's parameters: the instruction-wide ones said inside it, then the first of each
    other name said inside it ("MACD 12/26/9, then a 10/30 SMA cross": the second clause's own pair)."""
    own = {k: v for k, v in found.params.items() if start <= v.start < end}
    for name, value in found.all_params:
        if start <= value.start < end:
            own.setdefault(name, value)
    return own


def _clause_values(found: Found, start: int, end: int, norm: str = "") -> Found:
    """The values of ``found`` stated inside ``start:end``."""

    def keep(v: Value | None) -> Value | None:
        return v if v is not None and start <= v.start < end else None

    def keep_all(vs: list[Value]) -> list[Value]:
        return [v for v in vs if start <= v.start < end]

    quantity = found.quantity if found.quantity and start <= found.quantity.span.start < end else None
    return replace(
        found, instruments=keep_all(found.instruments), unknown_symbols=keep_all(found.unknown_symbols),
        universe=keep(found.universe), algos=keep_all(found.algos), models=keep_all(found.models),
        features=keep(found.features), all_features=keep_all(found.all_features), strategies=keep_all(found.strategies),
        params=_first_of_each(found, start, end),
        all_params=[(k, v) for k, v in found.all_params if start <= v.start < end],
        tune=_clause_tune(found, norm[start:end], start, end),
        grid={k: v for k, v in found.grid.items() if start <= v.start < end},
        periods=[p for p in found.periods if start <= p.span.start < end],
        costs=[c for c in found.costs if start <= c.span.start < end], horizon=keep(found.horizon),
        forward_days=keep(found.forward_days), timesteps=keep(found.timesteps), seed=keep(found.seed),
        cash=keep(found.cash), quantity=quantity, side=keep(found.side), top_k=keep(found.top_k),
        top_pct=keep(found.top_pct), expressions=keep_all(found.expressions), themes=keep_all(found.themes),
        factor_count=keep(found.factor_count), approval=keep(found.approval), suggest=keep(found.suggest),
        all_positions=keep(found.all_positions),
    )


def _clause_tune(found: Found, text: str, start: int, end: int) -> list[str]:
    """The parameters a clause asks to search: the instruction's, plus those it names that it does
    not set itself ("backtest breakout 55 days ... and after that do the optimisation of window":
    the 55 is the backtest's, the window is the search's)."""
    if not lex.has_any(text, lex.CUES["optimize"]):
        return []
    own = {k for k, v in found.params.items() if start <= v.start < end} | {
        k for k, v in found.all_params if start <= v.start < end} | set(found.grid)
    named = [name for word, name in TUNE_WORDS if lex.has_any(text, (word,)) and name not in own]
    return list(dict.fromkeys([*found.tune, *named]))


# --- clauses -> step skeletons -------------------------------------------------------------
#: "the chart for the test period", "样本外这几年的K线", "测试期的走势": the held-out window of a step before.
_TEST_REF = re.compile(r"(?<![a-z])(?:the\s+)?(?:test(?:ing)?|out[- ]of[- ]sample|oos|hold[- ]?out|held[- ]out)\s+"
                       r"(?:period|years?|window|span|months?|part|data)(?![a-z])|测试期|测试集(?:期间|区间|那段)?|"
                       r"样本外(?:这几年|那几年|期间|区间|那段|这段|的?年份)")
#: "for the whole of that month", "整个6月", "那一整个月": the month around the window said before.
_WHOLE_MONTH = re.compile(r"(?<![a-z])(?:the\s+)?whole\s+(?:of\s+)?(?:that|the\s+same|this)\s+month(?![a-z])|"
                          r"(?<![a-z])(?:that|the)\s+(?:whole|entire|full)\s+month(?![a-z])|整个(?:\d{1,2}|[一二三四五六七八九十]+)?月|那一?整个月|全月")


#: "再挖三个同类型的", "mine three more of the same kind": the theme of the factors before.
_SAME_KIND = re.compile(r"同类型?|同一类|同样类型|类似的|相似的|(?<![a-z])(?:same|similar)\s+(?:kind|type|theme|style|flavou?r)"
                        r"|(?<![a-z])(?:like|similar\s+to)\s+(?:it|that|this|those|these)(?![a-z])")


def _same_kind(text: str, out: list[tuple[str, Found]], expanded: list[tuple[str, Found]]) -> list[tuple[str, Found]]:
    """A mining step asked for "of the same kind" mines the theme of the factor work before it; so does
    one that names none right after a clause that named only a theme ("然后按动量主题，再挖3个")."""
    if not _SAME_KIND.search(text):
        if out and out[-1][0] == "recall" and out[-1][1].themes:
            themes = out[-1][1].themes
            return [(i, replace(f, themes=list(themes))) if i == "mine_factors" and not f.themes else (i, f)
                    for i, f in expanded]
        return expanded
    themes = next((f.themes for i, f in reversed(out) if i in ("evaluate_factors", "mine_factors", "recall") and f.themes), [])
    return [(i, replace(f, themes=list(themes))) if i == "mine_factors" and not f.themes and themes else (i, f)
            for i, f in expanded]


#: A correction of what was just said ("sorry, I meant 4 lots", "不对，是3手").
_CORRECTION = re.compile(r"(?<![a-z])(?:i\s+meant|i\s+mean|make\s+(?:it|that)|correction|typo|actually)(?![a-z])|不对|我是说|应该是|说错了|打错了"
                         r"|(?<=算了[,，\s])\s*改(?:成|为)|(?<=算了)改(?:成|为)"
                         # "sell 2 contracts of crude oil. no, 3", "wait, 300", "数量200股，哦不，还是500股吧"
                         r"|(?<![a-z])(?:no|nope|wait|oops|sorry)\s*[,.!]*\s*(?=\d)|哦不|不不|错了|还是(?=\s*(?:\d|[一二两三四五六七八九十百千万]+\s*[股手]))")
def _corrected_periods(norm: str, start: int, end: int, local: Found) -> Found:
    """"2016年开始回测…，不对，用2017年开始": a window said after a correction replaces the one of its role before it."""
    cue = _CORRECTION.search(norm, start, end)
    if cue is None or len(local.periods) < 2:
        return local
    after = [p for p in local.periods if p.span.start >= cue.end()]
    if not after:
        return local
    roles = {p.role for p in after}
    return replace(local, periods=[p for p in local.periods if p.span.start >= cue.end() or p.role not in roles])


def _corrected_size(norm: str, start: int, end: int, out: list[tuple[str, Found]]) -> Any:
    """The size a correction clause gives the order before it ("I meant 4 lots", "不对，是5手"), or None.
    The corrected size may follow in the next clause of the same sentence."""
    stop = re.search(r"[。.!！?？;；\n]", norm[end:])
    text = norm[start:end + (stop.start() if stop else len(norm) - end)]
    cues = list(_CORRECTION.finditer(text))  # "sorry, typo, I meant 200": the last cue word is the one the size follows
    cue = cues[-1] if cues else None
    if cue is None or not out or out[-1][0] != "place_order" or out[-1][1].quantity is None:
        return None
    side = out[-1][1].quantity.side or (str(out[-1][1].side.value) if out[-1][1].side else "buy")
    verb = "卖" if re.search(r"[\u4e00-\u9fff]", text) and side == "sell" else "买" if re.search(r"[\u4e00-\u9fff]", text) \
        else side
    rest = re.sub(r"^[\s,，:：]*(?:是|为|要|改成|改为)?", "", text[cue.end():])
    found = find_quantity(f"{verb} {rest}")
    before = out[-1][1].quantity
    bare = re.match(r"\s*(?:make\s+(?:it|that)\s+)?(\d+(?:\.\d+)?)(?!\s*(?:%|[a-z\u4e00-\u9fff]))", rest)
    if bare is not None and (found is None or found.kind == "units") and before.kind != "units":
        # "buy 3 lots of gold, actually make it 5": the number in the unit of the size it corrects
        at = start + cue.end() + bare.start(1)
        return QuantityMention(Span(at, at + len(bare.group(1)), bare.group(1)), before.kind, float(bare.group(1)),
                               before.side)
    if found is None:
        return None
    at = start + cue.end() + max(0, found.span.start - len(verb) - 1)
    return QuantityMention(Span(at, at + len(found.span.text), found.span.text), found.kind, found.value, before.side)


def _side_called_off(words: str) -> str | None:
    """The side a calling-off names ("skip the buy": buy, "不卖了": sell), None for every order ("forget the orders")."""
    if re.search(r"buy|purchas|买", words):
        return "buy"
    if re.search(r"sell|sale|卖", words):
        return "sell"
    return None


#: A clause that opens with an order verb ("then buy some", "，然后加点仓", "再减一点").
_ORDER_OPENS = re.compile(r"\W*(?:(?:and|then|also|now|after\s+that)\W+)*(?:buy|sell|short|add|trim|reduce|cut)(?![a-z])|"
                          r"\W*(?:然后|再|并|接着)?\s*(?:把[^,，。]{0,6})?(?:买|卖|加点仓|加一点仓|加仓|减仓|减一点|减点)")


#: "回测两者同期的买入持有", "then backtest both of them": the instruments the step before named, each.
_BOTH_OF_THEM = re.compile(r"两者|二者|两个都|这两个|这[两三四五六几]只|这几个|这[三四五六]个|[两三四五六几]个一起|[两三四五六]只一起|"
                           r"(?<![a-z])(?:both(?:\s+of\s+them)?|each\s+of\s+them|the\s+two|all\s+(?:three|four|five)"
                           r"(?:\s+of\s+them)?|the\s+(?:three|four|five))(?![a-z])")


def _both_of_them(text: str, local: Found, out: list[tuple[str, Found]]) -> Found:
    """A clause that runs on "both of them" without naming them runs on each instrument named before."""
    if local.instruments or not out or not _BOTH_OF_THEM.search(text):
        return local
    if local.approval is not None and not (local.strategies or local.algos or local.models) and not LOOK.search(text):
        return local  # "Queue both for my approval", "两笔都先让我审一下": the orders before, held - not run on again
    named = next((f.instruments for _, f in reversed(out) if len({str(v.value) for v in f.instruments}) >= 2), [])
    if not named:  # "原油买1手，标普买1手，然后三个一起看下走势": one instrument a step, the steps before together
        seen = {str(v.value): v for _, f in out for v in f.instruments}
        named = list(seen.values()) if len(seen) >= 2 else []
    return replace(local, instruments=list(named), each=True) if named else local


def _referred_window(norm: str, start: int, end: int, local: Found, out: list[tuple[str, Found]]) -> Found:
    """A clause that names a window by what it was for a step before (its test period, the whole
    month around it) takes that window."""
    text = norm[start:end]
    earlier = [p for _, f in out for p in f.periods]
    if not earlier:
        return local
    if _TEST_REF.search(text) and not [p for p in local.periods if p.role != "test"]:
        held = next((p for p in reversed(earlier) if p.role == "test"), None)
        if held is not None:
            return replace(local, periods=[replace(held, role="data")])
    if _WHOLE_MONTH.search(text):
        day = earlier[-1].start
        month = PeriodMention(role="data", start=day.replace(day=1),
                              end=(day.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1),
                              span=earlier[-1].span)
        return replace(local, periods=[month])
    return local


#: A clause that asks again which of the strategies can be run ("like which ones can I backtest").
_WHICH_ONES = re.compile(r"\W*(?:(?:like|i\s+mean|i\.e\.?|that\s+is|so|and)\W+)*(?:which|what)\s+(?:ones?|of\s+them|strat\w*)"
                         r"(?![a-z])|\W*(?:也就是|就是)?(?:哪些|哪几个|哪个)")

def _skeletons(norm: str, found: Found, router: RouterLike | None) -> list[tuple[str, Found]]:
    """(intent, the values that clause states) per step, modifiers folded into their step."""
    both = _recall_vs_fresh(norm, found) or _retrain_recalled(norm, found) or _two_recalled(norm, found)
    if both is not None:
        return both + _after_the_comparison(norm, found, router)
    out: list[tuple[str, Found]] = []
    pending: list[Found] = []  # modifier clauses before the first step
    last_text = ""  # the clause read last (a look back that only tells is replaced by its rerun)
    shown_text = ""  # the one read before it
    rerun = False  # a rerun was made: "再训练一次" after it is that run, not another
    items = set(listed_steps(norm))  # the items of a numbered list: each is a request of its own
    for start, end in segments(norm, lambda a, b: _within(found, a, b, norm)):
        if _background(norm[start:end]):
            continue  # context, not a request: neither a step nor a value of one
        local = _both_of_them(norm[start:end], _referred_window(norm, start, end, _within(found, start, end, norm), out),
                              out)
        local = _corrected_periods(norm, start, end, local)
        clause = classify(norm, (start, end), local, router, follows=bool(out))
        if clause.intent in (None, "compare") and not out and pending and _RUN_VERB.search(norm[start:end]):
            # "The PM wants to know whether SAC or TD3 handles crude better. Train both on WTI": the run
            # verb takes what the scene named (the algorithms, the strategies) as its own
            named = _merge(local, Found(strategies=pending[-1].strategies, algos=pending[-1].algos,
                                        models=pending[-1].models))
            clause = classify(norm, (start, end), named, router, follows=False)
        if start == 0 and items and start < min(items) and clause.by in ("router", "fallback") \
                and clause.intent not in (None, "out_of_scope") and not _REQUEST.search(norm[start:end]) \
                and not _IMPERATIVE.search(norm[start:end]) and not ASKED.search(norm[start:end].strip(" ,;.。，；")):
            # "Oil whipsawed me yesterday, not doing that again.\n- close my WTI ...", "在高铁上信号差\n1.盈亏\n2.…": the
            # line before a list of requests says why; the items are the requests
            continue
        if start == 0 and clause.by == "router" and local.themes and not _concrete(local) \
                and _later_intent(norm, found, start, None, exclude=_NOT_FACTOR_WORK):
            # "前期跌得多的股票后面会不会反弹？帮我挖6个这类因子": the question names the theme the factor request mines
            pending.append(Found(themes=local.themes, universe=local.universe, periods=local.periods))
            continue
        if start == 0 and clause.intent is not None and not local.expressions and _framing(norm, end) \
                and _later_intent(norm, found, start, router) \
                and not (_WISH.search(norm[:end]) and not _later_intent(norm, found, start, router, exclude=_AFTER_RUN)):
            # "There is a debate about whether MACD beats an MA cross on crude. To settle it, please backtest ...":
            # the first sentence says why; the request follows (what it names may still be what it is about)
            pending.append(Found(instruments=local.instruments, strategies=local.strategies, algos=local.algos,
                                 models=local.models, universe=local.universe, themes=local.themes))
            continue
        off = CALLED_OFF.search(norm, start, end) if clause.intent == "place_order" else None
        off_side = _side_called_off(off.group(0)) if off is not None else None
        if off is not None and (off_side is None or local.side is None or str(local.side.value) == off_side
                                or local.quantity is None):
            # "SYN061 买1000股，算了，不买了", "Was gonna buy 20 oz of gold but actually skip the buy": the order said and
            # called off in one breath is no order; "…。哦对了，SYN039不买了" drops the order on SYN039 said before
            off_said = local.quantity is not None and local.quantity.span.start < off.start()
            if not off_said:
                off_named = {str(v.value) for v in local.instruments}
                out[:] = [(i, f) for i, f in out if not (
                    i == "place_order" and (not off_named or {str(v.value) for v in f.instruments} <= off_named)
                    and (off_side is None or f.side is None or str(f.side.value) == off_side))]
            continue
        if out and clause.intent is None and CALLED_OFF.search(norm, start, end) and any(i == "place_order" for i, _ in out):
            out[:] = [(i, f) for i, f in out if i != "place_order"]  # "... then maybe buy 300. eh, skip the buying"
            continue
        if out and out[-1][0] == "place_order" and _sizes_only(norm[start:end]):
            clause = replace(clause, intent=None)  # "标普加仓，用三成仓位": the size of that order, not a look at the book
        if clause.intent == "recall" and any(i == "recall" for i, _ in out) and not _concrete(local) \
                and lex.has_any(norm[start:end], lex.CUES["compare"]):
            clause = replace(clause, intent="compare")  # "compare the new ones against yesterday's"
        if out and out[-1][0] == "list_strategies" and _WHICH_ONES.match(norm, start) and not _concrete(local) \
                and not local.strategies:
            continue  # "what strategies have you got? like which ones can I backtest here": the same question
        if out and out[-1][0] == "out_of_scope" and clause.intent not in (None, "out_of_scope") and not _concrete(local) \
                and clause.by != "cues":
            continue  # "股票账户怎么开户？手机上能开吗": the same out-of-scope question, asked on
        if out and out[-1][0] == "compare" and clause.by == "router" and not _concrete(local) and not local.periods \
                and _WHICH_ONE.search(norm[start:end]):
            continue  # "…, then tell me which one you'd run": the comparison's verdict, not a new run
        if out and clause.intent in _RUNS and _RUN_VERB.search(norm[start:end]) and not _concrete(local) \
                and sum(1 for i, _ in out if i == clause.intent) >= 2:
            if lex.has_any(norm[start:end], lex.CUES["compare"]) and out[-1][0] != "compare":
                out.append(("compare", Found()))  # "... a crossover versus Bollinger bands. Backtest both and compare."
            continue  # the runs "both" names are the ones already read
        if out and start not in items and (clause.intent not in (None, "recall", "out_of_scope")
                                           or (clause.intent == "recall" and re.search(_REPORTED_ZH, norm[start:end]))) \
                and _after_full_stop(norm, start) and _states_only(norm[start:end]):
            continue  # "…再给我看看持仓。目前仓位比目标低2%，应该会有一些买单。": a remark between requests, no step
        if clause.intent in ("backtest_strategy", "recall", "evaluate_factors", "mine_factors", "optimize_strategy", None) \
                and out and (
                out[-1][0] in _FACTOR_WORK or (
                out[-1][0] == "recall" and _FACTOR_WORD.search(norm, 0, start))) \
                and not local.instruments and not local.algos and not local.models \
                and (not local.strategies or all(str(x.value) == "signal" for x in local.strategies)) \
                and BEST_FACTOR_RUN.search(norm, start, end) and not NOT_AGAIN.search(norm, start, end) \
                and re.search(r"(?<![a-z])(?:backtest|bt|signal)|回测|信号", norm[start:end]):
            # "mine 5 momentum factors, keep the best one and backtest it", "挑最好的那个做回测", "用更好的那个做信号回测":
            # the chosen factor run as a signal, a backtest of its own (the executor picks the factor and says why)
            out.append(("backtest_strategy", local))
            continue
        if clause.intent == "backtest_strategy" and out and out[-1][0] in _FACTOR_WORK and not local.strategies \
                and not local.instruments and not local.algos and not local.models:
            out[-1] = (out[-1][0], _merge(out[-1][1], local))  # "挖几个动量因子？5个左右，在合成股票池上测一下效果":
            continue  # testing the factors just mined is part of mining them
        if out and out[-1][0] == "recall" and clause.by == "router" and not _concrete(local) \
                and _BACK_TO_IT.search(norm[start:end]):
            continue  # "The factors you found last time... were any of them good?": about the runs recalled
        if out and NOT_AGAIN.search(norm[start:end]) and not _concrete(local) \
                and not lex.has_any(norm[start:end], lex.CUES["recall"]):
            continue  # "I don't want you to run it again.": what not to do, no step
        if clause.intent == "out_of_scope" and not ASKED.search(norm[start:end].strip(" ,;.?!、，。？！；")) \
                and (out or _later_intent(norm, found, start, router, exclude=("out_of_scope",))):
            continue  # "I bought it for my daughter's wedding", "he mentioned them at lunch": a story, not a request
        if start not in items and _told_not_asked(_with_its_mark(norm, start, end), clause) \
                and not (out and _THEN_ALSO.match(norm, start, end)) and (
                any(i not in _TOLD for i, _ in out) or _later_intent(norm, found, start, router, exclude=_TOLD)):
            # "Last time I picked 20 and got burned.": a remark beside the request, not a request; what it
            # names (the strategy, the asset) may still be what the request is about, its numbers are not
            what = Found(instruments=local.instruments, strategies=local.strategies, algos=local.algos,
                         models=local.models, universe=local.universe)
            if out:
                out[-1] = (out[-1][0], _merge(out[-1][1], what))
            else:
                pending.append(what)
            continue
        if clause.intent == "place_order" and out and out[-1][0] == "place_order" \
                and (_RETRACTED.match(norm, start) or _RETRACTED_LAST.search(last_text) or _MISSAID.search(last_text)
                     or _MISSAID.search(norm, start, end)) \
                and local.side is not None and (not local.instruments or [v.value for v in local.instruments]
                                                == [v.value for v in out[-1][1].instruments]):
            # "Buy two lots of gold. Actually no, scratch that, sell two lots.": the order taken back is replaced by
            # the one said after it (its instrument, carried over, is inferred and so goes to approval)
            out[-1] = ("place_order", local)
            continue
        if clause.intent in _RUNS and not any(i == "recall" for i, _ in out) and _ASKED_AGAIN.search(norm, start, end) \
                and (_names_earlier_run(norm[start:end]) or (not out and _names_earlier_run(norm[:start]))):
            # "Rerun Monday's S&P momentum backtest, but charge 10 bps this time", "上次那个原油回测，滑点加到10bp再跑一遍":
            # the earlier run is looked up first (what it was, and what it used), then run again with the change
            out.append(("recall", _what_names_the_run(local)))
        if clause.intent in ("place_order", "trading_cycle") and not any(i == "recall" for i, _ in out) \
                and _ACTS_ON_EARLIER.search(norm, start, end) and _names_earlier_run(norm[start:end]):
            # "follow yesterday's gold recommendation, buy 20% of equity", "take yesterday's lightgbm model and buy its top
            # 10 picks", "今天的交易流程就按昨天的设置跑吧": what the earlier run said or used is looked up first
            out.append(("recall", _what_names_the_run(local)))
        again = _rerun_of(norm[start:end], out[-1] if out else None, local, clause.intent, norm[:start])
        if again is not None:
            if _told_not_asked(last_text, Clause(0, 0, "recall", "cues")) and _I_RAN.search(last_text):
                out[-1] = again  # "I ran TD3 last week and it learned nothing. Try again with 150k steps": one run
                # (a run only told of as the person's own; "Last backtest looked too good. Run it again with 5 bps"
                # looks the earlier run up first, and the rerun keeps what it used)
            else:
                out.append(again)
            rerun = True
            continue
        if clause.intent is not None:  # a clause that only modifies ("，然后把手续费改成万五") says nothing of the step
            shown_text, last_text = last_text, _with_its_mark(norm, start, end)
        same = _same_again(norm[start:end], clause, local, out, listed=start in items, whole=norm[:start])
        if same is not None:
            out.append(same)  # "then same thing on sp500", "3) same with window 50": the step before, changed
            continue
        theme_again = _theme_again(out, local, clause)
        if theme_again is not None:
            out.append(theme_again)  # "mine some volatility factors, then also some volume ones": another theme
            continue
        if out and out[-1][0] in _REPEATABLE and clause.intent in (None, "compare", out[-1][0]) \
                and (_once_more(norm, start, end) or SAME.search(norm[start:end])):
            # "then run it again with 20/60", "再用55日通道跑一遍", "完了再跑周期40": a length or a pair said bare is the
            # changed setting of the run before (its parameter names)
            local = _changed_setting(norm[start:end], start, local, out[-1][1])
        if clause.intent == "compare" and out and out[-1][0] in _REPEATABLE and _changes(local) and (
                _AGAIN.search(norm[start:end]) or SAME.search(norm[start:end]) or ALSO_RUN.search(norm[start:end])
                or _once_more(norm, start, end)):
            # "then do it again with seed 7 and tell me which one is better", "then same on gold and rank them",
            # "再用同样参数在黄金上跑一下，看看哪个好": the run once more, changed, then the runs compared
            out.append((out[-1][0], inherit(out[-1][1], local)))
            out.append(("compare", Found()))
            continue
        if out and out[-1][0] in _REPEATABLE and clause.intent in (None, out[-1][0]) and local.periods \
                and out[-1][1].periods and _AGAIN_WINDOW.search(norm[start:end]) \
                and {(p.start, p.end) for p in local.periods}.isdisjoint({(p.start, p.end) for p in out[-1][1].periods}) \
                and not (local.instruments or local.strategies or local.algos or local.models):
            # "先跑2017-2019，再跑2022-2024，最后对比两段", "先单独回测2011年8月，再回测2011全年": the run once more, on the
            # other window (never the first window replaced, never the second dropped)
            out.append((out[-1][0], inherit(out[-1][1], local)))
            continue
        if out and not rerun and out[-1][0] in _REPEATABLE and _changes(local) and not (
                out[-1][0] == "optimize_strategy" and _WINNER.search(norm, start, end)) and (  # the winner's run: below
                (clause.intent is None and (_AGAIN.search(norm[start:end]) or _once_more(norm, start, end)))
                or (clause.intent == out[-1][0] and _once_more(norm, start, end) and not (
                    local.instruments or local.strategies or local.algos or local.models))):
            # "…，再用55日通道跑一遍" (read as a backtest of its own): the same run once more, changed
            # "..., then again with seed 2": the step before, once more, with what this clause changes
            out.append((out[-1][0], _merge(local, replace(out[-1][1], seed=None) if local.seed else out[-1][1])))
            continue
        if clause.intent is None and out and local.periods:
            # "then run the winner on 2013-2018", "apply the optimal settings to 2019": any verb that puts the
            # result of the search to work on a later window is its held-out run, as "backtest the winner" is
            winner = _winner_later(norm[start:end], out, [("backtest_strategy", local)])
            if winner is not None:
                out[-1], expanded = winner
                out += expanded
                continue
        if clause.intent in (None, "show_price") and out and not local.instruments and looks_back(norm[start:end]) \
                and any(seen.instruments for _, seen in out):
            # "... and show its chart": a look at what the step before ran on, over its window (after a
            # comparison, what the runs it compares ran on)
            before = next(seen for _, seen in reversed(out) if seen.instruments)
            look = ("show_price", _merge(local, Found(instruments=before.instruments, periods=before.periods)))
            if _DONE_BEFORE.search(norm[start:end]) and out[-1][0] == "place_order":
                out.insert(_last_group(out), look)  # "想半仓上车SYN088 先给我看下它最近一个月的k线": the look comes first
            else:
                out.append(look)
            continue
        searched = _search_of_run(norm[start:end], clause, local, out)
        if searched is not None:
            out.append(searched)  # "跑个RSI 14，然后优化lower和upper": the run just made, searched
            continue
        if clause.intent == "place_order" and local.quantity is not None:
            fixed = _corrected_size(norm, start, end, [("place_order", local)])  # "卖出3手黄金，不对，是5手"
            local = replace(local, quantity=fixed) if fixed is not None else local
        if clause.intent is None and out and local.periods and _CORRECTION.search(norm[start:end]) \
                and out[-1][1].periods:
            # "backtest rsi on gold from 2012. sorry, I meant from 2014": the corrected window replaces the first
            roles = {p.role for p in local.periods}
            kept = [p for p in out[-1][1].periods if p.role not in roles]
            out[-1] = (out[-1][0], replace(_merge(replace(out[-1][1], periods=kept), replace(local, periods=[])),
                                           periods=[*kept, *local.periods]))
            continue
        corrected = _corrected_size(norm, start, end, out) if clause.intent is None else None
        if corrected is not None:
            # "Buy 2 lots of WTI. Sorry, typo, I meant 4 lots.": the corrected size replaces the first, never both
            out[-1] = (out[-1][0], replace(out[-1][1], quantity=corrected))
            continue
        if clause.intent is None and out and local.side is not None and not local.instruments \
                and _ORDER_OPENS.match(norm, start, end) and out[-1][1].instruments and out[-1][0] != "place_order" \
                and not re.search(r"\d", norm[start:end]):
            # "show me the Nasdaq chart for 2018, then buy some", "，然后加点仓": an order on what the step before
            # was about, its size still to be asked - never dropped, never guessed
            out.append(("place_order", replace(local, instruments=list(out[-1][1].instruments))))
            continue
        if clause.intent is None:
            if out:
                out[-1] = (out[-1][0], _merge(out[-1][1], local))
            else:
                pending.append(local)
            continue
        for extra in pending:
            # what the preamble names (a window, the strategies debated) yields to what the request names
            own: dict[str, list[Any]] = {name: [] for name in ("periods", "instruments", "strategies", "algos", "models")
                   if getattr(local, name)}
            local = _merge(local, replace(extra, **own) if own else extra)  # type: ignore[arg-type]
        pending = []
        if not out and start not in items and (clause.by == "fallback" or clause.intent in ("unknown", "compare")
                        or (clause.by == "router" and clause.intent in _TOLD and not _ASKS_HOW.search(norm[start:end]))) \
                and _later_intent(norm, found, start, router):
            pending.append(local)  # "标的：标普500；策略：双均线…": it names what the next step runs on
            continue
        expanded = _same_kind(norm[start:end], out, _tuned_result(norm, out, _expand(clause, local, norm)))
        winner = _winner_later(norm[start:end], out, expanded)
        if winner is not None:
            out[-1], expanded = winner  # "then backtest the best one on 2025": the search's held-out run
        else:
            expanded = _winner_elsewhere(norm[start:end], out, expanded)
        each = _each_inherited(norm[start:end], local, out, expanded)
        if each is not None:
            out += each  # "先看下标普和纳指2008年的走势，再分别回测个买入持有": one run per instrument named before
            continue
        if expanded[0][0] == "compare" and out and out[-1][0] == "compare":
            if expanded[0][1].periods and not out[-1][1].periods:  # "... and compare their Sharpe on 2024": its window
                out[-1] = ("compare", replace(out[-1][1], periods=list(expanded[0][1].periods)))
            if local.suggest or local.horizon:  # "然后比一比，给我下个月的操作建议": the advice each run gives
                out = [(i, replace(f, suggest=f.suggest or local.suggest, horizon=f.horizon or local.horizon))
                       if i in ("train_rl", "train_model") else (i, f) for i, f in out]
            continue  # "compare them" after steps that already end in a comparison
        if out and out[-1][0] == "compare" and len(expanded) == 1 and expanded[0][0] in ("train_rl", "train_model") \
                and not local.algos and not local.models and (local.suggest or local.horizon) \
                and any(i == expanded[0][0] for i, _ in out):
            # "比较A2C和PPO……然后用好的那个告诉我下个月怎么操作": the advice of the runs just compared, not a third run
            out = [(i, replace(f, suggest=f.suggest or local.suggest, horizon=f.horizon or local.horizon))
                   if i in ("train_rl", "train_model", "compare") else (i, f) for i, f in out]
            continue
        if out and _VERB_AFTER_COMMA.match(norm, start) and norm[:start].rstrip().endswith((",", "，")) \
                and not _runs_on_something(out[-1][1]) and out[-1][0] not in ("compare", "place_order") \
                and not (out[-1][0] in _FACTOR_WORK and (out[-1][1].themes or out[-1][1].factor_count
                                                         or out[-1][1].expressions)) \
                and not (out[-1][0] == "show_price" and _SHOW_ASKED.search(shown_text)):
            # "Using the synthetic universe, train a linear model ...", "Using gold prices from 2010 for training,
            # train a PPO agent": what came before the comma only framed this request
            out[-1] = (expanded[0][0], _merge(expanded[0][1], out[-1][1]))
            out += expanded[1:]
            continue
        if out and out[-1][0] == "compare" and expanded[0][0] in _RUNS and _joins_comparison(norm[start:end]):
            # "SAC和TD3各训一版，再跟买入持有的回测放一起比": the later run joins the comparison, which comes last
            out.pop()
            out += [s for s in expanded if s[0] != "compare"]
            out.append(("compare", Found()))
            continue
        if out and len(expanded) == 1 and expanded[0][0] == out[-1][0] and _THIS_TIME.match(norm[start:end]):
            # "我之前用5日和20日均线亏了不少，这次想试试50日和200日的": what was done before is context
            before = out[-1][1]
            out[-1] = (expanded[0][0], _merge(local, Found(
                instruments=before.instruments, universe=before.universe, strategies=before.strategies,
                algos=before.algos, models=before.models)))
            continue
        if out and len(expanded) == 1 and _after_full_stop(norm, start) and _refines(out[-1], expanded[0]):
            out[-1] = (expanded[0][0], _merge(local, out[-1][1]))  # "a colleague doubts RSI works. Tune it ...": one step
            continue
        runs = [e for e in expanded if e[0] != "compare"]
        if len(out) == 1 and len(runs) > 1 and _after_full_stop(norm, start) and all(_refines(out[0], e) for e in runs):
            # "老板让我看看强化学习在原油上靠不靠谱。你先用SAC和PPO各训一个": the runs that answer the first sentence
            before = out.pop()[1]
            out += [(intent, step if intent == "compare" else _merge(step, before)) for intent, step in expanded]
            continue
        if out and out[-1][0] == "optimize_strategy" and [i for i, _ in expanded] == ["optimize_strategy"] \
                and WINNER_RUN.match(norm, start) and local.periods and not (local.instruments or local.strategies) \
                and all(p.role == "data" for p in local.periods):
            # "然后优化一下参数，再用最优参数在2017-2018上测一下": the winner run out of sample, the search's test window
            held = replace(local, periods=[replace(p, role="test") for p in local.periods])
            out[-1] = (out[-1][0], _merge(out[-1][1], held))
            continue
        if out and out[-1][0] in _COMPARABLE and [i for i, _ in expanded] == ["account_status"] \
                and RESULT_LOOK.search(norm[start:end]) and not (local.instruments or local.side or local.quantity):
            continue  # "backtest ..., and show me the drawdown profile": the run's own result, shown with it
        if _restates_comparison(out, expanded, local):
            # "标普上双均线和布林带那个好？2005到2015回测对比下": the same runs and their comparison, now with a window
            last = len(out) - 2
            first = last
            while first > 0 and out[first - 1][0] == out[last][0]:
                first -= 1
            for k in range(first, last + 1):
                out[k] = (out[k][0], _merge(out[k][1], local))
            continue
        if out and len(expanded) == 1 and _continues(out[-1], expanded[0]):
            out[-1] = (out[-1][0], _merge(out[-1][1], local))  # "...? backtest 2015-2016": the same step
            continue
        if out and out[-1][0] == "train_model" and len(expanded) == 1 and expanded[0][0] == "place_order" \
                and not local.instruments and not local.unknown_symbols \
                and (out[-1][1].top_k is not None or out[-1][1].top_pct is not None):
            model = out[-1][1]  # "…揀分數最高嘅10隻，每隻買1000股": the order buys the picks the model's step chose
            out.append(("place_order", replace(expanded[0][1], top_k=expanded[0][1].top_k or model.top_k,
                                               top_pct=expanded[0][1].top_pct or model.top_pct,
                                               universe=expanded[0][1].universe or model.universe)))
            continue
        if out and len(expanded) == 1 and out[-1][0] != "compare" and _DONE_BEFORE.search(norm[start:end]) \
                and local.approval is None:  # "..., let me confirm first": the approval, not the order of steps
            # "run the cycle, but check my cash first": this one goes first (before the whole of a sale-and-buy)
            out.insert(_last_group(out), expanded[0])
            continue
        out += expanded
    if not out and pending and any(p.instruments for p in pending):
        merged = pending[0]
        for extra in pending[1:]:
            merged = _merge(merged, extra)
        out = [("show_price", merged)]  # "spx the week of oct 6 2008": a look at the series
    if out and len([i for i, _ in out if i not in ("compare",)]) >= 2 and all(i != "compare" for i, _ in out) \
            and (lex.has_any(norm, lex.CUES["compare"]) or asks_which(norm)) \
            and not all(i == "place_order" for i, _ in out) \
            and not (any(i in _FACTOR_WORK for i, _ in out) and BEST_FACTOR_RUN.search(norm)
                     and not lex.has_any(norm, lex.CUES["compare"])):  # "哪个好就拿哪个做信号回测": a choice, not a verdict
        said = lex.span_of(norm, lex.CUES["compare"])
        order = out[-1][1].side if out[-1][0] == "place_order" else None
        ran = [k for k, (i, _) in enumerate(out) if i in _COMPARABLE]
        if said is not None and order is not None and said[0] < order.start and len(out) >= 3:
            # "..., compare them, and then buy the top 20 from the better one": the order follows the comparison
            out.insert(len(out) - 1, ("compare", Found()))
        elif len(ran) >= 2 and ran[-1] + 1 < len(out) and all(i in _AFTER_RUNS for i, _ in out[ran[-1] + 1:]):
            # "train PPO, then SAC the same way and compare the two. Oh, and what's our cash?": the comparison
            # closes the runs it compares; the look at the account asked after them stays after it
            out.insert(ran[-1] + 1, ("compare", Found()))
        else:
            out.append(("compare", Found()))  # "... and compare them" closing the last clause (never a second one)
    out = _best_out_of_sample(norm, out)
    out = _run_the_condition_names(found, out)
    if [i for i, _ in out] in (["evaluate_factors", "compare"], ["mine_factors", "compare"]) and _AGAINST_RETURNS.search(norm):
        out = out[:1]  # "check it against 5d forward returns": how a factor is scored, not a second run to compare
    out = _advice_run_once(_one_look_at_the_account(_account_for_condition(_theme_of_recall(_what_if_looked_at(
        _same_size_again(norm, _same_words_same_size(out)))))))
    return _not_retrained(norm, _follow_up(norm, found, _implied(_advice_from_recall(_compared_on(out)), norm))) \
        if out else [("unknown", found)]


def _run_the_condition_names(found: Found, steps: list[tuple[str, Found]]) -> list[tuple[str, Found]]:
    """"If MACD has made money on SYN033 since 2020, buy 300 shares", "如果MACD在SYN033上2020年以来是赚钱的，就买300股":
    the order's condition is the result of a run nobody made before it - that backtest comes first (its result
    against buy and hold or a threshold is what the condition is judged on), never left out."""
    if not steps or steps[0][0] != "place_order" or steps[0][1].condition is None:
        return steps
    cond = steps[0][1].condition
    a, b = cond.start, cond.end
    named = [v for v in found.strategies if a <= v.start < b and str(v.value) != "buy_and_hold"]
    if not named:
        return steps
    run = Found(strategies=named[:1], instruments=[v for v in found.instruments if a <= v.start < b]
                or steps[0][1].instruments, periods=[p for p in found.periods if a <= p.span.start < b],
                params={k: v for k, v in found.params.items() if a <= v.start < b},
                costs=[c for c in found.costs if a <= c.span.start < b])
    order = replace(steps[0][1], periods=[p for p in steps[0][1].periods if not a <= p.span.start < b],
                    params={k: v for k, v in steps[0][1].params.items() if not a <= v.start < b})
    return [("backtest_strategy", run), ("place_order", order), *steps[1:]]


def _advice_run_once(steps: list[tuple[str, Found]]) -> list[tuple[str, Found]]:
    """"What should I do with SP500 tomorrow? Train an A2C on the last 3 yrs first": the advice asked and the run
    that gives it are one training run (the one that names its algorithm), not two."""
    out: list[tuple[str, Found]] = []
    for intent, found in steps:
        if intent == "train_rl" and out and out[-1][0] == "train_rl":
            before = out[-1][1]
            names = {str(v.value) for v in before.instruments}, {str(v.value) for v in found.instruments}
            if bool(before.algos) != bool(found.algos) and (not names[0] or not names[1] or names[0] == names[1]) \
                    and (before.suggest or found.suggest or before.horizon or found.horizon):
                out[-1] = ("train_rl", _merge(found, before) if found.algos else _merge(before, found))
                continue
        out.append((intent, found))
    return out


#: "then same size again on gold", "黄金再买一样多的", "SYN090 the same amount": the size of the order before.
_SAME_SIZE = re.compile(r"(?<![a-z])(?:(?:the\s+)?same\s+(?:size|amount|quantity|number(?:\s+of\s+\w+)?|qty)|"
                        r"as\s+(?:much|many)\s+again|likewise)(?![a-z])|一样多|同样多|同样的?(?:数量|量|手数|股数)|"
                        r"数量一样|一样的(?:数量|量|手数|股数)|同等数量|等量")


def _same_size_again(norm: str, steps: list[tuple[str, Found]]) -> list[tuple[str, Found]]:
    """"buy 40 units of WTI, then same size again on gold": the second order takes the first one's size - carried
    over, so it is shown as inferred and a person approves it (never a size of 1, never asked when it was said)."""
    said = _SAME_SIZE.search(norm)
    if said is None:
        return steps
    out: list[tuple[str, Found]] = []
    for intent, found in steps:
        before = out[-1][1] if out and out[-1][0] == "place_order" else None
        if intent == "place_order" and found.quantity is None and before is not None and before.quantity is not None \
                and before.quantity.span.end <= said.start() and not found.all_positions:
            found = replace(found, quantity=before.quantity, quantity_carried=True,
                            side=found.side or before.side)
        out.append((intent, found))
    return out


def _same_words_same_size(steps: list[tuple[str, Found]]) -> list[tuple[str, Found]]:
    """"buy 1k syn088 and 1k syn089": the same words size each order the same way (the second, without its verb
    beside it, had been read as $1,000 while the first was 1,000 shares)."""
    out: list[tuple[str, Found]] = []
    for intent, found in steps:
        size = found.quantity
        before = out[-1][1].quantity if out and out[-1][0] == "place_order" else None
        if intent == "place_order" and size is not None and before is not None and size.kind != before.kind \
                and size.span.text.strip().lower() == before.span.text.strip().lower() and size.value == before.value:
            found = replace(found, quantity=replace(size, kind=before.kind))
        out.append((intent, found))
    return out


_SOLD = re.compile(r"sold|sell|dump|exit|clos|cut|trim|short|卖|清|减|抛")


def _what_if_looked_at(steps: list[tuple[str, Found]]) -> list[tuple[str, Found]]:
    """"What would've happened if I'd sold all my S&P in March 2009? Show me the S&P from then to the end of 2009": a
    sale that did not happen, with the look at that instrument asked beside it, is answered by the look (the price over
    the window is what the sale would have avoided); alone it stays the buy-and-hold measure of that window."""
    looked = {str(v.value) for i, f in steps if i == "show_price" for v in f.instruments}
    out = []
    for intent, found in steps:
        sold = [v for v in found.strategies if v.value == "buy_and_hold" and _SOLD.search(str(v.said))]
        if intent == "backtest_strategy" and sold and len(found.strategies) == 1 and found.instruments \
                and {str(v.value) for v in found.instruments} <= looked:
            continue
        out.append((intent, found))
    return out


#: A condition on the account's own state ("if drawdown's under 5%", "if we're flat on oil", "没停的话", "如果现金够").
_ACCOUNT_CONDITION = re.compile(r"(?<![a-z])(?:drawdown|draw\s+down|cash|buying\s+power|halted|locked|flat|exposure|"
                                r"p&l|pnl|equity|account|margin)(?![a-z])|回撤|现金|资金|购买力|停了|没停|暂停|空仓|仓位|"
                                r"持仓|敞口|盈亏|账户")
#: ... unless it is about a run's result ("if the backtest's drawdown is under 10%").
_RUN_CONDITION = re.compile(r"(?<![a-z])(?:backtest|model|agent|strategy|sharpe|run|it|its)(?![a-z])|回测|模型|智能体|策略|夏普")


def _account_for_condition(steps: list[tuple[str, Found]]) -> list[tuple[str, Found]]:
    """"if drawdown's under 5% buy 2 lots gold", "if we're flat on oil, buy 20 lots": the order waits on the account's
    state, so the account is looked at first - the person who approves it sees what the condition is judged on."""
    out: list[tuple[str, Found]] = []
    for intent, found in steps:
        condition = found.condition
        if intent in ("place_order", "trading_cycle") and condition is not None \
                and _ACCOUNT_CONDITION.search(str(condition.value)) and not _RUN_CONDITION.search(str(condition.value)) \
                and not any(i == "account_status" for i, _ in out) and not any(i in _RUNS for i, _ in out):
            out.append(("account_status", Found()))
        out.append((intent, found))
    return out


def _one_look_at_the_account(steps: list[tuple[str, Found]]) -> list[tuple[str, Found]]:
    """"现金还剩多少？黄金的浮动盈亏是多少？": questions about the account asked one after another are one look at it."""
    out: list[tuple[str, Found]] = []
    for intent, found in steps:
        if intent == "account_status" and out and out[-1][0] == "account_status":
            out[-1] = ("account_status", _merge(out[-1][1], found))
            continue
        out.append((intent, found))
    return out


def _theme_of_recall(steps: list[tuple[str, Found]]) -> list[tuple[str, Found]]:
    """"上回挖的价值因子结果是啥，再挖2个": more factors of the theme the recalled mining was on."""
    out: list[tuple[str, Found]] = []
    for intent, found in steps:
        recalled = next((f for i, f in reversed(out) if i == "recall" and f.themes), None)
        if intent == "mine_factors" and not found.themes and recalled is not None:
            found = replace(found, themes=list(recalled.themes), universe=found.universe or recalled.universe)
        out.append((intent, found))
    return out


def _search_of_run(text: str, clause: Clause, local: Found, out: list[tuple[str, Found]]) -> tuple[str, Found] | None:
    """"Backtest RSI 14 on crude, then optimise lower and upper": a clause that asks for a search and names no
    strategy of its own, after a backtest, searches that backtest's strategy on its instrument and window (the
    values the backtest fixed stay its own; the search tunes what this clause names)."""
    if clause.intent is not None or not out or out[-1][0] != "backtest_strategy" or local.strategies \
            or not lex.has_any(text, lex.CUES["optimize"]) or not out[-1][1].strategies:
        return None
    run = out[-1][1]
    searched = replace(run, params={}, all_params=[], tune=local.tune, grid=local.grid, quantity=None, side=None)
    return "optimize_strategy", _merge(local, searched)


#: "the best one", "the winner", "最优参数": the result of a search, run again.
_WINNER = re.compile(r"(?<![a-z])(?:best|winning|winner|optimal|top|(?:whatever|whichever|what|the\s+one\s+that)\s+wins)(?![a-z])"
                     # "check how they hold up on 2016-2018", "test those settings on 2019": what the search found
                     r"|(?<![a-z])(?:(?:they|them)(?:\s+(?:hold|holds|do|does|perform|work|fare|stand))?|(?:those|these|the\s+found"
                     r"|the\s+chosen|the\s+selected|the\s+resulting)\s+(?:settings?|params?|parameters|values|numbers|lengths"
                     r"|windows?|set|combos?|combinations?))(?![a-z])"
                     r"|最优|最佳|最好的|胜出|胜者|(?:这|那|选出的|找到的)(?:组|套|些)?参数")
_BACKTEST_VERB = re.compile(r"(?<![a-z])(?:backtest\w*|bt|run|re-?run)(?![a-z])|回测|跑一下|跑一遍")
_RUN_AGAIN = re.compile(r"(?<![a-z])(?:run|backtest\w*|bt|test|re-?run|apply|try|check|verify|validate)(?![a-z])|回测|跑|测试|检验")


def _winner_later(text: str, out: list[tuple[str, Found]],
                  expanded: list[tuple[str, Found]]) -> tuple[tuple[str, Found], list[tuple[str, Found]]] | None:
    """A search, then its winner run on a window after the search's ("tune ... over 2018-2024, then
    backtest the best one on 2025", "then run the best one on 2016-2018 against buy and hold"): the
    later window is the search's held-out test and the window of the winner's backtest, which is
    a step of its own even when the clause names only a benchmark (None when this is not such a run)."""
    if not out or out[-1][0] != "optimize_strategy" or not _WINNER.search(text) or not _RUN_AGAIN.search(text):
        return None
    search = out[-1][1]
    if [i for i, _ in expanded] == ["optimize_strategy"] and _RUN_AGAIN.search(text):
        # "then backtest the best setting on 2020-2022", "apply the optimal settings to 2019": "best setting"
        # reads as a search, the verb says run it
        expanded = [("backtest_strategy", replace(expanded[0][1], grid={}, tune=[], spread=set()))]
    fitted = ([p for p in search.periods if p.role == "data"] or [p for p in search.periods if p.role != "valid"][:1]
              or [p for p in search.periods if p.tuning][:1])  # "1995-2010 调参": where a search tunes is where it runs
    runs = [(i, f) for i, f in expanded if i == "backtest_strategy"]
    later = [p for _, f in runs for p in f.periods if p.role in ("data", "test")]
    if len(fitted) > 1 or not later or not search.strategies or (fitted and later[0].start <= fitted[0].end):
        return None
    held = replace(later[0], role="test")  # no window of its own: the search runs on the data before the held-out one
    searched = replace(search, periods=[replace(fitted[0], role="train"), held] if fitted else [held])
    own = {str(v.value) for v in search.strategies}
    if not any({str(v.value) for v in f.strategies} & own or not f.strategies for _, f in runs):
        rerun = replace(search, grid={}, tune=[], spread=set(), periods=[later[0]])
        expanded = [("backtest_strategy", rerun), *expanded]
    return ("optimize_strategy", searched), expanded


def _winner_elsewhere(text: str, out: list[tuple[str, Found]],
                      expanded: list[tuple[str, Found]]) -> list[tuple[str, Found]]:
    """"找个最好的，然后用最好的参数在标普上回测": the winner of the search before, run on another instrument
    (a backtest, not a second search)."""
    if not out or out[-1][0] != "optimize_strategy" or [i for i, _ in expanded] != ["optimize_strategy"]:
        return expanded
    found = expanded[0][1]
    search = out[-1][1]
    if not (_WINNER.search(text) and _RUN_AGAIN.search(text)) or not found.instruments or found.grid:
        return expanded
    if {str(v.value) for v in found.instruments} <= {str(v.value) for v in search.instruments}:
        return expanded
    return [("backtest_strategy", replace(found, tune=[], grid={}, spread=set(),
                                          strategies=found.strategies or search.strategies))]


#: Steps a "same thing on X" clause can repeat.
_REPEATABLE = frozenset({"train_rl", "train_model", "backtest_strategy", "optimize_strategy", "show_price", "place_order",
                         "evaluate_factors", "mine_factors"})


_SAME_WAY = re.compile(r"(?<![a-z])(?:the\s+)?same\s+(?:way|procedure|treatment|drill)(?![a-z])|同样的?(?:方法|方式|做法|流程)|一样的?(?:方法|做法|流程)")


def _same_again(text: str, clause: Clause, local: Found, out: list[tuple[str, Found]],
                listed: bool = False, whole: str = "") -> tuple[str, Found] | None:
    """A clause that repeats the step before with a change ("then same thing on sp500", "also train it on
    oil with the same settings", "同样的参数在原油上再跑一次"): that step's intent and values, with what the
    clause states in place of the earlier ones (None when the clause is not such a repeat).

    ``listed``: the clause is an item of a numbered list, so it is a step even without "same"
    ("3) 再用50日回测" after "2) 用突破策略（20日）回测": the breakout again, with 50 days)."""
    runs = [step for step in out if step[0] != "compare"]
    also = clause.intent is None and bool(local.instruments or local.periods) and ALSO_RUN.search(text) is not None
    if not runs or not (SAME.search(text) or listed or also or _SAME_WAY.search(text)):
        return None
    if runs[-1][0] == "recall" and SAME.search(text):
        return _recalled_again(text, runs[-1][1], local, whole)
    intent, previous = runs[-1]
    local = _bare_length(text, clause.start, local, previous)
    if intent == "optimize_strategy" and clause.intent == "backtest_strategy" and local.strategies \
            and _SAME_WAY.search(text):
        # "tune the bollinger ..., then do mean reversion the same way": another strategy, searched alike
        return intent, inherit(replace(previous, tune=[], grid={}), local)
    if intent not in _REPEATABLE or clause.intent not in (None, intent) or not _changes(local):
        return None
    if listed and not SAME.search(text) and (local.instruments or local.strategies or local.algos or local.models):
        return None  # an item that names what it runs on is a step of its own, read as such
    return intent, inherit(previous, local)


def _theme_again(out: list[tuple[str, Found]], local: Found, clause: Clause) -> tuple[str, Found] | None:
    """A clause that only names another factor theme after a mining step is that mining again on it."""
    runs = [step for step in out if step[0] != "compare"]
    if clause.intent is not None or not runs or runs[-1][0] != "mine_factors" \
            or not local.themes or local.instruments or local.strategies or local.algos or local.models:
        return None
    previous = runs[-1][1]
    if {str(v.value) for v in local.themes} == {str(v.value) for v in previous.themes}:
        return None
    return "mine_factors", inherit(replace(previous, factor_count=None), local)


#: "the same strategy", "同样的模型", "same agent": what a recalled run ran, named by its kind.
_KIND_OF = (("backtest_strategy", re.compile(r"strateg|策略|规则|backtest|回测")), ("train_model", re.compile(r"(?<![a-z])model|模型")),
            ("train_rl", re.compile(r"(?<![a-z])(?:agent|algo(?:rithm)?|policy)|算法|智能体")),
            ("evaluate_factors", re.compile(r"(?<![a-z])factors?(?![a-z])|因子")))


def _recalled_again(text: str, recalled: Found, local: Found, whole: str = "") -> tuple[str, Found] | None:
    """"上次回测的结果给我看看，然后在纳指上用同样的策略跑一下2015年到2018年": the recalled run's strategy (model,
    algorithm) run again where this clause says (None when the clause does not say what kind of run)."""
    # "上周那个 S&P 的 backtest 结果拿出来，再用同样参数在纳指上跑一次": the kind of run the recall named
    kind = _kind_recalled(recalled, text, whole)
    if kind is None or not _changes(local):
        return None
    return _run_again(kind, recalled, local)


def _kind_recalled(recalled: Found, *texts: str) -> str | None:
    """The kind of run a recalled one was: its algorithm, model or strategy, else the first of
    ``texts`` that names a kind ("the backtest we ran yesterday", "那次的因子结果")."""
    kind = "train_rl" if recalled.algos else "train_model" if recalled.models else (
        "backtest_strategy" if recalled.strategies else None)
    for text in texts:
        if kind is None and _RL_SAID.search(text):
            kind = "train_rl"  # "the gold RL model", "强化学习模型": an agent, whatever it is called
        kind = kind or next((k for k, words in _KIND_OF if words.search(text)), None)
    return kind


_RL_SAID = re.compile(r"(?<![a-z])(?:rl|reinforcement[- ]learning|drl)(?![a-z])|强化学习")


def _run_again(kind: str, recalled: Found, local: Found) -> tuple[str, Found]:
    """The recalled run once more (what it ran and on what), with what this clause states; its
    windows, costs, settings and sizes are the clause's to state, not carried over."""
    inherited = replace(recalled, periods=[], costs=[], params={}, grid={}, tune=[], quantity=None, side=None,
                        timesteps=None, seed=None, cash=None, approval=None, suggest=None, horizon=None,
                        instruments=[] if local.instruments else recalled.instruments)  # "the same on the Nasdaq": there
    return kind, _merge(local, inherited)


#: A run said once more with a change: "run it again with 20/60", "rerun with a 55-day channel", "再用55日通道跑一遍",
#: "完了再跑周期40", "再完了跑周期60".
_RUN_ONCE_MORE = re.compile(r"(?<![a-z])(?<!can\s)(?<!to\s)(?<!could\s)(?<!will\s)(?<!would\s)(?<!might\s)"  # "so we can rerun it"
                            r"(?:again|once\s+more|re-?run|re-?do|re-?test|re-?train|retry|(?:try|do)\s+(?:it|that|this)\s+with"
                            r"|(?:the\s+)?(?:exact(?:ly)?\s+)?(?:same|identical)\s+(?:run|setup|set-up|settings?|config(?:uration)?|backtest|test))"
                            r"(?![a-z])|再(?:完了|用|拿|换成?|改成?|按)?[^,，;；。.]{0,12}?(?:跑|回测|测)")
#: "然后换成10/60，再跑一遍": the change said first, the run once more said in the next clause.
_THEN_AGAIN = re.compile(r"[\W_]*(?:然后|接着)?\s*再\s*(?:跑|来|回测|测|训)")


def _once_more(norm: str, start: int, end: int) -> bool:
    """A clause that asks for the run before once more with a change (see :data:`_RUN_ONCE_MORE`)."""
    if _RUN_ONCE_MORE.search(norm, start, end):
        return True
    return CHANGED_TO.search(norm, start, end) is not None and _THEN_AGAIN.match(norm, end) is not None


_LEG = re.compile(r"(?<![a-z])(fast|slow|short|long)(?:\s+(?:leg|ma|line|window|average|moving\s+average|one|length))?\s*"
                  r"(?:at|to|of|=|:|is)?\s*(\d{1,3})(?!\d|\.\d|%)|(快线|慢线|短均线|长均线|快均线|慢均线)\s*(?:改成|改为|换成|调到|设为|设成|用|=|为)?\s*(\d{1,3})")
_PAIR = re.compile(r"(?<![\d.])(\d{1,3})\s*(?:/|\s+and\s+|\s*&\s*|、|和|与)\s*(\d{1,3})(?!\d|\.\d|%)")
_NAMED_LENGTH = re.compile(r"(?:周期|窗口|period|window|lookback|length)\s*(?:of|=|:|：|为|是|改为|改成|换成)?\s*(\d{1,3})(?![\d.%])")


def _changed_setting(text: str, start: int, local: Found, previous: Found) -> Found:
    """The setting a run said once more changes, when the clause gives it without the parameter's name:
    one length for a one-parameter run ("再跑周期40", "with a 55-day channel"), two numbers for a
    two-parameter one ("then again with 20/60": fast and slow, in the order the first run had them)."""
    kinds = {c.kind for c in previous.costs}
    if local.costs and all(c.kind == "cost" for c in local.costs) and len(kinds) == 1 and kinds != {"cost"}:
        # "滑点按千分之一跑一次，再按万五跑一次": the rate said bare is the kind of cost the run before set
        local = replace(local, costs=[replace(c, kind=next(iter(kinds))) for c in local.costs])
    if local.params or local.periods and not _NAMED_LENGTH.search(text):
        return local
    names = list(previous.params)
    legs: dict[str, Value] = {}
    for m in _LEG.finditer(text):
        word, number, at = (m.group(1), m.group(2), 2) if m.group(1) else (m.group(3), m.group(4), 4)
        leg = "fast" if word in ("fast", "short", "快线", "短均线", "快均线") else "slow"
        legs[leg] = Value(float(number), start + m.start(at), start + m.end(at), m.group(0))
    if legs and set(legs) <= set(names):  # "then rerun with the slow leg at 100", "慢线改成100再跑一次"
        return replace(local, params=legs, all_params=list(legs.items()))
    if len(names) == 1:
        named = _NAMED_LENGTH.search(text)
        if named is not None:
            value = Value(float(named.group(1)), start + named.start(1), start + named.end(), named.group(0))
            return replace(local, params={names[0]: value}, all_params=[(names[0], value)])
        return _bare_length(text, start, local, previous)
    pair = _PAIR.search(text)
    if len(names) == 2 and pair is not None:
        a = Value(float(pair.group(1)), start + pair.start(1), start + pair.end(1), pair.group(1))
        b = Value(float(pair.group(2)), start + pair.start(2), start + pair.end(2), pair.group(2))
        return replace(local, params={names[0]: a, names[1]: b}, all_params=[(names[0], a), (names[1], b)])
    return local


#: "再用50日", "with 50 days instead": a length said without its parameter's name.
_BARE_LENGTH = re.compile(r"(?<![\d.])(\d{1,3})\s*(?:-?\s*(?:days?|d|bars?|periods?)(?![a-z])|日|天)")


def _bare_length(text: str, start: int, local: Found, previous: Found) -> Found:
    """A repeat that states one bare length changes the one length parameter of the step before."""
    lengths = [m for m in _BARE_LENGTH.finditer(text)]
    if local.params or len(lengths) != 1 or len(previous.params) != 1 or local.periods:
        return local
    name = next(iter(previous.params))
    match = lengths[0]
    value = Value(float(match.group(1)), start + match.start(), start + match.end(), match.group(0))
    return replace(local, params={name: value}, all_params=[(name, value)])


_AGAINST_RETURNS = re.compile(r"(?<![a-z])(?:against|versus|vs\.?)\s+(?:the\s+)?(?:\d+\s*-?\s*(?:d|days?|trading\s+days?)\s+)?"
                              r"(?:forward|fwd|future|next[- ]day|subsequent)\s+returns?")


#: "..., then run whichever is best OOS", "然后拿最优参数在2022到2025年做样本外回测": the winner of a search is
#: run again on the held-out window, a backtest of its own after the search.
_BEST_OOS = re.compile(
    r"(?:then|after\s+that|afterwards|and\s+then|然后|之后|接着|再)\W?.{0,80}?(?:best|winning|winner|optimal|top|最优|最佳|最好)"
    r".{0,60}?(?:out[- ]of[- ]sample|(?<![a-z])oos(?![a-z])|hold[- ]?out|样本外|测试集)|"
    r"(?:then|and\s+then|然后|之后|接着|再)\W?.{0,60}?(?:out[- ]of[- ]sample|(?<![a-z])oos(?![a-z])|样本外).{0,40}?(?:best|最优|最佳)")


def _best_out_of_sample(norm: str, out: list[tuple[str, Found]]) -> list[tuple[str, Found]]:
    then = _BEST_OOS.search(norm)
    if len(out) != 1 or out[0][0] != "optimize_strategy" or then is None \
            or not re.search(r"(?<![a-z])(?:backtest\w*|run|re-?run)(?![a-z])|回测|跑", norm[then.start():]):
        return out  # "then check the winner out of sample": the search's own hold-out check
    search = out[0][1]
    tested = [p for p in search.periods if p.role == "test"]
    if not tested:
        return out
    held = replace(search, grid={}, tune=[], spread=set(), periods=tested)
    return [out[0], ("backtest_strategy", held)]


#: "same as before", "like last time", "刚才那个", "上次的": the instruction points at an earlier run.
REFERS = re.compile(r"(?<![a-z])(?:(?:the\s+)?same\s+(?:as|like)\s+(?:before|last\s+time|earlier|yesterday|the\s+last\s+(?:one|run))"
                    r"|(?:the\s+)?same\s+(?:thing|run|setup|one|experiment)\s+(?:again|as\s+before)|like\s+(?:before|last\s+time)"
                    r"|as\s+before|(?:re-?run|re-?do|re-?train|repeat)\s+(?:yesterday'?s|the\s+last|last|the\s+previous|that|the\s+same))"
                    r"(?![a-z])|(?:刚才|刚刚|上次|上回|之前|昨天|前天|早上)的?(?:那个|那次|那版|那一版)|同上|跟上次一样|和上次一样|照上次")
#: What makes a look back a rerun: a change, or "again".
_CHANGED = re.compile(r"(?<![a-z])(?:but\s+(?:with|using|on|at|for|change|swap|switch|make)|instead|swap(?:ped)?|switch(?:ed)?"
                      r"|re-?run|re-?train|re-?do)(?![a-z])|换成|换为|换用|改成|改为|改用|再跑|再训|再回测|再测|重跑|"
                      r"重新跑|重新训|重新回测|再来一")
#: "run it again", "try again": a rerun, when the instruction points at the run ("same as before ... again").
_AGAIN_RUN = re.compile(r"(?<![a-z])(?:run|train|do|try)\s+(?:\w+\s+){0,3}?again(?![a-z])")
_FOLLOWED_RUNS = ("train_rl", "train_model", "backtest_strategy", "optimize_strategy")


def _follow_up(norm: str, found: Found, steps: list[tuple[str, Found]]) -> list[tuple[str, Found]]:
    """"Same as before but with SAC", "把刚才那个换成TD3再跑一遍", "上次那个选股模型特征换成alpha360再训一遍",
    "rerun yesterday's gold backtest with 5 bp": the earlier run recalled, then run again with the change
    (one step only: instructions that already plan a recall and a run keep their reading)."""
    from agents.understand._intents import DAY_RUN, EARLIER

    if len(steps) != 1 or steps[0][0] not in ("recall", *_FOLLOWED_RUNS) or NOT_AGAIN.search(norm) \
            or lex.has_any(norm, lex.CUES["compare"]):
        return steps
    pointed = REFERS.search(norm) is not None
    if not (_CHANGED.search(norm) or (pointed and _AGAIN_RUN.search(norm))):
        return steps
    if not pointed and not (steps[0][0] == "recall" and (
            lex.has_any(norm, lex.CUES["recall"]) or EARLIER.search(norm) or DAY_RUN.search(norm))):
        return steps  # "Last week I ran TD3 ... try again with 150k steps": the run is told, not pointed at
    intent, own = steps[0]
    if intent == "recall":
        intent = ("train_rl" if found.algos or lex.has_any(norm, lex.CUES["rl"]) else
                  "train_model" if found.models or found.features or lex.has_any(norm, lex.CUES["model"]) else
                  "backtest_strategy" if found.strategies or lex.has_any(norm, lex.CUES["backtest"]) else "")
        if not intent:
            return steps
    days = [p for p in own.periods if p.start == p.end]  # "2025年12月20日那次回测": the day it ran, not a window
    what = Found(instruments=own.instruments, algos=found.algos, models=found.models, features=found.features,
                 strategies=found.strategies, periods=days)  # the kind of run looked up (its asset, when named)
    return [("recall", what), (intent, replace(own, periods=[p for p in own.periods if p not in days]))]


#: Steps that make a result a comparison can weigh.
_RUNS = frozenset({"train_rl", "train_model", "backtest_strategy", "optimize_strategy"})
#: A clause that sets its run beside the ones before ("再跟买入持有比", "and put buy-and-hold against them").
_JOINS = re.compile(r"(?<![a-z])(?:against|versus|vs\.?|alongside|next to|beside|side[- ]by[- ]side|compared?|too|as well)(?![a-z])"
                    r"|[跟和与同].{0,16}?(?:比|对比|比较|放一起|放在一起|并排)|一起比|作对比|做对比|对照")


#: A request verb right after a comma (the clause cut in ``_intents``: "..., backtest a 20/60 SMA cross").
_VERB_AFTER_COMMA = re.compile(r"\s*(?:backtest|train|fit|mine|optimi[sz]e|tune)\s")


def _runs_on_something(found: Found) -> bool:
    """Whether a step names what it runs (an algorithm, model, strategy, feature set or expression)."""
    return bool(found.algos or found.models or found.strategies or found.expressions or found.features)


def _joins_comparison(text: str) -> bool:
    return _JOINS.search(text) is not None


def _not_retrained(norm: str, steps: list[tuple[str, Found]]) -> list[tuple[str, Found]]:
    """"what should I do with gold tomorrow? use the TD3 from yesterday, don't retrain": one run, named as an earlier
    one and not to be trained again - its advice comes from looking it up."""
    from agents.understand._intents import DAY_RUN, EARLIER

    if len(steps) != 1 or steps[0][0] not in ("train_rl", "train_model") or not NOT_AGAIN.search(norm) \
            or not (DAY_RUN.search(norm) or EARLIER.search(norm) or lex.has_any(norm, lex.CUES["recall"])):
        return steps
    return [("recall", steps[0][1])]


def _advice_from_recall(steps: list[tuple[str, Found]]) -> list[tuple[str, Found]]:
    """"明天黄金怎么操作？请把上次黄金的强化学习结果调出来，据此给我建议": the advice comes from the
    recalled run, not from a new training the person never asked for."""
    if not any(intent == "recall" for intent, _ in steps):
        return steps
    asks = [f for intent, f in steps
            if intent == "train_rl" and not f.algos and not f.timesteps and (f.suggest or f.horizon)]
    if not asks:
        return steps
    out: list[tuple[str, Found]] = []
    for intent, found in steps:
        if any(found is a for a in asks):
            continue
        if intent == "recall" and not any(i == "recall" for i, _ in out):
            found = replace(found, horizon=found.horizon or asks[0].horizon, suggest=found.suggest or asks[0].suggest)
        out.append((intent, found))
    return out


#: "a fresh SAC", "a new one", "重新训一个": a run made now, to set beside an earlier one.
_FRESH = re.compile(r"\b(?:a\s+)?(?:fresh|new|newly[- ]trained|brand[- ]new|freshly[- ]trained)\b(?!\s+(?:data|window|period|high|low))"
                    r"|重新训(?:练)?|新训|再训一个|重训|重新跑一个|新跑一个")
_SIDE_BY_SIDE = ("next to", "side by side", "beside", "alongside", "放一起", "放在一起", "并排")


#: A setting said relative to an earlier run's ("2x the steps", "double the timesteps", "步数翻倍"): that run's value
#: is known only once it is looked up, so the planner cannot honour it - it is named as not used, never guessed.
_RELATIVE_SETTING = re.compile(r"(?<![a-z\d])(?:\d+(?:\.\d+)?\s*x|double|twice|triple|half)\s+(?:the\s+)?(?:as\s+many\s+)?"
                               r"(?:(?:training\s+)?(?:time)?steps|episodes|training(?:\s+length)?)(?![a-z])"
                               r"|(?:训练)?步数(?:翻倍|加倍|翻番|减半|翻一倍)")


#: "Retrain the PPO gold agent from last week ...", "重新训练上周那个黄金PPO": a run again of one named as earlier.
_RETRAIN_OPENS = re.compile(r"^\W*(?:(?:please|pls|can\s+you|could\s+you)\s+)?(?:re-?train|re-?run|redo|re-?fit)(?![a-z])"
                            r"|^\W*(?:请|帮我)?(?:重新训练|重新训|重训|重跑|重新跑|重新回测)")
#: "... and compare it to the one from yesterday": the earlier run named after the new one, to compare with.
_COMPARED_TO_EARLIER = re.compile(r"(?<![a-z])(?:compare[ds]?|stack|put|set|measure|benchmark)\s+(?:it|this|that|them|the\s+new\s+one)?\s*"
                                  r"(?:to|with|against|next\s+to|beside)\s+(?:the\s+one|yesterday|last|the\s+(?:old|earlier|previous))"
                                  r"|(?:和|跟|与)(?:昨天|上次|上周|之前|前天)的?(?:那个|那次)?[^,，。；;]{0,8}?(?:比|对比)")


def _retrain_recalled(norm: str, found: Found) -> list[tuple[str, Found]] | None:
    """"Retrain the PPO gold agent from last week with 2x the steps and tell me whether it's better", "retrain the
    LightGBM ... and compare it to the one from yesterday": the earlier run looked up, the same run made again with
    what the person changes, and (when asked) the two compared. The day words name the earlier run, not a window."""
    from agents.understand._intents import DAY_RUN, EARLIER

    later = _COMPARED_TO_EARLIER.search(norm)
    if not _RETRAIN_OPENS.search(norm) or (later is None and not (EARLIER.search(norm) or DAY_RUN.search(norm))):
        return None
    said = (later or EARLIER.search(norm) or DAY_RUN.search(norm))
    assert said is not None
    rl = bool(found.algos) or lex.has_any(norm, lex.CUES["rl"])
    model = bool(found.models or found.features)
    if rl == model:
        return None  # neither or both: the other readings decide
    ref_at = said.start()
    reference = [p for p in found.periods if p.span.end > ref_at - 12 and p.span.start < said.end() + 24
                 and _RELATIVE_DAY.search(p.span.text)]
    again = replace(found, periods=[p for p in found.periods if p not in reference])
    recalled = replace(Found(), instruments=found.instruments, algos=found.algos, models=found.models,
                       features=found.features, universe=found.universe)
    kind = "train_rl" if rl else "train_model"
    compared = [("compare", Found())] if (later is not None or lex.has_any(norm, lex.CUES["compare"])
                                          or asks_better(norm) or _BETTER.search(norm)) else []
    if later is not None:
        return [(kind, again), ("recall", recalled), *compared]
    return [("recall", recalled), (kind, again), *compared]


#: Words that mark a run as one made before ("our last TD3 run", "the PPO one from before", "上次的", "之前那个").
_MADE_BEFORE = re.compile(r"(?<![a-z])(?:our|my|the|that)\s+(?:last|previous|earlier|prior|old|older)\s+(?:[\w-]+\s+){0,3}?"
                          r"(?:runs?|ones?|models?|agents?|results?|training|backtests?)(?![a-z])|"
                          r"(?<![a-z])(?:ones?|runs?|models?|agents?)\s+(?:from\s+(?:before|earlier|yesterday|last\s+(?:week|time))|"
                          r"we\s+(?:ran|trained|did|had)(?:\s+before)?)(?![a-z])|(?<![a-z])yesterday'?s(?![a-z])|"
                          r"上次|之前(?:那个|的)|以前那个|昨天(?:的|那个)|前天(?:的|那个)|上周[一二三四五]?(?:的|那个|跑的|训的)|原来(?:的|那个)|早先")
#: A wish to make a run now, not to look one up: then the other readings decide.
_MAKE_NOW = re.compile(r"(?<![a-z])(?:train|retrain|re-?run|fit|fresh|new|again)(?![a-z])|训练一|训一个|训个|跑一个|跑个|重新|再训|再跑|新训")
#: The person asks how the two did against each other ("is it better than", "which did better", "比…好吗").
_AGAINST_EACH = re.compile(r"(?<![a-z])(?:better|worse|beat|beats|outperform\w*|stack\s+up|compare[ds]?|versus|vs\.?|against)(?![a-z])"
                           r"|比[^,，。；;？?]{0,16}?(?:好|强|差|高|低|优)|哪个(?:更)?(?:好|强|高)|对比|比较|比一比|比一下")


def _two_recalled(norm: str, found: Found) -> list[tuple[str, Found]] | None:
    """"What did our last TD3 run on gold return, and is it better than the PPO one from before?",
    "上次的TD3黄金模型收益多少？比之前那个PPO的好吗": two runs made before, each looked up (never
    retrained), and set side by side - one recall per algorithm (or model) named, then the comparison."""
    names = found.algos if len(found.algos) == 2 else found.models if len(found.models) == 2 else None
    if names is None or len({str(n.value) for n in names}) != 2 or found.strategies or found.quantity is not None:
        return None
    if not _MADE_BEFORE.search(norm) or _MAKE_NOW.search(norm) or not _AGAINST_EACH.search(norm):
        return None
    base = Found(instruments=list(found.instruments), universe=found.universe)
    steps: list[tuple[str, Found]] = [("recall", replace(base, algos=[name]) if names is found.algos else
                                       replace(base, models=[name])) for name in names]
    return [*steps, ("compare", Found())]


#: A look asked for in words ("show me the S&P over the last five years, backtest ... on it"): a request of its
#: own, not the frame of the run after it ("Using gold prices from 2010, train a PPO agent").
_SHOW_ASKED = re.compile(r"(?<![a-z])(?:show|chart|plot|graph|pull\s+up|bring\s+up|display|let\s+me\s+see)(?![a-z])|"
                         r"看一?下|看看|显示|画|调出|拉出|走势")

#: A thing named only by a conversation the system never saw ("that one we talked about", "之前说的那个策略").
_DISCUSSED = re.compile(r"(?<![a-z])(?:that|the)\s+(?:one|strategy|stock|ticker|name|setup|idea|trade)\s+(?:we|you|i)\s+"
                        r"(?:talked\s+about|discussed|spoke\s+about|chatted\s+about|went\s+over|mentioned)(?![a-z])|"
                        r"(?:我们|咱们)?(?:之前|刚才|上次|早上|昨天)?(?:说|聊|讨论|提)(?:过|到)?的那(?:个|只|支)(?:策略|股票|标的|品种)?|"
                        r"你(?:之前|刚才)?说的那(?:个|只|支)")

#: Steps a comparison sets side by side, and steps that are never compared (what follows the runs).
_COMPARABLE = frozenset({"train_rl", "train_model", "backtest_strategy", "optimize_strategy", "evaluate_factors",
                         "mine_factors", "recall"})
_AFTER_RUNS = frozenset({"account_status", "show_price", "place_order", "trading_cycle", "list_strategies", "out_of_scope"})

_RELATIVE_DAY = re.compile(r"(?<![a-z])(?:yesterday|yesterdays|last|previous|earlier|the\s+other\s+day)(?![a-z])|昨天|前天|上周|上个?月|上次|之前")
_BETTER = re.compile(r"(?<![a-z])(?:better|worse|improve[sd]?|beats?|any\s+good)(?![a-z])|更好|好不好|有没有提升|有提升|变好")


def _after_the_comparison(norm: str, found: Found, router: RouterLike | None) -> list[tuple[str, Found]]:
    """The orders and looks at the account a message asks for beside an earlier run set against a fresh one ("...,
    compare the two, and if DDPG wins buy 1 lot wti", "…比一下，双均线更好的话就买入1手原油"): never dropped."""
    out: list[tuple[str, Found]] = []
    for start, end in segments(norm, lambda a, b: _within(found, a, b, norm)):
        local = _within(found, start, end, norm)
        clause = classify(norm, (start, end), local, router, follows=start > 0)
        if clause.intent in ("place_order", "account_status") and clause.by == "cues" and start > 0:
            out.append((clause.intent, local))
    return out


def _recall_vs_fresh(norm: str, found: Found) -> list[tuple[str, Found]] | None:
    """"Yesterday's gold PPO vs a fresh one with seed 3", "昨天那个黄金的PPO和重新训一个的比一下": the
    earlier run recalled, the same kind of run made now (what the person changes, changed), compared."""
    from agents.understand._intents import DAY_RUN, EARLIER

    fresh = _FRESH.search(norm)
    if fresh is None or not (lex.has_any(norm, lex.CUES["compare"]) or lex.has_any(norm, _SIDE_BY_SIDE)):
        return None
    before = norm[:fresh.start()]
    if not (lex.has_any(before, lex.CUES["recall"]) or EARLIER.search(before) or DAY_RUN.search(before)):
        return None
    # the fresh run is said from its clause's start ("…效果怎么样？完了用TD3再训一个": TD3 is the new run's)
    cut = max(norm.rfind(c, 0, fresh.start()) for c in "?？。!！;；,，\n") + 1 or fresh.start()
    if not (lex.has_any(norm[:cut], lex.CUES["recall"]) or EARLIER.search(norm[:cut]) or DAY_RUN.search(norm[:cut])):
        cut = fresh.start()
    recalled = _clause_values(found, 0, cut, norm)
    now = _clause_values(found, cut, len(norm), norm)
    rl = bool(recalled.algos or now.algos) or lex.has_any(norm, lex.CUES["rl"])
    model = bool(recalled.models or now.models or recalled.features or now.features)
    if not rl and not model:
        return None
    kind = "train_rl" if rl else "train_model"
    inherited = replace(recalled, periods=[] if now.periods else recalled.periods, costs=[], quantity=None, side=None,
                        approval=None, suggest=None, horizon=None, seed=None, timesteps=None,
                        algos=[] if now.algos else recalled.algos, models=[] if now.models else recalled.models)
    return [("recall", recalled), (kind, _merge(now, inherited)), ("compare", Found())]


_RERUN = ("retrain", "re-train", "rerun", "re-run", "run it again", "train it again", "do it again", "redo", "try again",
          "try it again", "once more", "再训练一次", "再训一次", "这次改成", "这次换成", "再试一次", "重新来",
          "重新训练", "重新跑", "重跑", "再跑一次", "再训一遍", "再训练一遍", "再训练一次", "重新回测", "再回测一次", "再测一遍", "再测一次", "重新测")




def _rerun_of(text: str, previous: tuple[str, Found] | None, local: Found, intent: str | None,
              before: str = "") -> tuple[str, Found] | None:
    """"Remind me what the last PPO run said, then retrain it with 100k steps": the recalled run,
    run again (its algorithm, model or strategy and instrument) with what this clause changes."""
    if previous is None or previous[0] != "recall" or not lex.has_any(text, _RERUN) or NOT_AGAIN.search(text):
        return None
    if intent is not None and (local.algos or local.models or local.strategies):
        return None  # it names what to run: the classifier's reading stands
    # "find the backtest we ran yesterday on crude and rerun it": the kind of run the recall named
    kind = _kind_recalled(previous[1], before)
    return None if kind is None else _run_again(kind, previous[1], local)


#: Every intent but factor work (a later factor request takes the theme a first question named).
_NOT_FACTOR_WORK = tuple(i for i in INTENTS if i not in ("mine_factors", "evaluate_factors"))


def _later_intent(norm: str, found: Found, after: int, router: RouterLike | None,
                  exclude: tuple[str, ...] = ()) -> bool:
    """Whether a clause after ``after`` holds an intent of its own (cues only: cheap)."""
    for start, end in clauses_of(norm):
        if start > after:
            clause = classify(norm, (start, end), _clause_values(found, start, end), None, follows=True)
            if clause.intent is not None and clause.by != "fallback" and clause.intent not in exclude:
                return True
    return False


#: Words that make a clause a request (a question, an imperative, a comparison).
_REQUEST = re.compile(r"[?？]|(?<![a-z])(?:please|pls|can you|could you|would you|show|tell(?:ing)?\s+(?:me|us)|remind|recall|pull up|look up|"
                      r"(?:i|we)\s+(?:need|want|'d\s+like|would\s+like)\s+(?:to\s+(?:see|know|have)\s+)?"
                      r"(?:(?:the|our|my|current)\s+)?(?:positions?|p&l|pnl|cash|book|holdings|risk|approvals?|balance|exposure|account)|"
                      r"bring back|bring up|dig up|dig out|pull out|"
                      r"give me|list|let me see|check|compare|vs|versus|against|fetch|get me|find|(?:quick\s+|a\s+)?look\s+at|sanity[- ]check|review|go\s+over|"
                      r"take|follow|grab)(?![a-z])|(?:按|照着?|跟着|根据)(?=[^,，。;；]{0,14}(?:建议|推荐|信号|结果|设置|选股))|"
                      r"(?:^|[,;:.]\s*)\W*(?:what|how|which)(?![a-z])|"
                      # "before the open: cash, positions, unrealized P&L": the account's lines, listed after a colon
                      r":\s*(?:(?:the|our|my|current)\s+)?(?:positions?|p&l|pnl|cash|book|holdings|exposure|balance)(?![a-z])|(?<![a-z])(?:hows|how's|whats|what's|wats)(?![a-z])|"
                      r"(?<![a-z])(?:what|which)\s+(?:\w+\s+)?(?:do|did|does|am|are|is)\s+(?:i|we)(?![a-z])|"
                      r"请|帮我|给我|看|查|告诉|说下|说一下|讲讲|显示|汇报|报一下|瞄|调出|调阅|多少|怎么样|如何|哪个|吗|呢|对比|比较|比一|拿出来|列|"
                      r"是什么|是啥|有哪些|几个|"
                      r"发我|发给我|发一下|发过来|报给我|报我|send\s+(?:me|over)|report\s+(?:back|to\s+me)|let\s+me\s+know|(?<![a-z])lmk(?![a-z])")


#: "..., but check my cash first", "..., but before that show me the book", "不过先看一下持仓": a step the person
#: wants done before the one they named earlier.
#: "show me gold this year, and then my gold position": a later item of the list the first verb opened.
_THEN_ALSO = re.compile(r"\W*(?:and\s+)?(?:then|also|next|after\s+that|plus)\s+(?:my|our)\s")
#: "风险情况怎么样", "how's my book": a question about the account, asked - not context for what follows.
_ASKS_HOW = re.compile(r"怎么样|如何|咋样|多少|吗|[?？]|(?<![a-z])(?:how'?s|how\s+(?:is|are|much|many)|what'?s|whats)(?![a-z])")
_DONE_BEFORE = re.compile(r"^\W*(?:but|and|though)\s+(?:(?:before\s+(?:that|you\s+do|doing\s+(?:that|so)|it),?\s+).+|"
                          r".+(?<!me)\s(?:first|beforehand)\W*$)|^\W*(?:但是?|不过|可是)(?:要|请)?(?:先|事先|提前)"
                          r"|^\W*(?:不过|但是?)?(?:在)?(?:跑|做|下单|交易|开始|执行|回测|训练|买|卖|调仓)(?:之前|以前|前)\s*"
                          r"(?:请|麻烦|帮我)?(?:先|事先|提前)"
                          # "想半仓上车SYN088 先给我看下它最近一个月的k线": the look said last, asked first
                          r"|^\W*先\s*(?:给我|帮我|让我)?\s*(?:看|查|瞅|瞧)")
_THIS_TIME = re.compile(r"^\W*(?:这次|这回|this time|now instead|instead,)")
_AGAIN = re.compile(r"(?<![a-z])(?:again|once more|one more time|repeat(?: it)?)(?![a-z])|再来一次|再跑一次|再跑一遍|再来一遍|重复一次|再训一次|再训练一次|再做一次"
                    r"|再(?:用[^,，;；。]{1,12})?(?:跑|训|训练|测|回测|做|来)(?:一)?(?:次|遍|个|下|一下)")


#: The run said again on another window ("再跑2022-2024", "再回测2011全年", "then again for 2016 onward").
_AGAIN_WINDOW = re.compile(r"(?<![a-z])(?:then|and)\s+(?:again\s+)?(?:(?:run|do)\s+(?:it|the\s+same(?:\s+thing)?)\s+)?"
                           r"(?:for|over|on|in|from)\s+(?:the\s+)?(?:\d{4}|first|last|final)|"
                           r"再(?:单独)?(?:跑|回测|测|训练?|来)(?:一下|一遍|一次)?\s*[^,，。;；]{0,4}?(?:\d{4}|最近|前|后)")


def _changes(local: Found) -> bool:
    """Whether a clause states something a repeated run would change."""
    return bool(local.seed or local.timesteps or local.periods or local.params or local.costs or local.algos
                or local.instruments or local.cash or local.models)


_IMPERATIVE = re.compile(r"^\W*(?:(?:before\s+(?:anything\s+else|anything|that|you\s+start|we\s+start)|first(?:\s+of\s+all)?|"
                         r"first\s+thing|to\s+start|right\s+away|straight\s+away|asap)\s*,?\s*)?"  # "before anything else, close out"
                         r"(?:please|pls|kindly|can|could|would|will|train|backtest|bt|run|mine|find|evaluate|test|buy|sell|"
                         r"show|compare|optimi[sz]e|tune|fit|get|give|tell|pull|check|list|search|look|let'?s|try|do|use|"
                         r"re-?run|re-?train|close|cut|trim|reduce|add|what|which|how|is|are|should|i want|i'?d like|"
                         r"i would like|i need)(?![a-z])")
_SUBJECT = re.compile(r"^\W*(?:there|i|we|our|my|a|an|the|someone|some|several|one|he|she|they|it|this|that|last|yesterday|"
                      r"following|before|since|as|in|after)(?![a-z0-9])"  # "a2c on nasdaq ..." opens with no article
                      # "gold has been a pain", "tech earnings season starts next week": a statement about the world
                      r"|^\W*(?:[\w&'-]+\s+){1,5}(?:is|are|was|were|has|have|had|keeps|kept|starts|started|claims|claimed|says"
                      r"|said|thinks|meets|met|lost|made|fell|rose|dropped|keep|think|believe|claim|say)(?![a-z])")
#: Who said or felt something, and how a result was judged: a sentence of these is the background of a request.
_REPORTED_ZH = (r"委员会|投委会|投决会|研究部|交易部|宏观组|风控部|风控那边|领导|老板|客户|合规|反馈|质疑|怀疑|担心|提出|批了|"
                r"太依赖|只有\s*0?\.\d|太高|太好看|衰减|失效|亏得|波动(?:太|挺|很|比较)?大|不想扛|扛不住|正好|覆盖|一直说|低估|高估|"
                r"偏成长|偏价值|太偏")
_TOLD_ZH = re.compile(r"说|认为|觉得|听说|据说|亏了|赚了|跑输|跑赢|以为|回撤了|浮亏|浮盈|讨论|开会|问起|答不上来|一直|已经|"
                      r"年前|以前|发了|预警|拍脑袋|没人动|总有人|有人说|" + _REPORTED_ZH)


#: A verb that runs something, with the thing it runs named earlier ("train both", "backtest them").
_RUN_VERB = re.compile(r"^\W*(?:(?:please|pls|so|and)\s+)?(?:train|fit|backtest|test|run|compare)\s+(?:both|them|each|all|"
                       r"these|those|the\s+two|the\s+three)(?![a-z])|^\W*(?:你|请|帮我)?\s*(?:先)?(?:把)?(?:这两个|它们|两个)"
                       r"[^,，。]{0,4}(?:训练|回测|跑)")
#: A first sentence in which the writer says what they want is the request when only settings, an order
#: or a comparison follow ("I run a small fund and would like to see whether LightGBM can pick stocks.
#: Use 2 million, ... and afterwards buy the top 5%").
_AFTER_RUN = ("place_order", "compare")
_WISH = re.compile(r"^\W*(?:i|we)(?![a-z]).*(?<![a-z])(?:would|'d)\s+(?:like|love)\s+to(?![a-z])")


_STATES_ZH = re.compile(r"目前|应该会|会有|估计|大概率|可能会|据说|听说|一直|已经|年前|总有人|有人说|回撤了|浮亏|浮盈|"
                        # what a committee, a desk or the boss said or felt ("委员会上次说我们参数是拍脑袋定的", "上回PPO的结果
                        # 太依赖种子了", "科技股财报季波动太大，我不想扛着"): the reason for a request, not one
                        + _REPORTED_ZH)


_WHICH_ONE = re.compile(r"(?<![a-z])which(?:\s+one|\s+of\s+(?:them|the\s+two|those|these|the\s+\w+))?(?![a-z])"
                        r"|哪个|哪一个|哪种|哪一种")


def _states_only(text: str) -> bool:
    """A sentence that only states something (a position, an expectation, what someone said), asking for nothing."""
    said = text.strip(" ?？.。!！;；,，")
    if not said or _REQUEST.search(said.replace("compare", "")) or _IMPERATIVE.search(said) or _ASKS_HOW.search(text):
        return False
    if re.search(r"[\u4e00-\u9fff]", said):
        return _STATES_ZH.search(said) is not None and not re.search(r"帮|请|给我|麻烦|下单|买入|卖出|回测|训练|优化|执行", said)
    return _SUBJECT.search(said) is not None and not _ACTION_WORD.search(said)


#: Words that ask for something to be done, anywhere in an English sentence ("If gold is our biggest holding, sell ...").
_ACTION_WORD = re.compile(r"(?<![a-z])(?:buy|sell|short|trim|cut|close|dump|add|train|backtest|run|optimi[sz]e|tune|mine|"
                          r"evaluate|show|plot|chart|check|compare|pull|place|put|invest|allocate|rebalance|if|when|once)(?![a-z])")


def _framing(norm: str, end: int) -> bool:
    """Whether the text before ``end`` is a first sentence that only sets the scene (a claim, a
    debate, a loss), with the request in a later sentence."""
    if not norm[end:].lstrip().startswith((".", "。")) and not norm[:end].rstrip().endswith((".", "。")):
        return False
    first = norm[:end]
    if _REQUEST.search(first.replace("compare", "")) or _IMPERATIVE.search(first):
        return False
    if re.search(r"[\u4e00-\u9fff]", first):
        return _TOLD_ZH.search(first) is not None
    return _SUBJECT.search(first) is not None


#: Words pointing back at what the step before named ("any of them", "它们").
_BACK_TO_IT = re.compile(r"(?<![a-z])(?:them|they|it|those|these|any\s+of)(?![a-z])|它们|它|那些|这些|那个|这个")


def _concrete(local: Found) -> bool:
    """Whether a clause names something the tool runs on or with."""
    return bool(local.instruments or local.algos or local.strategies or local.models or local.expressions
                or local.universe or local.quantity or local.unknown_symbols)


_TOLD = ("recall", "account_status", "explain_trades")


def _with_its_mark(norm: str, start: int, end: int) -> str:
    """A clause with the question mark that ends it ("上次那个模型选了哪些股票？然后..."): the mark opens the
    next clause's span, but it is this clause that asks."""
    return norm[start:end] + ("?" if norm[end:end + 1] in ("?", "？") and end > start else "")


def _told_not_asked(text: str, clause: Clause) -> bool:
    """A look back or at the account that only tells (no question, no imperative)."""
    said = text.lstrip(" ?？.。!！;；,，")  # the mark that ended the sentence before is not this one's
    if said.startswith(("+", "＋", "&", "/")):
        return False  # "run today's cycle + my account": one more item of a list of requests
    bare = _LEADING_JOIN.sub("", said).strip(" .。!！;；,，:：")
    if _NOUNS_ONLY.fullmatch(bare) or _ASKS_ZH.search(bare):
        return False  # "account status; sell 50% SYN020", "then positions", "另外有没有待审批的单": asked for, not told
    return clause.by in ("cues", "router") and clause.intent in _TOLD and not _REQUEST.search(said)


#: The joining word a list item may open with ("then positions", "also cash", "另外…", "顺手…").
_LEADING_JOIN = re.compile(r"^\W*(?:(?:and|then|also|plus|oh\s+and|btw|finally|lastly)\s+)+|^\W*(?:然后|再|另外|顺手|顺便|还有|最后)+")
#: A piece that only names what to show ("account status", "positions", "my cash", "P&L", "账户状态", "持仓"):
#: an item of a list of requests, not a remark (a remark says something of it: "my account is down 5%").
_ACCOUNT_NOUN_EN = (r"(?:(?:my|our|the|current|today'?s|unreali[sz]ed|reali[sz]ed|gross|net|open|pending|total|"
                    r"available)\s+)*(?:account(?:\s+status)?|positions?|holdings|cash|p&l|pnl|p\s+and\s+l|balance|"
                    r"risk(?:\s+(?:state|status|limits?))?|approvals?|pending(?:\s+orders)?|book|exposure|drawdown|"
                    r"buying\s+power|fills|orders|nav|equity|gross|net)(?:\s+(?:by\s+position|summary|status))?")
_ACCOUNT_NOUN_ZH = r"(?:我的|当前|现在的?|今天的?)?(?:账户(?:状态)?|持仓|仓位|现金|盈亏|余额|风险状态|待审批(?:的单)?|敞口|回撤|成交)(?:情况)?"
#: A piece that only names what to show ("account status", "positions", "my cash", "P&L", "gross and net exposure",
#: "cash, positions, unrealized P&L", "账户状态", "持仓、现金"): an item of a list of requests, not a remark (a remark
#: says something of it: "my account is down 5%").
_NOUNS_ONLY = re.compile(rf"{_ACCOUNT_NOUN_EN}(?:\s*(?:,|&|/|\+|\band\b)\s*(?:and\s+)?{_ACCOUNT_NOUN_EN})*"
                         r"(?:\s+(?:pls|please|now|too|as\s+well))?|"
                         rf"{_ACCOUNT_NOUN_ZH}(?:\s*[、,和及与]\s*{_ACCOUNT_NOUN_ZH})*")
#: A Chinese question ("有没有待审批的单", "现金还剩多少", "效果咋样来着"): asked, whatever it names.
_ASKS_ZH = re.compile(r"有没有|有多少|剩多少|多少钱|怎么样|咋样|如何|吗$|呢$|来着")


def _after_full_stop(norm: str, start: int) -> bool:
    """Whether the clause at ``start`` begins a new sentence of its own (no "then" joining it)."""
    piece = norm[start:].lstrip()
    if piece.startswith((".", "。")):
        piece = piece[1:]
    elif not norm[:start].rstrip().endswith((".", "。")):
        return False
    return not re.match(r"\s*(?:then|after that|afterwards|finally|next|also|然后|接着|最后|再|之后)", piece)


#: (an earlier sentence's step, a later sentence's step) that are one request: the earlier one only
#: framed it ("whether RSI stopped working on the Nasdaq" -> "run a parameter search for RSI ...").
#: "compare the best MACD against it", "拿最优的MACD跟它比": the winner of a search already asked for, not a
#: new backtest of that strategy with default settings.
_TUNED = re.compile(r"(?<![a-z])(?:the\s+)?(?:best|optimi[sz]ed|tuned|winning|top|best[- ]performing)(?:\s+(?:settings?\s+(?:of|for)|"
                    r"performing|version\s+of|parameters?\s+(?:of|for)))?\s*$|(?:最优|最好|最佳|调好|优化后|优化好)的?\s*(?:参数的?)?\s*$")


def _tuned_result(norm: str, out: list[tuple[str, Found]], expanded: list[tuple[str, Found]]) -> list[tuple[str, Found]]:
    """Drop a backtest that only names the result of an earlier search of the same strategy."""
    tuned = {str(v.value) for intent, found in out if intent == "optimize_strategy" for v in found.strategies}
    if not tuned or len(expanded) < 2:
        return expanded

    def names_result(step: tuple[str, Found]) -> bool:
        strategies = step[1].strategies
        return step[0] == "backtest_strategy" and bool(strategies) and all(
            str(v.value) in tuned and _TUNED.search(norm[max(0, v.start - 30):v.start]) for v in strategies)

    kept = [e for e in expanded if not names_result(e)]
    return kept if kept and any(e[0] != "compare" for e in kept) else expanded


_REFINED_BY = {("backtest_strategy", "optimize_strategy"), ("mine_factors", "evaluate_factors"),
               ("train_rl", "train_rl"), ("backtest_strategy", "backtest_strategy"), ("train_model", "train_model"),
               ("optimize_strategy", "optimize_strategy"), ("mine_factors", "mine_factors")}


def _refines(previous: tuple[str, Found], current: tuple[str, Found]) -> bool:
    if (previous[0], current[0]) not in _REFINED_BY:
        return False
    before, now = previous[1], current[1]
    if before.params or before.grid or before.factor_count is not None or before.expressions \
            or (before.periods and not now.periods):
        return False  # the earlier sentence asked for something concrete of its own
    pairs = ((before.instruments, now.instruments), (before.strategies, now.strategies), (before.algos, now.algos),
             (before.models, now.models))
    return all(not b or not n or {v.value for v in b} <= {v.value for v in n} for b, n in pairs)


def _restates_comparison(out: list[tuple[str, Found]], expanded: list[tuple[str, Found]], local: Found) -> bool:
    """The steps so far end in runs of one kind and their comparison, and this clause asks the same kind of
    run (and maybe the comparison) again with nothing of its own to run on: it only adds settings to them."""
    if len(out) < 3 or out[-1][0] != "compare" or out[-2][0] not in _COMPARABLE or not expanded:
        return False
    kinds = {intent for intent, _ in expanded}
    if not kinds <= {out[-2][0], "compare"} or out[-2][0] not in kinds:
        return False
    return not (local.instruments or local.strategies or local.algos or local.models or local.expressions
                or local.themes or local.side is not None or local.quantity is not None)


#: An order taken back at the start of the next clause ("Actually no, scratch that, sell two lots", "算了，改成卖2手").
_RETRACTED = re.compile(r"\W*(?:(?:actually|no|wait|sorry|oops|hmm)\W+)*(?:scratch\s+that|cancel\s+that|forget\s+(?:that|it)"
                        r"|never\s*mind|actually\s+no|no\s+wait|on\s+second\s+thoughts?)(?![a-z])"
                        r"|\W*(?:算了|不对|不要了|取消|撤掉)(?:吧)?\W*(?:改成|换成|还是)?")


_RETRACTED_LAST = re.compile(r"(?:scratch\s+that|cancel\s+that|forget\s+(?:that|it)|never\s*mind|actually\s+no|no\s+wait"
                             r"|算了|不对|不要了)\W*$")


#: An order said wrongly and put right ("I said buy 500 of SYN088 but I meant SELL", "刚才说错了，不是买SYN033，是卖"):
#: the order said after it is the one meant.
_MISSAID = re.compile(r"(?<![a-z])(?:but\s+(?:i\s+)?meant|i\s+mean[t]?\s+(?:to\s+)?(?:buy|sell|short)|i\s+mis(?:typed|spoke|said)|"
                      r"(?:that\s+)?was\s+a\s+typo)(?![a-z])|说错了|写错了|打错了|搞错了|不是(?:要)?(?:买|卖)")


#: An order or a cycle that takes what an earlier run said or used ("follow yesterday's recommendation", "its top 10
#: picks", "with the same settings we used yesterday", "按昨天黄金模型给的建议来", "就用它跑", "按lightgbm选股买进来的").
_ACTS_ON_EARLIER = re.compile(r"(?<![a-z])(?:follow|act\s+on|go\s+with|take|use|using|its|their|same\s+settings?|same\s+setup|"
                              r"recommend(?:ation|ed)?|suggest(?:ion|ed)|picks?|signals?)(?![a-z])|按|照|根据|用它|用那个|建议|设置|选股|选出|推荐")


def _what_names_the_run(local: Found) -> Found:
    """A clause's values as a recall step reads them: what names the earlier run (its instrument, algorithm, strategy,
    model, the day it ran); the windows, costs, settings and sizes are the new step's."""
    return replace(local, periods=[], costs=[], params={}, all_params=[], grid={}, tune=[], timesteps=None, seed=None,
                   cash=None, quantity=None, side=None, top_k=None, top_pct=None, approval=None)


#: A run the person says they made ("I ran TD3 last week", "我们上周跑了个PPO"): told, maybe never in memory.
_I_RAN = re.compile(r"(?<![a-z])(?:i|we)(?:'ve|\s+have|\s+had)?\s+(?:just\s+|already\s+)?(?:ran|run|trained|tried|tested|backtested|did)"
                    r"(?![a-z])|我们?(?:之前|上次|上周|昨天|前天)?(?:跑|训练|试|测|回测)(?:了|过)")


#: A run asked for again ("rerun", "do it again", "once more", "重跑", "再跑一遍", "continue from the latest checkpoint").
_ASKED_AGAIN = re.compile(r"(?<![a-z])(?:re-?run|re-?do|re-?train|(?:do|run|train|try)\s+(?:it|that|this)\s+again|again|once\s+more|"
                          r"do\s+it\s+(?:with|on|over|for)\s[^.;]{1,30}?\binstead|"
                        r"continue\s+(?:from|training)|keep\s+training)(?![a-z])|重跑|重新(?:跑|回测|训练|训|测)|再(?:跑|训练?|回测|测|来)一[遍次]|"
                        r"继续训练?|接着训练?|再跑一下|重跑一下|再跑|重新跑")


def _names_earlier_run(text: str) -> bool:
    """Whether ``text`` names a run made before ("Monday's S&P momentum backtest", "上次那个原油回测", "the one we just did")."""
    from agents.understand._intents import DAY_RUN, EARLIER

    return bool(EARLIER.search(text) or DAY_RUN.search(text) or re.search(
        r"(?<![a-z])(?:we|you|i)\s+just\s+(?:did|ran|trained|made)|(?:the\s+)?(?:latest|last|previous)\s+(?:[\w&-]+\s+){0,3}?"
        r"(?:checkpoint|run|backtest|model|agent|training)|(?:上次|上回|刚才|刚刚|之前|昨天|前天)[^,，。;；]{0,12}?(?:那个|那次|的)|"
        r"(?<![a-z])(?:settings?|setup|parameters|params|config)\s+(?:we|i|you)\s+used\s+(?:yesterday|last\s+\w+|before|earlier)"
        r"|(?:yesterday'?s|last\s+\w+'s)\s+(?:[\w&-]+\s+){0,2}?(?:recommendation|suggestion|signal|call|advice|picks?)", text))


def _last_group(out: list[tuple[str, Found]]) -> int:
    """Where the last step begins, taking a sale and the buy it pays for ("rotate a third of my S&P into the
    Nasdaq") as one: what is asked "first" goes before both."""
    k = len(out) - 1
    if k < 1 or out[k][0] != "place_order" or out[k - 1][0] != "place_order":
        return k
    bought, sold = out[k][1].side, out[k - 1][1].side
    return k - 1 if bought is not None and sold is not None and (bought.value, sold.value) == ("buy", "sell") else k


def _background(text: str) -> bool:
    """Context said around the request ("for context", "背景是", "btw I know we used 2019"); "btw" or
    "by the way" before a request of its own ("oh and btw list what strategies you've got") is a request."""
    marks = [m.group(0) for m in BACKGROUND.finditer(text)]
    if not marks:
        return False
    if all(re.fullmatch(r"btw|by the way", m) for m in marks):
        return _REQUEST.search(text) is None and _HEAD_AFTER_BTW.search(text) is None
    return True


#: A request verb right after "btw" ("btw list ...", "by the way, show me ...").
_HEAD_AFTER_BTW = re.compile(r"\b(?:btw|by\s+the\s+way)\W+(?:can\s+you\s+|could\s+you\s+|please\s+|pls\s+)?"
                             r"(?:list|show|check|run|train|backtest|buy|sell|plot|chart|tell|give|what|how|which)\b")


def _continues(previous: tuple[str, Found], current: tuple[str, Found]) -> bool:
    """A clause with the previous step's intent and nothing of its own to run on (no other
    instrument, strategy, algorithm, model or expression) adds settings to that step."""
    intent, found = current
    if intent != previous[0] or intent == "compare":
        return False
    if found.side is not None and previous[1].side is not None and found.side.value != previous[1].side.value:
        return False  # "buy 100 SYN020 and sell 100 SYN020": two orders (asked about), never the first alone
    listed = intent == "evaluate_factors" and bool(previous[1].expressions)  # "A ; B": one list of formulas
    mine = (found.instruments, found.strategies, found.algos, found.models, [] if listed else found.expressions,
            found.themes)  # "再挖3个反转类因子" after momentum ones: another theme is another run
    theirs = (previous[1].instruments, previous[1].strategies, previous[1].algos, previous[1].models,
              previous[1].expressions, previous[1].themes)
    return all(not m or [v.value for v in m] == [v.value for v in t] for m, t in zip(mine, theirs, strict=True))


def _merge(a: Found, b: Found) -> Found:
    """``a`` with what ``b`` adds (``a`` wins where both state a value)."""
    merged = replace(a)
    for name in ("universe", "features", "horizon", "forward_days", "timesteps", "seed", "cash", "quantity", "side",
                 "top_k", "top_pct", "factor_count", "approval", "suggest", "condition", "limit_price"):
        if getattr(merged, name) is None:
            setattr(merged, name, getattr(b, name))
    for name in ("instruments", "algos", "models", "strategies", "periods", "costs", "expressions", "themes",
                 "all_features"):
        setattr(merged, name, [*getattr(a, name), *[v for v in getattr(b, name) if v not in getattr(a, name)]])
    merged.params = {**b.params, **a.params}
    merged.grid = {**b.grid, **a.grid}
    merged.tune = list(dict.fromkeys([*a.tune, *b.tune]))
    return merged


_EACH = ("each", "both", "separately", "respectively", "vs", "versus", "against", "compare", "各", "分别", "对比", "比较",
         "比一下", "哪个")


#: A run named as one already asked for ("the agent", "the model", "it", "该策略"): the step before, not a new one.
_RUN_BEFORE = re.compile(r"(?<![a-z])(?:the|that|this|our|my)\s+(?:agent|model|policy|strategy|run)(?![a-z])"
                         r"|^\W*(?:then\s+|and\s+)?(?:benchmark|compare|check|test)\s+(?:it|them)(?![a-z])"
                         r"|该策略|这个策略|这个模型|该模型|训练出的|训出来的|样本外区间再")


def _expand(clause: Clause, local: Found, norm: str = "") -> list[tuple[str, Found]]:
    """One clause naming several algorithms / strategies / models (or, with "each" / "vs",
    several instruments) to compare -> one step each, then a comparison."""
    intent = clause.intent or "unknown"
    benchmark = [v for v in local.strategies if v.value == "buy_and_hold"]
    if benchmark and intent in ("train_rl", "train_model", "optimize_strategy") and (
            intent != "optimize_strategy" or len(local.strategies) > len(benchmark)):
        # "see if it beats just holding gold", "优化完跟买入持有比一比": the benchmark is a run of its own
        mine = replace(local, strategies=[v for v in local.strategies if v.value != "buy_and_hold"])
        held = replace(local, strategies=benchmark[:1], algos=[], models=[], params={}, all_params=[], grid={}, tune=[],
                       timesteps=None, seed=None, features=None, top_k=None, top_pct=None, quantity=None, side=None)
        said = norm[clause.start:clause.end]
        if intent in ("train_rl", "train_model") and not local.algos and not local.models and _RUN_BEFORE.search(said):
            # "... Benchmark the agent against buy-and-hold over the OOS window": the run already asked for, not another
            return [("backtest_strategy", held), ("compare", Found())]
        return [*_expand(replace(clause, intent=intent), mine, norm)[:1], ("backtest_strategy", held), ("compare", Found())]
    if benchmark and intent == "optimize_strategy" and len(local.strategies) == len(benchmark):
        # "优化完拿最优参数跟买入持有比一比": buy and hold has nothing to tune; it is the yardstick
        return [("backtest_strategy", replace(local, grid={}, tune=[], params={}, all_params=[])), ("compare", Found())]
    seeds = _seeds_listed(norm[clause.start:clause.end]) if intent in ("train_rl", "train_model") else []
    if len(seeds) >= 2:
        # "train PPO twice, seed 1 and seed 2", "种子分别是1和2": one run per seed
        stability = [("compare", Found())] if _STABILITY.search(norm) and not _compared(norm) else []
        return [*[(intent, replace(local, seed=Value(s, clause.start, clause.end, f"seed {s}"))) for s in seeds],
                *_compared(norm), *stability]
    each_cost = _costs_each(norm[clause.start:clause.end], local) if intent in _RUNS else None
    if each_cost is not None:
        # "分别按万三和千一的手续费回测", "3bp commission vs zero commission, both ways": one run per cost, the
        # runs set side by side when a comparison is asked
        compared = [("compare", Found())] if _COMPARE_WORDS.search(norm) else []
        return [*[(intent, replace(local, costs=[c, *(o for o in local.costs if o.kind != c.kind and o not in each_cost)]))
                  for c in each_cost], *compared]
    versus = _one_setting_versus(norm[clause.start:clause.end], intent)
    if versus is not None:
        # "A2C on gold, 50k vs 200k timesteps", "动量策略回看期20天对比60天": one run per value, set side by side
        setting, amounts, where = versus
        runs = []
        for amount in amounts:
            given = Value(int(amount) if setting == "timesteps" else float(amount), where[0], where[1],
                          norm[where[0]:where[1]])
            runs.append((intent, replace(local, timesteps=given) if setting == "timesteps"
                         else replace(local, params={**local.params, "period": given},
                                      all_params=[*[(k, x) for k, x in local.all_params if k != "period"],
                                                  ("period", given)])))
        return [*runs, ("compare", Found())]
    feature_sets = list(dict.fromkeys(str(v.value) for v in local.all_features))
    if intent == "train_model" and len(feature_sets) >= 2:
        # "one LightGBM on alpha158 and another on alpha360", "mlp/alpha360 vs linear/alpha158": one model per
        # feature set (several models named are paired with the feature sets in the order both are said)
        models = _distinct(sorted(local.models, key=lambda v: v.start))
        steps = []
        for k, feature_set in enumerate(feature_sets):
            chosen = next(v for v in local.all_features if str(v.value) == feature_set)
            own_models = [models[k]] if len(models) == len(feature_sets) else models[:1]
            steps.append((intent, replace(local, features=chosen, all_features=[chosen], models=own_models)))
        return [*steps, ("compare", Found())]
    groups = {"train_rl": "algos", "backtest_strategy": "strategies", "train_model": "models",
              "optimize_strategy": "strategies"}
    name = groups.get(intent)
    values = getattr(local, name) if name else []
    distinct = list(dict.fromkeys(str(v.value) for v in values))
    if name is not None and len(distinct) >= 2:
        steps = [(intent, _own_params(replace(local, **{name: [v for v in values if str(v.value) == d][:1]}),  # type: ignore[arg-type]
                                      values, d, norm))
                 for d in distinct]
        windows = _own_windows(local, values, distinct)
        if windows:
            # "RSI on gold for 2019 and an SMA cross on gold for 2020": each run on its own window, which sets them
            # side by side only when the person asks for it
            return [*[(i, replace(f, periods=[w])) for (i, f), w in zip(steps, windows, strict=True)], *_compared(norm)]
        if _ADDED_ON.search(norm):
            return [*steps, *_compared(norm)]  # "run bollinger 20 on gold and also rsi 14 on the same": two runs asked
        return [*steps, ("compare", Found())]
    fasts = [(v, next((w for n, w in local.all_params if n == "slow" and w.start == v.start), None))
             for n, v in local.all_params if n == "fast"]
    if intent in ("backtest_strategy", "train_rl") and len(fasts) >= 2 and len(distinct) <= 1 and local.each:
        # "SMA 10/50 vs 20/100": one run per setting, then compared
        steps = []
        for fast, slow in fasts:
            own = {"fast": fast, **({"slow": slow} if slow is not None else {})}
            steps.append((intent, replace(local, params=own, all_params=list(own.items()))))
        return [*steps, ("compare", Found())]
    themes = list(dict.fromkeys(str(v.value) for v in local.themes))
    if intent == "mine_factors" and len(themes) >= 2 and (
            local.factor_count is not None or re.search(r"(?<![a-z])(?:each|respectively|separately)(?![a-z])|分别|各", norm)
            or _ADDED_ON.search(norm)):
        # "分别挖3个流动性因子和3个换手率因子", "mine liquidity factors and also turnover ones": one search per theme
        searches = [(intent, replace(local, themes=[v for v in local.themes if str(v.value) == t][:1])) for t in themes]
        return [*searches, *_compared(norm)]
    horizons = forward_horizons(norm) if intent == "evaluate_factors" and local.each and local.forward_days else []
    if len(horizons) >= 2:
        # "未来1天和未来5天收益各算一次", "score it on 5d and on 20d forward returns each": one evaluation per horizon
        said = re.sub(r"(?<![a-z])against\s+[^,;.]{0,40}?returns?", " ", norm)  # "against 5d and 20d returns": a score
        compared = [("compare", Found())] if lex.has_any(said, lex.CUES["compare"]) else []
        return [*[(intent, replace(local, forward_days=h)) for h in horizons], *compared]
    symbols = list(dict.fromkeys(str(v.value) for v in local.instruments))
    moved = _moved_between(norm[clause.start:clause.end], clause.start, local) if intent == "place_order" else None
    if moved is not None:
        return moved
    from agents.understand._numbers import relative_sizes

    relative = local.quantity is not None and local.quantity.kind == "fraction_of_position"
    said = norm[clause.start:clause.end]
    own_sizes = _sizes_each(norm, clause, local) if intent == "place_order" and len(symbols) >= 2 else None
    if own_sizes is not None:
        # "buy 100 units of SYN003 and 200 of SYN004", "gold with 10% of equity and nasdaq with 15%": each its own size
        return [(intent, replace(local, instruments=[v], quantity=q)) for v, q in own_sizes]
    if intent == "place_order" and len(symbols) >= 2 and (local.each or relative) \
            and len(order_sides(said)) <= 1 and relative_sizes(said) <= 1:
        # "SYN020、SYN021各砍一半", "close out SYN042 and SYN043": the same size of each position
        return [(intent, replace(local, instruments=[v for v in local.instruments if str(v.value) == sym][:1]))
                for sym in symbols]
    windows = [p for p in local.periods if p.role == "data" and p.start <= p.end]
    if intent in ("train_rl", "backtest_strategy", "show_price", "evaluate_factors", "mine_factors") and len(symbols) <= 1 \
            and local.each and len(windows) >= 2 \
            and all(a.end < b.start or b.end < a.start for a, b in zip(windows, windows[1:], strict=False)):
        # "buy and hold on the SP500: 1999-2002 vs 2003-2007": one run per window, then compared ("分别回测
        # 2000-2009 和 2010-2018": one run per window, and nothing compared that nobody asked to compare)
        return [*[(intent, replace(local, periods=[w])) for w in windows], *_compared(norm)]
    if intent == "recall" and len(symbols) >= 2 and lex.has_any(norm, lex.CUES["compare"]):
        # "把上次黄金的训练结果和昨天原油的回测结果对比一下": two earlier runs looked up, then set side by side
        return [*[(intent, _one_of(local, sym, norm)) for sym in symbols], ("compare", Found())]
    if intent in ("train_rl", "backtest_strategy", "optimize_strategy") and len(symbols) >= 2 and local.each:
        steps = [(intent, replace(local, instruments=[v for v in local.instruments if str(v.value) == sym][:1]))
                 for sym in symbols]
        return [*steps, *_compared(norm)]
    return [(intent, local)]


#: "Move 10% of equity out of the S&P and into gold", "把权益的10%从标普挪到黄金上": one size taken out of one
#: instrument and put into another - a sale and a buy of that size.
_OUT_OF = re.compile(r"(?<![a-z])(?:out\s+of|from)\s+(?:the\s+|my\s+|our\s+)?$|从\s*$"
                     # "rotate half my crude into gold", "把一半的原油换成黄金": the holding a share is taken from
                     r"|(?<![a-z])(?:half|a\s+(?:third|quarter)|all|\d+\s*%|\d+\s*percent)\s+(?:of\s+)?(?:my|our|the)\s+$"
                     r"|(?<![a-z])(?:rotate|move|shift|switch|swap|transfer)\s+(?:my|our|the)\s+$|(?:把|将)[^,，。]{0,6}?$")
_INTO = re.compile(r"(?<![a-z])(?:and\s+)?(?:in)?to\s+(?:the\s+|my\s+|our\s+)?$|(?:挪|转|换|调|移|腾)(?:到|进|去|至|成)\s*$|到\s*$"
                   r"|(?<![a-z])(?:for|into)\s+(?:some\s+)?$")
#: The whole of the holding moved ("everything out of nasdaq", "把纳斯达克的仓位全部挪到…", "all of my crude").
_WHOLE_MOVED = re.compile(r"(?<![a-z])(?:everything|all\s+of\s+(?:it|my|our)|the\s+whole\s+(?:position|thing)|all\s+my|all\s+our)"
                          r"(?![a-z])|(?:仓位|持仓)\s*全部|全部\s*(?:仓位|持仓)|全部|全都")
_MOVE_VERB = re.compile(r"(?<![a-z])(?:move|moving|shift|shifting|rotate|rotating|switch|switching|reallocate|transfer|"
                        r"swap)(?![a-z])|挪|转移|转到|换到|换成|调到|腾")


def _moved_between(text: str, start: int, local: Found) -> list[tuple[str, Found]] | None:
    """The two orders of a move of one size from one instrument into another, or None."""
    firsts: dict[str, Value] = {}
    for v in sorted(local.instruments, key=lambda v: v.start):
        firsts.setdefault(str(v.value), v)
    names = list(firsts.values())
    if len(names) != 2 or not _MOVE_VERB.search(text):
        return None
    source, target = names
    if not _OUT_OF.search(text[:source.start - start]) or not _INTO.search(text[source.end - start:target.start - start]):
        return None
    quantity = local.quantity
    if quantity is None:  # "rotate half my crude into gold", "把一半的原油换成黄金": the share said with no sale verb
        head = text[:source.end - start]
        verb = "卖 " if re.search(r"[\u4e00-\u9fff]", head) else "sell "
        share = find_quantity(verb + head)
        if share is not None and share.kind == "fraction_of_position":
            at = start + max(0, share.span.start - len(verb))
            quantity = QuantityMention(Span(at, at + len(share.span.text), share.span.text), share.kind, share.value, "sell")
    whole = _WHOLE_MOVED.search(text)
    if whole is not None and (quantity is None or (quantity.kind == "pct_equity" and quantity.value == 100)):
        # "move everything out of nasdaq ...", "把纳斯达克的仓位全部挪到黄金": all of that holding
        quantity = QuantityMention(Span(start + whole.start(), start + whole.end(), whole.group(0)),
                                   "fraction_of_position", 1.0, "sell")
    if quantity is None:
        return None
    sell = Value("sell", source.start, source.end, text[:source.end - start].strip())
    buy = Value("buy", target.start, target.end, text[:target.end - start].strip())
    # a share of the account moves as that share; a share of the holding (or a count of it) buys what its sale brings
    # in, which is known only once it fills: that size is asked, never carried over as a share of the other holding
    bought = quantity if quantity.kind in ("pct_equity", "notional") else None
    return [("place_order", replace(local, instruments=[source], side=sell, quantity=quantity)),
            ("place_order", replace(local, instruments=[target], side=buy, quantity=bought))]


_EACH_SAID = re.compile(r"(?<![a-z])(?:each|separately|respectively|individually|for\s+both|on\s+both|both\s+of\s+them)"
                        r"(?![a-z])|分别|各自?|逐个|一人一个|两个都|都各")


def _each_inherited(text: str, local: Found, out: list[tuple[str, Found]],
                    expanded: list[tuple[str, Found]]) -> list[tuple[str, Found]] | None:
    """A run that names no instrument but says "each" over the instruments the step before
    named ("再分别回测个买入持有", "then backtest buy-and-hold on each"): one run per instrument,
    then compared where the clause asks for it (a later "比一下" adds the comparison itself)."""
    runs = [e for e in expanded if e[0] != "compare"]
    if not out or len(runs) != 1 or runs[0][0] not in ("backtest_strategy", "train_rl", "optimize_strategy") \
            or local.instruments or not _EACH_SAID.search(text):
        return None
    before = list(dict.fromkeys(str(v.value) for v in out[-1][1].instruments))
    if len(before) < 2:
        return None
    intent, found = runs[0]
    steps = [(intent, replace(found, instruments=[v for v in out[-1][1].instruments if str(v.value) == sym][:1]))
             for sym in before]
    return [*steps, *([("compare", Found())] if len(expanded) > 1 or _compared(text) else [])]


_PIECE_JOIN = re.compile(r"(?<![a-z])(?:and|plus|also|then)(?![a-z])|(?<!\d),|,(?!\d)|[，、;；和及与跟]|以及|另外|再")
#: The unit a bare number of a later piece takes from the first piece's size ("... and 200 of SYN004").
_LIKE_FIRST = {"units": (None, "unit", "share"), "lots": (None, "lot"), "pct_equity": ("percent",),
               "fraction_of_position": ("percent",), "notional": (None, "money", "yuan", "dollar", "wan")}


#: A size said without an amount ("some crude", "原油也加点"): an order whose size is still to be asked.
_VAGUE_SIZE = re.compile(r"(?<![a-z])(?:some|a\s+bit(?:\s+of)?|a\s+little(?:\s+bit)?|more|a\s+few)(?![a-z])|点|些")


def _sizes_each(norm: str, clause: Clause, local: Found) -> list[tuple[Value, QuantityMention | None]] | None:
    """One order clause naming several instruments, each with a size of its own: (instrument, size) in
    the order said, or None when the sizes cannot be paired one to one (then one size, or a question)."""
    if local.quantity is None or len(order_sides(norm[clause.start:clause.end])) > 1:
        return None
    firsts: dict[str, Value] = {}
    for v in sorted(local.instruments, key=lambda v: v.start):
        firsts.setdefault(str(v.value), v)
    mentions = list(firsts.values())
    if len(mentions) < 2 or any(not clause.start <= v.start < clause.end for v in mentions):
        return None
    if re.search(r"(?<![a-z])each(?![a-z])|各|每(?:个|只|支)", norm[clause.start:mentions[1].start]):
        return None  # "buy 1,500 shares each of SYN012 and SYN013, they are the two I flagged": one size for every one
    cuts = [clause.start]
    for left, right in zip(mentions, mentions[1:], strict=False):
        joins = list(_PIECE_JOIN.finditer(norm, left.end, right.start))
        if not joins:
            return None  # "SYN003/SYN004 100 each": no piece of its own for each
        cuts.append(joins[-1].start())
    cuts.append(clause.end)
    blanked = blank(norm, [(v.start, v.end) for v in local.instruments])
    side = local.side.value if local.side is not None else (local.quantity.side or "buy")
    out: list[tuple[Value, QuantityMention | None]] = []
    first = local.quantity
    for mention, a, b in zip(mentions, cuts, cuts[1:], strict=False):
        piece = blanked[a:b]
        got = find_quantity(piece) or find_quantity(f"{'sell' if side == 'sell' else 'buy'} {piece}")
        if got is None:
            numbers = [n for n in find_numbers(piece) if n.unit in _LIKE_FIRST.get(first.kind, ())]
            if not numbers and _VAGUE_SIZE.search(piece):
                out.append((mention, None))  # "buy 1 lot of gold and some crude": that size is asked, never copied
                continue
            if len(numbers) != 1:
                return None
            n = numbers[0]
            value = n.value / 100 if first.kind == "fraction_of_position" else n.value
            got = QuantityMention(Span(a + n.span.start, a + n.span.end, n.span.text), first.kind, value, first.side)
        else:
            got = QuantityMention(Span(a + got.span.start, a + got.span.end, got.span.text), got.kind, got.value,
                                  got.side)
        out.append((mention, got))
    return out if sum(q is not None for _, q in out) >= 1 else None


def _own_windows(local: Found, values: list[Value], distinct: list[str]) -> list[PeriodMention]:
    """The window each of several strategies (algorithms, models) is run on, when each is said next to one of its
    own (all after their strategy, or all before it) and the windows do not overlap (none when they share one)."""
    windows = sorted((p for p in local.periods if p.role == "data" and p.start <= p.end), key=lambda p: p.span.start)
    firsts = [min(v.start for v in values if str(v.value) == d) for d in distinct]
    if len(windows) != len(distinct) or firsts != sorted(firsts):
        return []
    if any(not (a.end < b.start or b.end < a.start) for a, b in zip(windows, windows[1:], strict=False)):
        return []
    after = zip(firsts, windows, [*firsts[1:], 10**9], strict=True)  # "RSI for 2019 and an SMA cross for 2020"
    before = zip([-1, *firsts[:-1]], windows, firsts, strict=True)  # "2019年回测RSI，2020年回测双均线"
    if all(a <= w.span.start < b for a, w, b in after) or all(a < w.span.start < b for a, w, b in before):
        return windows
    return []


#: What joins two runs named in one clause ("gold's PPO run and yesterday's crude backtest").
_JOIN = re.compile(r"(?<![a-z])(?:and|with|vs\.?|versus|against|to)(?![a-z])|和|与|跟|同")


def _one_of(local: Found, symbol: str, norm: str) -> Found:
    """The part of a clause that names ``symbol`` when the clause names several runs: from the word that
    joins it to the run before up to the word that joins the next (its algorithm, model, window)."""
    starts = sorted({v.start for v in local.instruments})
    mine = min(v.start for v in local.instruments if str(v.value) == symbol)
    k = starts.index(mine)
    def cut(a: int, b: int) -> int:
        joins = [m.start() for m in _JOIN.finditer(norm, a, b)]
        return joins[-1] if joins else b
    lo = cut(starts[k - 1], mine) if k else 0
    hi = cut(mine, starts[k + 1]) if k + 1 < len(starts) else len(norm)
    def keep(values: list[Value]) -> list[Value]:
        return [v for v in values if lo <= v.start < hi]
    periods = [p for p in local.periods if lo <= p.span.start < hi]
    return replace(local, instruments=keep(local.instruments)[:1], algos=keep(local.algos), models=keep(local.models),
                   strategies=keep(local.strategies), periods=periods, scope=(lo, hi))


#: Words that set runs side by side (beyond "each / both / 分别 / 各", which only distribute a verb).
_SIDE_WORDS = ("vs", "versus", "against", "哪个", "还是", "side by side", "side-by-side", "next to each other", "放一起",
               "放在一起", "并排", "一起比", "rank them", "rank the two", "rank both")


#: "seed 1 and seed 2", "seeds 3, 5 and 7", "种子分别是1和2": several seeds, one run each.
_SEEDS = re.compile(r"(?:(?<![a-z])(?:random\s+)?seeds\s*(?:of\s+|=\s*|:\s*)?(\d{1,6}(?:\s*,\s*\d{1,6})*\s*,?\s*(?:and|&|/)\s*\d{1,6})"
                    r"|(?<![a-z])seed\s*(\d{1,6}\s*(?:and|&|or|vs\.?|versus)\s*(?:seed\s*)?\d{1,6})"
                    r"|(?:随机)?种子\s*(?:分别)?\s*(?:是|为|设为|用|取)?\s*[(（]?\s*(\d{1,6}(?:\s*(?:和|、|与|跟|/)\s*\d{1,6})+)"
                    # "once with seed 1 and once with seed 2", "一次种子1一次种子2", "种子1跑一次，种子2跑一次"
                    r"|(?<![a-z])(seed\s*\d{1,6}[^.;\d]{0,24}?(?:and|,)\s*(?:once\s+|then\s+|again\s+)?(?:with\s+)?seed\s*\d{1,6})"
                    r"|(种子\s*\d{1,6}[^。;；\d]{0,8}?(?:和|、|,|，|一次|再)\s*(?:一次)?\s*(?:用)?种子\s*\d{1,6}))"
                    r"(?![\d.])(?!\s*(?:k\b|steps?|timesteps|bps?|%|步|万|千))")


#: Runs that differ only by their seed, asked about how much the seed matters ("how stable are the test ICs",
#: "how much the seed moves the results", "看看结果稳不稳定"): the runs set side by side.
_STABILITY = re.compile(r"(?<![a-z])(?:stab(?:le|ility)|robust(?:ness)?|consistent|consistency|vary|varies|variance|"
                        r"spread|how\s+much\s+(?:the\s+)?seed)(?![a-z])|稳不稳定|稳定性?|稳健|差别|差异|差多少|影响多大|波动多大")


#: One setting given two values to set against each other: "50k vs 200k timesteps", "回看期20天对比60天",
#: "a 20-day vs a 60-day lookback".
_STEPS_VERSUS = re.compile(r"(?<![\d.])(\d+(?:\.\d+)?\s*[km]?)\s*(?:steps?|timesteps)?\s*(?:vs\.?|versus|对比|against|or)\s*"
                           r"(\d+(?:\.\d+)?\s*[km]?)\s*(?:time\s*steps?|timesteps|steps?|万步|步)(?![a-z])", re.I)
_DAYS_VERSUS = re.compile(r"(?<![\d.])(\d{1,3})\s*(?:-?\s*days?|日|天|d)\s*(?:lookback\s+|window\s+)?(?:vs\.?|versus|对比|比)\s*(?:an?\s+)?"
                          r"(\d{1,3})\s*(?:-?\s*days?|日|天|d)(?![a-z])")


def _not_versus(norm: str, unused: list[str]) -> list[str]:
    """The unused numbers less those of a setting set against itself ("10-day vs 40-day"): each is a run's own."""
    said = " ".join(m.group(0) for p in (_STEPS_VERSUS, _DAYS_VERSUS) for m in p.finditer(norm))
    return [u for u in unused if u not in said]


#: Words that ask for runs side by side ("对比一下两者差多少", "put the two results next to each other").
_COMPARE_WORDS = re.compile(r"(?<![a-z])(?:compar\w*|vs\.?|versus|side\s+by\s+side|next\s+to\s+each\s+other|how\s+much\s+"
                            r"(?:the\s+)?costs?\s+(?:eat|take|cost))(?![a-z])|对比|比较|比一比|比一下|差多少|差别")
_EACH_RUN = re.compile(r"(?<![a-z])(?:vs\.?|versus|both\s+ways|each(?!\s+(?:way|side|leg|trade|direction|order|fill)))(?![a-z])"
                       r"|分别|各(?:跑|回测|测)|一次[^。]*再[^。]*一次")


def _costs_each(text: str, local: Found) -> list[Any] | None:
    """Two costs of one kind said for one run, one each time ("分别按万三和千一的手续费", "3bp commission vs zero
    commission", "先不加滑点跑一次，再加上万二的滑点跑一次"): the costs, one per run (None when not so said)."""
    if len(local.costs) < 2 or not _EACH_RUN.search(text):
        return None
    kinds = [c.kind for c in local.costs]
    for kind in ("commission", "slippage", "cost"):
        same = [c for c in local.costs if c.kind == kind or (c.kind == "cost" and kind != "cost" and kinds.count(kind) == 1)]
        if len(same) >= 2 and len({c.rate for c in same}) == len(same):
            return [replace(c, kind=kind) if c.kind != kind else c for c in same]
    return None


def _one_setting_versus(text: str, intent: str) -> tuple[str, list[float], tuple[int, int]] | None:
    """(setting, values, span) of one setting said with two values against each other, or None."""
    if intent == "train_rl":
        m = _STEPS_VERSUS.search(text)
        if m is not None:
            # "10万步 对比 20万步": 万 counts ten thousands ("w" to the amount reader)
            values = [_amount(g if "万步" not in m.group(0) else g.strip() + "w") for g in (m.group(1), m.group(2))]
            if all(v is not None and v >= 1000 for v in values) and values[0] != values[1]:
                return "timesteps", [float(v) for v in values if v is not None], m.span()
    if intent == "backtest_strategy":
        m = _DAYS_VERSUS.search(text)
        if m is not None and m.group(1) != m.group(2):
            return "period", [float(m.group(1)), float(m.group(2))], m.span()
    return None


def _seeds_listed(text: str) -> list[int]:
    """The seeds a clause lists (empty when it names one or none)."""
    match = _SEEDS.search(text)
    if match is None:
        return []
    return list(dict.fromkeys(int(n) for n in re.findall(r"\d+", next(g for g in match.groups() if g))))


#: "X, and also Y": a second run added to the first, not set against it (unless the person asks).
_ADDED_ON = re.compile(r"(?<![a-z])(?:and\s+also|as\s+well\s+as|and\s+additionally|plus\s+also)(?![a-z])|另外再?|顺便")


def _compared(norm: str) -> list[tuple[str, Found]]:
    """The comparison closing runs one verb distributes over, when the person asks for one."""
    if not norm or lex.has_any(norm, lex.CUES["compare"]) or lex.has_any(norm, _SIDE_WORDS) or asks_which(norm) \
            or asks_better(norm):
        return [("compare", Found())]
    return []


_BARRIER = re.compile(r"(?<![a-z])(?:vs\.?|versus|against|and|or|then|compared? (?:to|with))(?![a-z])|[与和或跟对比;；。]")


def _own_params(local: Found, values: list[Value], chosen: str, norm: str = "") -> Found:
    """The parameters stated next to this strategy ("bollinger (20, 2) vs rsi (14)", "20-day momentum
    vs buy and hold"): each parameter goes to the strategy word nearest to it."""
    hits = sorted(values, key=lambda v: v.start)

    def distance(p: Value, h: Value) -> int:
        if p.start < h.end and h.start < p.end:
            return 0  # "动量60日": the strategy word is part of the parameter's own words
        return min(abs(p.start - h.end), abs(h.start - p.end))

    def nearest(p: Value) -> str:
        before = [h for h in hits if h.end <= p.start and p.start - h.end <= 30]
        if before and not _BARRIER.search(norm[before[-1].end:p.start]):
            return str(before[-1].value)  # "bollinger (20, 2) vs rsi (14)": a strategy's own brackets follow it
        return str(min(hits, key=lambda h: distance(p, h)).value)

    own: dict[str, Value] = {}
    for name, p in local.all_params or list(local.params.items()):
        if nearest(p) == chosen:
            own.setdefault(name, p)
    return replace(local, params=own)


_TRAINED = frozenset({"train_rl", "train_model"})


def _compared_on(steps: list[tuple[str, Found]]) -> list[tuple[str, Found]]:
    """"train PPO and A2C on 2019-2023 ... and compare their Sharpe on 2024": the window the comparison names
    is where the runs before it are tested (when none of them has a test window of its own) - not dropped."""
    out = list(steps)
    for k, (intent, found) in enumerate(out):
        windows = [p for p in found.periods if p.start <= p.end]
        runs = [j for j in range(k) if out[j][0] in _TRAINED]
        if intent != "compare" or len(windows) != 1 or not runs:
            continue
        if any(p.role == "test" for j in runs for p in out[j][1].periods):
            continue
        test = replace(windows[0], role="test")
        fits = [[p for p in out[j][1].periods if p.role in ("data", "train")] for j in runs]
        if not all(fit and all(p.end < test.start for p in fit) for fit in fits):
            continue  # a run with no window of its own (the comparison's is its data), or one it overlaps: as said
        for j in runs:
            out[j] = (out[j][0], replace(out[j][1], periods=[*out[j][1].periods, test]))
        out[k] = (intent, replace(found, periods=[p for p in found.periods if p is not windows[0]]))
    return out


#: "buy some of the best ones", "buy the top picks", "买一些排名靠前的": the model's picks, how many unsaid.
_PICKS_SAID = re.compile(r"(?<![a-z])(?:best|top|highest[- ]ranked|highest|strongest|picks?|winners|leaders|top[- ]ranked)"
                         r"(?![a-z])|排名靠前|靠前的|最好的|前几|排名前|得分最高|分数最高|[挑选]几只|几只好的|几个好的")


#: "把纳指全卖了，钱全部买标普": after a sale, "the money, all of it" is what the sale brings in.
_SALE_MONEY_ALL = re.compile(r"(?:[,;]|然后|再|接着)\s*(?:把)?(?:钱|资金|现金|这笔钱)\s*(?:全部|全都|都|全)")


def _of_the_sale(steps: list[StepSpec], norm: str) -> list[StepSpec]:
    """A buy sized as "all the money" right after a sale spends the sale's proceeds, not the whole
    account: its size is known only once the sale fills, so it is asked, never read as 100 % of equity."""
    share = _SALE_MONEY_SHARE.search(norm) is not None  # "put 50% of the money into SYN010": of the sale's money
    if not _SALE_MONEY_ALL.search(norm) and not share:
        return steps
    out = list(steps)
    for i in range(1, len(out)):
        before, step = out[i - 1], out[i]
        if step.intent == before.intent == "place_order" and step.side is not None and step.side.value == "buy" \
                and before.side is not None and before.side.value == "sell" and step.quantity is not None \
                and step.quantity.value.kind == "pct_equity" and (share or step.quantity.value.value >= 100):
            out[i] = step.model_copy(update={"quantity": None})
    return out


#: A share of "the money" / "the proceeds" after a sale: of what the sale brings in, not of the account.
_SALE_MONEY_SHARE = re.compile(r"(?:\d+(?:\.\d+)?\s*(?:%|percent|pct)|half|a\s+(?:third|quarter)|all)\s+(?:of\s+)?"
                               r"(?:the|that|this)\s+(?:money|cash|funds|proceeds)(?![a-z])(?!\s+(?:we|i)\s+have)")


def _implied(steps: list[tuple[str, Found]], norm: str = "") -> list[tuple[str, Found]]:
    """A model step that also buys its top picks gets an order step after it - also when how many
    is not said ("... and buy some of the best ones"): that order's size is then asked, never
    guessed, and never dropped."""
    out: list[tuple[str, Found]] = []
    for intent, found in steps:
        out.append((intent, found))
        picks = found.top_k is not None or found.top_pct is not None
        buys = found.side is not None and found.side.value == "buy"
        if intent == "train_model" and buys and (picks or _PICKS_SAID.search(norm)) \
                and not any(i == "place_order" for i, _ in steps):
            out.append(("place_order", found))
    return out


# --- skeleton -> StepSpec ---------------------------------------------------------------------
def _windows(found: Found, intent: str = "") -> Windows:
    """The step's windows; one that starts after it ends (after the data) is left out here and
    asked about by :func:`_outside_data`.

    "Train on the last 5 years" with nothing held out names the data to use, not the training
    split: a lone training window is the data window (the executor splits it by time), and a
    test window inside a training window makes the latter the data window too.
    """
    parts: dict[str, Sourced[Window]] = {}
    for period in found.periods:
        key = period.role
        if period.tuning and intent != "train_model":
            key = "train"  # "1995-2010 调参" for a strategy search: where it tunes is where it runs (in sample)
        if period.start > period.end:
            continue
        item = _stated(Window(start=period.start, end=period.end), period.span.text)
        if key not in parts:
            parts[key] = item
        elif key == "data" and _ISO_RANGE.search(item.said or "") and not _ISO_RANGE.search(parts[key].said or ""):
            parts[key] = item  # "through the 2008 crisis, i.e. from 2007-10-01 to 2009-03-31": the exact dates decide
        elif key == "data" and _inside(parts[key].value, item.value) and parts[key].value != item.value:
            parts[key] = item  # "the 2008 crash? Say 2007 through 2009": the wider window refines the event
        elif "data" not in parts and "train" not in parts and _inside(item.value, parts[key].value):
            parts["data"], parts[key] = parts[key], item  # "the last 10 years with the final 2 out of sample"
        elif "data" not in parts and _inside(parts[key].value, item.value):
            parts["data"] = item
    if intent != "train_model" and "valid" in parts and "test" not in parts:
        parts["test"] = parts.pop("valid")  # "2021年以后验证" after a search: only Qlib models have a validation split
    elif intent != "train_model" and "valid" in parts and "train" not in parts:
        parts["train"] = parts.pop("valid")  # "调参 2000-2012, 样本外 2013-2018": the tuning window is in sample
    train, test = parts.get("train"), parts.get("test")
    if train is not None and test is not None and test.value.start == train.value.end > train.value.start:
        # "in-sample to mid-2020, out-of-sample from mid-2020": one boundary day, not a test inside the training
        train = parts["train"] = train.model_copy(update={"value": Window(
            start=train.value.start, end=train.value.end - timedelta(days=1))})
    data = parts.get("data")
    if train is not None and data is None and "valid" not in parts and (
            test is None or test.value.start <= train.value.end):
        parts["data"] = parts.pop("train")
    elif data is not None and train is None and test is not None and test.value.start > data.value.end:
        parts["train"] = parts.pop("data")  # "2000-2014, OOS 2015-2018": the first window is in sample
    return Windows(data=parts.get("data"), train=parts.get("train"), valid=parts.get("valid"), test=parts.get("test"))


_ISO_RANGE = re.compile(r"\d{4}-\d{2}-\d{2}\D{1,12}\d{4}-\d{2}-\d{2}")


def _clip_open_starts(steps: list[StepSpec], catalog: Sequence[CatalogEntry]) -> list[StepSpec]:
    """"Up to end-2012" / "until 2018" start where the data starts (the parser leaves them open);
    "gold since 2015 and the S&P since 2015" end where each one's data ends."""
    starts = {e.name: date.fromisoformat(e.start) for e in catalog if e.start}
    ends = {e.name: date.fromisoformat(e.end) for e in catalog if e.end}
    out = []
    for step in steps:
        names = [str(i.value) for i in step.instruments] + ([str(step.universe.value)] if step.universe else [])
        first = min((starts[n] for n in names if n in starts), default=None)
        last = max((ends[n] for n in names if n in ends), default=None)
        parts = {}
        for role in ("data", "train", "valid", "test"):
            item = getattr(step.windows, role)
            if item is not None and item.value.start == date.min and first is not None:
                item = item.model_copy(update={"value": Window(start=first, end=item.value.end)})
            if item is not None and last is not None and item.value.start <= last < item.value.end:
                item = item.model_copy(update={"value": Window(start=item.value.start, end=last)})
            parts[role] = item
        out.append(step.model_copy(update={"windows": Windows(**parts)}))
    return out


#: "whole history", "since inception", "全部历史": every day the store holds for what the step runs on.
_WHOLE_HISTORY = re.compile(r"(?<![a-z])(?:(?:the\s+)?(?:whole|full|entire|complete)\s+(?:price\s+|data\s+)?(?:history|sample|"
                            r"data\s*set|dataset|record)|all\s+(?:the\s+)?(?:available\s+)?(?:history|data)|since\s+inception|"
                            r"all\s+available\s+dates|(?:every|all)\s+(?:the\s+)?days?\s+(?:you|we)\s+have)(?![a-z])|"
                            r"全部历史|所有历史|全历史|整段历史|全部数据|所有数据|全样本|有数据以来|上市以来|成立以来|有史以来")


def _whole_history(norm: str, steps: list[StepSpec], catalog: Sequence[CatalogEntry]) -> list[StepSpec]:
    """A step without a window of its own, said to run over the whole history, gets the data's full range."""
    said = _WHOLE_HISTORY.search(norm)
    if said is None:
        return steps
    spans = {e.name: (date.fromisoformat(e.start), date.fromisoformat(e.end)) for e in catalog if e.start and e.end}
    out = []
    for step in steps:
        names = [str(i.value) for i in step.instruments] + ([str(step.universe.value)] if step.universe else [])
        ranges = [spans[n] for n in names if n in spans]
        windows = step.windows
        if step.intent in _WINDOWED and ranges and windows.data is None and windows.train is None and windows.test is None:
            whole = Window(start=max(r[0] for r in ranges), end=min(r[1] for r in ranges))  # the span all of them cover
            step = step.model_copy(update={"windows": Windows(data=_stated(whole, said.group(0)), valid=windows.valid)})
        out.append(step)
    return out


def _inside(inner: Window, outer: Window) -> bool:
    return outer.start <= inner.start and inner.end <= outer.end and inner != outer


def _outside_data(found: Found, catalog: Sequence[CatalogEntry], language: str) -> str | None:
    """A stated window the named data cannot serve at all (it starts after the data ends, or
    ends before it starts): said, with the data's range, instead of silently moved."""
    spans = {e.name: (date.fromisoformat(e.start), date.fromisoformat(e.end)) for e in catalog if e.start and e.end}
    names = [str(v.value) for v in found.instruments] + ([str(found.universe.value)] if found.universe else [])
    for period in found.periods:
        for name in names:
            first, last = spans.get(name, (date.min, date.max))
            if period.start > min(period.end, last) or period.end < first:
                if language == "zh":
                    return (f"“{period.span.text.strip()}”不在 {name} 的数据范围内（{first}..{last}），"
                            "请换一个数据中有的区间")
                return (f"\"{period.span.text.strip()}\" is outside the data for {name} ({first}..{last}); "
                        "please give a window inside it")
    return None


def _costs(found: Found) -> Costs:
    commission = next((c for c in found.costs if c.kind in ("commission", "cost")), None)
    slippage = next((c for c in found.costs if c.kind == "slippage"), None) or next(
        (c for c in found.costs if c.kind == "cost" and c.rate == 0.0), None)  # "no costs": none of either
    return Costs(commission=_stated(commission.rate, commission.span.text) if commission else None,
                 slippage=_stated(slippage.rate, slippage.span.text) if slippage else None)


def _one(v: Value | None, cast: type = str) -> Sourced[Any] | None:
    return None if v is None else _stated(cast(v.value), v.said)


def _ref(norm: str, found: Found) -> Sourced[RunRef] | None:
    """The earlier run a recall points at; of several named in one clause, each is read in its own part."""
    if found.scope is not None:
        whole = replace(found, scope=None)
        part = _ref(" " * found.scope[0] + norm[found.scope[0]:found.scope[1]], whole)  # offsets kept
        return part if part is not None else _ref(norm, whole)
    from agents.understand._intents import DAY_RUN, EARLIER

    span = lex.span_of(norm, lex.CUES["recall"])
    if span is None:
        earlier = EARLIER.search(norm) or DAY_RUN.search(norm) or REFERS.search(norm)
        span = earlier.span() if earlier else None
    if span is None:
        return None
    day = next((p.start for p in found.periods if p.start == p.end), None)
    iso = re.search(r"\b(\d{4}-\d{2}-\d{2})\b", norm)
    if day is None and iso is not None:  # "the run from 2025-11-20": the day it ran, not a window from it
        try:
            day = date.fromisoformat(iso.group(1))
        except ValueError:
            day = None
    if day is None:  # "the gold PPO run from 14 Nov 2025", "2025年10月20日训练的那个": the day said in words
        day = _day_in_words(norm)
    when = day.isoformat() if day else (
        "yesterday" if lex.has_any(norm, ("yesterday", "yesterday's", "yesterdays", "yday", "yday's", "ydays", "昨天", "昨日")) else "last")
    kind = "factor" if lex.has_any(norm, lex.CUES["factor"]) else (
        "rl" if (found.algos or lex.has_any(norm, (*lex.CUES["rl"], *_ALGO_WORDS))) else (
            "model" if found.models or lex.has_any(norm, lex.CUES["model"]) else (
                "backtest" if found.strategies or lex.has_any(norm, lex.CUES["backtest"]) else "any")))
    asset = str(found.instruments[0].value) if found.instruments else None
    return _stated(RunRef(kind=kind, asset=asset, when=when), norm[span[0]:span[1]])  # type: ignore[arg-type]


#: "which algo won the WTI comparison last time?": the runs recalled are RL runs (the algorithms are PPO, SAC ...).
_ALGO_WORDS = ("algo", "algos", "algorithm", "algorithms", "算法")


def _quantity(found: Found) -> Sourced[Quantity] | None:
    q = found.quantity
    if q is None or (q.kind == "fraction_of_position" and q.value > 1):
        return None  # "sell 150% of my crude": asked about (conflict_of), never capped to 100 %
    if found.quantity_carried:  # "same size again on gold": the earlier order's size, shown and approved
        return _inferred(Quantity(kind=q.kind, value=q.value), q.span.text.strip()[:200] or None)
    return _stated(Quantity(kind=q.kind, value=q.value), q.span.text)


#: Intents without a train/test split: a lone "test" window ("test them over the last 3 years",
#: "evaluate ... from 2018 to 2024") is the window they run on.
_NO_SPLIT = frozenset({"backtest_strategy", "show_price", "evaluate_factors", "mine_factors", "recall"})


_FACTOR_WORK = frozenset({"evaluate_factors", "mine_factors"})
#: Factor work named ("the factors we mined last time", "上次因子挖掘的结果").
_FACTOR_WORD = re.compile(r"(?<![a-z])(?:factors?|alphas?)(?![a-z])|因子")
#: Words that name a held-out split, not the verb "test": factors checked "样本外用2023年以后" or "out of
#: sample from 2021" keep that window as their test window.
_SPLIT_WORD = re.compile(r"样本外|测试集|测试期|确认期|(?<![a-z])(?:out[- ]of[- ]sample|oos|hold[- ]?out|held[- ]out|test(?:ing)?\s+"
                         r"(?:set|period|window)|confirm(?:s|ed|ing|ation)?|(?<!and )holds?(?:\s+up)?|still\s+works?"
                         r"|survives?|persists?)(?![a-z])")


def _held_out(norm: str, found: Found) -> bool:
    """Whether a test window of ``found`` is named by a split word right next to it."""
    return any(p.role == "test" and (_SPLIT_WORD.search(norm, max(0, p.span.start - 16), p.span.start)
                                     or _SPLIT_WORD.search(norm[p.span.end:p.span.end + 16]))
               for p in found.periods)


#: The winner of a search, named between its in-sample span and a later one.
_WINNER_WORD = re.compile(r"(?<![a-z])(?:winner|winning|best|optimal|optimum|top)(?![a-z])|最优|最佳|最好的?(?:参数|那组|一组)|胜出")


def _step(intent: str, found: Found, norm: str) -> StepSpec:
    windows = _windows(found, intent)
    if intent == "optimize_strategy" and windows.test is None and windows.train is None and len(found.periods) == 2:
        first, later = sorted(found.periods, key=lambda p: p.span.start)
        if first.role == later.role == "data" and later.start >= first.end - timedelta(days=7) \
                and _WINNER_WORD.search(norm, first.span.end, later.span.start):
            # "sweep ... from 1999 to 2012, and let me see what the winner does on 2013-2018": the winner's span is
            # the search's held-out test
            windows = _windows(replace(found, periods=[first, replace(later, role="test")]), intent)
    if intent == "optimize_strategy" and windows.test is None and windows.train is not None and windows.data is not None \
            and windows.data.value.start >= windows.train.value.end - timedelta(days=7):
        # "样本内用2005到2014年，调出来的参数拿2015年之后的数据跑个样本外": the in-sample span and a later one the
        # winner runs on - that later span is the search's held-out test, never the data it searches
        windows = Windows(train=windows.train, test=windows.data)
    if intent in _NO_SPLIT and windows.test is not None and windows.data is None and windows.train is None \
            and not (intent in _FACTOR_WORK and _held_out(norm, found)):
        windows = Windows(data=windows.test)  # "test a golden cross over the 2000s": a backtest window
    return StepSpec(
        intent=intent,  # type: ignore[arg-type]
        agent=AGENT_OF.get(intent),
        instruments=tuple(_stated(str(v.value), v.said) for v in _distinct(found.instruments)),
        universe=_one(found.universe), algo=_one(found.algos[0] if found.algos else None),
        model=_one(found.models[0] if found.models else None), features=_one(found.features),
        strategy=_one(found.strategies[0] if found.strategies else None),
        params={k: _stated(float(v.value), v.said) for k, v in found.params.items()},  # type: ignore[arg-type]
        grid={k: (_inferred if k in found.spread else _stated)(tuple(v.value), v.said)  # type: ignore[operator,arg-type]
              for k, v in found.grid.items()},  # type: ignore[call-overload,arg-type]
        tune=tuple(found.tune) or _searched_by_default(intent, found), windows=windows, costs=_costs(found),
        horizon=_one(found.horizon), forward_days=_one(found.forward_days, int), timesteps=_one(found.timesteps, int),
        seed=_one(found.seed, int), cash=_one(found.cash, float), side=_one(found.side),
        quantity=_quantity(found), condition=_one(found.condition) if intent == "place_order" else None,
        limit_price=_one(found.limit_price, float) if intent == "place_order" else None, top_k=_one(found.top_k, int), top_pct=_one(found.top_pct, float),
        expressions=tuple(_stated(str(v.value), v.said) for v in found.expressions),
        theme=_one(found.themes[0] if found.themes else None), factor_count=_one(found.factor_count, int),
        ref=_ref(norm, found) if intent == "recall" else None,
        suggest=found.suggest is not None or found.horizon is not None,
        all_positions=intent == "place_order" and found.all_positions is not None and not found.instruments,
    )


def _recalled_asset(steps: list[StepSpec], norm: str = "") -> list[StepSpec]:
    """"刚才黄金那个回测，手续费改成万五再跑一遍": the run after a recall is on the recalled run's asset."""
    out = list(steps)
    for i in range(1, len(out)):
        ref = out[i - 1].ref
        if out[i - 1].intent == "recall" and ref is not None and ref.value.asset and not out[i].instruments \
                and out[i].intent in NEEDS_INSTRUMENT:
            out[i] = out[i].model_copy(update={"instruments": (_inferred(ref.value.asset, ref.said),)})
    for i in range(1, len(out)):  # "plot gold since 2020, then tell me how yesterday's PPO run on it did"
        ref = out[i].ref
        before = out[i - 1].instruments
        if out[i].intent == "recall" and ref is not None and not ref.value.asset and len(before) == 1 \
                and _ON_IT.search(norm):
            asset = str(before[0].value)
            out[i] = out[i].model_copy(update={"ref": ref.model_copy(update={"value": ref.value.model_copy(
                update={"asset": asset})}), "instruments": out[i].instruments or before})
    return out


_ON_IT = re.compile(r"(?<![a-z])(?:run|model|agent|backtest|training)\s+(?:on|for|of|with)\s+(?:it|that|this)(?![a-z])"
                    r"|在(?:它|这个|那个)上(?:面)?(?:跑|训|回测)")


def _recalled_kind(steps: list[StepSpec]) -> list[StepSpec]:
    """"先训练TD3……再把结果和昨天那个黄金模型比一下": a run recalled to be compared with RL training, named
    only as "the model", is an RL run (a Qlib model would be named: LightGBM, an MLP, alpha158)."""
    runs = {s.intent for s in steps if s.intent in _RUNS}
    if runs != {"train_rl"} or not any(s.intent == "compare" for s in steps):
        return steps
    out = []
    for step in steps:
        ref = step.ref
        if step.intent == "recall" and ref is not None and ref.value.kind in ("model", "any") \
                and step.model is None and step.features is None:
            kind = ref.value.model_copy(update={"kind": "rl"})
            step = step.model_copy(update={"ref": ref.model_copy(update={"value": kind})})
        out.append(step)
    return out


def _distinct(values: list[Value]) -> list[Value]:
    seen: dict[str, Value] = {}
    for v in values:
        seen.setdefault(str(v.value), v)
    return list(seen.values())


#: What "make the moving-average strategy better" searches when no parameter is named: the ones
#: that define the strategy (the planner names their ranges as defaults).
_DEFINING = {"sma_cross": ("fast", "slow"), "ema_cross": ("fast", "slow"), "macd": ("fast", "slow", "signal"),
             "rsi_reversion": ("period", "lower", "upper"), "bollinger_breakout": ("period", "devs"),
             "bollinger_reversion": ("period", "devs"), "donchian_breakout": ("period",), "momentum": ("period",)}


def _searched_by_default(intent: str, found: Found) -> tuple[str, ...]:
    if intent != "optimize_strategy" or found.grid or not found.strategies:
        return ()
    return tuple(p for p in _DEFINING.get(str(found.strategies[0].value), ()) if p not in found.params)


def _serves(windows: Windows, names: list[str], spans: dict[str, tuple[date, date]]) -> bool:
    """Whether the data of ``names`` overlaps every window stated (a window of another step's data - the S&P in 2008 -
    never reaches a step on the sample universe, whose data starts in 2016)."""
    for window in (windows.data, windows.train, windows.valid, windows.test):
        if window is None:
            continue
        for name in names:
            first, last = spans.get(name, (date.min, date.max))
            if window.value.start > last or window.value.end < first:
                return False
    return True


def _share(steps: list[StepSpec], whole: Found, spans: dict[str, tuple[date, date]] | None = None) -> list[StepSpec]:
    """Values stated once for the whole instruction reach every step that has none of its own."""
    shared = _step("unknown", whole, "")
    out: list[StepSpec] = []
    for step in steps:
        if step.intent in ("compare", "out_of_scope", "unknown", "list_strategies", "account_status",
                           "explain_trades"):
            out.append(step)  # nothing to run with a seed, a window or costs
            continue
        update: dict[str, Any] = {}
        if step.intent in NEEDS_INSTRUMENT and not step.instruments and shared.instruments \
                and not (step.intent == "place_order" and whole.unknown_symbols):
            # "buy 500 TSLA & backtest ... on SP500": an order on a symbol the store lacks never takes another's; an
            # order that takes the instrument named elsewhere ("看下黄金走势，然后买3手") took it by inference: approved
            update["instruments"] = shared.instruments if step.intent != "place_order" else tuple(
                i.model_copy(update={"source": "inferred"}) for i in shared.instruments)
        if step.intent in ("train_model", "trading_cycle", "mine_factors", "evaluate_factors") and step.universe is None:
            update["universe"] = shared.universe
        for name in ("windows", "costs"):
            if getattr(step, name) == type(getattr(step, name))():
                update[name] = getattr(shared, name)
        if "windows" in update and spans:
            names = [str(i.value) for i in update.get("instruments", step.instruments)] + \
                [str(u.value) for u in (update.get("universe") or step.universe,) if u is not None]
            if not _serves(update["windows"], names, spans):
                del update["windows"]
        for name in ("horizon", "seed", "timesteps", "cash", "forward_days"):
            if getattr(step, name) is None and getattr(shared, name) is not None:
                update[name] = getattr(shared, name)
        if step.intent == "place_order" and step.side is None and shared.side is not None:
            update["side"] = shared.side
        factor_before = next((s for s in reversed(out) if s.intent in _FACTOR_WORK or (
            s.intent == "recall" and s.ref is not None and s.ref.value.kind == "factor")), None)
        if step.intent == "backtest_strategy" and step.strategy is None and not step.instruments \
                and factor_before is not None:
            # "mine …, keep the best one and backtest it": the factor found before, backtested as a signal on its universe
            update["strategy"] = _inferred("signal", None)
            if step.universe is None:
                update["universe"] = factor_before.universe or shared.universe
        elif step.intent in ("backtest_strategy", "optimize_strategy") and step.strategy is None:
            before = next((s.strategy for s in reversed(out) if s.strategy is not None), None)
            if before is not None:  # "then bt the best pair on nasdaq": the strategy named before
                update["strategy"] = Sourced[Any](value=before.value, source="inferred", said=before.said)
        out.append(step.model_copy(update=update) if update else step)
    for i, (said, shared_in) in enumerate(zip(steps, out[:-1], strict=False)):
        nxt = out[i + 1]
        if shared_in.intent in _FACTOR_WORK and nxt.intent == "backtest_strategy" and nxt.strategy is not None \
                and nxt.strategy.value == "signal":
            # "mine 3 momentum factors, keep the best one and backtest it over 2024-2025 at 3 bp": the window and the
            # costs are the backtest's; the mining keeps its own periods (searched before, confirmed after)
            update = {name: getattr(said, name) for name in ("windows", "costs")
                      if getattr(said, name) == type(getattr(said, name))() and getattr(shared_in, name) == getattr(nxt, name)}
            out[i] = shared_in.model_copy(update=update)
    return out


#: "each", "both", "各", "都", "分别": one order size said for every instrument named.
_FOR_EACH_SAID = re.compile(r"(?<![a-z])(?:each|both|apiece|every\s+one|all\s+(?:of\s+them|two|three))(?![a-z])|各|都|分别|每个|每只|两个都")


_WHICHEVER_WON = re.compile(r"(?<![a-z])(?:whichever|which\s*ever|winner|winning|the\s+(?:better|best|stronger|top)(?:\s+one)?)(?![a-z])"
                         r"|哪个(?:更)?(?:好|强|高)|更好的|表现(?:更)?好的|赢的|最好的|胜出的|跑赢的")


#: A verdict asked between the runs just made, in words that name no comparison ("tell me which one actually
#: learned something", "pick the winner", "so I can show him the difference", "see if it improves", "谁的IC高",
#: "有没有好一点"): the runs set side by side.
_VERDICT = re.compile(
    r"(?<![a-z])(?:which(?:\s+one|\s+of\s+(?:them|the\s+(?:two|three)|those|these))?\s+(?:actually\s+|really\s+)?"
    r"(?:learned|learnt|works|worked|wins|won|to\s+(?:run|use|keep|pick|trade|overweight|go\s+with|back)|should\s+(?:i|we)|is\s+worth)"
    r"|pick\s+the\s+winner|rank\s+them|who\s+wins|show\s+(?:him|her|them|me|us|the\s+\w+)\s+the\s+difference"
    r"|(?:see|tell\s+me|check|let\s+me\s+know|find\s+out)\s+(?:if|whether)\s+(?:it|the\s+(?:result|new\s+one|second)|that|this)\s+"
    r"(?:\w+\s+)?(?:improves?|got\s+better|gets\s+better|is\s+(?:any\s+)?better|holds?\s+up|held\s+up|beats?|changes?)"
    r"|where\s+it\s+(?:actually\s+|really\s+)?works)(?![a-z])"
    r"|谁的[^,，。;；]{0,8}?(?:高|好|强|大|小|低)|谁(?:更)?好|谁更|有没有(?:好一点|好点|更好|改善|提升|变好|提高)|差别(?:多大|大不大)|看看差别")
_RUN_STEPS = frozenset({"train_rl", "train_model", "backtest_strategy", "optimize_strategy", "evaluate_factors", "mine_factors"})


def _verdict_asked(norm: str, steps: list[tuple[str, Found]]) -> list[tuple[str, Found]]:
    """A comparison put after the runs when the instruction asks which of them came out ahead without the word
    "compare" (two runs or more, or a recalled run and its rerun; none when one is already there)."""
    if any(i == "compare" for i, _ in steps) or not _VERDICT.search(norm):
        return steps
    if any(i in _FACTOR_WORK for i, _ in steps) and BEST_FACTOR_RUN.search(norm):
        return steps  # "哪个好就拿哪个做信号回测": the choice of the factor to backtest, made by the executor
    runs = [k for k, (i, _) in enumerate(steps) if i in _RUN_STEPS]
    recalled = any(i == "recall" for i, _ in steps)
    if len(runs) < 2 and not (recalled and runs):
        return steps
    at = runs[-1] + 1
    return [*steps[:at], ("compare", Found()), *steps[at:]]


def _one_order_of_several(steps: list[StepSpec], norm: str) -> list[StepSpec]:
    """"看看标普和纳指最近三年的走势，然后买入10手": an order that only inherits several instruments from a step
    before, with nothing saying it is for each of them, is on one of them - which one is asked, never guessed
    (the order had been placed on both)."""
    out = []
    for step in steps:
        if step.intent == "place_order" and len(step.instruments) > 1 and step.top_k is None and step.top_pct is None \
                and all(i.source == "inferred" for i in step.instruments) and not _FOR_EACH_SAID.search(norm) \
                and not _WHICHEVER_WON.search(norm):  # "buy 500 of whichever did better": the comparison picks it
            step = step.model_copy(update={"instruments": ()})
        out.append(step)
    return out


# --- symbols the store does not hold ----------------------------------------------------------
def _suggestions(word: str, catalog: Sequence[CatalogEntry]) -> list[str]:
    names = [e.name for e in catalog if e.kind == "instrument"]
    spelled = {s.upper(): canonical for canonical, spellings in lex.ASSETS.items() for s in spellings}
    pool = {n.upper(): n for n in names} | {k: v for k, v in spelled.items() if v in names}
    close = difflib.get_close_matches(word.upper(), list(pool), n=3, cutoff=0.75)
    return list(dict.fromkeys(pool[c] for c in close))


#: Intents that run on a universe: named with one the store lacks, the person is asked, not defaulted.
_ON_A_UNIVERSE = frozenset({"train_model", "mine_factors", "evaluate_factors", "trading_cycle"})


def _resolve_typos(steps: list[StepSpec], whole: Found, catalog: Sequence[CatalogEntry],
                   norm: str = "") -> tuple[list[StepSpec], list[str]]:
    """A ticker-like word the store lacks is asked about, with the closest symbols and how to
    ingest it: "GLOD" is probably GOLD, but a guess at what to trade or test is the person's to
    confirm ("did you mean GOLD?"), never ours to make. Returns steps and unresolved words."""
    unresolved: list[str] = []
    for word in whole.unknown_symbols:
        if any(s.intent in NEEDS_INSTRUMENT and not s.instruments for s in steps) or any(
                s.intent in _ON_A_UNIVERSE and s.universe is None and not s.instruments for s in steps):
            unresolved.append(str(word.value))  # "沪深300成分股上训个选股模型": not a universe the store has
        elif _STORE_NAMED.fullmatch(str(word.value)):
            unresolved.append(str(word.value))  # "然后SYN150也照样跑一遍": a name of the store's pattern it does not hold
        elif str(word.value).lower() in lex.OUTSIDE and any(s.intent in NEEDS_INSTRUMENT for s in steps) \
                and (_paired(word, whole.instruments, norm) or _OBJECT_OF_RUN.search(norm[max(0, word.start - 14):word.start])
                     or _POSSESSED.match(norm, word.end)):
            # "白银和黄金哪个好": half of what is asked cannot be run; "backtest the SMA cross on TSLA and compare it
            # with the S&P", "回测一下茅台的双均线": the run itself is on a symbol the store lacks
            unresolved.append(str(word.value))
    return steps, list({w.upper(): w for w in unresolved}.values())  # one word named twice is asked about once


#: A symbol named as what a run, a look or an order is on ("... on TSLA", "buy AAPL", "回测一下茅台的…", "顺便看看日经").
_OBJECT_OF_RUN = re.compile(r"(?:(?<![a-z])(?:on|in|for|buy|sell|short|trade|backtest|train|chart|show(?:\s+me)?|pull\s+up|"
                            r"look\s+at|check)\s+(?:the\s+)?|"
                            r"(?<![a-z])(?:lots?|shares?|units?|contracts?)\s+of\s+(?:the\s+)?|"
                            r"(?:回测|训练|买入?|卖出?|做空|交易|看看|看一下|看下|查一下|查查|瞅瞅)(?:一下|下|一个|个)?)$")
_POSSESSED = re.compile(r"\s*的\s*(?:[\u4e00-\u9fff]{0,6}(?:策略|回测|模型|走势|价格|行情|k线|K线))"
                        r"|\s*上\s*(?:[\u4e00-\u9fff]{0,3})(?:训练|回测|跑|优化|测)|\s*(?:也|照样|同样|一样)")
#: A name in the store's own pattern ("SYN150" when csi_syn is SYN000..SYN119): meant as one of its symbols.
_STORE_NAMED = re.compile(r"SYN\d{3}", re.I)
#: A symbol the store lacks named as a peer of one it has ("silver and gold", "白银和黄金", "gold vs silver").
_PEER_JOIN = re.compile(r"^\s*(?:和|与|跟|同|、|/|,|，|&|and|or|vs\.?|versus|against|还是|或者?|对比|以及)\s*$")


def _paired(word: Value, instruments: Sequence[Value], norm: str) -> bool:
    for known in instruments:
        between = norm[word.end:known.start] if word.end <= known.start else norm[known.end:word.start]
        if _PEER_JOIN.match(between) or (word.end <= known.start and not between.strip()):
            return True  # "白银和黄金", and "布伦特原油", "brent crude": the asset word names what the outside one is
    return False


# --- the entry point ----------------------------------------------------------------------------
#: "summarise this note: 'buy 1,000,000 WTI now'": quoted text handed over to be summarised,
#: translated or explained is the object of the request, never an instruction of its own.
_QUOTED_OBJECT = re.compile(r"(?i)(?:summari[sz]e|translate|explain|proofread|rewrite|paraphrase|analy[sz]e the (?:text|note|"
                            r"message)|总结|概括|翻译|解释|润色|改写|分析这段)[^'\"“”「」‘’]{0,40}"
                            r"(['\"“「‘])(.+?)(['\"”」’])")


def _without_quoted_objects(text: str) -> str:
    """The instruction with the quoted text it only hands over blanked out (the request remains)."""
    return _QUOTED_OBJECT.sub(lambda m: m.group(0)[: m.start(2) - m.start(0)] + " " * len(m.group(2))
                              + m.group(0)[m.end(2) - m.start(0):], text)


#: A space between two Chinese characters: in a chat message ("纳指卖一半 标普加仓") it parts what a
#: comma would part in written Chinese, which has no spaces between words.
_CHAT_SPACE = re.compile(r"(?<=[\u4e00-\u9fff])(?<!嗯)(?<!呃)(?<!额)(?<!那个)(?<!这个)(?<!就是)[ \t\u3000]+"
                         r"(?=[\u4e00-\u9fff])(?![的地得了着过吧呢吗哈呀嘛哦啊么])")


#: Pictographs (emoji, with their skin tones, joiners and variation selectors): chat writers set them between
#: requests as others set a bullet ("🚨 sell a third of GOLD now 📈 show gold last 3 months 🤖 then a2c ...").
_EMOJI = re.compile("[\U0001F000-\U0001FAFF\u2600-\u27BF\u2B00-\u2BFF\u2300-\u23FF]"
                    "[\U0001F000-\U0001FAFF\u2600-\u27BF\u2B00-\u2BFF\u2300-\u23FF\uFE0F\u200D]*")


def _emoji_as_breaks(text: str) -> str:
    """``text`` with each run of emoji read as a clause break (one at either end is dropped)."""
    if not _EMOJI.search(text):
        return text
    return _EMOJI.sub("; ", text).strip(" ;")


def _spaces_between_words(text: str) -> str:
    """``text`` with each space run between Chinese characters read as a comma (same length), and an English
    word glued to Chinese set apart ("帮我buy 10万块的", "用PPO train一个gold的agent"): English words are read
    at word boundaries, which two scripts written together do not have."""
    return _GLUED_SCRIPTS.sub(" ", _CHAT_SPACE.sub(lambda m: "，" + " " * (len(m.group(0)) - 1), text))


_GLUED_SCRIPTS = re.compile(r"(?<=[\u4e00-\u9fff])(?=(?i:buy|sell|short|approve)(?![a-z]))"
                            r"|(?<=[\u4e00-\u9fff](?i:buy))(?=[\u4e00-\u9fff])|(?<=[\u4e00-\u9fff](?i:sell))(?=[\u4e00-\u9fff])"
                            r"|(?<=(?i:approve))(?=[\u4e00-\u9fff])")


def understand(texts: Sequence[str], catalog: Sequence[CatalogEntry], router: RouterLike | None = None) -> TaskSpec:
    """The task spec of an instruction (``texts[0]``) and the replies that followed a question."""
    if not texts or not texts[0].strip():
        raise InvalidInputError("the instruction is empty: say what to do, e.g. 'backtest a 10/30 SMA cross on gold'")
    text = _joined(texts)
    spoken = canonical(unfold(_without_quoted_objects(_spaces_between_words(mandarin(fold_traditional(_emoji_as_breaks(text)))))))  # a ticket as a sentence; digits
    norm = normalise(spoken)
    language = detect_language(texts[0])
    symbols = [e.name for e in catalog if e.kind == "instrument"]
    today_of = {e.name: date.fromisoformat(e.end) for e in catalog if e.end}
    today = max(today_of.values(), default=date.today())
    start_of = {e.name: date.fromisoformat(e.start) for e in catalog if e.start}
    whole = extract(norm, spoken, symbols, today, today_of, start_of)
    skeletons = _own_ends(_verdict_asked(norm, _skeletons(norm, whole, router)), whole, today, today_of)
    # "the 2025-12-20 backtest ... run it again": the day a recalled run ran is no window of any step
    ran_on = [p for intent, f in skeletons if intent == "recall" for p in f.periods if p.start == p.end or _DAY_OF_RUN.fullmatch(
        p.span.text.strip())]  # "the a2c agent from 2025-03-14": the day it ran, not "from then on"
    whole = replace(whole, periods=[p for p in whole.periods if p not in ran_on]) if ran_on else whole
    spans = {e.name: (date.fromisoformat(e.start), date.fromisoformat(e.end)) for e in catalog if e.start and e.end}
    steps = _share([_step(intent, found, norm) for intent, found in skeletons], whole, spans)
    steps = _of_the_sale(_recalled_kind(_recalled_asset(steps, norm)), norm)
    steps, unknown = _resolve_typos(steps, whole, catalog, norm)
    steps = _one_order_of_several(steps, norm)
    steps = _whole_history(norm, _clip_open_starts(_defaults_of_store(steps, catalog), catalog), catalog)
    approval = whole.approval
    question = question_for(steps, unknown, [_suggestions(w, catalog) for w in unknown], language, catalog)
    used = [p for _, f in skeletons for p in f.periods if p not in ran_on]  # a year said in passing is no window
    outside = None if all(s.intent in ("recall", "compare") for s in steps) else next(filter(None, (
        _outside_data(replace(whole, periods=[p for p in f.periods if p not in ran_on] or
                              # a step with no window of its own is checked against the one said only when it is the
                              # instruction's one step: "show me the S&P in 2008 ... evaluate a factor on csi_syn" is
                              # no question about csi_syn in 2008
                              ([p for p in whole.periods if p in used] if len(skeletons) == 1 else []),
                              instruments=f.instruments or ([] if f.universe else whole.instruments),
                              universe=f.universe or (None if f.instruments else whole.universe)),
                      catalog, language)
        for intent, f in skeletons if intent in _WINDOWED)), None)  # an order, a look at the account: no window
    if outside is not None:
        question = f"{outside}{'。' if language == 'zh' else '. '}{question or ''}".strip()
    discussed = _DISCUSSED.search(norm) if len(texts) == 1 else None
    if discussed is not None:  # "the one we talked about": a conversation this system never saw - named, never guessed
        said = discussed.group(0).strip()
        question = (f"在开始之前，“{said}”指的是哪一个？我没有那次讨论的记录，请直接告诉我品种或策略的名称。" if language == "zh"
                    else f"Before I start: which one do you mean by \"{said}\"? I have no record of that conversation; "
                         "please name the instrument or strategy.")
    conflict = _unreadable_expression(steps, language) or conflict_of(norm, whole, language) \
        or (None if _MISSAID.search(norm) else (opposite_orders(norm, _sides_said(norm, whole), language) or opposite_orders(norm, [  # "SYN009 买500股 卖500股"
            (str(i.value), str(s.side.value)) for s in steps if s.intent == "place_order" and s.side is not None
            and s.top_k is None and s.top_pct is None for i in s.instruments], language)))
    if conflict is not None:  # "all in ... no more than 10%": both values named, neither guessed
        asked = f"在开始之前，{conflict}？" if language == "zh" else f"Before I start: {conflict}?"
        rest = (question or "").removeprefix("在开始之前，").removeprefix("Before I start: ")
        question = f"{asked}{'' if language == 'zh' else ' Also, '}{rest}".strip() if rest else asked
    return TaskSpec(
        text=text, language=language, steps=tuple(steps),  # type: ignore[arg-type]
        approval=_stated(True, approval.said) if approval else Sourced[bool](value=False, source="default"),
        question=question, ignored=tuple(dict.fromkeys([*_unsized(_not_versus(norm, unused_numbers(norm, whole)), steps),
                                                        *_unused_periods(used, steps),
                                                        *(m.group(0) for m in _RELATIVE_SETTING.finditer(norm))])),
    )


_DAY_OF_RUN = re.compile(r"(?:from|on|dated)\s+\d{4}-\d{2}-\d{2}", re.I)
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_DAY_WORDS = re.compile(r"(?<![a-z])(?:run|model|agent|backtest|training|policy|one)s?\s+(?:from|of|on|dated)\s+(?:the\s+)?"
                        r"(?:(\d{1,2})\s+(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?,?\s+(\d{4})"
                        r"|(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4}))"
                        r"|(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]\s*(?:训练|训|跑|做|回测|测|挖)(?:出来)?的")


def _day_in_words(norm: str) -> date | None:
    """The one day a recalled run is named by, written out ("14 Nov 2025", "Nov 14, 2025", "2025年10月20日")."""
    m = _DAY_WORDS.search(norm)
    if m is None:
        return None
    g = m.groups()
    try:
        if g[0]:
            return date(int(g[2]), _MONTHS.index(g[1]) + 1, int(g[0]))
        if g[3]:
            return date(int(g[5]), _MONTHS.index(g[3]) + 1, int(g[4]))
        return date(int(g[6]), int(g[7]), int(g[8]))
    except ValueError:
        return None


def _unreadable_expression(steps: Sequence[StepSpec], language: str) -> str | None:
    """A factor expression the store cannot compute - a field it does not have ("$pe_ttm", "$northbound_flow") or
    a formula that does not parse ("Mean($close, )") - is asked about before anything runs, in the person's words."""
    from taorui_engines.errors import TaoruiError
    from taorui_engines.expressions import BASE_FIELDS, parse_expression

    for step in steps:
        for said in step.expressions:
            text = str(said.value)
            missing = [f for f in dict.fromkeys(re.findall(r"\$([A-Za-z_]\w*)", text)) if f.lower() not in BASE_FIELDS]
            have = ", ".join(f"${f}" for f in BASE_FIELDS if f != "factor")
            if missing:
                names = ", ".join(f"${f}" for f in missing)
                if language == "zh":
                    return f"因子表达式“{text}”用到了数据中没有的字段 {names}（现有字段：{have}），要换成哪个字段"
                return f"the factor expression \"{text}\" uses {names}, which the data does not have (it has {have}); which field do you mean"
            try:
                parse_expression(text, fields=BASE_FIELDS)
            except TaoruiError as err:
                if "argument(s)" in str(err):
                    continue  # "Rank($volume)": written in another library's arity; the evaluation says what it needs
                if language == "zh":
                    return f"因子表达式“{text}”写法有误，无法计算，请改正后告诉我"
                return f"the factor expression \"{text}\" cannot be read ({err}); what should it be"
    return None


#: Intents whose steps take windows; a period stated with another intent is read for it elsewhere.
_WINDOWED = frozenset({"train_rl", "train_model", "backtest_strategy", "optimize_strategy", "evaluate_factors",
                       "mine_factors", "show_price"})


def _own_ends(skeletons: list[tuple[str, Found]], whole: Found, today: date,
              today_of: dict[str, date]) -> list[tuple[str, Found]]:
    """A relative window ("the last 5 years") of a step that runs on another instrument than the one the
    instruction named first ends at that instrument's last bar ("train PPO on gold on the last 5 years,
    then do the same for oil": oil's last 5 years). Windows read from their words alone are re-read; the
    others (anchored to another window, parts of a whole) keep their dates."""
    named = [str(v.value) for v in whole.instruments] + ([str(whole.universe.value)] if whole.universe else [])
    reference = next((today_of[n] for n in named if n in today_of), today)  # what the extraction anchored them at
    out = []
    for intent, found in skeletons:
        names = {str(v.value) for v in found.instruments}
        end = today_of.get(next(iter(names))) if len(names) == 1 else None
        if end is None or end == reference or not found.periods:
            out.append((intent, found))
            continue
        periods = []
        for period in found.periods:
            before, after = find_periods(period.span.text, reference), find_periods(period.span.text, end)
            if len(before) == len(after) == 1 and (before[0].start, before[0].end) == (period.start, period.end):
                period = replace(period, start=after[0].start, end=after[0].end)
            periods.append(period)
        out.append((intent, replace(found, periods=periods)))
    return out


def _sides_said(norm: str, whole: Found) -> list[tuple[str, str]]:
    """(instrument, side) of each piece of the instruction that says an order (before pieces are merged into steps)."""
    if whole.side is None:
        return []
    pieces = [_within(whole, a, b, norm) for a, b in segments(norm, lambda a, b: _within(whole, a, b, norm))]
    return [(str(i.value), str(p.side.value)) for p in pieces if p.side is not None for i in p.instruments]


def _unsized(numbers: Sequence[str], steps: Sequence[StepSpec]) -> list[str]:
    """The numbers no step took, less the sizes of orders read clause by clause ("buy 3 lots of gold and 2 lots of
    wti": the instruction-wide reading keeps one size, the second order has the other)."""
    sizes = [s.quantity.said for s in steps if s.quantity is not None and s.quantity.said]
    # "如果回撤小于15%就…": a condition's threshold is the condition's (shown with it, judged where it can be)
    sizes += [s.condition.value for s in steps if s.condition is not None]
    # "再用55日通道跑一遍": a setting read for a run said once more is that run's
    sizes += [p.said for s in steps for p in s.params.values() if p.said]
    return [n for n in numbers if not any(n.strip() and n.strip() in said for said in sizes)]


def _unused_periods(periods: Sequence[PeriodMention], steps: Sequence[StepSpec]) -> list[str]:
    """Stated periods that no step's window took ("2018-2021 and then 2022-2023" with one window).

    Named in the answer as not used, never dropped silently.
    """
    if not any(s.intent in _WINDOWED for s in steps):
        return []
    said = [w.said for s in steps for w in (s.windows.data, s.windows.train, s.windows.valid, s.windows.test)
            if w is not None and w.said]
    out = []
    for period in periods:
        text = period.span.text.strip()
        if text and not any(text in w or w in text for w in said):
            out.append(text)
    return out


def _joined(texts: Sequence[str]) -> str:
    """An instruction and its replies, read as one text; a bare number answers "how much" (it is
    read as that many units)."""
    from agents.understand._numbers import parse_number

    first = texts[0].strip()
    for reply in texts[1:]:
        reply = reply.strip()
        if not reply:
            continue
        if parse_number(reply) is not None:
            reply = f"{reply} units" if detect_language(first) != "zh" else f"{reply}股"
        first = f"{first}，{reply}" if detect_language(first) == "zh" else f"{first}, {reply}"
    return first


def _defaults_of_store(steps: list[StepSpec], catalog: Sequence[CatalogEntry]) -> list[StepSpec]:
    """A model or cycle step without a universe takes the store's only universe (inferred)."""
    universes = [e.name for e in catalog if e.kind == "universe"]
    if len(universes) != 1:
        return steps
    only = _inferred(universes[0], None)
    return [s.model_copy(update={"universe": only})
            if (s.intent in ("train_model", "trading_cycle") or (
                s.intent == "backtest_strategy" and s.strategy is not None and s.strategy.value == "signal"
                and not s.instruments)) and s.universe is None else s for s in steps]
