"""The data center's writer and reader: round trips, atomicity, and refusals that change nothing."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from taorui_engines.data import DataCenter, Provenance
from taorui_engines.errors import (
    InvalidArgumentError,
    InvalidDataError,
    InvalidDateRangeError,
    UnknownSymbolError,
)

PROV = Provenance(source="test", synthetic=True, generator="tests", seed=1)


def make_bars(n: int = 60, start: str = "2020-01-01", seed: int = 0, freq: str = "B") -> pd.DataFrame:
    """Valid random bars (synthetic, for tests)."""
    rng = np.random.default_rng(seed)
    dates = pd.date_range(start, periods=n, freq=freq)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, n)))
    open_ = close * np.exp(rng.normal(0, 0.003, n))
    high = np.maximum(open_, close) * (1 + rng.uniform(0, 0.01, n))
    low = np.minimum(open_, close) * (1 - rng.uniform(0, 0.01, n))
    volume = rng.integers(1_000, 100_000, n).astype(float)
    return pd.DataFrame(
        {"date": dates, "open": open_, "high": high, "low": low, "close": close, "volume": volume}
    )


def store_digest(data_dir: Path) -> str:
    """Hash of every file under the store (content and name), to prove nothing changed."""
    h = hashlib.sha256()
    for path in sorted(p for p in data_dir.rglob("*") if p.is_file() and p.name != ".ingest.lock"):
        h.update(str(path.relative_to(data_dir)).encode())
        h.update(path.read_bytes())
    for link in sorted(p for p in data_dir.rglob("current")):
        h.update(os.readlink(link).encode())
    return h.hexdigest()


@pytest.fixture
def center(tmp_path: Path) -> DataCenter:
    dc = DataCenter(tmp_path / "data")
    dc.ingest_frame(make_bars(seed=1), "AAA", market="test", provenance=PROV)
    return dc


def test_frame_round_trips_through_get_price(tmp_path: Path) -> None:
    bars = make_bars(n=80, seed=3)
    dc = DataCenter(tmp_path / "data")
    dc.ingest_frame(bars, "rt1", market="test", provenance=PROV)

    got = dc.get_price("RT1", "2019-12-01", "2020-12-31")

    assert list(got.columns) == ["date", "symbol", "open", "high", "low", "close", "volume"]
    assert (got["symbol"] == "RT1").all()
    assert got["date"].tolist() == bars["date"].tolist()
    for col in ("open", "high", "low", "close", "volume"):
        np.testing.assert_allclose(got[col].to_numpy(), bars[col].to_numpy(), rtol=1e-6)


def test_round_trip_keeps_each_symbols_own_dates_when_calendars_differ(tmp_path: Path) -> None:
    dc = DataCenter(tmp_path / "data")
    a = make_bars(n=30, start="2021-01-04", seed=1)
    b = make_bars(n=30, start="2021-01-04", seed=2, freq="W-MON")  # sparser: gaps in the union
    dc.ingest_frames({"A1": a, "B1": b}, "test", PROV)

    got = dc.get_price(["A1", "B1"], "2021-01-01", "2021-12-31")

    assert got[got.symbol == "B1"]["date"].tolist() == b["date"].tolist()
    assert got[got.symbol == "A1"]["date"].tolist() == a["date"].tolist()


def test_adding_a_symbol_with_new_dates_reindexes_existing_ones(center: DataCenter) -> None:
    before = center.get_price("AAA", "2019-01-01", "2021-01-01")
    later = make_bars(n=20, start="2020-01-01", seed=9, freq="D")  # includes weekends
    center.ingest_frame(later, "BBB", market="test", provenance=PROV)

    after = center.get_price("AAA", "2019-01-01", "2021-01-01")

    pd.testing.assert_frame_equal(before, after)


def test_append_merges_new_rows_and_keeps_old_ones(center: DataCenter) -> None:
    old = center.get_price("AAA", "2019-01-01", "2030-01-01")
    extra = make_bars(n=10, start=str((old["date"].max() + pd.Timedelta(days=3)).date()), seed=5)

    center.ingest_frame(extra, "AAA", market="test", provenance=PROV, if_exists="append")

    new = center.get_price("AAA", "2019-01-01", "2030-01-01")
    assert len(new) == len(old) + 10
    assert center.info("AAA").end == extra["date"].max().strftime("%Y-%m-%d")


def test_minute_bars_round_trip(tmp_path: Path) -> None:
    bars = make_bars(n=90, start="2022-03-01 09:30", seed=4, freq="min")
    dc = DataCenter(tmp_path / "data")
    dc.ingest_frame(bars, "MIN1", market="intraday", provenance=PROV, freq="1min")

    got = dc.get_price("MIN1", "2022-03-01 09:30", "2022-03-01 11:00", freq="1min")

    assert got["date"].tolist() == bars["date"].tolist()
    np.testing.assert_allclose(got["close"].to_numpy(), bars["close"].to_numpy(), rtol=1e-6)


def test_universe_names_expand_to_members(tmp_path: Path) -> None:
    dc = DataCenter(tmp_path / "data")
    frames = {f"U{i}": make_bars(seed=i) for i in range(3)}
    dc.ingest_frames(frames, "test", PROV, universe="uni")

    got = dc.get_price("uni", "2020-01-01", "2020-12-31")

    assert sorted(got["symbol"].unique()) == ["U0", "U1", "U2"]
    assert dc.universes()["uni"].members == ("U0", "U1", "U2")


def test_get_factor_evaluates_a_qlib_expression(center: DataCenter) -> None:
    prices = center.get_price("AAA", "2020-01-01", "2020-12-31").set_index("date")["close"]

    got = center.get_factor("$close/Ref($close,1)-1", "AAA", "2020-01-01", "2020-12-31")

    expected = prices / prices.shift(1) - 1
    np.testing.assert_allclose(got["value"].to_numpy()[1:], expected.to_numpy()[1:], atol=1e-6)


def test_get_features_loads_several_expressions_at_once(center: DataCenter) -> None:
    got = center.get_features({"c": "$close", "m": "Mean($close,5)"}, "AAA", "2020-01-01", "2020-12-31")

    assert list(got.columns) == ["c", "m"]
    assert got.index.names == ["date", "symbol"]


# --- refusals that change nothing ----------------------------------------------------------


def test_unknown_symbol_is_refused_with_close_matches(center: DataCenter) -> None:
    with pytest.raises(UnknownSymbolError) as err:
        center.get_price("AAB", "2020-01-01", "2020-02-01")
    assert "AAA" in err.value.suggestions
    assert "did you mean AAA" in err.value.message


@pytest.mark.parametrize(
    ("start", "end", "fragment"),
    [
        ("2020-03-01", "2020-02-01", "reversed date range"),
        ("not-a-date", "2020-02-01", "is not a date"),
        ("2030-01-01", "2030-02-01", "no bars between"),
        ("", "2020-02-01", "start date is missing"),
    ],
)
def test_bad_date_ranges_are_refused(center: DataCenter, start: str, end: str, fragment: str) -> None:
    with pytest.raises(InvalidDateRangeError, match=fragment):
        center.get_price("AAA", start, end)


def _bad_frames() -> list[tuple[str, pd.DataFrame, str]]:
    base = make_bars(n=10, seed=2)
    missing = base.drop(columns=["volume"])
    bad_date = base.astype({"date": str})
    bad_date.loc[3, "date"] = "31/31/2020"
    dup = base.copy()
    dup.loc[4, "date"] = dup.loc[3, "date"]
    unsorted = base.iloc[[0, 2, 1, *range(3, 10)]]
    nan_price = base.copy()
    nan_price.loc[5, "close"] = np.nan
    nonpos = base.copy()
    nonpos.loc[6, "open"] = 0.0
    inverted = base.copy()
    inverted.loc[7, ["high", "low"]] = [90.0, 110.0]
    text_price = base.astype({"close": object})
    text_price.loc[2, "close"] = "abc"
    return [
        ("missing column", missing, "missing required column"),
        ("unparseable date", bad_date, "unparseable date"),
        ("duplicate date", dup, "duplicate date"),
        ("unsorted dates", unsorted, "not sorted"),
        ("NaN price", nan_price, "has NaN"),
        ("non-positive price", nonpos, "non-positive"),
        ("high below low", inverted, "high < low"),
        ("text in a price", text_price, "non-numeric"),
        ("empty frame", base.iloc[0:0], "no rows"),
    ]


@pytest.mark.parametrize(("label", "frame", "fragment"), _bad_frames(), ids=[b[0] for b in _bad_frames()])
def test_bad_frames_are_refused_and_the_store_is_unchanged(
    center: DataCenter, label: str, frame: pd.DataFrame, fragment: str
) -> None:
    before = store_digest(center.data_dir)

    with pytest.raises(InvalidDataError, match=fragment):
        center.ingest_frame(frame, "NEW", market="test", provenance=PROV)

    assert store_digest(center.data_dir) == before
    with pytest.raises(UnknownSymbolError):
        center.info("NEW")


def test_one_bad_frame_in_a_batch_writes_nothing(center: DataCenter) -> None:
    before = store_digest(center.data_dir)
    bad = make_bars(seed=3)
    bad.loc[2, "low"] = -1.0

    with pytest.raises(InvalidDataError, match="BAD1"):
        center.ingest_frames({"GOOD1": make_bars(seed=2), "BAD1": bad}, "test", PROV)

    assert store_digest(center.data_dir) == before


def test_bad_csv_is_refused_and_the_store_is_unchanged(center: DataCenter, tmp_path: Path) -> None:
    csv = tmp_path / "bad.csv"
    csv.write_text("date,open,high,low,close\n2020-01-01,1,2,0.5,1.5\n")
    before = store_digest(center.data_dir)

    with pytest.raises(InvalidDataError, match="bad.csv: missing required column"):
        center.ingest_csv(csv, "CSV1", market="test")

    assert store_digest(center.data_dir) == before


def test_existing_symbol_is_not_overwritten_without_replace(center: DataCenter) -> None:
    before = store_digest(center.data_dir)
    with pytest.raises(InvalidArgumentError, match="already in market"):
        center.ingest_frame(make_bars(seed=7), "AAA", market="test", provenance=PROV)
    assert store_digest(center.data_dir) == before


def test_a_symbol_cannot_live_in_two_markets(center: DataCenter) -> None:
    with pytest.raises(InvalidArgumentError, match="already live in market"):
        center.ingest_frame(make_bars(seed=7), "AAA", market="other", provenance=PROV)


@pytest.mark.parametrize("symbol", ["../etc", "a b", "", "x" * 40, "$close"])
def test_symbols_that_cannot_be_file_names_are_refused(center: DataCenter, symbol: str) -> None:
    with pytest.raises(InvalidArgumentError, match="invalid symbol"):
        center.ingest_frame(make_bars(), symbol, market="test", provenance=PROV)


def test_hostile_market_names_are_refused(tmp_path: Path) -> None:
    dc = DataCenter(tmp_path / "data")
    with pytest.raises(InvalidArgumentError, match="invalid market"):
        dc.ingest_frame(make_bars(), "OK1", market="../../escape", provenance=PROV)
    assert not (tmp_path / "escape").exists()


# --- atomicity --------------------------------------------------------------------------------

_KILLED_INGEST = textwrap.dedent(
    """
    import os, signal, sys
    import numpy as np, pandas as pd
    sys.path.insert(0, {tests!r})
    from test_data_store import make_bars, PROV
    from taorui_engines.data import DataCenter

    dc = DataCenter({data!r})
    frames = {{f"K{{i}}": make_bars(n=400, start="2015-01-01", seed=i, freq="D") for i in range(20)}}

    def die():
        os.kill(os.getpid(), signal.SIGKILL)

    if not {at_swap!r}:  # die in the middle of writing the new version's files (deterministic)
        from taorui_engines.data import _store
        write, written = _store._write_file, []

        def write_then_die(path, data):
            write(path, data)
            written.append(path)
            if len(written) == 40:
                die()

        _store._write_file = write_then_die
    dc.ingest_frames(frames, "test", PROV, _before_swap=die if {at_swap!r} else None)
    """
)


@pytest.mark.parametrize("at_swap", [True, False], ids=["killed-before-swap", "killed-mid-write"])
def test_an_ingest_killed_mid_write_leaves_the_old_store_intact(
    center: DataCenter, tmp_path: Path, at_swap: bool
) -> None:
    before_prices = center.get_price("AAA", "2019-01-01", "2021-01-01")
    before = store_digest(center.data_dir / "markets" / "test" / "current")
    script = _KILLED_INGEST.format(
        tests=str(Path(__file__).parent), data=str(center.data_dir), at_swap=at_swap
    )
    proc = subprocess.Popen([sys.executable, "-c", script], stderr=subprocess.PIPE)
    proc.wait(timeout=120)

    assert proc.returncode == -signal.SIGKILL
    fresh = DataCenter(center.data_dir)
    assert store_digest(center.data_dir / "markets" / "test" / "current") == before
    pd.testing.assert_frame_equal(fresh.get_price("AAA", "2019-01-01", "2021-01-01"), before_prices)
    with pytest.raises(UnknownSymbolError):
        fresh.info("K0")
    # and the next ingest still works, cleaning up after the dead one
    fresh.ingest_frame(make_bars(seed=11), "AFTER", market="test", provenance=PROV)
    assert fresh.info("AFTER").rows == 60


@pytest.mark.parametrize(("symbols", "start", "end", "fields"), [
    ("csi_syn", "2016-01-01", "2025-12-31", ("open", "high", "low", "close", "volume")),
    (["GOLD", "SP500", "WTI"], "2000-01-01", "2020-01-01", ("close",)),
    ("SP500,NASDAQ", "2008-09-01", "2008-10-31", ("close", "volume", "open")),
    ("SYN001,SYN050", "2020-02-01", "2020-02-20", ("high", "low")),
    ("WTI", "1980-01-01", "1986-03-01", ("open", "high", "low", "close")),
])
def test_get_price_reads_the_columns_directly_with_qlibs_numbers(
        data_center: DataCenter, symbols: object, start: str, end: str, fields: tuple[str, ...]) -> None:
    """The direct column reader gives exactly what Qlib's ``D.features`` gives for the same fields."""
    from taorui_engines.data._center import _group_by_market
    from taorui_engines.data._validate import parse_range

    got = data_center.get_price(symbols, start, end, fields=fields)  # type: ignore[arg-type]
    s, e = parse_range(start, end)
    infos = data_center.resolve(symbols)  # type: ignore[arg-type]
    frames = [data_center._features(m, g, {f: f"${f}" for f in fields}, s, e, "day").reset_index()
              for m, g in _group_by_market(infos).items()]
    want = pd.concat(frames, ignore_index=True).dropna(subset=list(fields), how="all")
    want = want.sort_values(["date", "symbol"], kind="stable").reset_index(drop=True)
    pd.testing.assert_frame_equal(got, want)
    assert list(got.columns) == ["date", "symbol", *fields]

