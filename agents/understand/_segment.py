"""Where one step of an instruction ends and the next begins.

The sequencing words of :mod:`agents.understand._intents` ("then", "然后", a sentence end) cut
the instructions the parser was tuned on. Fresh writers chain steps without them: a comma
("buy 3 lots gold, sell 1 lot WTI"), a bare "and" ("gold chart, and run sma 5/20"), "also",
an inline numbered list ("1) show ... 2) backtest ... 3) same with window 50 4) compare"),
顺便 / 另外. Adding each of those words to the sequencers would cut inside one step just as
often ("train PPO and SAC on gold", "buy and hold"), which is how earlier rounds of rules
failed to transfer. So this module cuts in two stages:

1. *Propose* a boundary wherever a connective (comma, semicolon, "and", "also", 顺便 ...) is
   followed by the head of an action (a verb that starts a request: buy, run, train, show,
   compare, 回测, 看 ...), and at every marker of an inline numbered list that counts 1, 2, 3.
2. *Verify* a proposed boundary: it stands only when the pieces on both sides carry an intent
   of their own by lexical cues (the router is not asked: a cut must rest on words the person
   used). A piece that holds no action (a window, a cost, a condition) therefore stays with its
   neighbour, as before.

Numbered items are cut without verification: the writer numbered them as steps.

Two readings of the resulting clauses live here too, because they only make sense once steps
are segmented: a clause that says "the same thing / same settings / 同样" repeats the step
before it with what it states changed (:func:`inherit`), and "which one learns better?" asks
for a comparison as plainly as "compare" does (:func:`asks_which`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace

from agents.understand._extract import Found
from agents.understand._intents import classify, clauses_of

__all__ = ["SAME", "asks_which", "inherit", "listed_steps", "numbered_cuts", "segments"]

#: The head of a request: a verb that opens a step of its own ("compare" is not one: a comparison
#: closes the steps before it and is placed by the assembly, and "buy and hold" is a strategy).
_HEAD_EN = (r"(?:(?:please|pls|then|also|now)\s+)?(?:buy(?![- ]+(?:and|n|&|'n')[- ]+hold)|sell|short|trim|cut|close\s+out|dump|"
            r"show|chart|plot|pull\s+up|bring\s+up|run|backtest|bt|train|fit|re-?train|re-?run|redo|optimi[sz]e|tune|"
            r"grid[- ]search|search|recall|look\s+up|evaluate|mine|check|display|list)(?![a-z])")
_HEAD_ZH = (r"(?:(?:请|帮我|给我|再|也|并|还要|然后)\s*)*(?:看一?下|看看|查一?下|查查|显示|画|回测|训练|训(?!完)|跑(?!完)|优化|搜索|评估|挖|"
            r"买入?|卖出?|减仓|加仓|清仓|平仓|下单|调出|检查)")
#: A connective and the head after it; the match starts where the next piece begins.
_PROPOSED = re.compile(
    rf"(?:[,;]\s*(?:and\s+|also\s+|plus\s+)?|\s+(?:and|also|plus|as\s+well\s+as)\s+)(?={_HEAD_EN})"
    rf"|[,;、]\s*(?:顺便|另外|同时|并且|还要|再)?\s*(?={_HEAD_ZH})|(?:顺便|另外)(?=[^,，。;；]{{0,6}}?{_HEAD_ZH})"
    r"|[,;]\s*(?=(?:如果|要是|若是?|一旦)[^,;。]{1,30}?(?:就|[,]))"
)
#: A piece that says what it does: a request verb, or a look at prices ("Q3 2021 gold chart").
_SAYS = re.compile(rf"(?<![a-z]){_HEAD_EN}|{_HEAD_ZH}|chart|prices?|quotes?|plot|graph|走势|价格|行情|k线|账户|持仓|仓位")
_RERUN = re.compile(r"[\s,;、]*(?:and\s+|then\s+|再|然后)?\s*(?:re-?train|re-?run|redo|run\s+it\s+again|train\s+it\s+again|"
                    r"重新|重跑|重训|再跑|再训)")
_LOOK = re.compile(r"chart|prices?|quotes?|plot|graph|走势|价格|行情|k线")
#: "1) ...", "2. ...", "（3）...", "3、...": an item marker inside a line.
_MARKER = re.compile(r"(?:^|(?<=[\s,;。:：]))\(?([1-9])\s*[).、](?=\s*\S)(?!\d)")
#: What a step of each intent needs named in its own piece to stand on its own.
_OWN = {"backtest_strategy": ("strategies", "params"), "optimize_strategy": ("strategies", "params", "grid", "tune"),
        "train_rl": ("algos", "instruments"), "train_model": ("models", "features", "universe"),
        "show_price": ("instruments",), "place_order": ("instruments", "quantity", "all_positions"),
        "evaluate_factors": ("expressions", "themes"), "mine_factors": ("themes", "factor_count", "universe")}


def _markers(norm: str) -> list[re.Match[str]]:
    """The markers of an inline numbered list (at least two, counting 1, 2, 3 ...)."""
    found: list[re.Match[str]] = []
    for match in _MARKER.finditer(norm):
        if int(match.group(1)) == len(found) + 1:
            found.append(match)
    return found if len(found) >= 2 else []


def numbered_cuts(norm: str) -> list[int]:
    """Where the items of an inline numbered list start. A list after a colon ("test these
    factors: 1) ... 2) ...") is one request's items: its first item stays with the words that
    introduce it."""
    cuts = [m.start() for m in _markers(norm)]
    return cuts[1:] if cuts and _introduced(norm, cuts[0]) else cuts


def listed_steps(norm: str) -> list[int]:
    """Where the items of a numbered list of steps start (none for a list of one request's items)."""
    cuts = [m.start() for m in _markers(norm)]
    return [] if cuts and _introduced(norm, cuts[0]) else cuts


def _introduced(norm: str, first: int) -> bool:
    return norm[:first].rstrip().endswith((":", "："))


def _reading(norm: str, span: tuple[int, int], local: Found, follows: bool) -> str | None:
    """The intent a piece holds by lexical cues, when it is a complete action: a request said in
    words (a verb, a look at prices) and, for a run, what it runs on or with named in the piece."""
    text = norm[span[0]:span[1]]
    clause = classify(norm, span, local, None, follows=follows)
    if clause.intent in (None, "unknown", "compare") or clause.by not in ("cues", "fallback"):
        return None
    if clause.by == "fallback" and not _LOOK.search(text):
        return None  # a symbol and a date alone ("下单,syn101"): what another step runs on
    if not _SAYS.search(text) and not SAME.search(text):
        return None
    own = _OWN.get(clause.intent)
    if own is not None and not any(getattr(local, name) for name in own) and not SAME.search(text):
        return None  # "and backtest holding the top 10 names": a part of the step before
    return clause.intent


def _distinct_steps(left: Found, right: Found) -> bool:
    """Two pieces with one intent are two steps only when they name different things (another
    instrument, strategy, algorithm, model or side); otherwise they describe one step in parts."""
    for name in ("instruments", "strategies", "algos", "models"):
        mine, theirs = {str(v.value) for v in getattr(right, name)}, {str(v.value) for v in getattr(left, name)}
        if mine and theirs and not mine <= theirs:
            return True
    return left.side is not None and right.side is not None and left.side.value != right.side.value


def _split(norm: str, span: tuple[int, int], values_of: Callable[[int, int], Found]) -> list[tuple[int, int]]:
    """One clause cut at each proposed boundary that both sides verify, left to right (the right
    side is read up to the clause's end, so a later cut still needs the rest to stand on its own)."""
    start, end = span
    pieces: list[tuple[int, int]] = []
    for match in _PROPOSED.finditer(norm, start, end):
        cut = match.start()
        if cut <= start or not norm[cut:end].strip(" ,;、"):
            continue
        left, right = (start, cut), (cut, end)
        mine, theirs = values_of(*left), values_of(*right)
        first = _reading(norm, left, mine, follows=bool(pieces))
        second = _reading(norm, right, theirs, follows=True)
        if first == "recall" and second is None and _RERUN.match(norm, cut):
            second = "rerun"  # "look up the PPO run from <date>, retrain it with 80k steps": the recalled run again
        if first is None or second is None:
            continue
        if first == second and not SAME.search(norm[cut:end]) and not _distinct_steps(mine, theirs):
            continue
        pieces.append(left)
        start = cut
    return [*pieces, (start, end)]


def segments(norm: str, values_of: Callable[[int, int], Found]) -> list[tuple[int, int]]:
    """The clauses of ``norm``: the sequencers' cuts, the items of a numbered list, and every
    verified boundary between two actions. ``values_of(start, end)`` gives a piece's values."""
    # the "." of "2. run ..." ends no sentence, and "3) 再用50日回测" is one item however it opens
    inside = [range(m.start() + 1, m.end() + 1 + len(norm[m.end():]) - len(norm[m.end():].lstrip()))
              for m in _markers(norm)]
    said = {s for s, _ in clauses_of(norm) if not any(s in r for r in inside)}
    cuts = sorted({*said, *numbered_cuts(norm)} - {0})
    spans = [(a, b) for a, b in zip([0, *cuts], [*cuts, len(norm)], strict=True) if norm[a:b].strip(" ,，、")]
    out: list[tuple[int, int]] = []
    for span in spans:
        out += _split(norm, span, values_of)
    return out or [(0, len(norm))]


#: "same thing on sp500", "same with window 50", "with the same settings", "同样的参数", "原油也照此跑一遍".
SAME = re.compile(r"(?<![a-z])(?:(?:the\s+)?same\s+(?:thing|with|for|on|but|again|settings?|setup|parameters|params|"
                  r"config(?:uration)?)|same\s+(?:\w+\s+)?(?:settings?|parameters|params|setup))(?![a-z])|"
                  r"同样的?(?:参数|设置|设定|方法|做法)?|照此|照这个|一样的(?:参数|设置)|参数不变|其他不变|其余不变")


def inherit(previous: Found, local: Found) -> Found:
    """The step before, repeated with what this clause states: each kind of value the clause
    names replaces the earlier one ("same thing on sp500": the instrument), the rest is kept."""
    lists = ("instruments", "algos", "models", "strategies", "periods", "costs", "expressions", "themes", "all_features")
    scalars = ("universe", "features", "horizon", "forward_days", "timesteps", "seed", "cash", "quantity", "side",
               "top_k", "top_pct", "factor_count")
    update: dict[str, object] = {name: getattr(local, name) for name in (*lists, *scalars)
                                 if getattr(local, name) not in (None, [])}
    params = {**previous.params, **local.params}
    if local.strategies and {str(v.value) for v in local.strategies} != {str(v.value) for v in previous.strategies}:
        params = dict(local.params)  # another strategy: the earlier one's parameters are not its own
    update["params"] = params
    update["all_params"] = list(params.items())
    if local.grid:
        update["grid"] = local.grid
    return replace(previous, **update)  # type: ignore[arg-type]


#: "which one learns better?", "which is best?", "哪个更好": asks for the runs side by side.
_WHICH = re.compile(r"(?<![a-z])which(?:\s+one|\s+of\s+(?:them|the\s+\w+|those|these))?\s+(?:\w+\s+){0,2}?"
                    r"(?:better|best|ahead|wins?)(?![a-z])|哪(?:个|一个|种)[^,，。;；]{0,8}?(?:好|强|高|优|赢)")


def asks_which(text: str) -> bool:
    """Whether ``text`` asks which of several runs did better (a comparison)."""
    return _WHICH.search(text) is not None

