"""Seeded synthetic series for the embedded sample store: a gold-like bar series and a
stock universe with a planted, documented factor structure.

Why synthetic: the sample store is built offline on first use, so it cannot download data;
and a universe whose true structure is known lets factor mining, ML models and tests check
that they find something real (the planted signals) and nothing in noise. Every series made
here is labelled synthetic by the caller (``Provenance(synthetic=True, generator=..., seed=...)``).
The generating model is written out in ``docs/synthetic-data.md``.

Both generators are causal and prefix-stable: each random stream is drawn in day order from
its own child seed, so the bars up to a date never depend on anything after it (a shorter
``end`` gives exactly a prefix of a longer one). Pure numpy/pandas; loops run over days only.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass

import numpy as np
import pandas as pd

from taorui_engines.data._validate import parse_range
from taorui_engines.errors import InvalidArgumentError, InvalidDateRangeError

GOLD_GENERATOR = "taorui.synthetic.gold/v1"
UNIVERSE_GENERATOR = "taorui.synthetic.csi_syn/v1"

_DAYS_PER_YEAR = 252
_T_DF = 5.0  # Student-t degrees of freedom of the shocks: fat tails with a finite kurtosis
_GARCH_ALPHA, _GARCH_BETA = 0.06, 0.92
_BURN_IN = 120  # days simulated before `start` so every signal is live on the first output day
_KERNEL = 0.6 ** np.arange(10)  # a signal at t moves returns at t+1..t+10 with this decay
_MAX_ABS_LOG_RETURN = 0.2  # a limit-move cap, like an exchange's daily price limit


@dataclass(frozen=True)
class RegimeSpec:
    """A Markov regime model of a price factor: per-state annual drift and volatility."""

    names: tuple[str, ...]
    annual_drift: tuple[float, ...]
    annual_vol: tuple[float, ...]
    transition: tuple[tuple[float, ...], ...]  # row = from-state, daily probabilities


# Gold: long calm stretches, trending bull runs and sharper, more volatile bear phases.
# Stationary mix (about 49/32/19%) gives ~+7%/yr arithmetic drift and ~15%/yr volatility.
_GOLD_REGIMES = RegimeSpec(
    names=("calm", "bull", "bear"),
    annual_drift=(0.05, 0.20, -0.10),
    annual_vol=(0.11, 0.15, 0.22),
    transition=((0.995, 0.003, 0.002), (0.004, 0.993, 0.003), (0.006, 0.004, 0.990)),
)
# The equity market factor of csi_syn: a larger volatility and deeper bear phases.
_MARKET_REGIMES = RegimeSpec(
    names=("calm", "bull", "bear"),
    annual_drift=(0.07, 0.25, -0.20),
    annual_vol=(0.16, 0.20, 0.32),
    transition=((0.994, 0.004, 0.002), (0.006, 0.990, 0.004), (0.008, 0.004, 0.988)),
)


@dataclass(frozen=True)
class PlantedSignal:
    """One cross-sectional signal planted in a synthetic universe, with how to measure it."""

    name: str
    expression: str
    sign: int
    target_rank_ic: float
    description: str


@dataclass(frozen=True)
class SyntheticUniverse:
    """A generated universe: bars per symbol, the planted signals and the seed that made it."""

    name: str
    bars: dict[str, pd.DataFrame]
    signals: tuple[PlantedSignal, ...]
    seed: int
    description: str


PLANTED_SIGNALS: tuple[PlantedSignal, ...] = (
    PlantedSignal(
        name="reversal_5d",
        expression="Ref($close,5)/$close-1",
        sign=1,
        target_rank_ic=0.05,
        description="Short-term reversal: the 5-day losers earn more over the next days.",
    ),
    PlantedSignal(
        name="volume_shock",
        expression="Mean($volume,5)/Mean($volume,60)",
        sign=1,
        target_rank_ic=0.03,
        description="Attention: a recent volume surge over its 60-day norm precedes gains.",
    ),
    PlantedSignal(
        name="low_volatility",
        expression="Std($close/Ref($close,1)-1,20)",
        sign=-1,
        target_rank_ic=-0.03,
        description="Low-volatility anomaly: stocks with a high 20-day volatility earn less.",
    ),
)
# Strength of each planted signal (daily log-return per unit of rank score at lag 1), in the
# order of PLANTED_SIGNALS; tuned so the measured horizon-1 Rank IC lands near the targets.
_SIGNAL_WEIGHTS = np.array([0.0006, 0.00028, -0.00026])


def synthetic_calendar(start: str, end: str) -> pd.DatetimeIndex:
    """Mon-Fri business days (a synthetic exchange calendar; no holidays).

    No holidays, because a made-up exchange has none to copy; named ``date`` like a bar index.
    """
    return pd.bdate_range(start, end, name="date")


def _calendar_or_error(start: str, end: str, min_days: int) -> pd.DatetimeIndex:
    """The calendar, refusing a bad or too-short span rather than failing deep inside."""
    first, last = parse_range(start, end)
    index = pd.bdate_range(first, last, name="date")
    if len(index) < min_days:
        raise InvalidDateRangeError(
            f"synthetic data needs at least {min_days} weekdays between {start} and {end}; got {len(index)}"
        )
    return index


def _streams(seed: int, count: int) -> list[np.random.Generator]:
    """Independent generators, one per random stream, so each stream is prefix-stable."""
    return [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(count)]


def _student_t(rng: np.random.Generator, size: int | tuple[int, ...]) -> np.ndarray:
    """Student-t draws scaled to unit variance, so a volatility keeps its meaning."""
    return rng.standard_t(_T_DF, size) * np.sqrt((_T_DF - 2.0) / _T_DF)


def _markov_path(rng: np.random.Generator, spec: RegimeSpec, n_days: int) -> np.ndarray:
    """A regime index per day, starting in the first (calm) state."""
    cumulative = [np.cumsum(row).tolist() for row in spec.transition]
    uniforms = rng.random(n_days).tolist()
    states = np.zeros(n_days, dtype=np.int64)
    state = 0
    for day in range(1, n_days):
        state = min(bisect_right(cumulative[state], uniforms[day]), len(cumulative) - 1)
        states[day] = state
    return states


def _garch_sigma(shocks: np.ndarray, target_var: np.ndarray) -> np.ndarray:
    """GARCH(1,1) daily volatility whose long-run variance follows the regime's target.

    Variance targeting makes the regime set the level and GARCH add the clustering.
    """
    z, target = shocks.tolist(), target_var.tolist()
    sigma = np.empty(len(z))
    var = target[0]
    omega_share = 1.0 - _GARCH_ALPHA - _GARCH_BETA
    for day in range(len(z)):
        sigma[day] = var**0.5
        eps_sq = var * z[day] ** 2
        nxt = target[min(day + 1, len(z) - 1)]
        var = omega_share * nxt + _GARCH_ALPHA * eps_sq + _GARCH_BETA * var
    return sigma


def _regime_returns(
    rng_regime: np.random.Generator, rng_shock: np.random.Generator, spec: RegimeSpec, n_days: int
) -> tuple[np.ndarray, np.ndarray]:
    """Daily log returns and volatilities of a regime-switching GARCH-t factor."""
    states = _markov_path(rng_regime, spec, n_days)
    drift = np.asarray(spec.annual_drift)[states] / _DAYS_PER_YEAR
    target_var = (np.asarray(spec.annual_vol)[states] ** 2) / _DAYS_PER_YEAR
    shocks = _student_t(rng_shock, n_days)
    sigma = _garch_sigma(shocks, target_var)
    log_ret = drift - 0.5 * sigma**2 + sigma * shocks
    return np.clip(log_ret, -_MAX_ABS_LOG_RETURN, _MAX_ABS_LOG_RETURN), sigma


def _ohlc(
    rng: np.random.Generator, close: np.ndarray, log_ret: np.ndarray, sigma: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Open, high and low around given closes (1-D or days x stocks).

    The open gaps from the previous close by part of the day's move plus noise; the high and
    low extend beyond the open/close body by half-normal excursions scaled by the day's vol,
    so high >= max(open, close) and low <= min(open, close) hold by construction.
    """
    noise = np.moveaxis(rng.standard_normal((*close.shape, 3)), -1, 0)  # day-major: prefix-stable
    prev_close = close * np.exp(-log_ret)
    open_ = prev_close * np.exp(0.3 * log_ret + 0.2 * sigma * noise[0])
    high = np.maximum(open_, close) * np.exp(0.5 * sigma * np.abs(noise[1]))
    low = np.minimum(open_, close) * np.exp(-0.5 * sigma * np.abs(noise[2]))
    return open_, high, low


