"""A multi-asset stock trading environment with FinRL ``StockTradingEnv`` semantics, on arrays.

FinRL's env looks the day up in a pandas frame at every step; this one keeps the same
rules on numpy arrays (``tests/test_rl_envs.py`` steps both on the same data and actions
and finds the same account values, cash and holdings). The rules, as FinRL has them:

- action: one number per asset in [-1, 1], times ``hmax`` and truncated to whole shares,
  is the number of shares to buy (> 0) or sell (< 0) **at day t's close**, the price the
  observation already shows (FinRL's convention; the single-asset env fills at the next
  open instead);
- sells first (most negative first), then buys (largest first) with the cash at hand;
  no short positions, no borrowing; costs ``cost_pct`` of traded value on each side;
- an asset whose first indicator (MACD) is exactly 1.0 is not traded that day (FinRL
  reads that slot as a "cannot trade" flag);
- reward: change of account value over the step times ``reward_scaling``.

Differences that do not change account values: the episode ends on arriving at the last
day (FinRL needs one extra no-op step, which repeats the last reward), and the observation
can be the scale-free one below instead of FinRL's raw state (cash in currency, prices,
share counts): ``[cash / equity, weight per asset, normalised indicators per asset]``.
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

__all__ = ["MultiAssetEnv", "default_hmax", "execute_trades"]


def default_hmax(panel: Panel, initial_cash: float) -> int:
    """Shares per full action so that one asset's full buy is about 1/n of the cash."""
    n_assets = len(panel.symbols)
    top_price = float(np.max(panel.close[0]))
    return max(1, math.floor(initial_cash / n_assets / top_price))


