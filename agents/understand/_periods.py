"""Date windows a quant states in an instruction, each with the role it plays.

Why this exists: the planner's first parser read one window per instruction and no roles, so
"hold out 2017 onwards" or "测试集用2023年" were dropped (a default split was used instead) and
"the second week of June 2019" or "2015年8月" were widened to whole years. Here every stated
window is read at its own grain (day, week, part of a month, month, quarter, half, year,
decade, range, open range, or a window relative to ``today``) and tagged with the role its
clause gives it. Input may be the raw text or the caller's normalised copy (lower-cased,
full-width folded, some spans blanked): full-width forms are folded here one character for
one, so spans always index the text passed in.

Conventions (``today`` is the last bar of the data in question, not the wall clock):

* Bounds are inclusive days; a year, quarter, month or week stands for all of its days.
* Week of a month: weeks run Monday to Sunday and belong to the month their Monday falls in,
  so "the second week of June 2019" / "2019年6月第二周" is the second Monday of June 2019 and the
  six days after it (2019-06-10..2019-06-16); "the last week of" starts on the month's last
  Monday; a fifth week that does not exist yields nothing. "first week of 2020" is the year's
  first Monday-week. ISO weeks ("2019-W23", "2019年第23周") follow ISO 8601; "the week of
  June 12, 2019" is the Monday-Sunday week holding that day.
* Parts: "上旬/中旬/下旬", "early/mid/late June", "月初/月底", "start/end of June" are days 1-10,
  11-20, 21-end. "the start/end of 2019", "2019年初/底" are January/December; "early/mid/late
  2019", "2019年中" are Q1, June-July, Q4.
* "last N years/months/quarters" ends at ``today`` and starts the day after the same date N
  units earlier, a month end staying a month end: with today 2018-12-31, "last 2 years" is
  2017-01-01..2018-12-31 and "last 9 months" 2018-04-01..2018-12-31; with today 2024-02-29,
  "last 1 year" is 2023-03-01..2024-02-29. "last N weeks/days" is 7N / N calendar days ending
  at ``today``; "last N trading days" counts N weekdays back (holidays are not known here).
  "半年"/"half a year" is 6 months, "一年半" 18. "N years of data", "3年的数据" read as the last N.
* "last year/month/week/quarter" (no article), "previous/prior ...", "去年", "上个月", "上周",
  "上季度" are the previous calendar unit of ``today``; "the last year", "the past year",
  "trailing year", "最近一年" are rolling windows of one unit. "this year"/"今年"/"本月" run
  from the unit's first day to ``today``; "YTD", "今年以来", "年初至今" likewise, with ``open_end``.
* Open ends: "since 2010", "from 2015", "2017 onwards", "starts in 2022", "2010年以来",
  "2021年以后/之后/起", "2015年至今" start on the named unit's first day and end at ``today`` with
  ``open_end``. English "after 2020" / "post-2020" is strict (starts 2021-01-01). "until /
  through / up to 2018", "截至2018年", "到2018年为止" end on the named unit's last day; "before
  2020", "pre-2020", "2018年以前/之前" end the day before it starts. A window with no start has
  ``start == date.min`` and ``open_start``. A window that begins after ``today`` is returned
  as stated (``start > end``) for the caller to report, never moved.
* Two-digit years ("3Q21", "2018-19") are 20xx. "M/D/YYYY" is read month first unless the
  first number is above 12. A bare four-digit number is a year only between 1950 and ten
  years past ``today`` and away from counts, money and index names. Fiscal years ("FY2019",
  "FY19", "2019财年") are read as calendar years. Spans anchored to a named end ("the 3 years
  to end-2017", "the 5 years ending Dec 2023", "the 6 months before 2024", "截至2017年底的三年")
  end on that year's / month's last day (the day before it for "before"). Vague spans
  ("近年来", "past few years") are not read.
* Roles: a role word must sit in the window's clause (clauses end at , ; . ! ? and at
  "but/then/然后"). A role word joined to the window by filler words ("on", "as the",
  "should be", "用", "做", "作为") binds first; otherwise the clause's order decides (role-first
  clauses give each window the role before it, window-first clauses the role after it). A
  bare role header clause ("For testing, use 2023") lends its role to the next clause.
  "backtest"/"回测", "test my strategy", and "data/数据" next to a window keep it "data";
  "ADF test"/"检验" are not roles.
* Not windows: parameters and horizons ("60-day moving average", "20日均线", "近20日涨幅",
  "5-day forward returns", "未来5天", "next week", "下周", "tomorrow"), quantities ("2000 shares",
  "seed 2024"), index names ("中证1000", "CSI 2000").
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import date, timedelta
from functools import cache
from typing import Literal

from agents.understand._numbers import Span  # one span type for every mention: (start, end, the words)

__all__ = ["PeriodMention", "Role", "Span", "find_periods"]

Role = Literal["data", "train", "valid", "test"]


@dataclass(frozen=True)
class PeriodMention:
    """One stated window: the role it plays and its inclusive bounds."""

    role: Role
    start: date
    end: date
    span: Span
    open_end: bool = False
    open_start: bool = False
    tuning: bool = False  # "1995-2010 调参": a validation split for a model, the in-sample span of a strategy search


@cache
def _rx(pattern: str) -> re.Pattern[str]:
    """Patterns compile on first use, so importing this module stays cheap."""
    return re.compile(pattern, re.IGNORECASE)


# --- numbers ----------------------------------------------------------------------------------
_CN_DIGIT = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7,
             "八": 8, "九": 9}
_CN_UNIT = {"十": 10, "百": 100}
_EN_NUM = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
           "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
           "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
           "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60}
_ORDINAL = {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "4th": 4,
            "fifth": 5, "5th": 5, "last": -1, "latter": 2, "final": -1}
_MONTHS = {name: i for i, name in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), start=1)}


def _cn_int(text: str) -> int:
    """Digits or Chinese numerals below a thousand ("12", "十二", "二十", "两") as an int."""
    if text.isascii():
        return int(text)
    total = current = 0
    for ch in text:
        if ch in _CN_UNIT:
            total += (current or 1) * _CN_UNIT[ch]
            current = 0
        else:
            current = _CN_DIGIT[ch]
    return total + current


def _amount(text: str) -> float:
    """A count as typed: "2", "1.5", "nine", "twenty-four", "half a", "两", "十", "半"."""
    word = " ".join(text.lower().split())
    if word in ("half", "half a", "半"):
        return 0.5
    if word == "one and a half":
        return 1.5
    if word in ("couple of", "a couple of"):
        return 2.0
    if word[0].isdigit():
        return float(word)
    if word[0].isascii():
        return float(sum(_EN_NUM[part] for part in re.split(r"[- ]", word)))
    return float(_cn_int(word))


def _ordinal(text: str) -> int:
    """Position words: "second" -> 2, "3rd" -> 3, "last"/"最后一" -> -1, "二"/"2" -> 2."""
    word = text.lower()
    if word in _ORDINAL:
        return _ORDINAL[word]
    if word in ("上", "下"):
        return 1 if word == "上" else 2
    return -1 if word.startswith("最后") else _cn_int(word)


# --- calendar arithmetic --------------------------------------------------------------------
_Bounds = tuple[date, date]


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _month(year: int, month: int) -> _Bounds:
    return date(year, month, 1), _month_end(year, month)


def _months(year: int, first: int, last: int) -> _Bounds:
    return date(year, first, 1), _month_end(year, last)


def _shift_months(day: date, months: int) -> date:
    """``day`` moved by whole months; a month end stays a month end (02-28 - 1 -> 01-31)."""
    year, index = divmod(day.year * 12 + day.month - 1 + months, 12)
    end = _month_end(year, index + 1)
    if day == _month_end(day.year, day.month):
        return end
    return end.replace(day=min(day.day, end.day))


def _weekdays_back(today: date, count: int) -> date:
    """The first of the last ``count`` weekdays up to ``today`` (a trading-day estimate)."""
    day, seen = today, 0
    while True:
        if day.weekday() < 5:
            seen += 1
            if seen >= count:
                return day
        day -= timedelta(days=1)


def _rolling(today: date, months: float = 0, days: int = 0) -> _Bounds:
    """The window of ``months`` (+ ``days``) that ends at ``today``; fractional months as days."""
    if months != int(months):
        days += round(months * 365.25 / 12)
        months = 0
    start = _shift_months(today, -int(months)) - timedelta(days=days) + timedelta(days=1)
    return start, today


def _unit_of(unit: str, day: date) -> _Bounds:
    """The calendar year/quarter/month/week (Monday-Sunday) holding ``day``."""
    if unit == "year":
        return date(day.year, 1, 1), date(day.year, 12, 31)
    if unit == "quarter":
        first = 3 * ((day.month - 1) // 3) + 1
        return _months(day.year, first, first + 2)
    if unit == "month":
        return _month(day.year, day.month)
    monday = day - timedelta(days=day.weekday())
    return monday, monday + timedelta(days=6)


def _nth_week(year: int, month: int | None, nth: int) -> _Bounds | None:
    """The ``nth`` Monday-Sunday week whose Monday falls in the month (or year); -1 = last."""
    first_month, last_month = (month, month) if month else (1, 12)
    if nth < 0:
        end = _month_end(year, last_month)
        monday = end - timedelta(days=end.weekday())
    else:
        start = date(year, first_month, 1)
        monday = start + timedelta(days=(7 - start.weekday()) % 7 + 7 * (nth - 1))
        if monday > _month_end(year, last_month):
            return None
    return monday, monday + timedelta(days=6)


# --- atoms: one stated date unit --------------------------------------------------------------
@dataclass(frozen=True)
class _Atom:
    """A date expression found in the text: a unit (or a finished relative window)."""

    start: int
    end: int
    first: date
    last: date
    fill: Callable[[int], _Bounds | None] | None = None  # partial ("March", "Q1"): needs a year
    joinable: bool = True  # may be one end of a range or take "since"/"until" words
    bare: bool = False  # a bare four-digit number read as a year: guarded against quantities
    open_end: bool = False
    void: bool = False  # a date that does not exist ("2019-02-30"): claims its words, yields nothing
    edge: str = ""  # "end" for "2019年底"/"the end of 2019", "start" for "2021年初": a point as a range's inner end


_Builder = Callable[[re.Match[str], date], "_Atom | None"]
_PARTIAL = date.min

_B = r"(?<![a-z0-9])"
_E = r"(?![a-z0-9])"
_Y4 = r"(?:19|20)\d\d"
_Y_RAW = rf"(?<![\d.$¥£€a-z])(?P<y>{_Y4})"
_Y = rf"{_Y_RAW}(?!\d|\.\d|\.[a-z])"
_REL_YEAR_EN = r"this\s+year|last\s+year|the\s+(?:current|previous|prior)\s+year"
_YE = rf"(?:{_Y}|(?P<ry>{_REL_YEAR_EN}))"
_YZ = rf"(?:{_Y_RAW}\s*年|(?P<ry>(?<!过)去年|今年|前年|本年))"
_MON = (r"(?P<mon>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
        r"|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)")
_MONW = rf"{_B}{_MON}{_E}\.?"
_CM = r"(?P<m>1[0-2]|0?[1-9]|十[一二]?|[一二三四五六七八九])"
_CD = r"(?P<d>3[01]|[12]\d|0?[1-9]|三十一?|二十[一二三四五六七八九]?|十[一二三四五六七八九]?|[一二三四五六七八九])"
_ORD = r"(?P<n>first|second|third|fourth|fifth|last|final|1st|2nd|3rd|4th|5th)"
_SFX = r"(?:st|nd|rd|th)?"
_NUM_EN = (r"(?P<n>\d+(?:\.\d+)?|one\s+and\s+a\s+half|half(?:\s+a)?|(?:a\s+)?couple\s+of"
           r"|(?:twenty|thirty|forty|fifty|sixty)(?:[- ](?:one|two|three|four|five|six|seven|eight|nine))?"
           r"|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen"
           r"|one|two|three|four|five|six|seven|eight|nine|ten)")
_NUM_ZH = r"(?P<n>\d+(?:\.\d+)?|[零〇一二两三四五六七八九十百]+|半)"


def _year_of(m: re.Match[str], today: date) -> int:
    """The year a match names: digits, two digits (20xx), Chinese digits or "去年"/"this year"."""
    groups = m.groupdict()
    if groups.get("y"):
        return int(groups["y"])
    if groups.get("yy"):
        return 2000 + int(groups["yy"])
    if groups.get("cy"):
        return int("".join(str(_CN_DIGIT[c]) for c in groups["cy"]))
    word = " ".join((groups.get("ry") or "").lower().split())
    back = 2 if word == "前年" else 1 if word in ("去年", "last year") or "previous" in word or "prior" in word else 0
    return today.year - back


def _month_of(m: re.Match[str]) -> int:
    name = m.groupdict().get("mon")
    return _MONTHS[name.lower()[:3]] if name else _cn_int(m["m"])


def _atom(m: re.Match[str], bounds: _Bounds | None, *, joinable: bool = True, bare: bool = False,
          open_end: bool = False) -> _Atom | None:
    """An atom over the whole match; void when the stated date does not exist (never widened)."""
    if bounds is None:
        return _Atom(m.start(), m.end(), _PARTIAL, _PARTIAL, joinable=False, void=True)
    return _Atom(m.start(), m.end(), bounds[0], bounds[1], joinable=joinable, bare=bare, open_end=open_end)


def _one_day(year: int, month: int, day: int) -> _Bounds:
    return date(year, month, day), date(year, month, day)


def _safe(make: Callable[[], _Bounds | None]) -> _Bounds | None:
    """``make()``, or None for a date that does not exist (2019-02-30, week 54)."""
    try:
        return make()
    except ValueError:
        return None


def _clip(bounds: _Bounds, today: date, m: re.Match[str]) -> _Bounds:
    """A unit of the current year named relatively ("今年", "this year") stops at ``today``."""
    if m.groupdict().get("ry") and bounds[0] <= today <= bounds[1]:
        return bounds[0], today
    return bounds


def _day(m: re.Match[str], today: date) -> _Atom | None:
    year, month, day = _year_of(m, today), _month_of(m), _cn_int(m["d"])
    return _atom(m, _safe(lambda: _one_day(year, month, day)))


def _slash_day(m: re.Match[str], today: date) -> _Atom | None:
    first, second = int(m["a"]), int(m["b"])
    month, day = (second, first) if first > 12 else (first, second)
    return _atom(m, _safe(lambda: _one_day(int(m["y"]), month, day)))


def _day_range(m: re.Match[str], today: date) -> _Atom | None:
    year, month = _year_of(m, today), _month_of(m)
    bounds = _safe(lambda: (date(year, month, _cn_int(m["d1"])), date(year, month, _cn_int(m["d2"]))))
    return None if bounds and bounds[0] > bounds[1] else _atom(m, bounds)


def _week_of_month(m: re.Match[str], today: date) -> _Atom | None:
    has_month = bool(m.groupdict().get("mon") or m.groupdict().get("m"))
    month = _month_of(m) if has_month else None
    return _atom(m, _nth_week(_year_of(m, today), month, _ordinal(m["n"])))


def _iso_week(m: re.Match[str], today: date) -> _Atom | None:
    year, week = _year_of(m, today), _cn_int(m["w"])
    return _atom(m, _safe(lambda: (date.fromisocalendar(year, week, 1), date.fromisocalendar(year, week, 7))))


def _month_atom(m: re.Match[str], today: date) -> _Atom | None:
    return _atom(m, _clip(_month(_year_of(m, today), _month_of(m)), today, m))


_EDGE_MONTHS = {"start": (1, 1), "beginning": (1, 1), "初": (1, 1), "early": (1, 3), "mid": (6, 7),
                "middle": (6, 7), "中": (6, 7), "late": (10, 12), "end": (12, 12), "底": (12, 12), "末": (12, 12)}


def _year_edge(m: re.Match[str], today: date) -> _Atom | None:
    """"the start/end of 2019", "2019年初/底" (January/December); early = Q1, mid = 1 July (the midpoint), late = Q4."""
    if m["e"].lower() in ("mid", "middle"):  # "between mid-2019 and ...", "until mid-2019": the year's midpoint
        year = _year_of(m, today)
        return _atom(m, _clip((date(year, 7, 1), date(year, 7, 1)), today, m))
    first, last = _EDGE_MONTHS[m["e"].lower()]
    atom = _atom(m, _clip(_months(_year_of(m, today), first, last), today, m))
    edge = {"end": "end", "底": "end", "末": "end", "start": "start", "beginning": "start", "初": "start"}.get(m["e"].lower(), "")
    return replace(atom, edge=edge) if atom is not None and edge else atom


def _year_ends(m: re.Match[str], today: date) -> _Atom | None:
    """"between the 2011 and 2013 year-ends", "year-end 2015": 31 December of the years named."""
    first = int(m["y"])
    last = int(m["y2"]) if m.groupdict().get("y2") else first
    if last < first:
        return None
    return _atom(m, (date(first, 12, 31), date(last, 12, 31)), joinable=not m.groupdict().get("y2"))


_HOLIDAYS = {"christmas": (12, 25), "xmas": (12, 25), "christmas eve": (12, 24), "new year's eve": (12, 31),
             "new years eve": (12, 31), "new year's day": (1, 1), "new years day": (1, 1), "圣诞节": (12, 25), "圣诞": (12, 25),
             "元旦": (1, 1)}


def _holiday(m: re.Match[str], today: date) -> _Atom | None:
    """"Christmas 2016", "2016年圣诞节", "New Year's Eve 2019": the day itself."""
    month, day = _HOLIDAYS[" ".join(m["hol"].lower().replace("’", "'").split())]
    year = _year_of(m, today)
    return _atom(m, (date(year, month, day), date(year, month, day)))


#: Market episodes a quant names instead of dates, with the span the trade conventionally gives them (index peak
#: to trough where the episode is a drawdown: the S&P 500's for US crises, the Nasdaq's for the dot-com bust, WTI's
#: for the 2014-16 oil crash, the Shanghai Composite's for 2015), or the day of a single event. Each pattern is
#: matched on lower-cased, simplified text; docs/agents.md lists them.
_EPISODES: tuple[tuple[str, tuple[date, date]], ...] = (
    (r"(?:the\s+)?(?:gfc|global\s+financial\s+crisis|great\s+financial\s+crisis|financial\s+crisis"
     r"|subprime\s+(?:crisis|crash|meltdown)|credit\s+crunch)"
     r"(?:\s+(?:drawdown|crash|selloff|sell-off|bear\s+market|period|era|years?))?"
     r"|(?:全球)?金融危机|次贷危机|次贷风暴", (date(2007, 10, 9), date(2009, 3, 9))),
    (r"(?:the\s+)?(?:dot-?\s?com|tech|internet)\s+(?:bubble\s+)?(?:bust|crash|collapse|burst|bursting|meltdown|wreck)"
     r"|(?:科网|互联网|网络)(?:股)?泡沫(?:的)?(?:破裂|破灭|崩盘|崩溃)|科网股?崩盘", (date(2000, 3, 10), date(2002, 10, 9))),
    (r"(?:the\s+)?(?:dot-?\s?com|tech|internet|nasdaq)\s+(?:bubble\s+)?(?:peak|top|high)|(?:科网|互联网)(?:泡沫)?(?:的)?(?:顶点|顶部|高点|见顶)",
     (date(2000, 3, 10), date(2000, 3, 10))),
    (r"(?:the\s+)?(?:dot-?\s?com|tech|internet)\s+(?:bust\s+)?(?:bottom|low|trough)|(?:科网|互联网)(?:泡沫)?(?:的)?(?:底部|低点|谷底)",
     (date(2002, 10, 9), date(2002, 10, 9))),
    (r"(?:the\s+)?(?:pre-?\s?gfc|2007)\s+(?:peak|top|high)|(?:the\s+)?gfc\s+(?:peak|top)", (date(2007, 10, 9), date(2007, 10, 9))),
    (r"(?:the\s+)?(?:gfc|financial\s+crisis|march\s+2009)\s+(?:bottom|low|lows|trough)|金融危机(?:的)?(?:底部|低点|谷底)",
     (date(2009, 3, 9), date(2009, 3, 9))),
    (r"(?:the\s+)?(?:covid(?:-?19)?|pandemic|corona(?:virus)?)\s+(?:crash|selloff|sell-off|drawdown|collapse|panic|plunge)"
     r"|(?:the\s+)?(?:march|feb(?:ruary)?[-–/ ]+march)\s+2020\s+(?:crash|selloff|sell-off|panic)"
     r"|(?:新冠)?疫情(?:期间)?的?(?:暴跌|崩盘|股灾|大跌|熔断)|2020\s*年?\s*3\s*月(?:的)?(?:暴跌|崩盘|股灾|熔断)|美股熔断",
     (date(2020, 2, 19), date(2020, 3, 23))),
    (r"(?:the\s+)?(?:march\s+2020\s+)?(?:covid(?:-?19)?|pandemic)\s+(?:lows?|bottom|trough)|(?:the\s+)?march\s+2020\s+(?:lows?|bottom)"
     r"|(?:2020\s*年?\s*3\s*月)?(?:新冠)?疫情(?:的)?(?:底部|低点|最低点|谷底)", (date(2020, 3, 23), date(2020, 3, 23))),
    (r"(?:the\s+)?(?:trump(?:'s)?\s+(?:election|victory|win)|(?:2016\s+)?(?:us\s+)?(?:presidential\s+)?election\s+of\s+trump"
     r"|2016\s+(?:us\s+)?(?:presidential\s+)?election)|(?:特朗普|川普)(?:首次)?(?:当选|胜选|赢得大选)|2016\s*年?\s*美国?大选",
     (date(2016, 11, 8), date(2016, 11, 8))),
    (r"(?:the\s+)?(?:first\s+)?gulf\s+war|海湾战争", (date(1990, 8, 2), date(1991, 2, 28))),
    (r"iraq(?:'s)?\s+invasion\s+of\s+kuwait|(?:the\s+)?invasion\s+of\s+kuwait|伊拉克入侵科威特", (date(1990, 8, 2), date(1990, 8, 2))),
    (r"(?:the\s+)?(?:start\s+of\s+)?(?:operation\s+)?desert\s+storm|沙漠风暴(?:行动)?(?:开打|开始|打响)?", (date(1991, 1, 17), date(1991, 1, 17))),
    (r"(?:the\s+)?(?:2013\s+)?taper\s+tantrum|(?:2013\s*年?\s*的?)?(?:缩减|削减)(?:购债)?恐慌", (date(2013, 5, 22), date(2013, 6, 24))),
    (r"(?:20)?15\s*年?\s*的?\s*(?:a股)?股灾|(?:the\s+)?2015\s+(?:china|chinese|a-share)\s+(?:stock\s+)?(?:market\s+)?(?:crash|rout|meltdown)",
     (date(2015, 6, 12), date(2015, 8, 26))),
    (r"2016\s*年?\s*初?\s*的?\s*(?:a股)?熔断(?:那一?周|那几天|期间)?|(?:a股)熔断(?:那一?周|那几天|期间)?"
     r"|(?:the\s+)?(?:january\s+)?2016\s+(?:china\s+)?circuit[- ]breakers?(?:\s+week)?", (date(2016, 1, 4), date(2016, 1, 8))),
    (r"(?:the\s+)?(?:2014(?:[-–/](?:20)?16)?|2015)\s+(?:oil|crude)\s+(?:price\s+)?(?:crash|collapse|rout|glut|bust|slump)"
     r"|2014\s*年?\s*(?:下半年)?的?\s*油价(?:暴跌|崩盘|腰斩)", (date(2014, 6, 20), date(2016, 2, 11))),
    (r"(?<![\d/])9/11(?!/|\d)|(?:the\s+)?september\s+11(?:th)?\s+attacks?|911事件|九一一事件", (date(2001, 9, 10), date(2001, 9, 21))),
    (r"(?:the\s+)?brexit\s+(?:vote|referendum|shock)|(?:英国)?脱欧公投", (date(2016, 6, 23), date(2016, 6, 27))),
    (r"volmageddon|vol-?mageddon|(?:the\s+)?(?:feb(?:ruary)?\s+)?2018\s+vol(?:atility)?\s+(?:spike|shock|event)",
     (date(2018, 1, 26), date(2018, 2, 8))),
    (r"(?:the\s+)?2022\s+bear\s+market|2022\s*年?\s*的?熊市", (date(2022, 1, 3), date(2022, 10, 12))),
    (r"(?:the\s+)?(?:1987\s+)?black\s+monday|(?:1987\s*年?\s*的?)?黑色星期一", (date(1987, 10, 19), date(1987, 10, 19))),
    (r"(?:the\s+)?(?:2010\s+)?flash\s+crash|(?:2010\s*年?\s*的?)?闪电崩盘", (date(2010, 5, 6), date(2010, 5, 6))),
    (r"lehman(?:'s)?\s+(?:brothers\s+)?(?:collapse|bankruptcy|failure|weekend)|雷曼(?:兄弟)?(?:倒闭|破产)",
     (date(2008, 9, 15), date(2008, 9, 15))),
    (r"(?:the\s+)?ltcm(?:\s+(?:crisis|collapse|blow-?up))?|(?:the\s+)?(?:1998\s+)?russian\s+(?:default|debt\s+crisis)"
     r"|(?:1998\s*年?\s*的?)?俄罗斯(?:债务)?(?:违约|危机)", (date(1998, 7, 17), date(1998, 10, 8))),
)
_EPISODE_RES = tuple((re.compile(pattern), bounds) for pattern, bounds in _EPISODES)
#: "through the GFC" is during it (a span is lived through), unlike "through 2019" or "through the start of Desert Storm".
_THROUGH = r"(?:(?:all\s+)?through(?:out)?\s+|during\s+|over\s+|across\s+)?"
#: "post-GFC", "post-COVID", "金融危机后", "疫情以后": from the day after the episode to the end of the data.
_POST = ((r"post-?\s?(?:gfc|(?:financial\s+)?crisis)|(?:全球)?金融危机(?:之|以)?后", date(2009, 3, 10)),
         (r"post-?\s?(?:covid(?:-?19)?|pandemic|corona)|(?:新冠)?疫情(?:之|以)后", date(2020, 3, 24)))
_POST_RES = tuple((re.compile(pattern), day) for pattern, day in _POST)


def _episode(m: re.Match[str], today: date) -> _Atom | None:
    """"during the GFC", "科网泡沫破裂那段", "from the COVID low to the end of the data": the episode's span."""
    said = re.sub(r"^(?:(?:all\s+)?through(?:out)?|during|over|across)\s+", "", m.group(0))
    post = next((day for pattern, day in _POST_RES if pattern.fullmatch(said)), None)
    if post is not None:
        return _atom(m, (post, today)) if post <= today else None
    bounds = next((b for pattern, b in _EPISODE_RES if pattern.fullmatch(said)), None)
    return _atom(m, bounds) if bounds is not None else None


