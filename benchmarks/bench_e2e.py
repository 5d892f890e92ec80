"""End to end: the gold RL instruction through `taorui ask` vs a plain FinRL + SB3 script.

Both train PPO for 5,000 timesteps (SB3 rounds up to whole rollouts: 6,144) with seed 7 on
the last five years of GOLD, the last year held out, and both run in a fresh process, so
imports count. The plain script is what a user would write without Taorui: read a CSV,
compute FinRL's indicators with stockstats, FinRL's ``StockTradingEnv``, SB3 PPO, then run
the trained policy over the test year. It trains on one torch thread, as `taorui ask` does
(for reproducibility): with torch's default two OpenMP threads the same script took 36-127 s
instead of ~12 s on the shared 2-core machine whenever other jobs ran, a baseline that would
flatter the ratio. `taorui ask` does more (understands the instruction, checkpoints the graph,
backtests against buy and hold after costs, draws the pictures, writes the run folder and the
answer, queues the run for memory). Rounds are interleaved.

Run: .venv/bin/python benchmarks/bench_e2e.py
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._report import write_section  # noqa: E402

ROUNDS = 3
INSTRUCTION = "Train a gold RL strategy and tell me what to do next week"

_PLAIN = r"""
import sys, time
t0 = time.perf_counter()
import numpy as np, pandas as pd
from stockstats import StockDataFrame
from stable_baselines3 import PPO
from stable_baselines3.common.vec_env import DummyVecEnv
from taorui_engines.rl._finrl import stock_trading_env_class  # FinRL without its package __init__
import torch
torch.set_num_threads(1)  # as taorui trains (reproducible); 2 OpenMP threads spin against other jobs

INDICATORS = ["macd", "boll_ub", "boll_lb", "rsi_30", "cci_30", "dx_30", "close_30_sma", "close_60_sma"]
raw = pd.read_csv(sys.argv[1], parse_dates=["date"])
sdf = StockDataFrame.retype(raw.copy())
for name in INDICATORS:
    raw[name] = sdf[name].to_numpy()
raw = raw[raw["date"] >= "2021-01-01"].fillna(0.0)
raw["tic"] = "GOLD"
raw["date"] = raw["date"].dt.strftime("%Y-%m-%d")
def frame(df):
    df = df.reset_index(drop=True)
    df.index = df["date"].factorize()[0]
    return df
train, test = frame(raw[raw["date"] < "2025-01-01"]), frame(raw[raw["date"] >= "2025-01-01"])
Env = stock_trading_env_class()
def make(df):
    return Env(df=df, stock_dim=1, hmax=100, initial_amount=100_000, num_stock_shares=[0], buy_cost_pct=[0.001],
               sell_cost_pct=[0.001], reward_scaling=1e-4, state_space=1 + 2 + len(INDICATORS), action_space=1,
               tech_indicator_list=INDICATORS, print_verbosity=10**9)
model = PPO("MlpPolicy", DummyVecEnv([lambda: make(train)]), seed=7, verbose=0)
model.learn(total_timesteps=5000)
env = make(test)
obs, _ = env.reset()
done = False
while not done:
    action, _ = model.predict(np.asarray(obs, dtype=np.float32), deterministic=True)
    obs, _, done, _, _ = env.step(action)
print(time.perf_counter() - t0, env.asset_memory[-1])
"""


def main() -> None:
    repo = Path(__file__).resolve().parents[1]
    taorui = repo / ".venv" / "bin" / "taorui"
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        env = {**os.environ, "TAORUI_HOME": str(home), "PYTHONHASHSEED": "0", "MPLBACKEND": "Agg"}
        subprocess.run([str(taorui), "tour"], env=env, capture_output=True, check=True)  # build the sample store
        csv = Path(tmp) / "gold.csv"
        subprocess.run([sys.executable, "-c", (
            "import sys; from taorui_engines.data import DataCenter; "
            "DataCenter(sys.argv[1]).get_price('GOLD', '2020-01-01', '2025-12-31')"
            ".drop(columns='symbol').to_csv(sys.argv[2], index=False)"), str(home / "data"), str(csv)],
            env=env, check=True)
        ask, plain = [], []
        load_start = os.getloadavg()[0]
        for _ in range(ROUNDS):
            t = time.perf_counter()
            done = subprocess.run([str(taorui), "ask", INSTRUCTION, "--json"], env=env, capture_output=True, text=True)
            ask.append(time.perf_counter() - t)
            if done.returncode != 0:
                raise SystemExit(f"taorui ask failed: {done.stderr[-2000:]}")
            t = time.perf_counter()
            subprocess.run([sys.executable, "-c", _PLAIN, str(csv)], env=env, capture_output=True, check=True,
                           cwd=repo)
            plain.append(time.perf_counter() - t)
    a, p = statistics.median(ask), statistics.median(plain)
    load = os.getloadavg()[0]
    rounds = ", ".join(f"{x / y:.2f}" for x, y in zip(ask, plain, strict=True))
    body = f"""
Both in a fresh process, {ROUNDS} interleaved rounds, median (min..max). PPO, 5,000 timesteps asked (6,144
trained: whole rollouts of 2,048), seed 7, GOLD (SYNTHETIC) 2021-2024 train, 2025 test, one torch thread
on both sides.

| what | wall time |
| --- | --- |
| `taorui ask "{INSTRUCTION}"` | {a:.1f} s ({min(ask):.1f}..{max(ask):.1f}) |
| plain script: CSV + stockstats + FinRL `StockTradingEnv` + SB3 PPO + test-year rollout | {p:.1f} s ({min(plain):.1f}..{max(plain):.1f}) |
| ratio ask / plain | {a / p:.2f} (per round: {rounds}) |

`taorui ask` also understands the instruction, checkpoints each graph step in SQLite, backtests the
policy against buy and hold after costs, draws the equity and drawdown pictures, writes the run
folder and answers; memory is queued, not indexed, on this path (`memory/_pending.py`), and the
offline planner gets no recall (it reads no brief). Our environment is numpy-vectorised
(`taorui_engines/rl`); FinRL's steps a pandas frame. The `taorui` process freezes the survivors of
the full garbage collections that follow imports and skips the last one at exit (`taorui/_entry.py`);
the plain script runs Python's default collector. 1-minute load average: {load_start:.1f} at the start, {load:.1f} at the
end (above 2 on these 2 cores means other jobs were running: both sides slow down alike, and the ratio
is from the same interleaved run).
"""
    write_section("e2e", "End to end: gold RL instruction vs a plain FinRL + SB3 script", body)
    print(body)


if __name__ == "__main__":
    main()
