"""One set of performance numbers for every engine, with one set of conventions.

The Backtrader, FinRL and Qlib engines used to compute these each their own way (drawdown
positive in one, negative in another, excess return as an arithmetic mean x 252 in the
third), so the same strategy could read differently depending on the engine. Everything
here follows the conventions below; docs/metrics.md repeats them and
tests/test_metrics_oracle.py checks them against empyrical and statsmodels.

Conventions
-----------
- **Input.** A daily account-value (equity) series ``V_0 .. V_n`` whose first value is the
  starting value, or daily simple returns ``r_1 .. r_n`` turned into one with
  :func:`equity_from_returns`. ``r_t = V_t / V_{t-1} - 1``; ``n`` is the number of returns.
  ``periods_per_year`` is 252 unless given; the risk-free rate is 0.
- **Return.** ``total = V_n / V_0 - 1``; annualised geometrically:
  ``(1 + total) ** (periods_per_year / n) - 1``.
- **Risk.** Volatility is ``std(r, ddof=1) * sqrt(P)``; Sharpe ``mean(r) / std(r, ddof=1) *
  sqrt(P)``; Sortino ``mean(r) / sqrt(mean(min(r, 0)^2)) * sqrt(P)`` (downside deviation
  over all days, zeros for the up days).
- **Drawdown is negative.** ``V_t / max(V_0..V_t) - 1``; the max drawdown is its minimum
  (0 when the account never falls). The duration is the longest run of bars below an
  earlier peak, to recovery or to the end. Calmar is ``annualised / |max drawdown|``.
- **Against a benchmark.** Active return ``a_t = r_t - b_t``; tracking error
  ``std(a, ddof=1) * sqrt(P)``; information ratio ``mean(a) / std(a, ddof=1) * sqrt(P)``.
  Excess return is geometric: ``(1 + total) / (1 + bench_total) - 1`` over the window and
  ``(1 + ann) / (1 + bench_ann) - 1`` a year.
- **Significance of a mean** uses a Newey-West (Bartlett kernel, no small-sample correction,
  like statsmodels' default) standard error with lag ``max(k - 1, floor(4 (n/100)^(2/9)))``,
  ``k`` being the overlap of the values (1 for daily returns, k for overlapping k-day
  returns). ``|t| < 2`` reads as indistinguishable from noise.
- **Trading.** Traded and position values come one per bar (aligned with ``V_1 .. V_n``).
  Turnover is ``sum |traded| / mean(V_1..V_n)`` per year (``x P / n``); cost drag is the
  annualised return before costs minus after. Time in market is the share of bars with a
  non-zero position; average exposure is ``mean(|position_t| / V_t)``.
- **Undefined is None**, never 0 or infinity: a Sharpe of a series with no variance, a
  Sortino with no down day, a Calmar with no drawdown.

Bad input (fewer than two points, NaN or infinite values, non-positive equity, a return of
-100% or worse, series of different lengths or dates) raises
:class:`~taorui_engines.errors.InvalidDataError`; a bad parameter raises
:class:`~taorui_engines.errors.InvalidArgumentError`. Both are ``InvalidInputError``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TypeAlias, TypedDict

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from taorui_engines.errors import InvalidArgumentError, InvalidDataError

__all__ = [
    "NOISE_T",
    "PERIODS_PER_YEAR",
    "MeanSignificance",
    "PerformanceReport",
    "RelativeReport",
    "SeriesLike",
    "annualized_return",
    "drawdown",
    "equity_from_returns",
    "indistinguishable_from_noise",
    "max_drawdown",
    "max_drawdown_duration",
    "mean_significance",
    "newey_west_lag",
    "newey_west_t",
    "overlapping_returns",
    "performance",
    "relative",
    "relative_summary",
    "returns_from_equity",
    "sharpe_ratio",
    "sortino_ratio",
    "total_return",
    "volatility",
]

#: Trading days in a year, the default annualisation.
PERIODS_PER_YEAR = 252
#: ``|t|`` below this reads as "indistinguishable from noise" (about 95% two-sided).
NOISE_T = 2.0
#: Below this relative size a spread of values is floating-point noise, not variance:
#: returns recomputed from a compounded curve differ from their constant in the last bits,
#: and dividing by that residue would print a Sharpe of 1e13 instead of "undefined".
_ZERO_SPREAD = 1e-12

#: What the functions accept: a pandas Series, a 1-D numpy array or a list of floats.
SeriesLike: TypeAlias = pd.Series | np.ndarray | Sequence[float]


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class MeanSignificance(_Frozen):
    """Whether the mean of a series (e.g. daily active returns) is distinguishable from zero."""

    n: int = Field(description="Number of values the mean is taken over.")
    overlap: int = Field(description="Days each value spans (1: daily; k: overlapping k-day returns).")
    lag: int = Field(description="Newey-West lag used.")
    mean: float = Field(description="Mean of the values.")
    naive_t: float | None = Field(description="mean / (std(ddof=1) / sqrt(n)); inflated when values overlap.")
    standard_error: float = Field(description="Newey-West (HAC, Bartlett) standard error of the mean.")
    t_stat: float | None = Field(description="mean / Newey-West standard error; None without variance.")
    indistinguishable_from_noise: bool | None = Field(
        description="True when |t| < 2: the mean may well be zero. None when t is undefined."
    )


class RelativeReport(_Frozen):
    """A strategy against a benchmark over the same days."""

    benchmark_total_return: float = Field(description="Benchmark V_n / V_0 - 1.")
    benchmark_annualized_return: float = Field(description="Benchmark, compounded per year.")
    excess_total_return: float = Field(description="(1 + total) / (1 + benchmark total) - 1.")
    excess_annualized_return: float = Field(description="(1 + annualised) / (1 + benchmark annualised) - 1.")
    tracking_error: float | None = Field(description="std(daily active return, ddof=1) x sqrt(P).")
    information_ratio: float | None = Field(description="mean / std(ddof=1) of daily active return x sqrt(P).")
    active_significance: MeanSignificance | None = Field(
        description="Newey-West t of the mean daily active return; None with a single day."
    )


class PerformanceReport(_Frozen):
    """Headline numbers of one equity curve. None marks a number that is undefined or not asked for."""

    periods_per_year: int = Field(description="Bars per year used to annualise.")
    n_returns: int = Field(description="Number of daily returns (equity points - 1).")
    start_value: float = Field(description="V_0, the starting account value.")
    end_value: float = Field(description="V_n, the final account value.")
    total_return: float = Field(description="V_n / V_0 - 1.")
    annualized_return: float = Field(description="(1 + total) ** (P / n) - 1.")
    volatility: float | None = Field(description="std(r, ddof=1) x sqrt(P); None with one return.")
    sharpe: float | None = Field(description="mean(r) / std(r, ddof=1) x sqrt(P); None without variance.")
    sortino: float | None = Field(description="mean(r) / sqrt(mean(min(r,0)^2)) x sqrt(P); None with no down day.")
    max_drawdown: float = Field(description="Most negative V_t / running peak - 1 (0 if it never falls).")
    max_drawdown_duration: int = Field(description="Longest run of bars below an earlier peak.")
    calmar: float | None = Field(description="annualised return / |max drawdown|; None without drawdown.")
    relative: RelativeReport | None = Field(description="Against the benchmark, when one was given.")
    annualized_return_before_costs: float | None = Field(description="From the before-costs curve, when given.")
    cost_drag: float | None = Field(description="Annualised return before costs minus after, when given.")
    turnover: float | None = Field(description="sum |traded value| / mean equity, per year, when given.")
    time_in_market: float | None = Field(description="Share of bars with a non-zero position, when given.")
    average_exposure: float | None = Field(description="mean(|position value| / equity), when given.")


# --- input checks -------------------------------------------------------------------------


def _as_array(values: SeriesLike, name: str) -> np.ndarray:
    try:
        array = np.asarray(values, dtype="float64")
    except (TypeError, ValueError) as exc:
        raise InvalidDataError(f"{name} must be numbers ({exc})") from exc
    if array.ndim != 1:
        raise InvalidDataError(f"{name} must be one series of numbers, got shape {array.shape}")
    bad = np.flatnonzero(~np.isfinite(array))
    if bad.size:
        raise InvalidDataError(
            f"{name} has {bad.size} missing or infinite value(s), the first at position {bad[0]}; "
            "fill or drop them before computing metrics"
        )
    return array


def _equity(values: SeriesLike, name: str = "equity") -> np.ndarray:
    array = _as_array(values, name)
    if array.size < 2:
        raise InvalidDataError(f"{name} needs at least 2 points (a start and an end), got {array.size}")
    bad = np.flatnonzero(array <= 0)
    if bad.size:
        raise InvalidDataError(
            f"{name} must stay above 0, but position {bad[0]} is {array[bad[0]]:g}; "
            "metrics of a wiped-out account are undefined"
        )
    return array


def _returns(values: SeriesLike, name: str = "returns", minimum: int = 1) -> np.ndarray:
    array = _as_array(values, name)
    if array.size < minimum:
        raise InvalidDataError(f"{name} needs at least {minimum} value(s), got {array.size}")
    bad = np.flatnonzero(array <= -1.0)
    if bad.size:
        raise InvalidDataError(
            f"{name} must be simple returns above -100%, but position {bad[0]} is {array[bad[0]]:g}"
        )
    return array


def _periods(periods_per_year: int) -> int:
    if isinstance(periods_per_year, bool) or not isinstance(periods_per_year, int | np.integer) \
            or periods_per_year < 1:
        raise InvalidArgumentError(f"periods_per_year must be a positive whole number, got {periods_per_year!r}")
    return int(periods_per_year)


def _check_same_days(a: SeriesLike, b: SeriesLike, what: str) -> None:
    """Two pandas series must share their dates: pairing them by position could mix up days."""
    if isinstance(a, pd.Series) and isinstance(b, pd.Series) and not a.index.equals(b.index):
        raise InvalidDataError(f"{what} do not have the same dates; align them (e.g. .reindex) first")


def _per_bar(equity: SeriesLike, values: SeriesLike | None, name: str) -> np.ndarray | None:
    """A per-bar series aligned with ``equity[1:]`` (the start has no bar of its own)."""
    if values is None:
        return None
    if isinstance(equity, pd.Series) and isinstance(values, pd.Series) and not values.index.equals(equity.index[1:]):
        raise InvalidDataError(f"{name} must have the dates of equity after its first one (equity.index[1:])")
    array, n_returns = _as_array(values, name), len(equity) - 1
    if array.size != n_returns:
        raise InvalidDataError(
            f"{name} needs one value per bar after the start ({n_returns}, aligned with equity[1:]), "
            f"got {array.size}"
        )
    return array


def _no_spread(values: np.ndarray) -> bool:
    """All values equal, up to floating-point residue: a ratio over their std is undefined."""
    return bool(np.ptp(values) <= _ZERO_SPREAD * np.max(np.abs(values)))


# --- conversions --------------------------------------------------------------------------


def returns_from_equity(equity: SeriesLike) -> np.ndarray:
    """Daily simple returns ``V_t / V_{t-1} - 1`` (one fewer than the equity points)."""
    values = _equity(equity)
    return values[1:] / values[:-1] - 1.0


def equity_from_returns(returns: SeriesLike, start: float = 1.0) -> np.ndarray:
    """The account curve ``start, start (1 + r_1), ...``: one more point than returns."""
    if not (math.isfinite(start) and start > 0):
        raise InvalidArgumentError(f"start must be a positive number, got {start!r}")
    growth = np.cumprod(1.0 + _returns(returns))
    return np.concatenate(([start], start * growth))


def overlapping_returns(returns: SeriesLike, k: int) -> np.ndarray:
    """Compounded k-day returns starting on every day (``n - k + 1`` of them, overlapping)."""
    daily = _returns(returns)
    if not 1 <= k <= daily.size:
        raise InvalidArgumentError(f"k must be between 1 and the number of returns ({daily.size}), got {k}")
    growth = np.concatenate(([1.0], np.cumprod(1.0 + daily)))
    return growth[k:] / growth[:-k] - 1.0


# --- one-number metrics -------------------------------------------------------------------


def total_return(equity: SeriesLike) -> float:
    """``V_n / V_0 - 1``."""
    values = _equity(equity)
    return float(values[-1] / values[0] - 1.0)


def annualized_return(equity: SeriesLike, periods_per_year: int = PERIODS_PER_YEAR) -> float:
    """Compound annual growth: ``(V_n / V_0) ** (P / n) - 1`` with ``n`` returns."""
    values = _equity(equity)
    growth = values[-1] / values[0]
    return float(growth ** (_periods(periods_per_year) / (values.size - 1)) - 1.0)


def volatility(returns: SeriesLike, periods_per_year: int = PERIODS_PER_YEAR) -> float | None:
    """``std(r, ddof=1) * sqrt(P)``; None with fewer than two returns (no sample std)."""
    daily = _returns(returns)
    if daily.size < 2:
        return None
    return float(np.std(daily, ddof=1) * math.sqrt(_periods(periods_per_year)))


def sharpe_ratio(returns: SeriesLike, periods_per_year: int = PERIODS_PER_YEAR) -> float | None:
    """``mean(r) / std(r, ddof=1) * sqrt(P)`` (risk-free 0); None when the returns do not vary."""
    return _mean_over_std(_returns(returns), _periods(periods_per_year))


def sortino_ratio(returns: SeriesLike, periods_per_year: int = PERIODS_PER_YEAR) -> float | None:
    """``mean(r) / sqrt(mean(min(r, 0)^2)) * sqrt(P)``; None when no day lost money."""
    daily = _returns(returns)
    downside = float(np.sqrt(np.mean(np.minimum(daily, 0.0) ** 2)))
    if downside == 0.0:
        return None
    return float(np.mean(daily) / downside * math.sqrt(_periods(periods_per_year)))


def _mean_over_std(values: np.ndarray, periods_per_year: int) -> float | None:
    if values.size < 2 or _no_spread(values):
        return None
    return float(np.mean(values) / np.std(values, ddof=1) * math.sqrt(periods_per_year))


def drawdown(equity: SeriesLike) -> np.ndarray:
    """``V_t / max(V_0..V_t) - 1`` at each point: 0 at a new high, negative below it."""
    values = _equity(equity)
    return values / np.maximum.accumulate(values) - 1.0


def max_drawdown(equity: SeriesLike) -> float:
    """The most negative drawdown (a fall of 30% is -0.30); 0 when the account never falls."""
    return float(np.min(drawdown(equity)))


def max_drawdown_duration(equity: SeriesLike) -> int:
    """Longest run of consecutive bars below an earlier peak, to recovery or to the end.

    A fall smaller than 1e-12 (floating-point residue of a round trip) does not count.
    """
    under = (drawdown(equity) < -_ZERO_SPREAD).astype("int8")
    edges = np.flatnonzero(np.diff(np.concatenate(([0], under, [0]))))
    return int(np.max(edges[1::2] - edges[::2])) if edges.size else 0


def _calmar(annual: float, max_dd: float) -> float | None:
    return None if max_dd == 0.0 else annual / abs(max_dd)


# --- significance of a mean ---------------------------------------------------------------


def newey_west_lag(n: int, overlap: int = 1) -> int:
    """``max(overlap - 1, floor(4 (n / 100) ** (2/9)))``, kept below ``n``.

    The rule-of-thumb lag (Newey and West 1994) covers ordinary autocorrelation; overlapping
    k-day returns share k - 1 days with their neighbours, so the lag must reach that far too.
    """
    if n < 2 or overlap < 1:
        raise InvalidArgumentError(f"need n >= 2 and overlap >= 1, got n={n}, overlap={overlap}")
    rule = math.floor(4.0 * (n / 100.0) ** (2.0 / 9.0))
    return min(max(overlap - 1, rule), n - 1)


def _newey_west_se(values: np.ndarray, lag: int) -> float:
    """HAC standard error of the mean: ``sqrt((g_0 + 2 sum_j (1 - j/(L+1)) g_j) / n)``."""
    n = values.size
    u = values - np.mean(values)
    long_run = float(u @ u) / n
    for j in range(1, lag + 1):
        long_run += 2.0 * (1.0 - j / (lag + 1.0)) * float(u[j:] @ u[:-j]) / n
    return math.sqrt(max(long_run, 0.0) / n)


def _lag_for(values: np.ndarray, lag: int | None, overlap: int) -> int:
    if values.size < 2:
        raise InvalidDataError(f"a t-statistic needs at least 2 values, got {values.size}")
    if lag is None:
        return newey_west_lag(values.size, overlap)
    if not 0 <= lag < values.size:
        raise InvalidArgumentError(f"lag must be between 0 and n - 1 ({values.size - 1}), got {lag}")
    return lag


def newey_west_t(values: SeriesLike, lag: int | None = None, *, overlap: int = 1) -> float | None:
    """``mean / Newey-West standard error``; None when the values do not vary.

    ``lag`` None picks :func:`newey_west_lag` for ``overlap``. No small-sample correction,
    matching statsmodels' ``cov_type="HAC"`` default (``use_correction=False``).
    """
    array = _as_array(values, "values")
    used = _lag_for(array, lag, overlap)
    if _no_spread(array):
        return None
    return float(np.mean(array) / _newey_west_se(array, used))


def indistinguishable_from_noise(t_stat: float, threshold: float = NOISE_T) -> bool:
    """True when ``|t| < threshold`` (2 by default): the mean may well be zero."""
    return abs(t_stat) < threshold


def mean_significance(values: SeriesLike, *, overlap: int = 1, lag: int | None = None) -> MeanSignificance:
    """Naive and Newey-West t of a mean, and whether it is indistinguishable from noise."""
    array = _as_array(values, "values")
    used = _lag_for(array, lag, overlap)
    flat = _no_spread(array)
    mean = float(np.mean(array))
    se = _newey_west_se(array, used)
    t = None if flat else mean / se
    naive = None if flat else mean / (float(np.std(array, ddof=1)) / math.sqrt(array.size))
    return MeanSignificance(
        n=array.size, overlap=overlap, lag=used, mean=mean, naive_t=naive, standard_error=se,
        t_stat=t, indistinguishable_from_noise=None if t is None else indistinguishable_from_noise(t),
    )


# --- reports ------------------------------------------------------------------------------


def relative(
    equity: SeriesLike, benchmark_equity: SeriesLike, *, periods_per_year: int = PERIODS_PER_YEAR
) -> RelativeReport:
    """A strategy's curve against a benchmark's curve over the same days (same length)."""
    _check_same_days(equity, benchmark_equity, "equity and benchmark_equity")
    ours, bench = _equity(equity), _equity(benchmark_equity, "benchmark_equity")
    if ours.size != bench.size:
        raise InvalidDataError(f"equity has {ours.size} points but benchmark_equity {bench.size}; align them first")
    ppy = _periods(periods_per_year)
    active = (ours[1:] / ours[:-1]) - (bench[1:] / bench[:-1])
    total, bench_total = total_return(ours), total_return(bench)
    ann, bench_ann = annualized_return(ours, ppy), annualized_return(bench, ppy)
    return RelativeReport(
        benchmark_total_return=bench_total, benchmark_annualized_return=bench_ann,
        excess_total_return=(1.0 + total) / (1.0 + bench_total) - 1.0,
        excess_annualized_return=(1.0 + ann) / (1.0 + bench_ann) - 1.0,
        tracking_error=volatility(active, ppy),
        information_ratio=_mean_over_std(active, ppy),
        active_significance=mean_significance(active) if active.size >= 2 else None,
    )


class _Trading(TypedDict):
    turnover: float | None
    time_in_market: float | None
    average_exposure: float | None


class _Costs(TypedDict):
    annualized_return_before_costs: float | None
    cost_drag: float | None


def _trading(values: np.ndarray, traded: np.ndarray | None, position: np.ndarray | None, ppy: int) -> _Trading:
    bars = values[1:]
    turnover = None if traded is None else float(np.sum(np.abs(traded)) / np.mean(bars) * ppy / bars.size)
    if position is None:
        return _Trading(turnover=turnover, time_in_market=None, average_exposure=None)
    share = np.abs(position) / bars
    # A position under a billionth of the account is rounding left by a closed trade.
    return _Trading(turnover=turnover, time_in_market=float(np.mean(share > 1e-9)),
                    average_exposure=float(np.mean(share)))


def _costs(equity: SeriesLike, values: np.ndarray, before: SeriesLike | None, ppy: int) -> _Costs:
    if before is None:
        return _Costs(annualized_return_before_costs=None, cost_drag=None)
    _check_same_days(equity, before, "equity and equity_before_costs")
    gross = _equity(before, "equity_before_costs")
    if gross.size != values.size:
        raise InvalidDataError(f"equity_before_costs has {gross.size} points but equity {values.size}")
    gross_ann = annualized_return(gross, ppy)
    return _Costs(annualized_return_before_costs=gross_ann, cost_drag=gross_ann - annualized_return(values, ppy))


def performance(
    equity: SeriesLike,
    *,
    benchmark_equity: SeriesLike | None = None,
    equity_before_costs: SeriesLike | None = None,
    traded_value: SeriesLike | None = None,
    position_value: SeriesLike | None = None,
    periods_per_year: int = PERIODS_PER_YEAR,
) -> PerformanceReport:
    """Every metric of a daily equity curve (first value = the starting account).

    ``traded_value`` (|buys| + |sells| in account currency) and ``position_value`` come one
    per bar, aligned with ``equity[1:]``; ``equity_before_costs`` and ``benchmark_equity``
    have the same points as ``equity``. Anything not given leaves its fields None.
    """
    values, ppy = _equity(equity), _periods(periods_per_year)
    daily = values[1:] / values[:-1] - 1.0
    annual, max_dd = annualized_return(values, ppy), max_drawdown(values)
    trading = _trading(values, _per_bar(equity, traded_value, "traded_value"),
                       _per_bar(equity, position_value, "position_value"), ppy)
    return PerformanceReport(
        periods_per_year=ppy, n_returns=daily.size, start_value=float(values[0]), end_value=float(values[-1]),
        total_return=total_return(values), annualized_return=annual,
        volatility=volatility(daily, ppy), sharpe=_mean_over_std(daily, ppy), sortino=sortino_ratio(daily, ppy),
        max_drawdown=max_dd, max_drawdown_duration=max_drawdown_duration(values), calmar=_calmar(annual, max_dd),
        relative=None if benchmark_equity is None else relative(equity, benchmark_equity, periods_per_year=ppy),
        **_costs(equity, values, equity_before_costs, ppy), **trading,
    )


def relative_summary(
    equity: SeriesLike, benchmark_equity: SeriesLike, *, periods_per_year: int = PERIODS_PER_YEAR
) -> dict[str, float | None]:
    """:func:`relative` as the flat numbers a result's JSON carries (``excess_t``: Newey-West t of the
    mean daily active return; ``excess_t_lag``: the lag it used)."""
    report = relative(equity, benchmark_equity, periods_per_year=periods_per_year)
    significance = report.active_significance
    return {
        "benchmark_total_return": report.benchmark_total_return,
        "benchmark_annualized_return": report.benchmark_annualized_return,
        "excess_total_return": report.excess_total_return,
        "excess_annualized_return": report.excess_annualized_return,
        "tracking_error": report.tracking_error,
        "information_ratio": report.information_ratio,
        "excess_t": significance.t_stat if significance is not None else None,
        "excess_t_lag": float(significance.lag) if significance is not None else None,
    }
