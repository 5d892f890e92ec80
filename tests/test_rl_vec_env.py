"""The batched single-asset env is the single env, row by row, and a proper SB3 VecEnv."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from taorui_engines.data import DataCenter
from taorui_engines.errors import InternalError, InvalidArgumentError
from taorui_engines.rl import (
    INDICATORS,
    DateSpan,
    EnvSettings,
    Panel,
    RLRunSpec,
    RLTrainRequest,
    SingleAssetEnv,
    train_agent,
)
from taorui_engines.rl._env_vec import SingleAssetVecEnv, spread_start_days
from taorui_engines.rl._train import _import_sb3, hyperparams, train_model

_import_sb3()
from stable_baselines3.common.utils import check_for_correct_spaces  # noqa: E402
from stable_baselines3.common.vec_env import VecCheckNan, VecMonitor  # noqa: E402


def random_panel(seed: int, n_days: int = 40, crash: bool = False) -> Panel:
    """A random walk with gaps between close and next open, and random features."""
    rng = np.random.default_rng(seed)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.03, n_days)))
    opens = close * np.exp(rng.normal(0, 0.01, n_days))
    if crash:  # a squeeze: shorts lose more than the account is worth
        close[n_days // 2:] *= 4.0
        opens[n_days // 2:] *= 4.0
    return Panel(
        symbols=("TEST",), dates=pd.bdate_range("2024-01-01", periods=n_days),
        open=opens.reshape(n_days, 1), close=close.reshape(n_days, 1),
        indicators=np.repeat(close.reshape(n_days, 1, 1), len(INDICATORS), axis=2),
        features=rng.normal(0, 1, (n_days, 1, len(INDICATORS))), dropped_days=0,
    )


def single_trajectory(
    panel: Panel, settings: EnvSettings, actions: np.ndarray, start: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict[int, np.ndarray], SingleAssetEnv]:
    """The reference: one SingleAssetEnv fed ``actions``, reset at each end as SB3 would,
    its first episode started on day ``start`` (what ``start_days`` means)."""
    env = SingleAssetEnv(panel, settings)
    obs, _ = env.reset()
    env.day = start
    obs = env._obs()
    observations, rewards, dones, terminal = [obs], [], [], {}
    for t, action in enumerate(actions):
        obs, reward, terminated, truncated, _ = env.step(action)
        assert not truncated
        if terminated:
            terminal[t] = obs
            obs, _ = env.reset()
        observations.append(obs)
        rewards.append(reward)
        dones.append(terminated)
    return np.asarray(observations), np.asarray(rewards), np.asarray(dones), terminal, env


def batch_trajectory(
    vec: SingleAssetVecEnv, actions: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[list[dict[str, Any]]]]:
    observations, rewards, dones, infos = [vec.reset()], [], [], []
    for action in actions:
        obs, reward, done, info = vec.step(action)
        observations.append(np.asarray(obs))
        rewards.append(reward)
        dones.append(done)
        infos.append(info)
    return np.asarray(observations), np.asarray(rewards), np.asarray(dones), infos


def actions_for(seed: int, steps: int, n_envs: int) -> np.ndarray:
    """Mostly uniform actions, with exact lot boundaries, out-of-range values and NaN mixed in."""
    rng = np.random.default_rng(seed)
    actions = rng.uniform(-1.2, 1.2, (steps, n_envs, 1))
    specials = np.array([0.0, 1.0, -1.0, 0.5, -0.5, np.nan, np.inf, -np.inf, 3.0])
    mask = rng.random((steps, n_envs, 1)) < 0.15
    actions[mask] = rng.choice(specials, mask.sum())
    return actions.astype(np.float32)


SETTINGS = [
    EnvSettings(initial_cash=100_000),
    EnvSettings(initial_cash=50_000, cost_pct=0.01, lot_size=10),
    EnvSettings(initial_cash=30_000, cost_pct=0.002, lot_size=3, allow_short=True, reward_scaling=0.37),
    EnvSettings(initial_cash=1_000_000, cost_pct=0.0, allow_short=True),
]


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("settings", SETTINGS, ids=["default", "lots+costs", "short", "short-no-cost"])
@pytest.mark.parametrize("staggered", [False, True], ids=["aligned", "staggered"])
def test_each_row_is_the_single_env_fed_the_same_actions(seed: int, settings: EnvSettings, staggered: bool) -> None:
    panel, n_envs, steps = random_panel(seed), 7, 100  # 100 steps > two 39-step episodes
    starts = spread_start_days(n_envs, len(panel)) if staggered else [0] * n_envs
    actions = actions_for(seed, steps, n_envs)

    vec = SingleAssetVecEnv(panel, settings, n_envs, starts)
    obs, rewards, dones, infos = batch_trajectory(vec, actions)

    assert dones.sum() >= 2 * n_envs  # every row crossed at least two episode ends
    for row in range(n_envs):
        want_obs, want_rewards, want_dones, terminal, env = single_trajectory(
            panel, settings, actions[:, row], starts[row]
        )
        for name in ("day", "cash", "units", "total_costs", "trades"):
            assert vec.get_attr(name, row) == [getattr(env, name)], name
        np.testing.assert_allclose(obs[:, row], want_obs, rtol=0, atol=1e-9)
        np.testing.assert_allclose(rewards[:, row], want_rewards, rtol=0, atol=1e-9)
        np.testing.assert_array_equal(dones[:, row], want_dones)
        for t in range(steps):
            info = infos[t][row]
            if t in terminal:
                np.testing.assert_allclose(info["terminal_observation"], terminal[t], rtol=0, atol=1e-9)
                assert info["TimeLimit.truncated"] is False
            else:
                assert info == {}


@pytest.mark.parametrize("seed", [3, 4])
def test_an_account_wiped_out_by_a_short_squeeze_ends_as_in_the_single_env(seed: int) -> None:
    panel, n_envs = random_panel(seed, crash=True), 5
    settings = EnvSettings(initial_cash=10_000, allow_short=True, cost_pct=0.001)
    actions = np.full((60, n_envs, 1), -1.0, dtype=np.float32)
    actions[:, 0] = 1.0  # one row long: it lives through the squeeze

    _, rewards, dones, _ = batch_trajectory(SingleAssetVecEnv(panel, settings, n_envs), actions)

    assert dones[: len(panel) - 2, 1:].any() and not dones[: len(panel) - 2, 0].any()
    for row in range(n_envs):
        _, want_rewards, want_dones, _, _ = single_trajectory(panel, settings, actions[:, row], 0)
        np.testing.assert_allclose(rewards[:, row], want_rewards, rtol=0, atol=1e-9)
        np.testing.assert_array_equal(dones[:, row], want_dones)


def test_the_batch_honours_the_vec_env_contract() -> None:
    panel, n_envs = random_panel(5), 6
    vec = SingleAssetVecEnv(panel, EnvSettings(allow_short=True), n_envs, spread_start_days(n_envs, len(panel)))
    single = SingleAssetEnv(panel, EnvSettings(allow_short=True))
    check_for_correct_spaces(vec, single.observation_space, single.action_space)
    checked = VecCheckNan(VecMonitor(vec), raise_exception=True)  # SB3's own checks on every step
    rng = np.random.default_rng(0)

    first = np.asarray(checked.reset())
    assert first.shape == (n_envs, len(INDICATORS) + 1) and first.dtype == np.float32
    assert len(vec.reset_infos) == n_envs
    episodes = 0
    for _ in range(120):
        obs, rewards, dones, infos = checked.step(rng.uniform(-1, 1, (n_envs, 1)).astype(np.float32))
        assert all(vec.observation_space.contains(o) for o in np.asarray(obs))
        assert rewards.shape == (n_envs,) and dones.shape == (n_envs,) and dones.dtype == bool
        assert isinstance(infos, list | tuple) and len(infos) == n_envs
        for info, done in zip(infos, dones, strict=True):
            assert ("terminal_observation" in info) == done
            if done:
                assert vec.observation_space.contains(info["terminal_observation"])
                assert info["episode"]["l"] > 0  # VecMonitor saw a whole episode
                episodes += 1
    assert episodes >= n_envs


def test_seeded_batches_are_deterministic_and_attributes_read_per_row() -> None:
    panel, n_envs = random_panel(6), 4
    actions = actions_for(6, 50, n_envs)
    first, second = SingleAssetVecEnv(panel, EnvSettings(), n_envs), SingleAssetVecEnv(panel, EnvSettings(), n_envs)
    first.seed(1)
    second.seed(99)  # nothing is random: a seed changes no trajectory

    for got, want in zip(batch_trajectory(first, actions)[:3], batch_trajectory(second, actions)[:3], strict=True):
        np.testing.assert_array_equal(got, want)
    assert first.get_attr("cash") == first.cash.tolist()
    assert first.get_attr("units", indices=[1, 3]) == [int(first.units[1]), int(first.units[3])]
    assert first.get_attr("max_units") == [first.max_units] * n_envs
    assert first.env_is_wrapped(VecMonitor) == [False] * n_envs
    first.set_attr("cash", 123.0, indices=2)
    assert first.cash[2] == 123.0
    with pytest.raises(InternalError):
        first.set_attr("max_units", 5)
    with pytest.raises(InternalError):
        first.env_method("history")


def test_bad_start_days_are_refused() -> None:
    panel = random_panel(7, n_days=10)
    with pytest.raises(InternalError):
        SingleAssetVecEnv(panel, EnvSettings(), 2, [0, 9])  # day 9 is the last: no step left
    with pytest.raises(InternalError):
        SingleAssetVecEnv(panel, EnvSettings(), 2, [0])
    assert spread_start_days(4, 9) == [0, 2, 4, 6]


def test_ppo_trains_on_the_batch() -> None:
    panel, n_envs = random_panel(8, n_days=60), 16
    model, trained = train_model(lambda: SingleAssetVecEnv(panel, EnvSettings(), n_envs), "ppo", 300, seed=1)

    assert trained >= 300 and trained % n_envs == 0
    assert model.n_steps * n_envs == 256  # FinRL's rollout size fitted to 300 steps, split over the envs
    action, _ = model.predict(np.zeros((n_envs, len(INDICATORS) + 1), dtype=np.float32), deterministic=True)
    assert action.shape == (n_envs, 1)


def test_a2c_keeps_its_rollout_per_env_and_off_policy_algorithms_refuse_a_batch() -> None:
    assert hyperparams("a2c", 5000, n_envs=8)["n_steps"] == hyperparams("a2c", 5000)["n_steps"]
    assert hyperparams("ppo", 5000, n_envs=1) == hyperparams("ppo", 5000)
    with pytest.raises(ValueError, match="on-policy"):
        RLTrainRequest(assets=("GOLD",), algo="sac", n_envs=4)


def test_a_training_run_with_n_envs_steps_a_batch_and_records_it(data_center: DataCenter, tmp_path: Path) -> None:
    train, test = DateSpan(start=date(2023, 7, 1), end=date(2024, 6, 30)), DateSpan(start=date(2024, 7, 1), end=date(2024, 12, 31))
    request = RLTrainRequest(assets=("GOLD",), algo="ppo", timesteps=512, seed=3, n_envs=32, train=train, test=test)

    result = train_agent(data_center, tmp_path, request)

    spec = RLRunSpec.model_validate(json.loads((Path(result.run_dir) / "config.json").read_text()))
    assert spec.n_envs == 32 and int(spec.hyperparams["n_steps"]) * 32 == 512
    assert result.trained_timesteps == 512
    portfolio = request.model_copy(update={"assets": ("SYN001", "SYN002"), "n_envs": 4})
    with pytest.raises(InvalidArgumentError, match="single-asset"):
        train_agent(data_center, tmp_path, portfolio)
