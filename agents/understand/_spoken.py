"""Numbers as people say them, rewritten as digits before anything else reads the text.

Dictated and chat instructions spell numbers out: "two thousand five to two thousand
fifteen", "twenty ten to twenty twenty five", "nineteen ninety", "fifty five day", "a
hundred thousand dollars", "alpha one fifty eight"; "两千零八年到二零一二年", "二十日",
"十二万". Every parser downstream (periods, costs, parameters, quantities, grids) would
otherwise need its own word forms. One rewrite here gives them digits, so a form learnt
once works in every slot.

What is *not* rewritten, because it is not a cardinal or because digits would change its
meaning: fractions and shares ("a third", "half", "一半", "三分之一", "百分之三十", "三成"),
cost jargon read by the cost parser ("万三", "千一"), ordinals ("the second week", "第一"),
weekdays ("周一"), single Chinese numeral characters (the parsers read those in context),
Chinese amounts in 万/亿 ("卖出十二万的纳指" reads as money because of the 万), a lone small
number that counts nothing ("the last one", "the two"), and "both".

The rewrite changes lengths, so it runs once on the whole text before normalisation; the
spec keeps the person's own text, and the "as you asked" lines quote the rewritten span.
"""

from __future__ import annotations

import re

from agents.understand._numbers import parse_number

__all__ = ["canonical"]

_SMALL = ("zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
          "sixteen seventeen eighteen nineteen").split()
_TENS = "twenty thirty forty fifty sixty seventy eighty ninety".split()
_BIG = ("hundred", "thousand", "million", "billion")
_NUMBER_WORDS = frozenset([*_SMALL, *_TENS, *_BIG])
_VALUE = {w: i for i, w in enumerate(_SMALL)} | {w: 10 * i for i, w in enumerate(_TENS, 2)}
#: Words after which "twenty ten" is a year, not the pair 20 / 10.
_YEAR_BEFORE = frozenset("from in since to through thru till until between and during before after "
                         "sample test testing validate validation train training year years of on by "
                         "end early late mid q h january february march april may june july "
                         "august september october november december jan feb mar apr jun jul aug sep sept "
                         "oct nov dec for over around circa".split())
#: "march third twenty twenty five": the day said as an ordinal before the year.
_YEAR_BEFORE = _YEAR_BEFORE | frozenset(
    "first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth thirteenth fourteenth fifteenth "
    "sixteenth seventeenth eighteenth nineteenth twentieth thirtieth twenty-first twenty-second twenty-third "
    "twenty-fourth twenty-fifth twenty-sixth twenty-seventh twenty-eighth twenty-ninth thirty-first".split())
_RANGE_AFTER = frozenset("to through thru till until and onwards onward".split())
#: A lone small number is a cardinal when a unit or a counted thing follows; else it may be a pronoun.
_UNITS = frozenset("basis bp bps bip bips day days week weeks month months year years percent pct lot lots share "
                   "shares unit units contract contracts sigma sigmas standard std times x k period periods "
                   "factor factors name names stock stocks timesteps steps million thousand hundred".split())

_WORD_RE = re.compile(r"[A-Za-z]+(?:-[A-Za-z]+)*")
_AND_A_HALF = re.compile(r"\b(\d+) and a half\b", re.I)
_SMALL_AND_A_HALF = re.compile(r"\b(one|two|three|four|five|six|seven|eight|nine|ten) and a half\b", re.I)
_Q_SMALL = re.compile(r"\b([qQhH]) (one|two|three|four)\b")
#: "zero point one percent", "two point five bps", "point zero five": a decimal said digit by digit.
_DIGIT_WORD = {"zero": "0", "oh": "0", "nought": "0", "naught": "0", "one": "1", "two": "2", "three": "3",
               "four": "4", "five": "5", "six": "6", "seven": "7", "eight": "8", "nine": "9"}
_DIGIT_RE = r"(?:zero|oh|nought|naught|one|two|three|four|five|six|seven|eight|nine)"
_SPOKEN_DECIMAL = re.compile(rf"(?i)\b({_DIGIT_RE}|\d+)\s+point\s+({_DIGIT_RE}(?:\s+{_DIGIT_RE})*)\b"
                             rf"|\bpoint\s+({_DIGIT_RE}(?:\s+{_DIGIT_RE})*)(?=\s+(?:percent|per\s*cent|pct|bps?|bips?|basis))")


def _spoken_decimal(m: re.Match[str]) -> str:
    whole = m.group(1) or "0"
    whole = _DIGIT_WORD.get(whole.lower(), whole)
    return whole + "." + "".join(_DIGIT_WORD[w.lower()] for w in (m.group(2) or m.group(3)).split())


