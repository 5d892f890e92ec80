"""Specification of :func:`agents.understand._periods.find_periods`.

Each row is one instruction as a quant would type it and the window (role, first day, last
day, open ends) it must yield. ``SP`` is the last bar of the S&P 500 sample and ``GOLD`` the
last bar of synthetic gold: relative windows and open ends are read against them.
"""

from __future__ import annotations

from datetime import date

import pytest

from agents.understand._periods import PeriodMention, find_periods

SP = date(2018, 12, 31)
GOLD = date(2025, 12, 31)
MIN = date.min


def _d(text: str) -> date:
    return date.fromisoformat(text)


def _only(text: str, today: date = SP) -> PeriodMention:
    found = find_periods(text, today)
    assert len(found) == 1, found
    return found[0]


# --- absolute windows: read at their own grain, never widened ---------------------------------
ABSOLUTE_EN = [
    pytest.param("backtest a 10/30 SMA cross on SPY in 2015", "2015-01-01", "2015-12-31", id="year"),
    pytest.param("run the RSI strategy from 2015 to 2018", "2015-01-01", "2018-12-31", id="from-to-years"),
    pytest.param("MACD on gold 2015-2018", "2015-01-01", "2018-12-31", id="dash-years"),
    pytest.param("bollinger bands between 2012 and 2014", "2012-01-01", "2014-12-31", id="between-and"),
    pytest.param("use bars 2015/01/01 to 2016-06-30", "2015-01-01", "2016-06-30", id="mixed-date-formats"),
    pytest.param("how did SPY do in Jan 2019", "2019-01-01", "2019-01-31", id="month-abbrev"),
    pytest.param("what was the max drawdown in June 2019?", "2019-06-01", "2019-06-30", id="month-name"),
    pytest.param("SPY returns in the second week of June 2019", "2019-06-10", "2019-06-16", id="second-week"),
    pytest.param("the last week of June 2019", "2019-06-24", "2019-06-30", id="last-week-of-month"),
    pytest.param("the first week of 2020", "2020-01-06", "2020-01-12", id="first-week-of-year"),
    pytest.param("volatility over 2019-W23", "2019-06-03", "2019-06-09", id="iso-week"),
    pytest.param("the week of June 12, 2019", "2019-06-10", "2019-06-16", id="week-containing-day"),
    pytest.param("sharpe in Q3 2021", "2021-07-01", "2021-09-30", id="q-year"),
    pytest.param("sharpe in 2021 Q3", "2021-07-01", "2021-09-30", id="year-q"),
    pytest.param("earnings drift in 3Q21", "2021-07-01", "2021-09-30", id="analyst-quarter"),
    pytest.param("the third quarter of 2021", "2021-07-01", "2021-09-30", id="quarter-words"),
    pytest.param("momentum in H1 2020", "2020-01-01", "2020-06-30", id="h1"),
    pytest.param("momentum in the first half of 2020", "2020-01-01", "2020-06-30", id="first-half"),
    pytest.param("the second half of 2020", "2020-07-01", "2020-12-31", id="second-half"),
    pytest.param("price on 2019-03-15", "2019-03-15", "2019-03-15", id="iso-day"),
    pytest.param("close on March 15 2019", "2019-03-15", "2019-03-15", id="month-day-year"),
    pytest.param("close on 15 March, 2019", "2019-03-15", "2019-03-15", id="day-month-year"),
    pytest.param("the COVID crash (Feb-Mar 2020)", "2020-02-01", "2020-03-31", id="month-range-shared-year"),
    pytest.param("from Jan 2019 through Mar 2020", "2019-01-01", "2020-03-31", id="month-range"),
    pytest.param("Q1-Q3 2021", "2021-01-01", "2021-09-30", id="quarter-range"),
    pytest.param("June 10-14, 2019", "2019-06-10", "2019-06-14", id="day-range"),
    pytest.param("the 2010s", "2010-01-01", "2019-12-31", id="decade"),
    pytest.param("fiscal 2018-19", "2018-01-01", "2019-12-31", id="short-year-range"),
    pytest.param("the first 6 months of 2019", "2019-01-01", "2019-06-30", id="first-months-of-year"),
    pytest.param("mid-June 2019", "2019-06-11", "2019-06-20", id="mid-month"),
    pytest.param("for the back half of 2016", "2016-07-01", "2016-12-31", id="back-half"),
    pytest.param("the front half of 2015", "2015-01-01", "2015-06-30", id="front-half"),
    pytest.param("the three years after 2010", "2011-01-01", "2013-12-31", id="years-after"),
]