def _episodes_pattern() -> str:
    spans = "|".join(f"(?:{pattern})" for pattern, (first, last) in _EPISODES if first != last)
    days = "|".join(f"(?:{pattern})" for pattern, (first, last) in _EPISODES if first == last)
    posts = "|".join(f"(?:{pattern})" for pattern, _ in _POST)
    return f"{days}|{_THROUGH}(?:{spans})|{posts}"  # a day first: "the GFC low" is a day, not the GFC


_THIRDS = {"early": 0, "start": 0, "beginning": 0, "上旬": 0, "初": 0, "mid": 1, "middle": 1, "中旬": 1, "中": 1,
           "late": 2, "end": 2, "下旬": 2, "底": 2, "末": 2}


def _month_part(m: re.Match[str], today: date) -> _Atom | None:
    """"2019年6月中旬", "mid-June 2019": days 1-10, 11-20 or 21-end (月初, "start of" / 月底, "end of" alike)."""
    first, last = _month(_year_of(m, today), _month_of(m))
    third = _THIRDS[m["e"].lower()]
    start = first + timedelta(days=10 * third)
    return _atom(m, (start, last if third == 2 else start + timedelta(days=9)))


def _quarter(m: re.Match[str], today: date) -> _Atom | None:
    q = _ordinal(m["q"]) if m["q"].lower() not in ("last", "final") else 4
    return _atom(m, _clip(_months(_year_of(m, today), 3 * q - 2, 3 * q), today, m))


