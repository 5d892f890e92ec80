"""Replay a policy on a window and compare it with buy-and-hold of the same asset(s).

Buy-and-hold gets the strategy's first fill opportunity, the same cash and the same costs:
one asset: whole lots bought at the open of the window's second day (the strategy's first
possible fill); several assets: equal cash per asset, bought at the first day's close
(FinRL's fill convention), then held.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import gymnasium as gym
import numpy as np
import pandas as pd

from taorui_engines.rl._data import Panel
from taorui_engines.rl._env_multi import MultiAssetEnv
from taorui_engines.rl._env_single import SingleAssetEnv
from taorui_engines.rl._metrics import drawdown, performance
from taorui_engines.rl._models import EnvSettings, PerformanceMetrics, RLRunSpec
from taorui_engines.rl._plots import plot_drawdown, plot_equity

__all__ = ["Backtest", "backtest", "buy_and_hold", "make_env", "replay", "write_backtest_files"]

Policy = Callable[[np.ndarray], np.ndarray]
Env = SingleAssetEnv | MultiAssetEnv


@dataclass(frozen=True)
class Backtest:
    """A replayed window: the curve (strategy and benchmark) and both metric sets."""

    curve: pd.DataFrame
    metrics: PerformanceMetrics
    benchmark: PerformanceMetrics


def make_env(spec: RLRunSpec, panel: Panel, normalize_obs: bool = True) -> Env:
    """The environment the run's spec describes, over ``panel``."""
    if spec.kind == "single":
        return SingleAssetEnv(panel, spec.env)
    assert spec.env.max_trade_shares is not None, "multi-asset specs carry a resolved hmax"
    return MultiAssetEnv(panel, spec.env, hmax=spec.env.max_trade_shares, normalize_obs=normalize_obs)


def replay(env: gym.Env, policy: Policy) -> np.ndarray:  # type: ignore[type-arg]
    """Run ``policy`` from reset to the end of the window; return the final observation."""
    obs, _ = env.reset()
    done = False
    while not done:
        obs, _, terminated, truncated, _ = env.step(policy(obs))
        done = terminated or truncated
    return np.asarray(obs)


def buy_and_hold(panel: Panel, settings: EnvSettings) -> tuple[pd.Series, int, float, float]:
    """Equity of buy-and-hold, its number of trades, mean exposure and costs."""
    cost = settings.cost_pct
    if len(panel.symbols) == 1:
        lot = settings.lot_size
        price = panel.open[1, 0]
        units = math.floor(settings.initial_cash / (price * (1 + cost)) / lot) * lot
        cash = settings.initial_cash - units * price * (1 + cost)
        equity = np.concatenate([[settings.initial_cash], cash + units * panel.close[1:, 0]])
        value = np.concatenate([[0.0], units * panel.close[1:, 0]])
        paid = units * price * cost
        trades = int(units > 0)
    else:
        prices = panel.close[0]
        shares = np.floor(settings.initial_cash / len(panel.symbols) / (prices * (1 + cost)))
        paid = float((shares * prices * cost).sum())
        cash = settings.initial_cash - float((shares * prices * (1 + cost)).sum())
        value = (panel.close * shares).sum(axis=1)
        equity = cash + value
        trades = int(np.count_nonzero(shares))
    exposure = float(np.mean(np.abs(value[1:]) / equity[1:]))
    return pd.Series(equity, index=panel.dates), trades, exposure, float(paid)


def backtest(env: Env, policy: Policy) -> Backtest:
    """Replay ``policy`` on ``env``'s window and measure it against buy-and-hold."""
    replay(env, policy)
    history = env.history()
    equity = history["equity"]
    exposure = float(np.mean(np.abs(history["position_value"].to_numpy()[1:]) / equity.to_numpy()[1:]))
    metrics = performance(equity, env.trades, exposure, env.total_costs)
    bench_equity, bench_trades, bench_exposure, bench_costs = buy_and_hold(env.panel, env.settings)
    bench_equity = bench_equity.iloc[: len(history)]
    benchmark = performance(bench_equity.reset_index(drop=True), bench_trades, bench_exposure, bench_costs)
    curve = history.copy()
    curve["drawdown"] = drawdown(equity)
    curve["benchmark_equity"] = bench_equity.to_numpy()
    curve["benchmark_drawdown"] = drawdown(curve["benchmark_equity"])
    curve["date"] = pd.to_datetime(curve["date"]).dt.strftime("%Y-%m-%d")
    return Backtest(curve=curve, metrics=metrics, benchmark=benchmark)


def write_backtest_files(result: Backtest, folder: Path, title: str) -> tuple[Path, Path, Path]:
    """``equity.csv``, ``equity.png`` and ``drawdown.png`` in ``folder``."""
    first = ["date", "equity", "benchmark_equity", "drawdown", "benchmark_drawdown"]
    columns = first + [c for c in result.curve.columns if c not in first]
    csv_path = folder / "equity.csv"
    result.curve[columns].to_csv(csv_path, index=False, float_format="%.10g")
    m, b = result.metrics, result.benchmark
    subtitle = (
        f"{title}\nstrategy: return {m.cumulative_return:+.1%}, Sharpe {_fmt(m.sharpe)}, max DD {m.max_drawdown:.1%}"
        f"  |  buy and hold: {b.cumulative_return:+.1%}, Sharpe {_fmt(b.sharpe)}, max DD {b.max_drawdown:.1%}"
    )
    equity_png = plot_equity(result.curve, subtitle, folder / "equity.png")
    drawdown_png = plot_drawdown(result.curve, title, folder / "drawdown.png")
    return csv_path, equity_png, drawdown_png


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"
