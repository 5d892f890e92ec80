"""Reading the quantities a quant states, in English and Chinese, so no stated value is misread.

Tables of instructions as people type them (full-width digits, spaces, mixed languages). The
first tests pin defects that happened: "把原油仓位减掉一半" read as "sell 1", 三十万 read as 10030,
and commissions in bp or 万 jargon ignored. An oracle test checks every Chinese integer numeral
cn2an writes against the number it came from.
"""

from __future__ import annotations

import random
import re

import cn2an
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agents.understand._numbers import (
    find_costs,
    find_numbers,
    find_quantity,
    parse_fraction,
    parse_number,
)

# --------------------------------------------------------------------------------------------
# The defects that happened
# --------------------------------------------------------------------------------------------


def test_halving_the_crude_position_is_a_fraction_of_the_position_not_one_unit() -> None:
    quantity = find_quantity("把原油仓位减掉一半")

    assert quantity is not None
    assert (quantity.kind, quantity.value, quantity.side) == ("fraction_of_position", 0.5, "sell")
    assert quantity.span.text == "一半"


def test_yi_ban_is_not_read_as_the_number_one() -> None:
    assert find_numbers("把原油仓位减掉一半") == []


@pytest.mark.parametrize(("text", "value"), [("三十万", 300_000), ("十二万", 120_000), ("一千二百万", 12_000_000)])
def test_multiplier_applies_to_the_whole_numeral_before_wan(text: str, value: int) -> None:
    assert parse_number(text) == value


@pytest.mark.parametrize(("text", "kind", "rate"), [
    ("commission of 3 bps", "commission", 0.0003),
    ("佣金万三", "commission", 0.0003),
])
def test_commission_in_basis_points_or_wan_jargon_is_read(text: str, kind: str, rate: float) -> None:
    [cost] = find_costs(text)

    assert cost.kind == kind
    assert cost.rate == pytest.approx(rate)


# --------------------------------------------------------------------------------------------
# parse_number
# --------------------------------------------------------------------------------------------

PARSE_NUMBER = [
    ("1,200", 1200), ("2.5", 2.5), ("1e3", 1000), ("-5", -5), ("twelve", 12), ("twenty-five", 25),
    ("a hundred", 100), ("one hundred and five", 105), ("two thousand three hundred", 2300), ("a dozen", 12),
    ("2k", 2000), ("1.2m", 1_200_000), ("1.2 million", 1_200_000), ("3 billion", 3e9), ("10K", 10_000),
    ("１２００", 1200), ("１．５", 1.5),
    ("两千五百", 2500), ("零点五", 0.5), ("1.5万", 15_000), ("3千", 3000), ("5百万", 5_000_000),
    ("一万五", 15_000), ("三千五", 3500), ("一百五", 150), ("两万三千五", 23_500), ("一亿三", 130_000_000),
    ("十", 10), ("十五", 15), ("一百零五", 105), ("一千零五十", 1050), ("二〇一九", 2019), ("三点五万", 35_000),
    ("一亿零五百万", 105_000_000), ("三万亿", 3e12), ("贰佰万", 2_000_000), ("壹拾贰", 12), ("1万2千", 12_000),
    ("２万", 20_000), ("百万", 1_000_000),
]


@pytest.mark.parametrize(("text", "value"), PARSE_NUMBER, ids=[t for t, _ in PARSE_NUMBER])
def test_parse_number_reads_a_numeral(text: str, value: float) -> None:
    assert parse_number(text) == pytest.approx(value)


NOT_A_NUMBER = ["", "a", "an", "half", "一半", "半", "万三", "千一", "30%", "SP500", "abc", "三四十", "one two",
                "1,20", "hundred and", "一些"]


@pytest.mark.parametrize("text", NOT_A_NUMBER)
def test_parse_number_returns_none_for_what_is_not_one_numeral(text: str) -> None:
    assert parse_number(text) is None