def _half(m: re.Match[str], today: date) -> _Atom | None:
    word = m["h"].lower()
    h = 2 if word in ("last", "final", "back", "later") else 1 if word in ("front", "early") else _ordinal(word)
    return _atom(m, _clip(_months(_year_of(m, today), 6 * h - 5, 6 * h), today, m))


def _first_part(m: re.Match[str], today: date) -> _Atom | None:
    """"the first 3 quarters of 2015" / "2015年前三季度"; "last"/"后" parts count from the end."""
    n = int(_amount(m["n"])) * (3 if "季" in m["u"] or "quarter" in m["u"].lower() else 1)
    if not 0 < n <= 12:
        return _atom(m, None)
    year = _year_of(m, today)
    tail = m["side"].lower() in ("last", "final", "后", "最后")
    return _atom(m, _months(year, 13 - n, 12) if tail else _months(year, 1, n))


def _span_ending(m: re.Match[str], today: date) -> _Atom | None:
    """"the 3 years to end-2017", "the 5 years ending Dec 2023", "the 6 months before 2024",
    "截至2017年底的三年": N units that end with the named year or month (the day before it, for "before")."""
    year = _year_of(m, today)
    named = m.groupdict().get("mon") or m.groupdict().get("m")
    month = _month_of(m) if named else 12
    end = _month_end(year, month)
    if m.groupdict().get("how") and re.match(r"before|prior|pre|之前|以前|前", m["how"].lower()):
        end = date(year, month if named else 1, 1) - timedelta(days=1)
    key = _unit_key(m["u"])
    n = _amount(m["n"])
    if key not in _UNIT_MONTHS or not 0 < n <= 50:
        return None
    return _atom(m, _rolling(end, months=n * _UNIT_MONTHS[key]), joinable=False)


def _span_after(m: re.Match[str], today: date) -> _Atom | None:
    """"the three years after 2010", "2010年之后的两年": N units from the day after the named year (or month)."""
    year = _year_of(m, today)
    named = m.groupdict().get("mon") or m.groupdict().get("m")
    month = _month_of(m) if named else 12
    start = _month_end(year, month) + timedelta(days=1)
    key = _unit_key(m["u"])
    n = _amount(m["n"])
    if key not in _UNIT_MONTHS or not 0 < n <= 50:
        return None
    end = _shift_months(start, int(n * _UNIT_MONTHS[key])) - timedelta(days=1)
    return _atom(m, _clip((start, end), today, m), joinable=False)


def _year_atom(m: re.Match[str], today: date) -> _Atom | None:
    year = _year_of(m, today)
    return _atom(m, _clip((date(year, 1, 1), date(year, 12, 31)), today, m))


def _bare_year(m: re.Match[str], today: date) -> _Atom | None:
    year = int(m["y"])
    if not 1950 <= year <= today.year + 10:
        return None
    return _atom(m, (date(year, 1, 1), date(year, 12, 31)), bare=True)


def _decade(m: re.Match[str], today: date) -> _Atom | None:
    year = int(m["dy"])
    return _atom(m, (date(year, 1, 1), date(year + 9, 12, 31)))


def _half_decade(m: re.Match[str], today: date) -> _Atom | None:
    year = int(m["dy"]) + (5 if m["part"] in ("second", "late", "后半", "末") else 0)
    return _atom(m, (date(year, 1, 1), date(year + 4, 12, 31)))


def _short_decade(m: re.Match[str], today: date) -> _Atom | None:
    tens = {"eighties": 80, "nineties": 90}.get(m["dw"] or "") or int(m["dd"])
    year = (1900 if tens >= 30 else 2000) + tens
    return _atom(m, (date(year, 1, 1), date(year + 9, 12, 31)))


def _short_range(m: re.Match[str], today: date) -> _Atom | None:
    """"2018-19" / "2018/19": two years, when the tail cannot be a month."""
    year, tail = int(m["y"]), int(m["yy"])
    last = year // 100 * 100 + tail
    if last <= year or (tail <= 12 and m["sep"] != "~"):
        return None  # "2019-06" is a month: leave it to the month rule
    return _atom(m, (date(year, 1, 1), date(last, 12, 31)))