def _ar1(rng: np.random.Generator, shape: tuple[int, ...], phi: float, sd: float) -> np.ndarray:
    """A stationary AR(1) path along axis 0 with marginal standard deviation ``sd``."""
    innovations = rng.standard_normal(shape) * sd * np.sqrt(1.0 - phi**2)
    path = np.empty(shape)
    path[0] = innovations[0] / np.sqrt(1.0 - phi**2)
    for day in range(1, shape[0]):
        path[day] = phi * path[day - 1] + innovations[day]
    return path


def _bars_frame(
    index: pd.DatetimeIndex,
    columns: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray],
) -> pd.DataFrame:
    """A float64 OHLCV frame in the layout ``clean_bars`` expects."""
    names = ("open", "high", "low", "close", "volume")
    frame = pd.DataFrame({n: np.asarray(c, dtype="float64") for n, c in zip(names, columns, strict=True)})
    frame.index = index
    return frame


def make_gold(seed: int = 20240607, start: str = "2006-01-02", end: str = "2025-12-31") -> pd.DataFrame:
    """Daily OHLCV bars of a synthetic gold-like series (not real prices).

    Regime-switching (calm/bull/bear) drift and volatility, GARCH(1,1) clustering, Student-t
    shocks; starts near 550 with ~15%/yr volatility. Volume is lognormal, persistent and
    rises with the size of the day's move.
    """
    index = _calendar_or_error(start, end, min_days=2)
    regime, shock, volume_noise, bar_noise = _streams(seed, 4)
    log_ret, sigma = _regime_returns(regime, shock, _GOLD_REGIMES, len(index))
    close = 550.0 * np.exp(np.cumsum(log_ret) - log_ret[0])
    abs_move = np.abs(log_ret) / sigma
    log_volume = 11.5 + _ar1(volume_noise, (len(index),), 0.97, 0.35) + 0.3 * abs_move
    open_, high, low = _ohlc(bar_noise, close, log_ret, sigma)
    return _bars_frame(index, (open_, high, low, close, np.exp(log_volume)))


