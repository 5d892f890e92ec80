"""Performance metrics of an equity curve, checked against hand computations."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from taorui_engines.rl import performance


def test_metrics_of_a_small_curve_match_the_hand_computation() -> None:
    equity = pd.Series([100.0, 110.0, 99.0, 108.9])

    m = performance(equity, n_trades=3, exposure=0.5, total_costs=1.25)

    returns = np.array([0.1, -0.1, 0.1])
    assert m.cumulative_return == pytest.approx(0.089)
    assert m.annualized_return == pytest.approx(1.089 ** (252 / 3) - 1)
    assert m.annualized_volatility == pytest.approx(returns.std(ddof=1) * math.sqrt(252))
    assert m.sharpe == pytest.approx(returns.mean() / returns.std(ddof=1) * math.sqrt(252))
    assert m.sortino == pytest.approx(returns.mean() / math.sqrt(0.01 / 3) * math.sqrt(252))
    assert m.max_drawdown == pytest.approx(99 / 110 - 1)
    assert m.calmar == pytest.approx(m.annualized_return / 0.1)
    assert (m.n_trades, m.exposure, m.total_costs, m.final_equity, m.n_days) == (3, 0.5, 1.25, 108.9, 3)


def test_a_flat_curve_has_no_sharpe_rather_than_an_infinite_one() -> None:
    m = performance(pd.Series([50.0] * 10), n_trades=0, exposure=0.0, total_costs=0.0)

    assert m.sharpe is None and m.sortino is None and m.calmar is None
    assert m.cumulative_return == 0 and m.max_drawdown == 0 and m.annualized_volatility == 0


def test_a_rising_curve_has_no_drawdown_and_no_downside() -> None:
    m = performance(pd.Series([1.0, 1.01, 1.03, 1.04]), n_trades=1, exposure=1.0, total_costs=0.0)

    assert m.max_drawdown == 0 and m.sortino is None and m.sharpe is not None and m.sharpe > 0