def _chinese_variants(n: int) -> list[str]:
    low = cn2an.an2cn(n, "low")
    return [low, cn2an.an2cn(n, "up"), re.sub("二(?=[百千万亿])", "两", low), low.replace("零", "〇")]


def _oracle_integers() -> list[int]:
    rng = random.Random(20240601)
    return list(range(0, 1200)) + [rng.randrange(0, 10**k) for k in range(2, 10) for _ in range(400)] + [10**9]


def test_parse_number_agrees_with_cn2an_on_generated_chinese_integers() -> None:
    wrong = [(text, n) for n in _oracle_integers() for text in _chinese_variants(n) if parse_number(text) != n]

    assert wrong == []


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=0, max_value=10**12 - 1))
def test_parse_number_reads_back_any_chinese_integer_cn2an_writes(n: int) -> None:
    assert all(parse_number(text) == n for text in _chinese_variants(n))


@pytest.mark.parametrize("text", ["1.5", "0.25", "3.14159", "12.5", "100.05"])
def test_parse_number_reads_back_chinese_decimals_cn2an_writes(text: str) -> None:
    assert parse_number(cn2an.an2cn(text)) == float(text)


def test_chinese_integer_inside_a_sentence_is_found_with_its_value() -> None:
    wrong = [n for n in _oracle_integers()[1::7] if [m.value for m in find_numbers(f"买入{cn2an.an2cn(n)}股")] != [n]]

    assert wrong == []


# --------------------------------------------------------------------------------------------
# find_numbers
# --------------------------------------------------------------------------------------------

FIND_NUMBERS = [
    ("buy 200 shares of SYN001", [("200 shares", 200, "share")]),
    ("sell 3 lots", [("3 lots", 3, "lot")]),
    ("buy 10 contracts", [("10 contracts", 10, "lot")]),
    ("a 60-day window", [("60-day", 60, "day")]),
    ("20d momentum over 5y", [("20d", 20, "day"), ("5y", 5, "year")]),
    ("train for 100k steps", [("100k steps", 100_000, "step")]),
    ("buy $10,000 of gold", [("$10,000", 10_000, "usd")]),
    ("buy 10k USD worth", [("10k USD", 10_000, "usd")]),
    ("commission 3 bps", [("3 bps", 3, "bp")]),
    ("5 basis points", [("5 basis points", 5, "bp")]),
    ("30 percent", [("30 percent", 30, "percent")]),
    ("twenty shares and three lots", [("twenty shares", 20, "share"), ("three lots", 3, "lot")]),
    ("buy 3 more lots", [("3 more lots", 3, "lot")]),
    ("2 weeks, 3 months", [("2 weeks", 2, "week"), ("3 months", 3, "month")]),
    ("1‰", [("1‰", 0.1, "percent")]),
    ("买入100股", [("100股", 100, "share")]),
    ("卖出３手", [("３手", 3, "lot")]),
    ("买入 100 股", [("100 股", 100, "share")]),
    ("最近两年", [("两年", 2, "year")]),
    ("20日均线", [("20日", 20, "day")]),
    ("持有三个月", [("三个月", 3, "month")]),
    ("一年半", [("一年半", 1.5, "year")]),
    ("两个半月", [("两个半月", 2.5, "month")]),
    ("最近半年", [("半年", 0.5, "year")]),
    ("一个月", [("一个月", 1, "month")]),
    ("买一万元的黄金", [("一万元", 10_000, "yuan")]),
    ("用5万块买", [("5万块", 50_000, "yuan")]),
    ("1.5万股", [("1.5万股", 15_000, "share")]),
    ("百分之三十", [("百分之三十", 30, "percent")]),
    ("千分之二", [("千分之二", 0.2, "percent")]),
    ("万分之三", [("万分之三", 3, "bp")]),
    ("三成", [("三成", 30, "percent")]),
    ("佣金万三", [("万三", 3, "bp")]),
    ("１０％", [("１０％", 10, "percent")]),
    ("1个基点", [("1个基点", 1, "bp")]),
    ("快线10慢线30", [("10", 10, None), ("30", 30, None)]),
    ("买入600519 100股", [("100股", 100, "share")]),
    ("fast 8,12,16", [("8", 8, None), ("12", 12, None), ("16", 16, None)]),
    ("sma 10/30", [("10", 10, None), ("30", 30, None)]),
    ("快线5到20步长5", [("5", 5, None), ("20", 20, None), ("5", 5, None)]),
    ("fast 5 to 20 step 5", [("5", 5, None), ("20", 20, None), ("5", 5, None)]),
    ("初始资金三十万", [("三十万", 300_000, None)]),
    ("种子４２", [("４２", 42, None)]),
]


