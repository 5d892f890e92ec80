"""Train, predict, evaluate and backtest one Qlib model; everything lands in a run folder.

Run folder (``<runs_dir>/qlib_model-<stamp>-<id>/``)::

    config.json           the TrainConfig as given
    status.json           running / done / failed (with the reason)
    metrics.json          test IC / Rank IC / ICIR, segment dates, backtest headline numbers
    predictions.csv       date, symbol, score, label (raw label) for the test segment
    model_*.{txt,json,pt} the trained model (LightGBM text, linear JSON, MLP state_dict)
    backtest_daily.csv    daily return, cost, benchmark, turnover, account (when backtested)
    equity.png            equity with / without cost vs benchmark, and the drawdown
    run.log               what happened, step by step
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, model_validator

from taorui_engines.caveats import Caveat, model_caveats
from taorui_engines.data import DataCenter, _qlib
from taorui_engines.errors import InvalidArgumentError
from taorui_engines.progress import ProgressEvent, ProgressReporter, default_progress
from taorui_engines.qlib_engine import _ic
from taorui_engines.qlib_engine._backtest import BacktestConfig, BacktestMetrics, run_backtest
from taorui_engines.qlib_engine._dataset import (
    WITH_EXPRESSIONS,
    FeatureSet,
    Segments,
    build_dataset,
    build_handler,
    feature_cache,
    label_expression,
)
from taorui_engines.qlib_engine._errors import qlib_errors
from taorui_engines.qlib_engine._models import ModelKind, ModelParams, build_model
from taorui_engines.qlib_engine._panel import Universe, parse_all, resolve_universe, trading_window
from taorui_engines.qlib_engine._plots import plot_equity
from taorui_engines.qlib_engine._reads import training_inputs
from taorui_engines.runs import RunFolder

logger = logging.getLogger(__name__)

Span = tuple[date, date]


class TrainConfig(BaseModel):
    """One training request: model, features, universe, time segments, label, backtest."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    model: ModelKind = Field(default="lightgbm", description="lightgbm, linear (ridge) or mlp (PyTorch, CPU).")
    features: FeatureSet = Field(
        default="alpha158",
        description="alpha158, alpha360, custom expressions, or alpha158+custom (Alpha158 plus the expressions).")
    expressions: tuple[str, ...] = Field(
        default=(), max_length=300, description="Feature expressions of custom and alpha158+custom.")
    universe: str | tuple[str, ...] = Field(default="csi_syn", description="Universe name or symbols.")
    train: Span = Field(description="Train segment (start, end), inclusive.")
    valid: Span = Field(description="Validation segment, after train.")
    test: Span = Field(description="Test segment, after valid.")
    label_horizon: int = Field(default=1, ge=1, le=20, description="Label: return over h days from t+1.")
    params: ModelParams = Field(default_factory=ModelParams)
    backtest: BacktestConfig | None = Field(default_factory=BacktestConfig, description="None: no backtest.")

    @model_validator(mode="after")
    def _consistent(self) -> TrainConfig:
        if (self.features in WITH_EXPRESSIONS) != bool(self.expressions):
            raise ValueError("custom and alpha158+custom features need expressions, and expressions need "
                             "features='custom' or 'alpha158+custom'")
        for name, (start, end) in (("train", self.train), ("valid", self.valid), ("test", self.test)):
            if start > end:
                raise ValueError(f"{name} starts after it ends ({start} > {end})")
        if not self.train[1] < self.valid[0] or not self.valid[1] < self.test[0]:
            raise ValueError("segments must be in time order without overlap: train < valid < test")
        return self


class ModelMetrics(BaseModel):
    """Test-segment quality of the predictions against the raw label."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    ic: float | None = Field(description="Mean daily Pearson IC of score vs label on test.")
    ic_std: float | None
    icir: float | None
    rank_ic: float | None = Field(description="Mean daily Spearman Rank IC on test.")
    rank_ic_std: float | None
    rank_icir: float | None
    positive_ratio: float | None = Field(description="Share of test days with Rank IC > 0.")
    n_test_days: int
    n_test_rows: int


class LatestSignal(BaseModel):
    """The model's scores on the last day of the test segment: the most recent ranking."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    as_of: date = Field(description="Day whose close the scores use; trade no earlier than the next close.")
    scores: dict[str, float] = Field(description="Symbol -> score; higher means a higher expected return.")


