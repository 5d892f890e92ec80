"""Turning user DataFrames and CSV files into clean bar frames, or refusing them clearly.

Ingestion is all-or-nothing: every check here runs before a byte of the store is written,
so a bad file leaves the store exactly as it was. Messages name the column, the row and the
value so a person can fix the file without guessing.

What is refused is what the store cannot hold faithfully or what would mislead later
readers: values outside float32 (the store's type), rows dated after "today" (they would
move every session clock), dates whose format is ambiguous or changes inside a file, bars
whose high/low do not contain the open and close, and files too wide to be bars. "Today" is
passed in by the caller (the data center injects its clock); it defaults to the UTC date.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
from pandas.tseries.api import guess_datetime_format

from taorui_engines.errors import InvalidArgumentError, InvalidDataError, InvalidDateRangeError

#: A function returning today's date; injected so tests and replays control "the future".
Today = Callable[[], date]
Freq = Literal["day", "1min"]
FREQS: tuple[str, ...] = ("day", "1min")
PRICE_FIELDS: tuple[str, ...] = ("open", "high", "low", "close")
BAR_FIELDS: tuple[str, ...] = (*PRICE_FIELDS, "volume")
_FIELD_RE = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
_DATE_ALIASES = ("date", "datetime", "time", "timestamp", "trade_date")
_MAX_EXAMPLES = 3
#: More columns than this is not a bar file (date, OHLCV and a few extra fields).
MAX_COLUMNS = 64
_MAX_HEADER_CHARS = 1 << 20
_F32 = np.finfo(np.float32)
#: Relative slack of the OHLC containment check: float rounding, not a real violation.
_OHLC_RTOL = 1e-9
#: A row may be dated one day after "today": the source may sit in a time zone ahead of UTC.
_FUTURE_SLACK = pd.Timedelta(days=1)
_ISO_RE = re.compile(
    r"^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?(?:Z|[+-]\d{2}:?\d{2})?$"
)
_DMY_RE = re.compile(r"^(\d{1,2})([/.\-])(\d{1,2})\2(?:\d{4}|\d{2})(?!\d)")
_FORMAT_HINT = "use ISO dates (YYYY-MM-DD) or pass date_format (CLI: --date-format '%d/%m/%Y')"


def utc_today() -> date:
    """The system's UTC date: the default "today" when the caller injects none."""
    return datetime.now(UTC).date()


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


# --- dates ------------------------------------------------------------------------------


def _is_datetime_like(raw: pd.Series) -> bool:
    """True for a column that already holds dates (no text format to guess)."""
    if pd.api.types.is_datetime64_any_dtype(raw):
        return True
    values = raw.dropna()
    return raw.dtype == object and len(values) > 0 and all(isinstance(v, date) for v in values)


def _date_strings(raw: pd.Series) -> pd.Series:
    """Each date as stripped text; a missing date becomes '' (and is reported unparseable)."""
    text = [str(v).strip() if not pd.isna(v) else "" for v in raw.astype(object)]
    return pd.Series(text, index=raw.index, dtype="str")


def _day_first(text: pd.Series) -> bool:
    """Read ``a/b/yyyy`` dates one way for the whole column, or refuse when that is unclear.

    Why refuse: ``01/02/2024`` is 1 February or 2 January depending on who wrote it, and
    parsing each row on its own (as ``format="mixed"`` did) silently mixes both readings.
    """
    parts = text.str.extract(_DMY_RE)
    found = parts[0].notna()
    first, second = parts.loc[found, 0].astype(int), parts.loc[found, 2].astype(int)
    # a date with both parts above 12 fits neither reading: it is reported unparseable later
    day_first = text[found][(first > 12) & (second <= 12)]
    month_first = text[found][(second > 12) & (first <= 12)]
    if len(day_first) and len(month_first):
        raise InvalidDataError(
            f"dates mix day-first ({day_first.iloc[0]}) and month-first ({month_first.iloc[0]}) "
            f"formats in one file; {_FORMAT_HINT}"
        )
    if len(day_first) or len(month_first):
        return bool(len(day_first))
    raise InvalidDataError(
        f"ambiguous dates: {text[found].iloc[0]} could be day/month or month/day and no date in "
        f"the file has a part above 12 to tell; {_FORMAT_HINT}"
    )


def _plain_dmy_format(value: str, dayfirst: bool) -> str | None:
    """``%d/%m/%y``-style pattern of a bare date that pandas cannot guess (two-digit years)."""
    match = _DMY_RE.match(value)
    if match is None or match.end() != len(value):
        return None
    sep = match.group(2)
    year = "%Y" if len(value.rsplit(sep, 1)[1]) == 4 else "%y"
    return sep.join(("%d", "%m", year) if dayfirst else ("%m", "%d", year))