ABSOLUTE_ZH = [
    pytest.param("回测2015年的双均线策略", "2015-01-01", "2015-12-31", id="年"),
    pytest.param("２０１５年黄金的波动率", "2015-01-01", "2015-12-31", id="全角年"),
    pytest.param("2015年到2018年纳斯达克的RSI策略回测", "2015-01-01", "2018-12-31", id="年到年"),
    pytest.param("用2015至2018年的数据", "2015-01-01", "2018-12-31", id="至"),
    pytest.param("标普2015-2018年的表现", "2015-01-01", "2018-12-31", id="横杠年"),
    pytest.param("从２０１２年到２０１４年", "2012-01-01", "2014-12-31", id="全角从到"),
    pytest.param("2015年8月的股灾", "2015-08-01", "2015-08-31", id="年月"),
    pytest.param("看看2015年8月份的行情", "2015-08-01", "2015-08-31", id="月份"),
    pytest.param("2019年6月第二周的收益", "2019-06-10", "2019-06-16", id="第二周"),
    pytest.param("2019年6月的最后一周", "2019-06-24", "2019-06-30", id="最后一周"),
    pytest.param("2019年第23周", "2019-06-03", "2019-06-09", id="ISO周"),
    pytest.param("2021年第三季度的夏普", "2021-07-01", "2021-09-30", id="第三季度"),
    pytest.param("2021年三季度", "2021-07-01", "2021-09-30", id="三季度"),
    pytest.param("2021年Q3", "2021-07-01", "2021-09-30", id="年Q3"),
    pytest.param("2020年上半年的动量", "2020-01-01", "2020-06-30", id="上半年"),
    pytest.param("2020年下半年", "2020-07-01", "2020-12-31", id="下半年"),
    pytest.param("2019年3月15日的收盘价", "2019-03-15", "2019-03-15", id="年月日"),
    pytest.param("２０１９年３月１５号", "2019-03-15", "2019-03-15", id="全角号"),
    pytest.param("2019年3月到6月", "2019-03-01", "2019-06-30", id="月到月"),
    pytest.param("2019年3-6月", "2019-03-01", "2019-06-30", id="月横杠月"),
    pytest.param("2019年12月到3月", "2019-12-01", "2020-03-31", id="跨年月份"),
    pytest.param("2021年一到三季度", "2021-01-01", "2021-09-30", id="季度区间"),
    pytest.param("2015年前三季度", "2015-01-01", "2015-09-30", id="前三季度"),
    pytest.param("2019年6月10日到14日", "2019-06-10", "2019-06-14", id="日到日"),
    pytest.param("2019年6月中旬", "2019-06-11", "2019-06-20", id="中旬"),
    pytest.param("2010年代", "2010-01-01", "2019-12-31", id="年代"),
    pytest.param("二〇一五年", "2015-01-01", "2015-12-31", id="汉字年份"),
    pytest.param("2015年1月至2016年6月", "2015-01-01", "2016-06-30", id="年月到年月"),
    pytest.param("从2000年开始一直到2005年底", "2000-01-01", "2005-12-31", id="开始一直到"),
    pytest.param("2000年起到2005年", "2000-01-01", "2005-12-31", id="起到"),
    pytest.param("黄金上跑个RSI，2018年之前那三年", "2015-01-01", "2017-12-31", id="之前那三年"),
    pytest.param("2010年之后的两年", "2011-01-01", "2012-12-31", id="之后的两年"),
]


@pytest.mark.parametrize(("text", "start", "end"), ABSOLUTE_EN + ABSOLUTE_ZH)
def test_absolute_window_keeps_its_stated_grain(text: str, start: str, end: str) -> None:
    mention = _only(text)
    assert (mention.role, mention.start, mention.end, mention.open_end) == ("data", _d(start), _d(end), False)