class FitDiagnostics(BaseModel):
    """Signs that a model learned little: the caveats read these (docs/honesty.md)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    n_trees: int | None = Field(default=None, description="Trees a boosted model kept (best iteration); None otherwise.")
    prediction_std: float | None = Field(default=None, description="Mean cross-sectional std of the test scores.")
    tied_share: float | None = Field(default=None, description="Mean daily share of names whose score another name shares.")


class TrainResult(BaseModel):
    """What a training run produced."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    run_id: str
    run_dir: str
    model: ModelKind
    features: FeatureSet
    n_features: int
    universe: str
    market: str
    n_symbols: int
    synthetic: bool = Field(description="True when trained on synthetic data.")
    segments: dict[str, tuple[date, date]] = Field(description="Actual first/last trading day of each segment.")
    label: str = Field(description="Qlib label expression.")
    metrics: ModelMetrics
    backtest: BacktestMetrics | None
    latest_signal: LatestSignal = Field(description="Scores of the last test day.")
    fit: FitDiagnostics = Field(default_factory=FitDiagnostics)
    caveats: list[Caveat] = Field(default_factory=list, description="What to read the result by (computed).")
    files: list[str]
    seconds: dict[str, float] = Field(description="Wall time of each step.")


def train_model(
    center: DataCenter,
    config: TrainConfig,
    runs_dir: Path,
    progress: ProgressReporter | None = None,
) -> TrainResult:
    """Train ``config.model`` and record everything in a new run folder (failed runs too)."""
    universe, custom, segments = checked_inputs(center, config)
    run = RunFolder.create(runs_dir, "qlib_model", config, training_inputs(center, universe, segments, config))
    try:
        return _Training(center, config, universe, segments, custom, run, progress).execute()
    except BaseException as exc:
        _log(run, f"FAILED: {exc}")
        run.fail(exc)
        raise


def checked_inputs(center: DataCenter, config: TrainConfig) -> tuple[Universe, list[str], Segments]:
    """The universe, custom expressions and segments of ``config``, checked (nothing is written)."""
    universe = resolve_universe(center, config.universe)
    custom = [p.canonical for p in parse_all(config.expressions, universe)]
    segments = _segments(center, universe, config)
    if config.backtest is not None and config.backtest.topk >= len(universe.symbols):
        raise InvalidArgumentError(
            f"backtest topk ({config.backtest.topk}) must be below the number of symbols ({len(universe.symbols)})"
        )
    return universe, custom, segments


def _segments(center: DataCenter, universe: Universe, config: TrainConfig) -> Segments:
    """Each span snapped to its first and last trading day (each must have some)."""
    spans = {}
    for name in ("train", "valid", "test"):
        start, end = getattr(config, name)
        days, _ = trading_window(center, universe.market, start, end)
        spans[name] = (days[0], days[-1])
    return Segments(**spans)


def _log(run: RunFolder, message: str) -> None:
    stamp = datetime.now(UTC).strftime("%H:%M:%S")
    with open(run.file("run.log"), "a", encoding="utf-8") as handle:
        handle.write(f"{stamp} {message}\n")
    logger.info("%s: %s", run.run_id, message)


