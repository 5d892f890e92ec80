"""Hostile inputs to ingestion: each is refused with a message that names the problem, and
the store is left byte-for-byte as it was.

"Today" is injected (``DataCenter(today=...)``) so the future-date checks do not depend on
when the suite runs.
"""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from taorui_engines.data import DataCenter
from taorui_engines.errors import InvalidDataError, UnknownSymbolError

from .test_cli_data import run_json
from .test_data_store import make_bars, store_digest

TODAY = date(2024, 6, 28)  # a Friday


@pytest.fixture
def center(home: Path) -> DataCenter:
    """A data center over a fresh copy of the sample store, whose clock says it is TODAY."""
    return DataCenter(home / "data", today=lambda: TODAY)


def write_csv(path: Path, dates: list[str], extra_header: str = "", extra: str = "") -> Path:
    """A small valid-looking bar CSV with the given date strings, one row each."""
    lines = [f"date,open,high,low,close,volume{extra_header}"]
    for i, day in enumerate(dates):
        price = 100 + i
        lines.append(f"{day},{price},{price + 1},{price - 1},{price + 0.5},1000{extra}")
    path.write_text("\n".join(lines) + "\n")
    return path


def assert_refused(center: DataCenter, frame: pd.DataFrame, *fragments: str) -> str:
    """Ingest ``frame`` as NEW, expect InvalidDataError with every fragment, store unchanged."""
    before = store_digest(center.data_dir)
    with pytest.raises(InvalidDataError) as err:
        center.ingest_frame(frame, "NEW", market="custom")
    for fragment in fragments:
        assert fragment in err.value.message
    assert store_digest(center.data_dir) == before
    with pytest.raises(UnknownSymbolError):
        center.info("NEW")
    return err.value.message


def assert_csv_refused(center: DataCenter, csv: Path, *fragments: str) -> str:
    """Same as :func:`assert_refused` for a CSV file."""
    before = store_digest(center.data_dir)
    with pytest.raises(InvalidDataError) as err:
        center.ingest_csv(csv, "NEW", market="custom")
    for fragment in fragments:
        assert fragment in err.value.message
    assert store_digest(center.data_dir) == before
    return err.value.message


# --- values the float32 store cannot hold ---------------------------------------------------


@pytest.mark.parametrize(
    ("column", "value", "shown", "why"),
    [
        ("close", 1e39, "1e+39", "too large for the float32 store"),
        ("close", 1e-50, "1e-50", "too small for the float32 store"),
        ("volume", 5e40, "5e+40", "too large for the float32 store"),
        ("vwap", 1e-45, "1e-45", "too small for the float32 store"),
        ("volume", np.inf, "inf", "infinite values"),
    ],
)
def test_values_beyond_float32_are_refused_and_change_nothing(
    center: DataCenter, column: str, value: float, shown: str, why: str
) -> None:
    bars = make_bars(n=10, start="2024-01-02")
    bars["vwap"] = bars["close"]
    bars.loc[4, column] = value

    assert_refused(center, bars, f"column {column!r}", why, f"2024-01-08 = {shown}")


# --- future dates ------------------------------------------------------------------------------


def test_a_row_dated_9999_is_refused_and_changes_nothing(center: DataCenter) -> None:
    bars = make_bars(n=10, start="2024-06-17")
    bars["date"] = bars["date"].dt.strftime("%Y-%m-%d")  # as a CSV would carry it
    bars.loc[9, "date"] = "9999-12-31"

    assert_refused(center, bars, "dated in the future", "9999-12-31", "today is 2024-06-28")


def test_future_dates_allow_one_day_for_time_zones(center: DataCenter) -> None:
    tomorrow = make_bars(n=10, start="2024-06-17", freq="D")  # ends 2024-06-26
    tomorrow["date"] = tomorrow["date"] + pd.Timedelta(days=3)  # ends 2024-06-29 = today + 1
    too_far = make_bars(n=10, start="2024-06-17", freq="D")
    too_far["date"] = too_far["date"] + pd.Timedelta(days=4)  # ends 2024-06-30 = today + 2

    assert_refused(center, too_far, "1 row(s) dated in the future: 2024-06-30")
    assert center.ingest_frame(tomorrow, "TZ1", market="custom").end == "2024-06-29"


# --- date formats ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("dates", "fragments"),
    [
        (
            ["01/02/2024", "13/02/2024", "02/14/2024"],
            ["mix day-first (13/02/2024)", "month-first (02/14/2024)"],
        ),
        (["01/02/2024", "02/02/2024", "03/02/2024"], ["ambiguous dates: 01/02/2024", "--date-format"]),
        (
            ["2024-02-01", "02/02/2024", "2024-02-05"],
            ["unparseable date", "ISO (YYYY-MM-DD)", "'02/02/2024'"],
        ),
    ],
    ids=["day-first-and-month-first", "every-date-ambiguous", "iso-mixed-with-slashes"],
)
def test_mixed_or_ambiguous_date_formats_are_refused_and_change_nothing(
    center: DataCenter, tmp_path: Path, dates: list[str], fragments: list[str]
) -> None:
    csv = write_csv(tmp_path / "mixed.csv", dates)

    message = assert_csv_refused(center, csv, *fragments)

    assert message.startswith("mixed.csv: ")