# --- windows relative to the data's last bar ----------------------------------------------------
RELATIVE_EN = [
    pytest.param("the last 9 months of SPY", SP, "2018-04-01", "2018-12-31", id="last-9-months"),
    pytest.param("past 2 years", SP, "2017-01-01", "2018-12-31", id="past-2-years"),
    pytest.param("last three years", SP, "2016-01-01", "2018-12-31", id="number-word"),
    pytest.param("over the last twelve months", SP, "2018-01-01", "2018-12-31", id="twelve-months"),
    pytest.param("gold over the past year", GOLD, "2025-01-01", "2025-12-31", id="the-past-year"),
    pytest.param("last 30 days", SP, "2018-12-02", "2018-12-31", id="last-30-days"),
    pytest.param("last 6 weeks", SP, "2018-11-20", "2018-12-31", id="last-6-weeks"),
    pytest.param("the last 60 trading days", SP, "2018-10-09", "2018-12-31", id="trading-days"),
    pytest.param("how did gold do last month", GOLD, "2025-11-01", "2025-11-30", id="last-month-calendar"),
    pytest.param("show me the price over the last month", SP, "2018-12-01", "2018-12-31", id="the-last-month-rolling"),
    pytest.param("returns this year", GOLD, "2025-01-01", "2025-12-31", id="this-year"),
    pytest.param("SPY last year", SP, "2017-01-01", "2017-12-31", id="last-year-calendar"),
    pytest.param("last quarter", SP, "2018-07-01", "2018-09-30", id="last-quarter"),
    pytest.param("the past decade", SP, "2009-01-01", "2018-12-31", id="decade-rolling"),
    pytest.param("past 2.5 years", SP, "2016-07-01", "2018-12-31", id="fractional-years"),
    pytest.param("use 5 years of data", SP, "2014-01-01", "2018-12-31", id="years-of-data"),
    pytest.param("Q3 last year", SP, "2017-07-01", "2017-09-30", id="quarter-of-last-year"),
    pytest.param("last 1 year", date(2024, 2, 29), "2023-03-01", "2024-02-29", id="leap-day-anchor"),
    pytest.param("last 3 months", date(2019, 2, 28), "2018-12-01", "2019-02-28", id="month-end-stays-month-end"),
    pytest.param("the past 2 years", date(2025, 6, 15), "2023-06-16", "2025-06-15", id="mid-month-anchor"),
]

RELATIVE_ZH = [
    pytest.param("最近两年的黄金", GOLD, "2024-01-01", "2025-12-31", id="最近两年"),
    pytest.param("近三个月的波动率", SP, "2018-10-01", "2018-12-31", id="近三个月"),
    pytest.param("过去5年", SP, "2014-01-01", "2018-12-31", id="过去5年"),
    pytest.param("过去５年", SP, "2014-01-01", "2018-12-31", id="全角过去5年"),
    pytest.param("最近一年", GOLD, "2025-01-01", "2025-12-31", id="最近一年"),
    pytest.param("近30天", SP, "2018-12-02", "2018-12-31", id="近30天"),
    pytest.param("上个月黄金涨了多少", GOLD, "2025-11-01", "2025-11-30", id="上个月"),
    pytest.param("去年的最大回撤", SP, "2017-01-01", "2017-12-31", id="去年"),
    pytest.param("今年的收益", GOLD, "2025-01-01", "2025-12-31", id="今年"),
    pytest.param("近半年", SP, "2018-07-01", "2018-12-31", id="近半年"),
    pytest.param("最近十年", SP, "2009-01-01", "2018-12-31", id="最近十年"),
    pytest.param("近二十年", SP, "1999-01-01", "2018-12-31", id="近二十年"),
    pytest.param("近一年半", SP, "2017-07-01", "2018-12-31", id="近一年半"),
    pytest.param("过去250个交易日", SP, "2018-01-16", "2018-12-31", id="交易日"),
    pytest.param("上周", SP, "2018-12-24", "2018-12-30", id="上周"),
    pytest.param("去年下半年", SP, "2017-07-01", "2017-12-31", id="去年下半年"),
    pytest.param("前年", SP, "2016-01-01", "2016-12-31", id="前年"),
    pytest.param("用3年的数据训练", SP, "2016-01-01", "2018-12-31", id="N年数据"),
    pytest.param("近3月", SP, "2018-10-01", "2018-12-31", id="近3月"),
    pytest.param("过去１２个月", SP, "2018-01-01", "2018-12-31", id="全角过去12个月"),
    pytest.param("本季度", SP, "2018-10-01", "2018-12-31", id="本季度"),
    pytest.param("最近6个月", date(2024, 8, 31), "2024-03-01", "2024-08-31", id="月末锚点"),
]


