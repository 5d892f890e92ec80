"""Expression reads through the panel engine give the frames Qlib's path gives.

``DataCenter.get_features`` / ``get_factor`` (and so factor evaluation and mining) compute
expressions with the panel engine (``taorui_engines/qlib_engine/_fast_features.py``), which
hands Qlib what it cannot reproduce exactly. Each test reads the same request from a center
built with ``expression_engine="panel"`` (the default) and one with ``"qlib"`` (Qlib's
``D.features`` alone, today's path) and compares the frames: the same index, columns and dtypes
exactly, the same NaN cells, values within :data:`RTOL` / :data:`ATOL`.

Why that tolerance: both engines end in Qlib's float32 (cast to float64 afterwards); on the
stores tried the frames are bit-identical, and 1e-6 leaves room only for the float32 step a
different NumPy build could move a ``log`` or ``power`` by (see tests/test_fast_features.py),
never for a wrong window, operator or row.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import date
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from taorui_engines.data import DataCenter, Provenance, _qlib
from taorui_engines.errors import (
    InvalidDateRangeError,
    InvalidExpressionError,
    TaoruiError,
    UnsafeExpressionError,
)
from taorui_engines.qlib_engine import FactorEvalRequest, _fast_features, evaluate_factors

RTOL = 1e-6
ATOL = 1e-6
PANEL_LOGGER = "taorui_engines.qlib_engine._fast_features"
CENTER_LOGGER = "taorui_engines.data._center"

#: Alpha158 expressions of every kind its 158 hold (K-bar, price, rolling, regression, Corr, IdxMax, ...).
ALPHA158 = (
    "($close-$open)/$open", "($high-$low)/$open", "(2*$close-$high-$low)/($high-$low+1e-12)",
    "Ref($close, 5)/$close", "Mean($close, 10)/$close", "Std($close, 20)/$close", "Slope($close, 5)/$close",
    "Rsquare($close, 10)", "Resi($close, 20)/$close", "Max($high, 30)/$close", "Min($low, 60)/$close",
    "Quantile($close, 10, 0.8)/$close", "Rank($close, 20)", "(IdxMax($high, 30)-IdxMin($low, 30))/30",
    "Corr($close, Log($volume+1), 10)", "Corr($close/Ref($close,1), Log($volume/Ref($volume, 1)+1), 20)",
    "Mean($close>Ref($close, 1), 5)", "Sum(Greater($close-Ref($close, 1), 0), 10)/(Sum(Abs($close-Ref($close, 1)), 10)+1e-12)",
    "Std(Abs($close/Ref($close, 1)-1)*$volume, 30)/(Mean(Abs($close/Ref($close, 1)-1)*$volume, 30)+1e-12)",
    "$vwap/$close",
)
#: Operators and shapes of custom factors beyond Alpha158 (conditions, reflected and logical operators).
CUSTOM = (
    "Var($close, 10)", "Skew($volume, 20)", "Kurt($close, 30)", "Med($high, 7)", "Count($close, 5)",
    "Delta($close, 3)", "Cov($close, $volume, 15)", "Sign($close - Ref($close, 1))", "Power($close, 0.5)",
    "If($close > $open, $high, $low)", "-$close", "1 / $close", "100 < $close",
    "$close > $open & $volume > Mean($volume, 5)", "Abs(Log($volume / Ref($volume, 5)))",
    "Rank(Corr($close, $volume, 10), 20)", "$close / Ref($close, 20) - 1",
)
#: Operators the panel engine leaves to Qlib, alone and inside larger expressions.
FALLBACK = ("EMA($close, 10)", "WMA($close, 5)", "Mad($close, 10)", "EMA($close, 10) / Mean($close, 5) - 1")


def _ragged_bars(seed: int, start: str, n: int, gaps: Sequence[int]) -> pd.DataFrame:
    """Business-day bars with some days missing, prices on a coarse grid (ties, a flat stretch)."""
    rng = np.random.default_rng(seed)
    dates = pd.bdate_range(start, periods=n)
    close = np.round(20 + np.cumsum(rng.normal(0, 0.3, n)), 1)
    close[60:67] = close[60]
    open_ = np.round(close + rng.normal(0, 0.2, n), 1)
    high = np.maximum(open_, close) + np.round(rng.uniform(0, 0.3, n), 1)
    low = np.minimum(open_, close) - np.round(rng.uniform(0, 0.3, n), 1)
    volume = rng.integers(1, 6, n).astype(float) * 1000
    vwap = np.round((high + low + close) / 3, 2)
    frame = pd.DataFrame({"date": dates, "open": open_, "high": high, "low": low, "close": close,
                          "volume": volume, "vwap": vwap})
    return frame.drop(index=list(gaps)).reset_index(drop=True)


@pytest.fixture(scope="module")
def gappy_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small store: AAA with gaps, BBB starting a month later with gaps, CCC ending early."""
    data_dir = tmp_path_factory.mktemp("gappy") / "data"
    frames = {"AAA": _ragged_bars(1, "2020-01-01", 160, gaps=[30, 31, 32, 70]),
              "BBB": _ragged_bars(2, "2020-02-03", 130, gaps=[5, 90, 91]),
              "CCC": _ragged_bars(3, "2020-01-01", 100, gaps=[])}
    DataCenter(data_dir).ingest_frames(frames, "gappy", Provenance(source="test", synthetic=True), region="us")
    return data_dir