def _words(text: str) -> list[tuple[int, int, str]]:
    return [(m.start(), m.end(), m.group(0).lower()) for m in _WORD_RE.finditer(text)]


def _is_number_word(word: str) -> bool:
    return all(part in _NUMBER_WORDS for part in word.split("-"))


def _two_digit(words: list[str], i: int) -> tuple[int, int] | None:
    """A 10..99 form at ``i`` ("ten", "fifty", "fifty five", "fifty-five", "oh five"): (value, words used)."""
    if i >= len(words):
        return None
    w = words[i]
    if "-" in w:
        head, _, tail = w.partition("-")
        if head in _TENS and tail in _SMALL and 0 < _VALUE[tail] < 10:
            return _VALUE[head] + _VALUE[tail], 1
        return None
    if w in _SMALL and _VALUE[w] >= 10:
        return _VALUE[w], 1
    if w in _TENS:
        nxt = words[i + 1] if i + 1 < len(words) else ""
        if nxt in _SMALL and 0 < _VALUE[nxt] < 10:
            return _VALUE[w] + _VALUE[nxt], 2
        return _VALUE[w], 1
    if w in ("oh", "o") and i + 1 < len(words) and words[i + 1] in _SMALL and 0 < _VALUE[words[i + 1]] < 10:
        return _VALUE[words[i + 1]], 2
    return None


def _cardinal(words: list[str], i: int) -> tuple[int, int] | None:
    """The longest standard cardinal at ``i`` ("two thousand and five", "a hundred thousand").

    Said lists are not one number: in "fifty one hundred and two hundred" the multiplier
    "hundred" belongs to the word before it, so a chunk may not end just before a multiplier
    and "hundred" may not scale a compound like "fifty one".
    """
    best = None
    for j in range(i + 1, min(len(words), i + 9) + 1):
        chunk = words[i:j]
        if chunk[-1] in ("and", "a", "an") or (j < len(words) and words[j] in _BIG):
            continue
        if any(a in _TENS and b in _SMALL and c == "hundred" for a, b, c in zip(chunk, chunk[1:], chunk[2:], strict=False)):
            continue
        value = parse_number(" ".join(chunk))
        if value is not None and value == int(value):
            best = (int(value), j - i)
    return best


def _spoken_year(words: list[str], i: int, before: str, after_run: list[str]) -> tuple[int, int] | None:
    """ "nineteen ninety nine", "twenty twenty two", "twenty oh five": a year read in two halves."""
    head = words[i]
    if head not in ("nineteen", "twenty"):
        return None
    tail = _two_digit(words, i + 1) if i + 1 < len(words) else None
    if tail is None:
        return None
    year = _VALUE[head] * 100 + tail[0]
    used = 1 + tail[1]
    follows = words[i + used] if i + used < len(words) else (after_run[0] if after_run else "")
    if head == "nineteen" or before in _YEAR_BEFORE or follows in _RANGE_AFTER:
        return year, used
    return None


def _alpha_name(words: list[str], i: int, before: str) -> tuple[int, int] | None:
    """ "alpha one fifty eight" / "alpha three sixty": a feature-set name said in hundreds."""
    if before != "alpha" or words[i] not in _SMALL or not 0 < _VALUE[words[i]] < 10:
        return None
    tail = _two_digit(words, i + 1)
    if tail is None or words[i + 1] not in _TENS:
        return None
    return _VALUE[words[i]] * 100 + tail[0], 1 + tail[1]


#: "sixty-day", "twenty-thousand-step": the number word and its unit, hyphenated as one word.
_HYPHEN_UNIT = re.compile(r"(?i)\b([a-z]+(?:-[a-z]+)*?)-((?:trading-|business-)?(?:day|days|step|steps|week|weeks|month|"
                          r"months|year|years|period|periods|bar|bars|session|sessions))\b")


_BARE_HUNDRED = re.compile(r"(?i)(?<![a-z-])(?<!one )(?<!a )hundred(?= (?:day|days|bar|bars|period|periods|week|weeks)\b)")


_FRACTION_MILLION = re.compile(r"(?i)\b(a quarter|a half|half a|three quarters of a|a quarter of a)\s+million\b")
_FRACTION_VALUE = {"a quarter": "250000", "a quarter of a": "250000", "a half": "500000", "half a": "500000",
                   "three quarters of a": "750000"}


def _unhyphen(m: re.Match[str]) -> str:
    head = m.group(1)
    return f"{head} {m.group(2).replace('-', ' ')}" if _is_number_word(head.lower()) else m.group(0)  # "five-trading-day"