@pytest.mark.parametrize(("text", "expected"), FIND_NUMBERS, ids=[t for t, _ in FIND_NUMBERS])
def test_find_numbers_reads_each_numeral_with_its_unit(text: str, expected: list[tuple[str, float, str | None]]) -> None:
    mentions = find_numbers(text)

    assert [(m.span.text, m.unit) for m in mentions] == [(t, u) for t, _, u in expected]
    assert [m.value for m in mentions] == pytest.approx([v for _, v, _ in expected])


NOT_AMOUNTS = [
    "一半", "一些", "一下", "一起", "一直", "统一", "唯一", "万一出现回撤", "给我一个策略", "加一点仓", "周一买入",
    "第一步", "十几天", "一百多万", "三五天", "两三个月", "几十万", "一成不变", "两融余额", "十分重要", "上半年",
    "2021年", "二〇二一年", "3月5日", "2019-01-01", "9:30", "沪深300", "中证1000", "600519.SH", "000001", "T+1",
    "SP500", "SYN007", "IF2306", "a stock", "buy an ETF", "this one", "one of them", "two thirds", "三分之一",
    "since 2019", "from 2015 to 2020", "Jan 2020", "5m bars", "Q3 2021", "看一看", "一部分", "1/3", "帮我写一封邮件",
    "沈万三的故事",
]


@pytest.mark.parametrize("text", NOT_AMOUNTS)
def test_find_numbers_reads_nothing_where_no_amount_is_stated(text: str) -> None:
    assert find_numbers(text) == []


def test_find_numbers_spans_index_the_original_full_width_text() -> None:
    text = "卖出１，２００股，佣金万三"

    got = [(text[m.span.start:m.span.end], m.span.text, m.value) for m in find_numbers(text)]

    assert got == [("１，２００股", "１，２００股", 1200), ("万三", "万三", 3)]


def test_full_width_comma_does_not_join_two_numbers() -> None:
    assert [m.value for m in find_numbers("买100，卖200")] == [100, 200]


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="0123456789一二三十百千万半成个股手%年月 ,.a-", max_size=30))
def test_find_numbers_spans_are_ordered_disjoint_slices_of_the_text(text: str) -> None:
    mentions = find_numbers(text)

    assert all(text[m.span.start:m.span.end] == m.span.text for m in mentions)
    assert all(a.span.end <= b.span.start for a, b in zip(mentions, mentions[1:], strict=False))


# --------------------------------------------------------------------------------------------
# parse_fraction
# --------------------------------------------------------------------------------------------

FRACTIONS = [
    ("half", 0.5), ("a half", 0.5), ("one half", 0.5), ("a third", 1 / 3), ("one third", 1 / 3),
    ("two thirds", 2 / 3), ("a quarter", 0.25), ("three quarters", 0.75), ("a fifth", 0.2), ("30%", 0.3),
    ("30 percent", 0.3), ("30 pct", 0.3), ("1/3", 1 / 3), ("all", 1.0), ("everything", 1.0), ("entire", 1.0),
    ("一半", 0.5), ("半", 0.5), ("三分之一", 1 / 3), ("三分之二", 2 / 3), ("四分之一", 0.25), ("百分之三十", 0.3),
    ("三成", 0.3), ("五成", 0.5), ("七成五", 0.75), ("全部", 1.0), ("全仓", 1.0), ("清仓", 1.0), ("清掉", 1.0),
    ("半仓", 0.5), ("３０％", 0.3), ("百分之五十", 0.5), ("千分之五", 0.005), (" 一半 ", 0.5),
]