# --- the csi_syn universe -------------------------------------------------------------------


@dataclass(frozen=True)
class _Exogenous:
    """Everything in a universe that does not depend on the planted signals."""

    base_log_ret: np.ndarray  # beta * market + idiosyncratic, days x stocks
    idio_sigma: np.ndarray  # days x stocks
    volume: np.ndarray  # days x stocks
    start_price: np.ndarray  # stocks


def _rank_score(values: np.ndarray) -> np.ndarray:
    """Cross-sectional ranks per row mapped to a zero-mean, unit-variance uniform score.

    Ranking first makes each signal's strength independent of its units and outliers.
    """
    n = values.shape[-1]
    ranks = np.argsort(np.argsort(values, axis=-1), axis=-1)
    return ((ranks + 0.5) / n - 0.5) * np.sqrt(12.0)


def _reference_sigma(spec: RegimeSpec) -> float:
    """The regime model's typical daily volatility (an equal-weight mean over its states)."""
    return float(np.mean(spec.annual_vol)) / np.sqrt(_DAYS_PER_YEAR)


def _two_state_path(
    rng: np.random.Generator, shape: tuple[int, int], enter: float, leave: float
) -> np.ndarray:
    """A calm/turbulent Markov state per stock and day (True = turbulent), starting calm."""
    uniforms = rng.random(shape)
    turbulent = np.zeros(shape, dtype=bool)
    for day in range(1, shape[0]):
        stay = turbulent[day - 1] & (uniforms[day] > leave)
        turbulent[day] = stay | (~turbulent[day - 1] & (uniforms[day] < enter))
    return turbulent