#: "half a basis point", "one tenth of a percent", "a quarter of a bp": a fraction of a cost unit, as a decimal.
_UNIT_FRACTION = re.compile(r"(?i)\b(?:(half)(?:\s+of)?|(?:a|one)\s+(half|third|quarter|fifth|tenth)(?:\s+of)?)\s+(?:a|an|one)\s+"
                            r"(basis[\s-]+points?|bps?|bips?|percent(?:age\s+points?)?|per\s*cent|pct)\b")
_PART = {"half": "0.5", "third": "0.33", "quarter": "0.25", "fifth": "0.2", "tenth": "0.1"}
#: "半个基点", "两个bp", "三个百分点": a single Chinese numeral counting a cost unit, as digits.
_CN_COUNTED_UNIT = re.compile(r"(?<![零〇一二两三四五六七八九十百千万亿\d.])(?<![零〇一二两三四五六七八九十\d][点點])([半一二两三四五六七八九十])\s*个\s*(?=bps?|bips?|基点|百分点)")
_CN_UNIT_DIGIT = {"半": "0.5", "一": "1", "二": "2", "两": "2", "三": "3", "四": "4", "五": "5", "六": "6", "七": "7",
                  "八": "8", "九": "9", "十": "10"}


def _english(text: str) -> str:
    text = _UNIT_FRACTION.sub(lambda m: f"{_PART[(m.group(1) or m.group(2)).lower()]} {m.group(3)}", text)
    text = _HYPHEN_UNIT.sub(_unhyphen, text)
    text = _FRACTION_MILLION.sub(lambda m: _FRACTION_VALUE[m.group(1).lower()], text)  # "a quarter million"
    text = _BARE_HUNDRED.sub("100", text)  # "a twenty-day / hundred-day average"
    text = _SMALL_AND_A_HALF.sub(lambda m: f"{_VALUE[m.group(1).lower()]}.5", text)
    text = _Q_SMALL.sub(lambda m: f"{m.group(1)}{_VALUE[m.group(2).lower()]}", text)
    text = _SPOKEN_DECIMAL.sub(_spoken_decimal, text)
    tokens = _words(text)
    out: list[str] = []
    cursor = 0
    k = 0
    while k < len(tokens):
        start, _, word = tokens[k]
        starts_number = _is_number_word(word) or (word in ("a", "an") and k + 1 < len(tokens)
                                                  and tokens[k + 1][2] in _BIG)
        if not starts_number:
            k += 1
            continue
        # the run of number words (and "and"/"a"/"oh" inside it), joined only by spaces or hyphens
        run = [k]
        while run[-1] + 1 < len(tokens):
            nxt = run[-1] + 1
            gap = text[tokens[run[-1]][1]:tokens[nxt][0]]
            if gap.strip() or tokens[nxt][2] not in (*_NUMBER_WORDS, "and", "a", "oh", "o") and \
                    not _is_number_word(tokens[nxt][2]):
                break
            run.append(nxt)
        while run and tokens[run[-1]][2] in ("and", "a", "oh", "o"):
            run.pop()
        words = [tokens[j][2] for j in run]
        before = tokens[k - 1][2] if k > 0 else ""
        after = [t[2] for t in tokens[run[-1] + 1:run[-1] + 3]] if run else []
        pieces: list[str] = []
        i = 0
        while i < len(words):
            prev = before if i == 0 else words[i - 1]
            got = (_alpha_name(words, i, prev) or _spoken_year(words, i, prev, after)
                   or _cardinal(words, i))
            if got is None:
                pieces.append(text[tokens[run[i]][0]:tokens[run[i]][1]])
                i += 1
                continue
            value, used = got
            next_word = words[i + used] if i + used < len(words) else (after[0] if after else "")
            lone_small = used == 1 and value < 10 and words[i] in _SMALL and len(words) == 1
            later = after[1] if len(after) > 1 else ""
            counted = next_word in _UNITS or later in _UNITS or prev in ("q", "of", "by", "at", "to", "from", "is", "with",
                                                                    "seed")
            if lone_small and (prev in ("the", "which", "these", "those", "that") or not counted):
                pieces.append(text[tokens[run[i]][0]:tokens[run[i]][1]])
                i += 1
                continue
            pieces.append(str(value))
            i += used
        if any(p.isdigit() for p in pieces):
            out.append(text[cursor:tokens[run[0]][0]])
            out.append(" ".join(pieces))
            cursor = tokens[run[-1]][1]
        k = run[-1] + 1 if run else k + 1
    out.append(text[cursor:])
    return _GRAND.sub(r"\1 thousand dollars", _AND_A_HALF.sub(lambda m: f"{m.group(1)}.5", "".join(out)))


#: "forty grand", "50 grand": in money talk a grand is a thousand dollars (never a thousand shares).
_GRAND = re.compile(r"(?i)(?<![\w.])(\d+(?:\.\d+)?)\s*(?:grand|g's)\b")