@pytest.mark.parametrize(("text", "value"), FRACTIONS, ids=[t for t, _ in FRACTIONS])
def test_parse_fraction_returns_the_fraction(text: str, value: float) -> None:
    assert parse_fraction(text) == pytest.approx(value)


@pytest.mark.parametrize("text", ["0.5", "3", "the third", "一成不变", "半导体", "a", "三", ""])
def test_parse_fraction_returns_none_for_what_is_not_a_relative_amount(text: str) -> None:
    assert parse_fraction(text) is None


# --------------------------------------------------------------------------------------------
# find_costs
# --------------------------------------------------------------------------------------------

COSTS = [
    ("commission of 3 bps", [("commission", 0.0003)]),
    ("3bp commission", [("commission", 0.0003)]),
    ("3 basis points of commission", [("commission", 0.0003)]),
    ("commission 0.1%", [("commission", 0.001)]),
    ("commission rate 0.001", [("commission", 0.001)]),
    ("fees of 5bp", [("commission", 0.0005)]),
    ("0.05% fee", [("commission", 0.0005)]),
    ("slippage 2bps", [("slippage", 0.0002)]),
    ("2 bp of slippage", [("slippage", 0.0002)]),
    ("transaction costs of 0.2%", [("cost", 0.002)]),
    ("costs of 10 bp per side", [("cost", 0.001)]),
    ("round-trip cost of 20bp", [("cost", 0.001)]),
    ("commission 1‰", [("commission", 0.001)]),
    ("commission 3bp, slippage 5bp", [("commission", 0.0003), ("slippage", 0.0005)]),
    ("3bp commission and 2bp slippage", [("commission", 0.0003), ("slippage", 0.0002)]),
    ("佣金万三", [("commission", 0.0003)]),
    ("万分之三的佣金", [("commission", 0.0003)]),
    ("佣金万2.5", [("commission", 0.00025)]),
    ("佣金万二点五", [("commission", 0.00025)]),
    ("佣金万一五", [("commission", 0.00015)]),
    ("佣金千一", [("commission", 0.001)]),
    ("手续费千分之一", [("commission", 0.001)]),
    ("手续费0.1%", [("commission", 0.001)]),
    ("手续费率万五", [("commission", 0.0005)]),
    ("滑点千分之二", [("slippage", 0.002)]),
    ("滑点万五", [("slippage", 0.0005)]),
    ("冲击成本万五", [("slippage", 0.0005)]),
    ("交易成本万五", [("cost", 0.0005)]),
    ("佣金０．０３％", [("commission", 0.0003)]),
    ("单边万三", [("cost", 0.0003)]),
    ("双边千二", [("cost", 0.002)]),
    ("佣金万一免五", [("commission", 0.0001)]),
    ("佣金为万分之三，滑点为0.1%", [("commission", 0.0003), ("slippage", 0.001)]),
    ("万三佣金，千一滑点", [("commission", 0.0003), ("slippage", 0.001)]),
    ("佣金：万三", [("commission", 0.0003)]),
    ("佣金按万分之2.5收", [("commission", 0.00025)]),
    ("佣金费率0.025%", [("commission", 0.00025)]),
    ("双边手续费千分之三", [("commission", 0.003)]),
    ("佣金单边万三，印花税千一", [("commission", 0.0003), ("cost", 0.001)]),
    ("滑点设为2个基点", [("slippage", 0.0002)]),
    ("成本按千分之三算", [("cost", 0.003)]),
    ("commission: 0.0003", [("commission", 0.0003)]),
    ("with transaction costs of 15bps round trip", [("cost", 0.00075)]),
    ("commission 3bp both sides", [("commission", 0.0003)]),
    ("fee 1 bp each way", [("commission", 0.0001)]),
    ("0.3‰ commission", [("commission", 0.0003)]),
    ("bt sma 10/30 spx 2005-2015 3bp", [("cost", 0.0003)]),
    ("20-day breakout on crude, 2005-2014, $250k, 5bps", [("cost", 0.0005)]),
    ("沪深300双均线，2015-2020，万三", [("cost", 0.0003)]),
]