class _Training:
    """The steps of one training run, sharing their state."""

    def __init__(
        self, center: DataCenter, config: TrainConfig, universe: Universe, segments: Segments,
        custom: list[str], run: RunFolder, progress: ProgressReporter | None,
    ) -> None:
        self.center, self.config, self.universe, self.segments = center, config, universe, segments
        self.custom, self.run = custom, run
        self.progress = default_progress(progress)
        self.seconds: dict[str, float] = {}
        self.fit = FitDiagnostics()
        self.files: list[str] = []

    @contextmanager
    def _step(self, name: str, index: int) -> Iterator[None]:
        self.progress.update(ProgressEvent("qlib model", index, 5, name))
        started = time.perf_counter()
        yield
        self.seconds[name] = round(time.perf_counter() - started, 3)
        _log(self.run, f"{name} took {self.seconds[name]:.1f}s")

    def execute(self) -> TrainResult:
        _log(self.run, f"{self.config.model} on {self.config.features} over {len(self.universe.symbols)} "
                       f"symbols; segments {self._segment_text()}")
        with self._step("dataset", 0):
            dataset, n_features = self._dataset()
        model = build_model(self.config.model, self.config.params, self.progress)
        with self._step("train", 1), qlib_errors(f"training {self.config.model}"):
            model.fit(dataset)
        with self._step("predict", 2):
            predictions = self._predict(model, dataset)
            self.files += model.save(self.run.path)
        metrics = _model_metrics(predictions)
        self.fit = _diagnostics(model, predictions)
        _log(self.run, f"test IC {metrics.ic} Rank IC {metrics.rank_ic} over {metrics.n_test_days} days")
        backtest = None
        if self.config.backtest is not None:
            with self._step("backtest", 3):
                backtest = self._backtest(predictions["score"])
        self.progress.update(ProgressEvent("qlib model", 5, 5, "done"))
        return self._finish(n_features, metrics, backtest, _latest(predictions))

    def _segment_text(self) -> str:
        return ", ".join(f"{k} {a.date()}..{b.date()}" for k, (a, b) in self.segments.as_qlib().items())

    def _dataset(self) -> tuple[Any, int]:
        with _qlib.lock(), qlib_errors(f"building the {self.config.features} dataset"):
            self.center.activate(self.universe.market)
            handler = build_handler(self.config.features, self.universe.symbols, self.segments,
                                    self.config.label_horizon, self.custom,
                                    cache=feature_cache(self.center, self.universe.market))
            dataset = build_dataset(handler, self.segments)
            n_features = len(dataset.prepare("train", col_set="feature").columns)
        _log(self.run, f"dataset ready: {n_features} features")
        return dataset, n_features

    def _predict(self, model: Any, dataset: Any) -> pd.DataFrame:
        from qlib.data.dataset.handler import DataHandlerLP

        with qlib_errors("predicting the test segment"):
            score = model.predict(dataset, segment="test")
            label = dataset.prepare("test", col_set="label", data_key=DataHandlerLP.DK_R)
        frame = pd.DataFrame({"score": score.astype("float64")})
        frame["label"] = label.iloc[:, 0].reindex(frame.index).astype("float64")
        frame.index = frame.index.set_names(["date", "symbol"])
        frame.reset_index().to_csv(self.run.file("predictions.csv"), index=False)
        self.files.append("predictions.csv")
        return frame

    def _backtest(self, score: pd.Series) -> BacktestMetrics:
        assert self.config.backtest is not None
        start, end = self.segments.test
        metrics, daily = run_backtest(self.center, self.universe, score, start, end,
                                      self.config.backtest, self.progress)
        daily.to_csv(self.run.file("backtest_daily.csv"))
        note = " [SYNTHETIC data]" if self.universe.synthetic else ""
        title = (f"{self.config.model} on {self.config.features}, TopkDropout {self.config.backtest.topk}/"
                 f"{self.config.backtest.n_drop}, {self.universe.market}{note}")
        plot_equity(daily, title, self.run.file("equity.png"))
        self.files += ["backtest_daily.csv", "equity.png"]
        _log(self.run, f"backtest {metrics.start}..{metrics.end}: annualized {metrics.annualized_return_with_cost:.4f} "
                       f"with cost, IR {metrics.information_ratio_with_cost}")
        return metrics

    def _finish(
        self, n_features: int, metrics: ModelMetrics, backtest: BacktestMetrics | None, latest: LatestSignal
    ) -> TrainResult:
        segments = {k: (a.date(), b.date()) for k, (a, b) in self.segments.as_qlib().items()}
        result = TrainResult(
            run_id=self.run.run_id, run_dir=str(self.run.path), model=self.config.model,
            features=self.config.features, n_features=n_features,
            universe=_label(self.config.universe), market=self.universe.market,
            n_symbols=len(self.universe.symbols), synthetic=self.universe.synthetic, segments=segments,
            label=label_expression(self.config.label_horizon), metrics=metrics, backtest=backtest,
            latest_signal=latest, fit=self.fit, files=sorted({*self.files, "run.log", "metrics.json"}),
            seconds=self.seconds,
        )
        result = result.model_copy(update={"caveats": model_caveats(result.model_dump(mode="json"))})
        self.run.write_metrics(_flat_metrics(result))
        self.run.finish()
        return result


