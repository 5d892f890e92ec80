"""Whole instructions read into a spec: the general rules behind multi-step requests, anchored
periods, held-out splits, counts, settings and declines (own wordings, not the case banks')."""

from __future__ import annotations

from datetime import date

import pytest

from agents.spec import TaskSpec
from agents.understand import load_router, understand
from agents.understand._periods import find_periods
from evals.understanding import sample_catalog
from taorui.settings import Settings


@pytest.fixture(scope="module")
def read() -> object:
    catalog = sample_catalog()
    router = load_router(str(Settings().cache_dir / "router"))
    return lambda text: understand([text], catalog, router)


def _intents(spec: TaskSpec) -> list[str]:
    return [s.intent for s in spec.steps]


def _window(spec: TaskSpec, role: str, step: int = 0) -> tuple[str, str] | None:
    window = getattr(spec.steps[step].windows, role)
    return None if window is None else (window.value.start.isoformat(), window.value.end.isoformat())


# --- periods ----------------------------------------------------------------------------------
@pytest.mark.parametrize(("text", "first", "last"), [
    ("use the four years to end-2016", "2013-01-01", "2016-12-31"),
    ("over the 2 years ending June 2015", "2013-07-01", "2015-06-30"),
    ("the 18 months through 2012", "2011-07-01", "2012-12-31"),
    ("the six months before 2010", "2009-07-01", "2009-12-31"),
    ("截至2014年底的过去两年", "2013-01-01", "2014-12-31"),
    ("FY2011 through FY2013", "2011-01-01", "2013-12-31"),
    ("fy09-fy10", "2009-01-01", "2010-12-31"),
    ("2012、2013两年", "2012-01-01", "2013-12-31"),
])
def test_anchored_and_fiscal_periods(text: str, first: str, last: str) -> None:
    found = find_periods(text, date(2018, 12, 31))
    assert [(p.start.isoformat(), p.end.isoformat()) for p in found] == [(first, last)]


def test_a_quarter_range_is_not_an_anchored_span() -> None:
    found = find_periods("2019年一季度到2020年四季度", date(2025, 12, 31))
    assert [(p.start.isoformat(), p.end.isoformat()) for p in found] == [("2019-01-01", "2020-12-31")]


def test_training_is_the_data_before_the_held_out_windows(read) -> None:  # type: ignore[no-untyped-def]
    spec = read("fit an MLP with alpha360 on csi_syn; validate on 2022, test from 2023 on, and train on all the data before that")
    assert _window(spec, "train") == ("2016-01-04", "2021-12-31")
    zh = read("合成股票池训练LightGBM，最近两年做测试，其余的全部用于训练")
    assert _window(zh, "train") == ("2016-01-04", "2023-12-31")


def test_an_open_training_window_ends_where_the_hold_out_begins(read) -> None:  # type: ignore[no-untyped-def]
    spec = read("PPO on the S&P: hold out the last three years for testing and train from 2003 until then")
    assert _window(spec, "train") == ("2003-01-01", "2015-12-31")


def test_a_restated_window_replaces_the_loose_one(read) -> None:  # type: ignore[no-untyped-def]
    spec = read("backtest buy and hold on gold from the 2011 top onward (i.e. September 2011 to the end of the data)")
    assert _window(spec, "data") == ("2011-09-01", "2025-12-31")


# --- several steps in one sentence --------------------------------------------------------------
def test_two_orders_in_one_sentence(read) -> None:  # type: ignore[no-untyped-def]
    spec = read("sell 5 lots of gold and grab 200 shares of SYN010")
    assert _intents(spec) == ["place_order", "place_order"]
    assert [s.side.value for s in spec.steps if s.side] == ["sell", "buy"]
    money = read("dump my SYN003 position and park $25k in SYN004")
    assert _intents(money) == ["place_order", "place_order"]
    assert money.steps[1].side is not None and money.steps[1].side.value == "buy"
    assert money.steps[1].quantity is not None and money.steps[1].quantity.value.kind == "notional"