def _idio_sigma(
    rng_level: np.random.Generator,
    rng_state: np.random.Generator,
    market_sigma: np.ndarray,
    n_stocks: int,
) -> np.ndarray:
    """Idiosyncratic daily volatility: a stock level, a slow AR(1) wander, a calm/turbulent
    Markov state per stock, and a lift when the whole market is turbulent."""
    n_days = len(market_sigma)
    level = np.exp(rng_level.uniform(np.log(0.015), np.log(0.028), n_stocks))
    wander = _ar1(rng_level, (n_days, n_stocks), 0.99, 0.25)
    turbulent = _two_state_path(rng_state, (n_days, n_stocks), enter=1 / 250, leave=1 / 60)
    # A fixed reference (not the sample mean, which would leak the future into the past).
    market_lift = np.sqrt(market_sigma / _reference_sigma(_MARKET_REGIMES))[:, None]
    return level * np.exp(wander) * np.where(turbulent, 1.4, 1.0) * market_lift


def _decaying_sum(events: np.ndarray, decay: float) -> np.ndarray:
    """Each day's events plus ``decay`` times yesterday's total: shocks that fade out."""
    total = np.empty_like(events)
    total[0] = events[0]
    for day in range(1, len(events)):
        total[day] = decay * total[day - 1] + events[day]
    return total


def _stock_volume(
    rngs: list[np.random.Generator], abs_idio: np.ndarray, abs_market: np.ndarray
) -> np.ndarray:
    """Share volume: a stock level, a persistent AR(1) state, decaying attention shocks, and
    a link to the size of the day's move. Its own process, so the volume signal is not a
    copy of the return signals."""
    n_days, n_stocks = abs_idio.shape
    level = rngs[0].normal(14.0, 0.8, n_stocks)
    slow = _ar1(rngs[0], (n_days, n_stocks), 0.995, 0.4)
    fast = _ar1(rngs[1], (n_days, n_stocks), 0.8, 0.3)
    events = (rngs[2].random((n_days, n_stocks)) < 0.03) * rngs[3].exponential(0.8, (n_days, n_stocks))
    attention = _decaying_sum(events, 0.7)
    move = 0.15 * abs_idio + 0.1 * abs_market[:, None]
    return np.exp(level + slow + fast + attention + move)


def _exogenous(s: list[np.random.Generator], n_days: int, n_stocks: int) -> _Exogenous:
    """Market factor, betas, idiosyncratic shocks and volume, each from its own stream.

    One stream per day-shaped draw keeps the bars prefix-stable (see the module docstring).
    """
    market_ret, market_sigma = _regime_returns(s[0], s[1], _MARKET_REGIMES, n_days)
    betas = np.clip(s[2].normal(1.0, 0.25, n_stocks), 0.4, 1.8)
    start_price = np.exp(s[2].normal(np.log(40.0), 0.4, n_stocks))
    sigma = _idio_sigma(s[3], s[4], market_sigma, n_stocks)
    idio_z = _student_t(s[5], (n_days, n_stocks))
    base = betas * market_ret[:, None] + sigma * idio_z
    volume = _stock_volume(s[6:10], np.abs(idio_z), np.abs(market_ret / market_sigma))
    return _Exogenous(base, sigma, volume, start_price)


def _volume_signal_score(volume: np.ndarray) -> np.ndarray:
    """Rank score of Mean($volume,5)/Mean($volume,60) per day (0 before 60 days of history).

    Volume does not depend on prices here, so this signal can be computed up front.
    """
    csum = np.vstack([np.zeros((1, volume.shape[1])), np.cumsum(volume, axis=0)])
    ratio = ((csum[5:] - csum[:-5]) / 5.0)[55:] / ((csum[60:] - csum[:-60]) / 60.0)
    score = np.zeros_like(volume)
    score[59:] = _rank_score(ratio)
    return score


def _price_signal_score(close: np.ndarray, simple_ret: np.ndarray, day: int) -> np.ndarray:
    """Rank scores at ``day`` of the two price signals, from data up to and including it."""
    reversal = close[day - 5] / close[day] - 1.0
    volatility = simple_ret[day - 19 : day + 1].std(axis=0, ddof=1)
    return _rank_score(np.vstack([reversal, volatility]))