# --- Chinese ------------------------------------------------------------------------------------
_CN_RUN = re.compile(r"[零〇一二两三四五六七八九十百千万亿]{2,}")
_CN_NOT_AFTER = ("之", "第", "星期", "礼拜", "周", "万", "千", "百", "点", "點")  # 百分之三十, 第一, 周一, 万三, 零点零五
_CN_NOT_BEFORE = ("分之", "成", "折")                                # 三分之一, 三成, 八折


def _chinese(text: str) -> str:
    text = _SPACED_BIG.sub("", text)  # "买 10 万元": the number is "10万"
    text = _CN_COUNTED_UNIT.sub(lambda m: f"{_CN_UNIT_DIGIT[m.group(1)]}个", text)
    text = _ZH_YY_SPOKEN.sub(lambda m: _ZH_DIGIT[m.group(1)] + _ZH_DIGIT[m.group(2)], text)

    def rewrite(m: re.Match[str]) -> str:
        run = m.group(0)
        before = text[max(0, m.start() - 2):m.start()]
        after = text[m.end():m.end() + 2]
        # 万/亿 amounts stay: "卖出十二万的纳指" reads as money because of the 万 (the numbers module knows)
        if run[0] in "万千百亿" or "万" in run or "亿" in run or any(before.endswith(b) for b in _CN_NOT_AFTER) \
                or any(after.startswith(a) for a in _CN_NOT_BEFORE):
            return run
        if run == "二三" and before.endswith(("近", "去", "前")):
            return run  # "过去二三年": a rough count (parse_number reads "两三手", "一两个月" as none, see _numbers._ROUGHLY)
        if run == "二三" and after.startswith("年"):
            return "23"  # "二三年的走势": the year 2023 said digit by digit
        value = parse_number(run)
        if value is None or value != int(value):
            return run
        # "SYN010两百股": the digits of a name and the amount after it stay apart ("syn010 200股", not "syn010200股")
        return (" " if before[-1:].isdigit() else "") + str(int(value))

    return _CN_RUN.sub(rewrite, text)


_SPACED_BIG = re.compile(r"(?<=\d)\s+(?=[万亿](?![a-z0-9.一二两三四五六七八九十]))")  # "10 万元", not "2002 万一" (a cost)
_S_AND_P = re.compile(r"\b[Ss]\s*(?:and|n|&)\s*[Pp]\b")
#: Two-digit years as chat writes them: "08年", "00年到18年", "15到22年", "q4 08", "train 16-21".
_ZH_YY_RANGE = re.compile(r"(?<![\d.])(\d{2})\s*(到|至|-|—|~|－)\s*(\d{2})\s*年")
_ZH_YY = re.compile(r"(?<![\d.])(\d{2})\s*年(?!\s*(?:期|化|均|线|内|以内|左右))")
#: "17、18两年", "17和18年": two two-digit years listed (one stretch when they are consecutive).
_ZH_YY_PAIR = re.compile(r"(?<![\d.])(\d{2})\s*[、和与及]\s*(\d{2})\s*(?:两|二|2)?\s*年(?!\s*(?:期|化|均|线))")
#: "九五年", "零五年", "一八年": a year said digit by digit in Chinese (before the numerals become one number); only
#: 198x-201x, so "三五年" (three to five years) and "二三年" stay what they were.
_ZH_YY_SPOKEN = re.compile(r"(?<![零〇一二两三四五六七八九十百千万\d])([零〇一八九])([零〇一二三四五六七八九])(?=\s*年)")
_ZH_DIGIT = {"零": "0", "〇": "0", "一": "1", "二": "2", "三": "3", "四": "4", "五": "5", "六": "6", "七": "7",
             "八": "8", "九": "9"}
_EN_QYY = re.compile(r"\b([qQhH][1-4])\s*'?(\d{2})\b(?!\s*(?:%|bp|d\b|days?))")
#: "08q4", "19h1": the two-digit year first, as desk shorthand writes it.
_EN_YYQ = re.compile(r"(?<![\w.])'?(\d{2})\s?([qQhH][1-4])\b")
_EN_ROLE_YY = re.compile(r"\b((?i:train(?:ing)?|valid(?:ation|ate)?|val|test(?:ing)?|oos|in-sample|out-of-sample|since)"
                         r"|IS)\s+'?(\d{2})(?:\s*-\s*'?(\d{2}))?(?=\s*(?:[,;.)|]|$|\band\b|\bthen\b|\b(?i:onwards?|forwards?|on)\b"
                         r"|\s(?i:valid|val|test|oos|train)\b))")