def test_a_run_after_a_comma_and_a_closing_comparison(read) -> None:  # type: ignore[no-untyped-def]
    spec = read("Train an A2C agent on crude for 2010-2015, backtest a momentum rule on the same years, and then say which one did better")
    assert _intents(spec) == ["train_rl", "backtest_strategy", "compare"]


def test_a_preamble_before_the_comma_frames_the_request(read) -> None:  # type: ignore[no-untyped-def]
    spec = read("Using the sample universe, train a linear model on 2017-2021")
    assert _intents(spec) == ["train_model"]


def test_one_model_per_feature_set(read) -> None:  # type: ignore[no-untyped-def]
    spec = read("one MLP on csi_syn with alpha360 and another with alpha158, then rank them")
    assert _intents(spec) == ["train_model", "train_model", "compare"]
    assert [s.features.value for s in spec.steps[:2] if s.features] == ["alpha360", "alpha158"]


def test_a_later_run_joins_the_comparison(read) -> None:  # type: ignore[no-untyped-def]
    spec = read("PPO和A2C在黄金上各训一个，再和双均线回测放在一起比")
    assert _intents(spec) == ["train_rl", "train_rl", "backtest_strategy", "compare"]


def test_each_instrument_its_own_run_when_ranked(read) -> None:  # type: ignore[no-untyped-def]
    spec = read("train PPO on gold and on the Nasdaq for 2010-2018 and rank both")
    assert _intents(spec) == ["train_rl", "train_rl", "compare"]


# --- values ---------------------------------------------------------------------------------------
def test_counts_seeds_steps_cash_and_costs(read) -> None:  # type: ignore[no-untyped-def]
    spec = read("look for half a dozen turnover factors on csi_syn")
    assert spec.steps[0].factor_count is not None and spec.steps[0].factor_count.value == 6
    spec = read("PPO on gold 2015-2020, set the seed to 9")
    assert spec.steps[0].seed is not None and spec.steps[0].seed.value == 9
    spec = read("黄金TD3，种子７，步数提到１２万，初始资金人民币三百万元，佣金一买一卖合计万六")
    step = spec.steps[0]
    assert step.seed is not None and step.seed.value == 7
    assert step.timesteps is not None and step.timesteps.value == 120000
    assert step.cash is not None and step.cash.value == 3_000_000
    assert step.costs.commission is not None and step.costs.commission.value == pytest.approx(0.0003)
    assert step.side is None and step.quantity is None


def test_grid_steps_and_named_signal(read) -> None:  # type: ignore[no-untyped-def]
    spec = read("黄金布林带周期寻优，从10到40，每次加10")
    assert spec.steps[0].grid["period"].value == (10.0, 20.0, 30.0, 40.0)
    spec = read("纳指MACD回测，快12 慢26 信号9")
    assert {k: v.value for k, v in spec.steps[0].params.items()} == {"fast": 12.0, "slow": 26.0, "signal": 9.0}


# --- what the account holds, declines and unknown indexes -----------------------------------------
@pytest.mark.parametrize("text", ["how much crude are we holding?", "原油手上还有多少", "is anything waiting in the approvals queue"])
def test_holdings_and_queue_questions_are_account_status(read, text: str) -> None:  # type: ignore[no-untyped-def]
    assert _intents(read(text)) == ["account_status"]


def test_a_verse_is_declined_and_an_unknown_index_is_asked_about(read) -> None:  # type: ignore[no-untyped-def]
    assert _intents(read("帮我写一首关于均线的五言律诗")) == ["out_of_scope"]
    spec = read("backtest an SMA cross on the Dow Jones")
    assert spec.question is not None


