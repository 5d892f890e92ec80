"""The FinRL shim, and our multi-asset env against FinRL's own StockTradingEnv."""

from __future__ import annotations

import importlib.util
import sys
from datetime import date

import numpy as np
import pytest

from taorui_engines.data import DataCenter
from taorui_engines.errors import UnavailableError
from taorui_engines.rl import INDICATORS, DateSpan, EnvSettings, MultiAssetEnv, load_panel
from taorui_engines.rl._env_multi import default_hmax
from taorui_engines.rl._finrl import finrl_config, finrl_submodule, stock_trading_env_class


def test_finrl_env_imports_without_running_the_finrl_package_init() -> None:
    env_class = stock_trading_env_class()

    assert env_class.__name__ == "StockTradingEnv"
    assert "alpaca_trade_api" not in sys.modules
    assert "finrl.train" not in sys.modules and "finrl.trade" not in sys.modules
    assert "yfinance" not in sys.modules


def test_finrl_config_provides_drlagent_settings_and_indicators() -> None:
    config = finrl_config()

    assert config.PPO_PARAMS["n_steps"] == 2048
    assert tuple(config.INDICATORS) == INDICATORS


def test_unlisted_finrl_submodule_is_refused() -> None:
    with pytest.raises(UnavailableError, match="not wired in"):
        finrl_submodule("finrl.meta.preprocessor.preprocessors")


def test_missing_finrl_install_is_reported_as_unavailable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(sys.modules, "finrl", raising=False)
    monkeypatch.delitem(sys.modules, "finrl.config", raising=False)
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "finrl" else real_find_spec(name, *a)
    )

    with pytest.raises(UnavailableError, match="FinRL is not installed"):
        finrl_config()


def test_finrl_import_error_is_translated(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(name: str) -> None:
        raise ModuleNotFoundError("No module named 'some_dep'")

    monkeypatch.setattr("taorui_engines.rl._finrl.importlib.import_module", broken)

    with pytest.raises(UnavailableError, match="some_dep"):
        finrl_config()


def _finrl_env(panel, settings: EnvSettings, hmax: int):  # type: ignore[no-untyped-def]
    n, k = len(panel.symbols), len(INDICATORS)
    return stock_trading_env_class()(
        df=panel.finrl_frame(), stock_dim=n, hmax=hmax, initial_amount=settings.initial_cash,
        num_stock_shares=[0] * n, buy_cost_pct=[settings.cost_pct] * n, sell_cost_pct=[settings.cost_pct] * n,
        reward_scaling=settings.reward_scaling, state_space=1 + 2 * n + k * n, action_space=n,
        tech_indicator_list=list(INDICATORS), print_verbosity=10**9,
    )


def test_multi_asset_env_gives_finrl_account_values_on_the_same_data_and_actions(data_center: DataCenter) -> None:
    panel = load_panel(data_center, ("SYN000", "SYN001", "SYN002", "SYN003"), DateSpan(start=date(2024, 1, 1), end=date(2024, 9, 30)))
    settings = EnvSettings(cost_pct=0.002)
    hmax = default_hmax(panel, settings.initial_cash)
    theirs, ours = _finrl_env(panel, settings, hmax), MultiAssetEnv(panel, settings, hmax, normalize_obs=False)
    theirs.reset()
    ours.reset()
    rng = np.random.default_rng(11)

    for step in range(len(panel) - 1):
        action = np.full(4, 0.5, np.float32) if step % 9 == 0 else rng.uniform(-1, 1, 4).astype(np.float32)
        state, reward, _, _, _ = theirs.step(action.copy())
        obs, our_reward, _, _, _ = ours.step(action.copy())
        assert np.array_equal(np.asarray(state, dtype=np.float64), ours.raw_state()), f"state differs at step {step}"
        assert our_reward == reward

    assert ours.history()["equity"].tolist() == theirs.asset_memory
    assert ours.total_costs == pytest.approx(theirs.cost, rel=1e-12)
    assert ours.history()["shares_SYN000"].max() > 0  # the actions did trade
    assert ours.history()["cash"].min() < 1_000  # and ran out of cash, so the buy limit was exercised