@pytest.mark.parametrize(("text", "today", "start", "end"), RELATIVE_EN + RELATIVE_ZH)
def test_relative_window_is_placed_on_the_datas_last_bar(text: str, today: date, start: str, end: str) -> None:
    mention = _only(text, today)
    assert (mention.start, mention.end, mention.open_end) == (_d(start), _d(end), False)


# --- open ranges ---------------------------------------------------------------------------------
OPEN = [
    pytest.param("backtest an SMA cross 10/30 on SP500 since 2010", SP, "2010-01-01", "2018-12-31", True, False,
                 id="since"),
    pytest.param("from 2015 onwards", SP, "2015-01-01", "2018-12-31", True, False, id="from-onwards"),
    pytest.param("2017 onwards", SP, "2017-01-01", "2018-12-31", True, False, id="onwards"),
    pytest.param("only bars after 2020", GOLD, "2021-01-01", "2025-12-31", True, False, id="after-is-strict"),
    pytest.param("post-2008", SP, "2009-01-01", "2018-12-31", True, False, id="post"),
    pytest.param("since March 2020", SP, "2020-03-01", "2018-12-31", True, False, id="since-after-data-end"),
    pytest.param("from 2015 to now", SP, "2015-01-01", "2018-12-31", True, False, id="to-now"),
    pytest.param("YTD", GOLD, "2025-01-01", "2025-12-31", True, False, id="ytd"),
    pytest.param("until 2018", SP, "0001-01-01", "2018-12-31", False, True, id="until"),
    pytest.param("up to 2016", SP, "0001-01-01", "2016-12-31", False, True, id="up-to"),
    pytest.param("before 2020", SP, "0001-01-01", "2019-12-31", False, True, id="before-is-strict"),
    pytest.param("until the end of June 2016", SP, "0001-01-01", "2016-06-30", False, True, id="until-month"),
    pytest.param("用TD3在标普500上训练，自2010年以来", SP, "2010-01-01", "2018-12-31", True, False, id="自以来"),
    pytest.param("2010年以来", SP, "2010-01-01", "2018-12-31", True, False, id="以来"),
    pytest.param("从2010年开始", SP, "2010-01-01", "2018-12-31", True, False, id="从开始"),
    pytest.param("2021年以后", GOLD, "2021-01-01", "2025-12-31", True, False, id="以后"),
    pytest.param("2021年之后", GOLD, "2021-01-01", "2025-12-31", True, False, id="之后"),
    pytest.param("２０１５年至今", SP, "2015-01-01", "2018-12-31", True, False, id="全角至今"),
    pytest.param("今年以来", GOLD, "2025-01-01", "2025-12-31", True, False, id="今年以来"),
    pytest.param("2020年3月起", GOLD, "2020-03-01", "2025-12-31", True, False, id="月起"),
    pytest.param("2018年以前", SP, "0001-01-01", "2017-12-31", False, True, id="以前"),
    pytest.param("2019年之前", SP, "0001-01-01", "2018-12-31", False, True, id="之前"),
    pytest.param("截至2018年", SP, "0001-01-01", "2018-12-31", False, True, id="截至"),
    pytest.param("到2016年6月为止", SP, "0001-01-01", "2016-06-30", False, True, id="为止"),
]


@pytest.mark.parametrize(("text", "today", "start", "end", "open_end", "open_start"), OPEN)
def test_open_range_runs_to_the_data_edge(text: str, today: date, start: str, end: str, open_end: bool,
                                          open_start: bool) -> None:
    mention = _only(text, today)
    assert (mention.start, mention.end) == (_d(start), _d(end))
    assert (mention.open_end, mention.open_start) == (open_end, open_start)


