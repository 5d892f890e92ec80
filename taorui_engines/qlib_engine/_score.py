"""Score days with a trained model run, and say which features moved each score.

The features are rebuilt exactly as training built them: the same feature set (or custom
expressions), the same processors fitted on the *training* segment only. Every Alpha158 /
Alpha360 feature and every expression our grammar accepts reads only bars at or before its
date, so the row of day t depends on data up to t; ``tests/test_trading_cycle.py`` checks
it by scoring from a store cut at t. A window that overlaps the model's training or
validation data is refused: its scores would be in-sample.

Explanations: LightGBM's own per-feature contributions (``pred_contrib``: SHAP values of
the trees, summing to the score), a linear model's coefficient x value; each with the
feature's value and its percentile in the universe that day.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from taorui_engines.data import DataCenter, _qlib
from taorui_engines.errors import InvalidArgumentError
from taorui_engines.qlib_engine._dataset import Segments, build_handler, feature_cache
from taorui_engines.qlib_engine._errors import qlib_errors
from taorui_engines.qlib_engine._panel import parse_all, resolve_universe, trading_window
from taorui_engines.qlib_engine._train import TrainConfig
from taorui_engines.runs import open_run

__all__ = ["Contribution", "ModelScores", "load_model_scores"]


@dataclass(frozen=True)
class Contribution:
    """One feature's part in one score."""

    feature: str
    contribution: float
    value: float | None
    percentile: float | None  # of the value among the universe that day, 0..100


@dataclass
class ModelScores:
    """Scores of every day of a window from one model run, with what explains them."""

    run_id: str
    model: str
    features: str
    universe: str
    market: str
    trained_through: date
    scores: pd.Series  # (date, symbol) -> score
    frame: pd.DataFrame  # (date, symbol) x features, processed as the model saw them
    raw: pd.DataFrame  # (date, symbol) x features before normalisation (the values a person reads)
    booster: Any = None
    linear: dict[str, Any] | None = None

    def day(self, day: date) -> dict[str, float]:
        """Scores of one day (empty when the day is not in the window)."""
        stamp = pd.Timestamp(day)
        if stamp not in self.scores.index.get_level_values("date"):
            return {}
        series = self.scores.xs(stamp, level="date")
        return {str(k): float(v) for k, v in series.items() if math.isfinite(float(v))}

    def explain(self, day: date, symbol: str, top: int = 5) -> list[Contribution]:
        """The features that moved ``symbol``'s score on ``day`` most, largest first."""
        stamp = pd.Timestamp(day)
        try:
            row = self.frame.loc[(stamp, symbol)]
        except KeyError as exc:
            raise InvalidArgumentError(f"the model scored no {symbol} on {day}") from exc
        names = list(self.frame.columns)
        x = np.nan_to_num(row.to_numpy(dtype="float64").reshape(1, -1))
        if self.booster is not None:
            contrib = np.asarray(self.booster.predict(x, pred_contrib=True))[0][:-1]
        elif self.linear is not None:
            contrib = np.asarray(self.linear["coef"], dtype="float64") * x[0]
        else:
            return [Contribution(n, float("nan"), _value(self.raw, stamp, symbol, n),
                                 _percentile(self.raw, stamp, symbol, n)) for n in names[:top]]
        order = np.argsort(-np.abs(contrib))[:top]
        return [Contribution(names[i], float(contrib[i]), _value(self.raw, stamp, symbol, names[i]),
                             _percentile(self.raw, stamp, symbol, names[i])) for i in order]


def _value(raw: pd.DataFrame, stamp: pd.Timestamp, symbol: str, name: str) -> float | None:
    try:
        value = float(raw.loc[(stamp, symbol), name])
    except (KeyError, TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def _percentile(raw: pd.DataFrame, stamp: pd.Timestamp, symbol: str, name: str) -> float | None:
    try:
        column = raw.xs(stamp, level="date")[name].astype("float64")
    except KeyError:
        return None
    mine = column.get(symbol)
    column = column.dropna()
    if mine is None or not math.isfinite(float(mine)) or column.empty:
        return None
    return float((column < float(mine)).mean() * 100 + (column == float(mine)).mean() * 50)


def _load_model(folder: Path, kind: str) -> tuple[Any, dict[str, Any] | None]:
    if kind == "lightgbm":
        import lightgbm as lgb

        return lgb.Booster(model_file=str(folder / "model_lightgbm.txt")), None
    if kind == "linear":
        return None, json.loads((folder / "model_linear.json").read_text())
    raise InvalidArgumentError(f"the trading cycle scores LightGBM and linear models; run {folder.name} is {kind}")


def load_model_scores(center: DataCenter, runs_dir: Path, run_id: str, start: date, end: date) -> ModelScores:
    """Scores for every trading day in [start, end] from the model of run ``run_id``."""
    run = open_run(runs_dir, run_id)
    status = run.status()
    if status.kind != "qlib_model" or status.state != "done":
        raise InvalidArgumentError(f"run {run_id} is a {status.state} {status.kind!r} run, not a finished Qlib "
                                   "model; train one with `taorui model train`")
    config = TrainConfig.model_validate(run.read_json("config.json"))
    booster, linear = _load_model(run.path, config.model)
    universe = resolve_universe(center, config.universe)
    seen_until = config.valid[1] + timedelta(days=config.label_horizon + 1)
    if start <= seen_until:
        raise InvalidArgumentError(
            f"the model of run {run_id} was trained and validated on data up to {config.valid[1]} (labels to about "
            f"{seen_until}); scoring from {start} would be in-sample. Start after {seen_until} or retrain with "
            "earlier segments")
    custom = [p.canonical for p in parse_all(config.expressions, universe)]
    train_days, _ = trading_window(center, universe.market, *config.train)
    window, _ = trading_window(center, universe.market, start, end)
    valid_days, _ = trading_window(center, universe.market, *config.valid)
    segments = Segments(train=(train_days[0], train_days[-1]), valid=(valid_days[0], valid_days[-1]),
                        test=(window[0], window[-1]))
    with _qlib.lock(), qlib_errors(f"building the {config.features} features of run {run_id}"):
        center.activate(universe.market)
        handler = build_handler(config.features, universe.symbols, segments, config.label_horizon, custom,
                                cache=feature_cache(center, universe.market))
        from qlib.data.dataset.handler import DataHandlerLP

        frame = handler.fetch(slice(window[0], window[-1]), col_set="feature", data_key=DataHandlerLP.DK_I)
        raw = handler.fetch(slice(window[0], window[-1]), col_set="feature", data_key=DataHandlerLP.DK_R)
    frame.index = frame.index.set_names(["date", "symbol"])
    raw.index = raw.index.set_names(["date", "symbol"])
    x = np.nan_to_num(frame.to_numpy(dtype="float64"))
    if booster is not None:
        values = booster.predict(x)
    else:
        assert linear is not None
        values = x @ np.asarray(linear["coef"], dtype="float64") + float(linear["intercept"])
    scores = pd.Series(np.asarray(values, dtype="float64"), index=frame.index, name="score")
    label = config.universe if isinstance(config.universe, str) else ",".join(config.universe)
    return ModelScores(run_id=run_id, model=config.model, features=config.features, universe=label,
                       market=universe.market, trained_through=config.valid[1], scores=scores, frame=frame, raw=raw,
                       booster=booster, linear=linear)
