"""The ordered step list of multi-step instructions (issue 12, ``agents/understand/_segment.py``).

Fresh writers chain steps with commas, a bare "and", "also", 顺便, inline numbered lists and
"the same thing on ...", and the parser once dropped or merged those steps. Each test names one
kind of segmentation and checks the steps in both languages; the instructions are our own
wordings, not the case banks'. The negative tests pin the other half of the mechanism: a piece
with no action of its own (a window, a cost, a parameter) stays with its step.
"""

from __future__ import annotations

from typing import Any

import pytest

from agents.spec import TaskSpec
from agents.understand import load_router, understand
from evals.understanding import sample_catalog
from taorui.settings import Settings


@pytest.fixture(scope="module")
def read() -> Any:
    catalog = sample_catalog()
    router = load_router(str(Settings().cache_dir / "router"))
    return lambda text: understand([text], catalog, router)


def _intents(spec: TaskSpec) -> list[str]:
    return [s.intent for s in spec.steps]


def _symbols(spec: TaskSpec, step: int) -> list[str]:
    return [str(i.value) for i in spec.steps[step].instruments]


def _params(spec: TaskSpec, step: int) -> dict[str, float]:
    return {k: float(v.value) for k, v in spec.steps[step].params.items()}


# --- a comma or "and" before an action of its own --------------------------------------------
def test_orders_chained_by_commas_are_one_step_each_with_their_own_side(read: Any) -> None:
    spec = read("sell 2 lots of gold, buy 4 lots of SP500, then check my positions")
    assert _intents(spec) == ["place_order", "place_order", "account_status"]
    assert [spec.steps[0].side.value, spec.steps[1].side.value] == ["sell", "buy"]  # type: ignore[union-attr]
    assert _symbols(spec, 0) == ["GOLD"] and _symbols(spec, 1) == ["SP500"]


def test_a_look_at_prices_and_a_backtest_joined_by_and_are_two_steps(read: Any) -> None:
    spec = read("plot the nasdaq for 2010, and backtest a 20/60 sma cross over that year")
    assert _intents(spec) == ["show_price", "backtest_strategy"]
    assert _params(spec, 1) == {"fast": 20.0, "slow": 60.0}


def test_an_order_then_by_the_way_the_account_in_chinese_is_two_steps(read: Any) -> None:
    spec = read("把原油卖掉两成，顺便查一下账户")
    assert _intents(spec) == ["place_order", "account_status"]


def test_a_check_then_a_conditional_order_in_chinese_is_two_steps(read: Any) -> None:
    spec = read("检查一下持仓风险，要是原油跌破40就卖掉一半")
    assert _intents(spec) == ["account_status", "place_order"]
    quantity = spec.steps[1].quantity
    assert quantity is not None and quantity.value.kind == "fraction_of_position" and quantity.value.value == 0.5


# --- numbered lists ----------------------------------------------------------------------------
def test_an_inline_numbered_list_is_one_step_per_item_and_a_same_item_inherits(read: Any) -> None:
    spec = read("(1) chart gold over 2019 (2) backtest rsi(14) on gold in 2019 (3) same with period 21 (4) compare")
    assert _intents(spec) == ["show_price", "backtest_strategy", "backtest_strategy", "compare"]
    assert spec.steps[2].strategy is not None and spec.steps[2].strategy.value == spec.steps[1].strategy.value  # type: ignore[union-attr]
    assert _params(spec, 1)["period"] == 14.0 and _params(spec, 2)["period"] == 21.0


def test_a_chinese_numbered_list_keeps_each_item_and_its_own_strategy(read: Any) -> None:
    spec = read("1. 看一下纳指2015年的走势 2. 用MACD回测纳指2015年 3. 再用布林带回测 4. 比较一下")
    assert _intents(spec) == ["show_price", "backtest_strategy", "backtest_strategy", "compare"]
    assert [spec.steps[1].strategy.value, spec.steps[2].strategy.value] == ["macd", "bollinger_breakout"]  # type: ignore[union-attr]
    assert _symbols(spec, 2) == ["NASDAQ"]


def test_a_numbered_item_that_only_changes_a_length_repeats_the_step_before(read: Any) -> None:
    spec = read("1）回测原油的突破策略（30日），2012年到2014年 2）再用60日回测 3）对比")
    assert _intents(spec) == ["backtest_strategy", "backtest_strategy", "compare"]
    assert _params(spec, 0)["period"] == 30.0 and _params(spec, 1)["period"] == 60.0


def test_a_list_of_formulas_after_a_colon_is_one_request(read: Any) -> None:
    spec = read("evaluate these on csi_syn: 1) Ref($close, 10)/$close - 1 2) Mean($volume, 5)/Mean($volume, 60)")
    assert _intents(spec) == ["evaluate_factors"]
    assert len(spec.steps[0].expressions) == 2


# --- "the same thing / same settings / 同样" ---------------------------------------------------
def test_the_same_thing_on_another_instrument_inherits_strategy_parameters_and_costs(read: Any) -> None:
    spec = read("backtest a 10/40 sma cross on the nasdaq over 2005-2010 with 4bp commission, then the same thing on crude")
    assert _intents(spec) == ["backtest_strategy", "backtest_strategy"]
    assert _symbols(spec, 0) == ["NASDAQ"] and _symbols(spec, 1) == ["WTI"]
    assert _params(spec, 1) == {"fast": 10.0, "slow": 40.0}
    assert spec.steps[1].costs.commission is not None and spec.steps[1].costs.commission.value == pytest.approx(0.0004)


