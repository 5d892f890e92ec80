"""The single-asset environment's trading rules: next-open fills, lots, cash, costs, shorts."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from taorui_engines.rl import INDICATORS, EnvSettings, Panel, SingleAssetEnv


def make_panel(opens: list[float], closes: list[float]) -> Panel:
    n = len(closes)
    close = np.asarray(closes, dtype=float).reshape(n, 1)
    return Panel(
        symbols=("TEST",), dates=pd.bdate_range("2024-01-01", periods=n),
        open=np.asarray(opens, dtype=float).reshape(n, 1), close=close,
        indicators=np.ones((n, 1, len(INDICATORS))) * close[:, :, None],
        features=np.zeros((n, 1, len(INDICATORS))), dropped_days=0,
    )


def test_an_order_is_filled_at_the_next_open_with_costs() -> None:
    env = SingleAssetEnv(make_panel([100, 102, 104], [100, 103, 101]), EnvSettings(initial_cash=10_000, cost_pct=0.01, lot_size=10))
    env.reset()

    env.step(np.array([1.0]))

    assert env.max_units == 90  # floor(10000 / (100 * 1.01) / 10) * 10
    assert env.units == 90
    assert env.cash == pytest.approx(10_000 - 90 * 102 * 1.01)
    assert env.total_costs == pytest.approx(90 * 102 * 0.01)
    assert env.history()["equity"].iloc[-1] == pytest.approx(env.cash + 90 * 103)


def test_reward_is_the_change_of_account_value_times_the_scaling() -> None:
    env = SingleAssetEnv(make_panel([100, 102, 104], [100, 103, 101]), EnvSettings(initial_cash=10_000, reward_scaling=0.5))
    env.reset()

    _, reward, terminated, _, _ = env.step(np.array([1.0]))

    equity = env.history()["equity"]
    assert reward == pytest.approx((equity.iloc[1] - equity.iloc[0]) * 0.5)
    assert not terminated


def test_the_episode_ends_on_the_last_day() -> None:
    env = SingleAssetEnv(make_panel([10, 10, 10], [10, 10, 10]), EnvSettings(initial_cash=1_000))
    env.reset()

    assert env.step(np.array([0.3]))[2] is False
    assert env.step(np.array([0.3]))[2] is True


def test_a_long_only_env_turns_a_sell_signal_into_flat() -> None:
    env = SingleAssetEnv(make_panel([50, 50, 50], [50, 50, 50]), EnvSettings(initial_cash=5_000))
    env.reset()

    env.step(np.array([-1.0]))

    assert env.units == 0 and env.cash == 5_000


def test_a_short_is_held_when_allowed_and_its_proceeds_sit_in_cash() -> None:
    env = SingleAssetEnv(make_panel([50, 50, 40], [50, 50, 40]), EnvSettings(initial_cash=5_000, allow_short=True, cost_pct=0.0))
    env.reset()

    env.step(np.array([-1.0]))
    env.step(np.array([-1.0]))

    assert env.units == -env.max_units
    assert env.history()["equity"].iloc[-1] == pytest.approx(5_000 + env.max_units * 10)


def test_buying_is_limited_to_the_cash_at_hand_when_the_open_gaps_up() -> None:
    env = SingleAssetEnv(make_panel([100, 150, 150], [100, 150, 150]), EnvSettings(initial_cash=10_000, cost_pct=0.001))
    env.reset()

    env.step(np.array([1.0]))

    assert env.units == math.floor(10_000 / (150 * 1.001))
    assert env.cash >= 0


@settings(max_examples=40, deadline=None)
@given(
    moves=st.lists(st.floats(-0.08, 0.08), min_size=3, max_size=30),
    actions=st.lists(st.floats(-1, 1), min_size=30, max_size=30),
    lot=st.sampled_from([1, 5, 100]),
    short=st.booleans(),
)
def test_the_account_always_reconciles(moves: list[float], actions: list[float], lot: int, short: bool) -> None:
    closes = list(100 * np.cumprod(1 + np.asarray([0.0, *moves])))
    opens = [closes[0]] + [c * 1.002 for c in closes[:-1]]
    cfg = EnvSettings(initial_cash=100_000, cost_pct=0.001, lot_size=lot, allow_short=short)
    env = SingleAssetEnv(make_panel(opens, closes), cfg)
    env.reset()
    paid, previous = 0.0, 0
    for t in range(len(closes) - 1):
        env.step(np.array([actions[t]]))
        paid += abs(env.units - previous) * opens[t + 1] * cfg.cost_pct
        previous = env.units
        assert env.units % lot == 0 and abs(env.units) <= env.max_units
        assert short or (env.units >= 0 and env.cash >= -1e-6)
    history = env.history()
    np.testing.assert_allclose(history["equity"], history["cash"] + history["position"] * history["close"], rtol=1e-12)
    assert env.total_costs == pytest.approx(paid, rel=1e-9, abs=1e-9)