#: "训练16-22", "样本外 16-18": a role word, then two-digit years.
_ZH_ROLE_YY = re.compile(r"(训练|验证|测试|样本外|样本内|回测)\s*(\d{2})\s*(?:-|~|到|至)\s*(\d{2})(?![\d年%.])")


def _year(yy: str) -> str:
    """ "08" -> "2008", "99" -> "1999": two digits mean this century up to 2035."""
    return f"{2000 + int(yy)}" if int(yy) <= 35 else f"{1900 + int(yy)}"


#: "Jan '09", "Mar '09": a month with an apostrophed two-digit year.
_EN_MON_YY = re.compile(r"(?i)\b(jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec|january|february|march|april|june|july"
                        r"|august|september|october|november|december)\.?\s*['’](\d{2})\b")
#: "nasdq 08-12", "from 99-05", "over 05-09": two two-digit years as a range (a leading zero, a cross of the
#: century, or a range word before them: a parameter pair like "10-30" is left alone).
_EN_YY_RANGE = re.compile(r"(?i)(?<![\d/.:$-])(?:(?<=\bfrom\s)|(?<=\bover\s)|(?<=\bduring\s)|(?<=\bbetween\s)|(?=0\d-)|(?=9\d-[0-3]\d))"
                          r"(\d{2})-(\d{2})(?![\d/.:%-]|\s*(?:%|bps?\b|d\b|days?\b|x\b|[km]\b|日|天|月))")


def _yy_range(m: re.Match[str]) -> str:
    first, last = _year(m.group(1)), _year(m.group(2))
    return f"{first}-{last}" if first < last else m.group(0)


#: "Nasdaq from '99 to '02", "'08-'09": apostrophed two-digit years as the ends of a range.
_EN_APOS_RANGE = re.compile(r"(?<![\w'’])['’](\d{2})\s*(to|through|thru|until|till|-|–|~)\s*['’](\d{2})\b")


def _two_digit_years(text: str) -> str:
    text = _EN_MON_YY.sub(lambda m: f"{m.group(1)} {_year(m.group(2))}", text)
    text = _EN_APOS_RANGE.sub(lambda m: f"{_year(m.group(1))} {m.group(2)} {_year(m.group(3))}"
                              if _year(m.group(1)) <= _year(m.group(3)) else m.group(0), text)
    text = _EN_YY_RANGE.sub(_yy_range, text)
    text = _ZH_YY_PAIR.sub(lambda m: f"{_year(m.group(1))}年和{_year(m.group(2))}年", text)
    text = _ZH_YY_RANGE.sub(lambda m: f"{_year(m.group(1))}{m.group(2)}{_year(m.group(3))}年", text)
    text = _ZH_YY.sub(lambda m: f"{_year(m.group(1))}年", text)
    text = _EN_QYY.sub(lambda m: f"{m.group(1)} {_year(m.group(2))}", text)
    text = _EN_YYQ.sub(lambda m: f"{m.group(2).upper()} {_year(m.group(1))}", text)
    text = _ZH_ROLE_YY.sub(lambda m: f"{m.group(1)}{_year(m.group(2))}-{_year(m.group(3))}"
                           if int(_year(m.group(2))) <= int(_year(m.group(3))) else m.group(0), text)
    return _EN_ROLE_YY.sub(lambda m: f"{m.group(1)} {_year(m.group(2))}"
                           + (f"-{_year(m.group(3))}" if m.group(3) else ""), text)


#: Domain words people mistype in a hurry ("lightgmb", "nasdq", "optimze", "backtst", "bolinger"):
#: a lower-case word of 5+ letters not itself a word here, one edit or swap from exactly one of
#: these, is read as it. Short words and ordinary English are left alone (a typo in them
#: changes no slot), and so is anything that starts like one of these (inflections).
_DOMAIN = ("nasdaq", "lightgbm", "bollinger", "donchian", "momentum", "crossover", "reversion", "breakout",
           "backtest", "backtesting", "optimize", "optimise", "optimization", "strategy", "strategies", "alpha158",
           "alpha360", "commission", "slippage", "rebalance", "timesteps", "universe", "synthetic", "approval",
           "position", "positions", "account", "evaluate", "factors", "reinforcement", "liquidity", "volatility",
           "turnover", "trading", "average", "moving", "exponential", "relative", "drawdown", "portfolio",
           "parameters", "parameter", "sharpe", "window", "lookback", "threshold", "validation", "training",
           "crude", "simulate", "price", "prices", "chart")
_NOT_TYPOS = frozenset({"sharp", "share", "shares", "shape", "trade", "trader", "traders", "moved", "moves", "movie",
                        "windows", "average", "accounts", "training", "trained", "strate", "position", "window",
                        "relatively", "statistics", "strategic", "universal", "evaluated", "commissions", "optimal",
                        "crudely", "parameterise", "approve", "approved", "factor", "tradings", "trailing", "trialing",
                        "straining", "draining"})