def test_also_with_the_same_settings_repeats_the_run_and_which_does_better_compares(read: Any) -> None:
    spec = read("train sac on sp500 with 20k steps and seed 3; also train it on nasdaq with the same settings. "
                "which one does better?")
    assert _intents(spec) == ["train_rl", "train_rl", "compare"]
    second = spec.steps[1]
    assert _symbols(spec, 1) == ["NASDAQ"] and second.algo is not None and second.algo.value == "sac"
    assert second.timesteps is not None and second.timesteps.value == 20000
    assert second.seed is not None and second.seed.value == 3


def test_the_same_parameters_on_another_asset_in_chinese_repeats_the_run(read: Any) -> None:
    spec = read("用PPO在黄金上训练，3万步；原油用同样的参数再训练一个，然后比较")
    assert _intents(spec) == ["train_rl", "train_rl", "compare"]
    assert _symbols(spec, 1) == ["WTI"] and spec.steps[1].algo is not None and spec.steps[1].algo.value == "ppo"


# --- a recall first, then the run it is compared with --------------------------------------------
def test_a_recalled_run_then_its_retraining_then_a_comparison(read: Any) -> None:
    spec = read("look up the PPO run from 2025-10-03, retrain it with 80k steps and compare the two")
    assert _intents(spec) == ["recall", "train_rl", "compare"]
    ref = spec.steps[0].ref
    assert ref is not None and ref.value.when == "2025-10-03"


def test_the_day_a_recalled_run_ran_is_no_window_of_its_rerun(read: Any) -> None:
    spec = read("2025年11月3日那次黄金回测是什么结果？然后把滑点改成万二再跑一次")
    assert _intents(spec) == ["recall", "backtest_strategy"]
    assert spec.question is None
    assert spec.steps[0].ref is not None and spec.steps[0].ref.value.when == "2025-11-03"


# --- a comparison comes once, after what it compares ---------------------------------------------
def test_a_comparison_is_not_added_twice_after_an_order_on_the_winner(read: Any) -> None:
    spec = read("Train a LightGBM and a linear model on csi_syn, compare them, and buy the top 10 from the better one")
    assert _intents(spec) == ["train_model", "train_model", "compare", "place_order"]


def test_several_settings_of_one_rule_listed_with_which_is_best_are_compared(read: Any) -> None:
    spec = read("crude over 2010-2015: sma 5/20, sma 10/50 and sma 30/90, which is best?")
    assert _intents(spec) == ["backtest_strategy"] * 3 + ["compare"]
    assert [_params(spec, k) for k in range(3)] == [{"fast": 5.0, "slow": 20.0}, {"fast": 10.0, "slow": 50.0},
                                                    {"fast": 30.0, "slow": 90.0}]


def test_several_settings_of_one_rule_in_chinese_are_compared(read: Any) -> None:
    spec = read("黄金最近五年：双均线5/20、双均线10/60，哪个好")
    assert _intents(spec) == ["backtest_strategy", "backtest_strategy", "compare"]
    assert [_params(spec, 0), _params(spec, 1)] == [{"fast": 5.0, "slow": 20.0}, {"fast": 10.0, "slow": 60.0}]


# --- a search, then its winner --------------------------------------------------------------
def test_the_winner_run_on_a_later_window_is_the_searchs_held_out_test(read: Any) -> None:
    spec = read("search the bollinger window on gold over 2012-2019, then backtest the best setting on 2020-2022")
    assert _intents(spec) == ["optimize_strategy", "backtest_strategy"]
    windows = spec.steps[0].windows
    assert windows.train is not None and windows.train.value.start.year == 2012
    assert windows.test is not None and windows.test.value.start.year == 2020


def test_an_optimisation_after_a_backtest_searches_the_parameter_it_names(read: Any) -> None:
    spec = read("backtest a 30-day breakout on the S&P for 2001-2006 and after that optimise the window")
    assert _intents(spec) == ["backtest_strategy", "optimize_strategy"]
    assert "period" in spec.steps[1].tune and _params(spec, 0)["period"] == 30.0


# --- pieces without an action of their own stay with their step ------------------------------
@pytest.mark.parametrize(("text", "intents"), [
    ("rsi with period 10, backtest on crude for 2012-2016, 3bp commission", ["backtest_strategy"]),
    ("均线5日和20日，回测标普500，2010到2015年，手续费万二", ["backtest_strategy"]),
    ("train PPO and SAC on gold, compare them, and tell me what to hold next week", ["train_rl", "train_rl", "compare"]),
    ("Fit a linear model on alpha158 for csi_syn and backtest holding the top 20 names", ["train_model"]),
    ("buy and hold the nasdaq from 2003 to 2007, 5bp costs", ["backtest_strategy"]),
])
def test_a_piece_without_an_action_of_its_own_stays_with_its_step(read: Any, text: str, intents: list[str]) -> None:
    assert _intents(read(text)) == intents, text