def test_an_unambiguous_day_first_file_is_read_day_first(center: DataCenter, tmp_path: Path) -> None:
    csv = write_csv(tmp_path / "dmy.csv", ["31/01/2024", "01/02/2024", "02/02/2024", "05/02/2024"])

    info = center.ingest_csv(csv, "DMY", market="custom")

    got = center.get_price("DMY", "2024-01-01", "2024-03-01")
    stored = got["date"].dt.strftime("%Y-%m-%d").tolist()
    assert stored == ["2024-01-31", "2024-02-01", "2024-02-02", "2024-02-05"]
    assert (info.start, info.end, info.rows) == ("2024-01-31", "2024-02-05", 4)


def test_an_explicit_date_format_reads_ambiguous_dates(center: DataCenter, tmp_path: Path) -> None:
    csv = write_csv(tmp_path / "dmy.csv", ["01/02/2024", "02/02/2024", "05/02/2024"])

    info = center.ingest_csv(csv, "EXPL", market="custom", date_format="%d/%m/%Y")

    assert (info.start, info.end) == ("2024-02-01", "2024-02-05")


def test_cli_date_format_option_ingests_ambiguous_dates(
    home: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    csv = write_csv(tmp_path / "dmy.csv", ["01/02/2024", "02/02/2024", "05/02/2024"])

    code, payload = run_json(
        home, capsys, "data", "ingest", "--csv", str(csv), "--symbol", "CLIDMY", "--date-format", "%d/%m/%Y"
    )

    assert code == 0, payload
    assert (payload["ingested"][0]["start"], payload["ingested"][0]["end"]) == ("2024-02-01", "2024-02-05")


def test_cli_refuses_mixed_date_formats_and_changes_nothing(
    home: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    csv = write_csv(tmp_path / "mixed.csv", ["01/02/2024", "13/02/2024", "02/14/2024"])
    run_json(home, capsys, "data", "list")  # builds the store if needed
    before = store_digest(home / "data")

    code, payload = run_json(home, capsys, "data", "ingest", "--csv", str(csv), "--symbol", "MIXED")

    assert code == 2 and payload["error"]["type"] == "InvalidData"
    assert "mix day-first" in payload["error"]["message"]
    assert store_digest(home / "data") == before


# --- OHLC consistency --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("column", "factor", "fragment"),
    [
        ("open", 1.05, "high below max(open, close) on 1 row(s): 2024-01-08 (open "),
        ("close", 1.05, "high below max(open, close) on 1 row(s): 2024-01-08 (open "),
        ("open", 0.95, "low above min(open, close) on 1 row(s): 2024-01-08 (open "),
        ("close", 0.95, "low above min(open, close) on 1 row(s): 2024-01-08 (open "),
    ],
    ids=["open-above-high", "close-above-high", "open-below-low", "close-below-low"],
)
def test_bars_whose_range_misses_open_or_close_are_refused(
    center: DataCenter, column: str, factor: float, fragment: str
) -> None:
    bars = make_bars(n=10, start="2024-01-02")
    edge = "high" if factor > 1 else "low"
    bars.loc[4, column] = bars.loc[4, edge] * factor

    assert_refused(center, bars, fragment)


def test_a_rounding_sized_ohlc_shortfall_is_accepted_and_stored_consistent(center: DataCenter) -> None:
    bars = make_bars(n=10, start="2024-01-02")
    bars.loc[4, "high"] = max(bars.loc[4, "open"], bars.loc[4, "close"]) * (1 - 1e-12)

    center.ingest_frame(bars, "ROUND", market="custom")

    got = center.get_price("ROUND", "2024-01-01", "2024-02-01")
    assert (got["high"] >= got[["open", "close"]].max(axis=1)).all()
    assert (got["low"] <= got[["open", "close"]].min(axis=1)).all()


# --- wide files ---------------------------------------------------------------------------------


def test_a_3000_column_csv_is_refused_fast_and_changes_nothing(center: DataCenter, tmp_path: Path) -> None:
    extra = [f"f{i}" for i in range(2994)]
    csv = write_csv(
        tmp_path / "wide.csv", [f"2024-01-{d:02d}" for d in range(2, 30)],
        extra_header="," + ",".join(extra), extra="," + ",".join("1" for _ in extra),
    )

    before = store_digest(center.data_dir)

    started = time.perf_counter()
    with pytest.raises(InvalidDataError) as err:
        center.ingest_csv(csv, "WIDE", market="custom")
    elapsed = time.perf_counter() - started

    assert elapsed < 1.0
    assert "wide.csv has 3000 columns" in err.value.message and "at most 64" in err.value.message
    assert store_digest(center.data_dir) == before


def test_a_3000_column_frame_is_refused_and_changes_nothing(center: DataCenter) -> None:
    bars = make_bars(n=20, start="2024-01-02")
    extra = pd.DataFrame(1.0, index=bars.index, columns=[f"f{i}" for i in range(2994)])
    wide = pd.concat([bars, extra], axis=1)

    assert_refused(center, wide, "3000 columns", "at most 64")