def _typo(word: str) -> str | None:
    import difflib

    low = word.lower()
    if len(low) < 5 or low in _DOMAIN or low in _NOT_TYPOS or not low.isalpha() and not low[:-3].isalpha():
        return None
    if any(low.startswith(d) or d.startswith(low) for d in _DOMAIN):
        return None  # "strategies", "positions", "backtested": an inflection, not a typo
    close = [d for d in difflib.get_close_matches(low, _DOMAIN, n=2, cutoff=0.84) if d[0] == low[0]]
    if not close and len(low) >= 6:  # "nasdak": one letter wrong in a short word falls under the ratio
        close = [d for d in _DOMAIN if len(d) == len(low) and d[0] == low[0]
                 and sum(a != b for a, b in zip(d, low, strict=True)) == 1]
    if not close:  # "pirce", "nasadq": two neighbouring letters swapped
        close = [d for d in _DOMAIN if len(d) == len(low) and _swapped(low, d)]
    return close[0] if len(close) == 1 else None


def _swapped(word: str, target: str) -> bool:
    diff = [i for i, (a, b) in enumerate(zip(word, target, strict=True)) if a != b]
    return len(diff) == 2 and diff[1] == diff[0] + 1 and word[diff[0]] == target[diff[1]] and word[diff[1]] == target[diff[0]]


#: Misspellings of the words that join a window's ends ("from 2018 untill 2022"): the inflection guard of
#: :func:`_typo` keeps them ("untill" starts like "until"), so they are named.
_JOINERS = re.compile(r"\b(?:untill|untll|unitl|utill|throught|thruogh)\b", re.IGNORECASE)


def _typos(text: str) -> str:
    text = _JOINERS.sub(lambda m: "through" if m.group(0).lower().startswith("th") else "until", text)
    return re.sub(r"\b[A-Za-z][A-Za-z0-9]{4,}\b", lambda m: _typo(m.group(0)) or m.group(0), text)


_DOTTED_RANGE = re.compile(r"(\d{4}-\d{1,2}-\d{1,2})\s*\.{2,3}\s*(\d{4}-\d{1,2}-\d{1,2})")
_MEMBER = re.compile(r"\s*∈\s*")


def _notation(text: str) -> str:
    """A developer's notation: "2000-01-01..2018-12-31" is a range, "period ∈ {7,14}" a list, "RSI-14" RSI 14."""
    return _INDICATOR_DASH.sub(r"\1 \2", _MEMBER.sub(" in ", _DOTTED_RANGE.sub(r"\1 to \2", text)))


#: "RSI-14", "SMA-50", "EMA-20/EMA-60": an indicator and its length joined by a dash.
_INDICATOR_DASH = re.compile(r"(?i)(?<![\w-])(rsi|sma|ema|ma|atr|wma|roc|cci|boll)-(\d{1,3})(?![\d.-])")


#: "ten-year in-sample ending 2014" -> "in-sample 2005-2014"; "the five years to the end of the data" ->
#: "the last 5 years" (after the numbers are digits).
_ENDING = re.compile(r"(?i)\b(\d{1,2})[- ]years?\s+((?:in[- ]sample|training|train|of\s+data|of\s+history|window|period|span|"
                     r"sample|test|out[- ]of[- ]sample)\s+)?"
                     r"(?:ending|ended|that\s+ends?|up\s+to|through)\s+(?:in\s+)?((?:19|20)\d{2})\b")
_TO_THE_END = re.compile(r"(?i)\b(?:the\s+)?(?:(\d{1,2}|one|two|three|four|five|six|seven|eight|nine|ten)\s+years?|(decade))\s+"
                         r"(?:to|until|up\s+to|ending\s+(?:with|at|on|in)|that\s+ends?\s+(?:with|at|on)|ended\s+(?:with|at|on))\s+"
                         r"the\s+(?:end\s+of\s+(?:the\s+)?(?:data|sample|history|series)|(?:latest|most\s+recent|last)\s+"
                         r"(?:available\s+)?(?:data|bar|date|observation|print|close))\b")


#: "15年买到现在", "从1999年拿到2008年": a holding verb between a year and "到" is the range's connector.
_HELD_TO = re.compile(r"((?:19|20)\d{2}\s*年?)\s*(?:买|拿|持有|持|放|买入)\s*(?=到|至)")


def _durations(text: str) -> str:
    def ending(m: re.Match[str]) -> str:
        n, role, year = int(m.group(1)), (m.group(2) or "").strip(), int(m.group(3))
        return f"{role + ' ' if role else ''}{year - n + 1}-{year}"

    def to_end(m: re.Match[str]) -> str:
        n = (m.group(1) or "10").lower()
        return f"the last {_VALUE.get(n, n)} years"

    return _HELD_TO.sub(r"\1", _TO_THE_END.sub(to_end, _ENDING.sub(ending, text)))