@pytest.mark.parametrize(("text", "train", "test"), [
    ("dig up liquidity factors on csi_syn, mining on 2017-2019 and confirming on 2020-2021",
     ("2017-01-01", "2019-12-31"), ("2020-01-01", "2021-12-31")),
    ("mine a few volume factors: mining period 2018 to 2020, confirmation period 2021",
     ("2018-01-01", "2020-12-31"), ("2021-01-01", "2021-12-31")),
    ("挖几个流动性因子，挖掘期2016到2019年，确认期2020年", ("2016-01-01", "2019-12-31"), ("2020-01-01", "2020-12-31")),
])
def test_mining_and_confirmation_periods_are_train_and_test(read: object, text: str, train: tuple[str, str],
                                                            test: tuple[str, str]) -> None:
    spec = read(text)  # type: ignore[operator]
    assert _intents(spec) == ["mine_factors"]
    assert _window(spec, "train") == train and _window(spec, "test") == test


@pytest.mark.parametrize(("text", "unused"), [
    ("Find me some volatility alphas on the sample universe, looking at 2018-2021 and then 2022-2023", "2022-2023"),
    ("backtest an sma cross on SP500 over 2010-2012, also glance at 2014-2015", "2014-2015"),
])
def test_a_stated_period_no_window_took_is_named_not_dropped(read: object, text: str, unused: str) -> None:
    spec = read(text)  # type: ignore[operator]
    assert unused in spec.ignored


# --- unusual number and date forms, follow-ups that point at an earlier run -------------------------
@pytest.mark.parametrize(("text", "kind", "rate"), [
    ("backtest macd on gold with slippage of a quarter of a basis point", "slippage", 0.000025),
    ("rsi on spx, commission half a percent", "commission", 0.005),
    ("布林带回测标普，佣金按百分之零点零三收取", "commission", 0.0003),
    ("布林带回测标普，滑点三个bp", "slippage", 0.0003),
])
def test_fractions_of_cost_units_and_counted_units(read: object, text: str, kind: str, rate: float) -> None:
    spec = read(text)  # type: ignore[operator]
    assert getattr(spec.steps[0].costs, kind).value == pytest.approx(rate)


@pytest.mark.parametrize(("text", "first", "last"), [
    ("momentum backtest on oil from Dec '10 to Jun '11", "2010-12-01", "2011-06-30"),
    ("sma cross on spx over 03-07", "2003-01-01", "2007-12-31"),
    ("train ppo on gold between the 2015 and 2018 year-ends", "2015-12-31", "2018-12-31"),
    ("backtest rsi on gold from Christmas 2012 to Christmas 2014", "2012-12-25", "2014-12-25"),
    ("黄金双均线，2016年底到2018年初", "2016-12-31", "2018-01-01"),
    ("sma cross on nasdaq, the five years ending with the most recent data", "2014-01-01", "2018-12-31"),
])
def test_unusual_date_forms(read: object, text: str, first: str, last: str) -> None:
    assert _window(read(text), "data") == (first, last)  # type: ignore[operator]


def test_chat_counts_and_seed_in_chinese(read) -> None:  # type: ignore[no-untyped-def]
    step = read("ppo on gold 3w步 种子九").steps[0]
    assert step.timesteps.value == 30000 and step.seed.value == 9


@pytest.mark.parametrize(("text", "intent"), [
    ("like last time, but switch to DDPG", "train_rl"),
    ("把上次那个原油回测的滑点改成万二再测一次", "backtest_strategy"),
])
def test_a_follow_up_is_a_recall_then_the_changed_run(read: object, text: str, intent: str) -> None:
    spec = read(text)  # type: ignore[operator]
    assert _intents(spec) == ["recall", intent] and spec.question is None


def test_a_repeated_look_back_is_not_a_rerun(read) -> None:  # type: ignore[no-untyped-def]
    assert _intents(read("what did my last backtest return again?")) == ["recall"]