def _simulate_log_returns(exo: _Exogenous) -> np.ndarray:
    """Walk forward day by day: add the planted alpha, then compute today's signals.

    The alpha of day t is a decaying sum of the combined signal scores of days t-1..t-10,
    so every signal is computed from the history it could see and moves only later returns.
    """
    n_days, n_stocks = exo.base_log_ret.shape
    lags = len(_KERNEL)
    combined = np.zeros((n_days + lags, n_stocks))  # row day+lags holds day's combined score
    combined[lags:] = _SIGNAL_WEIGHTS[1] * _volume_signal_score(exo.volume)
    kernel_oldest_first = _KERNEL[::-1]
    log_ret = np.zeros((n_days, n_stocks))
    close = np.empty((n_days, n_stocks))
    simple_ret = np.zeros((n_days, n_stocks))
    close[0] = exo.start_price
    for day in range(1, n_days):
        alpha = kernel_oldest_first @ combined[day : day + lags]
        log_ret[day] = np.clip(exo.base_log_ret[day] + alpha, -_MAX_ABS_LOG_RETURN, _MAX_ABS_LOG_RETURN)
        close[day] = close[day - 1] * np.exp(log_ret[day])
        simple_ret[day] = np.expm1(log_ret[day])
        if day >= 20:
            scores = _price_signal_score(close, simple_ret, day)
            combined[day + lags] += _SIGNAL_WEIGHTS[[0, 2]] @ scores
    return log_ret


def _universe_bars(seed: int, index: pd.DatetimeIndex, n_stocks: int) -> dict[str, pd.DataFrame]:
    """Simulate burn-in plus the calendar, then cut the burn-in off and build the frames."""
    n_days = _BURN_IN + len(index)
    streams = _streams(seed, 11)
    exo = _exogenous(streams, n_days, n_stocks)
    log_ret = _simulate_log_returns(exo)[_BURN_IN:]
    close = exo.start_price * np.exp(np.cumsum(log_ret, axis=0) - log_ret[0])
    sigma = exo.idio_sigma[_BURN_IN:]
    open_, high, low = _ohlc(streams[10], close, log_ret, sigma)
    volume = exo.volume[_BURN_IN:]
    return {
        f"SYN{i:03d}": _bars_frame(index, (open_[:, i], high[:, i], low[:, i], close[:, i], volume[:, i]))
        for i in range(n_stocks)
    }


def _describe(name: str, seed: int, n_stocks: int, index: pd.DatetimeIndex) -> str:
    """The provenance paragraph stored with the universe."""
    planted = "; ".join(
        f"{s.name} = {s.expression} (target Rank IC {s.target_rank_ic:+.2f})" for s in PLANTED_SIGNALS
    )
    return (
        f"SYNTHETIC universe {name!r}: {n_stocks} generated stocks (SYN000..SYN{n_stocks - 1:03d}), "
        f"daily bars {index[0].date()}..{index[-1].date()} on a Mon-Fri calendar, seed {seed}, "
        f"generator {UNIVERSE_GENERATOR}. Returns = beta x a regime-switching GARCH-t market factor "
        "+ Student-t idiosyncratic shocks with time-varying volatility + planted alpha. Planted "
        f"cross-sectional signals (each computed from the stock's own past bars, moving returns "
        f"at t+1..t+10 with a decaying kernel): {planted}. Not real market data; see "
        "docs/synthetic-data.md."
    )


def make_universe(
    seed: int = 20240608,
    n_stocks: int = 120,
    start: str = "2016-01-04",
    end: str = "2025-12-31",
    name: str = "csi_syn",
) -> SyntheticUniverse:
    """A synthetic stock universe with three planted cross-sectional signals.

    Symbols are ``SYN000``.. zero-padded to three digits; bars are laid out like
    :func:`make_gold`'s. The planted structure (``signals``) is what factor mining and models
    should rediscover; the docs give the Rank ICs measured on the default universe.
    """
    if n_stocks < 2:
        raise InvalidArgumentError(f"a universe needs at least 2 stocks to rank; got n_stocks={n_stocks}")
    index = _calendar_or_error(start, end, min_days=2)
    return SyntheticUniverse(
        name=name,
        bars=_universe_bars(seed, index, n_stocks),
        signals=PLANTED_SIGNALS,
        seed=seed,
        description=_describe(name, seed, n_stocks, index),
    )