def _infer_format(text: pd.Series) -> str:
    """The one format of a text date column, read from its first date (ISO if it is ISO)."""
    filled = text[text != ""]
    if filled.empty:
        raise InvalidDataError("every date is missing")
    first = str(filled.iloc[0])
    if _ISO_RE.match(first):
        return "ISO8601"
    dayfirst = _day_first(filled) if _DMY_RE.match(first) else False
    fmt = guess_datetime_format(first, dayfirst=dayfirst) or _plain_dmy_format(first, dayfirst)
    if fmt is None:
        raise InvalidDataError(f"cannot tell the date format of {first!r}; {_FORMAT_HINT}")
    return fmt


def _parse_text_dates(text: pd.Series, fmt: str) -> pd.Series:
    """Parse every date with ``fmt``; a date that does not match becomes NaT."""
    try:
        return pd.to_datetime(text, format=fmt, errors="coerce", utc=True)
    except ValueError as exc:  # a malformed strftime pattern
        raise InvalidArgumentError(f"date format {fmt!r} is not usable: {exc}") from exc


def _to_datetimes(raw: pd.Series, date_format: str | None) -> pd.Series:
    """Dates of the column, parsed with ONE format for every row (or refused)."""
    if _is_datetime_like(raw):
        parsed = pd.to_datetime(raw, errors="coerce")
        bad, how = raw[parsed.isna()], ""
    else:
        text = _date_strings(raw)
        fmt = date_format or _infer_format(text)
        parsed = _parse_text_dates(text, fmt)
        shown = "ISO (YYYY-MM-DD)" if fmt == "ISO8601" else repr(fmt)
        bad = text[parsed.isna()]
        how = f" (every date must use the column's one format, {shown})"
    if len(bad):
        rows = [repr(str(v)) for v in bad.head(_MAX_EXAMPLES)]
        raise InvalidDataError(f"{len(bad)} unparseable date(s){how}, e.g. {', '.join(rows)}")
    return parsed


def _check_not_future(idx: pd.DatetimeIndex, today: date) -> None:
    """Refuse rows dated after today (+1 day for time zones): they would move every clock."""
    future = idx[idx.normalize() > pd.Timestamp(today) + _FUTURE_SLACK]
    if len(future):
        raise InvalidDataError(
            f"{len(future)} row(s) dated in the future: {_examples(future)} "
            f"(today is {today.isoformat()} UTC; at most one day ahead is accepted)"
        )


def _parse_dates(
    raw: pd.Series, freq: Freq, today: date, date_format: str | None = None
) -> pd.DatetimeIndex:
    idx = pd.DatetimeIndex(_to_datetimes(raw, date_format))
    if idx.tz is not None:
        idx = idx.tz_convert(None)
    if freq == "day" and (idx != idx.normalize()).any():
        raise InvalidDataError("daily data has times of day; pass freq='1min' for intraday bars")
    if freq == "1min" and (idx != idx.floor("min")).any():
        raise InvalidDataError("1-minute bars must fall on whole minutes")
    _check_not_future(idx, today)
    dup = idx[idx.duplicated()]
    if len(dup):
        raise InvalidDataError(f"{len(dup)} duplicate date(s): {_examples(dup.unique())}")
    if not idx.is_monotonic_increasing:
        pos = int(np.argmax(np.diff(idx.asi8) < 0)) + 1
        raise InvalidDataError(
            f"dates are not sorted ascending: {idx[pos]} comes after {idx[pos - 1]}"
        )
    return idx


# --- values -----------------------------------------------------------------------------


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


def _bar_rows(bars: pd.DataFrame, mask: pd.Series) -> str:
    """``2020-01-03 (open 101, high 100, low 99, close 100.5)`` for the first rows of ``mask``."""
    rows = bars.loc[mask, list(PRICE_FIELDS)]
    shown = [
        f"{_examples([when])} ({', '.join(f'{c} {row[c]:.10g}' for c in PRICE_FIELDS)})"
        for when, row in rows.head(_MAX_EXAMPLES).iterrows()
    ]
    more = "" if len(rows) <= _MAX_EXAMPLES else f" (+{len(rows) - _MAX_EXAMPLES} more)"
    return "; ".join(shown) + more


def _check_ohlc(bars: pd.DataFrame) -> None:
    """Refuse bars whose high/low do not contain the open and close.

    A shortfall within ``_OHLC_RTOL`` is float rounding in whoever computed the bar; it is
    snapped onto the body. That moves the value by far less than the float32 store resolves
    (about 6e-8), and it keeps the stored bar consistent: rounding to float32 preserves order,
    so ``high >= max(open, close)`` still holds when the store reads the bar back.
    """
    top = np.maximum(bars["open"], bars["close"])
    bottom = np.minimum(bars["open"], bars["close"])
    short = bars["high"] < top * (1 - _OHLC_RTOL)
    if short.any():
        raise InvalidDataError(
            f"high below max(open, close) on {int(short.sum())} row(s): {_bar_rows(bars, short)}"
        )
    over = bars["low"] > bottom * (1 + _OHLC_RTOL)
    if over.any():
        raise InvalidDataError(
            f"low above min(open, close) on {int(over.sum())} row(s): {_bar_rows(bars, over)}"
        )
    bars["high"] = np.maximum(bars["high"], top)
    bars["low"] = np.minimum(bars["low"], bottom)


