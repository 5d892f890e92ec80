"""The panel feature engine gives the frame Qlib's own loader gives.

``taorui_engines/qlib_engine/_fast_features.py`` computes Qlib expressions by blocks of
instruments instead of one instrument at a time. Each test builds the raw frame both ways on a
real Qlib store and compares them: the same index, columns and dtypes exactly, and every value
within :data:`RTOL` / :data:`ATOL` with NaN in the same cells.

Why that tolerance: both sides end in float32 (Qlib casts every expression to float32), whose
spacing is ~6e-8 relative. The engine repeats Qlib's operations in the same dtypes and order, and
on this store the frames come out bit-identical; the tolerance leaves room for a few float32
steps, the most a different NumPy build could move a transcendental (``log``, ``power``)
between its 1-D and 2-D loops, and nothing like a wrong window or operator (those move values
by percents or shift NaN).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from taorui_engines.data import DataCenter, Provenance, _qlib
from taorui_engines.qlib_engine._dataset import feature_config, label_expression, label_tree
from taorui_engines.qlib_engine._fast_features import load_features, rolling_arg_extreme

RTOL = 1e-6
ATOL = 1e-6

#: Operators Alpha158 does not use, in the shapes custom factors use them.
OTHER_OPERATORS = (
    "Var($close, 10)", "Skew($volume, 20)", "Kurt($close, 30)", "Med($high, 7)", "Count($close, 5)",
    "Delta($close, 3)", "Cov($close, $volume, 15)", "Sign($close - Ref($close, 1))", "Power($close, 0.5)",
    "If($close > $open, $high, $low)", "If(($close > $open) & ($volume > Ref($volume, 1)), 1, 0)",
    "Mean(($close >= $open) | Not($high <= $low), 5)", "Sum($close == Ref($close, 1), 10)",
    "Mean($close != $open, 3)", "Abs(Log($volume / Ref($volume, 5)))", "Rank(Corr($close, $volume, 10), 20)",
    "Quantile(Std($close, 5), 30, 0.5)", "IdxMin(Slope($close, 10), 20) - IdxMax(Resi($low, 5), 7)",
    "Rsquare($volume, 3)", "Sign($close > $open)",
)
#: Operators the engine leaves to Qlib (its Python ``rolling.apply`` / ``ewm`` semantics).
QLIB_ONLY = ("EMA($close, 10)", "WMA($close, 5)", "Mad($close, 10)")


def _both(center: DataCenter, market: str, config: dict[str, tuple[list[str], list[str]]], symbols: Sequence[str],
          start: str, end: str, horizon: int = 1) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(panel engine, Qlib's QlibDataLoader) on the same request."""
    from qlib.data.dataset.loader import QlibDataLoader

    s, e = pd.Timestamp(start), pd.Timestamp(end)
    with _qlib.lock():
        center.activate(market)
        ours = load_features(config, symbols, s, e, trees={label_expression(horizon): label_tree(horizon)})
        qlibs = QlibDataLoader(config=config).load(list(symbols), s, e)
    return ours, qlibs


def _assert_same_frame(ours: pd.DataFrame, qlibs: pd.DataFrame) -> None:
    pd.testing.assert_index_equal(ours.index, qlibs.index, exact=True)
    pd.testing.assert_index_equal(ours.columns, qlibs.columns, exact=True)
    pd.testing.assert_series_equal(ours.dtypes, qlibs.dtypes)
    for column in qlibs.columns:
        got, want = ours[column].to_numpy(), qlibs[column].to_numpy()
        np.testing.assert_array_equal(np.isnan(got), np.isnan(want), err_msg=f"NaN cells of {column}")
        np.testing.assert_allclose(got, want, rtol=RTOL, atol=ATOL, equal_nan=True, err_msg=str(column))


def _config(fields: Sequence[str], names: Sequence[str], horizon: int = 1) -> dict[str, tuple[list[str], list[str]]]:
    return {"feature": (list(fields), list(names)), "label": ([label_expression(horizon)], ["LABEL0"])}


def test_alpha158_and_the_label_equal_qlibs_loader(data_center: DataCenter) -> None:
    symbols = [f"SYN{i:03d}" for i in range(0, 120, 5)]  # 24 of csi_syn's 120
    ours, qlibs = _both(data_center, "synthetic", _config(*feature_config("alpha158")), symbols,
                        "2019-01-01", "2020-12-31")
    assert qlibs.shape == (24 * 523, 159)  # 523 trading days in the synthetic calendar
    _assert_same_frame(ours, qlibs)


def test_instruments_that_start_inside_the_window_equal_qlibs_loader(data_center: DataCenter) -> None:
    # csi_syn starts in 2016, GOLD in 2006: the SYN rolling windows start short, as Qlib's do.
    fields, names = feature_config("alpha158")
    ours, qlibs = _both(data_center, "synthetic", _config(fields, names, horizon=4), ["GOLD", "SYN000", "SYN001"],
                        "2015-10-01", "2016-12-30", horizon=4)
    assert ours.index.get_level_values("instrument").value_counts()["GOLD"] > \
        ours.index.get_level_values("instrument").value_counts()["SYN000"]
    _assert_same_frame(ours, qlibs)