def _label(universe: str | tuple[str, ...]) -> str:
    return universe if isinstance(universe, str) else ",".join(universe)


def _diagnostics(model: Any, predictions: pd.DataFrame) -> FitDiagnostics:
    """How much the model learned, from the model and its test scores."""
    booster = getattr(model, "model", None)
    trees = getattr(booster, "best_iteration", None)
    if isinstance(trees, int) and trees <= 0 and booster is not None and hasattr(booster, "num_trees"):
        trees = int(booster.num_trees())
    score = predictions["score"].dropna()
    if score.empty:
        return FitDiagnostics(n_trees=trees if isinstance(trees, int) else None)
    by_day = score.groupby(level="date")
    spread = float(by_day.std(ddof=0).mean())
    tied = float(by_day.apply(lambda s: float(s.round(12).duplicated(keep=False).mean())).mean())
    return FitDiagnostics(n_trees=trees if isinstance(trees, int) else None, prediction_std=spread, tied_share=tied)


def _latest(predictions: pd.DataFrame) -> LatestSignal:
    scores = predictions["score"].dropna()
    last = scores.index.get_level_values("date").max()
    today = scores.xs(last, level="date").sort_values(ascending=False)
    return LatestSignal(as_of=last.date(), scores={str(k): float(v) for k, v in today.items()})


def _model_metrics(predictions: pd.DataFrame) -> ModelMetrics:
    score = predictions["score"].unstack("symbol")
    label = predictions["label"].unstack("symbol")
    ic = _ic.summarize(_ic.daily_ic(score, label))
    rank = _ic.summarize(_ic.daily_rank_ic(score, label))
    return ModelMetrics(
        ic=ic.mean, ic_std=ic.std, icir=ic.ir, rank_ic=rank.mean, rank_ic_std=rank.std,
        rank_icir=rank.ir, positive_ratio=rank.positive_ratio, n_test_days=rank.n_days,
        n_test_rows=int(predictions["label"].notna().sum()),
    )


def _flat_metrics(result: TrainResult) -> dict[str, Any]:
    """metrics.json: headline numbers at the top level, the backtest as one nested object."""
    out: dict[str, Any] = result.metrics.model_dump(mode="json")
    out.update({
        "model": result.model, "features": result.features, "n_features": result.n_features,
        "universe": result.universe, "synthetic": result.synthetic, "label": result.label,
        "segments": {k: [a.isoformat(), b.isoformat()] for k, (a, b) in result.segments.items()},
        "backtest": result.backtest.model_dump(mode="json") if result.backtest else None,
        "latest_signal_date": result.latest_signal.as_of.isoformat(),
        "fit": result.fit.model_dump(mode="json"),
        "caveats": [c.model_dump(mode="json") for c in result.caveats],
        "seconds": result.seconds,
        "summary": _summary(result),
    })
    return out


def _summary(result: TrainResult) -> str:
    """One line for memory's searchable text."""
    m, bt = result.metrics, result.backtest
    note = " SYNTHETIC data." if result.synthetic else ""
    text = (f"{result.model} on {result.features} over {result.universe}, test "
            f"{result.segments['test'][0]}..{result.segments['test'][1]}: Rank IC {m.rank_ic}, IC {m.ic}.{note}")
    if bt is not None:
        text += (f" TopkDropout backtest: annualized {bt.annualized_return_with_cost:.4f} with cost "
                 f"({bt.annualized_return:.4f} without), IR {bt.information_ratio_with_cost}.")
    return text