def _month_span(m: re.Match[str], today: date) -> _Atom | None:
    """"2019年3-6月": months of one year."""
    first, last = _cn_int(m["m1"]), _cn_int(m["m2"])
    if not 1 <= first <= last <= 12:
        return None  # "2019年12月到3月" crosses a year: the month atoms join instead
    return _atom(m, _months(_year_of(m, today), first, last))


def _quarter_span(m: re.Match[str], today: date) -> _Atom | None:
    """"2021年一到三季度": quarters of one year."""
    first, last = _cn_int(m["q1"]), _cn_int(m["q2"])
    if not 1 <= first <= last <= 4:
        return None
    return _atom(m, _months(_year_of(m, today), 3 * first - 2, 3 * last))


def _partial_month(m: re.Match[str], today: date) -> _Atom | None:
    month = _month_of(m)
    return _Atom(m.start(), m.end(), _PARTIAL, _PARTIAL, fill=lambda y: _month(y, month))


def _partial_day(m: re.Match[str], today: date) -> _Atom | None:
    month, day = _month_of(m), _cn_int(m["d"])
    return _Atom(m.start(), m.end(), _PARTIAL, _PARTIAL,
                 fill=lambda y: _safe(lambda: _one_day(y, month, day)))


def _partial_year_end(m: re.Match[str], today: date) -> _Atom | None:
    """"到年底", "to year-end": the last day of the year the range's other end names."""
    return _Atom(m.start(), m.end(), _PARTIAL, _PARTIAL, fill=lambda y: (date(y, 12, 31), date(y, 12, 31)))


def _partial_quarter(m: re.Match[str], today: date) -> _Atom | None:
    q = _cn_int(m["q"])
    return _Atom(m.start(), m.end(), _PARTIAL, _PARTIAL, fill=lambda y: _months(y, 3 * q - 2, 3 * q))


# --- relative windows -------------------------------------------------------------------------
_UNIT_MONTHS = {"y": 12.0, "q": 3.0, "m": 1.0}
_UNIT_KEYS = (("e", r"decade"), ("t", r"trading|business|session|交易日"), ("q", r"quarter|qtr|季"),
              ("y", r"year|yr|年"), ("m", r"month|mth|mo|月"), ("w", r"week|wk|周|星期|礼拜"))


def _unit_key(unit: str) -> str:
    """One letter per unit: y(ear) q(uarter) m(onth) w(eek) d(ay) t(rading day) e (decade)."""
    word = unit.lower()
    return next((key for key, pattern in _UNIT_KEYS if re.search(pattern, word)), "d")


_MOST = {"e": 10, "y": 100, "q": 400, "m": 1200, "w": 5200, "t": 26000, "d": 36500}


def _relative(n: float, unit: str, today: date) -> _Bounds | None:
    """The last ``n`` units up to ``today`` (see the module notes); None past a century."""
    key = _unit_key(unit)
    if not 0 < n <= _MOST[key] or (key in ("d", "t") and round(n) < 1):
        return None
    if key == "e":
        return _rolling(today, months=120 * n)
    if key in ("y", "q", "m"):
        return _rolling(today, months=n * _UNIT_MONTHS[key])
    if key == "w":
        return _rolling(today, days=round(7 * n))
    if key == "t":
        return _weekdays_back(today, round(n)), today
    return _rolling(today, days=round(n))


def _rolling_en(m: re.Match[str], today: date) -> _Atom | None:
    unit = (m["td"] or "") + m["u"]
    return _atom(m, _relative(_amount(m["n"]), unit, today), joinable=False)


_SHORT_UNITS = {"y": "years", "yr": "years", "yrs": "years", "m": "months", "mo": "months", "mos": "months",
                "mth": "months", "mths": "months",
                "w": "weeks", "wk": "weeks", "wks": "weeks", "d": "days"}


def _rolling_short(m: re.Match[str], today: date) -> _Atom | None:
    return _atom(m, _relative(_amount(m["n"]), _SHORT_UNITS[m["u"].lower()], today), joinable=False)


def _rolling_zh(m: re.Match[str], today: date) -> _Atom | None:
    n = _amount(m["n"]) + (0.5 if m["half"] else 0)
    return _atom(m, _relative(n, m["u"], today), joinable=False)


def _rolling_range(m: re.Match[str], today: date) -> _Atom | None:
    """"the last 2-3 years", "近三五年", "最近两三个月": a span given as a range reads as its longer end, which
    holds the shorter one (the answer shows the words beside the window used)."""
    if m["pair"]:
        low, high = (_amount(ch) for ch in m["pair"])
    else:
        low, high = _amount(m["a"]), _amount(m["b"])
    if not 0 < low < high:
        return None
    return _atom(m, _relative(high, m["u"], today), joinable=False)


def _calendar(unit: str, back: int, today: date) -> _Bounds:
    """The calendar unit ``back`` units before today's (0 = this one, cut at ``today``)."""
    first, last = _unit_of(unit, today)
    for _ in range(back):
        first, last = _unit_of(unit, first - timedelta(days=1))
    return (first, today) if back == 0 else (first, last)


def _unit_name(key: str) -> str:
    return {"y": "year", "q": "quarter", "m": "month", "w": "week"}[key]


def _last_unit_en(m: re.Match[str], today: date) -> _Atom | None:
    """"last month" (calendar), "the last/past month" (rolling), "this month" (to date)."""
    word, key = " ".join(m["w"].lower().split()), _unit_key(m["u"])
    if key == "e":
        return _atom(m, _rolling(today, months=120), joinable=False)
    if word in ("this", "current"):
        return _atom(m, _calendar(_unit_name(key), 0, today))
    if word in ("previous", "prior") or (word == "last" and not m["the"]):
        return _atom(m, _calendar(_unit_name(key), 1, today))
    return _atom(m, _relative(1, m["u"], today), joinable=False)


_ZH_CALENDAR = {"上": 1, "本": 0, "这": 0}


def _last_unit_zh(m: re.Match[str], today: date) -> _Atom | None:
    """"上个月", "上周", "上季度" (previous calendar unit); "本月", "本周", "本季度" (to date)."""
    return _atom(m, _calendar(_unit_name(_unit_key(m["u"])), _ZH_CALENDAR[m["w"][0]], today))


def _to_date(m: re.Match[str], today: date) -> _Atom | None:
    """"YTD", "month to date", "年初至今": the unit's first day to ``today``, open-ended."""
    text = m.group(0).lower()
    unit = "month" if text.startswith("m") else "quarter" if text.startswith("q") else "year"
    return _atom(m, _calendar(unit, 0, today), open_end=True)


# --- the atom table ---------------------------------------------------------------------------
_FEATURE_ZH = (r"(?!\s*(?:均线|均价|平均|移动|涨幅|涨跌|跌幅|收益|回报|波动|动量|最高|最低|高点|低点|新高|新低"
               r"|换手|成交|标准差|均值|线|ma|ema|sma|rsi|atr|momentum|return|vol))")
_FEATURE_EN = (r"(?!\s+(?:moving|rolling|average|avg|ma|sma|ema|high|low|highs|lows|mean|momentum|returns?"
               r"|vol|volatility|window|lookback|change|range|horizon)\b)")
_REL_WORD_EN = r"(?P<w>last|past|previous|prior|trailing|recent|most\s+recent|latest|preceding|final|nearest|closest)"
_UNITS_EN = r"(?P<u>years?|yrs?|months?|mths?|mos?|weeks?|wks?|days?|quarters?|qtrs?|sessions?|decades?)"
_UNITS_ZH = r"(?P<u>年|个月|月|周|个?星期|个?礼拜|天|日|个?交易日|个?季度)"
#: A quarter in Chinese: "第四季度", and in Taiwan and Hong Kong often "第四季".
_QW = r"(?:季度|季(?![节风]))"