def _storable_problems(values: np.ndarray) -> list[tuple[str, np.ndarray]]:
    """(why, mask) pairs of values the float32 store cannot hold as given."""
    magnitude = np.abs(values)
    return [
        ("infinite values", np.isinf(values)),
        (f"values too large for the float32 store (above {_F32.max:.4g})",
         np.isfinite(values) & (magnitude > _F32.max)),
        (f"values too small for the float32 store (non-zero below {_F32.tiny:.4g}, they would "
         "become 0 or lose their digits)", (magnitude > 0) & (magnitude < _F32.tiny)),
    ]


def _check_storable(bars: pd.DataFrame) -> None:
    """Refuse values that float32 (the store's type) would turn into inf, 0 or noise."""
    for col in bars.columns:
        values = bars[col].to_numpy(dtype="float64")
        for why, mask in _storable_problems(values):
            if mask.any():
                shown = _value_rows(bars.index[mask], values[mask])
                raise InvalidDataError(f"column {col!r} has {why}: {shown}")


def _value_rows(dates: pd.Index, values: np.ndarray) -> str:
    """``2020-01-03 = 1e+39, ...`` for the first few offending values."""
    shown = [f"{_examples([d])} = {v:.6g}" for d, v in zip(dates[:_MAX_EXAMPLES], values, strict=False)]
    more = "" if len(values) <= _MAX_EXAMPLES else f" (+{len(values) - _MAX_EXAMPLES} more)"
    return ", ".join(shown) + more


def check_width(columns: int, what: str) -> None:
    """Refuse a frame or file with more than :data:`MAX_COLUMNS` columns, before parsing it.

    Why: a bar file has a date, OHLCV and a few extra fields; thousands of columns are a
    wrong file (or a hostile one) and would cost minutes to validate column by column.
    """
    if columns > MAX_COLUMNS:
        raise InvalidDataError(
            f"{what} has {columns} columns; at most {MAX_COLUMNS} are accepted (a date, "
            "open/high/low/close/volume and extra fields): drop the columns you do not need"
        )


def clean_bars(
    frame: pd.DataFrame,
    freq: Freq = "day",
    *,
    today: date | None = None,
    date_format: str | None = None,
) -> pd.DataFrame:
    """Validate a bar frame and return it indexed by date, float64, lower-case fields.

    Required: a date column (or DatetimeIndex) and open/high/low/close/volume. Optional:
    ``factor``, ``vwap`` and any other numeric column, stored as an extra field. A frame
    without volume is refused: a close-only series must say how it filled the bar (see the
    WTI sample), not have it invented here.

    ``today`` (default: the UTC date) is the last day rows may carry, plus one day of slack
    for time zones. ``date_format`` (a strftime pattern) reads text dates; without it, text
    dates must be ISO or one unambiguous format for the whole column.
    """
    if not isinstance(frame, pd.DataFrame):
        raise InvalidDataError(f"expected a DataFrame, got {type(frame).__name__}")
    check_width(frame.shape[1], "the frame")
    if frame.empty:
        raise InvalidDataError("no rows to ingest")
    frame = frame.rename(columns={c: normalize_field_name(c) for c in frame.columns})
    if frame.columns.duplicated().any():
        dups = sorted(set(frame.columns[frame.columns.duplicated()]))
        raise InvalidDataError(f"duplicate columns after normalising names: {dups}")
    dates = _parse_dates(_date_column(frame), freq, today or utc_today(), date_format)
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
    _check_storable(out)
    _check_ohlc(out)
    return out


def _header_width(path: Path) -> int:
    """Number of columns in the CSV's header line, read without touching the body."""
    with path.open(encoding="utf-8", errors="replace", newline="") as handle:
        line = handle.readline(_MAX_HEADER_CHARS)
    if len(line) >= _MAX_HEADER_CHARS:
        raise InvalidDataError(
            f"{path.name}: the header line is longer than {_MAX_HEADER_CHARS} characters"
        )
    return len(next(csv.reader([line]), []))


def read_bar_csv(
    path: Path,
    freq: Freq = "day",
    *,
    today: date | None = None,
    date_format: str | None = None,
) -> pd.DataFrame:
    """Read and validate one CSV of bars (see :func:`clean_bars`); the header is checked first."""
    if not path.is_file():
        raise InvalidDataError(f"no such CSV file: {path}")
    check_width(_header_width(path), path.name)
    try:
        raw = pd.read_csv(path)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise InvalidDataError(f"cannot read {path.name} as CSV: {exc}") from exc
    try:
        return clean_bars(raw, freq, today=today, date_format=date_format)
    except InvalidDataError as exc:
        raise InvalidDataError(f"{path.name}: {exc.message}") from exc
