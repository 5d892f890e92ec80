"""Qlib models and signal backtests: training, run folders, metrics that reconcile, the tools."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

from taorui_engines.data import DataCenter
from taorui_engines.errors import InternalError, InvalidArgumentError, InvalidExpressionError, NotFoundError
from taorui_engines.progress import RecordingProgress
from taorui_engines.qlib_engine import (
    BacktestConfig,
    ModelParams,
    SignalBacktestRequest,
    TrainConfig,
    TrainResult,
    backtest_signal,
    label_expression,
    train_model,
    translate,
)
from tools._context import ToolContext
from tools.qlib_tools import BACKTEST_SIGNAL, TRAIN_QLIB_MODEL

SUBSET = tuple(f"SYN{i:03d}" for i in range(30))
PLANTED = ("Ref($close,5)/$close-1", "Mean($volume,5)/Mean($volume,60)", "Std($close/Ref($close,1)-1,20)")
SEGMENTS: dict[str, Any] = {"train": ("2019-01-01", "2020-12-31"), "valid": ("2021-01-01", "2021-06-30"),
                            "test": ("2021-07-01", "2021-12-31")}
PORTFOLIO = BacktestConfig(topk=10, n_drop=2)
TEST_DAYS = 132  # Mon-Fri trading days of 2021-07-01..2021-12-31 in the synthetic calendar


@pytest.fixture(scope="module")
def runs_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("runs")


@pytest.fixture(scope="module")
def lightgbm_run(data_center: DataCenter, runs_dir: Path) -> tuple[TrainResult, RecordingProgress]:
    progress = RecordingProgress()
    config = TrainConfig(model="lightgbm", features="custom", expressions=PLANTED, universe=SUBSET,
                         backtest=PORTFOLIO, **SEGMENTS)
    return train_model(data_center, config, runs_dir, progress), progress


def _folder(result: TrainResult) -> Path:
    return Path(result.run_dir)


# --- LightGBM on the planted signals -------------------------------------------------------------------
def test_lightgbm_on_the_planted_signals_predicts_test_returns(
    data_center: DataCenter, lightgbm_run: tuple[TrainResult, Any]
) -> None:
    result, _ = lightgbm_run
    assert len(data_center.calendar("synthetic", "2021-07-01", "2021-12-31")) == TEST_DAYS

    assert result.metrics.rank_ic is not None and result.metrics.rank_ic > 0.02
    assert result.metrics.n_test_days == TEST_DAYS
    assert result.synthetic is True and result.n_features == 3


def test_training_leaves_a_complete_run_folder(lightgbm_run: tuple[TrainResult, Any]) -> None:
    result, _ = lightgbm_run
    folder = _folder(result)

    names = {p.name for p in folder.iterdir()}
    assert {"config.json", "status.json", "metrics.json", "predictions.csv", "model_lightgbm.txt",
            "backtest_daily.csv", "equity.png", "run.log"} <= names
    assert set(result.files) <= names
    assert json.loads((folder / "status.json").read_text())["state"] == "done"
    metrics = json.loads((folder / "metrics.json").read_text())
    assert metrics["rank_ic"] == result.metrics.rank_ic
    assert metrics["backtest"]["annualized_return_with_cost"] == result.backtest.annualized_return_with_cost  # type: ignore[union-attr]
    assert metrics["segments"]["test"] == ["2021-07-01", "2021-12-31"]
    assert "dataset took" in (folder / "run.log").read_text()
    assert metrics["summary"].startswith("lightgbm on custom") and "SYNTHETIC" in metrics["summary"]


def test_predictions_cover_the_test_segment_and_reproduce_its_metrics(lightgbm_run: tuple[TrainResult, Any]) -> None:
    result, _ = lightgbm_run
    predictions = pd.read_csv(_folder(result) / "predictions.csv", parse_dates=["date"])

    assert list(predictions.columns) == ["date", "symbol", "score", "label"]
    assert predictions["date"].min() == pd.Timestamp("2021-07-01")
    assert predictions["date"].max() == pd.Timestamp("2021-12-31")
    assert len(predictions) == 30 * TEST_DAYS
    daily = predictions.groupby("date").apply(lambda d: d["score"].corr(d["label"], method="spearman"))
    assert result.metrics.rank_ic == pytest.approx(daily.mean(), abs=1e-9)


def test_the_label_starts_the_day_after_the_signal(data_center: DataCenter, lightgbm_run: tuple[TrainResult, Any]) -> None:
    result, _ = lightgbm_run
    predictions = pd.read_csv(_folder(result) / "predictions.csv", parse_dates=["date"])
    close = data_center.get_price(list(SUBSET), "2021-07-01", "2022-01-10", fields=["close"])
    close = close.pivot(index="date", columns="symbol", values="close")
    expected = (close.shift(-2) / close.shift(-1) - 1).stack().rename("expected")

    joined = predictions.set_index(["date", "symbol"]).join(expected, how="inner")

    assert result.label == label_expression(1) == "Ref($close, -2) / Ref($close, -1) - 1"
    np.testing.assert_allclose(joined["label"], joined["expected"], rtol=1e-5, atol=1e-7)


def test_training_reports_progress_for_each_step(lightgbm_run: tuple[TrainResult, RecordingProgress]) -> None:
    _, progress = lightgbm_run
    tasks = {e.task for e in progress.events}

    assert {"qlib model", "train lightgbm", "backtest"} <= tasks
    steps = [e.message for e in progress.events if e.task == "qlib model"]
    assert steps == ["dataset", "train", "predict", "backtest", "done"]


def test_the_latest_signal_ranks_every_symbol_on_the_last_test_day(lightgbm_run: tuple[TrainResult, Any]) -> None:
    result, _ = lightgbm_run

    assert str(result.latest_signal.as_of) == "2021-12-31"
    assert set(result.latest_signal.scores) == set(SUBSET)
    scores = list(result.latest_signal.scores.values())
    assert scores == sorted(scores, reverse=True)


# --- the backtest ----------------------------------------------------------------------------------
def test_backtest_returns_reconcile_with_the_daily_series_and_the_account(lightgbm_run: tuple[TrainResult, Any]) -> None:
    result, _ = lightgbm_run
    bt = result.backtest
    assert bt is not None
    daily = pd.read_csv(_folder(result) / "backtest_daily.csv", parse_dates=["date"], index_col="date")

    assert bt.total_return_with_cost == pytest.approx((1 + daily["return_with_cost"]).prod() - 1, rel=1e-9)
    assert bt.total_return_with_cost == pytest.approx(daily["account"].iloc[-1] / PORTFOLIO.account - 1, rel=1e-6)
    account_change = daily["account"].pct_change().iloc[1:]
    np.testing.assert_allclose(account_change, daily["return_with_cost"].iloc[1:], atol=1e-9)
    assert bt.annualized_return == pytest.approx((1 + bt.total_return) ** (252 / bt.n_days) - 1)
    assert bt.n_days == len(daily) == TEST_DAYS


def test_costs_only_ever_lower_the_result(lightgbm_run: tuple[TrainResult, Any]) -> None:
    result, _ = lightgbm_run
    bt = result.backtest
    assert bt is not None

    assert bt.total_cost > 0 and bt.turnover > 0
    assert bt.total_return_with_cost < bt.total_return
    assert bt.annualized_return_with_cost < bt.annualized_return
    assert bt.max_drawdown_with_cost <= bt.max_drawdown <= 0
    assert bt.limit_threshold == pytest.approx(0.095) and bt.trade_unit == 100  # the cn-region defaults


def test_the_benchmark_is_the_equal_weight_return_of_the_universe(
    data_center: DataCenter, lightgbm_run: tuple[TrainResult, Any]
) -> None:
    result, _ = lightgbm_run
    daily = pd.read_csv(_folder(result) / "backtest_daily.csv", parse_dates=["date"], index_col="date")
    close = data_center.get_price(list(SUBSET), "2021-06-01", "2021-12-31", fields=["close"])
    equal_weight = close.pivot(index="date", columns="symbol", values="close").pct_change().mean(axis=1)

    np.testing.assert_allclose(daily["benchmark"], equal_weight.loc[daily.index], rtol=1e-9)


def test_rerunning_the_backtest_from_the_run_id_gives_the_same_numbers(
    data_center: DataCenter, runs_dir: Path, lightgbm_run: tuple[TrainResult, Any]
) -> None:
    result, _ = lightgbm_run

    again = backtest_signal(data_center, SignalBacktestRequest(run_id=result.run_id, config=PORTFOLIO), runs_dir)

    assert again.metrics == result.backtest
    assert again.source == f"run {result.run_id}" and (Path(again.run_dir) / "equity.png").exists()


def test_a_factor_expression_can_be_backtested_as_a_signal(data_center: DataCenter, runs_dir: Path) -> None:
    request = SignalBacktestRequest(expression=PLANTED[0], universe=SUBSET, start="2021-01-01", end="2021-12-31",
                                    config=BacktestConfig(topk=10, n_drop=2, open_cost=0, close_cost=0, min_cost=0))

    result = backtest_signal(data_center, request, runs_dir)

    assert result.source == "Ref($close, 5) / $close - 1"
    assert result.metrics.total_cost == 0
    assert result.metrics.excess_annualized_return > 0  # the planted reversal pays before costs
    assert json.loads((Path(result.run_dir) / "status.json").read_text())["state"] == "done"


def test_a_backtest_of_an_unknown_run_is_refused(data_center: DataCenter, runs_dir: Path) -> None:
    with pytest.raises(NotFoundError):
        backtest_signal(data_center, SignalBacktestRequest(run_id="qlib_model-nope"), runs_dir)


# --- other models and feature sets -------------------------------------------------------------------
def test_a_linear_model_on_alpha158_trains_and_saves_its_coefficients(data_center: DataCenter, tmp_path: Path) -> None:
    config = TrainConfig(model="linear", features="alpha158", universe=SUBSET[:15], backtest=None,
                         train=("2020-01-01", "2020-12-31"), valid=("2021-01-01", "2021-02-28"),
                         test=("2021-03-01", "2021-04-30"))

    result = train_model(data_center, config, tmp_path)

    assert result.n_features == 158 and result.backtest is None
    saved = json.loads((_folder(result) / "model_linear.json").read_text())
    assert len(saved["coef"]) == 158 and saved["estimator"] == "ridge"
    assert result.metrics.n_test_rows == 15 * len(data_center.calendar("synthetic", "2021-03-01", "2021-04-30"))


def test_the_torch_mlp_trains_on_cpu_with_progress_per_epoch(data_center: DataCenter, tmp_path: Path) -> None:
    progress = RecordingProgress()
    config = TrainConfig(model="mlp", features="custom", expressions=PLANTED, universe=SUBSET, backtest=None,
                         params=ModelParams(epochs=3, seed=1), **SEGMENTS)

    result = train_model(data_center, config, tmp_path, progress)

    epochs = [e.done for e in progress.events if e.task == "train mlp"]
    assert epochs[:3] == [1, 2, 3]
    assert (_folder(result) / "model_mlp.pt").exists()
    history = json.loads((_folder(result) / "model_mlp.json").read_text())["history"]
    assert len(history) == 3 and all(np.isfinite(h["valid_loss"]) for h in history)
    assert result.metrics.rank_ic is not None


# --- refusals and failures ------------------------------------------------------------------------------
def test_segments_out_of_time_order_are_refused() -> None:
    with pytest.raises(ValidationError, match="time order"):
        TrainConfig(train=("2020-01-01", "2020-12-31"), valid=("2020-06-01", "2020-12-31"),
                    test=("2021-01-01", "2021-06-30"))


def test_custom_features_need_expressions() -> None:
    with pytest.raises(ValidationError, match="custom features need expressions"):
        TrainConfig(features="custom", **SEGMENTS)


def test_an_unsafe_custom_feature_is_refused_before_any_run_exists(data_center: DataCenter, tmp_path: Path) -> None:
    config = TrainConfig(features="custom", expressions=("Ref($close, -1)",), universe=SUBSET, **SEGMENTS)

    with pytest.raises(InvalidExpressionError, match="look-ahead"):
        train_model(data_center, config, tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_a_portfolio_as_large_as_the_universe_is_refused(data_center: DataCenter, tmp_path: Path) -> None:
    config = TrainConfig(features="custom", expressions=PLANTED, universe=SUBSET[:5],
                         backtest=BacktestConfig(topk=5, n_drop=1), **SEGMENTS)

    with pytest.raises(InvalidArgumentError, match="topk"):
        train_model(data_center, config, tmp_path)


def test_a_training_run_that_fails_is_marked_failed_with_the_reason(data_center: DataCenter, tmp_path: Path) -> None:
    # The synthetic market's calendar starts in 2006 (GOLD) but csi_syn only in 2016: no rows to learn from.
    config = TrainConfig(features="custom", expressions=PLANTED, universe=SUBSET, backtest=None,
                         train=("2010-01-01", "2010-12-31"), valid=("2011-01-01", "2011-06-30"),
                         test=("2011-07-01", "2011-12-31"))

    with pytest.raises(InvalidArgumentError) as caught:
        train_model(data_center, config, tmp_path)

    (folder,) = list(tmp_path.iterdir())
    status = json.loads((folder / "status.json").read_text())
    assert status["state"] == "failed" and status["error"] == caught.value.message
    assert "FAILED" in (folder / "run.log").read_text()


def test_library_errors_are_translated_by_how_the_caller_should_react() -> None:
    assert isinstance(translate("training", ValueError("Empty data from dataset")), InvalidArgumentError)
    assert isinstance(translate("training", KeyError("test")), InvalidArgumentError)
    assert isinstance(translate("training", RuntimeError("CUDA exploded")), InternalError)
    ours = InvalidExpressionError("bad")
    assert translate("training", ours) is ours
    assert "training failed: Empty data" in translate("training", ValueError("Empty data\nmore")).message


# --- tools -------------------------------------------------------------------------------------------
@pytest.fixture
def tool_ctx(data_center: DataCenter, runs_dir: Path, tmp_path: Path) -> ToolContext:
    return ToolContext(data=data_center, runs_dir=runs_dir, state_dir=tmp_path / "state")


def test_train_tool_picks_a_validation_window_when_none_is_given(tool_ctx: ToolContext) -> None:
    args = {"model": "linear", "features": "custom", "expressions": list(PLANTED), "universe": ",".join(SUBSET),
            "train": {"start": "2019-01-01", "end": "2020-12-31"}, "test": {"start": "2021-01-01", "end": "2021-03-31"},
            "topk": 10, "n_drop": 2}

    outcome = TRAIN_QLIB_MODEL.invoke(args, tool_ctx)

    assert outcome.ok, outcome.error
    assert outcome.result is not None
    assert outcome.result["segments"]["valid"][0] > outcome.result["segments"]["train"][1]
    assert "last 20% of train" in outcome.result["notes"][0]
    assert outcome.result["backtest"]["annualized_return_with_cost"] is not None
    assert outcome.result["latest_signal"]["scores"]


def test_train_tool_explains_a_bad_model_name(tool_ctx: ToolContext) -> None:
    outcome = TRAIN_QLIB_MODEL.invoke({"model": "xgboost", "train": {"start": "2019-01-01", "end": "2020-12-31"},
                                       "test": {"start": "2021-01-01", "end": "2021-03-31"}}, tool_ctx)

    assert outcome.error is not None and outcome.error.type == "InvalidArgument"
    assert "model" in outcome.error.message and "lightgbm" in outcome.error.message


def test_backtest_tool_retests_a_run_with_other_settings(
    tool_ctx: ToolContext, lightgbm_run: tuple[TrainResult, Any]
) -> None:
    result, _ = lightgbm_run

    outcome = BACKTEST_SIGNAL.invoke({"run_id": result.run_id, "topk": 5, "n_drop": 1}, tool_ctx)

    assert outcome.ok, outcome.error
    assert outcome.result is not None and outcome.result["source"] == f"run {result.run_id}"
    assert outcome.result["metrics"]["n_days"] == TEST_DAYS


def test_backtest_tool_needs_exactly_one_signal_source(tool_ctx: ToolContext) -> None:
    outcome = BACKTEST_SIGNAL.invoke({"topk": 5}, tool_ctx)

    assert outcome.error is not None and outcome.error.type == "InvalidArgument"
    assert "run_id or expression" in outcome.error.message


def test_the_public_surface_is_pinned() -> None:
    import taorui_engines.qlib_engine as engine

    assert set(engine.__all__) == {
        "DECAY_HORIZONS", "FORWARD_RETURN", "BacktestConfig", "BacktestMetrics", "ComparedRun", "ComparisonDifference",
        "FactorEvalRequest", "FeatureComparison", "compare_feature_sets",
        "FactorEvaluation", "FactorResult", "FeatureSet", "FitDiagnostics", "IcStats", "LatestSignal", "ModelKind", "ModelMetrics",
        "ModelParams", "SignalBacktestRequest", "SignalBacktestResult", "TrainConfig", "TrainResult", "Universe",
        "backtest_signal", "daily_ic", "daily_rank_ic", "equal_weight_benchmark", "evaluate_factors",
        "forward_returns", "label_expression", "qlib_errors", "rank_autocorrelation", "resolve_universe",
        "run_backtest", "summarize", "top_quantile_turnover", "train_model", "translate",
        "UniverseFailure", "UniverseRunsResult", "train_universes",
    }
    assert all(hasattr(engine, name) for name in engine.__all__)


@pytest.mark.parametrize("features", ["alpha158", "alpha360"])
def test_the_feature_cache_gives_qlibs_own_handler_values(data_center: DataCenter, tmp_path: Path,
                                                           features: str) -> None:
    """Our handler (raw and processed frames computed once, then cached) equals Qlib's Alpha158/Alpha360
    handler exactly, computed and from the cache."""
    from qlib.contrib.data.handler import Alpha158, Alpha360
    from qlib.data.dataset.handler import DataHandlerLP

    from taorui_engines.data import _qlib
    from taorui_engines.qlib_engine._dataset import (
        FeatureCache,
        Segments,
        _processors,
        build_handler,
        label_expression,
    )

    symbols = [f"SYN{i:03d}" for i in range(8)]
    segments = Segments(train=(pd.Timestamp("2020-01-02"), pd.Timestamp("2020-09-30")),
                        valid=(pd.Timestamp("2020-10-01"), pd.Timestamp("2020-11-30")),
                        test=(pd.Timestamp("2020-12-01"), pd.Timestamp("2020-12-31")))
    cache = FeatureCache(tmp_path / "features", "synthetic:test")
    with _qlib.lock():
        data_center.activate("synthetic")
        infer, learn = _processors(segments)
        qlib_handler = (Alpha158 if features == "alpha158" else Alpha360)(
            instruments=symbols, start_time=segments.train[0], end_time=segments.test[1], infer_processors=infer,
            learn_processors=learn, fit_start_time=segments.train[0], fit_end_time=segments.train[1],
            label=([label_expression(1)], ["LABEL0"]))
        first = build_handler(features, symbols, segments, 1, cache=cache)  # type: ignore[arg-type]
        assert len(list((tmp_path / "features").glob("*.parquet"))) == 3  # raw, then processed for infer and learn
        second = build_handler(features, symbols, segments, 1, cache=cache)  # type: ignore[arg-type]
        other = build_handler(features, symbols, segments, 2, cache=cache)  # type: ignore[arg-type]
        assert len(list((tmp_path / "features").glob("*.parquet"))) == 6  # another label: other entries
        refit = Segments(train=(segments.train[0], pd.Timestamp("2020-06-30")), valid=segments.valid, test=segments.test)
        build_handler(features, symbols, refit, 1, cache=cache)  # type: ignore[arg-type]
    assert len(list((tmp_path / "features").glob("*.parquet"))) == 8  # same raw frame, processors fitted anew
    for key in (DataHandlerLP.DK_R, DataHandlerLP.DK_I, DataHandlerLP.DK_L):
        want = qlib_handler.fetch(data_key=key)
        pd.testing.assert_frame_equal(first.fetch(data_key=key), want)
        pd.testing.assert_frame_equal(second.fetch(data_key=key), want)
    labels = [h.fetch(col_set="label", data_key=DataHandlerLP.DK_R) for h in (first, other)]
    assert not labels[0].equals(labels[1])
