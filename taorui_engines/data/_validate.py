"""Turning user DataFrames and CSV files into clean bar frames, or refusing them clearly.

Ingestion is all-or-nothing: every check here runs before a byte of the store is written,
so a bad file leaves the store exactly as it was. Messages name the column, the row and the
value so a person can fix the file without guessing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from taorui_engines.errors import InvalidArgumentError, InvalidDataError, InvalidDateRangeError

Freq = Literal["day", "1min"]
FREQS: tuple[str, ...] = ("day", "1min")
PRICE_FIELDS: tuple[str, ...] = ("open", "high", "low", "close")
BAR_FIELDS: tuple[str, ...] = (*PRICE_FIELDS, "volume")
_SYMBOL_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,31}$")
_FIELD_RE = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
_DATE_ALIASES = ("date", "datetime", "time", "timestamp", "trade_date")
_MAX_EXAMPLES = 3


def normalize_symbol(symbol: str) -> str:
    """Canonical (upper-case) form of a symbol; refuses names that cannot be a file name."""
    if not isinstance(symbol, str) or not _SYMBOL_RE.match(symbol.strip()):
        raise InvalidArgumentError(
            f"invalid symbol {symbol!r}: use 1-32 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit"
        )
    return symbol.strip().upper()


def normalize_field_name(name: str) -> str:
    """``'Adj Close'`` -> ``'adj_close'``; refuses names Qlib could not hold as ``$field``."""
    field = re.sub(r"[^0-9a-zA-Z]+", "_", str(name).strip()).strip("_").lower()
    if not _FIELD_RE.match(field):
        raise InvalidDataError(f"column {name!r} cannot be a field name (letters, digits, _)")
    return field


def check_freq(freq: str) -> Freq:
    """Return ``freq`` if supported, else a clear error."""
    if freq not in FREQS:
        raise InvalidArgumentError(f"unsupported freq {freq!r}; use one of {', '.join(FREQS)}")
    return freq  # type: ignore[return-value]


def parse_date(value: object, what: str) -> pd.Timestamp:
    """Parse one date argument (``YYYY-MM-DD`` or a datetime) or say which one is wrong."""
    if value is None or (isinstance(value, str) and not value.strip()):
        raise InvalidDateRangeError(f"{what} date is missing")
    try:
        ts = pd.Timestamp(value)  # type: ignore[arg-type]
    except (ValueError, TypeError) as exc:
        raise InvalidDateRangeError(f"{what} date {value!r} is not a date (use YYYY-MM-DD)") from exc
    if pd.isna(ts):
        raise InvalidDateRangeError(f"{what} date {value!r} is not a date (use YYYY-MM-DD)")
    if ts.tzinfo is not None:
        ts = ts.tz_convert(None)
    return ts


def parse_range(start: object, end: object) -> tuple[pd.Timestamp, pd.Timestamp]:
    """Parse and order-check a date range; a reversed range is an error, not a swap."""
    s, e = parse_date(start, "start"), parse_date(end, "end")
    if s > e:
        raise InvalidDateRangeError(
            f"reversed date range: start {s.date()} is after end {e.date()}"
        )
    return s, e


def _examples(index: Iterable[object]) -> str:
    items = [str(i.date()) if isinstance(i, pd.Timestamp) and freq_is_day(i) else str(i) for i in index]
    more = "" if len(items) <= _MAX_EXAMPLES else f" (+{len(items) - _MAX_EXAMPLES} more)"
    return ", ".join(items[:_MAX_EXAMPLES]) + more


def freq_is_day(value: object) -> bool:
    """True for a midnight timestamp (shown as a date in messages)."""
    return isinstance(value, pd.Timestamp) and value == value.normalize()


def _date_column(frame: pd.DataFrame) -> pd.Series:
    if isinstance(frame.index, pd.DatetimeIndex):
        return pd.Series(frame.index, index=frame.index)
    for alias in _DATE_ALIASES:
        if alias in frame.columns:
            return frame[alias]
    raise InvalidDataError(
        f"no date column: expected one of {', '.join(_DATE_ALIASES)} "
        f"(found columns: {', '.join(map(str, frame.columns))})"
    )


def _parse_dates(raw: pd.Series, freq: Freq) -> pd.DatetimeIndex:
    parsed = pd.to_datetime(raw, errors="coerce", format="mixed")
    bad = raw[parsed.isna()]
    if len(bad):
        rows = [str(v) for v in bad.head(_MAX_EXAMPLES)]
        raise InvalidDataError(f"{len(bad)} unparseable date(s), e.g. {', '.join(rows)}")
    idx = pd.DatetimeIndex(parsed)
    if idx.tz is not None:
        idx = idx.tz_convert(None)
    if freq == "day" and (idx != idx.normalize()).any():
        raise InvalidDataError("daily data has times of day; pass freq='1min' for intraday bars")
    if freq == "1min" and (idx != idx.floor("min")).any():
        raise InvalidDataError("1-minute bars must fall on whole minutes")
    dup = idx[idx.duplicated()]
    if len(dup):
        raise InvalidDataError(f"{len(dup)} duplicate date(s): {_examples(dup.unique())}")
    if not idx.is_monotonic_increasing:
        pos = int(np.argmax(np.diff(idx.asi8) < 0)) + 1
        raise InvalidDataError(
            f"dates are not sorted ascending: {idx[pos]} comes after {idx[pos - 1]}"
        )
    return idx


def _numeric(frame: pd.DataFrame, column: str) -> pd.Series:
    values = pd.to_numeric(frame[column], errors="coerce")
    bad = frame[column][values.isna() & frame[column].notna()]
    if len(bad):
        raise InvalidDataError(
            f"column {column!r} has non-numeric values, e.g. {', '.join(map(str, bad.head(3)))}"
        )
    return values.astype("float64")


def _check_prices(bars: pd.DataFrame) -> None:
    for col in PRICE_FIELDS:
        nan = bars.index[bars[col].isna()]
        if len(nan):
            raise InvalidDataError(f"column {col!r} has NaN on {_examples(nan)}")
        nonpos = bars.index[bars[col] <= 0]
        if len(nonpos):
            raise InvalidDataError(f"column {col!r} has non-positive prices on {_examples(nonpos)}")
        inf = bars.index[~np.isfinite(bars[col])]
        if len(inf):
            raise InvalidDataError(f"column {col!r} has infinite values on {_examples(inf)}")
    inverted = bars.index[bars["high"] < bars["low"]]
    if len(inverted):
        raise InvalidDataError(f"high < low on {_examples(inverted)}")
    vol = bars["volume"]
    negative = bars.index[vol < 0]
    if len(negative):
        raise InvalidDataError(f"column 'volume' is negative on {_examples(negative)}")


def clean_bars(frame: pd.DataFrame, freq: Freq = "day") -> pd.DataFrame:
    """Validate a bar frame and return it indexed by date, float64, lower-case fields.

    Required: a date column (or DatetimeIndex) and open/high/low/close/volume. Optional:
    ``factor``, ``vwap`` and any other numeric column, stored as an extra field. A frame
    without volume is refused: a close-only series must say how it filled the bar (see the
    WTI sample), not have it invented here.
    """
    if not isinstance(frame, pd.DataFrame):
        raise InvalidDataError(f"expected a DataFrame, got {type(frame).__name__}")
    if frame.empty:
        raise InvalidDataError("no rows to ingest")
    frame = frame.rename(columns={c: normalize_field_name(c) for c in frame.columns})
    if frame.columns.duplicated().any():
        dups = sorted(set(frame.columns[frame.columns.duplicated()]))
        raise InvalidDataError(f"duplicate columns after normalising names: {dups}")
    dates = _parse_dates(_date_column(frame), freq)
    missing = [c for c in BAR_FIELDS if c not in frame.columns]
    if missing:
        raise InvalidDataError(
            f"missing required column(s) {', '.join(missing)}; "
            f"need date, {', '.join(BAR_FIELDS)} (found: {', '.join(map(str, frame.columns))})"
        )
    extra = [c for c in frame.columns if c not in BAR_FIELDS and c not in _DATE_ALIASES]
    out = pd.DataFrame(index=dates)
    out.index.name = "date"
    for col in (*BAR_FIELDS, *extra):
        out[col] = _numeric(frame, col).to_numpy()
    _check_prices(out)
    return out


def read_bar_csv(path: Path, freq: Freq = "day") -> pd.DataFrame:
    """Read and validate one CSV of bars."""
    if not path.is_file():
        raise InvalidDataError(f"no such CSV file: {path}")
    try:
        raw = pd.read_csv(path)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise InvalidDataError(f"cannot read {path.name} as CSV: {exc}") from exc
    try:
        return clean_bars(raw, freq)
    except InvalidDataError as exc:
        raise InvalidDataError(f"{path.name}: {exc.message}") from exc
