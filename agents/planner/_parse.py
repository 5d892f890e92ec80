"""Instruction -> language, intent, slots; one clarifying question when a slot is missing.

Deterministic and table-driven (see ``_lexicon``): the same text always gives the same
reading, so the offline backend is testable and its mistakes are reproducible. The parse
table in ``tests/test_planner_cases.yaml`` pins its behaviour on English and Chinese
instructions.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from typing import Literal

from agents.planner import _lexicon as lex
from agents.planner._models import AgentName, Intent, Language, ParsedInstruction, Slots
from agents.planner._numbers import NUM, to_number
from agents.planner._periods import parse_period

__all__ = ["detect_language", "parse_conversation", "parse_instruction"]

_CJK = re.compile(r"[\u3400-\u9fff]")

_SIDE_QTY_EN = re.compile(
    rf"\b(buy|sell|purchase|short)\s+({NUM})\s*(lots?|shares?|units?|contracts?)?\b"
)
_SIDE_QTY_ZH = re.compile(rf"(买入|买进|购买|加仓|卖出|卖掉|减仓|做空|买|卖)\s*({NUM})(?![点些])\s*(手|股|份|单位|张|个单位)?")
_SIDE_ONLY = re.compile(r"\b(buy|sell|purchase)\b|买入|买进|卖出|买|卖")
_TOP_PCT = re.compile(r"(?:top|best|前|排名前)\s*(\d+(?:\.\d+)?)\s*(?:%|％|percent|pct)")
_TOP_K = re.compile(rf"(?:top|best|前|排名前)\s*({NUM})\s*(?:stocks?|names?|只|个|支|名)")
_TIMESTEPS = re.compile(r"(\d[\d,_]*)\s*(?:time\s*-?steps?|steps?|步)")
_SEED = re.compile(r"(?:seed|种子)\s*[=:：]?\s*(\d+)")
_HORIZON = re.compile(
    r"(?:horizon\s*[=:]?\s*(\d+)|(\d+)\s*-?\s*day\s+(?:forward|horizon)|未来\s*(\d+)\s*(?:日|天))"
)
_FACTOR_COUNT = re.compile(rf"({NUM})\s*(?:new\s+)?(?:\w+\s+)?(?:factors|个因子|个\w{{0,4}}因子)")
_QUOTED = re.compile(r"[\"“「`']([^\"”」`']*\$[^\"”」`']*)[\"”」`']")
_EXPR_PUNCT = set("$()+-*/<>=")

_PARAM_PAIR = re.compile(r"(\d+)\s*(?:/|and|&|和|与)\s*(\d+)(?:\s*-?\s*(?:day|日|天))?")
_PARAM_NAMED = re.compile(
    r"(fast|slow|period|window|lookback|快线|慢线|短期|长期|周期|窗口|短均线|长均线)\s*[=:：]?\s*(\d+(?:\.\d+)?)"
)
_PARAM_NAMES = {"fast": "fast", "快线": "fast", "短期": "fast", "短均线": "fast",
                "slow": "slow", "慢线": "slow", "长期": "slow", "长均线": "slow",
                "period": "period", "周期": "period", "window": "period", "窗口": "period",
                "lookback": "period"}

_APPROVAL = (
    "ask me before", "ask me first", "ask before", "ask for my approval", "with my approval",
    "need my approval", "needs my approval", "wait for my approval", "let me approve",
    "confirm with me", "check with me", "my confirmation", "before ordering, ask",
    "下单前问我", "下单前先问我", "下单之前问我", "下单前请示", "需要我确认", "需要我批准",
    "经我批准", "经我确认", "让我确认", "让我批准", "先问我", "等我确认", "我确认后", "征得我同意",
)
_FACTOR = ("factor", "factors", "alpha factor", "因子")
_MINE = ("mine", "mining", "propose", "discover", "find new", "generate", "search for",
         "挖掘", "寻找", "发现", "生成", "提出", "找")
_RECALL = ("last time", "previous run", "previously", "remember", "have we", "did we",
           "what did the last", "history of", "memory", "上次", "之前", "以前", "记得", "历史记录",
           "测试过", "试过", "做过")
_LIST_STRATEGIES = ("which strategies", "what strategies", "list strategies", "list the strategies",
                    "available strategies", "strategies are available", "有哪些策略", "策略列表",
                    "支持哪些策略", "哪些策略")
_OPTIMIZE = ("optimize", "optimise", "optimization", "parameter search", "grid search", "tune",
             "best parameters", "优化", "调参", "参数搜索", "网格搜索", "最优参数")
_BACKTEST = ("backtest", "back-test", "back test", "回测", "回溯测试")
_MODEL_WORDS = ("model", "模型", "machine learning", "机器学习")
_TRAIN = ("train", "fit", "训练", "拟合")
_ACCOUNT = ("positions", "position", "holdings", "account", "portfolio", "cash", "risk status",
            "trading state", "balance", "持仓", "仓位", "账户", "资金", "风控", "交易状态", "余额")
_PRICE = ("price", "prices", "quote", "chart", "close", "价格", "行情", "走势", "收盘价")
_FAMILIES = {
    "momentum": ("momentum", "trend", "动量", "趋势"),
    "reversal": ("reversal", "mean reversion", "反转", "均值回归"),
    "volatility": ("volatility", "risk", "波动", "波动率"),
    "volume": ("volume", "liquidity", "turnover", "成交量", "流动性", "换手"),
}

_AGENTS: dict[Intent, AgentName | None] = {
    "train_rl": "strategy_advisor", "train_model": "strategy_advisor",
    "backtest_strategy": "strategy_advisor", "optimize_strategy": "strategy_advisor",
    "list_strategies": "strategy_advisor", "recall": "strategy_advisor",
    "show_price": "strategy_advisor", "evaluate_factors": "factor_miner",
    "mine_factors": "factor_miner", "place_order": "trader", "account_status": "trader",
    "unknown": None,
}


def detect_language(text: str) -> Language:
    """``zh`` when the text holds Chinese characters (two or more), else ``en``."""
    return "zh" if len(_CJK.findall(text)) >= 2 else "en"


def _normalise(text: str) -> str:
    """Lower-case, full-width digits and punctuation folded to ASCII."""
    table = str.maketrans("０１２３４５６７８９％，：（）", "0123456789%,:()")
    return text.translate(table).lower().strip()


def _side(word: str) -> Literal["buy", "sell"]:
    return "sell" if word in ("sell", "short", "卖出", "卖掉", "减仓", "做空", "卖") else "buy"


def _unit(word: str | None) -> Literal["lot", "share", "unit"] | None:
    if not word:
        return None
    if word.startswith(("lot", "手", "contract", "张")):
        return "lot"
    return "share" if word.startswith(("share", "股")) else "unit"


def _order_slots(text: str) -> dict[str, object]:
    for pattern in (_SIDE_QTY_EN, _SIDE_QTY_ZH):
        match = pattern.search(text)
        if match:
            return {"side": _side(match.group(1)), "quantity": to_number(match.group(2)),
                    "unit": _unit(match.group(3))}
    match = _SIDE_ONLY.search(text)
    if match and not lex.find_all(text, {"bh": lex.STRATEGIES["buy_and_hold"]}):
        return {"side": _side(match.group(0))}
    return {}


def _selection_slots(text: str) -> dict[str, object]:
    out: dict[str, object] = {}
    match = _TOP_PCT.search(text)
    if match:
        out["top_pct"] = float(match.group(1))
    else:
        match = _TOP_K.search(text)
        if match:
            out["top_k"] = int(to_number(match.group(1)))
    return out


def _params(text: str) -> dict[str, float]:
    named = {_PARAM_NAMES[m.group(1)]: float(m.group(2)) for m in _PARAM_NAMED.finditer(text)}
    if named:
        return named
    match = _PARAM_PAIR.search(text)
    if match and not re.search(r"(?:19|20)\d\d", match.group(0)):
        fast, slow = sorted((float(match.group(1)), float(match.group(2))))
        return {"fast": fast, "slow": slow}
    match = re.search(r"(\d+)\s*-?\s*(?:day|日|天)(?!\s*(?:forward|horizon))", text)
    if match and not re.search(r"未来\s*" + match.group(1), text):
        return {"period": float(match.group(1))}
    return {}


def _bare_expressions(original: str) -> list[str]:
    """Unquoted expressions: runs of tokens that look like formula pieces.

    Chinese characters and separators end an expression (expressions are ASCII), a comma
    at parenthesis depth 0 ends one, and a run counts only if it names a ``$field``.
    """
    text = re.sub(r"[\u3400-\u9fff，。；;、]+", " ; ", original)
    found: list[str] = []
    run: list[str] = []
    depth = 0
    for token in re.findall(r"[^\s,]+|,", text):
        part_of = depth > 0 or any(c in _EXPR_PUNCT for c in token) or (
            bool(run) and run[-1][-1] in "+-*/(" and token != ";")
        if token in (";",) or (token == "," and depth == 0) or not part_of:
            found.append("".join(run))
            run, depth = [], 0
            continue
        run.append(token if token == "," else (" " + token if run and run[-1] != "," else token))
        depth += token.count("(") - token.count(")")
    found.append("".join(run))
    return [expr.strip() for expr in found if "$" in expr]


def _expressions(original: str) -> tuple[str, ...]:
    quoted = [m.group(1).strip() for m in _QUOTED.finditer(original)]
    return tuple(quoted) if quoted else tuple(_bare_expressions(original))


def _int(pattern: re.Pattern[str], text: str) -> int | None:
    match = pattern.search(text)
    if not match:
        return None
    value = next(g for g in match.groups() if g)
    return int(to_number(value))


def _family(text: str) -> str | None:
    for family, words in _FAMILIES.items():
        if lex.has_any(text, words):
            return family
    return None


def _assets(text: str, symbols: Collection[str]) -> tuple[str, ...]:
    """Assets named by a synonym, plus any symbol of the store named as itself."""
    table = dict(lex.ASSETS)
    table.update({s.upper(): (s.lower(),) for s in symbols if s.upper() not in table})
    return tuple(lex.find_all(text, table))


def extract_slots(text: str, original: str, symbols: Collection[str] = ()) -> Slots:
    """Every slot the normalised ``text`` names (``original`` keeps the case of expressions).

    ``symbols`` are the store's instrument names: "buy 1 lot of SYN001" names SYN001 even
    though no synonym table lists it.
    """
    algo = lex.find_first(text, lex.ALGOS)
    expressions = _expressions(original)
    scrubbed = text
    for expr in expressions:
        scrubbed = scrubbed.replace(expr.lower(), " ")
    scrubbed = re.sub(r"\S*\$\S*", " ", scrubbed)
    return Slots(
        assets=_assets(scrubbed, symbols),
        universe=lex.find_first(scrubbed, lex.UNIVERSES),
        algo=algo,
        model=lex.find_first(scrubbed, lex.MODELS),
        features=lex.find_first(scrubbed, lex.FEATURE_SETS),
        strategy=lex.find_first(scrubbed, lex.STRATEGIES),
        params=_params(scrubbed),
        period=parse_period(scrubbed),
        next_period=lex.find_first(scrubbed, lex.NEXT_PERIODS),  # type: ignore[arg-type]
        ask_approval=lex.has_any(scrubbed, _APPROVAL),
        timesteps=_int(_TIMESTEPS, scrubbed),
        seed=_int(_SEED, scrubbed),
        expressions=expressions,
        factor_family=_family(scrubbed),
        factor_count=_int(_FACTOR_COUNT, scrubbed),
        horizon=_int(_HORIZON, scrubbed),
        **_order_slots(scrubbed),  # type: ignore[arg-type]
        **_selection_slots(scrubbed),  # type: ignore[arg-type]
    )


def _research_intent(text: str, slots: Slots) -> Intent | None:
    """Intents that train or test something; checked before trading words."""
    if slots.algo or lex.has_any(text, lex.RL_WORDS):
        return "train_rl"
    if slots.model or (lex.has_any(text, _MODEL_WORDS) and lex.has_any(text, _TRAIN)):
        return "train_model"
    if lex.has_any(text, _OPTIMIZE) and (slots.strategy or lex.has_any(text, _BACKTEST)):
        return "optimize_strategy"
    if slots.strategy or lex.has_any(text, _BACKTEST):
        return "backtest_strategy"
    return None


def classify(text: str, slots: Slots) -> Intent:
    """The one intent of an instruction; ``unknown`` when nothing fits."""
    if lex.has_any(text, _RECALL) and not slots.expressions:
        return "recall"
    if lex.has_any(text, _FACTOR) or slots.expressions:
        return "mine_factors" if lex.has_any(text, _MINE) and not slots.expressions else "evaluate_factors"
    if lex.has_any(text, _LIST_STRATEGIES):
        return "list_strategies"
    research = _research_intent(text, slots)
    if research:
        return research
    if slots.side and (slots.quantity or slots.assets):
        return "place_order"
    if lex.has_any(text, _ACCOUNT):
        return "account_status"
    if lex.has_any(text, _PRICE) and slots.assets:
        return "show_price"
    return "unknown"


def parse_instruction(text: str, symbols: Collection[str] = ()) -> ParsedInstruction:
    """Read one instruction. Missing required slots give exactly one question."""
    from agents.planner._questions import missing_slots, question_for

    language = detect_language(text)
    norm = _normalise(text)
    slots = extract_slots(norm, text, symbols)
    intent = classify(norm, slots)
    missing = missing_slots(intent, slots)
    agent = "factor_miner" if intent == "recall" and lex.has_any(norm, _FACTOR) else _AGENTS[intent]
    return ParsedInstruction(
        text=text,
        language=language,
        intent=intent,
        agent=agent,
        slots=slots,
        missing=missing,
        question=question_for(intent, missing, language) if missing else None,
    )


def _merge(first: ParsedInstruction, reply_text: str, symbols: Collection[str]) -> ParsedInstruction:
    """Fold a reply to a clarifying question into the instruction it answers."""
    from agents.planner._questions import missing_slots, question_for

    reply = parse_instruction(reply_text, symbols)
    if reply.intent != "unknown" and reply.intent != first.intent and not reply.missing:
        return reply  # a new, complete instruction rather than an answer
    merged = first.slots.model_dump()
    merged.update(reply.slots.model_dump(exclude_defaults=True))
    if "quantity" in first.missing and reply.slots.quantity is None:
        match = re.search(NUM, _normalise(reply_text))
        if match:
            merged["quantity"] = to_number(match.group(0))
    if reply.slots.ask_approval:
        merged["ask_approval"] = True
    intent = first.intent if first.intent != "unknown" else reply.intent
    slots = Slots.model_validate(merged)
    missing = missing_slots(intent, slots)
    return ParsedInstruction(
        text=f"{first.text} / {reply_text}", language=first.language, intent=intent, agent=_AGENTS[intent],
        slots=slots, missing=missing, question=question_for(intent, missing, first.language) if missing else None,
    )


def parse_conversation(texts: list[str], symbols: Collection[str] = ()) -> ParsedInstruction:
    """An instruction followed by replies to clarifying questions, read as one."""
    if not texts:
        raise ValueError("no instruction to parse")
    parsed = parse_instruction(texts[0], symbols)
    for reply in texts[1:]:
        parsed = _merge(parsed, reply, symbols)
    return parsed
