"""General rules read from a stranger's instructions (own wordings, not the case banks'): money
slang, one-letter typos, channel lengths, hyphenated MACD settings, factor counts and horizons,
joined steps, peers the store lacks and chores that are no quant work."""

from __future__ import annotations

from typing import Any

import pytest

from agents.spec import TaskSpec
from tests._understand import intents as _intents
from tests._understand import make_reader


@pytest.fixture(scope="module")
def read() -> Any:
    return make_reader()


def _params(spec: TaskSpec, step: int = 0) -> dict[str, float]:
    return {k: float(v.value) for k, v in spec.steps[step].params.items()}


def test_a_grand_is_a_thousand_in_money(read: Any) -> None:
    spec = read("put twenty-five grand into the S&P")
    assert spec.steps[0].quantity is not None
    assert spec.steps[0].quantity.value.kind == "notional" and spec.steps[0].quantity.value.value == 25000


def test_one_wrong_letter_in_an_index_name_is_read_as_that_index(read: Any) -> None:
    spec = read("backtest an RSI(14) on nasdac over 2005-2009")
    assert [i.value for i in spec.steps[0].instruments] == ["NASDAQ"]


@pytest.mark.parametrize(("text", "want"), [
    ("Donchian 55 breakout on crude, 2001-2006", {"period": 55.0}),
    ("backtest a MACD at 8-17-9 on the S&P for 2010", {"fast": 8.0, "slow": 17.0, "signal": 9.0}),
    ("buy SYN010 when the 7-day RSI falls under 25 and get out when it climbs back over 75, 2020",
     {"period": 7.0, "lower": 25.0, "upper": 75.0}),
])
def test_strategy_settings_said_plainly(read: Any, text: str, want: dict[str, float]) -> None:
    assert _params(read(text)).items() >= want.items()


def test_a_crossing_of_two_named_averages_is_one_strategy(read: Any) -> None:
    spec = read("backtest a two-average crossover (EMA 8 over EMA 40) on gold for 2019")
    assert _intents(spec) == ["backtest_strategy"]
    assert spec.steps[0].strategy is not None and spec.steps[0].strategy.value == "ema_cross"


def test_a_reversion_style_word_joins_the_indicator(read: Any) -> None:
    spec = read("bollinger 25d 2sd on gold 2012-2014, fade moves outside the bands")
    assert _intents(spec) == ["backtest_strategy"]
    assert spec.steps[0].strategy is not None and spec.steps[0].strategy.value == "bollinger_reversion"


@pytest.mark.parametrize(("text", "count"), [
    ("propose volatility factors, fifteen of them", 15),
    ("some quality factors please. Four would do.", 4),
    ("turnover factors x five, fwd 10", 5),
])
def test_how_many_factors_in_looser_words(read: Any, text: str, count: int) -> None:
    spec = read(text)
    assert spec.steps[0].factor_count is not None and spec.steps[0].factor_count.value == count


@pytest.mark.parametrize(("text", "days"), [
    ("find momentum factors on the sample universe at a two-week horizon", 10),
    ("挖几个波动率因子，看5日后的收益", 5),
])
def test_forward_horizon_in_weeks_or_days_after(read: Any, text: str, days: int) -> None:
    spec = read(text)
    assert spec.steps[0].forward_days is not None and spec.steps[0].forward_days.value == days


def test_a_double_dash_ends_a_formula_and_a_list_of_formulas_is_one_evaluation(read: Any) -> None:
    spec = read("evaluate on csi_syn: Mean($close,10)/$close ; Std($close,20) -- 5 day fwd")
    assert _intents(spec) == ["evaluate_factors"]
    assert [e.value for e in spec.steps[0].expressions] == ["Mean($close,10)/$close", "Std($close,20)"]
    assert spec.steps[0].forward_days is not None and spec.steps[0].forward_days.value == 5


def test_the_winner_of_a_search_run_out_of_sample_is_a_backtest(read: Any) -> None:
    spec = read("search the RSI period on gold in-sample 2016-2020, then backtest the best one out of sample on 2021-2025")
    assert _intents(spec) == ["optimize_strategy", "backtest_strategy"]


def test_a_stepped_range_and_a_fixed_value(read: Any) -> None:
    spec = read("原油RSI周期从6试到18，步长4，超买线固定在75")
    grid = {k: list(v.value) for k, v in spec.steps[0].grid.items()}
    assert grid == {"period": [6.0, 10.0, 14.0, 18.0]}
    assert _params(spec)["upper"] == 75.0


def test_a_stock_the_store_lacks_named_beside_one_it_has_is_asked_about(read: Any) -> None:
    assert read("copper vs gold with an RSI, which did better over 2016-2019?").question is not None


def test_booking_travel_is_out_of_scope(read: Any) -> None:
    assert _intents(read("帮我买两张后天去杭州的火车票")) == ["out_of_scope"]


def test_run_it_past_me_asks_for_approval(read: Any) -> None:
    spec = read("train lightgbm on csi_syn alpha158 and buy the top 10; put the orders past me first")
    assert spec.approval.value is True


def test_a_decade_said_without_its_century(read: Any) -> None:
    spec = read("train sac on crude over the 80s, test on 1990-1993")
    window = spec.steps[0].windows.train
    assert window is not None and window.value.start.year == 1980 and window.value.end.isoformat() == "1989-12-31"


def test_a_factor_scored_against_forward_returns_is_one_evaluation(read: Any) -> None:
    assert _intents(read("is Std($close, 20) useful on csi_syn? test it against 10d forward returns")) == ["evaluate_factors"]