@pytest.fixture(scope="module")
def centers(gappy_dir: Path) -> tuple[DataCenter, DataCenter]:
    """(panel engine, Qlib alone) over the same store."""
    return DataCenter(gappy_dir), DataCenter(gappy_dir, expression_engine="qlib")


def _assert_same_frame(ours: pd.DataFrame, qlibs: pd.DataFrame) -> None:
    pd.testing.assert_index_equal(ours.index, qlibs.index, exact=True)
    pd.testing.assert_index_equal(ours.columns, qlibs.columns, exact=True)
    pd.testing.assert_series_equal(ours.dtypes, qlibs.dtypes)
    for column in qlibs.columns:
        got, want = ours[column].to_numpy(dtype=float), qlibs[column].to_numpy(dtype=float)
        np.testing.assert_array_equal(np.isnan(got), np.isnan(want), err_msg=f"NaN cells of {column}")
        np.testing.assert_allclose(got, want, rtol=RTOL, atol=ATOL, equal_nan=True, err_msg=str(column))


def _both(centers: tuple[DataCenter, DataCenter], read: Callable[[DataCenter], pd.DataFrame],
          caplog: pytest.LogCaptureFixture) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """(panel frame, Qlib frame, the columns the panel engine sent to Qlib) of one read.

    Checks that the first read went through the panel engine (its summary line) without
    falling back as a whole, and that the second did not touch it.
    """
    caplog.clear()
    with caplog.at_level(logging.DEBUG, logger=PANEL_LOGGER):
        ours = read(centers[0])
    messages = [r.getMessage() for r in caplog.records]
    to_qlib = [m.split(" through Qlib:")[0] for m in messages if " through Qlib:" in m]
    assert any("computed by blocks" in m for m in messages)
    assert not [r for r in caplog.records if r.name == CENTER_LOGGER and r.levelno >= logging.WARNING]
    caplog.clear()
    with caplog.at_level(logging.DEBUG, logger=PANEL_LOGGER):
        qlibs = read(centers[1])
    assert not [r for r in caplog.records if r.name == PANEL_LOGGER]
    return ours, qlibs, to_qlib


def _features(exprs: Mapping[str, str] | Sequence[str], symbols: Sequence[str], start: str, end: str,
              ) -> Callable[[DataCenter], pd.DataFrame]:
    return lambda center: center.get_features(exprs, symbols, start, end)


def _factor(text: str, center: DataCenter) -> pd.DataFrame:
    return center.get_factor(text, ["AAA", "BBB"], "2020-01-01", "2020-08-31")


def test_alpha158_expressions_equal_the_qlib_path_over_gaps_and_a_window_before_the_first_bars(
        centers: tuple[DataCenter, DataCenter], caplog: pytest.LogCaptureFixture) -> None:
    # AAA and CCC start on 2020-01-01, BBB on 2020-02-03: the window opens before all three.
    ours, qlibs, to_qlib = _both(centers, _features(ALPHA158, ["AAA", "BBB", "CCC"], "2019-12-02", "2020-07-31"),
                                 caplog)
    assert to_qlib == []
    assert qlibs.index.get_level_values("date")[0] == pd.Timestamp("2020-01-01")
    assert qlibs.isna().any().any()
    _assert_same_frame(ours, qlibs)


