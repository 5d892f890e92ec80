"""taorui_engines.metrics checked against independent implementations.

Oracles: empyrical-reloaded 0.7.1 (return, risk and drawdown ratios; tracking error and
information ratio through its ``annual_volatility`` and ``excess_sharpe``) and statsmodels'
OLS on a constant with ``cov_type="HAC"`` (the Newey-West t). Both are imported here only.

Conventions where empyrical reads differently, handled explicitly below:

- It returns NaN or inf where a ratio is undefined (Sharpe of a flat series, Sortino of a
  series with no down day, Calmar without a drawdown); we return None.
- Its ``excess_sharpe`` is per period (not annualised); our information ratio is
  ``excess_sharpe * sqrt(252)``.
- It takes returns, we take an account curve: the curve is ``equity_from_returns(r)``
  (or, for the S&P 500, the closes themselves and empyrical gets their pct_change).

statsmodels' HAC default (``use_correction=False``) is the classic Newey-West estimator we
implement; ``use_correction=True`` scales the variance by n / (n - 1), which the test shows.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import empyrical
import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from arch.data import sp500
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from taorui_engines import metrics
from taorui_engines.errors import InvalidInputError

REL = 1e-9
ROOT = math.sqrt(252)


def _close(ours: float | None, oracle: float) -> bool:
    return ours is not None and math.isclose(ours, oracle, rel_tol=REL, abs_tol=0.0)


def _sp500_closes() -> pd.Series:
    return sp500.load()["Adj Close"].astype("float64")


def _series() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Name -> (equity curve for us, daily returns for empyrical)."""
    rng = np.random.default_rng(20240613)
    random_returns = rng.normal(0.0004, 0.012, 750)
    rising = rng.uniform(0.0001, 0.01, 300)
    closes = _sp500_closes()
    out = {
        "random": random_returns,
        "flat": np.zeros(300),
        "rising": rising,
    }
    series = {name: (metrics.equity_from_returns(r, 100.0), r) for name, r in out.items()}
    series["sp500"] = (closes.to_numpy(), closes.pct_change().dropna().to_numpy())
    return series


SERIES = _series()

#: metric name -> (our value from a report, empyrical's function of the returns)
ORACLE: dict[str, tuple[Callable[[metrics.PerformanceReport], float | None], Callable[[np.ndarray], float]]] = {
    "total_return": (lambda rep: rep.total_return, empyrical.cum_returns_final),
    "annualized_return": (lambda rep: rep.annualized_return, empyrical.annual_return),
    "volatility": (lambda rep: rep.volatility, empyrical.annual_volatility),
    "sharpe": (lambda rep: rep.sharpe, empyrical.sharpe_ratio),
    "sortino": (lambda rep: rep.sortino, empyrical.sortino_ratio),
    "max_drawdown": (lambda rep: rep.max_drawdown, empyrical.max_drawdown),
    "calmar": (lambda rep: rep.calmar, empyrical.calmar_ratio),
}

#: Where the ratio is undefined: we say None, empyrical says NaN (0/0) or inf (x/0).
UNDEFINED = {
    ("flat", "sharpe"): "nan",
    ("flat", "sortino"): "nan",
    ("flat", "calmar"): "nan",
    ("rising", "sortino"): "inf",
    ("rising", "calmar"): "nan",
}


@pytest.mark.parametrize("name", sorted(SERIES))
@pytest.mark.parametrize("metric", sorted(ORACLE))
def test_metric_matches_empyrical_to_1e9_relative(name: str, metric: str) -> None:
    equity, returns = SERIES[name]
    ours_of, oracle_of = ORACLE[metric]
    ours, oracle = ours_of(metrics.performance(equity)), float(oracle_of(returns))
    if (name, metric) in UNDEFINED:
        assert ours is None
        assert (math.isnan(oracle) if UNDEFINED[name, metric] == "nan" else math.isinf(oracle))
    else:
        assert _close(ours, oracle), f"{metric} on {name}: ours {ours!r}, empyrical {oracle!r}"


def test_sp500_series_is_real_and_long() -> None:
    equity, returns = SERIES["sp500"]
    assert returns.size == equity.size - 1 > 5000
    assert metrics.performance(equity).max_drawdown < -0.5  # 2008 is in it