def test_a_follow_up_recalls_the_newest_run_of_its_kind() -> None:
    """'把刚才那个换成TD3': the recall asks for RL runs only, and 'just now' orders them newest first."""
    from agents.planner._rules import recalled_hits
    from agents.preview import offline_preview
    from agents.spec import RunRef

    router = load_router(str(Settings().cache_dir / "router"))
    preview = offline_preview("把刚才那个换成TD3", sample_catalog(), router)
    [call] = preview.tool_calls
    assert call["name"] == "search_memory" and call["args"]["where"] == "run_kind=rl"
    hits = [{"id": "old", "metadata": {"ts": 1.0}}, {"id": "new", "metadata": {"ts": 2.0}}]
    assert [h["id"] for h in recalled_hits(RunRef(kind="rl", when="last"), hits)] == ["new", "old"]
    assert [h["id"] for h in recalled_hits(RunRef(kind="rl"), hits)] == ["old", "new"]


# --- dev_o / dev_p kinds of failure ------------------------------------------------------------
def test_traditional_characters_are_read_like_simplified_ones(read) -> None:  # type: ignore[no-untyped-def]
    step = read("請在黃金上訓練一個PPO，十五萬步，滑點萬一").steps[0]
    assert step.intent == "train_rl" and step.instruments[0].value == "GOLD"
    assert step.timesteps.value == 150000 and step.costs.slippage.value == 0.0001


def test_an_open_end_named_as_the_end_of_the_data(read) -> None:  # type: ignore[no-untyped-def]
    assert _window(read("backtest rsi on crude from 2012 to end of data"), "data") == ("2012-01-01", "2019-01-03")


def test_the_gold_etf_ticker_names_gold(read) -> None:  # type: ignore[no-untyped-def]
    assert read("sac on gld last 2y").steps[0].instruments[0].value == "GOLD"


def test_a_first_person_wish_is_the_request_before_an_order(read) -> None:  # type: ignore[no-untyped-def]
    spec = read("We run a quant book and would like to know whether an MLP on alpha158 can rank the synthetic "
                "stocks. Take 500k of capital and then buy the top 10 names.")
    assert _intents(spec) == ["train_model", "place_order"] and spec.steps[0].features.value == "alpha158"


def test_a_run_verb_takes_what_the_scene_named(read) -> None:  # type: ignore[no-untyped-def]
    spec = read("My manager asks if A2C or PPO copes better with the Nasdaq. Train both from 2010 and compare.")
    assert _intents(spec) == ["train_rl", "train_rl", "compare"]
    assert {s.algo.value for s in spec.steps[:2]} == {"a2c", "ppo"}


def test_several_runs_answer_a_first_sentence_once(read) -> None:  # type: ignore[no-untyped-def]
    spec = read("领导想看看强化学习在黄金上行不行。你用TD3和A2C各跑一个，最近三年的数据，再比较一下。")
    assert _intents(spec) == ["train_rl", "train_rl", "compare"]


def test_factor_work_keeps_a_named_hold_out(read) -> None:  # type: ignore[no-untyped-def]
    spec = read("挖3个动量因子，合成股票池，样本外用2024年以后")
    assert _window(spec, "test") == ("2024-01-01", "2025-12-31")
    en = read("find 4 volatility factors on the sample universe, test them with 2017-2021 in-sample and 2022 onwards out of sample")
    assert _window(en, "train") == ("2017-01-01", "2021-12-31") and _window(en, "test") == ("2022-01-01", "2025-12-31")


def test_a_forward_horizon_clause_is_not_a_step(read) -> None:  # type: ignore[no-untyped-def]
    spec = read("评估 Mean($close, 10)/$close 在csi_syn上的IC？看未来10个交易日的收益")
    assert _intents(spec) == ["evaluate_factors"] and spec.steps[0].forward_days.value == 10
    assert read("评估 Std($close, 20) 在合成股票池上，10日预测周期").steps[0].forward_days.value == 10