@cache
def _rules() -> tuple[tuple[re.Pattern[str], _Builder], ...]:
    """Every atom pattern with its builder; the longest match wins where they overlap."""
    table: list[tuple[str, _Builder]] = [
        # days
        (rf"{_Y_RAW}(?P<sep>[-/.])(?P<m>1[0-2]|0?[1-9])(?P=sep)(?P<d>3[01]|[12]\d|0?[1-9])(?!\d)", _day),
        (rf"(?<!\d){_Y_RAW}(?P<m>0[1-9]|1[0-2])(?P<d>0[1-9]|[12]\d|3[01])(?!\d)", _day),
        (rf"{_YZ}\s*{_CM}\s*月\s*{_CD}\s*[日号]", _day),
        (rf"{_MONW}\s*(?P<d>3[01]|[12]\d|0?[1-9]){_SFX},?\s+{_YE}", _day),
        (rf"{_B}(?P<d>3[01]|[12]\d|0?[1-9]){_SFX}\s+(?:of\s+)?{_MONW},?\s+{_YE}", _day),
        (rf"(?<![\d/])(?P<a>\d{{1,2}})/(?P<b>\d{{1,2}})/{_Y}", _slash_day),
        (rf"{_MONW}\s*(?P<d1>3[01]|[12]\d|0?[1-9]){_SFX}\s*(?:-|~|to|through)\s*(?P<d2>3[01]|[12]\d|0?[1-9])"
         rf"{_SFX},?\s+{_YE}", _day_range),
        (rf"{_YZ}\s*{_CM}\s*月\s*(?P<d1>[12]\d|3[01]|0?[1-9])\s*[日号]?\s*(?:-|~|到|至)\s*"
         rf"(?P<d2>[12]\d|3[01]|0?[1-9])\s*[日号]", _day_range),
        # weeks
        (rf"{_B}(?:the\s+)?{_ORD}\s+(?:full\s+)?week\s+(?:of|in)\s+{_MONW},?\s+(?:of\s+)?{_YE}", _week_of_month),
        (rf"{_B}week\s+(?P<n>[1-5])\s+(?:of|in)\s+{_MONW},?\s+(?:of\s+)?{_YE}", _week_of_month),
        (rf"{_B}(?:the\s+)?{_ORD}\s+(?:full\s+)?week\s+(?:of|in)\s+{_YE}", _week_of_month),
        (rf"{_YZ}\s*{_CM}\s*月份?\s*(?:的)?\s*(?:第\s*)?(?P<n>[1-5一二三四五]|最后一)\s*(?:周|个?星期|个?礼拜)",
         _week_of_month),
        (rf"{_Y_RAW}-?w(?P<w>[0-5]?\d)(?!\d)", _iso_week),
        (rf"{_B}week\s+(?P<w>[0-5]?\d)\s*(?:of|,)?\s+{_Y}", _iso_week),
        (rf"{_YZ}\s*(?:的)?\s*第\s*(?P<w>[0-5]?\d|[一二三四五]?十?[一二三四五六七八九]?)\s*(?:周|个?星期)", _iso_week),
        # months
        (rf"{_MONW},?\s+(?:of\s+)?{_YE}", _month_atom),
        (rf"{_Y}\s+{_MONW}", _month_atom),
        (rf"{_Y_RAW}(?P<sep>[-/])(?P<m>1[0-2]|0?[1-9])(?!\d|(?P=sep)\d)", _month_atom),
        (rf"{_Y_RAW}\.(?P<m>1[0-2]|0[1-9])(?!\d|\.\d)", _month_atom),
        # "2016.3-2016.9", "区间 2021.6-2022.6": a one-digit month after a dot, as the end of a range of such
        (rf"{_Y_RAW}\.(?P<m>[1-9])(?!\d|\.\d)(?=\s*(?:-|–|~|到|至|to)\s*(?:19|20)\d\d\.(?:1[0-2]|0?[1-9])(?!\d))",
         _month_atom),
        (rf"(?:(?<=[-–~到至])|(?<=[-–~到至] )|(?<=to ))(?P<y>{_Y4})\.(?P<m>[1-9])(?!\d|\.\d)", _month_atom),
        (rf"(?<![\d/.])(?P<m>1[0-2]|0?[1-9])/{_Y}", _month_atom),
        (rf"{_YZ}\s*{_CM}\s*月份?", _month_atom),
        (rf"{_B}(?:the\s+)?(?P<e>start|beginning|end|middle)\s+of\s+{_YE}", _year_edge),
        (rf"{_B}(?P<e>early|mid|late|end|start)[\s-]+{_YE}", _year_edge),
        (rf"{_YZ}\s*(?P<e>初|底|末|中)旬?", _year_edge),
        (rf"{_B}(?:the\s+)?{_Y}\s+and\s+(?P<y2>{_Y4})\s+(?:year|fiscal[- ]year)[- ]ends{_E}", _year_ends),
        (rf"{_B}(?:the\s+)?{_Y}\s+year[- ]end{_E}", _year_ends),
        (rf"{_B}year[- ]end\s+{_Y}", _year_ends),
        (rf"{_B}(?P<hol>christmas\s+eve|christmas|xmas|new\s+year'?s\s+(?:eve|day))(?:\s+day)?,?\s+(?:of\s+)?{_YE}", _holiday),
        (rf"{_YZ}\s*的?\s*(?P<hol>圣诞节?|元旦)", _holiday),
        (_episodes_pattern(), _episode),
        (rf"{_YZ}\s*{_CM}\s*月份?\s*(?P<e>上旬|中旬|下旬|初|底|末|中)", _month_part),
        (rf"{_B}(?P<e>early|mid|late)[\s-]+{_MONW},?\s+(?:of\s+)?{_YE}", _month_part),
        (rf"{_B}(?:the\s+)?(?P<e>start|beginning|middle|end)\s+of\s+{_MONW},?\s+(?:of\s+)?{_YE}", _month_part),
        (rf"{_YZ}\s*{_CM.replace('(?P<m>', '(?P<m1>')}\s*(?:月份?)?\s*(?:-|~|到|至)\s*"
         rf"{_CM.replace('(?P<m>', '(?P<m2>')}\s*月份?", _month_span),
        # quarters and halves
        (rf"{_B}q(?P<q>[1-4])\s*(?:of\s+|,\s*|/|-)?\s*{_YE}", _quarter),
        (rf"{_Y_RAW}\s*[-/]?\s*q(?P<q>[1-4]){_E}", _quarter),
        (rf"{_B}(?P<q>[1-4])q\s*(?:{_Y}|'?(?P<yy>\d\d){_E})", _quarter),
        (rf"{_B}(?:the\s+)?(?P<q>first|second|third|fourth|1st|2nd|3rd|4th|last|final)\s+(?:fiscal\s+)?quarter"
         rf"\s+(?:of\s+|in\s+)?{_YE}", _quarter),
        (rf"{_YZ}\s*(?:的)?\s*(?:第\s*)?(?P<q>[1-4一二三四])\s*{_QW}", _quarter),
        (rf"{_YZ}\s*(?:的)?\s*q(?P<q>[1-4]){_E}", _quarter),
        (rf"{_YZ}\s*(?:第\s*)?(?P<q1>[1-4一二三四])\s*(?:{_QW})?\s*(?:-|~|到|至)\s*(?:第\s*)?(?P<q2>[1-4一二三四])\s*{_QW}",
         _quarter_span),
        (rf"{_B}h(?P<h>[12])\s*(?:of\s+|,\s*|/|-)?\s*{_YE}", _half),
        (rf"{_Y_RAW}\s*[-/]?\s*h(?P<h>[12]){_E}", _half),
        (rf"{_B}(?P<h>[12])h\s*(?:{_Y}|'?(?P<yy>\d\d){_E})", _half),
        (rf"{_B}(?:the\s+)?(?P<h>first|second|1st|2nd|latter|last|back|front|early|later)\s+half\s+(?:of\s+|in\s+)?{_YE}",
         _half),
        (rf"{_YZ}\s*(?:的)?\s*(?P<h>[上下])半年", _half),
        (rf"{_Y_RAW}\s*(?P<h>[上下])半年", _half),
        (rf"{_B}(?:the\s+)?(?P<side>first|last|final)\s+{_NUM_EN}\s+(?P<u>months|quarters)\s+(?:of|in)\s+{_YE}",
         _first_part),
        (rf"{_YZ}\s*(?:的)?\s*(?P<side>前|后|最后)\s*{_NUM_ZH}\s*(?P<u>个月|个?季度)", _first_part),
        # N units ending at a named year or month ("the 3 years to end-2017", "截至2023年12月的过去三年")
        (rf"{_B}(?:the\s+)?{_NUM_EN}\s+(?P<u>years?|yrs?|months?|quarters?)\s+(?P<how>to|ending(?:\s+(?:in|at|on|with))?"
         rf"|ended|through|thru|up\s+to|until|till|before|prior\s+to|leading\s+up\s+to)\s+(?:(?:the\s+)?(?:end|close)"
         rf"(?:\s+of\s+|-|\s+)|year[- ]end\s+|fy\s*)?(?:{_MONW},?\s+(?:of\s+)?)?{_Y}", _span_ending),
        (rf"(?:截至|截止到?|到)\s*{_YZ}\s*(?:{_CM}\s*月份?)?\s*(?:底|末)?\s*(?:为止)?\s*(?:的\s*(?:过去|近|前|最近)?|过去|近|最近)"
         rf"\s*{_NUM_ZH}\s*(?P<u>年|个月)", _span_ending),
        # "2018年之前那三年", "2018年前的3年": N units that end the day before the named year
        (rf"{_YZ}\s*(?P<how>之前|以前|前)\s*(?:的|那)?\s*{_NUM_ZH}\s*(?P<u>年|个月)", _span_ending),
        # "the three years after 2010", "2010年之后的两年": N units from the day after the named year
        (rf"{_B}(?:the\s+)?{_NUM_EN}\s+(?P<u>years?|yrs?|months?|quarters?)\s+(?:after|following)\s+{_Y}", _span_after),
        (rf"{_YZ}\s*(?:之后|以后|后)\s*(?:的|那)?\s*{_NUM_ZH}\s*(?P<u>年|个月)", _span_after),
        # fiscal years read as calendar years ("FY2015", "FY17", "2015财年")
        (rf"{_B}fy\s*'?(?P<y>{_Y4})(?!\d)", _year_atom),
        (rf"{_B}fy\s*'?(?P<yy>\d\d){_E}", _year_atom),
        (rf"{_Y_RAW}\s*财年", _year_atom),
        # years and decades
        (rf"{_YZ}(?:度|份)?(?:全年)?", _year_atom),
        (r"(?P<cy>[〇零一二三四五六七八九]{4})\s*年", _year_atom),
        (rf"{_B}(?:the\s+)?year\s+{_Y}", _year_atom),
        (_Y, _bare_year),
        # "the first half of the 2010s", "the late 2000s": five years of the decade
        (rf"{_B}(?:the\s+)?(?P<part>first|second|early|late)\s+(?:half\s+of\s+)?(?:the\s+)?(?P<dy>(?:19|20)\d0)'?s{_E}", _half_decade),
        (r"(?P<dy>(?:19|20)\d0)\s*年代(?P<part>前半|后半|初|末)(?:期|段)?", _half_decade),
        (rf"{_B}(?:the\s+)?(?P<dy>(?:19|20)\d0)'?s{_E}", _decade),
        (r"(?P<dy>(?:19|20)\d0)\s*年代", _decade),
        # "the 90s", "the '80s", "the nineties": a decade with its century left to the reader
        (rf"{_B}the\s+'?(?P<dd>80|90|00|10)'?s{_E}|{_B}the\s+(?P<dw>eighties|nineties){_E}", _short_decade),
        (rf"{_Y_RAW}\s*(?P<sep>[-/~])\s*(?P<yy>\d\d)(?!\d)(?:\s*年)?", _short_range),
        # parts without a year: only ever one end of a range ("March to June 2019")
        (_MONW, _partial_month),
        (rf"(?<![\d年]){_CM}\s*月份?(?!\s*[日号\d])", _partial_month),
        (rf"{_MONW}\s*(?P<d>3[01]|[12]\d|0?[1-9]){_SFX}{_E}", _partial_day),
        (rf"(?<![\d年]){_CM}\s*月\s*{_CD}\s*[日号]", _partial_day),
        (rf"{_B}q(?P<q>[1-4]){_E}", _partial_quarter),
        (r"(?<![\d年])(?:年底|年末|年尾)|(?<![a-z])(?:the\s+)?(?:year[- ]end|end\s+of\s+the\s+year)(?![a-z\s]*\d)", _partial_year_end),
        (r"(?<![\d年])(?:第\s*)?(?P<q>[1-4一二三四])\s*季度", _partial_quarter),
        (r"(?<![\d年])第\s*(?P<q>[1-4一二三四])\s*季(?![节度风])", _partial_quarter),
        # relative to today
        (rf"{_B}(?:the\s+)?{_REL_WORD_EN}\s+(?P<pair>)(?P<a>\d{{1,2}}|two|three|four|five|six)\s*(?:-|–|~|to|or)\s*"
         rf"(?P<b>\d{{1,2}}|three|four|five|six|seven|eight|ten)\s+(?P<u>years?|months?|quarters?){_E}", _rolling_range),
        (r"(?:最近|近|过去|前)\s*(?:的|这)?\s*(?:(?P<pair>一两|两三|二三|三四|三五|四五|五六|七八)|(?P<a>\d{1,2})\s*(?:-|~|到|至)\s*"
         r"(?P<b>\d{1,2}))\s*(?P<u>年|个月|个季度)(?!份?\d)", _rolling_range),
        (rf"{_B}(?:the\s+)?(?:very\s+)?{_REL_WORD_EN}\s+{_NUM_EN}\s+(?P<td>trading\s+|business\s+|calendar\s+)?"
         rf"{_UNITS_EN}{_E}(?!-){_FEATURE_EN}", _rolling_en),
        # desk shorthand: "last 5y", "past 18mo", "trailing 6m"
        (rf"{_B}(?:the\s+)?{_REL_WORD_EN}\s+(?P<n>\d{{1,3}}(?:\.\d+)?)\s?(?P<td>)(?P<u>yrs?|y|mths?|mos?|m|wks?|w|d){_E}"
         rf"(?!-){_FEATURE_EN}", _rolling_short),
        # "over the five years before the data ends", "the 3 years up to the end of the data": the last N
        (rf"{_B}(?:the\s+)?{_NUM_EN}\s+(?P<td>)(?P<u>years?|months?)\s+(?:before|up\s+to|leading\s+up\s+to|to)\s+the\s+"
         rf"(?:end\s+of\s+the\s+)?(?:data|sample|series|history|dataset)(?:\s+ends?)?{_E}", _rolling_en),
        (rf"{_B}{_NUM_EN}\s+(?P<td>)(?P<u>years?|months?)\s+of\s+(?:(?:daily|price|historical|recent|past|market"
         rf"|trading)\s+)*(?:data|history|prices|bars|returns)", _rolling_en),
        (r"(?<![\d.近去后])(?P<n>\d{1,2}(?:\.\d+)?|[一二两三四五六七八九十]+|半)\s*(?P<u>年|个月)(?P<half>半)?\s*的?\s*"
         r"(?:历史)?(?:数据|行情)", _rolling_zh),
        (rf"{_B}(?P<the>the\s+)?(?P<w>last|past|previous|prior|trailing|recent|most\s+recent|latest|final|this|current)"
         rf"\s+(?P<u>year|month|week|quarter|decade|yr|mo|wk){_E}(?!-)", _last_unit_en),
        (rf"{_B}(?:ytd|mtd|qtd|(?:year|month|quarter)[- ]to[- ]date){_E}", _to_date),
        (rf"(?:(?:最近|近|过去|最后|之前)\s*(?:的|这)?|这(?=\s*[两三四五六七八九十]))\s*{_NUM_ZH}\s*{_UNITS_ZH}(?P<half>半)?{_FEATURE_ZH}"
         r"(?:来|以来|内|中|里)?", _rolling_zh),
        (r"(?P<w>上|本|这)(?:一)?(?:个)?(?P<u>月|周|星期|礼拜|季度)(?!份?\d|期)", _last_unit_zh),
        (r"(?:今年)?年初\s*(?:至今|以来|到现在|到今天)", _to_date),
    ]
    return tuple((_rx(pattern), build) for pattern, build in table)