@pytest.mark.parametrize(("text", "expected"), COSTS, ids=[t for t, _ in COSTS])
def test_find_costs_reads_kind_and_per_side_rate(text: str, expected: list[tuple[str, float]]) -> None:
    costs = find_costs(text)

    assert [c.kind for c in costs] == [k for k, _ in expected]
    assert [c.rate for c in costs] == pytest.approx([r for _, r in expected])


def test_cost_span_covers_the_cost_word_and_the_rate() -> None:
    [cost] = find_costs("回测时佣金按万三收取")

    assert cost.span.text == "佣金按万三"


@pytest.mark.parametrize("text", [
    "buy the top 0.1%", "涨幅超过0.1%", "sell if it drops 5bp", "万一出现回撤就卖", "佣金5元", "成本价10元",
    "commission 0.1", "spread above 5bp", "沈万三的故事",
])
def test_find_costs_ignores_rates_without_a_cost_word_or_that_are_not_rates(text: str) -> None:
    assert find_costs(text) == []


# --------------------------------------------------------------------------------------------
# find_quantity
# --------------------------------------------------------------------------------------------

QUANTITIES = [
    ("buy 200 shares of SYN001", "units", 200, "buy"),
    ("sell 3 lots", "lots", 3, "sell"),
    ("buy 10 contracts of crude", "lots", 10, "buy"),
    ("buy one lot of gold", "lots", 1, "buy"),
    ("short 2 contracts of crude", "lots", 2, "sell"),
    ("buy $10,000 of gold", "notional", 10_000, "buy"),
    ("buy 10k USD worth of gold", "notional", 10_000, "buy"),
    ("put 50k into gold", "notional", 50_000, "buy"),
    ("put 10% of equity into gold", "pct_equity", 10, "buy"),
    ("allocate 15% of the portfolio to SYN003", "pct_equity", 15, "buy"),
    ("buy gold with half of my cash", "pct_equity", 50, "buy"),
    ("sell half my crude", "fraction_of_position", 0.5, "sell"),
    ("cut my gold position by a third", "fraction_of_position", 1 / 3, "sell"),
    ("trim 25% of the position", "fraction_of_position", 0.25, "sell"),
    ("halve my gold position", "fraction_of_position", 0.5, "sell"),
    ("close half of my position", "fraction_of_position", 0.5, "sell"),
    ("sell all my gold", "fraction_of_position", 1.0, "sell"),
    ("close my gold position", "fraction_of_position", 1.0, "sell"),
    ("close my short position in gold", "fraction_of_position", 1.0, "buy"),
    ("buy 100 SYN001", "units", 100, "buy"),
    ("buy five hundred shares", "units", 500, "buy"),
    ("If gold falls below 1800, buy 5 lots", "lots", 5, "buy"),
    ("buy 10 shares at $50", "units", 10, "buy"),
    ("卖出3手", "lots", 3, "sell"),
    ("买入一手", "lots", 1, "buy"),
    ("做空两手螺纹钢", "lots", 2, "sell"),
    ("买入１００股", "units", 100, "buy"),
    ("减持500股", "units", 500, "sell"),
    ("以10元的价格买入100股", "units", 100, "buy"),
    ("买入沪深300ETF 1000份", "units", 1000, "buy"),
    ("买一万元的黄金", "notional", 10_000, "buy"),
    ("用5万块买黄金", "notional", 50_000, "buy"),
    ("用10%的资金买黄金", "pct_equity", 10, "buy"),
    ("仓位的三成", "pct_equity", 30, None),
    ("三成仓位买入", "pct_equity", 30, "buy"),
    ("用三成资金买入黄金", "pct_equity", 30, "buy"),
    ("满仓买入黄金", "pct_equity", 100, "buy"),
    ("减半", "fraction_of_position", 0.5, "sell"),
    ("减仓三分之一", "fraction_of_position", 1 / 3, "sell"),
    ("卖掉30%的持仓", "fraction_of_position", 0.3, "sell"),
    ("卖出２０％的持仓", "fraction_of_position", 0.2, "sell"),
    ("平掉一半的黄金仓位", "fraction_of_position", 0.5, "sell"),
    ("卖出半仓", "fraction_of_position", 0.5, "sell"),
    ("清仓黄金", "fraction_of_position", 1.0, "sell"),
    ("全部卖出", "fraction_of_position", 1.0, "sell"),
    ("卖出全部持仓", "fraction_of_position", 1.0, "sell"),
    ("买入100 SYN001，佣金万三", "units", 100, "buy"),
    ("buy gold for 20000 yuan", "notional", 20_000, "buy"),
    ("buy gold at 1900 for 5 lots", "lots", 5, "buy"),
    ("reduce my position by 1/4", "fraction_of_position", 0.25, "sell"),
    ("take profit on half my gold", "fraction_of_position", 0.5, "sell"),
    ("dump 40% of SYN002", "fraction_of_position", 0.4, "sell"),
    ("用20万买入黄金", "notional", 200_000, "buy"),
    ("投入10万资金买黄金", "notional", 100_000, "buy"),
    ("买入黄金，金额10万元", "notional", 100_000, "buy"),
    ("黄金仓位减少30%", "fraction_of_position", 0.3, "sell"),
    ("卖出原油的三分之二", "fraction_of_position", 2 / 3, "sell"),
    ("把一半的黄金卖掉", "fraction_of_position", 0.5, "sell"),
    ("用账户20%的资金买入SYN001", "pct_equity", 20, "buy"),
    ("卖出5手，价格1950", "lots", 5, "sell"),
    ("get rid of a quarter of my crude", "fraction_of_position", 0.25, "sell"),
    ("close out my gold", "fraction_of_position", 1.0, "sell"),
    ("place a market order for 30 lots of gold", "lots", 30, None),
    ("平掉所有仓位", "fraction_of_position", 1.0, "sell"),
    ("如果跌了10%就买入两手", "lots", 2, "buy"),
    ("黄金买入20%", "pct_equity", 20, "buy"),
    ("减仓30%", "fraction_of_position", 0.3, "sell"),
]