# --- roles ---------------------------------------------------------------------------------------
ROLES = [
    pytest.param("train on 2015-2019", "train", "2015-01-01", "2019-12-31", id="train-on"),
    pytest.param("training period 2010 to 2015", "train", "2010-01-01", "2015-12-31", id="training-period"),
    pytest.param("in-sample 2010-2016", "train", "2010-01-01", "2016-12-31", id="in-sample"),
    pytest.param("fit the model on data from 2012 to 2016", "train", "2012-01-01", "2016-12-31", id="fit-on-data"),
    pytest.param("validate on 2020", "valid", "2020-01-01", "2020-12-31", id="validate-on"),
    pytest.param("validation 2020", "valid", "2020-01-01", "2020-12-31", id="validation"),
    pytest.param("test on 2021", "test", "2021-01-01", "2021-12-31", id="test-on"),
    pytest.param("use 2023 as the test year", "test", "2023-01-01", "2023-12-31", id="as-the-test-year"),
    pytest.param("test year 2023", "test", "2023-01-01", "2023-12-31", id="test-year"),
    pytest.param("the test set should be 2023", "test", "2023-01-01", "2023-12-31", id="role-words-away"),
    pytest.param("keep 2018 out of sample", "test", "2018-01-01", "2018-12-31", id="out-of-sample-after"),
    pytest.param("OOS 2017-2018", "test", "2017-01-01", "2018-12-31", id="oos"),
    pytest.param("hold 2018 out", "test", "2018-01-01", "2018-12-31", id="hold-x-out"),
    pytest.param("please use the last 2 years as the test set", "test", "2017-01-01", "2018-12-31", id="relative-test"),
    pytest.param("For testing, use 2018", "test", "2018-01-01", "2018-12-31", id="role-header"),
    pytest.param("backtest it on 2016", "data", "2016-01-01", "2016-12-31", id="backtest-is-data"),
    pytest.param("test my momentum strategy on 2015-2018", "data", "2015-01-01", "2018-12-31",
                 id="testing-a-strategy-is-a-backtest"),
    pytest.param("run an ADF test on 2015-2018 returns", "data", "2015-01-01", "2018-12-31", id="adf-test-is-not-a-role"),
    pytest.param("训练集用2015-2019年", "train", "2015-01-01", "2019-12-31", id="训练集用"),
    pytest.param("用2015到2019年训练", "train", "2015-01-01", "2019-12-31", id="用到训练"),
    pytest.param("训练期为２０１０－２０１５年", "train", "2010-01-01", "2015-12-31", id="训练期全角"),
    pytest.param("用2015-2019年的数据训练模型", "train", "2015-01-01", "2019-12-31", id="的数据训练"),
    pytest.param("样本内2010-2016年", "train", "2010-01-01", "2016-12-31", id="样本内"),
    pytest.param("验证集用2020年", "valid", "2020-01-01", "2020-12-31", id="验证集用"),
    pytest.param("2020年做验证", "valid", "2020-01-01", "2020-12-31", id="做验证"),
    pytest.param("测试集用2023年", "test", "2023-01-01", "2023-12-31", id="测试集用"),
    pytest.param("2023年作为测试集", "test", "2023-01-01", "2023-12-31", id="作为测试集"),
    pytest.param("测试期：2018年1月至2018年6月", "test", "2018-01-01", "2018-06-30", id="测试期冒号"),
    pytest.param("用最近半年做测试", "test", "2018-07-01", "2018-12-31", id="最近半年测试"),
    pytest.param("回测2019年", "data", "2019-01-01", "2019-12-31", id="回测是数据"),
    pytest.param("对2015-2018年的收益做ADF检验", "data", "2015-01-01", "2018-12-31", id="检验不是测试"),
    pytest.param("2019年下半年做验证", "valid", "2019-07-01", "2019-12-31", id="下半年验证"),
    pytest.param("拿2024年做样本外", "test", "2024-01-01", "2024-12-31", id="拿做样本外"),
    pytest.param("训练样本：2016年1月-2020年12月", "train", "2016-01-01", "2020-12-31", id="训练样本月份区间"),
    pytest.param("调参用2021年", "valid", "2021-01-01", "2021-12-31", id="调参"),
    pytest.param("回测2019年6月第二周", "data", "2019-06-10", "2019-06-16", id="回测第二周"),
]


@pytest.mark.parametrize(("text", "role", "start", "end"), ROLES)
def test_role_word_in_the_clause_tags_the_window(text: str, role: str, start: str, end: str) -> None:
    mention = _only(text)
    assert (mention.role, mention.start, mention.end) == (role, _d(start), _d(end))


OPEN_ROLES = [
    pytest.param("hold out 2017 onwards", SP, "test", "2017-01-01", "2018-12-31", id="hold-out-onwards"),
    pytest.param("out-of-sample from 2016", SP, "test", "2016-01-01", "2018-12-31", id="oos-from"),
    pytest.param("样本外用2022年以后", GOLD, "test", "2022-01-01", "2025-12-31", id="样本外用以后"),
    pytest.param("2022年以后做样本外", GOLD, "test", "2022-01-01", "2025-12-31", id="以后做样本外"),
    pytest.param("留出2017年以后做测试", GOLD, "test", "2017-01-01", "2025-12-31", id="留出以后测试"),
    pytest.param("train on everything before 2017", SP, "train", "0001-01-01", "2016-12-31", id="train-before"),
]