@pytest.mark.parametrize(("text", "intent"), [
    ("are any orders still waiting for my sign-off?", "account_status"),
    ("which rule based strategies can I test?", "list_strategies"),
    ("我的持仓里原油占比多少？浮亏多少？", "account_status"),
    ("bring up the S&P for 2008 to 2009, I need it for a talk", "show_price"),
    ("what was the sharpe of the backtest from last week? don't rerun it", "recall"),
])
def test_questions_about_the_book_the_strategies_prices_and_earlier_runs(read, text: str, intent: str) -> None:  # type: ignore[no-untyped-def]
    spec = read(text)
    assert _intents(spec) == [intent] and spec.question is None


def test_starting_capital_said_after_the_amount(read) -> None:  # type: ignore[no-untyped-def]
    assert read("backtest macd on gold with two million in starting capital").steps[0].cash.value == 2_000_000


def test_a_list_takes_the_parameter_named_nearest(read) -> None:  # type: ignore[no-untyped-def]
    step = read("tune the sma lengths on gold: fast 5, 10, 15 and slow 40, 60").steps[0]
    assert {k: list(v.value) for k, v in step.grid.items()} == {"fast": [5, 10, 15], "slow": [40, 60]}


def test_a_range_with_a_step_after_a_symbol_is_a_grid(read) -> None:  # type: ignore[no-untyped-def]
    step = read("search the breakout window on SYN044 from 10 to 50 in steps of 10").steps[0]
    assert list(step.grid["period"].value) == [10, 20, 30, 40, 50]
    zh = read("双均线的快线怎么选？用原油，快线从5到15、步长5").steps[0]
    assert zh.intent == "optimize_strategy" and list(zh.grid["fast"].value) == [5, 10, 15]


def test_holding_off_on_orders_is_not_a_step(read) -> None:  # type: ignore[no-untyped-def]
    assert _intents(read("在合成股票池上训练一个线性模型，特征alpha360。先不要下单，看结果再说。")) == ["train_model"]


def test_an_open_training_window_named_after_the_hold_out_ends_before_it(read) -> None:  # type: ignore[no-untyped-def]
    spec = read("标普上调RSI周期，最后三年做样本外，前面从2001年开始训练")
    assert _window(spec, "train") == ("2001-01-01", "2015-12-31")
    en = read("train from 2010 onward on gold with SAC and keep the last year out of sample")
    assert _window(en, "train") == ("2010-01-01", "2024-12-31")


@pytest.mark.parametrize(("text", "theme"), [
    ("mine 3 factors on the sample universe for stocks that rebound after a sharp drop", "reversal"),
    ("在合成股票池上挖几个强者恒强的因子", "momentum"),
])
def test_a_theme_described_in_words(read, text: str, theme: str) -> None:  # type: ignore[no-untyped-def]
    assert read(text).steps[0].theme.value == theme


# --- every held position ----------------------------------------------------------------------
@pytest.mark.parametrize("text", [
    "close everything", "sell all my positions", "Liquidate the whole portfolio, please", "exit all open positions",
    "清仓所有持仓", "全部平仓", "把持仓全部卖掉", "一键清仓",
])
def test_closing_every_position_names_no_instrument_and_asks_nothing(read, text: str) -> None:  # type: ignore[no-untyped-def]
    spec = read(text)
    step = spec.steps[0]
    assert _intents(spec) == ["place_order"] and spec.question is None
    assert step.all_positions and not step.instruments and step.side is not None and step.side.value == "sell"


@pytest.mark.parametrize("text", ["sell it all", "把它全部清掉", "清仓", "dump them all"])
def test_selling_all_of_an_unnamed_position_still_asks_which(read, text: str) -> None:  # type: ignore[no-untyped-def]
    spec = read(text)
    assert spec.question is not None and not spec.steps[0].all_positions


@pytest.mark.parametrize("text", ["sell all my gold", "show me all my positions", "清仓黄金"])
def test_a_named_instrument_or_a_look_is_not_every_position(read, text: str) -> None:  # type: ignore[no-untyped-def]
    assert not any(s.all_positions for s in read(text).steps)


def test_closing_every_position_always_waits_for_a_person(read) -> None:  # type: ignore[no-untyped-def]
    from agents.spec import approval_reason

    assert approval_reason(read("close all my positions")) == "computed_quantity"