@pytest.mark.parametrize(("text", "kind", "value", "side"), QUANTITIES, ids=[q[0] for q in QUANTITIES])
def test_find_quantity_reads_the_order_size(text: str, kind: str, value: float, side: str | None) -> None:
    quantity = find_quantity(text)

    assert quantity is not None
    assert (quantity.kind, quantity.side) == (kind, side)
    assert quantity.value == pytest.approx(value)


NO_QUANTITY = [
    "buy the top 5% momentum stocks", "backtest SP500 from 2019 to 2021 with fast 10 slow 30",
    "buy when the 60-day momentum is positive", "train PPO on gold for 100k steps", "commission of 3 bps",
    "buy 0 shares", "sell -5 lots", "reduce gold to 10%", "buy gold when RSI drops 5%", "sell gold if all signals agree",
    "buy a lot of gold", "buy 10 stocks", "stop loss at 5%",
    "快线10慢线30回测", "最近两年的沪深300", "选前10%的股票买入", "跌破3000点买入", "黄金仓位降到两成", "给我一份回测报告",
    "买入10只股票", "所有股票等权买入", "初始资金100万", "2021年以来的回撤", "买入600519", "佣金万三，滑点万五",
    "止损5%", "仓位控制在三成", "帮我把黄金仓位减到30%", "卖出一部分黄金", "单票仓位不超过10%", "用3个因子选股买入",
    "show me the last 3 trades", "sell half an hour before the close", "减仓到一半", "把SYN002的仓位调到20%",
    "Run today's trading cycle with max 10% per position", "用PPO在黄金上训练，训练10万步，最近一年做测试",
    "put 1,000,000 of cash behind the top 5% in the backtest",
]


