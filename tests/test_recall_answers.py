"""Recalled runs read in the asker's language, and "the model we trained" finds an RL policy too."""

from __future__ import annotations

import re

from agents.planner._rules import _RUN_KINDS, recalled_line
from memory._where import parse_where

RUN_HIT = {
    "id": "run:rl-20261127T042452-163fea", "kind": "runs", "score": 0.4,
    "text": "Run rl (done). Instruction: Train a PPO strategy on GOLD for 2000 steps. I trained a PPO "
            "reinforcement-learning agent on GOLD. Config: algo=ppo.",
    "metadata": {"kind": "runs", "run_kind": "rl", "run_id": "rl-20261127T042452-163fea", "state": "done",
                 "cfg_algo": "ppo", "time": "2026-11-27T04:24:52+00:00", "ts": 1.0,
                 "cumulative_return": 0.052, "benchmark_cumulative_return": -0.184, "max_drawdown": -0.031,
                 "relative_excess_t": 1.36},
}
FACTOR_HIT = {
    "id": "factor:abc", "kind": "factors", "score": 0.5,
    "text": "Factor: Std($close, 20). Expression: Std($close, 20). Universe csi_syn, 2018-01-01..2020-12-31. "
            "Rejected: ICIR too low.",
    "metadata": {"kind": "factors", "status": "rejected", "rank_icir": 0.12, "time": "2026-11-26T10:00:00+00:00"},
}


def _prose(line: str) -> str:
    """The line without quoted user words and code spans."""
    return re.sub(r"「[^」]*」|`[^`]*`", "", line)


def test_a_recalled_run_reads_in_chinese_with_the_users_own_words_quoted() -> None:
    line = recalled_line("zh", RUN_HIT)
    assert "强化学习训练 PPO" in line and "（已完成）" in line and "「Train a PPO strategy on GOLD" in line
    assert "累计收益 +5.2%（同期买入持有 -18.4%）" in line and "最大回撤 -3.1%" in line
    assert not re.search(r"[A-Za-z]{3,}", _prose(line).replace("PPO", "")), line  # no English prose


def test_a_recalled_run_reads_in_english() -> None:
    line = recalled_line("en", RUN_HIT)
    assert line.startswith("- [2026-11-27] RL training PPO, `rl-20261127T042452-163fea` (done)")
    assert 'asked: "Train a PPO strategy on GOLD for 2000 steps"' in line
    assert "cumulative return +5.2% (buy-and-hold -18.4%)" in line


def test_a_recalled_factor_names_its_expression_and_verdict_in_each_language() -> None:
    assert "因子（未采纳） `Std($close, 20)`" in recalled_line("zh", FACTOR_HIT)
    assert "factor (rejected) `Std($close, 20)`" in recalled_line("en", FACTOR_HIT)


def test_the_model_we_trained_may_be_an_rl_policy_or_a_qlib_model() -> None:
    assert set(_RUN_KINDS["model"]) == {"qlib_model", "rl"}
    where = "(" + " or ".join(f"run_kind={k}" for k in _RUN_KINDS["model"]) + ")"
    assert parse_where(where)  # the memory filter grammar takes it


BACKTEST_HIT = {
    "id": "run:backtest-20261125T101010-aaaaaa", "kind": "runs", "score": 0.3,
    "text": "Run backtest (done). Instruction: momentum on WTI. Config: strategy=momentum; symbols=WTI.",
    "metadata": {"kind": "runs", "run_kind": "backtest", "run_id": "backtest-20261125T101010-aaaaaa", "state": "done",
                 "cfg_strategy": "momentum", "cfg_start": "2014-07-01", "cfg_end": "2016-12-31",
                 "cfg_commission": 0.0005, "cfg_slippage": 0.0002, "ts": 1.0},
}


def test_a_rerun_keeps_the_recalled_runs_window_and_costs_for_what_was_not_changed() -> None:
    from agents.planner._observe import Conversation, Observation
    from agents.planner._plan import _keeps_recalled, _with_recalled
    from tests._understand import make_reader

    spec = make_reader()("Rerun the last WTI momentum backtest, but charge 10 bps commission this time")
    assert [s.intent for s in spec.steps] == ["recall", "backtest_strategy"]
    assert _keeps_recalled(spec, 1)
    seen = Observation(name="search_memory", args={}, ok=True, result={"results": [BACKTEST_HIT]}, step=0)
    step = _with_recalled(spec, 1, Conversation("strategy_advisor", None, (seen,), ())).steps[1]
    data = step.windows.data
    assert data is not None and data.source == "inferred" and data.value.start.isoformat() == "2014-07-01"
    assert step.costs.commission is not None and step.costs.commission.source == "stated"  # the change stands
    assert step.costs.commission.value == 0.001  # 10 bp as said, not the earlier run's 5 bp
    slip = step.costs.slippage
    assert slip is not None and slip.source == "inferred" and slip.value == 0.0002  # kept from the earlier run
