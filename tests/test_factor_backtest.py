"""Which factor a "backtest the best one" step puts to work, and what its call and answer say
(``agents/planner/_factor_backtest.py``). The factor work comes as the miner hands it over; the
backtest itself is run end to end in tests/test_graph_flows.py."""

from __future__ import annotations

from typing import Any

import pytest

from agents.brief import Brief
from agents.planner import PlannerDefaults
from agents.planner._actions import Answer, CallTools
from agents.planner._context import PlanContext
from agents.planner._factor_backtest import Chosen, choose, factor_backtest_answer, factor_backtest_recipe
from agents.planner._observe import Observation
from evals.understanding import sample_catalog
from tests._understand import make_reader


@pytest.fixture(scope="module")
def read() -> Any:
    return make_reader()


def _ctx(spec: Any, handed: dict[str, Any] | None, observations: tuple[Observation, ...] = ()) -> PlanContext:
    step = next(i for i, s in enumerate(spec.steps) if s.intent == "backtest_strategy")
    brief = Brief(instruction=spec.text, language=spec.language, role="strategy_advisor", catalog=tuple(sample_catalog()),
                  handover={"payload": {"factors": handed}} if handed else None)
    return PlanContext(spec, step, brief, observations, observations, frozenset({"backtest_signal"}), PlannerDefaults())


MINED = {"name": "mine_factors", "step": 0, "result": {
    "accepted": [{"expr": "Mean($close, 5) / $close", "direction": 1, "confirm_rank_icir": 0.21},
                 {"expr": "Slope($close, 10) / $close", "direction": -1, "confirm_rank_icir": -0.44}],
    "n_tried": 40, "mining_period": ["2019-01-01", "2023-12-31"], "confirmation_period": ["2024-01-01", "2025-12-31"]}}


def test_the_strongest_accepted_factor_is_chosen_with_its_sign(read: Any) -> None:
    spec = read("mine 3 momentum factors on csi_syn, keep the best one and backtest it over 2024-2025")
    assert [s.intent for s in spec.steps] == ["mine_factors", "backtest_strategy"]
    assert spec.steps[1].strategy is not None and spec.steps[1].strategy.value == "signal"
    assert spec.steps[0].windows.data is None  # the window said is the backtest's, not the mining's
    chosen = choose(_ctx(spec, MINED))
    assert isinstance(chosen, Chosen) and chosen.said == "Slope($close, 10) / $close" and chosen.inverted
    assert chosen.expression == "-1 * (Slope($close, 10) / $close)"
    call = factor_backtest_recipe(_ctx(spec, MINED))
    assert isinstance(call, CallTools)
    args = call.calls[0].args
    assert (args["expression"], args["universe"], args["start"], args["end"]) == (
        chosen.expression, "csi_syn", "2024-01-01", "2025-12-31")


def test_a_mining_run_that_kept_nothing_backtests_nothing(read: Any) -> None:
    spec = read("挖3个动量因子，挑最好的那个做回测，区间2023年到2025年")
    empty = {**MINED, "result": {**MINED["result"], "accepted": []}}
    answer = factor_backtest_recipe(_ctx(spec, empty))
    assert isinstance(answer, Answer) and "一个都没有通过检验" in answer.text  # a rejected factor is never backtested


def test_with_no_factor_work_the_signal_is_asked_for(read: Any) -> None:
    spec = read("Backtest the signal strategy on csi_syn for 2024 Q2.")
    answer = factor_backtest_recipe(_ctx(spec, None))
    assert isinstance(answer, Answer) and "Which signal" in answer.text


def test_a_window_overlapping_where_the_factor_was_chosen_is_called_in_sample(read: Any) -> None:
    spec = read("mine 3 momentum factors on csi_syn, keep the best one and backtest it over 2024-2025")
    ctx = _ctx(spec, MINED)
    chosen = choose(ctx)
    assert isinstance(chosen, Chosen)
    result = {"run_id": "signal_backtest-x", "metrics": {
        "start": "2024-01-02", "end": "2025-12-30", "annualized_return": 0.1, "annualized_return_with_cost": 0.08,
        "benchmark_annualized_return": 0.07, "excess_annualized_return_with_cost": 0.01,
        "information_ratio_with_cost": 0.2, "excess_t_with_cost": 0.5, "max_drawdown_with_cost": -0.2, "turnover": 0.3}}
    text = factor_backtest_answer(ctx, chosen, result, "csi_syn")
    assert "in-sample" in text and "not significant" in text and "negative" in text and "SYNTHETIC" in text


def test_a_factor_recalled_from_memory_is_the_strongest_accepted_one(read: Any) -> None:
    spec = read("把上次因子挖掘的结果调出来，用里面最好的那个因子在2024年做个回测。")
    assert [s.intent for s in spec.steps] == ["recall", "backtest_strategy"]
    hits = [{"id": f"factor:{i}", "kind": "factors", "score": 0.5,
             "text": f"Factor: {expr}. Expression: {expr}. Universe csi_syn, 2019-01-01..2023-12-31. {status.capitalize()}.",
             "metadata": {"kind": "factors", "status": status, "rank_icir": icir, "rank_ic": icir / 10,
                          "start": "2019-01-01", "end": "2023-12-31"}}
            for i, (expr, status, icir) in enumerate((("Mean($close, 5) / $close", "accepted", 0.3),
                                                      ("Std($close, 20) / Mean($close, 20)", "rejected", -0.9),
                                                      ("Slope($close, 10) / $close", "accepted", -0.6)))]
    recalled = Observation("search_memory", {}, True, {"results": hits}, {}, 0)
    chosen = choose(_ctx(spec, None, (recalled,)))
    assert isinstance(chosen, Chosen) and chosen.said == "Slope($close, 10) / $close" and chosen.inverted  # not the rejected one