@pytest.mark.parametrize("text", NO_QUANTITY)
def test_find_quantity_returns_none_where_no_order_size_is_stated(text: str) -> None:
    assert find_quantity(text) is None


def test_quantity_span_points_at_the_amount_in_the_original_text() -> None:
    text = "请帮我卖出１２００股黄金"
    quantity = find_quantity(text)

    assert quantity is not None
    assert (quantity.span.text, text[quantity.span.start:quantity.span.end]) == ("１２００股", "１２００股")


def test_first_stated_order_size_wins_when_there_are_two() -> None:
    quantity = find_quantity("sell half my crude and buy 100 shares of gold")

    assert quantity is not None
    assert (quantity.kind, quantity.side) == ("fraction_of_position", "sell")


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="0123456789一二两三十百万半成仓位减卖买入股手%全部清 abcdefghilnorstuy$", max_size=30))
def test_find_quantity_is_always_positive_and_bounded(text: str) -> None:
    quantity = find_quantity(text)

    assert quantity is None or quantity.value > 0
    assert quantity is None or quantity.kind != "fraction_of_position" or quantity.value <= 1
    assert quantity is None or quantity.kind != "pct_equity" or quantity.value <= 100


@pytest.mark.parametrize("text", ["万三" * 2000, "一" * 5000, "1," * 3000, "one hundred and " * 500, "0" * 5000])
def test_long_repetitive_text_is_read_without_error(text: str) -> None:
    for find in (find_numbers, find_costs, find_quantity, parse_number, parse_fraction):
        find(text)


@pytest.mark.parametrize(("text", "kind", "rate"), [
    ("Run a backtest. Use the S&P. Bollinger, 20 and 2. 2005 through 2009. 3 bps.", "cost", 0.0003),
    ("In-sample 2010-2018, then check the winner on 2019-2021. 2 bps commission.", "commission", 0.0002),
    ("then backtest the best one on 2011-2018 at 3 bps", "cost", 0.0003),
    ("ddpg on gold, 0.1% comm and 2bps slippage", "commission", 0.001),
])
def test_a_cost_after_a_year_or_said_in_shorthand_is_read(text: str, kind: str, rate: float) -> None:
    """"2009. 3 bps" was read as the date 2009-03 (the cost dropped); "at 3 bps" as a target; "comm" unknown."""
    from agents.understand._numbers import find_costs

    assert any(c.kind == kind and c.rate == pytest.approx(rate) for c in find_costs(text)), find_costs(text)


@pytest.mark.parametrize("text", ["take profit at 50 bps", "stop loss at 20 bps", "2009.3 crash"])
def test_a_threshold_or_a_date_is_still_no_cost(text: str) -> None:
    from agents.understand._numbers import find_costs

    assert find_costs(text) == []


@pytest.mark.parametrize("text", ["两三", "一两", "三五", "七八"])
def test_neighbouring_numerals_are_a_rough_count_not_a_two_digit_number(text: str) -> None:
    assert parse_number(text) is None  # "买两三手" is asked about, never 23 lots


def test_digits_read_one_by_one_still_make_a_number() -> None:
    assert parse_number("二〇一九") == 2019 and parse_number("六零零五一九") == 600519 and parse_number("三十五") == 35
