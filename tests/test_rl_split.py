"""Train/valid/test windows: defaults, order, bounds, and no test bar in a training panel."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from taorui_engines.data import DataCenter, Provenance
from taorui_engines.errors import InvalidArgumentError, InvalidDateRangeError, UnknownSymbolError
from taorui_engines.rl import DateSpan, load_panel, resolve_split
from taorui_engines.rl._data import resolve_assets


def span(a: str, b: str) -> DateSpan:
    return DateSpan(start=date.fromisoformat(a), end=date.fromisoformat(b))


def test_default_windows_are_the_last_year_for_test_and_four_years_before_for_train(data_center: DataCenter) -> None:
    train, test, valid, note = resolve_split([data_center.info("GOLD")], None, None, None)

    assert (test.start, test.end) == (date(2025, 1, 1), date(2025, 12, 31))
    assert (train.start, train.end) == (date(2021, 1, 1), date(2024, 12, 31))
    assert valid is None and "last year" in note and "4 years" in note


def test_default_windows_follow_the_asset_s_own_last_day(data_center: DataCenter) -> None:
    train, test, _, _ = resolve_split([data_center.info("SP500")], None, None, None)

    assert test.end == date(2018, 12, 31) and train.end == date(2017, 12, 31)


def test_a_given_train_window_gets_the_following_year_as_test(data_center: DataCenter) -> None:
    _, test, _, note = resolve_split([data_center.info("GOLD")], span("2015-01-01", "2018-12-31"), None, None)

    assert (test.start, test.end) == (date(2019, 1, 1), date(2019, 12, 31))
    assert "year after train" in note


def test_a_validation_window_moves_the_default_train_window_before_it(data_center: DataCenter) -> None:
    valid = span("2024-01-01", "2024-12-31")

    train, _, _, _ = resolve_split([data_center.info("GOLD")], None, None, valid)

    assert train.end == date(2023, 12, 31)


@pytest.mark.parametrize(
    ("train", "test", "valid", "fragment"),
    [
        (span("2015-01-01", "2019-06-30"), span("2019-01-01", "2019-12-31"), None, "must end before test"),
        (span("2015-01-01", "2017-12-31"), span("2019-01-01", "2019-12-31"), span("2018-06-01", "2019-02-01"), "valid"),
        (span("2001-01-01", "2005-12-31"), span("2006-01-02", "2006-12-31"), None, "outside the data"),
        (span("2020-01-01", "2024-12-31"), span("2025-01-01", "2026-06-30"), None, "outside the data"),
    ],
)
def test_windows_out_of_order_or_outside_the_data_are_refused(
    data_center: DataCenter, train: DateSpan, test: DateSpan, valid: DateSpan | None, fragment: str
) -> None:
    with pytest.raises(InvalidDateRangeError, match=fragment):
        resolve_split([data_center.info("GOLD")], train, test, valid)


def test_a_reversed_window_is_refused_when_it_is_built() -> None:
    with pytest.raises(ValueError, match="before its start"):
        span("2020-02-01", "2020-01-01")


def test_an_unknown_asset_error_names_the_assets_in_the_store(data_center: DataCenter) -> None:
    with pytest.raises(UnknownSymbolError) as info:
        resolve_assets(data_center, ("GOLDD",))

    assert "GOLD" in info.value.suggestions
    for name in ("SP500", "WTI", "SYN000..SYN119"):
        assert name in info.value.message


def test_assets_of_two_markets_or_too_many_are_refused(data_center: DataCenter) -> None:
    with pytest.raises(InvalidArgumentError, match="several markets"):
        resolve_assets(data_center, ("GOLD", "SP500"))
    with pytest.raises(InvalidArgumentError, match="too many"):
        resolve_assets(data_center, ("csi_syn",))


def test_a_training_panel_reads_no_bar_after_its_window(own_center: DataCenter) -> None:
    train = span("2023-01-01", "2024-06-28")
    before = load_panel(own_center, ("GOLD",), train)
    bars = own_center.get_price("GOLD", "2006-01-01", "2025-12-31").set_index("date")
    bars = bars.drop(columns="symbol")
    later = bars.index > "2024-06-28"
    bars.loc[later, ["open", "high", "low", "close"]] *= 2.0
    own_center.ingest_frames({"GOLD": bars}, "synthetic", Provenance(source="test", synthetic=True), if_exists="replace")

    after = load_panel(own_center, ("GOLD",), train)

    assert after.dates.max() <= np.datetime64("2024-06-28")
    np.testing.assert_array_equal(before.close, after.close)
    np.testing.assert_array_equal(before.features, after.features)
    test_after = load_panel(own_center, ("GOLD",), span("2024-07-01", "2024-12-31"))
    assert test_after.close[0, 0] > 1.5 * before.close[-1, 0]  # the store really changed after the window