#: Words about the speaker's memory, not a request to recall a run: "Oh and while I remember, halve the SYN030
#: position", "趁我还记得，把原油减一半" (they once made the order a recall, and the order was lost).
_MEMORY_FILLER = re.compile(r"(?<![a-z])(?:while\s+i\s+remember|before\s+i\s+forget|while\s+i\s+think\s+of\s+it|"
                            r"now\s+that\s+i\s+think\s+of\s+it)(?![a-z])|趁(?:我)?(?:还)?记得|免得(?:我)?忘了|趁(?:我)?没忘", re.I)


def canonical(text: str) -> str:
    """``text`` with spoken and written-out cardinals as digits (see the module docstring);
    "S and P" (dictated) as "S&P"; a value corrected in passing replaced by its correction."""
    text = _MEMORY_FILLER.sub(" ", text)
    return _spoken_settings(_self_corrected(_parts_of_a_year(_durations(_COUNTED_UNIT.sub(r"\1", _two_digit_years(_chinese(_english(
        _S_AND_P.sub("S&P", _typos(_notation(_spoken_names(text))))))))))))


#: A correction said in passing, as dictation and chat carry it: "20000 steps no make it 50000", "july 2009 no
#: sorry 2008", "on oil no wait on gold", "周期14 不对 周期21". Only the corrected value stays, so no later step
#: has to guess which of two values was meant (and neither is reported as ignored).
_FIX_WORDS = (r"(?:no\s+wait|no\s+sorry|sorry\s+no|no\s+actually|no\s+make\s+(?:it|that)|make\s+(?:it|that)|i\s+mean"
              r"|sorry\s+i\s+mean|no\s+no|wait\s+no|oops|no)")
_FIX_NUMBER = re.compile(r"(?<![\w.])(\d[\d,]*(?:\.\d+)?)((?:\s*(?:%|k\b|bps?\b|[a-z]+\b)){0,2}?)\s*[,;]?\s*"
                         rf"\b{_FIX_WORDS}\b\s*[,;]?\s*(?:it'?s\s+|to\s+)?(\d[\d,]*(?:\.\d+)?)(?![\d/-])", re.I)
_FIX_NUMBER_ZH = re.compile(r"(?<![\d.一二两三四五六七八九十])(\d+(?:\.\d+)?|[一二两三四五六七八九十]+)([^\d\s，,。；;]{0,3}?)\s*[，,]?\s*"
                            r"(?:不对|说错了|哦不|呃不|应该是|改成)\s*[，,]?\s*(?:是|改成|应该是)?\s*"
                            r"(\d+(?:\.\d+)?|[一二两三四五六七八九十]+)(?![\d/-])")
_FIX_PHRASE = re.compile(rf"\b(on|in|for|from|with|use|using)\s+(?:[\w&.-]+\s+){{1,3}}?{_FIX_WORDS}\s*[,;]?\s*\1\s+", re.I)
_FIX_WORD_ZH = re.compile(r"([\u4e00-\u9fff]{1,3})\s*[^\s，,。；;]{1,8}?\s*[，,]?\s*(?:不对|说错了|哦不|呃不)\s*[，,]?\s*\1")


_ALPHA_SPOKEN = re.compile(r"(?<![a-z])alpha\s*(?:1\s+5\s+8|1\s+58|15\s+8|one\s+fifty\s+eight)(?!\d)|(?<![a-z])alpha\s*"
                           r"(?:3\s+6\s+0|3\s+60|three\s+sixty)(?!\d)", re.I)
#: A lone Chinese numeral where a value is set ("种子设成七", "快线试五 十 20") or listed after a number ("12 26 九").
_CN_SINGLE = re.compile(r"(?:(?<=设成|设为|改成|改为|换成)|(?<=设置为)|(?<=[试取用])|(?<=\d[\s，,、])|(?<=\d\s\s))([一二三四五六七八九十])"
                        r"(?=\s|$|[，,。;；、]|\d)")
_CN_ONE = {"一": "1", "二": "2", "三": "3", "四": "4", "五": "5", "六": "6", "七": "7", "八": "8", "九": "9", "十": "10"}


def _spoken_settings(text: str) -> str:
    text = _ALPHA_SPOKEN.sub(lambda m: "alpha158" if "1" in m.group(0) or "one" in m.group(0).lower() else "alpha360",
                             text)
    for _ in range(3):  # "快线试五 十 20": each numeral of the list after the one before it
        text = _CN_SINGLE.sub(lambda m: _CN_ONE[m.group(1)], text)
    return text


