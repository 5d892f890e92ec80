"""RL benchmark: environment steps per second (FinRL's StockTradingEnv vs ours) and PPO
training time on GOLD (20k steps, and the 5k-step acceptance command end to end).

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
from taorui_engines.rl._finrl import stock_trading_env_class  # noqa: E402

STEPS = 20_000
REPEATS = 3
WINDOW = DateSpan(start=date(2021, 1, 1), end=date(2024, 12, 31))
PORTFOLIO = ("SYN000", "SYN001", "SYN002", "SYN003", "SYN004")


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


def env_rates(center: DataCenter) -> dict[str, float]:
    settings = EnvSettings()
    gold, multi = load_panel(center, ("GOLD",), WINDOW), load_panel(center, PORTFOLIO, WINDOW)
    hmax = default_hmax(multi, settings.initial_cash)
    return {
        "finrl_multi": steps_per_second(finrl_env(multi, settings, hmax), len(PORTFOLIO)),
        "ours_multi": steps_per_second(MultiAssetEnv(multi, settings, hmax), len(PORTFOLIO)),
        "finrl_single": steps_per_second(finrl_env(gold, settings, 100), 1),
        "ours_single": steps_per_second(SingleAssetEnv(gold, settings), 1),
    }


def training(center: DataCenter, runs: Path, timesteps: int) -> tuple[float, float, int]:
    """(train seconds, train+backtest+suggest seconds, steps trained) for PPO on GOLD."""
    result = train_agent(center, runs, RLTrainRequest(assets=("GOLD",), algo="ppo", timesteps=timesteps, seed=7))
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
        wall = cli_wall(home)
    load_after = os.getloadavg()[0]
    body = f"""
Environment steps per second, random actions, {STEPS:,} steps (median of {REPEATS}); data {WINDOW.label()}.

| environment | steps/s |
| --- | --- |
| FinRL `StockTradingEnv`, 5 assets ({", ".join(PORTFOLIO)}) | {rates["finrl_multi"]:,.0f} |
| ours `MultiAssetEnv` (same rules, same account values), 5 assets | {rates["ours_multi"]:,.0f} |
| FinRL `StockTradingEnv`, GOLD alone | {rates["finrl_single"]:,.0f} |
| ours `SingleAssetEnv` (lots, next-open fills, optional short), GOLD | {rates["ours_single"]:,.0f} |

PPO on GOLD (FinRL's PPO settings, one torch thread, default windows: train 2021-2024, test 2025):

| what | time |
| --- | --- |
| train 20k steps ({steps20:,} taken: whole 2048-step rollouts) | {train20:.1f} s ({steps20 / train20:,.0f} steps/s) |
| train 20k + backtest + next action | {total20:.1f} s |
| `taorui rl train --asset GOLD --algo ppo --timesteps 5000 --seed 7 --json`, fresh process | {wall:.1f} s |

Load average (1 min) {load_before:.1f} before and {load_after:.1f} after: the machine was shared
with other work while this ran{" (figures are pessimistic)" if max(load_before, load_after) > 1.5 else ""}.
"""
    write_section("rl", "RL engine: environments and PPO training", body)
    print(body)


if __name__ == "__main__":
    main()
