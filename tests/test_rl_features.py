"""Indicators for the RL observations use data up to each day only."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from taorui_engines.data import DataCenter
from taorui_engines.errors import InvalidDataError
from taorui_engines.rl import INDICATORS, add_indicators
from taorui_engines.rl._features import normalized_features


@pytest.fixture(scope="module")
def bars(data_center: DataCenter) -> pd.DataFrame:
    return data_center.get_price(["SYN010", "SYN011"], "2019-01-01", "2020-12-31")


def test_indicators_at_a_day_do_not_change_when_later_bars_are_removed(bars: pd.DataFrame) -> None:
    full = add_indicators(bars)
    for cut in ("2019-05-31", "2019-11-29", "2020-06-30"):
        upto = bars["date"] <= pd.Timestamp(cut)

        truncated = add_indicators(bars.loc[upto])

        pd.testing.assert_frame_equal(full.loc[upto, list(INDICATORS)], truncated[list(INDICATORS)])


def test_indicators_at_a_day_do_not_change_when_later_bars_change(bars: pd.DataFrame) -> None:
    later = bars["date"] > pd.Timestamp("2020-03-31")
    shocked = bars.copy()
    shocked.loc[later, ["open", "high", "low", "close"]] *= 1.7

    before, after = add_indicators(bars), add_indicators(shocked)

    pd.testing.assert_frame_equal(before.loc[~later, list(INDICATORS)], after.loc[~later, list(INDICATORS)])
    assert not np.allclose(before.loc[later, "close_30_sma"], after.loc[later, "close_30_sma"])


def test_every_indicator_reacts_to_the_bar_of_its_own_day(bars: pd.DataFrame) -> None:
    one = bars[bars["symbol"] == "SYN010"].reset_index(drop=True)
    moved = one.copy()
    moved.loc[300, ["high", "close"]] *= 1.05

    base, changed = add_indicators(one).loc[300], add_indicators(moved).loc[300]

    assert all(base[name] != changed[name] for name in INDICATORS)


def test_symbols_are_computed_on_their_own_rows(bars: pd.DataFrame) -> None:
    together = add_indicators(bars).set_index(["date", "symbol"])
    alone = add_indicators(bars[bars["symbol"] == "SYN011"]).set_index(["date", "symbol"])

    pd.testing.assert_frame_equal(together.loc[alone.index, list(INDICATORS)], alone[list(INDICATORS)])


def test_normalized_features_do_not_depend_on_the_price_level(bars: pd.DataFrame) -> None:
    one = bars[bars["symbol"] == "SYN010"].reset_index(drop=True)
    scaled = one.copy()
    scaled[["open", "high", "low", "close"]] *= 37.0

    np.testing.assert_allclose(
        normalized_features(add_indicators(one)), normalized_features(add_indicators(scaled)), atol=1e-9
    )


def test_missing_high_or_low_is_refused_not_guessed(bars: pd.DataFrame) -> None:
    holed = bars.copy()
    holed.loc[5, "high"] = np.nan

    with pytest.raises(InvalidDataError, match="missing"):
        add_indicators(holed)