@pytest.mark.parametrize(("text", "today", "role", "start", "end"), OPEN_ROLES)
def test_open_test_window_is_kept_not_replaced_by_a_default(text: str, today: date, role: str, start: str,
                                                            end: str) -> None:
    mention = _only(text, today)
    assert (mention.role, mention.start, mention.end) == (role, _d(start), _d(end))


# --- several windows in one instruction ---------------------------------------------------------
Row = tuple[str, str, str]
SPLITS: list[tuple[str, date, list[Row]]] = [
    ("train on 2015-2019, validate on 2020 and test on 2021-2022", GOLD,
     [("train", "2015-01-01", "2019-12-31"), ("valid", "2020-01-01", "2020-12-31"),
      ("test", "2021-01-01", "2022-12-31")]),
    ("Train an LSTM on CSI300 from 2010-01-01 to 2016-12-31, validate on 2017 and test on 2018.", SP,
     [("train", "2010-01-01", "2016-12-31"), ("valid", "2017-01-01", "2017-12-31"),
      ("test", "2018-01-01", "2018-12-31")]),
    ("train on 2015-2019 then test on 2020", GOLD,
     [("train", "2015-01-01", "2019-12-31"), ("test", "2020-01-01", "2020-12-31")]),
    ("2015-2019 for training 2020 for testing", GOLD,
     [("train", "2015-01-01", "2019-12-31"), ("test", "2020-01-01", "2020-12-31")]),
    ("Use data from 2010 to 2018 and hold out the last 2 years", SP,
     [("data", "2010-01-01", "2018-12-31"), ("test", "2017-01-01", "2018-12-31")]),
    ("Train a PPO agent on SPY since 2015 and backtest it on 2018", SP,
     [("train", "2015-01-01", "2018-12-31"), ("data", "2018-01-01", "2018-12-31")]),
    ("test on 2017 and 2018", SP,  # two consecutive years: one stretch
     [("test", "2017-01-01", "2018-12-31")]),
    ("用沪深300成分股，2015年到2018年训练，2019年验证，2020年测试", GOLD,
     [("train", "2015-01-01", "2018-12-31"), ("valid", "2019-01-01", "2019-12-31"),
      ("test", "2020-01-01", "2020-12-31")]),
    ("训练2015-2019年验证2020年测试2021年", GOLD,
     [("train", "2015-01-01", "2019-12-31"), ("valid", "2020-01-01", "2020-12-31"),
      ("test", "2021-01-01", "2021-12-31")]),
    ("训练集：２０１０－２０１６年，测试集：２０１７年以后", SP,
     [("train", "2010-01-01", "2016-12-31"), ("test", "2017-01-01", "2018-12-31")]),
    ("黄金近5年的数据，留出最近一年做样本外", GOLD,
     [("data", "2021-01-01", "2025-12-31"), ("test", "2025-01-01", "2025-12-31")]),
    ("用2010-2020年的数据，2019年以后做测试", GOLD,
     [("data", "2010-01-01", "2020-12-31"), ("test", "2019-01-01", "2025-12-31")]),
    ("先用最近三年训练然后用最近半年测试", SP,
     [("train", "2016-01-01", "2018-12-31"), ("test", "2018-07-01", "2018-12-31")]),
]


@pytest.mark.parametrize(("text", "today", "expected"), SPLITS)
def test_each_window_of_a_split_keeps_its_own_role(text: str, today: date, expected: list[Row]) -> None:
    found = [(m.role, m.start.isoformat(), m.end.isoformat()) for m in find_periods(text, today)]
    assert found == expected