def test_custom_expressions_equal_the_qlib_path(centers: tuple[DataCenter, DataCenter],
                                                caplog: pytest.LogCaptureFixture) -> None:
    ours, qlibs, to_qlib = _both(centers, _features(CUSTOM, ["AAA", "BBB", "CCC"], "2020-02-15", "2020-07-31"), caplog)
    assert to_qlib == []
    _assert_same_frame(ours, qlibs)


def test_expressions_the_panel_engine_cannot_guarantee_go_to_qlib_with_the_same_values(
        centers: tuple[DataCenter, DataCenter], caplog: pytest.LogCaptureFixture) -> None:
    exprs = {f"x{i}": text for i, text in enumerate([*FALLBACK, "Mean($close, 5)"])}
    ours, qlibs, to_qlib = _both(centers, _features(exprs, ["AAA", "BBB", "CCC"], "2020-01-15", "2020-06-30"), caplog)
    assert sorted(to_qlib) == sorted(FALLBACK)
    _assert_same_frame(ours, qlibs)


def test_get_factor_equals_the_qlib_path(centers: tuple[DataCenter, DataCenter],
                                         caplog: pytest.LogCaptureFixture) -> None:
    for text in ("Ref($close, 5) / $close - 1", "EMA($close, 10) / $close"):
        ours, qlibs, _ = _both(centers, partial(_factor, text), caplog)
        pd.testing.assert_frame_equal(ours, qlibs, check_exact=False, rtol=RTOL, atol=ATOL)
        assert list(ours.columns) == ["date", "symbol", "value"]


def test_repeated_expressions_and_names_keep_their_columns(centers: tuple[DataCenter, DataCenter],
                                                           caplog: pytest.LogCaptureFixture) -> None:
    exprs = {"close": "$close", "again": "$close", "m": "Mean($close, 5)", "m2": "Mean( $close ,5 )"}
    ours, qlibs, _ = _both(centers, _features(exprs, ["AAA", "BBB", "CCC"], "2020-01-01", "2020-08-31"), caplog)
    assert list(ours.columns) == list(exprs)
    _assert_same_frame(ours, qlibs)


def test_a_symbol_without_bars_in_the_window_is_left_out_as_before(centers: tuple[DataCenter, DataCenter],
                                                                    caplog: pytest.LogCaptureFixture) -> None:
    # CCC's last bar is in May 2020.
    ours, qlibs, _ = _both(centers, _features(["Mean($close, 10)", "EMA($close, 5)"], ["AAA", "CCC"],
                                              "2020-07-01", "2020-07-31"), caplog)
    assert set(qlibs.index.get_level_values("symbol")) == {"AAA"}
    _assert_same_frame(ours, qlibs)


def test_a_window_without_trading_days_gets_the_same_error(centers: tuple[DataCenter, DataCenter]) -> None:
    messages = []
    for center in centers:
        with pytest.raises(InvalidDateRangeError) as caught:
            center.get_features(["Mean($close, 5)"], ["AAA"], "2020-01-04", "2020-01-05")  # a weekend
        messages.append(caught.value.message)
    assert messages[0] == messages[1]