# --- the comparison can fail -----------------------------------------------------------------


def test_positive_drawdown_convention_would_fail_the_oracle() -> None:
    equity, returns = SERIES["sp500"]
    ours, oracle = metrics.max_drawdown(equity), empyrical.max_drawdown(returns)
    positive = float(np.max(1.0 - equity / np.maximum.accumulate(equity)))  # backtest/_metrics.py's sign
    assert _close(ours, oracle)
    assert not _close(-ours, oracle)
    assert not _close(positive, oracle)


def test_arithmetic_annualisation_would_fail_the_oracle() -> None:
    _, returns = SERIES["random"]
    assert not _close(float(np.mean(returns)) * 252, empyrical.annual_return(returns))


def test_population_std_would_fail_the_oracle() -> None:
    _, returns = SERIES["random"]
    assert not _close(float(np.std(returns, ddof=0)) * ROOT, empyrical.annual_volatility(returns))


def test_rms_of_all_returns_is_not_the_downside_deviation() -> None:
    _, returns = SERIES["random"]
    wrong = float(np.mean(returns)) / float(np.sqrt(np.mean(returns**2))) * ROOT
    assert not _close(wrong, empyrical.sortino_ratio(returns))


# --- against a benchmark ---------------------------------------------------------------------


def _pair() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(7)
    bench = rng.normal(0.0003, 0.01, 600)
    return bench + rng.normal(0.0001, 0.004, 600), bench


def test_tracking_error_and_information_ratio_match_empyrical() -> None:
    strat, bench = _pair()
    rel = metrics.relative(metrics.equity_from_returns(strat), metrics.equity_from_returns(bench))
    assert _close(rel.tracking_error, empyrical.annual_volatility(strat - bench))
    # empyrical's excess_sharpe is per day; ours is annualised.
    assert _close(rel.information_ratio, empyrical.excess_sharpe(strat, bench) * ROOT)
    assert not _close(rel.information_ratio, empyrical.excess_sharpe(strat, bench))


def test_excess_return_is_geometric_not_a_difference() -> None:
    strat, bench = _pair()
    rel = metrics.relative(metrics.equity_from_returns(strat), metrics.equity_from_returns(bench))
    total, bench_total = empyrical.cum_returns_final(strat), empyrical.cum_returns_final(bench)
    ann, bench_ann = empyrical.annual_return(strat), empyrical.annual_return(bench)
    assert _close(rel.excess_total_return, (1 + total) / (1 + bench_total) - 1)
    assert _close(rel.excess_annualized_return, (1 + ann) / (1 + bench_ann) - 1)
    assert not _close(rel.excess_annualized_return, ann - bench_ann)
    assert not _close(rel.excess_annualized_return, float(np.mean(strat - bench)) * 252)


def test_benchmark_fields_are_filled_only_when_a_benchmark_is_given() -> None:
    strat, bench = _pair()
    equity = metrics.equity_from_returns(strat)
    assert metrics.performance(equity).relative is None
    report = metrics.performance(equity, benchmark_equity=metrics.equity_from_returns(bench))
    assert report.relative is not None and report.relative.active_significance is not None


# --- Newey-West t against statsmodels ----------------------------------------------------------


def _statsmodels_t(values: np.ndarray, lag: int, correction: bool) -> float:
    fit = sm.OLS(values, np.ones(values.size)).fit(
        cov_type="HAC", cov_kwds={"maxlags": lag, "use_correction": correction}
    )
    return float(fit.tvalues[0])


@pytest.mark.parametrize("name", ["random", "sp500"])
@pytest.mark.parametrize("lag", [0, 1, 6, 20])
def test_newey_west_t_matches_statsmodels_hac_without_correction(name: str, lag: int) -> None:
    _, returns = SERIES[name]
    assert _close(metrics.newey_west_t(returns, lag), _statsmodels_t(returns, lag, correction=False))