# --- how many factors, strategy words, vague wishes -------------------------------------------
@pytest.mark.parametrize(("text", "count"), [
    ("propose eleven reversal factor ideas", 11),
    ("best 4 turnover factors please", 4),
    ("I want a single quality factor, tested on csi_syn", 1),
    ("give us twelve momentum factor candidates to test", 12),
    ("挑出最强的前3个波动率因子", 3),
    ("波动率因子来半打", 6),
    ("给我弄仨动量因子", 3),
])
def test_how_many_factors_in_many_phrasings(read, text: str, count: int) -> None:  # type: ignore[no-untyped-def]
    step = read(text).steps[0]
    assert step.intent == "mine_factors" and step.factor_count is not None and step.factor_count.value == count


@pytest.mark.parametrize("text", ["mine a handful of value factors", "挖一批价值因子", "找一些动量因子",
                                  "find several momentum factors on the sample universe",
                                  "mine a few value alphas on csi_syn"])
def test_a_vague_amount_of_factors_states_no_count(read, text: str) -> None:  # type: ignore[no-untyped-def]
    assert read(text).steps[0].factor_count is None


@pytest.mark.parametrize(("text", "strategy"), [
    ("backtest buying SYN010 on a fresh 55-day high, 2019-2021", "donchian_breakout"),
    ("backtest a z-score reversion on WTI over 2010-2015", "bollinger_reversion"),
    ("backtest fading big moves away from the mean on gold, 2015-2020", "bollinger_reversion"),
])
def test_strategy_described_in_words(read, text: str, strategy: str) -> None:  # type: ignore[no-untyped-def]
    step = read(text).steps[0]
    assert step.intent == "backtest_strategy" and step.strategy is not None and step.strategy.value == strategy


@pytest.mark.parametrize(("text", "params"), [
    ("backtest EMA 12 crossing EMA 50 on gold over 2015-2020", {"fast": 12, "slow": 50}),
    ("纳指5日线和20日线金叉回测，2010到2015年", {"fast": 5, "slow": 20}),
    ("backtest momentum on WTI: hold it while the past 90 day return is positive, 2005-2010", {"period": 90}),
    ("原油动量策略：最近60个交易日收益为正就持有，2005到2010年回测", {"period": 60}),
])
def test_strategy_parameters_said_in_rule_words(read, text: str, params: dict[str, float]) -> None:  # type: ignore[no-untyped-def]
    step = read(text).steps[0]
    assert {k: v.value for k, v in step.params.items() if k in params} == params
    assert step.forward_days is None  # a rule's lookback is not a factor horizon


def test_a_lookback_rule_keeps_the_stated_backtest_window(read) -> None:  # type: ignore[no-untyped-def]
    spec = read("原油动量策略：最近60个交易日收益为正就持有，2005到2010年回测")
    assert _window(spec, "data") == ("2005-01-01", "2010-12-31")


@pytest.mark.parametrize("text", ["do something useful with my portfolio", "随便做点什么吧"])
def test_a_wish_without_a_task_is_asked_about(read, text: str) -> None:  # type: ignore[no-untyped-def]
    assert read(text).question is not None


def test_trailing_is_not_read_as_a_typo_of_training(read) -> None:  # type: ignore[no-untyped-def]
    spec = read("backtest a trend following rule on gold: long while the trailing 30-day return is positive, 2012-2016")
    assert _intents(spec) == ["backtest_strategy"] and spec.steps[0].params["period"].value == 30