# --- guards on bare years ---------------------------------------------------------------------
_QTY_BEFORE = (
    r"(?:[$¥£€@=]|(?<![a-z])(?:top|csi|russell|s&p|sp|nasdaq|nikkei|ftse|msci|index|seed|steps?|epochs?"
    r"|episodes?|timesteps|iterations?|size|capital|cash|budget|balance|equity|price|target|at|above|below"
    r"|lookback|n|k|max|min|limit|cap|usd|rmb|cny|hkd|buy|sell|short|long)(?![a-z])(?:\s+(?:of|is|to|at))?"
    r"|中证|沪深|国证|上证|深证|创业板|科创|资金|本金|种子|价格?|点位?|目标价?|高于|低于|突破|跌破|买入?|卖出?)\s*[:=]?\s*$")
_QTY_AFTER = (
    r"^\s*(?:(?:-|~|to|and|至|到)\s*\d+\s*)?(?:shares?|steps?|stocks?|names|episodes?|iterations?|epochs?|trees"
    r"|estimators|bars|samples|rows|points|pts|bps|bp|dollars|usd|cny|rmb|hkd|yuan|units?|contracts?|lots?"
    r"|tickers|symbols|times|x(?![a-z])|%|元|块|股|只|手|次|个|点|万(?![一二两三四五六七八九十\d.])"
    r"|亿|轮|步|条|支|倍|美元|港元|k(?![a-z])"
    r"|\.\d)")
_NUM_NEIGHBOUR = r"^\s*(?:-|~|to|and|through|thru|until|till|至|到)\s*(\d{3,})(?!\d)"


def _plausible_year(text: str, atom: _Atom) -> bool:
    """A bare "2000" next to money, counts or index names is a quantity, not a year."""
    before, after = text[max(0, atom.start - 24):atom.start], text[atom.end:atom.end + 24]
    if _EPISODE_NOUN.match(text, atom.end) and len(re.findall(r"(?<!\d)(?:19|20)\d\d(?!\d)", text)) > 1:
        return False  # "through the 2020 COVID crash, February through April 2020": the episode's label; the dates decide
    neighbour = _rx(_NUM_NEIGHBOUR).match(after)
    if neighbour is not None and re.fullmatch(_Y4, neighbour.group(1)) is not None:
        return True  # "nasdaq 2003-2015": a range of years, whatever word precedes it
    if _rx(_QTY_BEFORE).search(before) or _rx(_QTY_AFTER).match(after):
        return False
    return neighbour is None


# --- atoms -> windows -------------------------------------------------------------------------
def _atoms(text: str, today: date) -> list[_Atom]:
    """Every atom, longest first where they overlap, then in text order."""
    found: list[tuple[int, int, _Atom]] = []
    for rank, (pattern, build) in enumerate(_rules()):
        for match in pattern.finditer(text):
            atom = build(match, today)
            if atom is not None and not (atom.bare and not _plausible_year(text, atom)):
                found.append((atom.start - atom.end, rank, atom))
    free = _Free(len(text))
    taken = [atom for _, _, atom in sorted(found, key=lambda item: (item[0], item[1], item[2].start))
             if free.claim(atom.start, atom.end)]
    return sorted(taken, key=lambda a: a.start)


class _Free:
    """Which characters no chosen piece covers yet (keeps overlap checks linear in the text)."""

    def __init__(self, size: int) -> None:
        self._used = bytearray(size)

    def claim(self, start: int, end: int) -> bool:
        """Take ``[start, end)`` if all of it is free; whether it was."""
        if start >= end or any(self._used[start:end]):
            return False
        self._used[start:end] = b"\x01" * (end - start)
        return True


@dataclass(frozen=True)
class _Window:
    start: int
    end: int
    first: date
    last: date
    open_end: bool = False
    open_start: bool = False
    joinable: bool = True
    ranged: bool = False


_CONNECT = (r"\s*(?:(?P<and>and|plus|、|和|与|加上?|外加)|to|until|till|til|through|thru|-{1,2}>?|=>|→|⟶|~|\.\.\.?|:|/"
            r"|[,;]?\s*end(?:_date)?\s*[=:]"  # "start=2010-01-01 end=2025-12-31", "start: 2012-01-01, end: 2015-06-30"
            # "from the 10 March 2000 top to the 9 October 2002 bottom", "from Lehman (15 Sep 2008) down to the 9 March 2009 low"
            r"|\s*(?:top|peak|high|low|bottom|trough|crash)?\s*\)?\s*,?\s*(?:(?:all\s+the\s+way|right|down|up)\s+)?"
            r"(?:to|until|till|through|thru)\s+(?:the\s+)?"
            r"|(?:(?:开始|起)\s*,?\s*)?(?:一直)?(?:至|到|直到))\s*")  # "从2000年开始一直到2005年底"
_BETWEEN = r"(?<![a-z])between\s+(?:the\s+)?$"


def _join(text: str, left: _Atom, right: _Atom) -> _Window | None:
    """``left`` and ``right`` as one range when a connector joins them ("2015 to 2018")."""
    link = _rx(_CONNECT).fullmatch(text[left.end:right.start])
    if link is None or not (left.joinable and right.joinable) or (left.fill and right.fill):
        return None
    if link["and"] and not _rx(_BETWEEN).search(text[:left.start]) and left.fill is None \
            and not (right.first.year == left.last.year + 1 and right.first.month == 1 and left.last.month == 12):
        return None  # "2015 and 2018" are two years; "2015 and 2016", "September and October 2008" one stretch
    bounds = _fill_pair(left, right)
    if bounds is not None:  # "2019年底到2021年初": the year's last day to the next's first (points, not months)
        bounds = (left.last if left.edge == "end" else bounds[0], right.first if right.edge == "start" else bounds[1])
    if bounds is None or bounds[0] > bounds[1]:
        return None
    return _Window(left.start, right.end, bounds[0], bounds[1], open_end=right.open_end, ranged=True)


def _fill_pair(left: _Atom, right: _Atom) -> _Bounds | None:
    """Bounds of a range; a yearless end takes the other end's year ("March to June 2019")."""
    if left.fill is not None:
        part = left.fill(right.first.year)
        if part is not None and part[0] > right.last:
            part = left.fill(right.first.year - 1)
        return None if part is None else (part[0], right.last)
    if right.fill is not None:
        part = right.fill(left.last.year)
        if part is not None and part[1] < left.first:
            part = right.fill(left.last.year + 1)
        return None if part is None else (left.first, part[1])
    return left.first, right.last


def _windows(text: str, atoms: list[_Atom]) -> Iterator[_Window]:
    """Atoms paired into ranges where joined; yearless parts left alone are dropped."""
    i = 0
    while i < len(atoms):
        joined = _join(text, atoms[i], atoms[i + 1]) if i + 1 < len(atoms) else None
        if joined is not None:
            yield joined
            i += 2
            continue
        atom = atoms[i]
        if atom.fill is None and not atom.void:
            yield _Window(atom.start, atom.end, atom.first, atom.last, atom.open_end, joinable=atom.joinable)
        i += 1


_PREFIX = (
    r"(?:(?P<week>(?<![a-z])(?:the\s+)?week\s+(?:of|starting|beginning|commencing|containing)(?:\s+on)?)"
    r"|(?P<from>(?<![a-z])(?:since|from|starting(?:\s+(?:in|from|on|at|with))?|beginning(?:\s+(?:in|from|on|with))?"
    r"|commencing|(?:starts?|started|begins?|began)(?:\s+(?:in|on|from|at|with))?|start(?:_date)?\s*[=:])|自从|自|从|始于)"
    r"|(?P<after>(?<![a-z])(?:after|post|later\s+than))"
    r"|(?P<until>(?<![a-z])(?:until|till|til|through|thru|up\s+(?:to|until|through)|(?:ends?|ending|ended)(?:\s+(?:in|on|at))?"
    r"|end(?:_date)?\s*[=:]"
    r"|as\s+of"
    r"|no\s+later\s+than)|截至|截止(?:到|至)?|直到|到|至)"
    r"|(?P<before>(?<![a-z])(?:before|prior\s+to|pre|earlier\s+than))"
    r"|(?P<between>(?<![a-z])between))(?:\s+the)?[\s-]*$")