def test_other_operators_and_the_ones_left_to_qlib_equal_qlibs_loader(
        data_center: DataCenter, caplog: pytest.LogCaptureFixture) -> None:
    exprs = [*OTHER_OPERATORS, *QLIB_ONLY]
    with caplog.at_level(logging.DEBUG, logger="taorui_engines.qlib_engine._fast_features"):
        ours, qlibs = _both(data_center, "synthetic", _config(exprs, [f"F{i:03d}" for i in range(len(exprs))]),
                            ["SYN003", "SYN007", "SYN011"], "2020-01-01", "2020-12-31")
    slow = {r.getMessage().split(" through Qlib")[0] for r in caplog.records if "through Qlib:" in r.getMessage()}
    assert slow == set(QLIB_ONLY)  # everything else was computed by blocks
    _assert_same_frame(ours, qlibs)


def test_an_operator_the_engine_does_not_implement_goes_to_qlib_with_the_same_values(
        data_center: DataCenter, caplog: pytest.LogCaptureFixture) -> None:
    exprs = ["EMA($close, 10) / $close", "Mean($close, 5) / $close"]
    with caplog.at_level(logging.DEBUG, logger="taorui_engines.qlib_engine._fast_features"):
        ours, qlibs = _both(data_center, "synthetic", _config(exprs, ["EMA", "MA"]), ["SYN001", "SYN002"],
                            "2021-01-01", "2021-06-30")
    slow = [r.getMessage() for r in caplog.records if "through Qlib" in r.getMessage()]
    assert slow == ["EMA($close, 10) / $close through Qlib: EMA is not implemented by blocks"]
    assert any("2 of 3 columns computed by blocks, 1 by Qlib" in r.getMessage() for r in caplog.records)
    _assert_same_frame(ours, qlibs)


def _ragged_bars(seed: int, start: str, n: int, gaps: Sequence[int]) -> pd.DataFrame:
    """Bars on business days with some days missing (NaN in the store) and prices on a coarse
    grid, so rolling windows hold gaps, ties and flat stretches."""
    rng = np.random.default_rng(seed)
    dates = pd.bdate_range(start, periods=n)
    close = np.round(20 + np.cumsum(rng.normal(0, 0.3, n)), 1)
    close[60:67] = close[60]  # flat: Corr/Rsquare blank these windows
    open_ = np.round(close + rng.normal(0, 0.2, n), 1)
    high = np.maximum(open_, close) + np.round(rng.uniform(0, 0.3, n), 1)
    low = np.minimum(open_, close) - np.round(rng.uniform(0, 0.3, n), 1)
    volume = rng.integers(1, 6, n).astype(float) * 1000
    frame = pd.DataFrame({"date": dates, "open": open_, "high": high, "low": low, "close": close, "volume": volume})
    return frame.drop(index=list(gaps)).reset_index(drop=True)


def test_a_store_with_gaps_and_ties_equals_qlibs_loader(tmp_path: Path) -> None:
    center = DataCenter(tmp_path / "data")
    frames = {"AAA": _ragged_bars(1, "2020-01-01", 160, gaps=[30, 31, 32, 70]),
              "BBB": _ragged_bars(2, "2020-02-03", 130, gaps=[5, 90, 91]),
              "CCC": _ragged_bars(3, "2020-01-01", 100, gaps=[])}  # ends early
    center.ingest_frames(frames, "gappy", Provenance(source="test", synthetic=True), region="us")
    exprs, names = feature_config("alpha158")
    config = _config([*exprs, *OTHER_OPERATORS], [*names, *(f"F{i:03d}" for i in range(len(OTHER_OPERATORS)))], 2)
    ours, qlibs = _both(center, "gappy", config, ["AAA", "BBB", "CCC"], "2020-02-15", "2020-07-31", horizon=2)
    assert qlibs.isna().any().any()
    _assert_same_frame(ours, qlibs)


@pytest.mark.parametrize("window", [1, 2, 5, 30, 400])
@pytest.mark.parametrize("largest", [True, False])
def test_idxmax_and_idxmin_follow_pandas_rolling_apply_of_argmax(window: int, largest: bool) -> None:
    """Qlib's IdxMax/IdxMin are ``rolling(n, min_periods=1).apply(argmax + 1)``; NaN, inf and ties included."""
    rng = np.random.default_rng(0)
    values = rng.integers(0, 5, size=(300, 7)).astype(np.float32)
    values[rng.random(values.shape) < 0.1] = np.nan
    values[rng.random(values.shape) < 0.05] = np.inf
    values[rng.random(values.shape) < 0.05] = -np.inf
    values[:20, 3] = np.nan
    values[100:140, 4] = np.nan

    def pick(window_values: np.ndarray) -> float:
        return float((window_values.argmax() if largest else window_values.argmin()) + 1)

    want = pd.DataFrame(values).rolling(window, min_periods=1).apply(pick, raw=True).to_numpy()
    np.testing.assert_array_equal(rolling_arg_extreme(values, window, largest), want)
