"""Numbers as people say them, and tickets as sentences: the rewrites before any parser reads."""

from __future__ import annotations

import pytest

from agents.understand._spoken import canonical
from agents.understand._tickets import unfold


@pytest.mark.parametrize(("said", "read"), [
    ("from two thousand five to two thousand fifteen", "from 2005 to 2015"),
    ("in sample nineteen ninety nine to two thousand nine", "in sample 1999 to 2009"),
    ("train on twenty ten to twenty twenty two", "train on 2010 to 2022"),
    ("test twenty twenty three to twenty twenty five", "test 2023 to 2025"),
    ("a twenty fifty crossover", "a 20 50 crossover"),  # no year words around: a pair, not 2050
    ("fast of five ten and twenty, slow of fifty one hundred and two hundred",
     "fast of 5 10 and 20, slow of 50 100 and 200"),
    ("alpha one fifty eight and alpha three sixty", "alpha 158 and alpha 360"),
    ("a hundred thousand dollars, a million starting cash", "100000 dollars, 1000000 starting cash"),
    ("two and a half sigma", "2.5 sigma"),
    ("fifty-five day breakout", "55 day breakout"),
    ("seed forty two, seed seven", "seed 42, seed 7"),
    ("Q three twenty twenty one", "Q3 2021"),
    ("the S and P in March two thousand nine", "the S&P in March 2009"),
])
def test_english_spoken_numbers_become_digits(said: str, read: str) -> None:
    assert canonical(said) == read


@pytest.mark.parametrize("kept", [
    "sell half of it", "a third of my gold", "the last one", "compare the two", "buy one more",
    "the second week of June", "the first quarter",
])
def test_fractions_ordinals_and_pronouns_are_not_numbers(kept: str) -> None:
    assert canonical(kept) == kept


@pytest.mark.parametrize(("said", "read"), [
    ("两千零八年到二零一二年", "2008年到2012年"),
    ("二零二一年以后", "2021年以后"),
    ("动量策略 二十日", "动量策略 20日"),
    ("RSI 十四天", "RSI 14天"),
])
def test_chinese_written_numbers_become_digits(said: str, read: str) -> None:
    assert canonical(said) == read


@pytest.mark.parametrize("kept", [
    "百分之三十", "三分之一", "佣金万三", "千一手续费", "第一周", "周一", "卖出十二万的纳指", "三成仓位", "减仓一半",
    "回测一下",
])
def test_chinese_idioms_fractions_jargon_and_wan_amounts_stay(kept: str) -> None:
    assert canonical(kept) == kept


def test_a_ticket_reads_as_one_sentence_with_its_keys_said() -> None:
    ticket = "Task: backtest\nStrategy: SMA crossover (fast=10, slow=30)\nAsset: SP500\nCash: 100,000\nCommission: 2bp"
    assert unfold(ticket) == "backtest, SMA crossover (fast=10, slow=30), SP500, 100,000 starting cash, 2bp commission"


def test_a_chinese_ticket_and_its_approval_line() -> None:
    ticket = "任务：下单\n标的：黄金\n方向：卖出\n数量：持仓的一半\n审批：需要"
    assert unfold(ticket) == "下单，黄金，卖出，持仓的一半，下单前先问我"
    assert unfold("Task: order\nAsset: GOLD\nApproval: no") == "order, GOLD"


def test_numbered_items_are_steps_and_the_header_is_dropped() -> None:
    ticket = "任务：多步\n1. 查看当前账户\n2. 运行今日交易流程\n3. 下单前先问我"
    assert unfold(ticket) == "查看当前账户。运行今日交易流程。下单前先问我"


def test_unknown_keys_keep_their_words_and_plain_text_passes_through() -> None:
    assert unfold("Task: list strategies\nScope: rule strategies") == "list strategies, Scope rule strategies"
    plain = "backtest gold 2010-2015\nwith 3bp commission"
    assert unfold(plain) == plain


@pytest.mark.parametrize(("said", "read"), [
    ("buy like two thousand shares of SYN zero four two", "buy like 2000 shares of SYN042"),
    ("trim my SYN one oh three position", "trim my SYN103 position"),
    ("买两千股SYN零一二", "买2000股SYN012"),
    ("show me SYN zero zero seven for twenty twenty four", "show me SYN007 for 2024"),
    ("the crude backtest we ran on march third twenty twenty five", "the crude backtest we ran on march 3 2025"),
])
def test_names_and_days_said_in_words_are_written(said: str, read: str) -> None:
    assert canonical(said) == read


@pytest.mark.parametrize(("said", "read"), [
    ("train a PPO on oil no wait on gold", "train a PPO on gold"),
    ("train PPO for twenty thousand steps no make it fifty thousand", "train PPO for 50000 steps"),
    ("show me crude in july two thousand nine no sorry two thousand eight", "show me crude in july 2008"),
    ("buy 2 lots no 3 lots of gold", "buy 3 lots of gold"),
    ("回测RSI 周期十四 不对 周期二十一", "回测RSI 周期21"),
    ("用两年的 不对 三年的数据训练PPO", "用三年的数据训练PPO"),
    ("买入3手黄金，不对，是5手", "买入5手黄金"),
])
def test_a_value_corrected_in_passing_is_replaced_by_its_correction(said: str, read: str) -> None:
    assert canonical(said) == read


@pytest.mark.parametrize("text", ["buy 10 lots no more than 5% of equity", "卖出3手黄金，不是5手吗"])
def test_words_that_only_look_like_a_correction_change_nothing(text: str) -> None:
    assert canonical(text) == text