_SUFFIX = (
    r"[\s-]*(?:(?P<from>(?:and\s+)?(?:onwards?|forwards?)(?![a-z])|on(?=\s*(?:[,.;)]|$))"
    r"|(?:and|or)\s+(?:later|after|afterwards|beyond|onwards?)(?![a-z])(?!\s+(?:that|this|which|it|those|these)(?![a-z]))"
    r"|(?:to|until|till|through|and|-|~|至|到)\s*(?:now|today|present|the\s+present|date|current|the\s+latest)(?![a-z])"
    r"|至今|迄今|以来|以後|以后|之后|往后|及以后|及之后|开始|起|后(?![半续面期一二三两四五六七八九十\d])"
    r"|(?:到|至)(?:现在|今天|目前|当前|最新|今|最后|结束|末尾|数据结束|数据末尾|数据最后|数据的?最后|数据的?末尾|数据的?结尾|样本结束|样本末尾|全部数据结束)"
    r"|(?:to|until|through|till|thru)\s+(?:the\s+)?(?:end(?!\s+(?:of|\d))|last\s+bar|latest\s+bar"
    r"|end\s+of\s+(?:the\s+)?(?:available\s+)?(?:data(?:set)?|sample|series|history|store|record))(?![a-z]))"
    r"|(?P<until>为止|止|(?:and|or)\s+(?:before|earlier)(?![a-z])|及以前|及之前|inclusive(?![a-z]))"
    r"|(?P<before>以前|之前|前(?![一二三两四五六七八九十\d半后])))"
)


#: What follows a year that names an episode rather than a date ("the 2008 crisis", "the 2020 covid crash").
_EPISODE_NOUN = re.compile(r"\s+(?:[a-z'-]+\s+){0,2}?(?:crash|crisis|sell-?off|recession|bubble|rally|tantrum|panic|meltdown|"
                           r"collapse|pandemic|lockdown|war|bust|correction|drawdown|turmoil|shock|volatility)(?![a-z])")


def _modified(text: str, window: _Window, today: date) -> _Window:
    """A window with its "since/until/before/after" words (either side) applied and spanned."""
    if not window.joinable:
        return window
    prefix = _rx(_PREFIX).search(text, max(0, window.start - 40), window.start)
    suffix = _rx(_SUFFIX).match(text, window.end)
    start = prefix.start() if prefix else window.start
    end = suffix.end() if suffix else window.end
    kind = _kind(suffix) or _kind(prefix)
    if kind == "until" and prefix is not None and re.search(r"through|thru", prefix.group(0)) \
            and _EPISODE_NOUN.match(text, window.end):
        return window  # "through the 2020 COVID crash", "through the 2008 crisis": the year of an episode lived through
    if window.ranged:
        return replace(window, start=start, end=end) if kind in (None, "from", "between", "until") else window
    if kind == "week":
        monday, sunday = _unit_of("week", window.first)
        return replace(window, start=start, first=monday, last=sunday) if window.first == window.last else window
    return _open(replace(window, start=start, end=end), kind, today) if kind not in (None, "between") else window


def _kind(match: re.Match[str] | None) -> str | None:
    if match is None:
        return None
    return next((name for name, value in match.groupdict().items() if value is not None), None)


def _open(window: _Window, kind: str | None, today: date) -> _Window:
    """Bounds after an open-range word: see the module notes for which ends are inclusive."""
    if kind == "from":
        return replace(window, last=today, open_end=True)
    if kind == "after":
        return replace(window, first=window.last + timedelta(days=1), last=today, open_end=True)
    if kind == "until":
        return replace(window, first=date.min, open_start=True)
    return replace(window, first=date.min, last=window.first - timedelta(days=1), open_start=True)


# --- roles ------------------------------------------------------------------------------------
_OBJECT = (r"(?!\s+(?:the|my|our|this|that|a|an|your|his|her)\s+(?:\w+\s+){0,2}?(?:strateg|idea|factor|signal"
           r"|hypothes|approach|system|rule|theory|portfolio|trading))")
_ROLE_WORDS: tuple[tuple[str, str], ...] = (
    ("none", r"(?<![a-z])(?:stress|t|adf|kpss|unit[- ]root|stationarity|hypothesis|significance|granger|a/b"
             r"|chi[- ]squared?|normality|ks|jarque[- ]bera|ljung[- ]box|diebold[- ]mariano|z)[- ]?tests?(?![a-z])"),
    ("test", r"检验(?:一下)?(?:最优|最佳|胜出|优化后|调好|选出)的?(?:参数|那组|组合)?"),
    ("test", r"(?<=[年月\d])\s?(?:上|里|内)?\s?(?:做)?检验(?!\s*(?:一下)?(?:平稳|显著|正态|假设|因子))"),  # "2020到2025年检验"
    ("none", r"压力测试|检验"),
    ("data", r"(?<![a-z])back[- ]?test(?:s|ed|ing|er)?(?![a-z])|回测试?|回溯测试"),
    ("test", r"(?<![a-z])(?:out[- ]of[- ]sample|oos|hold(?:ing)?[- ]?outs?|held[- ]?out|hold(?:ing)?\s+back"
             r"|set(?:ting)?\s+aside|forward[- ]test(?:s|ing)?|walk(?:s|ed|ing)?\s+(?:(?:it|them|the\s+\w+)\s+)?forward"
             r"|evaluat(?:e|ed|ing)(?=\s+(?:on|over|in|from|during|for|against|using)(?![a-z]))|evaluation(?:\s+(?:set|period|window))?"
             r"|test(?:s|ing|ed)?(?!\s+(?:it|them|these|those|this|that|each|both)\s+(?:with|using|by)(?![a-z]))"
             r"(?:\s+(?:set|period|window"
             rf"|sample|split|segment|range|part))?)(?![a-z]){_OBJECT}"),
    ("test", r"样本外|(?<!回)测试(?:集|期|段|样本|数据|区间)?|检验(?:集|期|段|样本|区间)?|留出|留作|预留|盲测"),
    # "train PPO and SAC on 2010-2015 and compare them on 2016-2018": where the runs are set side by side
    ("test", r"(?<![a-z])compar(?:e|es|ed|ing)\s+(?:them|both|the\s+two|the\s+(?:agents|models|runs)|their\s+\w+)"
             r"\s+(?:on|over)(?![a-z])"),
    ("test", r"(?<![a-z])(?:generali[sz](?:e|es|ed|ing|ation)|check(?:s|ed|ing)?(?:\s+(?:it|them|this|that|these))?"
             r"|validat(?:e|es|ed|ing)\s+(?:it|them)?\s*out\s+of\s+sample)\s+(?:to|on|over)(?![a-z])"),
    ("valid", r"(?<![a-z])(?:(?:cross[- ])?validat(?:e|es|ed|ing|ion)(?:\s+(?:set|period|window|split"
              r"|segment))?|valid(?:\s+(?:set|period|window|split)|(?=\s+(?:on|from|for|in)(?![a-z]))|(?=\s*[:=\d])|(?=\s*[,;)/|]|\s*$))"
              r"|val(?:\s+(?:set|period|split)|(?=\s*[:=])|(?=\s+\d{4})|(?=\s*[,;)/|]|\s*$))"  # "2022-2023 val, 2024-2025 test"
              r"|dev(?:elopment)?\s+set|tun(?:e|ing)\s+(?:set|period|window)"
              r"|early[- ]stopping)(?![a-z])"),
    ("valid", r"(?<!样本外)验证(?:集|期|段|样本|数据|区间)?"),
    ("tune", r"调参|调优"),
    ("train", r"(?<![a-z])(?:train(?:s|ed|ing)?(?:\s+(?:set|period|window|sample|split|segment))?"
              r"|in[- ]sample|is(?=\s*:?\s*\d{4})|fit(?:s|ted|ting)?|learn(?:s|ed|t|ing)?(?=\s+(?:on|over|from|using)(?![a-z]))|estimation\s+(?:period|window|sample)"
              r"|estimat(?:e|es|ed|ing)(?=\s+(?:on|over|from|using|with)(?![a-z]))"
              r"|calibrat(?:e|es|ed|ing|ion)|optimi[sz](?:e|es|ed|ing)(?=\s+(?:on|over|in|using)(?![a-z]))"
              r"|(?:search|find|pick|choose|select)(?:ing)?\s+(?:the\s+)?(?:params|parameters|settings)"
              r"(?=\s+(?:on|over|in|using)(?![a-z])))(?![a-z])"),
    ("train", r"(?<![a-z])for\s+the\s+(?:search|optimi[sz]ation|tuning|fit|grid)(?![a-z])"),
    # factor mining: the mining period is searched (train), the confirmation period held out (test)
    ("train", r"(?<![a-z])(?:min(?:e|es|ed|ing)(?=\s+(?:on|over|from|in|using|during)(?![a-z]))"
              r"|mining\s+(?:period|window|sample|set|span))(?![a-z])"),
    ("test", r"(?<![a-z])(?:confirm(?:s|ed|ing)?(?=\s+(?:on|over|in|with|using|during|against)(?![a-z]))"
             r"|confirmation(?:\s+(?:period|window|sample|set|span))?)(?![a-z])"),
    # "keep the ones whose IC holds in 2024", "still works over 2023": where it must hold is held out
    ("test", r"(?<![a-z])(?<!and )(?<!and-)(?<!& )(?:holds?(?:\s+up)?|held\s+up|still\s+works?|survives?|persists?"
             r"|stands?\s+up)"
             r"(?=\s+(?:in|on|over|through|during)(?![a-z]))"),
    ("train", r"挖掘(?:期|区间|阶段|样本)"),
    ("test", r"确认(?:期|区间|阶段|样本)"),
    ("train", r"训练(?:集|期|段|样本|数据|区间)?|样本内|拟合|找参数|选参数|参数寻优|寻优|优化参数|找最优|"
              r"(?<=年)找(?=[，,\s。]|$)"),
    ("out", r"(?<![a-z])(?:out|aside)(?![a-z])(?!\s+of)"),
)
_HOLD = r"(?<![a-z])(?:hold|keep|leave|set|reserve|put)(?![a-z])"
_FILLER_EN = ("on", "for", "as", "the", "a", "an", "use", "uses", "using", "used", "is", "are", "be", "being",
              "should", "will", "would", "must", "can", "set", "sets", "period", "periods", "window", "windows",
              "year", "years", "sample", "samples", "split", "segment", "part", "portion", "range", "from", "in",
              "over", "during", "covering", "with", "of", "to", "it", "them", "model", "models", "agent",
              "policy", "network", "only", "just", "please", "we", "i", "data", "history", "prices", "our",
              "my", "its", "that", "this", "which", "whole", "full", "entire", "all")
_FILLER_ZH = ("作为", "当作", "当成", "使用", "采用", "选用", "选取", "进行", "期间", "区间", "部分", "时间段",
              "时间", "阶段", "年份", "模型", "数据", "行情", "一下", "整体", "全部", "样本期", "样本区间",
              "全样本", "样本", "这段", "用", "取", "选", "拿", "以", "将", "把", "做", "作", "当", "为", "是",
              "的", "来", "期", "集", "段", "就", "则", "都", "内", "中", "上", "在", "于", "里")
