"""The seeded synthetic generators: valid bars, reproducible, causal, and a planted factor
structure that a pandas re-computation of each Qlib expression finds with the right sign."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

from taorui_engines.data._synthetic import (
    GOLD_GENERATOR,
    UNIVERSE_GENERATOR,
    PlantedSignal,
    SyntheticUniverse,
    make_gold,
    make_universe,
    synthetic_calendar,
)
from taorui_engines.data._validate import clean_bars
from taorui_engines.errors import InvalidArgumentError, InvalidDateRangeError

OHLCV = ["open", "high", "low", "close", "volume"]

# pandas mirrors of the planted Qlib expressions (close, volume -> signal), keyed by name.
EXPRESSION_MIRRORS: dict[str, Callable[[pd.DataFrame, pd.DataFrame], pd.DataFrame]] = {
    "reversal_5d": lambda close, volume: close.shift(5) / close - 1,
    "volume_shock": lambda close, volume: volume.rolling(5).mean() / volume.rolling(60).mean(),
    "low_volatility": lambda close, volume: (close / close.shift(1) - 1).rolling(20).std(),
}


@pytest.fixture(scope="module")
def gold() -> pd.DataFrame:
    return make_gold()


@pytest.fixture(scope="module")
def universe() -> SyntheticUniverse:
    return make_universe()


def _wide(universe: SyntheticUniverse, field: str) -> pd.DataFrame:
    return pd.DataFrame({symbol: bars[field] for symbol, bars in universe.bars.items()})


def _mean_rank_ic(signal: pd.DataFrame, close: pd.DataFrame, horizon: int = 1) -> float:
    """Mean over days of the cross-sectional Spearman correlation with close(t+h)/close(t)-1."""
    forward = close.shift(-horizon) / close - 1
    daily = signal.rank(axis=1).corrwith(forward.rank(axis=1), axis=1).dropna()
    return float(daily.mean())


def _assert_valid_bars(bars: pd.DataFrame) -> None:
    assert list(bars.columns) == OHLCV
    assert (bars.dtypes == "float64").all()
    assert bars.index.name == "date"
    assert not bars.isna().any().any()
    assert (bars[["open", "high", "low", "close"]] > 0).all().all()
    assert (bars["high"] >= bars[["open", "close"]].max(axis=1)).all()
    assert (bars["low"] <= bars[["open", "close"]].min(axis=1)).all()
    assert (bars["volume"] > 0).all()


def test_calendar_holds_every_weekday_and_no_weekend() -> None:
    days = synthetic_calendar("2024-01-01", "2024-01-14")

    assert len(days) == 10
    assert days.dayofweek.max() == 4
    assert days.name == "date"


def test_gold_bars_are_valid_ohlcv_on_the_synthetic_calendar(gold: pd.DataFrame) -> None:
    _assert_valid_bars(gold)
    assert gold.index.equals(synthetic_calendar("2006-01-02", "2025-12-31"))


def test_gold_bars_pass_the_ingestion_validator(gold: pd.DataFrame) -> None:
    cleaned = clean_bars(gold)

    assert len(cleaned) == len(gold)


def test_gold_starts_near_550_with_gold_like_volatility(gold: pd.DataFrame) -> None:
    log_ret = np.log(gold["close"]).diff().dropna()

    assert 500 < gold["close"].iloc[0] < 600
    assert 0.10 < log_ret.std() * np.sqrt(252) < 0.22
    assert gold["close"].between(100, 10_000).all()


def test_gold_returns_have_fat_tails_and_volatility_clustering(gold: pd.DataFrame) -> None:
    log_ret = np.log(gold["close"]).diff().dropna()

    assert log_ret.kurt() > 1.0  # excess kurtosis: fatter tails than a normal
    assert log_ret.abs().autocorr(1) > 0.05  # big moves follow big moves


def test_gold_volume_rises_with_the_size_of_the_move(gold: pd.DataFrame) -> None:
    abs_ret = np.log(gold["close"]).diff().abs()

    assert abs_ret.corr(np.log(gold["volume"])) > 0.1


def test_gold_is_reproducible_from_its_seed(gold: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(make_gold(), gold)


def test_gold_changes_with_the_seed(gold: pd.DataFrame) -> None:
    assert not make_gold(seed=1)["close"].equals(gold["close"])


def test_gold_up_to_a_date_does_not_depend_on_later_days(gold: pd.DataFrame) -> None:
    short = make_gold(end="2012-06-29")

    pd.testing.assert_frame_equal(gold.iloc[: len(short)], short)


def test_universe_names_its_stocks_with_zero_padded_symbols(universe: SyntheticUniverse) -> None:
    assert list(universe.bars) == [f"SYN{i:03d}" for i in range(120)]
    assert universe.name == "csi_syn"
    assert universe.seed == 20240608


def test_universe_bars_are_valid_for_every_stock(universe: SyntheticUniverse) -> None:
    calendar = synthetic_calendar("2016-01-04", "2025-12-31")
    for bars in universe.bars.values():
        _assert_valid_bars(bars)
        assert bars.index.equals(calendar)


def test_universe_prices_stay_within_plausible_levels(universe: SyntheticUniverse) -> None:
    close = _wide(universe, "close")

    assert close.min().min() > 1.0
    assert close.max().max() < 10_000.0


def test_idiosyncratic_volatility_differs_across_stocks(universe: SyntheticUniverse) -> None:
    daily_vol = np.log(_wide(universe, "close")).diff().std()

    assert 0.012 < daily_vol.min() < 0.02
    assert 0.028 < daily_vol.max() < 0.045


def test_universe_declares_three_planted_signals(universe: SyntheticUniverse) -> None:
    names = [signal.name for signal in universe.signals]

    assert names == list(EXPRESSION_MIRRORS)
    for signal in universe.signals:
        assert signal.sign == int(np.sign(signal.target_rank_ic))
        assert "$" in signal.expression


@pytest.mark.parametrize("name", list(EXPRESSION_MIRRORS))
def test_planted_signal_has_its_sign_and_about_its_target_rank_ic(
    universe: SyntheticUniverse, name: str
) -> None:
    planted: PlantedSignal = next(s for s in universe.signals if s.name == name)
    close, volume = _wide(universe, "close"), _wide(universe, "volume")

    ic = _mean_rank_ic(EXPRESSION_MIRRORS[name](close, volume), close)

    assert np.sign(ic) == planted.sign
    assert 0.5 * abs(planted.target_rank_ic) < abs(ic) < 1.5 * abs(planted.target_rank_ic)


def test_shuffled_signal_has_no_rank_ic(universe: SyntheticUniverse) -> None:
    close = _wide(universe, "close")
    planted = EXPRESSION_MIRRORS["reversal_5d"](close, _wide(universe, "volume"))
    rng = np.random.default_rng(7)
    shuffled = pd.DataFrame(rng.permuted(planted.to_numpy(), axis=1), index=close.index)
    shuffled.columns = close.columns

    assert abs(_mean_rank_ic(shuffled, close)) < 0.01


def test_universe_is_reproducible_from_its_seed() -> None:
    first = make_universe(n_stocks=8, start="2020-01-01", end="2021-12-31")
    second = make_universe(n_stocks=8, start="2020-01-01", end="2021-12-31")

    for symbol, bars in first.bars.items():
        pd.testing.assert_frame_equal(bars, second.bars[symbol])


def test_universe_changes_with_the_seed() -> None:
    first = make_universe(n_stocks=8, start="2020-01-01", end="2021-12-31")
    other = make_universe(seed=1, n_stocks=8, start="2020-01-01", end="2021-12-31")

    assert not first.bars["SYN000"]["close"].equals(other.bars["SYN000"]["close"])


def test_universe_up_to_a_date_does_not_depend_on_later_days(universe: SyntheticUniverse) -> None:
    short = make_universe(end="2019-06-28")

    for symbol, bars in short.bars.items():
        pd.testing.assert_frame_equal(universe.bars[symbol].iloc[: len(bars)], bars)


def test_universe_description_says_it_is_synthetic(universe: SyntheticUniverse) -> None:
    assert "SYNTHETIC" in universe.description
    assert str(universe.seed) in universe.description
    assert UNIVERSE_GENERATOR in universe.description
    assert GOLD_GENERATOR.startswith("taorui.synthetic.")


def test_a_reversed_date_range_is_refused_with_a_clear_error() -> None:
    with pytest.raises(InvalidDateRangeError, match="reversed"):
        make_gold(start="2020-01-01", end="2019-01-01")


def test_a_range_without_two_weekdays_is_refused() -> None:
    with pytest.raises(InvalidDateRangeError, match="at least 2 weekdays"):
        make_universe(start="2024-01-06", end="2024-01-07")


def test_a_universe_of_one_stock_is_refused() -> None:
    with pytest.raises(InvalidArgumentError, match="n_stocks"):
        make_universe(n_stocks=1)