def test_a_minute_bar_store_is_read_by_qlibs_loader_with_the_same_frame(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    minutes = pd.date_range("2020-01-02 09:31", periods=240, freq="min")
    close = 20 + np.cumsum(np.random.default_rng(0).normal(0, 0.1, len(minutes)))
    bars = pd.DataFrame({"date": minutes, "open": close, "high": close + 0.1, "low": close - 0.1, "close": close,
                         "volume": 1000.0})
    DataCenter(tmp_path).ingest_frames({"AAA": bars, "BBB": bars.iloc[20:]}, "minutes",
                                       Provenance(source="test", synthetic=True), freq="1min", region="us")
    centers = (DataCenter(tmp_path), DataCenter(tmp_path, expression_engine="qlib"))
    caplog.set_level(logging.INFO, logger=PANEL_LOGGER)
    frames = [c.get_features(["Mean($close, 5)", "Ref($close, 3)"], ["AAA", "BBB"], "2020-01-02", "2020-01-03",
                             freq="1min") for c in centers]
    assert any("1min bars are read by Qlib" in r.getMessage() for r in caplog.records)
    _assert_same_frame(*frames)


def test_the_sample_store_gives_the_same_frames_for_symbols_starting_inside_the_window(
        data_center: DataCenter, caplog: pytest.LogCaptureFixture) -> None:
    # GOLD starts in 2006, the csi_syn symbols in 2016.
    centers = (data_center, DataCenter(data_center.data_dir, expression_engine="qlib"))
    exprs = [*ALPHA158[:-1], *CUSTOM[:5], *FALLBACK[:1]]
    ours, qlibs, _ = _both(centers, _features(exprs, ["GOLD", "SYN000", "SYN001"], "2015-11-02", "2016-06-30"),
                           caplog)
    symbols = qlibs.index.get_level_values("symbol")
    assert (symbols == "GOLD").sum() > (symbols == "SYN000").sum()
    _assert_same_frame(ours, qlibs)


def test_factor_evaluation_reports_the_same_numbers_through_both_engines(data_center: DataCenter) -> None:
    request = FactorEvalRequest(expressions=("Ref($close, 5) / $close - 1", "Std($close, 20) / $close",
                                             "EMA($close, 10) / $close"),
                                universe=tuple(f"SYN{i:03d}" for i in range(12)), start=date(2021, 1, 1),
                                end=date(2021, 6, 30), horizon=5)
    ours = evaluate_factors(data_center, request)
    qlibs = evaluate_factors(DataCenter(data_center.data_dir, expression_engine="qlib"), request)
    assert [r.model_dump() for r in ours.results] == [r.model_dump() for r in qlibs.results]


# errors ------------------------------------------------------------------------------------

def _store_state(data_dir: Path) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(data_dir)): (p.stat().st_size, p.stat().st_mtime_ns)
            for p in sorted(data_dir.rglob("*")) if p.is_file()}


@pytest.fixture
def engine_calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[object]]:
    """Every call of the panel engine during a test (it still runs)."""
    calls: list[object] = []
    real = _fast_features.load_features

    def recording(*args: object, **kwargs: object) -> pd.DataFrame:
        calls.append(args[0])
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(_fast_features, "load_features", recording)
    yield calls


@pytest.mark.parametrize("payload", ["__import__('os').system('touch pwned')", "Mean($close, 5); 1",
                                     "$close.__class__", "Mean($close)", "Ref($close, -5)", "TSRank($close, 5)", ""])
def test_a_hostile_or_malformed_expression_gets_the_same_error_and_changes_nothing(
        centers: tuple[DataCenter, DataCenter], gappy_dir: Path, engine_calls: list[object], payload: str) -> None:
    before, qlib_store = _store_state(gappy_dir), _qlib.current_store()
    errors = []
    for center in centers:
        with pytest.raises((UnsafeExpressionError, InvalidExpressionError)) as caught:
            center.get_features({"x": payload, "ok": "Mean($close, 5)"}, ["AAA"], "2020-01-01", "2020-03-31")
        errors.append((type(caught.value), caught.value.message))
    assert errors[0] == errors[1]
    assert engine_calls == []  # refused before any engine ran
    assert _store_state(gappy_dir) == before and _qlib.current_store() == qlib_store


def test_an_expression_qlib_cannot_evaluate_gets_qlibs_error_through_the_panel_path(
        gappy_dir: Path, caplog: pytest.LogCaptureFixture) -> None:
    """With a trusting check (a test stand-in, not the real guard) text that Qlib fails on
    reaches the engines: the panel path reports Qlib's own error, as the Qlib path does."""
    def trusting(text: str) -> str:
        return text

    errors = []
    for engine in ("panel", "qlib"):
        center = DataCenter(gappy_dir, expression_check=trusting, expression_engine=engine)  # type: ignore[arg-type]
        with caplog.at_level(logging.WARNING, logger=CENTER_LOGGER), pytest.raises(InvalidExpressionError) as caught:
            center.get_features(["Mean($close)", "Mean($close, 5)"], ["AAA", "BBB"], "2020-01-01", "2020-03-31")
        errors.append(caught.value.message)
    assert errors[0] == errors[1] and errors[0].startswith("Qlib could not evaluate the expression")
    assert any("reading them through Qlib" in r.getMessage() for r in caplog.records)


def test_an_unknown_expression_engine_is_refused(gappy_dir: Path) -> None:
    with pytest.raises(TaoruiError, match="expression_engine"):
        DataCenter(gappy_dir, expression_engine="numba")  # type: ignore[arg-type]