def execute_trades(
    cash: float, shares: np.ndarray, prices: np.ndarray, tradable: np.ndarray, orders: np.ndarray, cost_pct: float
) -> tuple[float, np.ndarray, np.ndarray, float]:
    """FinRL's sell-then-buy rules for integer ``orders`` at ``prices``.

    Returns (cash, shares, executed shares per asset, costs). Arithmetic is done in the
    order FinRL does it, so the floats come out identical.
    """
    shares = shares.copy()
    done = orders.copy()
    costs = 0.0
    ranked = np.argsort(orders)
    sells = ranked[: np.where(orders < 0)[0].shape[0]]
    buys = ranked[::-1][: np.where(orders > 0)[0].shape[0]]
    for i in sells:
        n = min(abs(orders[i]), shares[i]) if tradable[i] and shares[i] > 0 else 0
        cash += prices[i] * n * (1 - cost_pct)
        shares[i] -= n
        costs += prices[i] * n * cost_pct
        done[i] = -n
    for i in buys:
        n = min(cash // (prices[i] * (1 + cost_pct)), orders[i]) if tradable[i] else 0
        cash -= prices[i] * n * (1 + cost_pct)
        shares[i] += n
        costs += prices[i] * n * cost_pct
        done[i] = n
    return cash, shares, done, costs


class MultiAssetEnv(gym.Env):  # type: ignore[type-arg]
    """Gymnasium environment over a several-asset :class:`Panel` (see the module docstring)."""

    metadata: dict[str, Any] = {"render_modes": []}
    day: int
    cash: float
    shares: np.ndarray
    total_costs: float
    trades: int

    def __init__(self, panel: Panel, settings: EnvSettings, hmax: int, normalize_obs: bool = True) -> None:
        if len(panel.symbols) < 2 or len(panel) < 2:
            raise InternalError("MultiAssetEnv needs at least two assets and two days")
        self.panel = panel
        self.settings = settings
        self.hmax = hmax
        self.normalize_obs = normalize_obs
        n, k = len(panel.symbols), panel.indicators.shape[2]
        size = 1 + n + n * panel.features.shape[2] if normalize_obs else 1 + 2 * n + n * k
        self.observation_space = spaces.Box(-np.inf, np.inf, shape=(size,), dtype=np.float32)
        self.action_space = spaces.Box(-1.0, 1.0, shape=(n,), dtype=np.float32)
        self._reset_book()

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[np.ndarray, dict[str, Any]]:
        """Back to day 0, all cash, no shares."""
        super().reset(seed=seed)
        self._reset_book()
        return self._obs(), {}

    def step(self, action: np.ndarray) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        """Trade at today's close, move to the next day, reward the change of account value."""
        begin = self.equity()
        orders = self.orders(action)
        prices = self.panel.close[self.day]
        cash, shares, done, costs = execute_trades(
            self.cash, self.shares, prices, self._tradable(self.day), orders, self.settings.cost_pct
        )
        self.cash, self.shares = cash, shares
        self.total_costs += costs
        self.trades += int(np.count_nonzero(done))
        self.day += 1
        end = self.equity()
        self._record(end)
        terminated = self.day >= len(self.panel) - 1
        return self._obs(), float((end - begin) * self.settings.reward_scaling), terminated, False, {}

    def orders(self, action: np.ndarray) -> np.ndarray:
        """Whole shares per asset that the action asks to trade (FinRL: ``int(a * hmax)``)."""
        # Multiply in the action's own dtype (float32 from SB3), as FinRL does: truncating
        # a float64 product could differ by one share at a boundary.
        clipped = np.clip(np.nan_to_num(np.asarray(action).reshape(-1)), -1.0, 1.0)
        return (clipped * self.hmax).astype(int)

    def plan(self, action: np.ndarray) -> tuple[np.ndarray, float]:
        """Holdings and cash the action would lead to today, without stepping."""
        cash, shares, _, _ = execute_trades(
            self.cash, self.shares, self.panel.close[self.day], self._tradable(self.day),
            self.orders(action), self.settings.cost_pct,
        )
        return shares, cash

    def equity(self) -> float:
        """Cash plus holdings at today's close, summed as FinRL sums it."""
        prices = self.panel.close[self.day]
        return float(self.cash + sum(np.array(prices) * np.array(self.shares)))

    def _tradable(self, day: int) -> np.ndarray:
        return np.asarray(self.panel.indicators[day, :, 0] != 1.0)

    def _reset_book(self) -> None:
        self.day = 0
        self.cash = float(self.settings.initial_cash)
        self.shares = np.zeros(len(self.panel.symbols), dtype=np.float64)
        self.total_costs = 0.0
        self.trades = 0
        self._equity = [self.equity()]
        self._shares_hist = [self.shares.copy()]
        self._cash_hist = [self.cash]

    def _record(self, equity: float) -> None:
        self._equity.append(equity)
        self._shares_hist.append(self.shares.copy())
        self._cash_hist.append(self.cash)

    def raw_state(self) -> np.ndarray:
        """FinRL's state: cash, prices, shares, then each indicator for every asset."""
        tech = self.panel.indicators[self.day].T.reshape(-1)
        return np.concatenate([[self.cash], self.panel.close[self.day], self.shares, tech])

    def _obs(self) -> np.ndarray:
        if not self.normalize_obs:
            return self.raw_state().astype(np.float32)
        equity = self.equity()
        weights = self.shares * self.panel.close[self.day] / equity if equity > 0 else np.zeros_like(self.shares)
        features = self.panel.features[self.day].T.reshape(-1)
        cash_share = self.cash / equity if equity > 0 else 0.0
        return np.concatenate([[cash_share], weights, features]).astype(np.float32)

    def history(self) -> pd.DataFrame:
        """One row per day so far: date, equity, cash, position value, shares per asset."""
        n = len(self._equity)
        shares = np.asarray(self._shares_hist)
        value = (shares * self.panel.close[:n]).sum(axis=1)
        frame = pd.DataFrame({
            "date": self.panel.dates[:n], "equity": self._equity, "cash": self._cash_hist, "position_value": value,
        })
        for j, symbol in enumerate(self.panel.symbols):
            frame[f"shares_{symbol}"] = shares[:, j]
        return frame