# --- windows placed next to the one just named --------------------------------------------------
@pytest.mark.parametrize(("text", "role", "first", "last"), [
    ("Train SAC on crude, test on the final 3 years and train on the four years before that", "train",
     "2012-01-01", "2015-12-31"),
    ("原油上训练SAC，最后两年做测试，再往前四年做训练", "train", "2013-01-01", "2016-12-31"),
    ("Train PPO on gold: train on 2010-2014 and test on the 3 years after that", "test", "2015-01-01", "2017-12-31"),
    ("黄金训练PPO，2010到2014年训练，之后的三年做测试", "test", "2015-01-01", "2017-12-31"),
    ("Train SAC on gold: out of sample the last 2 years, and 2012 up to that point in sample", "train",
     "2012-01-01", "2023-12-31"),
    ("Train PPO on gold in-sample 2012 to mid-2019, out-of-sample from mid-2019 on", "train", "2012-01-01", "2019-06-30"),
])
def test_a_window_said_next_to_the_one_just_named(read, text: str, role: str, first: str, last: str) -> None:  # type: ignore[no-untyped-def]
    window = _window(read(text), role)
    assert window is not None
    assert abs((date.fromisoformat(window[0]) - date.fromisoformat(first)).days) <= 5
    assert abs((date.fromisoformat(window[1]) - date.fromisoformat(last)).days) <= 5


def test_the_rest_starts_after_the_latest_window_named(read) -> None:  # type: ignore[no-untyped-def]
    spec = read("Train an MLP on csi_syn: fit through 2020, validate on the first half of 2021, test on the rest")
    assert _window(spec, "test") == ("2021-07-01", "2025-12-31")


def test_the_second_to_last_year_is_counted_back_from_the_end(read) -> None:  # type: ignore[no-untyped-def]
    spec = read("合成股票池训练MLP，最后一年测试，倒数第二年验证，之前的全部训练")
    assert _window(spec, "valid") == ("2024-01-01", "2024-12-31")
    assert _window(spec, "train") == ("2016-01-04", "2023-12-31")


@pytest.mark.parametrize(("text", "strategy"), [
    ("Backtest a death cross on gold with 50 and 200 day averages, 2010-2020", "sma_cross"),
    ("backtest passive holding of the Nasdaq over 2005-2015", "buy_and_hold"),
    ("标普被动持有回测，2010到2015年", "buy_and_hold"),
])
def test_more_strategy_words(read, text: str, strategy: str) -> None:  # type: ignore[no-untyped-def]
    step = read(text).steps[0]
    assert read(text).question is None and step.strategy is not None and step.strategy.value == strategy


def test_the_following_years_after_an_in_sample_window_are_the_test(read) -> None:  # type: ignore[no-untyped-def]
    spec = read("SAC on crude: in-sample 2005-2012, then test on the following 4 years")
    assert _window(spec, "train") == ("2005-01-01", "2012-12-31")
    assert _window(spec, "test") == ("2013-01-01", "2016-12-31")


def test_look_up_a_run_and_retrain_it_is_recall_then_a_run(read) -> None:  # type: ignore[no-untyped-def]
    spec = read("Pull up the last crude TD3 run and retrain it with A2C")
    assert _intents(spec) == ["recall", "train_rl"] and spec.steps[1].algo is not None
    assert spec.steps[1].algo.value == "a2c"


def test_a_top_percent_selection_is_not_also_a_share_of_equity(read) -> None:  # type: ignore[no-untyped-def]
    """"买入前10%的股票" picks stocks; reading the same "10%" as 10% of equity would size the orders."""
    spec = read("在合成股票池上训练LightGBM，然后按模型买入前10%的股票")
    order = spec.steps[-1]
    assert order.intent == "place_order" and order.top_pct is not None and order.top_pct.value == 10
    assert order.quantity is None


def test_where_a_factor_must_hold_is_its_confirmation_window(read) -> None:  # type: ignore[no-untyped-def]
    spec = read("dig up some volume factors on csi_syn and keep the ones that still work over 2023")
    assert _window(spec, "test") == ("2023-01-01", "2023-12-31") and _window(spec, "data") is None
    assert _intents(read("buy and hold on the SP500: 1999-2002 vs 2003-2007"))[:2] == [
        "backtest_strategy", "backtest_strategy"]  # "hold on" after "buy and" is the strategy
