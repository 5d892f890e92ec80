"""RL benchmark: environment steps per second (FinRL's StockTradingEnv vs ours, and our
numpy-batched single-asset VecEnv at several batch sizes) and PPO training time on GOLD
(20k steps on one env and on a batch, and the 5k-step acceptance command end to end).

Run: .venv/bin/python benchmarks/bench_rl.py
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._report import write_section  # noqa: E402
from taorui_engines.data import DataCenter, ensure_sample_store  # noqa: E402
from taorui_engines.rl import (  # noqa: E402
    INDICATORS,
    DateSpan,
    EnvSettings,
    MultiAssetEnv,
    Panel,
    RLTrainRequest,
    SingleAssetEnv,
    load_panel,
    train_agent,
)
from taorui_engines.rl._env_multi import default_hmax  # noqa: E402
from taorui_engines.rl._env_vec import SingleAssetVecEnv  # noqa: E402
from taorui_engines.rl._finrl import stock_trading_env_class  # noqa: E402
from taorui_engines.rl._train import hyperparams  # noqa: E402

STEPS = 20_000
REPEATS = 3
WINDOW = DateSpan(start=date(2021, 1, 1), end=date(2024, 12, 31))
PORTFOLIO = ("SYN000", "SYN001", "SYN002", "SYN003", "SYN004")
BATCHES = (1, 64, 256, 1024)
#: Env-steps per timed batch run: about this many, in STEPS batch steps at most and 2,000 at least
#: (so every batch spans whole episodes and a batch of one takes as long as the single env's run).
VEC_ENV_STEPS = 2_000_000
TRAIN_ENVS = 64


def finrl_env(panel: Panel, settings: EnvSettings, hmax: int) -> Any:
    n, k = len(panel.symbols), len(INDICATORS)
    return stock_trading_env_class()(
        df=panel.finrl_frame(), stock_dim=n, hmax=hmax, initial_amount=settings.initial_cash,
        num_stock_shares=[0] * n, buy_cost_pct=[settings.cost_pct] * n, sell_cost_pct=[settings.cost_pct] * n,
        reward_scaling=settings.reward_scaling, state_space=1 + 2 * n + k * n, action_space=n,
        tech_indicator_list=list(INDICATORS), print_verbosity=10**9,
    )


def steps_per_second(env: Any, n_actions: int) -> float:
    """Random actions for STEPS steps, resetting at each episode end (median of REPEATS)."""
    rng = np.random.default_rng(0)
    actions = rng.uniform(-1, 1, (STEPS, n_actions)).astype(np.float32)
    rates = []
    for _ in range(REPEATS):
        env.reset()
        t = time.perf_counter()
        for a in actions:
            _, _, done, _, _ = env.step(a)
            if done:
                env.reset()
        rates.append(STEPS / (time.perf_counter() - t))
    return statistics.median(rates)


def vec_steps_per_second(panel: Panel, settings: EnvSettings, n_envs: int) -> float:
    """Env-steps/s of a batch of ``n_envs`` over pre-generated random actions (median of REPEATS);
    finished rows reset inside ``step`` (SB3's auto-reset), so resets are counted."""
    steps = max(2_000, min(STEPS, VEC_ENV_STEPS // n_envs))
    actions = np.random.default_rng(0).uniform(-1, 1, (steps, n_envs, 1)).astype(np.float32)
    env = SingleAssetVecEnv(panel, settings, n_envs)
    rates = []
    for _ in range(REPEATS):
        env.reset()
        t = time.perf_counter()
        for a in actions:
            env.step(a)
        rates.append(steps * n_envs / (time.perf_counter() - t))
    return statistics.median(rates)


def env_rates(center: DataCenter) -> dict[str, float]:
    settings = EnvSettings()
    gold, multi = load_panel(center, ("GOLD",), WINDOW), load_panel(center, PORTFOLIO, WINDOW)
    hmax = default_hmax(multi, settings.initial_cash)
    return {
        "finrl_multi": steps_per_second(finrl_env(multi, settings, hmax), len(PORTFOLIO)),
        "ours_multi": steps_per_second(MultiAssetEnv(multi, settings, hmax), len(PORTFOLIO)),
        "finrl_single": steps_per_second(finrl_env(gold, settings, 100), 1),
        "ours_single": steps_per_second(SingleAssetEnv(gold, settings), 1),
        **{f"vec_{n}": vec_steps_per_second(gold, settings, n) for n in BATCHES},
    }


def training(center: DataCenter, runs: Path, timesteps: int, n_envs: int = 1) -> tuple[float, float, int]:
    """(train seconds, train+backtest+suggest seconds, steps trained) for PPO on GOLD."""
    request = RLTrainRequest(assets=("GOLD",), algo="ppo", timesteps=timesteps, seed=7, n_envs=n_envs)
    result = train_agent(center, runs, request)
    timing = json.loads((Path(result.run_dir) / "timing.json").read_text())
    return timing["train_seconds"], timing["total_seconds"], result.trained_timesteps


def cli_wall(home: Path) -> float:
    """Wall time of the acceptance command in a fresh process."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TAORUI_")} | {"TAORUI_HOME": str(home), "MPLBACKEND": "Agg"}
    command = [str(Path(sys.executable).with_name("taorui")), "rl", "train", "--asset", "GOLD", "--algo", "ppo",
               "--timesteps", "5000", "--seed", "7", "--json"]
    t = time.perf_counter()
    subprocess.run(command, env=env, check=True, capture_output=True)
    return time.perf_counter() - t


def main() -> None:
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        center = DataCenter(home / "data")
        ensure_sample_store(center)
        rates = env_rates(center)
        train20, total20, steps20 = training(center, home / "runs", 20_000)
        train_vec, _, steps_vec = training(center, home / "runs", 20_000, TRAIN_ENVS)
        wall = cli_wall(home)
    load_after = os.getloadavg()[0]
    rollout_vec = int(hyperparams("ppo", 20_000, TRAIN_ENVS)["n_steps"]) * TRAIN_ENVS
    vec_rows = "\n".join(f"| {n:,} | {rates[f'vec_{n}']:,.0f} | {rates[f'vec_{n}'] / rates['ours_single']:.1f}x |"
                         for n in BATCHES)
    body = f"""
Environment steps per second, random actions, {STEPS:,} steps (median of {REPEATS}); data {WINDOW.label()}.

| environment | steps/s |
| --- | --- |
| FinRL `StockTradingEnv`, 5 assets ({", ".join(PORTFOLIO)}) | {rates["finrl_multi"]:,.0f} |
| ours `MultiAssetEnv` (same rules, same account values), 5 assets | {rates["ours_multi"]:,.0f} |
| FinRL `StockTradingEnv`, GOLD alone | {rates["finrl_single"]:,.0f} |
| ours `SingleAssetEnv` (lots, next-open fills, optional short), GOLD | {rates["ours_single"]:,.0f} |

The same single-asset rules as one numpy batch (`SingleAssetVecEnv`, an SB3 `VecEnv` whose rows
match `SingleAssetEnv` step for step), GOLD, pre-generated random actions, auto-reset included;
{VEC_ENV_STEPS:,} / n batch steps per run, kept between 2,000 and {STEPS:,} (median of {REPEATS}).
A batch of one pays numpy's per-call overhead for one account, so training keeps
`SingleAssetEnv` when `n_envs` is 1:

| envs in the batch | env-steps/s | vs `SingleAssetEnv` |
| --- | --- | --- |
{vec_rows}

PPO on GOLD (FinRL's PPO settings, one torch thread, default windows: train 2021-2024, test 2025):

| what | time |
| --- | --- |
| train 20k steps ({steps20:,} taken: whole 2048-step rollouts) | {train20:.1f} s ({steps20 / train20:,.0f} steps/s) |
| train 20k + backtest + next action | {total20:.1f} s |
| train 20k steps, `n_envs={TRAIN_ENVS}` (batched env; same {rollout_vec:,}-step rollouts, {rollout_vec // TRAIN_ENVS} steps per env) | {train_vec:.1f} s ({steps_vec / train_vec:,.0f} steps/s) |
| `taorui rl train --asset GOLD --algo ppo --timesteps 5000 --seed 7 --json`, fresh process | {wall:.1f} s |

Load average (1 min) {load_before:.1f} before and {load_after:.1f} after: the machine was shared
with other work while this ran{" (figures are pessimistic)" if max(load_before, load_after) > 1.5 else ""}.
"""
    write_section("rl", "RL engine: environments and PPO training", body)
    print(body)


if __name__ == "__main__":
    main()
