"""Results read beside what decides them (issue 13), on real runs and in real answers.

Each case of the issue, with instructions of our own: a policy that sits in cash, a rule that
trails buy and hold, a suggestion from an old bar, a factor whose overlapping returns inflate
its t, a model's orders that are not its backtested portfolio. Each caveat is shown when its
condition holds and not otherwise; the pure checks are pinned in tests/test_caveats.py.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from agents.planner import OfflinePlanner, PlannerDefaults
from taorui_engines import metrics as pm
from taorui_engines.backtest import BacktestSpec, run_backtest
from taorui_engines.data import DataCenter
from taorui_engines.qlib_engine import FactorEvalRequest, evaluate_factors
from tests._graph_env import GraphEnv, build_env


def _clock(day: date) -> Callable[[], datetime]:
    return lambda: datetime(day.year, day.month, day.day, 15, 0, tzinfo=UTC)


def _env(home: Path, today: date) -> GraphEnv:
    return build_env(home, OfflinePlanner(defaults=PlannerDefaults(rl_timesteps=300)), clock=_clock(today))


# --- one convention, every engine ---------------------------------------------------------------
def test_a_backtest_reads_against_buy_and_hold_of_the_same_with_the_same_costs(data_center: DataCenter,
                                                                               tmp_path: Path) -> None:
    spec = BacktestSpec(strategy="sma_cross", params={"fast": 10, "slow": 30}, symbols=("SP500",),
                        start=date(2010, 1, 4), end=date(2018, 12, 31), commission=0.0005)
    result = run_backtest(spec, data_center, tmp_path)
    held = run_backtest(spec.model_copy(update={"strategy": "buy_and_hold", "params": {}}), data_center)
    assert result.benchmark == held.metrics  # the same engine, window, cash and costs
    assert held.benchmark == held.metrics and held.relative == {}  # buy and hold is its own yardstick
    rel = result.relative
    assert rel["excess_total_return"] == pytest.approx(
        (1 + result.metrics.total_return) / (1 + held.metrics.total_return) - 1, rel=1e-12)
    assert result.metrics.total_return < held.metrics.total_return  # the index rose ~120 %, the rule ~26 %
    assert "trails_benchmark" in {c.code for c in result.caveats}
    assert "trails_benchmark" not in {c.code for c in held.caveats}
    saved = json.loads((Path(result.run_dir or "") / "metrics.json").read_text())
    assert saved["benchmark"]["total_return"] == pytest.approx(held.metrics.total_return)
    assert {c["code"] for c in saved["caveats"]} == {c.code for c in result.caveats}


def test_drawdown_has_one_sign_and_one_definition_in_every_engine(data_center: DataCenter, tmp_path: Path) -> None:
    spec = BacktestSpec(strategy="sma_cross", params={"fast": 20, "slow": 50}, symbols=("SP500",),
                        start=date(2006, 1, 3), end=date(2010, 12, 31))
    result = run_backtest(spec, data_center, tmp_path)
    equity = pd.read_csv(result.equity_csv or "", index_col="date")["value"].to_numpy()
    curve = np.concatenate([[spec.cash], equity])
    assert result.metrics.max_drawdown < 0
    assert result.metrics.max_drawdown == pytest.approx(pm.max_drawdown(curve), rel=1e-12)
    assert result.metrics.sharpe == pytest.approx(pm.sharpe_ratio(pm.returns_from_equity(curve)), rel=1e-12)


# --- significance of overlapping returns ----------------------------------------------------------
def test_a_five_day_factor_t_allows_for_the_overlap(data_center: DataCenter, tmp_path: Path) -> None:
    members = tuple(sorted(data_center.universes()["csi_syn"].members))[:40]
    request = FactorEvalRequest(expressions=("Ref($close, 5) / $close - 1",), universe=members,
                                start=date(2019, 1, 1), end=date(2021, 12, 31), horizon=5)
    factor = evaluate_factors(data_center, request).results[0]
    assert factor.rank_ic_t is not None and factor.rank_ic_t_nw is not None
    assert abs(factor.rank_ic_t_nw) < abs(factor.rank_ic_t)  # overlapping 5-day returns inflate the naive t


# --- answers: exposure, training, seeds, the age of the bar, the horizon ----------------------------
@pytest.mark.slow
def test_an_rl_suggestion_from_an_old_bar_says_it_is_a_replay(home: Path) -> None:
    env = _env(home, date(2026, 11, 26))
    result = env.orchestrator.ask("train a PPO agent on crude oil and tell me what to do tomorrow")
    assert result.status == "done", result.answer
    assert "2019-01-03" in result.answer and "replay" in result.answer  # crude's last bar, years ago
    assert "One seed" in result.answer and "timesteps is short" in result.answer  # 300 steps, one seed
    assert "acts daily" not in result.answer  # tomorrow is the policy's own horizon


@pytest.mark.slow
def test_a_suggestion_from_the_last_close_is_not_called_stale_and_a_week_is_explained(home: Path) -> None:
    env = _env(home, date(2026, 1, 2))  # a Friday; gold's last bar is 2025-12-31
    result = env.orchestrator.ask("用PPO在黄金上训练一个策略，告诉我下周怎么操作")
    assert result.status == "done", result.answer
    assert "这是对当时的回放" not in result.answer  # two days old: a live view
    assert "按日决策" in result.answer  # a daily policy asked about a week says what that means
    assert "只用了一个随机种子" in result.answer
    saved = json.loads((home / "runs" / _run_of(result, "rl-") / "metrics.json").read_text())
    exposure = saved["exposure"]  # the run's own number decides whether the cash caveat is said
    assert ("主要是因为持有现金" in result.answer) is (exposure < 0.20), (exposure, result.answer)


def _run_of(result: object, prefix: str) -> str:
    runs = [str(r) for r in getattr(result, "run_ids", []) or []]
    found = [r for r in runs if r.startswith(prefix)]
    assert found, runs
    return found[0]


@pytest.mark.slow
def test_a_backtest_answer_puts_buy_and_hold_beside_the_rule(home: Path) -> None:
    env = _env(home, date(2026, 11, 26))
    result = env.orchestrator.ask("用标普500自2010年以来的数据回测双均线策略，快线10慢线30")
    assert result.status == "done", result.answer
    assert "同一标的买入持有" in result.answer and "自相关稳健标准误" in result.answer
    assert "同一区间、同样成本下，它的收益为" in result.answer  # it trailed: said
    held = env.orchestrator.ask("backtest buy and hold on the S&P 500 from 2010 to 2018")
    assert held.status == "done", held.answer
    assert "while buy and hold of the same instrument returned" not in held.answer  # nothing to trail