# --- not windows ---------------------------------------------------------------------------------
NOT_PERIODS = [
    pytest.param("buy when price crosses the 60-day moving average", id="ma-length"),
    pytest.param("rank stocks by 5-day forward returns", id="forward-horizon"),
    pytest.param("a 10/30 crossover on SPY", id="crossover-pair"),
    pytest.param("buy 2000 shares of AAPL", id="share-count"),
    pytest.param("SP500 with 5 factors and 3000 steps", id="counts"),
    pytest.param("train PPO for 2000 steps", id="steps-look-like-a-year"),
    pytest.param("set random seed 2024", id="seed"),
    pytest.param("what should I hold next week?", id="next-week"),
    pytest.param("will gold go up tomorrow", id="tomorrow"),
    pytest.param("buy stocks with the highest past 20-day return", id="lookback-feature"),
    pytest.param("gold above 2000", id="price-level"),
    pytest.param("a 2-year lookback window", id="lookback-length"),
    pytest.param("用20日均线和60日均线金叉", id="均线"),
    pytest.param("未来5天的收益", id="未来5天"),
    pytest.param("下周怎么操作", id="下周"),
    pytest.param("明天买不买", id="明天"),
    pytest.param("近20日涨幅排名前10的股票", id="近20日涨幅"),
    pytest.param("买入中证1000成分股", id="中证1000"),
    pytest.param("中证2000指数增强", id="中证2000"),
    pytest.param("资金2000万", id="资金"),
    pytest.param("持有5天后卖出", id="持有期"),
    pytest.param("预测未来3个月的收益", id="预测未来"),
    pytest.param("每20个交易日调仓一次", id="调仓周期"),
    pytest.param("买入２０００股茅台", id="全角股数"),
    pytest.param("5年期国债收益率", id="国债期限"),
    pytest.param("年化收益20%以上", id="年化"),
]


@pytest.mark.parametrize("text", NOT_PERIODS)
def test_parameters_horizons_and_quantities_are_not_windows(text: str) -> None:
    assert find_periods(text, SP) == []


NONEXISTENT = [
    pytest.param("close on 2019-02-30", id="no-such-day"),
    pytest.param("the fifth week of June 2019", id="no-fifth-monday"),
    pytest.param("2019年2月30日的收盘价", id="没有这一天"),
    pytest.param("2019年6月第五周", id="没有第五周"),
]


@pytest.mark.parametrize("text", NONEXISTENT)
def test_a_date_that_does_not_exist_is_not_widened_to_its_month_or_year(text: str) -> None:
    assert find_periods(text, SP) == []


# --- spans ---------------------------------------------------------------------------------------
SPANS = [
    pytest.param("hold out 2017 onwards please", "2017 onwards", id="open-suffix"),
    pytest.param("data since 2010", "since 2010", id="open-prefix"),
    pytest.param("用２０１５年到２０１８年的数据", "２０１５年到２０１８年", id="全角原文"),
    pytest.param("自2010年以来的表现", "自2010年以来", id="自以来原文"),
]


@pytest.mark.parametrize(("text", "said"), SPANS)
def test_span_quotes_the_original_words(text: str, said: str) -> None:
    mention = _only(text)
    assert mention.span.text == said
    assert text[mention.span.start:mention.span.end] == said


def test_lower_cased_text_reads_the_same() -> None:
    def bounds(text: str) -> list[tuple[str, date, date]]:
        return [(m.role, m.start, m.end) for m in find_periods(text, SP)]

    assert bounds("TEST ON Q3 2021, TRAIN ON H1 2020") == bounds("test on q3 2021, train on h1 2020")


def test_mentions_come_in_text_order_without_overlap() -> None:
    found = find_periods("2015年到2018年训练，2019年验证，2020年以后测试，最近一年看一下", GOLD)
    assert [m.span.start for m in found] == sorted(m.span.start for m in found)
    assert all(a.span.end <= b.span.start for a, b in zip(found, found[1:], strict=False))


@pytest.mark.parametrize(("text", "first"), [
    ("backtest it over the last 2-3 years", "2016-01-01"),
    ("train on the past 3 to 5 years", "2014-01-01"),
    ("最近两三年的数据", "2016-01-01"),
    ("近三五年的行情", "2014-01-01"),
    ("最近3-5年", "2014-01-01"),
    ("最近一两个月", "2018-11-01"),
])
def test_a_span_said_as_a_rough_range_reads_as_its_longer_end(text: str, first: str) -> None:
    found = _only(text)
    assert found.start == _d(first) and found.end == SP


