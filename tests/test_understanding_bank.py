"""The understanding case bank and its grader (``python -m evals.understanding``).

The bank is data written by people who did not read the parser; the held-out split is never
used to tune anything. These tests pin the bank's shape, show the grader can fail, keep the
tuned splits from regressing, and hold the held-out score above the level it has reached
(issue 12 asks for 95 %; the current figure is in docs/agents.md and is not yet there).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from agents.spec import INTENTS, TaskSpec
from evals.understanding import (
    HELD_OUT_SPLITS,
    TUNING_SPLITS,
    check_cases,
    grade,
    load_bank,
    offline_understander,
    run_bank,
)


@pytest.fixture(scope="module")
def understander() -> Callable[[str], TaskSpec]:
    from taorui.settings import Settings

    return offline_understander(Settings().cache_dir / "router")  # as `taorui ask` reads: router on


def test_the_bank_has_a_held_out_part_and_enough_chinese() -> None:
    held = load_bank("held_out_2")
    everything = [c for split in (*TUNING_SPLITS, *HELD_OUT_SPLITS) for c in load_bank(split)]
    assert len(everything) >= 300 and sum(c["language"] == "zh" for c in everything) >= 120
    assert len(held) >= 150 and sum(c["language"] == "zh" for c in held) >= 60
    assert len(held) == len({c["id"] for c in held})
    for case in everything:
        assert all(s["intent"] in INTENTS for s in case["expect"].get("steps") or []), case["id"]
    for split in (*TUNING_SPLITS, *HELD_OUT_SPLITS):
        assert check_cases(load_bank(split)) == []  # the format a case writer checks with --check


def test_the_grader_fails_a_wrong_reading(understander: Callable[[str], TaskSpec]) -> None:
    case = {"id": "t", "language": "en", "text": "sell half of my gold",
            "expect": {"steps": [{"intent": "place_order", "instruments": ["GOLD"], "side": "sell"}],
                       "stated": {"quantity": {"kind": "fraction_of_position", "value": 0.5}}, "clarify": False}}
    assert grade(case, understander(case["text"])) == []
    wrong = {**case, "expect": {**case["expect"], "stated": {"quantity": {"kind": "units", "value": 1}}}}
    assert grade(wrong, understander(case["text"]))  # "sell 1" is not what was said
    asks = {**case, "expect": {**case["expect"], "clarify": True}}
    assert grade(asks, understander(case["text"]))


@pytest.mark.parametrize("split", TUNING_SPLITS)
def test_the_splits_tuned_on_stay_read(split: str, understander: Callable[[str], TaskSpec]) -> None:
    report = run_bank(split, understander)
    # dev_ac and dev_ad were registered after one round of fixes (first read 84.3 % and 81.4 %); their floors
    # hold what they read now until a round brings them to the others'. dev_ae..dev_ah (sixth session) are held
    # at what they read after their round; so are dev_ai..dev_ao (seventh session: first read 90.0, 85.7, 80.7, 80.0,
    # 80.0, 84.2, 78.0 %), dev_ap..dev_au (eighth session: first read 77.5, 68.3, 81.7, 83.3, 90.0, 88.0 %) and
    # dev_av..dev_ay (ninth session: first read 43.0, 82.5, 81.7, 78.3 %) and dev_az..dev_bd (tenth session: first
    # read 60.0, 68.3, 89.2, 70.8, 80.8 %) and dev_be..dev_bl (eleventh session: first read 84.2, 92.5, 83.3, 77.5, 80.0,
    # 69.2, 76.7, 75.0 %) and dev_bm..dev_br (twelfth session: first read 68.3, 89.2, 75.0, 79.2, 84.2, 32.5 %) and
    # dev_bs..dev_bx (thirteenth session: first read 70.0, 80.8, 78.3, 65.8, 80.0, 47.0 %).
    floor = 0.97 if split in ("tuning", "dev_a", "dev_b", "dev_c", "dev_f") else {
        "dev_ac": 0.93, "dev_ad": 0.87, "dev_ae": 0.97, "dev_af": 0.97, "dev_ag": 0.93, "dev_ah": 0.95,
        "dev_ai": 0.98, "dev_aj": 0.97, "dev_ak": 0.95, "dev_al": 0.95, "dev_am": 0.97, "dev_an": 0.95,
        "dev_ao": 0.88, "dev_ap": 0.95, "dev_aq": 0.87, "dev_ar": 0.92, "dev_as": 0.99,
        "dev_at": 0.98, "dev_au": 0.95, "dev_av": 0.79, "dev_aw": 0.99, "dev_ax": 0.87,
        "dev_ay": 0.92, "dev_az": 0.85, "dev_ba": 0.83, "dev_bb": 0.92, "dev_bc": 0.72,
        "dev_bd": 0.84, "dev_be": 0.95, "dev_bf": 1.0, "dev_bg": 0.9, "dev_bh": 0.94, "dev_bi": 0.89, "dev_bj": 0.9,
        "dev_bk": 0.96, "dev_bl": 0.93, "dev_bm": 0.8, "dev_bn": 0.95, "dev_bo": 0.85, "dev_bp": 0.84, "dev_bq": 0.93,
        "dev_br": 0.45, "dev_bs": 0.79, "dev_bt": 0.86, "dev_bu": 0.86, "dev_bv": 0.75, "dev_bw": 0.98, "dev_bx": 0.8}.get(split, 0.92)
    assert report.rate >= floor, report.markdown()


@pytest.mark.parametrize(("split", "floor"), [("held_out", 0.93), ("held_out_2", 0.96), ("held_out_3", 0.95),
                                              ("held_out_4", 0.85), ("held_out_5", 0.93)])
def test_the_held_out_score_does_not_fall(split: str, floor: float, understander: Callable[[str], TaskSpec]) -> None:
    report = run_bank(split, understander)
    print(f"\n{split}: {report.rate:.1%} of {len(report.cases)} fully right")
    assert report.rate >= floor, f"{split} fell to {report.rate:.1%} (floor {floor:.0%}; docs/agents.md has the last figure)"


def test_a_search_then_its_winner_out_of_sample_grades_either_way(understander: Callable[[str], TaskSpec]) -> None:
    """One search with a test window, or a search and then a backtest of the winner on that
    window: the same work, so the grader accepts either reading against either form."""
    one_step = understander("Optimise the SMA crossover's fast and slow lengths on the S&P 500 over 2003-2012, "
                            "holding out 2013-2018")
    two_steps = understander("Optimise the SMA crossover's fast and slow lengths on the S&P 500 over 2003-2012, "
                             "then backtest the winner on 2013-2018")
    assert one_step.intents == ("optimize_strategy",)
    assert two_steps.intents == ("optimize_strategy", "backtest_strategy")
    one = {"language": "en", "expect": {"steps": [{"intent": "optimize_strategy"}],
                                        "stated": {"test_window": ["2013-01-01", "2018-12-31"]}}}
    two = {"language": "en", "expect": {"steps": [{"intent": "optimize_strategy"},
                                                  {"intent": "backtest_strategy",
                                                   "data_window": ["2013-01-01", "2018-12-31"]}]}}
    wrong = {"language": "en", "expect": {"steps": [{"intent": "optimize_strategy"},
                                                    {"intent": "backtest_strategy",
                                                     "data_window": ["2010-01-01", "2012-12-31"]}]}}
    other = {"language": "en", "expect": {"steps": [{"intent": "optimize_strategy"},
                                                    {"intent": "backtest_strategy", "strategy": "rsi"}]}}
    for spec in (one_step, two_steps):
        assert grade(one, spec) == [] and grade(two, spec) == []
        assert grade(wrong, spec) != []
        assert grade(other, spec) != []  # a backtest of another strategy is a step of its own


def test_the_in_sample_span_of_a_split_grades_as_data_or_training_window(
        understander: Callable[[str], TaskSpec]) -> None:
    """"Search on A, hold out B": A is where the search runs, named the data or the training
    window with equal right - but only beside a test window, and only for the same span."""
    spec = understander("find the best RSI period for gold on 2018-2023, keep 2024-2025 as holdout")
    search = [{"intent": "optimize_strategy"}]
    as_data = {"language": "en", "expect": {"steps": search, "stated": {"data_window": ["2018-01-01", "2023-12-31"],
                                                       "test_window": ["2024-01-01", "2025-12-31"]}}}
    as_train = {"language": "en", "expect": {"steps": search, "stated": {"train_window": ["2018-01-01", "2023-12-31"]}}}
    other_span = {"language": "en", "expect": {"steps": search, "stated": {"data_window": ["2016-01-01", "2023-12-31"]}}}
    assert grade(as_data, spec) == [] and grade(as_train, spec) == []
    assert grade(other_span, spec) != []
    plain = understander("backtest the RSI strategy on gold over 2018-2023")  # no test window: no equivalence
    assert plain.intents == ("backtest_strategy",)
    assert grade({"language": "en", "expect": {"steps": [{"intent": "backtest_strategy"}],
                                                "stated": {"train_window": ["2018-01-01", "2023-12-31"]}}}, plain) != []


def test_the_window_of_a_training_run_grades_as_data_or_training_window(
        understander: Callable[[str], TaskSpec]) -> None:
    spec = understander("用LightGBM在csi_syn上训练，训练区间2018年到2022年")
    for key in ("train_window", "data_window"):
        case = {"language": "zh", "expect": {"steps": [{"intent": "train_model"}],
                                             "stated": {key: ["2018-01-01", "2022-12-31"]}}}
        assert grade(case, spec) == []
    assert grade({"language": "zh", "expect": {"steps": [{"intent": "train_model"}],
                                               "stated": {"train_window": ["2017-01-01", "2022-12-31"]}}}, spec) != []


def test_a_look_at_several_instruments_grades_as_one_step_or_one_each(
        understander: Callable[[str], TaskSpec]) -> None:
    spec = understander("看下标普和纳指2015年的K线")
    window = ["2015-01-01", "2015-12-31"]
    one_each = {"language": "zh", "expect": {"steps": [
        {"intent": "show_price", "instruments": ["SP500"], "data_window": window},
        {"intent": "show_price", "instruments": ["NASDAQ"], "data_window": window}]}}
    one_look = {"language": "zh", "expect": {"steps": [{"intent": "show_price", "instruments": ["SP500", "NASDAQ"]}]}}
    assert grade(one_each, spec) == [] and grade(one_look, spec) == []
    two_windows = {"language": "zh", "expect": {"steps": [
        {"intent": "show_price", "instruments": ["SP500"], "data_window": window},
        {"intent": "show_price", "instruments": ["NASDAQ"], "data_window": ["2016-01-01", "2016-12-31"]}]}}
    assert grade(two_windows, spec) != []  # a window the spec does not look at
    another = {"language": "zh", "expect": {"steps": [
        {"intent": "show_price", "instruments": ["SP500"]}, {"intent": "show_price", "instruments": ["WTI"]}]}}
    assert grade(another, spec) != []


def test_an_order_on_several_instruments_grades_as_one_step_or_one_each(
        understander: Callable[[str], TaskSpec]) -> None:
    """"各买1000股": one order step naming both or one order each send the same orders; each split
    order is graded on its own, so a wrong side on one of them still fails."""
    spec = understander("SYN012和SYN013各买1000股")
    one_order = {"language": "zh", "expect": {"steps": [
        {"intent": "place_order", "instruments": ["SYN012", "SYN013"], "side": "buy"}],
        "stated": {"quantity": {"kind": "units", "value": 1000}}}}
    assert grade(one_order, spec) == []
    sell = {"language": "zh", "expect": {"steps": [
        {"intent": "place_order", "instruments": ["SYN012", "SYN013"], "side": "sell"}]}}
    assert grade(sell, spec) != []
    other = {"language": "zh", "expect": {"steps": [
        {"intent": "place_order", "instruments": ["SYN012", "SYN014"], "side": "buy"}]}}
    assert grade(other, spec) != []
