"""Each caveat appears when its condition holds and not otherwise (taorui_engines.caveats).

The checks are pure functions of a run's numbers, so each is pinned on both sides of its
threshold here; tests/test_honest_results.py shows them on real runs and in the answers.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from taorui_engines import caveats as cv


def codes(items: list[cv.Caveat]) -> set[str]:
    return {c.code for c in items}


BASE: dict[str, Any] = {"total_return": 0.30, "avg_gross_exposure": 0.9, "n_trades": 40}
BENCH: dict[str, Any] = {"total_return": 0.20}


def test_a_sound_run_raises_nothing() -> None:
    assert cv.backtest_caveats(BASE, BENCH, {"excess_t": 2.6, "cost_drag": 0.002, "gross_annualized_return": 0.08}) == []


@pytest.mark.parametrize(("exposure", "raised"), [(0.0012, True), (0.19, True), (0.21, False), (0.95, False)])
def test_low_exposure(exposure: float, raised: bool) -> None:
    found = cv.backtest_caveats({**BASE, "avg_gross_exposure": exposure}, BENCH, None)
    assert ("low_exposure" in codes(found)) is raised
    if raised:
        item = next(c for c in found if c.code == "low_exposure")
        assert item.value == exposure and item.threshold == cv.LOW_EXPOSURE
        assert "cash" in item.en and "现金" in item.zh


def test_rl_exposure_is_read_under_its_own_name() -> None:
    result = {"metrics": {"cumulative_return": -0.003, "exposure": 0.0012, "n_trades": 20},
              "benchmark": {"cumulative_return": -0.27}, "timesteps": 5000, "trained_timesteps": 5000}
    assert {"low_exposure", "short_training", "one_seed"} <= codes(cv.rl_caveats(result))
    assert "trails_benchmark" not in codes(cv.rl_caveats(result))  # it lost less than holding


@pytest.mark.parametrize(("trades", "raised"), [(3, True), (9, True), (10, False), (200, False)])
def test_few_trades(trades: int, raised: bool) -> None:
    assert ("few_trades" in codes(cv.backtest_caveats({**BASE, "n_trades": trades}, BENCH, None))) is raised


@pytest.mark.parametrize(("mine", "theirs", "raised"), [(0.262, 1.21, True), (0.30, 0.20, False), (0.2, 0.2, False)])
def test_trailing_buy_and_hold(mine: float, theirs: float, raised: bool) -> None:
    found = cv.backtest_caveats({**BASE, "total_return": mine}, {"total_return": theirs}, None)
    assert ("trails_benchmark" in codes(found)) is raised


@pytest.mark.parametrize(("t", "raised"), [(0.17, True), (-1.99, True), (2.01, False), (-3.5, False)])
def test_noise(t: float, raised: bool) -> None:
    assert ("noise" in codes(cv.backtest_caveats(BASE, BENCH, {"excess_t": t}))) is raised


@pytest.mark.parametrize(("drag", "gross", "raised"), [
    (0.35, 0.628, True),    # 35 points a year of 62.8 %: named
    (0.02, 0.04, True),     # half the gross
    (0.005, 0.01, False),   # under 1 % a year
    (0.012, 0.30, False),   # 4 % of the gross
])
def test_cost_drag(drag: float, gross: float, raised: bool) -> None:
    found = cv.backtest_caveats(BASE, BENCH, {"cost_drag": drag, "gross_annualized_return": gross})
    assert ("cost_drag" in codes(found)) is raised


def test_training_checks() -> None:
    base = {"metrics": BASE, "benchmark": BENCH}
    assert "steps_short" in codes(cv.rl_caveats({**base, "timesteps": 10_000, "trained_timesteps": 6_000}))
    assert "steps_short" not in codes(cv.rl_caveats({**base, "timesteps": 10_000, "trained_timesteps": 10_240}))
    # PPO learns in whole rollouts: "4k steps" trains 4,096 - the stated number is not silently replaced
    rounded = [c for c in cv.rl_caveats({**base, "timesteps": 4_000, "trained_timesteps": 4_096})
               if c.code == "steps_rounded"]
    assert rounded and "4096" in rounded[0].en and "4000" in rounded[0].en and "4096" in rounded[0].zh
    assert "steps_rounded" not in codes(cv.rl_caveats({**base, "timesteps": 4_000, "trained_timesteps": 4_000}))
    assert "short_training" not in codes(cv.rl_caveats({**base, "timesteps": 200_000, "trained_timesteps": 200_000}))
    assert "one_seed" not in codes(cv.rl_caveats({**base, "timesteps": 1, "trained_timesteps": 1}, seeds=3))


@pytest.mark.parametrize(("fit", "expected"), [
    ({"n_trees": 2, "prediction_std": 0.01, "tied_share": 0.0}, {"few_trees"}),
    ({"n_trees": 120, "prediction_std": 0.0, "tied_share": 0.0}, {"constant_predictions"}),
    ({"n_trees": 120, "prediction_std": 0.01, "tied_share": 0.25}, {"tied_scores"}),
    ({"n_trees": 120, "prediction_std": 0.01, "tied_share": 0.05}, set()),
    ({"n_trees": None, "prediction_std": 0.01, "tied_share": 0.0}, set()),  # a linear model has no trees
])
def test_degenerate_models(fit: dict[str, Any], expected: set[str]) -> None:
    assert codes(cv.model_caveats({"fit": fit})) == expected


def test_model_costs_and_significance_come_from_its_backtest() -> None:
    result = {"fit": {"n_trees": 100, "prediction_std": 0.01, "tied_share": 0.0},
              "backtest": {"annualized_return": 0.628, "annualized_return_with_cost": 0.278, "excess_t_with_cost": 0.4}}
    assert codes(cv.model_caveats(result)) == {"cost_drag", "noise"}


def test_order_gap_before_approval() -> None:
    gap = cv.order_gap(6, 1, ["5 names: one lot costs more than the per-name budget"])
    assert gap is not None and gap.value == 1 and gap.threshold == 6 and "not the portfolio" in gap.en
    assert cv.order_gap(6, 6) is None


@pytest.mark.parametrize(("bar", "today", "stale"), [
    (date(2019, 1, 3), date(2026, 11, 26), True),    # crude's last bar, seven years on
    (date(2026, 11, 25), date(2026, 11, 26), False),  # yesterday's close
    (date(2026, 11, 20), date(2026, 11, 23), False),  # Friday's bar on a Monday
    (date(2026, 11, 18), date(2026, 11, 23), True),
])
def test_freshness(bar: date, today: date, stale: bool) -> None:
    found = cv.freshness(bar, today)
    assert (found is not None) is stale
    if found is not None:
        assert bar.isoformat() in found.en and "replay" in found.en and "回放" in found.zh


def test_the_last_trading_day_skips_weekends() -> None:
    assert cv.last_trading_day(date(2026, 11, 28)) == date(2026, 11, 27)  # Saturday -> Friday
    assert cv.last_trading_day(date(2026, 11, 26)) == date(2026, 11, 26)