# --- market episodes named instead of dates (eighth session) -------------------------------------
@pytest.mark.parametrize(("text", "first", "last"), [
    ("run a golden cross on the s&p through the gfc drawdown", date(2007, 10, 9), date(2009, 3, 9)),
    ("buy and hold on the nasdaq through the dot-com bust", date(2000, 3, 10), date(2002, 10, 9)),
    ("纳指在科网泡沫破裂那段跑一下macd", date(2000, 3, 10), date(2002, 10, 9)),
    ("from the march 2020 covid low to the end of the data", date(2020, 3, 23), date(2025, 12, 31)),
    ("标普从特朗普当选到数据结束", date(2016, 11, 8), date(2025, 12, 31)),
    ("the crude tape from iraq's invasion of kuwait through the start of desert storm", date(1990, 8, 2), date(1991, 1, 17)),
    ("把syn010在2016年初熔断那一周的k线调出来", date(2016, 1, 4), date(2016, 1, 8)),
    ("during the taper tantrum", date(2013, 5, 22), date(2013, 6, 24)),
    ("a linear model post-gfc", date(2009, 3, 10), date(2025, 12, 31)),
])
def test_a_named_market_episode_is_its_conventional_span(text: str, first: date, last: date) -> None:
    assert [(p.start, p.end) for p in find_periods(text, date(2025, 12, 31))] == [(first, last)]


@pytest.mark.parametrize(("text", "first", "last"), [
    ("用SAC在标普上训一下，数据就用2008年金融危机那一年", date(2008, 1, 1), date(2008, 12, 31)),
    ("回测次贷危机那轮（2007年10月到2009年3月）", date(2007, 10, 1), date(2009, 3, 31)),
])
def test_dates_said_beside_an_episode_decide_its_window(text: str, first: date, last: date) -> None:
    assert [(p.start, p.end) for p in find_periods(text, date(2025, 12, 31))] == [(first, last)]


@pytest.mark.parametrize(("text", "first", "last"), [
    ("2008年7月到年底", date(2008, 7, 1), date(2008, 12, 31)),
    ("from march 2019 to year-end", date(2019, 3, 1), date(2019, 12, 31)),
    ("from july 2020 to end-2023", date(2020, 7, 1), date(2023, 12, 31)),
])
def test_a_range_to_the_end_of_a_year(text: str, first: date, last: date) -> None:
    assert [(p.start, p.end) for p in find_periods(text, date(2025, 12, 31))] == [(first, last)]


def test_these_two_years_is_the_last_two_years() -> None:
    found = find_periods("macd在syn005上回测一下，这两年的", date(2025, 12, 31))
    assert [(p.start, p.end) for p in found] == [(date(2024, 1, 1), date(2025, 12, 31))]
    assert find_periods("这三只股票", date(2025, 12, 31)) == []


# --- research windows said the way the dev_ax writers said them ---------------------------------
def test_a_year_that_labels_an_episode_yields_to_the_dates_beside_it() -> None:
    from datetime import date

    from agents.understand._periods import find_periods

    found = find_periods("chart crude through the 2008 oil crash, july through december 2008", date(2019, 1, 3))
    assert [(p.start, p.end) for p in found] == [(date(2008, 7, 1), date(2008, 12, 31))]
    alone = find_periods("backtest gold through the 2013 selloff", date(2025, 12, 31))
    assert [(p.start, p.end) for p in alone] == [(date(2013, 1, 1), date(2013, 12, 31))]  # lived through, not "up to"
    assert find_periods("backtest gold through 2013", date(2025, 12, 31))[0].end == date(2013, 12, 31)


def test_halves_of_a_decade_and_the_years_before_the_data_ends() -> None:
    from datetime import date

    from agents.understand._periods import find_periods

    today = date(2018, 12, 31)
    assert [(p.start, p.end) for p in find_periods("the second half of the 2000s", today)] == \
        [(date(2005, 1, 1), date(2009, 12, 31))]
    assert [(p.start, p.end) for p in find_periods("1990年代前半段", today)] == [(date(1990, 1, 1), date(1994, 12, 31))]
    last = find_periods("over the three years before the data ends", today)
    assert [(p.start, p.end) for p in last] == [(date(2016, 1, 1), date(2018, 12, 31))]


@pytest.mark.parametrize(("text", "start", "end"), [
    ("what would have happened if I had sold all my gold at the start of 2020? show me gold from then to the end "
     "of 2021", "2020-01-01", "2021-12-31"),  # had been December 2021 alone
    ("sold in March 2009. show me from then until end of 2009", "2009-03-01", "2009-12-31"),
    ("2015年8月卖了标普，给我看从那时起到2015年底的走势", "2015-08-01", "2015-12-31"),
])
def test_from_then_starts_at_the_date_said_before(text: str, start: str, end: str) -> None:
    last = find_periods(text, SP)[-1]
    assert (last.start, last.end) == (_d(start), _d(end))