def test_a_slash_separated_valid_year(read: Any) -> None:
    spec = read("linear alpha158 csi_syn 2016-2020 train / 2021 valid / 2022-2024 test")
    window = spec.steps[0].windows.valid
    assert window is not None and window.value.start.isoformat() == "2021-01-01"


def test_check_my_book_and_if_then_sell_is_two_steps(read: Any) -> None:
    assert _intents(read("check my holdings and if any WTI is left sell all of it")) == ["account_status", "place_order"]


# --- second round: steps of multi-step requests and when to ask -------------------------------


def test_a_condition_on_the_model_gates_an_order_step_it_does_not_drop_it(read: Any) -> None:
    spec = read("Fit PPO on the Nasdaq over the last two years; if the policy turns bullish, buy 300 shares of NASDAQ.")
    assert _intents(spec) == ["train_rl", "place_order"]
    assert spec.steps[1].quantity is not None and spec.steps[1].quantity.value.value == 300


def test_a_chinese_look_then_a_conditional_buy_is_two_steps(read: Any) -> None:
    spec = read("帮我看一下纳指最近两个月的行情，如果回调了就买一成")
    assert _intents(spec) == ["show_price", "place_order"]
    assert spec.steps[1].quantity is not None and spec.steps[1].quantity.value.value == 10


def test_send_me_the_book_after_the_cycle_is_its_own_step(read: Any) -> None:
    assert _intents(read("先把今天的交易流程跑了，弄完以后把持仓发给我")) == ["trading_cycle", "account_status"]
    spec = read("Kick off today's trading cycle, then tell me where my positions and P&L stand.")
    assert _intents(spec) == ["trading_cycle", "account_status"] and spec.question is None


def test_a_question_about_a_run_i_did_then_a_redo_with_another_strategy(read: Any) -> None:
    spec = read("How much did the gold backtest we ran last week make? Then redo it as a 30-day breakout on the same dates.")
    assert _intents(spec) == ["recall", "backtest_strategy"]
    assert spec.steps[1].strategy is not None and spec.steps[1].strategy.value == "donchian_breakout"


def test_a_chinese_average_crossing_rule_without_a_size_is_a_backtest(read: Any) -> None:
    spec = read("纳指10日线上穿40日线买入，下穿卖出，2010年到2014年")
    assert _intents(spec) == ["backtest_strategy"] and spec.question is None
    assert spec.steps[0].strategy is not None and spec.steps[0].strategy.value == "sma_cross"
    assert _params(spec) == {"fast": 10, "slow": 40}


def test_clearing_out_a_position_in_slang_is_the_whole_of_it(read: Any) -> None:
    spec = read("纳指止盈一半，黄金全卖了")
    assert _intents(spec) == ["place_order", "place_order"] and spec.question is None
    sizes = [s.quantity.value.value for s in spec.steps if s.quantity is not None]
    assert sizes == [0.5, 1.0]


def test_one_look_back_stated_twice_differently_is_asked_about(read: Any) -> None:
    spec = read("Run a 20-day SMA backtest on gold for 2018, SMA period 50.")
    assert spec.question is not None and "20" in spec.question and "50" in spec.question


def test_two_look_backs_set_against_each_other_are_not_a_contradiction(read: Any) -> None:
    spec = read("Backtest a 14-day RSI versus a 28-day RSI on crude in 2015.")
    assert spec.question is None or "period" not in spec.question


def test_a_size_above_its_own_cap_is_asked_about_naming_both(read: Any) -> None:
    spec = read("Put 60% of equity into the S&P, but never more than 20% of the account.")
    assert spec.question is not None and "60" in spec.question and "20" in spec.question
    zh = read("全仓买入原油，不过仓位最多三成")
    assert zh.question is not None and "全仓" in zh.question and "三成" in zh.question


def test_a_size_within_its_cap_is_not_asked_about(read: Any) -> None:
    assert read("Buy 5% of equity in gold, never more than 25% of the account.").question is None


def test_the_highest_close_of_the_last_n_days_is_a_breakout_window(read: Any) -> None:
    spec = read("Backtest buying the S&P when it closes over the highest close of the prior 60 days, 2004 to 2009.")
    assert spec.steps[0].strategy is not None and spec.steps[0].strategy.value == "donchian_breakout"
    assert _params(spec) == {"period": 60} and spec.question is None
    zh = read("原油创30日新高就买，回测2005到2010年")
    assert zh.steps[0].strategy is not None and zh.steps[0].strategy.value == "donchian_breakout"


def test_the_whole_history_is_the_data_range_of_the_instrument(read: Any) -> None:
    spec = read("RSI(14) on the nasdaq over its entire history")
    data = spec.steps[0].windows.data
    assert data is not None and str(data.value.start) == "1999-01-04" and str(data.value.end) == "2018-12-31"
    zh = read("双均线20/60在黄金上回测，用全部历史数据")
    data = zh.steps[0].windows.data
    assert data is not None and str(data.value.start) == "2006-01-02"


def test_comparing_the_tuned_strategy_does_not_add_a_default_run_of_it(read: Any) -> None:
    spec = read("Tune the RSI period over 10, 14 and 20 on gold for 2015-2019, then backtest buy and hold on the "
                "same dates and compare the optimised RSI with it.")
    assert _intents(spec) == ["optimize_strategy", "backtest_strategy", "compare"]


def test_a_week_ahead_horizon_for_themed_signals_is_five_days(read: Any) -> None:
    spec = read("find 4 momentum signals judged on a 1-week horizon")
    assert spec.steps[0].forward_days is not None and spec.steps[0].forward_days.value == 5
