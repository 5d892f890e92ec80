"""``get_price`` builds its frame from cached date-major grids: same frame as Qlib, nothing shared.

The reference is Qlib's ``D.features`` on the same store (``$field`` per field), with rows that
have no field dropped and sorted by date then symbol: the straightforward reading of the
contract. The store here is made to hold the awkward cases: a symbol with gaps, one that
starts late, one that ends early, and a second market with its own calendar.
"""

from __future__ import annotations

from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import pytest

from taorui_engines.data import DataCenter, Provenance, _bars
from taorui_engines.data._center import _group_by_market
from taorui_engines.data._validate import parse_range

PROV = Provenance(source="test", synthetic=True, generator="tests", seed=1)
OHLCV = ("open", "high", "low", "close", "volume")


def _bars_frame(dates: pd.DatetimeIndex, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = len(dates)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, n)))
    open_ = close * np.exp(rng.normal(0, 0.003, n))
    return pd.DataFrame({
        "date": dates, "open": open_, "high": np.maximum(open_, close) * 1.01,
        "low": np.minimum(open_, close) * 0.99, "close": close,
        "volume": rng.integers(1_000, 100_000, n).astype(float),
    })


@pytest.fixture(scope="module")
def center(tmp_path_factory: pytest.TempPathFactory) -> DataCenter:
    """Two markets; in ``m1`` B1 trades weekly (gaps), C1 starts late, E1 ends early."""
    dc = DataCenter(tmp_path_factory.mktemp("fast") / "data")
    days = pd.bdate_range("2021-01-04", periods=120)
    dc.ingest_frames({
        "A1": _bars_frame(days, 1),
        "B1": _bars_frame(days[::5], 2),
        "C1": _bars_frame(days[40:], 3),
        "D1": _bars_frame(days, 4),
        "E1": _bars_frame(days[:70], 5),
    }, "m1", PROV, universe="uni1")
    dc.ingest_frames({"X2": _bars_frame(pd.date_range("2021-01-02", periods=90, freq="W-SAT"), 6)}, "m2", PROV)
    return dc


def _qlib_reference(dc: DataCenter, symbols: list[str], start: str, end: str,
                    fields: tuple[str, ...]) -> pd.DataFrame:
    s, e = parse_range(start, end)
    frames = [dc._features(m, g, {f: f"${f}" for f in fields}, s, e, "day").reset_index()
              for m, g in _group_by_market(dc.resolve(symbols)).items()]
    want = pd.concat(frames, ignore_index=True).dropna(subset=list(fields), how="all")
    return want.sort_values(["date", "symbol"], kind="stable").reset_index(drop=True)


CASES = {
    "every symbol, all fields": (["A1", "B1", "C1", "D1", "E1"], "2021-01-01", "2021-12-31", OHLCV),
    "a symbol with gaps": (["B1"], "2021-01-01", "2021-12-31", OHLCV),
    "window starts before a symbol's first bar": (["C1", "D1"], "2021-01-01", "2021-04-30", ("close",)),
    "window ends after a symbol's last bar": (["E1", "A1"], "2021-03-01", "2021-12-31", ("low", "high")),
    "one field only": (["A1", "D1"], "2021-02-01", "2021-03-15", ("volume",)),
    "symbols that are not adjacent in the market": (["E1", "A1", "C1"], "2021-02-10", "2021-05-20", OHLCV),
    "several markets": (["X2", "B1", "A1"], "2021-01-01", "2021-12-31", ("close", "open")),
    "a window that begins and ends inside a gap": (["B1", "A1"], "2021-01-05", "2021-01-12", OHLCV),
}


@pytest.mark.parametrize(("symbols", "start", "end", "fields"), CASES.values(), ids=CASES.keys())
def test_get_price_is_identical_to_qlibs_features(
        center: DataCenter, symbols: list[str], start: str, end: str, fields: tuple[str, ...]) -> None:
    got = center.get_price(symbols, start, end, fields=fields)

    pd.testing.assert_frame_equal(got, _qlib_reference(center, symbols, start, end, fields), check_exact=True)


def test_get_price_types_and_order_are_pinned(center: DataCenter) -> None:
    got = center.get_price("uni1", "2021-01-01", "2021-12-31")

    assert got.dtypes.astype(str).tolist() == ["datetime64[us]", "str", *["float64"] * 5]
    assert list(got.columns) == ["date", "symbol", *OHLCV]
    assert isinstance(got.index, pd.RangeIndex) and got.index.equals(pd.RangeIndex(len(got)))
    assert got.set_index(["date", "symbol"]).index.is_monotonic_increasing
    assert not got[list(OHLCV)].isna().all(axis=1).any()
    assert len(got._mgr.blocks) == 3  # dates, symbols and one float64 block, as pandas consolidates


def test_a_callers_in_place_edit_does_not_reach_later_reads(center: DataCenter) -> None:
    first = center.get_price(["A1", "D1"], "2021-01-01", "2021-12-31")
    kept = first.copy(deep=True)

    first.iloc[:, 2:] = -1.0
    first.loc[:, "date"] = pd.Timestamp("1999-01-01")
    first.loc[:, "symbol"] = "ZZZ"

    pd.testing.assert_frame_equal(center.get_price(["A1", "D1"], "2021-01-01", "2021-12-31"), kept)


def test_reads_beyond_the_cache_budget_give_the_same_frame(
        center: DataCenter, monkeypatch: pytest.MonkeyPatch) -> None:
    """A market too big for a grid is read column by column into the same frame."""
    symbols, start, end, fields = CASES["symbols that are not adjacent in the market"]
    from_grids = center.get_price(symbols, start, end, fields=fields)
    monkeypatch.setattr(_bars, "_VERSIONS", OrderedDict())
    monkeypatch.setattr(_bars, "MAX_BYTES_PER_VERSION", 0)

    gathered = center.get_price(symbols, start, end, fields=fields)

    pd.testing.assert_frame_equal(gathered, from_grids, check_exact=True)
    assert all(grid is None for v in _bars._VERSIONS.values() for grid in v.grids.values())


def test_concurrent_first_reads_give_the_frames_of_sequential_reads(
        center: DataCenter, monkeypatch: pytest.MonkeyPatch) -> None:
    """Readers that fill the same grids at once neither lose nor mix columns."""
    requests = list(CASES.values()) * 3
    expected = [center.get_price(s, a, b, fields=f) for s, a, b, f in requests]
    monkeypatch.setattr(_bars, "_VERSIONS", OrderedDict())  # cold again: the grids fill while read

    with ThreadPoolExecutor(4) as pool:
        got = list(pool.map(lambda r: center.get_price(r[0], r[1], r[2], fields=r[3]), requests))

    for frame, want in zip(got, expected, strict=True):
        pd.testing.assert_frame_equal(frame, want, check_exact=True)
