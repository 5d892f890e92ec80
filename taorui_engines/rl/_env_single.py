"""A one-instrument trading environment: a position in whole lots, cash, costs, optional short.

Timing (stated with every result): the policy observes day t after its close (indicators
up to t, its own position); the order is filled at the **open of day t+1**, and the account
is marked at the close of t+1. So a decision never trades at a price it has already seen.

Action: one number a in [-1, 1], the target position as a fraction of ``max_units``, the
largest long position the starting cash buys at the first day's close (FinRL's ``hmax``
idea, in lots). Long-only environments clip a at 0. Buying is limited to the cash at hand
(costs included); a short is limited to ``max_units`` lots and its proceeds sit in cash.
Costs are ``cost_pct`` of traded value on each side. Reward: change of account value times
``reward_scaling`` (FinRL's convention).
"""

from __future__ import annotations

import math
from typing import Any

import gymnasium as gym
import numpy as np
import pandas as pd
from gymnasium import spaces

from taorui_engines.errors import InternalError
from taorui_engines.rl._data import Panel
from taorui_engines.rl._models import EnvSettings

__all__ = ["SingleAssetEnv"]


class SingleAssetEnv(gym.Env):  # type: ignore[type-arg]
    """Gymnasium environment over one asset's :class:`Panel` (see the module docstring)."""

    metadata: dict[str, Any] = {"render_modes": []}
    day: int
    cash: float
    units: int
    total_costs: float
    trades: int

    def __init__(self, panel: Panel, settings: EnvSettings) -> None:
        if len(panel.symbols) != 1 or len(panel) < 2:
            raise InternalError("SingleAssetEnv needs one asset and at least two days")
        self.panel = panel
        self.settings = settings
        self._open = panel.open[:, 0]
        self._close = panel.close[:, 0]
        self._features = panel.features[:, 0, :].astype(np.float32)
        lot, cost = settings.lot_size, settings.cost_pct
        self.max_units = max(lot, math.floor(settings.initial_cash / (self._close[0] * (1 + cost)) / lot) * lot)
        n_obs = self._features.shape[1] + 1
        self.observation_space = spaces.Box(-np.inf, np.inf, shape=(n_obs,), dtype=np.float32)
        self.action_space = spaces.Box(-1.0, 1.0, shape=(1,), dtype=np.float32)
        self._reset_book()

    # gymnasium API -------------------------------------------------------------------
    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[np.ndarray, dict[str, Any]]:
        """Back to day 0, all cash."""
        super().reset(seed=seed)
        self._reset_book()
        return self._obs(), {}

    def step(self, action: np.ndarray) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        """Fill the target position at the next open, mark the account at the next close."""
        before = self._equity_at(self._close[self.day])
        target = self.target_units(float(np.asarray(action).reshape(-1)[0]), self._open[self.day + 1])
        self._fill(target, self._open[self.day + 1])
        self.day += 1
        after = self._equity_at(self._close[self.day])
        self._record(after)
        terminated = self.day >= len(self.panel) - 1 or after <= 0
        return self._obs(), float((after - before) * self.settings.reward_scaling), terminated, False, {}

    # trading rules ---------------------------------------------------------------------
    def target_units(self, action: float, price: float) -> int:
        """Units the action asks for, in whole lots, limited by the cash at ``price``."""
        low = -1.0 if self.settings.allow_short else 0.0
        a = min(1.0, max(low, action if math.isfinite(action) else 0.0))
        lot = self.settings.lot_size
        target = int(round(a * self.max_units / lot)) * lot
        if target > self.units:
            unit_cost = price * (1 + self.settings.cost_pct)
            affordable = math.floor(max(self.cash, 0.0) / unit_cost / lot) * lot
            target = min(target, self.units + affordable)
        return target

    def _fill(self, target: int, price: float) -> None:
        delta = target - self.units
        if delta == 0:
            return
        cost = abs(delta) * price * self.settings.cost_pct
        self.cash -= delta * price + cost
        self.units = target
        self.total_costs += cost
        self.trades += 1

    def _equity_at(self, price: float) -> float:
        return float(self.cash + self.units * price)

    # bookkeeping -----------------------------------------------------------------------
    def _reset_book(self) -> None:
        self.day = 0
        self.cash = float(self.settings.initial_cash)
        self.units = 0
        self.total_costs = 0.0
        self.trades = 0
        self._equity = [float(self.settings.initial_cash)]
        self._units_hist = [0]
        self._cash_hist = [self.cash]

    def _record(self, equity: float) -> None:
        self._equity.append(equity)
        self._units_hist.append(self.units)
        self._cash_hist.append(self.cash)

    def _obs(self) -> np.ndarray:
        position = np.array([self.units / self.max_units], dtype=np.float32)
        return np.concatenate([self._features[self.day], position])

    def history(self) -> pd.DataFrame:
        """One row per day so far: date, equity, cash, position (units), position value."""
        n = len(self._equity)
        units = np.asarray(self._units_hist, dtype="float64")
        return pd.DataFrame({
            "date": self.panel.dates[:n],
            "equity": self._equity,
            "cash": self._cash_hist,
            "close": self._close[:n],
            "position": units,
            "position_value": units * self._close[:n],
        })
