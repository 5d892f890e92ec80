"""A batch of :class:`SingleAssetEnv` accounts stepped together, as one SB3 ``VecEnv``.

Why: a Python env pays its interpreter overhead once per account per step (about 120k steps/s
here), and SB3's ``DummyVecEnv`` adds its own loop on top; on-policy training with many envs
then spends its time in that loop. Here every account is a row of a few numpy arrays, so one
step costs a handful of array operations whatever the batch size.

The rules are :class:`SingleAssetEnv`'s, operation for operation in the same float64 order, so
each row reproduces the single env's observations, rewards and ends bit for bit (the tests
pin this): next-open fills in whole lots, buying limited by cash, costs per side, optional
short, reward = change of account value x ``reward_scaling``, an episode ends on the last day
or when the account is worth nothing.

SB3's ``VecEnv`` contract: a finished env is reset at once; the step returns the new
episode's first observation and puts the last one in ``info["terminal_observation"]``.

``start_days`` (optional) starts each row's *first* episode on a later day, with a fresh
account. Without it every row sits on the same day, so a rollout of ``n`` steps over ``k``
rows sees only ``n`` distinct market days; staggered starts spread the batch over the window,
and since every later episode starts at day 0 and lasts as long, the stagger persists.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from taorui_engines.errors import InternalError
from taorui_engines.rl._data import Panel
from taorui_engines.rl._env_single import SingleAssetEnv
from taorui_engines.rl._models import EnvSettings
from taorui_engines.rl._train import _import_sb3

_import_sb3()  # before SB3's own modules: the legacy gym banner goes to the debug log
from stable_baselines3.common.vec_env import VecEnv  # noqa: E402

__all__ = ["SingleAssetVecEnv", "spread_start_days"]

#: Per-row state, readable with ``get_attr`` under the single env's attribute names.
_ROW_STATE = ("day", "cash", "units", "total_costs", "trades")


def spread_start_days(n_envs: int, n_days: int) -> list[int]:
    """First-episode start days spread evenly over a window of ``n_days`` days (row 0 at day 0)."""
    return [i * (n_days - 1) // n_envs for i in range(n_envs)]


class SingleAssetVecEnv(VecEnv):  # type: ignore[misc]
    """``n_envs`` single-asset accounts over one :class:`Panel` (see the module docstring)."""

    def __init__(
        self, panel: Panel, settings: EnvSettings, n_envs: int, start_days: Sequence[int] | None = None
    ) -> None:
        if n_envs < 1:
            raise InternalError(f"n_envs must be at least 1, got {n_envs}")
        template = SingleAssetEnv(panel, settings)  # validates the panel; the spaces and max_units
        self.panel, self.settings = panel, settings
        self.max_units = template.max_units
        self._open = np.ascontiguousarray(panel.open[:, 0], dtype=np.float64)
        self._close = np.ascontiguousarray(panel.close[:, 0], dtype=np.float64)
        self._features = np.ascontiguousarray(panel.features[:, 0, :], dtype=np.float32)
        self._last_day = len(panel) - 1
        self._start_days = self._checked_starts(start_days, n_envs)
        self._low = -1.0 if settings.allow_short else 0.0
        self._unit_cost_factor = 1 + settings.cost_pct
        self._actions = np.zeros(n_envs, dtype=np.float64)
        self.day = self._start_days.copy()
        self.cash = np.full(n_envs, float(settings.initial_cash))
        self.units = np.zeros(n_envs, dtype=np.int64)
        self.total_costs = np.zeros(n_envs)
        self.trades = np.zeros(n_envs, dtype=np.int64)
        self.render_mode = None  # read by VecEnv.__init__ through get_attr
        super().__init__(n_envs, template.observation_space, template.action_space)

    def _checked_starts(self, start_days: Sequence[int] | None, n_envs: int) -> np.ndarray:
        if start_days is None:
            return np.zeros(n_envs, dtype=np.int64)
        starts = np.asarray(start_days, dtype=np.int64)
        if starts.shape != (n_envs,) or starts.min() < 0 or starts.max() >= self._last_day:
            raise InternalError(f"start_days needs {n_envs} days in [0, {self._last_day}), got {list(start_days)}")
        return starts

    # VecEnv API ----------------------------------------------------------------------
    def reset(self) -> np.ndarray:
        """Every row back to its first-episode start day, all cash."""
        self._reset_rows(np.arange(self.num_envs), self._start_days)
        self._reset_seeds()  # nothing here is random: a seed changes no trajectory
        self._reset_options()
        self.reset_infos = [{} for _ in range(self.num_envs)]
        return self._obs()

    def step_async(self, actions: np.ndarray) -> None:
        """Keep the actions (one per row) for :meth:`step_wait`."""
        self._actions = np.asarray(actions, dtype=np.float64).reshape(self.num_envs)

    def step_wait(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[dict[str, Any]]]:
        """Fill every row at the next open, mark it at the next close, reset the finished rows."""
        day, cash, units = self.day, self.cash, self.units
        before = cash + units * self._close[day]
        price = self._open[day + 1]
        target = self._targets(price)
        delta = target - units
        cost = np.abs(delta) * price * self.settings.cost_pct
        cash -= delta * price + cost  # a zero delta adds exactly 0.0, as the single env's skip
        self.total_costs += cost
        self.trades += delta != 0
        self.units = target
        day += 1
        after = cash + target * self._close[day]
        rewards = (after - before) * self.settings.reward_scaling
        dones = (day >= self._last_day) | (after <= 0)
        obs = self._obs()
        infos: list[dict[str, Any]] = [{} for _ in range(self.num_envs)]
        if dones.any():
            self._finish(np.flatnonzero(dones), obs, infos)
        return obs, rewards, dones, infos

    def close(self) -> None:
        """Nothing to release."""

    def get_attr(self, attr_name: str, indices: Any = None) -> list[Any]:
        """Per-row state (``cash``, ``units``, ...) per row, as a list of single envs would give;
        anything else is shared by the rows."""
        rows = list(self._get_indices(indices))
        if attr_name in _ROW_STATE:
            return getattr(self, attr_name)[rows].tolist()  # type: ignore[no-any-return]
        return [getattr(self, attr_name)] * len(rows)

    def set_attr(self, attr_name: str, value: Any, indices: Any = None) -> None:
        """Per-row state can be set per row; the rules are shared and fixed at construction."""
        if attr_name not in _ROW_STATE:
            raise InternalError(f"{attr_name!r} is shared by every row of a SingleAssetVecEnv")
        getattr(self, attr_name)[list(self._get_indices(indices))] = value

    def env_method(self, method_name: str, *method_args: Any, indices: Any = None, **method_kwargs: Any) -> list[Any]:
        """Refused: the rows are array slots, not env objects (build a SingleAssetEnv to call its methods)."""
        raise InternalError(f"SingleAssetVecEnv has no per-row env to call {method_name!r} on")

    def env_is_wrapped(self, wrapper_class: type, indices: Any = None) -> list[bool]:
        """No row is wrapped (a ``VecMonitor`` wraps the batch as a whole)."""
        return [False] * len(list(self._get_indices(indices)))

    # rules -----------------------------------------------------------------------------
    def _targets(self, price: np.ndarray) -> np.ndarray:
        """``SingleAssetEnv.target_units`` for every row at once."""
        a = self._actions
        a = np.clip(np.where(np.isfinite(a), a, 0.0), self._low, 1.0)
        lot = self.settings.lot_size
        target = np.rint(a * self.max_units / lot).astype(np.int64) * lot
        buying = target > self.units
        if buying.any():
            unit_cost = price * self._unit_cost_factor
            affordable = np.floor(np.maximum(self.cash, 0.0) / unit_cost / lot).astype(np.int64) * lot
            target = np.where(buying, np.minimum(target, self.units + affordable), target)
        return target

    def _finish(self, rows: np.ndarray, obs: np.ndarray, infos: list[dict[str, Any]]) -> None:
        """Hand each finished row's last observation over in its info, then start it again at day 0."""
        for row, last in zip(rows.tolist(), obs[rows], strict=True):
            infos[row]["terminal_observation"] = last
            infos[row]["TimeLimit.truncated"] = False
        self._reset_rows(rows, np.zeros(len(rows), dtype=np.int64))
        obs[rows] = self._obs_rows(rows)

    def _reset_rows(self, rows: np.ndarray, days: np.ndarray) -> None:
        self.day[rows] = days
        self.cash[rows] = float(self.settings.initial_cash)
        self.units[rows] = 0
        self.total_costs[rows] = 0.0
        self.trades[rows] = 0

    def _obs(self) -> np.ndarray:
        obs = np.empty((self.num_envs, self._features.shape[1] + 1), dtype=np.float32)
        obs[:, :-1] = self._features[self.day]
        obs[:, -1] = self.units / self.max_units
        return obs

    def _obs_rows(self, rows: np.ndarray) -> np.ndarray:
        obs = np.empty((len(rows), self._features.shape[1] + 1), dtype=np.float32)
        obs[:, :-1] = self._features[self.day[rows]]
        obs[:, -1] = self.units[rows] / self.max_units
        return obs