def test_statsmodels_small_sample_correction_scales_t_by_sqrt_n_minus_1_over_n() -> None:
    _, returns = SERIES["random"]
    ours, n = metrics.newey_west_t(returns, 6), returns.size
    assert ours is not None
    corrected = _statsmodels_t(returns, 6, correction=True)
    assert not _close(ours, corrected)
    assert _close(ours * math.sqrt((n - 1) / n), corrected)


def test_lag_zero_is_the_iid_t_with_population_std() -> None:
    _, returns = SERIES["random"]
    iid = float(np.mean(returns) / (np.std(returns, ddof=0) / math.sqrt(returns.size)))
    assert _close(metrics.newey_west_t(returns, 0), iid)


@pytest.mark.parametrize(("n", "overlap", "lag"), [(100, 1, 4), (1000, 1, 6), (5000, 1, 9), (1000, 5, 6),
                                                   (1000, 10, 9), (3, 1, 1), (10, 20, 9)])
def test_lag_rule_is_max_of_overlap_and_newey_west_1994(n: int, overlap: int, lag: int) -> None:
    assert metrics.newey_west_lag(n, overlap) == lag


def test_naive_t_of_overlapping_5_day_returns_is_inflated_against_hac() -> None:
    # iid days with a small drift: overlapping 5-day returns carry no more information
    # than the days they are made of, so an honest t must stay near the daily one.
    daily = np.random.default_rng(1).normal(0.0004, 0.01, 2000)
    five_day = metrics.overlapping_returns(daily, 5)
    sig, daily_sig = metrics.mean_significance(five_day, overlap=5), metrics.mean_significance(daily)
    assert sig.t_stat is not None and sig.naive_t is not None and daily_sig.t_stat is not None
    assert sig.lag == 7  # rule floor(4 (1996/100)^(2/9)) = 7 beats overlap - 1 = 4
    assert _close(sig.t_stat, _statsmodels_t(five_day, sig.lag, correction=False))
    assert sig.naive_t / sig.t_stat > 1.6  # about sqrt(5) = 2.24 in theory
    assert 0.8 < sig.t_stat / daily_sig.t_stat < 1.25
    # This seed illustrates the trap: the naive t reads "significant", the HAC t does not.
    assert sig.naive_t > 2.0 and sig.indistinguishable_from_noise is True


def test_daily_returns_naive_and_hac_t_agree_roughly() -> None:
    sig = metrics.mean_significance(np.random.default_rng(1).normal(0.0004, 0.01, 2000))
    assert sig.naive_t is not None and sig.t_stat is not None
    assert 0.8 < sig.naive_t / sig.t_stat < 1.25


def test_overlapping_returns_compound_each_window() -> None:
    daily = np.array([0.1, -0.1, 0.2, 0.0])
    expected = [1.1 * 0.9 - 1, 0.9 * 1.2 - 1, 1.2 * 1.0 - 1]
    assert np.allclose(metrics.overlapping_returns(daily, 2), expected, rtol=1e-12)


@pytest.mark.parametrize(("t", "noise"), [(1.99, True), (-1.5, True), (2.0, False), (-2.5, False)])
def test_noise_threshold_is_abs_t_below_2(t: float, noise: bool) -> None:
    assert metrics.indistinguishable_from_noise(t) is noise


def test_constant_values_have_no_t() -> None:
    sig = metrics.mean_significance(np.full(50, 0.001))
    assert sig.t_stat is None and sig.indistinguishable_from_noise is None
    assert metrics.newey_west_t(np.full(50, 0.001)) is None


# --- drawdown duration, trading and costs (hand-computed) --------------------------------------


def test_drawdown_duration_counts_the_longest_run_below_a_peak() -> None:
    equity = [100, 110, 99, 105, 108, 111, 90, 95]
    assert metrics.max_drawdown_duration(equity) == 3
    assert metrics.max_drawdown(equity) == pytest.approx(90 / 111 - 1, rel=1e-12)
    assert metrics.max_drawdown_duration([100, 101, 102]) == 0
    assert metrics.max_drawdown_duration([100, 90, 80]) == 2  # never recovers: to the end


def test_a_fall_from_the_starting_value_counts_as_drawdown() -> None:
    assert metrics.max_drawdown([100, 95, 97]) == pytest.approx(-0.05, rel=1e-12)