_FILLER = (
    r"(?:[\s:=()\[\]\"'“”‘’<>/-]|(?<![a-z])(?:" + "|".join(_FILLER_EN) + r")(?![a-z])|"
    + "|".join(_FILLER_ZH) + r")*")
_DATA_WORD = r"(?<![a-z])(?:data|history|prices)(?![a-z])|数据|行情|样本期|样本区间|全样本"
_SPLIT = (
    r"[,;!?。！？；\n]|\.(?=\s|$)|(?<![a-z])(?:but|however|whereas|while|then)(?![a-z])"
    r"|但是|但|不过|然后|接着|另外|此外|同时|并且")


@dataclass(frozen=True)
class _Item:
    start: int
    end: int
    role: str | None  # None: a window


def _role_items(text: str, windows: list[_Window]) -> list[_Item]:
    """Role words outside the windows, longest first where they overlap."""
    found = [(m.start(), m.end(), role) for role, pattern in _ROLE_WORDS for m in _rx(pattern).finditer(text)]
    free = _Free(len(text))
    for window in windows:
        free.claim(window.start, window.end)
    return [_Item(start, end, role) for start, end, role in sorted(found, key=lambda f: f[0] - f[1])
            if free.claim(start, end)]


def _clauses(text: str, windows: list[_Window]) -> list[tuple[int, int]]:
    """Clause bounds; separators inside a window ("March 15, 2019") do not split."""
    inside = _Free(len(text))
    for window in windows:
        inside.claim(window.start, window.end)
    cuts = [m for m in _rx(_SPLIT).finditer(text) if inside.claim(m.start(), m.start() + 1)]
    bounds, begin = [], 0
    for cut in cuts:
        bounds.append((begin, cut.start()))
        begin = cut.end()
    bounds.append((begin, len(text)))
    return bounds


def _filler(text: str, start: int, end: int) -> bool:
    """Whether ``text[start:end]`` is only filler ("on", "as the", "用", "做", "作为")."""
    return _rx(_FILLER).fullmatch(text, start, end) is not None


def _leans_on_data(text: str, left: tuple[int, int], right: tuple[int, int]) -> bool:
    """"data" joined to the window by filler ("use data from 2010", "2015年的数据")."""
    begin = next((i for i in range(max(left[0], left[1] - 60), left[1] + 1) if _filler(text, i, left[1])), left[1])
    head = _rx(_FILLER).match(text, right[0], right[1])
    end = head.end() if head else right[0]
    return bool(_rx(_DATA_WORD).search(text, begin, left[1]) or _rx(_DATA_WORD).search(text, right[0], end))


def _usable(item: _Item | None, text: str, clause: tuple[int, int], window: _Item) -> bool:
    """A role word; "out"/"aside" only after hold/keep/leave/set ("hold 2018 out")."""
    if item is None or item.role is None:
        return False
    if item.role != "out":
        return True
    return item.start > window.start and _rx(_HOLD).search(text, clause[0], window.start) is not None


def _assign(text: str, items: list[_Item], clause: tuple[int, int], lent: str | None) -> dict[int, str]:
    """Role for each window (by start) of one clause."""
    roles: dict[int, str] = {}
    own: set[str] = set()  # roles a window took from a role word beside it
    borrowed: list[int] = []  # windows that took the nearest role word of the clause instead
    first_is_role = bool(items) and items[0].role is not None
    nearest = _nearest_roles(items, first_is_role)
    for k, item in enumerate(items):
        if item.role is not None:
            continue
        prev = items[k - 1] if k > 0 else None
        nxt = items[k + 1] if k + 1 < len(items) else None
        left = (prev.end if prev else clause[0], item.start)
        right = (item.end, nxt.start if nxt else clause[1])
        before = prev if _usable(prev, text, clause, item) and _filler(text, *left) else None
        after = nxt if _usable(nxt, text, clause, item) and _filler(text, *right) and not _points_forward(text, nxt) \
            and not _leads_into(text, nxt, items[k + 2] if k + 2 < len(items) else None,
                                items[k + 3] if k + 3 < len(items) else None, clause) else None
        if before and after:
            # "2018到2023训练 2024到2025测试": a role word glued to the window before it is that window's
            glued = k >= 2 and items[k - 2].role is None and items[k - 2].end == before.start
            roles[item.start] = str((before if first_is_role and not glued else after).role)
            own.add(roles[item.start])
        elif before or after:
            roles[item.start] = str((before or after).role)  # type: ignore[union-attr]
            own.add(roles[item.start])
        elif _leans_on_data(text, left, right):
            roles[item.start] = "data"
        else:
            roles[item.start] = nearest[k] or lent or "data"
            borrowed.append(item.start)
    for start in borrowed:  # "2005到2015 调完用2016到2018验证": a role word next to its own window is not lent
        if roles[start] in own and roles[start] not in ("data", "none"):
            roles[start] = lent if lent is not None and lent not in own else "data"
    return roles


def _points_forward(text: str, item: _Item | None) -> bool:
    """"generalises to", "checked on", "estimating on": a role that ends in a preposition names
    the window after it, never the one before."""
    return item is not None and re.search(r"(?:\s|^)(?:to|on|over)$", text[item.start:item.end]) is not None


def _leads_into(text: str, role: _Item | None, following: _Item | None, after: _Item | None = None,
                clause: tuple[int, int] | None = None) -> bool:
    """"Q1-Q3 2024 test on Q4 2024": a role word followed by a preposition and then a window names
    that window, not the one before it; so does one right before a window that has no role word
    of its own after it ("2016-2022 test 2023-2025 then buy", but not "2010-2015 train 2016 test")."""
    if role is None or following is None or following.role is not None or not _filler(text, role.end, following.start):
        return False
    if re.match(r"\s*(?:on|over|in|to|from|during)\s", text[role.end:following.start] + " ") is not None:
        return True
    trailing = after is not None and after.role not in (None, "out") and _filler(text, following.end, after.start)
    return clause is not None and not trailing and role.role in ("test", "valid") and not re.search(r"[a-z]", text[role.end:following.start])


def _nearest_roles(items: list[_Item], before_first: bool) -> list[str | None]:
    """For each item, the closest role word of the clause on the side the clause's order favours."""
    before: list[str | None] = []
    last: str | None = None
    for item in items:
        before.append(last)
        last = item.role if item.role not in (None, "out") else last
    after: list[str | None] = []
    last = None
    for item in reversed(items):
        after.append(last)
        last = item.role if item.role not in (None, "out") else last
    after.reverse()
    return [(b or a) if before_first else (a or b) for b, a in zip(before, after, strict=True)]


def _header_role(text: str, items: list[_Item], clause: tuple[int, int]) -> str | None:
    """A clause that is only a role word ("For testing", "测试集：") lends it to the next one."""
    roles = [i for i in items if i.role not in (None, "out", "none")]
    if not roles or any(i.role is None for i in items):
        return None
    at = clause[0]
    for item in items:
        if not _filler(text, at, item.start):
            return None
        at = item.end
    return roles[-1].role if _filler(text, at, clause[1]) else None


def _roles(text: str, windows: list[_Window]) -> dict[int, str]:
    """Role of each window, keyed by its start."""
    items = sorted([*_role_items(text, windows), *(_Item(w.start, w.end, None) for w in windows)],
                   key=lambda i: i.start)
    roles: dict[int, str] = {}
    lent: str | None = None
    k = 0
    for clause in _clauses(text, windows):
        group: list[_Item] = []
        while k < len(items) and items[k].start < clause[1]:
            group.append(items[k])
            k += 1
        roles.update(_assign(text, group, clause, lent))
        lent = _header_role(text, group, clause)
    return roles


# --- public -----------------------------------------------------------------------------------
_FOLD = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)} | {0x3000: 0x20, 0x2013: 0x2D, 0x2014: 0x2D,
                                                             0x2212: 0x2D, 0x301C: 0x7E, 0xFF5E: 0x7E}


def find_periods(text: str, today: date) -> list[PeriodMention]:
    """Every date window ``text`` states, in text order, with its role and inclusive bounds.

    ``today`` is the last bar of the data in question: relative windows ("the last 2 years",
    "近三个月") end there and open ones ("since 2010", "2022年以后") run to it.
    """
    norm = text.translate(_FOLD)
    windows = _apart([_modified(norm, w, today) for w in _windows(norm, _atoms(norm, today))])
    windows = _from_then(norm, _episodes_beside_dates(norm, windows))
    roles = _roles(norm, windows)
    return [PeriodMention(role=_role(roles.get(w.start) if roles.get(w.start) != "tune" else "valid"), start=w.first,
                          end=w.last, span=Span(w.start, w.end, text[w.start:w.end]),
                          open_end=w.open_end, open_start=w.open_start, tuning=roles.get(w.start) == "tune")
            for w in windows]


#: "from then to the end of 2021", "since that date through 2009", "从那时起到2021年底": the start is the date before.
_FROM_THEN = (r"(?:(?<![a-z])(?:from|since|starting)\s+(?:then|that\s+(?:point|date|day|time|moment))(?:\s+on)?"
              r"(?:\s*,)?\s*(?:(?:to|until|till|through|thru|up\s+to)\s+)?(?:the\s+)?"
              r"|(?:从|自)(?:那时(?:候)?|那天|那一?刻|那以后|那之后)(?:起|开始)?\s*(?:到|至|一直到)?)$")


def _from_then(norm: str, windows: list[_Window]) -> list[_Window]:
    """"What if I'd sold all my gold at the start of 2020? Show me gold from then to the end of 2021": the window
    runs from the date said before to the one said now (it had been December 2021 alone)."""
    out: list[_Window] = []
    for window in windows:
        before = norm[max(0, window.start - 60):window.start]
        if out and _rx(_FROM_THEN).search(before) and out[-1].first <= window.last:
            window = replace(window, first=out[-1].first, open_start=False)
        out.append(window)
    return out


def _episodes_beside_dates(norm: str, windows: list[_Window]) -> list[_Window]:
    """An episode named beside dates that overlap it ("2008年金融危机那一年", "次贷危机那轮（2007年10月到2009年3月）",
    "2008年的走势……金融危机那时候"): the dates say which part of it is meant; the name is context."""
    named = [m.span() for m in _rx(_episodes_pattern()).finditer(norm)]
    if not named:
        return windows

    def episode_only(w: _Window) -> bool:
        return any(a <= w.start and w.end <= b for a, b in named)

    dated = [w for w in windows if not episode_only(w)]
    return [w for w in windows if not episode_only(w) or not any(d.first <= w.last and w.first <= d.last for d in dated)]


def _apart(windows: list[_Window]) -> list[_Window]:
    """Spans widened by since/until words never overlap the window before them."""
    out: list[_Window] = []
    for window in windows:
        if out and window.start < out[-1].end:
            window = replace(window, start=out[-1].end)
        out.append(window)
    return out


def _role(word: str | None) -> Role:
    if word == "out":
        return "test"
    return word if word in ("train", "valid", "test") else "data"  # type: ignore[return-value]