def _self_corrected(text: str) -> str:
    text = _FIX_PHRASE.sub(lambda m: m.group(1) + " ", text)
    text = _FIX_WORD_ZH.sub(lambda m: m.group(1), text)
    for pattern in (_FIX_NUMBER, _FIX_NUMBER_ZH):
        out, at = [], 0
        for m in pattern.finditer(text):
            if m.start() < at:
                continue
            unit, end = m.group(2), m.end()
            said = unit.strip().lower()
            rest = text[end:]
            gap = len(rest) - len(rest.lstrip())
            # the correction repeats the unit ("3手黄金，不对，是5手", "2 lots no 3 lots"): said once, after the number
            k = max((n for n in range(1, len(said) + 1) if rest[gap:gap + n].lower() == said[:n]), default=0)
            if k:
                end += gap + k
            out += [text[at:m.start()], m.group(3), unit]
            at = end
        text = "".join(out) + text[at:]
    return text


_SPOKEN_DIGIT = {"zero": "0", "oh": "0", "o": "0", "one": "1", "two": "2", "three": "3", "four": "4", "five": "5",
                 "six": "6", "seven": "7", "eight": "8", "nine": "9", "零": "0", "〇": "0", "一": "1", "幺": "1", "二": "2",
                 "两": "2", "三": "3", "四": "4", "五": "5", "六": "6", "七": "7", "八": "8", "九": "9"}
_EN_DIGIT = r"(?:zero|oh|o|one|two|three|four|five|six|seven|eight|nine|\d)"
#: A sample stock's name said digit by digit ("SYN zero four two", "SYN one oh three", "SYN零一二", "syn 0 4 2").
_SPOKEN_NAME = re.compile(rf"(?<![A-Za-z0-9])(syn)\s*(?:({_EN_DIGIT})[\s-]+({_EN_DIGIT})[\s-]+({_EN_DIGIT})(?![A-Za-z0-9])"
                          r"|([零〇一幺二两三四五六七八九])([零〇一幺二两三四五六七八九])([零〇一幺二两三四五六七八九]))", re.I)


_ORDINAL_DAY = {w: i for i, w in enumerate(
    "first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth thirteenth fourteenth fifteenth "
    "sixteenth seventeenth eighteenth nineteenth twentieth".split(), start=1)}
_ORDINAL_DAY.update({f"twenty-{w}": 20 + i for w, i in list(_ORDINAL_DAY.items())[:9]})
_ORDINAL_DAY.update({f"twenty {w}": 20 + i for w, i in list(_ORDINAL_DAY.items())[:9]})
_ORDINAL_DAY.update({"thirtieth": 30, "thirty-first": 31, "thirty first": 31})
_MONTH_ORDINAL = re.compile(
    r"\b(january|february|march|april|june|july|august|september|october|november|december|jan|feb|mar|apr|jun|jul"
    r"|aug|sep|sept|oct|nov|dec)\s+(?:the\s+)?(" + "|".join(sorted(map(re.escape, _ORDINAL_DAY), key=len, reverse=True))
    + r")\b", re.I)


def _spoken_names(text: str) -> str:
    """Names and days said in words: "SYN zero four two" -> "SYN042", "march third" -> "march 3"."""
    text = _MONTH_ORDINAL.sub(lambda m: f"{m.group(1)} {_ORDINAL_DAY[m.group(2).lower()]}", text)

    def name(m: re.Match[str]) -> str:
        digits = [g for g in m.groups()[1:] if g is not None]
        return m.group(1).upper() + "".join(_SPOKEN_DIGIT.get(d.lower(), d) for d in digits)

    return _SPOKEN_NAME.sub(name, text)


#: "2017年上半年和下半年", "2015年一季度和三季度": the second part of the same year, said without it.
_SECOND_PART = re.compile(r"((?:19|20)\d\d)\s*年\s*(的\s*)?((?:[上下]半年|(?:第\s*)?[1-4一二三四]\s*季度?))"
                          r"(\s*(?:和|与|跟|、|及|以及|还有|对比|vs\.?)\s*)((?:[上下]半年|(?:第\s*)?[1-4一二三四]\s*季度?))")


def _parts_of_a_year(text: str) -> str:
    """The year said again before the second part, so each part is a window of its own."""
    return _SECOND_PART.sub(lambda m: f"{m[1]}年{m[2] or ''}{m[3]}{m[4]}{m[1]}年{m[5]}", text)


#: "2个bp", "3个基点": the measure word between a number and its unit goes.
_COUNTED_UNIT = re.compile(r"(?<=\d)\s*个\s*(bps?|bp|基点|点|百分点|bip)")