def test_turnover_exposure_and_cost_drag() -> None:
    equity = [100.0, 100.0, 110.0, 90.0, 100.0]
    before = [100.0, 101.0, 111.0, 91.0, 102.0]
    report = metrics.performance(
        equity, equity_before_costs=before, traded_value=[100, 0, 50, 0], position_value=[100, 110, 0, 0],
        periods_per_year=4,
    )
    assert report.turnover == pytest.approx(150 / 100 * 4 / 4, rel=1e-12)
    assert report.time_in_market == pytest.approx(0.5, rel=1e-12)
    assert report.average_exposure == pytest.approx((1 + 1 + 0 + 0) / 4, rel=1e-12)
    assert report.annualized_return_before_costs == pytest.approx(0.02, rel=1e-12)
    assert report.cost_drag == pytest.approx(0.02 - 0.0, abs=1e-12)


def test_trading_fields_stay_none_when_not_given() -> None:
    report = metrics.performance([100.0, 101.0, 102.0])
    assert report.turnover is report.time_in_market is report.average_exposure is report.cost_drag is None


# --- bad input --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("equity", "message"),
    [([100.0], "at least 2 points"), ([100.0, float("nan"), 101.0], "missing or infinite"),
     ([100.0, 0.0], "above 0"), ([100.0, -5.0, 3.0], "above 0"), ([], "at least 2 points"),
     ([[1.0, 2.0]], "one series")],
)
def test_bad_equity_raises_invalid_input_with_an_actionable_message(equity: list[object], message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        metrics.performance(equity)


def test_mismatched_inputs_raise_invalid_input() -> None:
    days = pd.bdate_range("2024-01-01", periods=4)
    equity = pd.Series([100.0, 101, 102, 103], index=days)
    with pytest.raises(InvalidInputError, match="same dates"):
        metrics.relative(equity, pd.Series([1.0, 1, 1, 1], index=days + pd.Timedelta(days=1)))
    with pytest.raises(InvalidInputError, match="points"):
        metrics.relative([100.0, 101.0, 102.0], [1.0, 1.0])
    with pytest.raises(InvalidInputError, match="one value per bar"):
        metrics.performance(equity.to_numpy(), traded_value=[1.0, 2.0, 3.0, 4.0])
    with pytest.raises(InvalidInputError, match="dates of equity"):
        metrics.performance(equity, position_value=pd.Series([1.0, 1, 1], index=days[:3]))


def test_bad_parameters_raise_invalid_input() -> None:
    with pytest.raises(InvalidInputError, match="periods_per_year"):
        metrics.performance([1.0, 2.0], periods_per_year=0)
    with pytest.raises(InvalidInputError, match="lag"):
        metrics.newey_west_t([0.1, 0.2, 0.3], lag=3)
    with pytest.raises(InvalidInputError, match="above -100%"):
        metrics.equity_from_returns([0.1, -1.0])


def test_report_is_frozen() -> None:
    report = metrics.performance([100.0, 101.0, 99.0])
    with pytest.raises(ValidationError):
        report.sharpe = 1.0


# --- invariants ---------------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(min_value=-0.5, max_value=0.5, allow_nan=False), min_size=2, max_size=60))
def test_drawdown_is_never_positive_and_matches_empyrical(returns: list[float]) -> None:
    r = np.asarray(returns)
    ours = metrics.max_drawdown(metrics.equity_from_returns(r, 50.0))
    assert ours <= 0.0
    assert ours == pytest.approx(float(empyrical.max_drawdown(r)), rel=1e-9, abs=1e-15)


def test_public_names_are_pinned() -> None:
    assert set(metrics.__all__) == {
        "NOISE_T", "PERIODS_PER_YEAR", "MeanSignificance", "PerformanceReport", "RelativeReport", "SeriesLike",
        "annualized_return", "drawdown", "equity_from_returns", "indistinguishable_from_noise", "max_drawdown",
        "max_drawdown_duration", "mean_significance", "newey_west_lag", "newey_west_t", "overlapping_returns",
        "performance", "relative", "relative_summary", "returns_from_equity", "sharpe_ratio", "sortino_ratio", "total_return",
        "volatility",
    }
